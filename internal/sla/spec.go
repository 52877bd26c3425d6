package sla

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// The text forms here are what an admin types in a form field and what the
// JSON API carries: a day's hours as "09:00-12:30, 13:00-17:30", "closed"
// (or empty) and "24h"; dates as "2026-04-27".

// weekdayKeys are the JSON keys of Hours.Week, indexed by time.Weekday.
var weekdayKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// String formats s as "09:00-17:30".
func (s Span) String() string { return clock(s.Start) + "-" + clock(s.End) }

func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// FormatSpans is the text form of a day's hours: "09:00-12:30, 13:00-17:30",
// "closed" when there are none, "24h" for the whole day.
func FormatSpans(spans []Span) string {
	switch {
	case len(spans) == 0:
		return "closed"
	case len(spans) == 1 && spans[0] == Span{0, MinutesPerDay}:
		return "24h"
	}
	parts := make([]string, len(spans))
	for i, s := range spans {
		parts[i] = s.String()
	}
	return strings.Join(parts, ", ")
}

// maxSpansPerDay keeps a hostile or mistyped form from building huge days.
const maxSpansPerDay = 12

// ParseSpans reads a day's hours as FormatSpans writes them. It accepts
// "closed", "gesloten", "-" or empty for none; "24h" or "00:00-24:00" for the
// whole day; spans separated by commas or semicolons in any order, with "-"
// or "–" between times, and "9:00" for "09:00". Spans are sorted; overlapping
// ones are refused, as is a span across midnight (end before start).
func ParseSpans(s string) ([]Span, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	switch s {
	case "", "-", "closed", "gesloten":
		return nil, nil
	case "24h", "24/7", "24 uur":
		return []Span{{0, MinutesPerDay}}, nil
	}
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' })
	if len(fields) == 0 {
		return nil, fmt.Errorf("sla: %q: want spans like 09:00-17:00, or closed", s)
	}
	if len(fields) > maxSpansPerDay {
		return nil, fmt.Errorf("sla: at most %d spans a day", maxSpansPerDay)
	}
	spans := make([]Span, 0, len(fields))
	for _, f := range fields {
		f = strings.ReplaceAll(strings.TrimSpace(f), "–", "-")
		from, to, ok := strings.Cut(f, "-")
		if !ok {
			return nil, fmt.Errorf("sla: %q: want a span like 09:00-17:00", f)
		}
		a, err := parseClock(strings.TrimSpace(from))
		if err != nil {
			return nil, err
		}
		b, err := parseClock(strings.TrimSpace(to))
		if err != nil {
			return nil, err
		}
		spans = append(spans, Span{a, b})
	}
	slices.SortFunc(spans, func(x, y Span) int { return x.Start - y.Start })
	if err := validSpans(spans); err != nil {
		return nil, fmt.Errorf("sla: %w", err)
	}
	return spans, nil
}

// parseClock reads "09:00", "9:00" or "24:00" as minutes after midnight.
func parseClock(s string) (int, error) {
	hh, mm, ok := strings.Cut(s, ":")
	if !ok || len(hh) < 1 || len(hh) > 2 || len(mm) != 2 {
		return 0, fmt.Errorf("sla: %q: want a time like 09:00", s)
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	// Atoi accepts a sign; a time never has one.
	if err1 != nil || err2 != nil || hh[0] == '+' || hh[0] == '-' || mm[0] == '+' || mm[0] == '-' ||
		h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("sla: %q: want a time from 00:00 to 24:00", s)
	}
	return h*60 + m, nil
}

// ParseDate reads "2026-04-27".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return Date{}, fmt.Errorf("sla: %q: want a date like 2026-04-27", s)
	}
	return DateOf(t), nil
}

// MarshalText writes d as "2026-04-27".
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads "2026-04-27".
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// hoursJSON is the wire form of Hours:
//
//	{"zone": "Europe/Amsterdam",
//	 "week": {"mon": "09:00-17:00", "sat": "10:00-14:00", "sun": "closed", ...},
//	 "holidays": [{"date": "2026-12-24", "name": "Kerstavond", "open": "09:00-15:00"}],
//	 "public": "nl"}
//
// A day missing from week is closed; a holiday without open is closed all day.
type hoursJSON struct {
	Zone     string            `json:"zone"`
	Week     map[string]string `json:"week"`
	Holidays []holidayJSON     `json:"holidays,omitempty"`
	Public   Public            `json:"public,omitempty"`
}

type holidayJSON struct {
	Date Date   `json:"date"`
	Name string `json:"name,omitempty"`
	Open string `json:"open,omitempty"`
}

// maxHolidays bounds the holiday list one Hours may carry: ten years of
// closures is plenty.
const maxHolidays = 500

// MarshalJSON writes the wire form described at hoursJSON.
func (h Hours) MarshalJSON() ([]byte, error) {
	w := hoursJSON{Zone: h.loc().String(), Week: make(map[string]string, 7), Public: h.Public}
	for d, spans := range h.Week {
		w.Week[weekdayKeys[d]] = FormatSpans(spans)
	}
	for _, hol := range h.Holidays {
		j := holidayJSON{Date: hol.Date, Name: hol.Name}
		if len(hol.Open) > 0 {
			j.Open = FormatSpans(hol.Open)
		}
		w.Holidays = append(w.Holidays, j)
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the wire form strictly (unknown fields are an error)
// and validates the result. Errors match desk.ErrInvalid.
func (h *Hours) UnmarshalJSON(b []byte) error {
	var w hoursJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return fmt.Errorf("sla: hours: %v: %w", err, desk.ErrInvalid)
	}
	var out Hours
	// "Local" would be the server's zone, which admins cannot see.
	if w.Zone == "" || w.Zone == "Local" {
		return desk.Invalid("zone", "an IANA time zone such as Europe/Amsterdam")
	}
	loc, err := time.LoadLocation(w.Zone)
	// LoadLocation also reads paths; a zone name never holds "..".
	if err != nil || strings.Contains(w.Zone, "..") {
		return desk.Invalid("zone", "an IANA time zone such as Europe/Amsterdam")
	}
	out.Loc = loc
	for key, text := range w.Week {
		d := slices.Index(weekdayKeys[:], key)
		if d < 0 {
			return desk.Invalid("week", fmt.Sprintf("unknown day %q; use mon, tue, wed, thu, fri, sat, sun", key))
		}
		spans, err := ParseSpans(text)
		if err != nil {
			return desk.Invalid("week."+key, strings.TrimPrefix(err.Error(), "sla: "))
		}
		out.Week[d] = spans
	}
	if len(w.Holidays) > maxHolidays {
		return desk.Invalid("holidays", fmt.Sprintf("at most %d", maxHolidays))
	}
	for i, j := range w.Holidays {
		spans, err := ParseSpans(j.Open)
		if err != nil {
			return desk.Invalid(fmt.Sprintf("holidays[%d].open", i), strings.TrimPrefix(err.Error(), "sla: "))
		}
		out.Holidays = append(out.Holidays, Holiday{Date: j.Date, Name: strings.TrimSpace(j.Name), Open: spans})
	}
	out.Public = w.Public
	if err := out.Validate(); err != nil {
		return err
	}
	*h = out
	return nil
}
