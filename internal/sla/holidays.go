package sla

import (
	"slices"
	"time"
)

// Easter is Easter Sunday of year in the Gregorian calendar, by the
// anonymous Gregorian computus (Meeus/Jones/Butcher).
func Easter(year int) Date {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return Date{year, time.Month(month), day}
}

// DutchHolidays returns the Dutch public holidays of year, in date order,
// closed all day:
//
//   - Nieuwjaarsdag, 1 January
//   - Eerste and Tweede Paasdag, Easter Sunday and Monday
//   - Koningsdag, 27 April, or 26 April when the 27th is a Sunday (from
//     2014; before, Koninginnedag on 30 April, or 29 April when a Sunday)
//   - Bevrijdingsdag, 5 May, every year. It is a national holiday every
//     year, although many collective agreements give the day off only every
//     fifth year (2025, 2030); a team that works on it adds a Holiday with
//     its hours, which takes precedence.
//   - Hemelvaartsdag, 39 days after Easter
//   - Eerste and Tweede Pinksterdag, 49 and 50 days after Easter
//   - Eerste and Tweede Kerstdag, 25 and 26 December
//
// Goede Vrijdag is not a general day off; GoodFriday returns it for teams
// that close (Public: PublicNLGoodFriday).
func DutchHolidays(year int) []Holiday {
	easter := Easter(year)
	king := Holiday{Date{year, time.April, 27}, "Koningsdag", nil}
	if year < 2014 {
		king = Holiday{Date{year, time.April, 30}, "Koninginnedag", nil}
	}
	if king.Date.Weekday() == time.Sunday {
		king.Date = king.Date.AddDays(-1)
	}
	out := []Holiday{
		{Date: Date{year, time.January, 1}, Name: "Nieuwjaarsdag"},
		{Date: easter, Name: "Eerste Paasdag"},
		{Date: easter.AddDays(1), Name: "Tweede Paasdag"},
		king,
		{Date: Date{year, time.May, 5}, Name: "Bevrijdingsdag"},
		{Date: easter.AddDays(39), Name: "Hemelvaartsdag"},
		{Date: easter.AddDays(49), Name: "Eerste Pinksterdag"},
		{Date: easter.AddDays(50), Name: "Tweede Pinksterdag"},
		{Date: Date{year, time.December, 25}, Name: "Eerste Kerstdag"},
		{Date: Date{year, time.December, 26}, Name: "Tweede Kerstdag"},
	}
	// Koningsdag and Bevrijdingsdag can fall in Easter week or on
	// Hemelvaartsdag; keep the list in date order.
	slices.SortStableFunc(out, func(x, y Holiday) int {
		switch {
		case x.Date.Before(y.Date):
			return -1
		case y.Date.Before(x.Date):
			return 1
		}
		return 0
	})
	return out
}

// GoodFriday is Goede Vrijdag of year: two days before Easter.
func GoodFriday(year int) Holiday {
	return Holiday{Date: Easter(year).AddDays(-2), Name: "Goede Vrijdag"}
}

// dutchHoliday reports the Dutch public holiday on d, without building the
// year's list: the clocks ask this for every day they walk.
func dutchHoliday(d Date, goodFriday bool) (string, bool) {
	switch {
	case d.Month == time.January && d.Day == 1:
		return "Nieuwjaarsdag", true
	case d.Month == time.May && d.Day == 5:
		// Checked before the Easter dates: when Hemelvaartsdag falls on 5
		// May, either name will do.
		return "Bevrijdingsdag", true
	case d.Month == time.December && d.Day == 25:
		return "Eerste Kerstdag", true
	case d.Month == time.December && d.Day == 26:
		return "Tweede Kerstdag", true
	case d.Month == time.April:
		day, name := 27, "Koningsdag"
		if d.Year < 2014 {
			day, name = 30, "Koninginnedag"
		}
		king := Date{d.Year, time.April, day}
		if king.Weekday() == time.Sunday {
			king = king.AddDays(-1)
		}
		if d == king {
			return name, true
		}
	}
	// Easter moves between 22 March and 25 April; its feasts end by 14 June.
	if d.Month < time.March || d.Month > time.June {
		return "", false
	}
	easter := Easter(d.Year)
	switch d {
	case easter:
		return "Eerste Paasdag", true
	case easter.AddDays(1):
		return "Tweede Paasdag", true
	case easter.AddDays(39):
		return "Hemelvaartsdag", true
	case easter.AddDays(49):
		return "Eerste Pinksterdag", true
	case easter.AddDays(50):
		return "Tweede Pinksterdag", true
	}
	if goodFriday && d == easter.AddDays(-2) {
		return "Goede Vrijdag", true
	}
	return "", false
}
