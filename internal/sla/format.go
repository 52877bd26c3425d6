package sla

import (
	"fmt"
	"time"
)

var (
	dayNames = map[string][7]string{
		"en": {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
		"nl": {"zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"},
	}
	monthNames = map[string][12]string{
		"en": {"January", "February", "March", "April", "May", "June", "July", "August",
			"September", "October", "November", "December"},
		"nl": {"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
			"september", "oktober", "november", "december"},
	}
	relativeDays = map[string][2]string{
		"en": {"today", "tomorrow"},
		"nl": {"vandaag", "morgen"},
	}
)

// FormatWhen says when t is, seen from now, for an out-of-hours reply ("we
// are back ..."), in lang ("nl" or "en"; anything else is English):
//
//	today 13:00          vandaag 13:00
//	tomorrow 09:00       morgen 09:00
//	Monday 09:00         maandag 09:00         (within the coming week)
//	Monday 4 May 09:00   maandag 4 mei 09:00   (later)
//
// Both are taken in t's location: pass NextOpen's result, which is in the
// hours' zone, so that a customer reads the team's local time. The zero t
// (never open) gives "".
func FormatWhen(t, now time.Time, lang string) string {
	if t.IsZero() {
		return ""
	}
	if _, ok := dayNames[lang]; !ok {
		lang = "en"
	}
	now = now.In(t.Location())
	hm := t.Format("15:04")
	today := DateOf(now)
	switch DateOf(t) {
	case today:
		return relativeDays[lang][0] + " " + hm
	case today.AddDays(1):
		return relativeDays[lang][1] + " " + hm
	}
	day := dayNames[lang][t.Weekday()]
	if DateOf(t).Before(today.AddDays(7)) {
		return day + " " + hm
	}
	return fmt.Sprintf("%s %d %s %s", day, t.Day(), monthNames[lang][t.Month()-1], hm)
}
