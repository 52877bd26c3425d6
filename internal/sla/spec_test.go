package sla

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

func TestParseSpans(t *testing.T) {
	tests := []struct {
		in      string
		want    []Span
		wantErr bool
	}{
		{"09:00-17:30", []Span{{540, 1050}}, false},
		{" 9:00 - 12:30 , 13:00-17:00 ", []Span{{540, 750}, {780, 1020}}, false},
		{"13:00-17:00; 09:00–12:30", []Span{{540, 750}, {780, 1020}}, false},
		{"closed", nil, false},
		{"Gesloten", nil, false},
		{"", nil, false},
		{"24h", []Span{{0, 1440}}, false},
		{"00:00-24:00", []Span{{0, 1440}}, false},
		{"22:00-02:00", nil, true}, // across midnight: split it
		{"09:00-09:00", nil, true},
		{"09:00-13:00, 12:00-17:00", nil, true}, // overlap
		{"09:00-24:30", nil, true},
		{"9-17", nil, true},
		{"09:60-17:00", nil, true},
		{"-1:00-17:00", nil, true},
		{"+9:00-17:00", nil, true},
		{"09:00", nil, true},
		{"09:00-17:00x", nil, true},
		{",", nil, true},
		{"09:00-17:00,", []Span{{540, 1020}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSpans(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseSpans(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseSpans(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormatSpans(t *testing.T) {
	tests := []struct {
		in   []Span
		want string
	}{
		{nil, "closed"},
		{[]Span{{0, 1440}}, "24h"},
		{[]Span{{540, 750}, {780, 1440}}, "09:00-12:30, 13:00-24:00"},
	}
	for _, tt := range tests {
		if got := FormatSpans(tt.in); got != tt.want {
			t.Errorf("FormatSpans(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHoursJSON(t *testing.T) {
	in := `{"zone":"Europe/Amsterdam","week":{"mon":"09:00-17:00","tue":"09:00-12:30, 13:00-17:00","sat":"closed","fri":"09:00-17:00, 22:00-24:00"},
		"holidays":[{"date":"2026-12-24","name":"Kerstavond","open":"09:00-15:00"},{"date":"2026-12-31"}],"public":"nl"}`
	var h Hours
	if err := json.Unmarshal([]byte(in), &h); err != nil {
		t.Fatal(err)
	}
	if got, want := h.Loc.String(), "Europe/Amsterdam"; got != want {
		t.Errorf("zone = %q, want %q", got, want)
	}
	if got, want := h.Week[time.Tuesday], []Span{{540, 750}, {780, 1020}}; !reflect.DeepEqual(got, want) {
		t.Errorf("tuesday = %v, want %v", got, want)
	}
	if got := h.Week[time.Wednesday]; got != nil {
		t.Errorf("wednesday (missing) = %v, want closed", got)
	}
	if got, want := len(h.Holidays), 2; got != want {
		t.Fatalf("%d holidays, want %d", got, want)
	}
	if h.Holidays[1].Open != nil {
		t.Errorf("holiday without open = %v, want closed", h.Holidays[1].Open)
	}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var again Hours
	if err := json.Unmarshal(b, &again); err != nil {
		t.Fatalf("round trip of %s: %v", b, err)
	}
	if again.Loc.String() != h.Loc.String() || !reflect.DeepEqual(again.Week, h.Week) ||
		!reflect.DeepEqual(again.Holidays, h.Holidays) || again.Public != h.Public {
		t.Errorf("round trip = %+v, want %+v", again, h)
	}
}

func TestHoursJSONInvalid(t *testing.T) {
	tests := []struct {
		name, in, field string
	}{
		{"no zone", `{"week":{"mon":"09:00-17:00"}}`, "zone"},
		{"unknown zone", `{"zone":"Europe/Utrecht","week":{"mon":"09:00-17:00"}}`, "zone"},
		{"zone as a path", `{"zone":"../../etc/passwd","week":{"mon":"09:00-17:00"}}`, "zone"},
		{"unknown day", `{"zone":"UTC","week":{"maandag":"09:00-17:00"}}`, "week"},
		{"overlap", `{"zone":"UTC","week":{"mon":"09:00-13:00,12:00-17:00"}}`, "week.mon"},
		{"never open", `{"zone":"UTC","week":{"mon":"closed"}}`, "week"},
		{"bad holiday hours", `{"zone":"UTC","week":{"mon":"09:00-17:00"},"holidays":[{"date":"2026-12-24","open":"15:00-09:00"}]}`, "holidays[0].open"},
		{"holiday twice", `{"zone":"UTC","week":{"mon":"09:00-17:00"},"holidays":[{"date":"2026-12-24"},{"date":"2026-12-24"}]}`, "holidays[1].date"},
		{"unknown public holidays", `{"zone":"UTC","week":{"mon":"09:00-17:00"},"public":"be"}`, "public"},
		{"bad date", `{"zone":"UTC","week":{"mon":"09:00-17:00"},"holidays":[{"date":"2026-02-30"}]}`, ""},
		{"unknown field", `{"zone":"UTC","week":{"mon":"09:00-17:00"},"timezone":"UTC"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Hours
			err := json.Unmarshal([]byte(tt.in), &h)
			if !errors.Is(err, desk.ErrInvalid) {
				t.Fatalf("error = %v, want one matching desk.ErrInvalid", err)
			}
			var ve *desk.ValidationError
			if tt.field != "" && (!errors.As(err, &ve) || ve.Field != tt.field) {
				t.Errorf("error = %v, want field %q", err, tt.field)
			}
		})
	}
}

func FuzzParseSpans(f *testing.F) {
	for _, s := range []string{"09:00-17:00", "9:00-12:30, 13:00-17:30", "24h", "closed", "22:00-02:00", "00:00-24:00;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spans, err := ParseSpans(s)
		if err != nil {
			return
		}
		if err := validSpans(spans); err != nil {
			t.Fatalf("ParseSpans(%q) = %v, which is invalid: %v", s, spans, err)
		}
		again, err := ParseSpans(FormatSpans(spans))
		if err != nil || !reflect.DeepEqual(again, spans) {
			t.Fatalf("ParseSpans(FormatSpans(%v)) = %v, %v", spans, again, err)
		}
		if strings.Count(FormatSpans(spans), "-") > maxSpansPerDay {
			t.Fatalf("ParseSpans(%q) gave %d spans", s, len(spans))
		}
	})
}

func TestFormatWhen(t *testing.T) {
	now := ams(t, "2026-04-24 18:00") // a Friday
	tests := []struct {
		at, lang, want string
	}{
		{"2026-04-24 19:00", "en", "today 19:00"},
		{"2026-04-25 09:00", "nl", "morgen 09:00"},
		{"2026-04-28 09:00", "en", "Tuesday 09:00"},
		{"2026-04-28 09:00", "nl", "dinsdag 09:00"},
		{"2026-04-30 09:00", "nl", "donderdag 09:00"},
		{"2026-05-01 09:00", "nl", "vrijdag 1 mei 09:00"},
		{"2026-05-04 09:00", "en", "Monday 4 May 09:00"},
		{"2026-04-28 09:00", "de", "Tuesday 09:00"},
	}
	for _, tt := range tests {
		t.Run(tt.at+" "+tt.lang, func(t *testing.T) {
			if got := FormatWhen(ams(t, tt.at), now.UTC(), tt.lang); got != tt.want {
				t.Errorf("FormatWhen(%s, %s) = %q, want %q", tt.at, tt.lang, got, tt.want)
			}
		})
	}
	if got := FormatWhen(time.Time{}, now, "nl"); got != "" {
		t.Errorf("FormatWhen(zero) = %q, want empty", got)
	}
	// What an out-of-hours reply does: the next opening, formatted.
	h := office(t)
	if got, want := FormatWhen(h.NextOpen(now), now, "nl"), "dinsdag 09:00"; got != want {
		t.Errorf("back after Koningsdag = %q, want %q", got, want)
	}
}

func FuzzHoursJSON(f *testing.F) {
	f.Add(`{"zone":"Europe/Amsterdam","week":{"mon":"09:00-17:00","fri":"22:00-24:00"},"holidays":[{"date":"2026-12-24","open":"09:00-15:00"}],"public":"nl"}`)
	f.Add(`{"zone":"UTC","week":{"sun":"24h"}}`)
	f.Fuzz(func(t *testing.T, s string) {
		var h Hours
		if err := json.Unmarshal([]byte(s), &h); err != nil {
			return
		}
		if err := h.Validate(); err != nil {
			t.Fatalf("Unmarshal accepted %q, which does not validate: %v", s, err)
		}
		b, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		var again Hours
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatalf("round trip of %s: %v", b, err)
		}
		// Valid hours open within a week or so (holidays aside) and count
		// back what they add.
		a := time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC)
		if due := h.Add(a, 90*time.Minute); due.IsZero() || h.Between(a, due) != 90*time.Minute {
			t.Fatalf("hours %s: Add/Between disagree: due %s", b, due)
		}
	})
}
