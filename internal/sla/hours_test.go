package sla

import (
	"math/rand/v2"
	"testing"
	"time"
)

func amsterdam(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// office is Monday to Friday 09:00-17:00 in Amsterdam with the Dutch public
// holidays.
func office(t testing.TB) Hours {
	t.Helper()
	h := Hours{Loc: amsterdam(t), Public: PublicNL}
	for d := time.Monday; d <= time.Friday; d++ {
		h.Week[d] = []Span{{9 * 60, 17 * 60}}
	}
	return h
}

// ams is a wall-clock time in Amsterdam: ams(t, "2026-04-24 15:00").
func ams(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, amsterdam(t))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestEaster(t *testing.T) {
	tests := []struct {
		year int
		want Date
	}{
		{2008, Date{2008, time.March, 23}},
		{2019, Date{2019, time.April, 21}},
		{2024, Date{2024, time.March, 31}},
		{2025, Date{2025, time.April, 20}},
		{2026, Date{2026, time.April, 5}},
		{2027, Date{2027, time.March, 28}},
		{2038, Date{2038, time.April, 25}},
	}
	for _, tt := range tests {
		if got := Easter(tt.year); got != tt.want {
			t.Errorf("Easter(%d) = %s, want %s", tt.year, got, tt.want)
		}
	}
}

func TestDutchHolidays(t *testing.T) {
	tests := []struct {
		name string
		year int
		want []string
	}{
		{"2025: Koningsdag on Saturday 26 April because the 27th is a Sunday", 2025, []string{
			"2025-01-01 Nieuwjaarsdag", "2025-04-20 Eerste Paasdag", "2025-04-21 Tweede Paasdag",
			"2025-04-26 Koningsdag", "2025-05-05 Bevrijdingsdag", "2025-05-29 Hemelvaartsdag",
			"2025-06-08 Eerste Pinksterdag", "2025-06-09 Tweede Pinksterdag",
			"2025-12-25 Eerste Kerstdag", "2025-12-26 Tweede Kerstdag"}},
		{"2026: Koningsdag on Monday 27 April", 2026, []string{
			"2026-01-01 Nieuwjaarsdag", "2026-04-05 Eerste Paasdag", "2026-04-06 Tweede Paasdag",
			"2026-04-27 Koningsdag", "2026-05-05 Bevrijdingsdag", "2026-05-14 Hemelvaartsdag",
			"2026-05-24 Eerste Pinksterdag", "2026-05-25 Tweede Pinksterdag",
			"2026-12-25 Eerste Kerstdag", "2026-12-26 Tweede Kerstdag"}},
		{"2027: early Easter", 2027, []string{
			"2027-01-01 Nieuwjaarsdag", "2027-03-28 Eerste Paasdag", "2027-03-29 Tweede Paasdag",
			"2027-04-27 Koningsdag", "2027-05-05 Bevrijdingsdag", "2027-05-06 Hemelvaartsdag",
			"2027-05-16 Eerste Pinksterdag", "2027-05-17 Tweede Pinksterdag",
			"2027-12-25 Eerste Kerstdag", "2027-12-26 Tweede Kerstdag"}},
		{"2008: Hemelvaartsdag on 1 May, before Bevrijdingsdag; Koninginnedag", 2008, []string{
			"2008-01-01 Nieuwjaarsdag", "2008-03-23 Eerste Paasdag", "2008-03-24 Tweede Paasdag",
			"2008-04-30 Koninginnedag", "2008-05-01 Hemelvaartsdag", "2008-05-05 Bevrijdingsdag",
			"2008-05-11 Eerste Pinksterdag", "2008-05-12 Tweede Pinksterdag",
			"2008-12-25 Eerste Kerstdag", "2008-12-26 Tweede Kerstdag"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DutchHolidays(tt.year)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d holidays %v, want %d", len(got), got, len(tt.want))
			}
			h := Hours{Public: PublicNL}
			for i, hol := range got {
				if s := hol.Date.String() + " " + hol.Name; s != tt.want[i] {
					t.Errorf("holiday %d = %q, want %q", i, s, tt.want[i])
				}
				// The per-day check the clocks use must agree with the list.
				if _, ok := h.PublicHoliday(hol.Date); !ok {
					t.Errorf("PublicHoliday(%s) = false, want true", hol.Date)
				}
			}
			n := 0
			for d := (Date{tt.year, time.January, 1}); d.Year == tt.year; d = d.AddDays(1) {
				if _, ok := h.PublicHoliday(d); ok {
					n++
				}
			}
			if n != len(tt.want) {
				t.Errorf("PublicHoliday is true on %d days of %d, want %d", n, tt.year, len(tt.want))
			}
		})
	}
}

