package forecast

import (
	"fmt"
	"math"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/sla"
)

// HoursPerWeek is the length of the seasonal cycle in local clock hours.
const HoursPerWeek = 7 * 24

// Series holds contact counts per hour. Counts[i] covers the real hour that
// starts at Start + i hours; Loc is the company's time zone, used for every
// seasonal lookup (nil means UTC). Start must fall on a whole hour in Loc.
type Series struct {
	Start  time.Time
	Loc    *time.Location
	Counts []float64
}

// Location returns s.Loc, or UTC when it is nil.
func (s Series) Location() *time.Location {
	if s.Loc == nil {
		return time.UTC
	}
	return s.Loc
}

// At returns the start of hour i.
func (s Series) At(i int) time.Time { return s.Start.Add(time.Duration(i) * time.Hour) }

// End returns the instant just after the last hour: where a forecast starts.
func (s Series) End() time.Time { return s.At(len(s.Counts)) }

func (s Series) validate() error {
	if s.Start.IsZero() {
		return desk.Invalid("start", "is zero")
	}
	lt := s.Start.In(s.Location())
	if lt.Minute() != 0 || lt.Second() != 0 || lt.Nanosecond() != 0 {
		return desk.Invalid("start", "not on a whole hour")
	}
	for i, c := range s.Counts {
		if c < 0 || math.IsNaN(c) || math.IsInf(c, 0) {
			return desk.Invalid("counts", fmt.Sprintf("hour %d is %v", i, c))
		}
	}
	return nil
}

// Slot returns the hour of the week of t in loc: 0 is Monday 00:00–01:00,
// 167 is Sunday 23:00–24:00.
func Slot(t time.Time, loc *time.Location) int {
	lt := t.In(loc)
	return (int(lt.Weekday())+6)%7*24 + lt.Hour()
}

// localHour numbers local clock hours since 1970-01-01 00:00 local. It runs
// on the wall clock, so a daylight-saving change skips or repeats a number
// instead of shifting every later hour of the week.
func localHour(t time.Time, loc *time.Location) int {
	lt := t.In(loc)
	y, m, d := lt.Date()
	days := int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
	return days*24 + lt.Hour()
}

// slotOfLocalHour is Slot for a localHour number; 1970-01-01 was a Thursday.
func slotOfLocalHour(h int) int {
	days := floorDiv(h, 24)
	return (floorMod(days+3, 7))*24 + floorMod(h, 24)
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int) int { return a - floorDiv(a, b)*b }

// Date is a civil date in the company's time zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the civil date of t in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// addDays returns the date n days later.
func (d Date) addDays(n int) Date {
	y, m, dd := time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC).Date()
	return Date{y, m, dd}
}

// DutchHolidays returns the days Dutch shops and offices treat as holidays
// in year: New Year's Day, Easter Sunday and Monday, King's Day (27 April, or
// the 26th when that is a Sunday), Ascension Day, Whit Sunday and Monday, and
// Christmas. Liberation Day is left out: most employers only give it off
// once every five years.
func DutchHolidays(year int) []Date {
	easter := easterSunday(year)
	kings := Date{year, time.April, 27}
	if time.Date(year, time.April, 27, 12, 0, 0, 0, time.UTC).Weekday() == time.Sunday {
		kings.Day = 26
	}
	return []Date{
		{year, time.January, 1},
		easter,
		easter.addDays(1),
		kings,
		easter.addDays(39),
		easter.addDays(49),
		easter.addDays(50),
		{year, time.December, 25},
		{year, time.December, 26},
	}
}

// easterSunday is Western Easter, as the business-hours calendar computes
// it.
func easterSunday(y int) Date {
	e := sla.Easter(y)
	return Date{e.Year, e.Month, e.Day}
}
