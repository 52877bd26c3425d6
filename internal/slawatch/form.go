package slawatch

import (
	"fmt"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/sla"
)

// Problems are the validation errors of a form, at most one per field, so
// that a page can show each next to its field. It matches desk.ErrInvalid.
type Problems []*desk.ValidationError

func (p Problems) Error() string {
	parts := make([]string, len(p))
	for i, e := range p {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

func (p Problems) Is(target error) bool { return target == desk.ErrInvalid }

// Field returns the reason for field, "" when it is fine.
func (p Problems) Field(field string) string {
	for _, e := range p {
		if e.Field == field {
			return e.Reason
		}
	}
	return ""
}

// WeekdayKeys are the form and JSON names of the days, by time.Weekday.
var WeekdayKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// HoursInput is business hours as an admin types them.
type HoursInput struct {
	Zone string    // "Europe/Amsterdam"; "" is that
	Days [7]string // by time.Weekday: "09:00-12:30, 13:00-17:00", "closed", "24h"
	// Public is "", "nl" or "nl+goede-vrijdag".
	Public string
	// Holidays are one per line: "2026-12-24 Kerstavond 09:00-15:00"; the
	// name and the hours are optional (without hours: closed all day).
	Holidays string
}

// DefaultZone is the time zone of hours that name none.
const DefaultZone = "Europe/Amsterdam"

// BuildHours reads a form's hours. Its error is Problems, with fields
// "zone", "day.mon".."day.sun", "public", "holidays" and "week" (no day
// open).
func BuildHours(in HoursInput) (sla.Hours, error) {
	var h sla.Hours
	var probs Problems
	bad := func(field, reason string) { probs = append(probs, &desk.ValidationError{Field: field, Reason: reason}) }
	zone := strings.TrimSpace(in.Zone)
	if zone == "" {
		zone = DefaultZone
	}
	if loc, err := time.LoadLocation(zone); err != nil || zone == "Local" || strings.Contains(zone, "..") {
		bad("zone", "an IANA time zone such as Europe/Amsterdam")
	} else {
		h.Loc = loc
	}
	open, dayErr := false, false
	for d, text := range in.Days {
		spans, err := sla.ParseSpans(text)
		if err != nil {
			bad("day."+WeekdayKeys[d], strings.TrimPrefix(err.Error(), "sla: "))
			dayErr = true
			continue
		}
		h.Week[d] = spans
		open = open || len(spans) > 0
	}
	if !open && !dayErr {
		bad("week", "open at least one day a week")
	}
	switch p := sla.Public(strings.TrimSpace(in.Public)); p {
	case sla.PublicNone, sla.PublicNL, sla.PublicNLGoodFriday:
		h.Public = p
	default:
		bad("public", "none, nl or nl+goede-vrijdag")
	}
	hols, err := ParseHolidays(in.Holidays)
	if err != nil {
		bad("holidays", err.Error())
	}
	h.Holidays = hols
	if len(probs) > 0 {
		return sla.Hours{}, probs
	}
	if err := h.Validate(); err != nil {
		// What the checks above do not see: a date listed twice.
		field := "holidays"
		if ve, ok := err.(*desk.ValidationError); ok && strings.HasPrefix(ve.Field, "week") {
			field = "week"
		}
		return sla.Hours{}, Problems{{Field: field, Reason: strings.TrimPrefix(err.Error(), "invalid ")}}
	}
	return h, nil
}

// maxHolidayLines bounds the holiday list of a form.
const maxHolidayLines = 500

// ParseHolidays reads one holiday a line: a date, then an optional name,
// then optional hours ("2026-12-24 Kerstavond 09:00-15:00"). Empty lines
// are skipped. An error names the line.
func ParseHolidays(text string) ([]sla.Holiday, error) {
	var out []sla.Holiday
	seen := map[sla.Date]bool{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if len(out) == maxHolidayLines {
			return nil, fmt.Errorf("at most %d holidays", maxHolidayLines)
		}
		fields := strings.Fields(line)
		d, err := sla.ParseDate(fields[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: want a date like 2026-12-24 first", i+1)
		}
		if seen[d] {
			return nil, fmt.Errorf("line %d: %s is listed twice", i+1, d)
		}
		seen[d] = true
		rest := fields[1:]
		// Hours are the trailing words that contain a time ("09:00-15:00",
		// "09:00-12:00," "13:00-17:00"); the words before are the name.
		cut := len(rest)
		for cut > 0 && strings.Contains(rest[cut-1], ":") && strings.Contains(rest[cut-1], "-") {
			cut--
		}
		hol := sla.Holiday{Date: d, Name: strings.Join(rest[:cut], " ")}
		if len(hol.Name) > 100 {
			return nil, fmt.Errorf("line %d: a name of at most 100 characters", i+1)
		}
		if cut < len(rest) {
			spans, err := sla.ParseSpans(strings.Join(rest[cut:], " "))
			if err != nil {
				return nil, fmt.Errorf("line %d: %s", i+1, strings.TrimPrefix(err.Error(), "sla: "))
			}
			hol.Open = spans
		}
		out = append(out, hol)
	}
	return out, nil
}

// FormatHolidays writes holidays as ParseHolidays reads them.
func FormatHolidays(hols []sla.Holiday) string {
	var b strings.Builder
	for _, h := range hols {
		b.WriteString(h.Date.String())
		if h.Name != "" {
			b.WriteString(" " + h.Name)
		}
		if len(h.Open) > 0 {
			b.WriteString(" " + sla.FormatSpans(h.Open))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// InputOf is the form's view of hours (for editing them).
func InputOf(h sla.Hours, set bool) HoursInput {
	in := HoursInput{Zone: DefaultZone, Public: string(h.Public), Holidays: FormatHolidays(h.Holidays)}
	if h.Loc != nil {
		in.Zone = h.Loc.String()
	}
	for d := range in.Days {
		if set {
			in.Days[d] = sla.FormatSpans(h.Week[d])
		}
	}
	if !set {
		// A starting point for a team that has none yet.
		for d := time.Monday; d <= time.Friday; d++ {
			in.Days[d] = "09:00-17:00"
		}
		for _, d := range []time.Weekday{time.Saturday, time.Sunday} {
			in.Days[d] = "closed"
		}
		in.Public = string(sla.PublicNL)
	}
	return in
}