func TestGoodFriday(t *testing.T) {
	if got, want := GoodFriday(2026).Date, (Date{2026, time.April, 3}); got != want {
		t.Errorf("GoodFriday(2026) = %s, want %s", got, want)
	}
	h := office(t)
	if h.Open(ams(t, "2026-04-03 10:00")) != true {
		t.Errorf("Open on Goede Vrijdag under PublicNL = false, want true")
	}
	h.Public = PublicNLGoodFriday
	if h.Open(ams(t, "2026-04-03 10:00")) != false {
		t.Errorf("Open on Goede Vrijdag under PublicNLGoodFriday = true, want false")
	}
}

func TestOpen(t *testing.T) {
	h := office(t)
	h.Week[time.Saturday] = []Span{{10 * 60, 14 * 60}}
	h.Holidays = []Holiday{
		{Date: Date{2026, time.December, 24}, Name: "Kerstavond", Open: []Span{{9 * 60, 15 * 60}}},
		{Date: Date{2026, time.May, 5}, Name: "Bevrijdingsdag: we work", Open: []Span{{9 * 60, 17 * 60}}},
	}
	tests := []struct {
		name string
		at   string
		want bool
	}{
		{"Monday at opening", "2026-04-20 09:00", true},
		{"Monday a minute before opening", "2026-04-20 08:59", false},
		{"Monday at closing is closed", "2026-04-20 17:00", false},
		{"Saturday morning", "2026-04-25 11:00", true},
		{"Saturday afternoon", "2026-04-25 14:30", false},
		{"Sunday", "2026-04-26 11:00", false},
		{"Koningsdag (Monday)", "2026-04-27 11:00", false},
		{"Tweede Paasdag", "2026-04-06 11:00", false},
		{"Hemelvaartsdag", "2026-05-14 11:00", false},
		{"Bevrijdingsdag overridden by a holiday with hours", "2026-05-05 11:00", true},
		{"Kerstavond short day, morning", "2026-12-24 14:59", true},
		{"Kerstavond short day, after 15:00", "2026-12-24 15:00", false},
		{"Eerste Kerstdag", "2026-12-25 11:00", false},
		{"DST spring-forward Monday after", "2026-03-30 09:00", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := h.Open(ams(t, tt.at)); got != tt.want {
				t.Errorf("Open(%s) = %v, want %v", tt.at, got, tt.want)
			}
			// The answer must not depend on the location of the argument.
			if got := h.Open(ams(t, tt.at).UTC()); got != tt.want {
				t.Errorf("Open(%s in UTC) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

func TestNextOpen(t *testing.T) {
	h := office(t)
	tests := []struct {
		name string
		at   string
		want string
	}{
		{"open: now", "2026-04-20 10:30", "2026-04-20 10:30"},
		{"before opening", "2026-04-20 07:00", "2026-04-20 09:00"},
		{"Friday evening: Monday", "2026-04-24 18:00", "2026-04-28 09:00"}, // Monday 27 is Koningsdag
		{"Easter weekend", "2026-04-02 17:00", "2026-04-03 09:00"},
		{"after Goede Vrijdag: Tuesday after Easter", "2026-04-03 17:00", "2026-04-07 09:00"},
		{"Christmas", "2026-12-24 17:00", "2026-12-28 09:00"},
		{"New Year's Eve evening", "2026-12-31 20:00", "2027-01-04 09:00"}, // 1 Jan Friday, weekend
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := h.NextOpen(ams(t, tt.at))
			if want := ams(t, tt.want); !got.Equal(want) {
				t.Errorf("NextOpen(%s) = %s, want %s", tt.at, got, want)
			}
			if got.Location() != h.Loc {
				t.Errorf("NextOpen location = %s, want %s", got.Location(), h.Loc)
			}
		})
	}
	if got := (Hours{}).NextOpen(time.Now()); !got.IsZero() {
		t.Errorf("zero Hours: NextOpen = %s, want the zero Time", got)
	}
}

func TestAddBetween(t *testing.T) {
	loc := amsterdam(t)
	always := Always()
	always.Loc = loc
	night := Hours{Loc: loc}
	night.Week[time.Friday] = []Span{{22 * 60, MinutesPerDay}}
	night.Week[time.Saturday] = []Span{{0, 2 * 60}}
	everyDay := Hours{Loc: loc}
	for d := range everyDay.Week {
		everyDay.Week[d] = []Span{{9 * 60, 17 * 60}}
	}
	split := office(t)
	split.Week[time.Wednesday] = []Span{{9 * 60, 12*60 + 30}, {13 * 60, 17 * 60}}
	xmas := office(t)
	xmas.Holidays = []Holiday{{Date: Date{2026, time.December, 24}, Name: "Kerstavond", Open: []Span{{9 * 60, 15 * 60}}}}

	tests := []struct {
		name     string
		h        Hours
		from     string
		d        time.Duration
		want     string
		sameDays bool // Between(from, want) is d; false when from is closed and want is an interval end
	}{
		{"Friday 15:00 + 4h is Monday 11:00", office(t), "2026-04-17 15:00", 4 * time.Hour, "2026-04-20 11:00", true},
		{"ending at closing is due at closing, not next morning", office(t), "2026-04-20 13:00", 4 * time.Hour, "2026-04-20 17:00", true},
		{"starting before opening", office(t), "2026-04-20 06:00", time.Hour, "2026-04-20 10:00", true},
		{"starting in the weekend", office(t), "2026-04-18 12:00", 30 * time.Minute, "2026-04-20 09:30", true},
		{"a week with Koningsdag", office(t), "2026-04-24 09:00", 16 * time.Hour, "2026-04-28 17:00", true},
		{"Easter 2025: Goede Vrijdag open, Tweede Paasdag closed", office(t), "2025-04-18 16:00", 2 * time.Hour, "2025-04-22 10:00", true},
		{"Easter 2027", office(t), "2027-03-26 16:00", 2 * time.Hour, "2027-03-30 10:00", true},
		{"lunch break", split, "2026-04-22 12:00", time.Hour, "2026-04-22 13:30", true},
		{"Kerstavond short day then Christmas", xmas, "2026-12-24 14:00", 2 * time.Hour, "2026-12-28 10:00", true},
		{"night shift across midnight", night, "2026-04-17 23:00", 2 * time.Hour, "2026-04-18 01:00", true},
		{"night shift to the next week", night, "2026-04-18 01:00", 2 * time.Hour, "2026-04-24 23:00", true},
		{"24/7 over spring forward: the day has 23 hours", always, "2026-03-28 12:00", 24 * time.Hour, "2026-03-29 13:00", true},
		{"24/7 over fall back: the day has 25 hours", always, "2026-10-24 12:00", 24 * time.Hour, "2026-10-25 11:00", true},
		{"09:00-17:00 on spring-forward Sunday is 8h", everyDay, "2026-03-29 09:00", 8 * time.Hour, "2026-03-29 17:00", true},
		{"09:00-17:00 on fall-back Sunday is 8h", everyDay, "2026-10-25 09:00", 8 * time.Hour, "2026-10-25 17:00", true},
		{"zero duration", office(t), "2026-04-18 12:00", 0, "2026-04-18 12:00", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, want := ams(t, tt.from), ams(t, tt.want)
			if got := tt.h.Add(from, tt.d); !got.Equal(want) {
				t.Errorf("Add(%s, %s) = %s, want %s", tt.from, tt.d, got.In(loc), want)
			}
			if got := tt.h.Between(from, want); got != tt.d {
				t.Errorf("Between(%s, %s) = %s, want %s", tt.from, tt.want, got, tt.d)
			}
			if got := tt.h.Between(want, from); got != -tt.d {
				t.Errorf("Between(%s, %s) = %s, want %s", tt.want, tt.from, got, -tt.d)
			}
		})
	}
}

func TestBetweenDSTDays(t *testing.T) {
	loc := amsterdam(t)
	always := Always()
	always.Loc = loc
	everyDay := Hours{Loc: loc}
	for d := range everyDay.Week {
		everyDay.Week[d] = []Span{{9 * 60, 17 * 60}}
	}
	tests := []struct {
		name     string
		h        Hours
		from, to string
		want     time.Duration
	}{
		{"24/7 last Sunday of March", always, "2026-03-29 00:00", "2026-03-30 00:00", 23 * time.Hour},
		{"24/7 last Sunday of October", always, "2026-10-25 00:00", "2026-10-26 00:00", 25 * time.Hour},
		{"24/7 ordinary day", always, "2026-10-26 00:00", "2026-10-27 00:00", 24 * time.Hour},
		{"office day on spring forward", everyDay, "2026-03-29 00:00", "2026-03-30 00:00", 8 * time.Hour},
		{"office day on fall back", everyDay, "2026-10-25 00:00", "2026-10-26 00:00", 8 * time.Hour},
		{"a week of office hours", everyDay, "2026-03-23 00:00", "2026-03-30 00:00", 56 * time.Hour},
		{"zero Hours", Hours{}, "2026-03-23 00:00", "2027-03-30 00:00", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.h.Between(ams(t, tt.from), ams(t, tt.to)); got != tt.want {
				t.Errorf("Between(%s, %s) = %s, want %s", tt.from, tt.to, got, tt.want)
			}
		})
	}
	if got := (Hours{}).Add(ams(t, "2026-03-23 00:00"), time.Hour); !got.IsZero() {
		t.Errorf("zero Hours: Add = %s, want the zero Time", got)
	}
}

// TestAddBetweenProperty checks that Between undoes Add, and that Add never
// goes backwards, for random starts and durations over three years of
// Amsterdam hours with holidays, lunch breaks and a night shift.
func TestAddBetweenProperty(t *testing.T) {
	loc := amsterdam(t)
	h := office(t)
	h.Public = PublicNLGoodFriday
	h.Week[time.Wednesday] = []Span{{8*60 + 30, 12 * 60}, {12*60 + 45, 17*60 + 15}}
	h.Week[time.Friday] = []Span{{9 * 60, 17 * 60}, {22 * 60, MinutesPerDay}}
	h.Week[time.Saturday] = []Span{{0, 2 * 60}, {2*60 + 30, 3 * 60}} // 02:30 does not exist on spring forward
	h.Holidays = []Holiday{{Date: Date{2026, time.December, 24}, Open: []Span{{9 * 60, 15 * 60}}}}
	always := Always()
	always.Loc = loc

	start := time.Date(2025, 1, 1, 0, 0, 0, 0, loc)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name string
		h    Hours
	}{{"office", h}, {"24/7", always}} {
		t.Run(c.name, func(t *testing.T) {
			for i := 0; i < 2000; i++ {
				a := start.Add(time.Duration(rng.Int64N(int64(3 * 365 * 24 * time.Hour))))
				d := time.Duration(rng.Int64N(int64(200 * time.Hour)))
				due := c.h.Add(a, d)
				if due.Before(a) {
					t.Fatalf("Add(%s, %s) = %s, before the start", a, d, due)
				}
				if got := c.h.Between(a, due); got != d {
					t.Fatalf("Between(%s, Add(.., %s) = %s) = %s, want %s", a, d, due, got, d)
				}
				if c.name == "24/7" && !due.Equal(a.Add(d)) {
					t.Fatalf("24/7 Add(%s, %s) = %s, want %s", a, d, due, a.Add(d))
				}
			}
		})
	}
}

func BenchmarkBetweenMonth(b *testing.B) {
	h := office(b)
	a := ams(b, "2026-03-02 10:00")
	z := ams(b, "2026-04-02 10:00")
	for b.Loop() {
		h.Between(a, z)
	}
}
