package sla

import (
	"fmt"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// MinutesPerDay is the End of a span that lasts until midnight ("24:00").
const MinutesPerDay = 24 * 60

// Span is one opening period of a day in local wall-clock time, as minutes
// after midnight: 09:00-17:30 is {540, 1050}. End may be 24:00 (1440).
//
// Spans do not cross midnight: a night shift 22:00-02:00 is 22:00-24:00 on
// one day and 00:00-02:00 on the next. The clocks join the two, so business
// time runs on without a gap.
type Span struct {
	Start, End int
}

// Date is a calendar date in the hours' time zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf is the date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// AddDays returns the date n days later (earlier when n < 0).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

// Weekday is the day of the week of d.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

// Valid reports whether d is a real calendar date.
func (d Date) Valid() bool {
	return d.Month >= time.January && d.Month <= time.December && d.Day >= 1 &&
		d.AddDays(0) == d
}

// Before reports whether d comes before e.
func (d Date) Before(e Date) bool {
	if d.Year != e.Year {
		return d.Year < e.Year
	}
	if d.Month != e.Month {
		return d.Month < e.Month
	}
	return d.Day < e.Day
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// Holiday closes a date, or replaces its hours when Open is not empty
// (Christmas Eve 09:00-15:00, a Sunday opening before Sinterklaas).
type Holiday struct {
	Date Date
	Name string
	Open []Span
}

// Public names a set of public holidays that Hours observes every year, so
// that an admin does not enter them again each January.
type Public string

const (
	PublicNone Public = ""
	// PublicNL is the Dutch public holidays of DutchHolidays.
	PublicNL Public = "nl"
	// PublicNLGoodFriday adds Goede Vrijdag, which many employers give.
	PublicNLGoodFriday Public = "nl+goede-vrijdag"
)

// Hours is when a team works. The zero Hours is never open; Always is open
// all the time.
type Hours struct {
	// Loc is the time zone the spans and dates are in; nil means UTC.
	Loc *time.Location
	// Week holds the opening spans per weekday (time.Sunday = 0), sorted and
	// not overlapping; an empty day is closed.
	Week [7][]Span
	// Holidays close dates or replace their hours. They take precedence over
	// Public.
	Holidays []Holiday
	// Public adds a country's public holidays, every year.
	Public Public
}

// Always is open every minute of every day (24/7).
func Always() Hours {
	var h Hours
	for d := range h.Week {
		h.Week[d] = []Span{{0, MinutesPerDay}}
	}
	return h
}

// Validate checks spans, holidays and the public holiday set. Errors match
// desk.ErrInvalid and name the field.
func (h Hours) Validate() error {
	open := false
	for d, spans := range h.Week {
		if err := validSpans(spans); err != nil {
			return desk.Invalid("week."+weekdayKeys[d], err.Error())
		}
		open = open || len(spans) > 0
	}
	if !open {
		return desk.Invalid("week", "open at least one day a week")
	}
	seen := make(map[Date]bool, len(h.Holidays))
	for i, hol := range h.Holidays {
		field := fmt.Sprintf("holidays[%d]", i)
		if !hol.Date.Valid() {
			return desk.Invalid(field+".date", "not a calendar date")
		}
		if seen[hol.Date] {
			return desk.Invalid(field+".date", hol.Date.String()+" is listed twice")
		}
		seen[hol.Date] = true
		if len(hol.Name) > 100 {
			return desk.Invalid(field+".name", "at most 100 characters")
		}
		if err := validSpans(hol.Open); err != nil {
			return desk.Invalid(field+".open", err.Error())
		}
	}
	switch h.Public {
	case PublicNone, PublicNL, PublicNLGoodFriday:
	default:
		return desk.Invalid("public", fmt.Sprintf("unknown public holidays %q", string(h.Public)))
	}
	return nil
}

func validSpans(spans []Span) error {
	prev := -1
	for _, s := range spans {
		switch {
		case s.Start < 0 || s.End > MinutesPerDay:
			return fmt.Errorf("%s: times run from 00:00 to 24:00", s)
		case s.Start >= s.End:
			return fmt.Errorf("%s: opening must be before closing; split a night shift at midnight", s)
		case s.Start < prev:
			return fmt.Errorf("%s: spans must be in order and not overlap", s)
		}
		prev = s.End
	}
	return nil
}

func (h Hours) loc() *time.Location {
	if h.Loc == nil {
		return time.UTC
	}
	return h.Loc
}

// Spans returns the opening spans of date d: a holiday's, none on a public
// holiday, or the week's.
func (h Hours) Spans(d Date) []Span {
	for _, hol := range h.Holidays {
		if hol.Date == d {
			return hol.Open
		}
	}
	if _, ok := h.PublicHoliday(d); ok {
		return nil
	}
	return h.Week[d.Weekday()]
}

// PublicHoliday returns the name of the public holiday on d, if any, under
// h.Public.
func (h Hours) PublicHoliday(d Date) (string, bool) {
	switch h.Public {
	case PublicNL, PublicNLGoodFriday:
		return dutchHoliday(d, h.Public == PublicNLGoodFriday)
	}
	return "", false
}

// interval is an opening in absolute time: [start, end).
type interval struct{ start, end time.Time }

// at is the instant of minute m of date d in loc. Minute 1440 is the next
// day's midnight, so that a day ending at 24:00 joins the next one.
//
// On a DST day, a wall-clock time that does not exist (02:30 on the last
// Sunday of March in Amsterdam) is taken as time.Date does; spans stay in
// order because at never goes backwards for increasing m in practice, and
// intervals clamps the rare case where it would.
func at(d Date, m int, loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, m/60, m%60, 0, 0, loc)
}

// intervals returns date d's openings in absolute time, in order.
func (h Hours) intervals(d Date) []interval {
	spans := h.Spans(d)
	if len(spans) == 0 {
		return nil
	}
	loc := h.loc()
	out := make([]interval, 0, len(spans))
	var prevEnd time.Time
	for _, s := range spans {
		iv := interval{at(d, s.Start, loc), at(d, s.End, loc)}
		if iv.start.Before(prevEnd) {
			iv.start = prevEnd
		}
		if !iv.end.After(iv.start) {
			continue
		}
		out = append(out, iv)
		prevEnd = iv.end
	}
	return out
}

// maxClosedDays bounds a search for the next opening: hours closed this long
// in a row count as never opening again (the zero Hours, or a holiday list
// that closes everything).
const maxClosedDays = 2 * 366

// walk calls fn for each opening from t on, clipped to start no earlier than
// t, until fn returns false, an opening starts at or after until (when until
// is not zero), or the hours stay closed for maxClosedDays. It reports
// whether fn stopped the walk.
func (h Hours) walk(t, until time.Time, fn func(interval) bool) bool {
	d := DateOf(t.In(h.loc()))
	closed := 0
	for closed < maxClosedDays {
		ivs := h.intervals(d)
		if len(ivs) == 0 {
			closed++
		} else {
			closed = 0
		}
		for _, iv := range ivs {
			if !iv.end.After(t) {
				continue
			}
			if !until.IsZero() && !iv.start.Before(until) {
				return false
			}
			if iv.start.Before(t) {
				iv.start = t
			}
			if !fn(iv) {
				return true
			}
		}
		d = d.AddDays(1)
		if !until.IsZero() && !at(d, 0, h.loc()).Before(until) {
			return false
		}
	}
	return false
}

// Open reports whether the team works at t.
func (h Hours) Open(t time.Time) bool {
	for _, iv := range h.intervals(DateOf(t.In(h.loc()))) {
		if !t.Before(iv.start) && t.Before(iv.end) {
			return true
		}
	}
	return false
}

// NextOpen is the first instant at or after t when the team works: t itself
// when open. It is the zero Time when the hours never open again. The result
// is in the hours' location, ready for FormatWhen.
func (h Hours) NextOpen(t time.Time) time.Time {
	var next time.Time
	h.walk(t, time.Time{}, func(iv interval) bool {
		next = iv.start
		return false
	})
	if next.IsZero() {
		return next
	}
	return next.In(h.loc())
}

// Add returns the instant when d of business time has passed after t. A
// deadline that uses up an opening exactly falls on its closing time (17:00,
// not 09:00 the next day). Add returns t for d <= 0, and the zero Time when
// the hours never open again.
func (h Hours) Add(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return t
	}
	var due time.Time
	h.walk(t, time.Time{}, func(iv interval) bool {
		n := iv.end.Sub(iv.start)
		if n >= d {
			due = iv.start.Add(d)
			return false
		}
		d -= n
		return true
	})
	return due
}

// Between is the business time from a to b; negative when b is before a.
func (h Hours) Between(a, b time.Time) time.Duration {
	if b.Before(a) {
		return -h.Between(b, a)
	}
	var sum time.Duration
	h.walk(a, b, func(iv interval) bool {
		if iv.end.After(b) {
			iv.end = b
		}
		sum += iv.end.Sub(iv.start)
		return true
	})
	return sum
}
