package sla

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

func TestSelect(t *testing.T) {
	policies := []Policy{
		{ID: 1, Name: "default", Position: 100, Resolution: 24 * time.Hour},
		{ID: 2, Name: "urgent", Position: 10, Priorities: []desk.Priority{desk.PriorityUrgent, desk.PriorityHigh}, FirstResponse: time.Hour},
		{ID: 3, Name: "vip chat", Position: 5, Channels: []desk.ChannelKind{desk.ChannelWebChat, desk.ChannelWhatsApp}, Segments: []string{"VIP"}, FirstResponse: 5 * time.Minute},
		{ID: 4, Name: "also urgent, later id", Position: 10, Priorities: []desk.Priority{desk.PriorityUrgent}, FirstResponse: 2 * time.Hour},
	}
	tests := []struct {
		name   string
		facts  Facts
		wantID int64
		found  bool
	}{
		{"nothing special: the catch-all", Facts{desk.PriorityNone, desk.ChannelEmail, ""}, 1, true},
		{"urgent email: same position, lower id wins", Facts{desk.PriorityUrgent, desk.ChannelEmail, ""}, 2, true},
		{"vip on chat, any priority, segment without case", Facts{desk.PriorityUrgent, desk.ChannelWebChat, "vip"}, 3, true},
		{"vip on email is not vip chat", Facts{desk.PriorityHigh, desk.ChannelEmail, "vip"}, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Select(policies, tt.facts)
			if ok != tt.found || got.ID != tt.wantID {
				t.Errorf("Select = %d, %v; want %d, %v", got.ID, ok, tt.wantID, tt.found)
			}
		})
	}
	if _, ok := Select(policies[1:2], Facts{Priority: desk.PriorityLow}); ok {
		t.Errorf("Select with no match: found one, want none")
	}
	if policies[0].ID != 1 || policies[3].ID != 4 {
		t.Errorf("Select reordered its argument")
	}
}

func TestPolicyValidate(t *testing.T) {
	ok := Policy{Name: "standard", FirstResponse: time.Hour, WarnAt: 0.8}
	tests := []struct {
		name   string
		change func(*Policy)
		field  string // "" when valid
	}{
		{"valid", func(*Policy) {}, ""},
		{"no name", func(p *Policy) { p.Name = " " }, "name"},
		{"unknown priority", func(p *Policy) { p.Priorities = []desk.Priority{"asap"} }, "priorities"},
		{"unknown channel", func(p *Policy) { p.Channels = []desk.ChannelKind{"fax"} }, "channels"},
		{"negative target", func(p *Policy) { p.Resolution = -time.Hour }, "resolution"},
		{"no target", func(p *Policy) { p.FirstResponse = 0 }, "targets"},
		{"warn at 100%", func(p *Policy) { p.WarnAt = 1 }, "warn_at"},
		{"warn NaN", func(p *Policy) { p.WarnAt = math.NaN() }, "warn_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ok
			tt.change(&p)
			err := p.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var ve *desk.ValidationError
			if !errors.Is(err, desk.ErrInvalid) || !errors.As(err, &ve) || ve.Field != tt.field {
				t.Errorf("Validate = %v, want invalid %s", err, tt.field)
			}
		})
	}
}

func TestHoursValidate(t *testing.T) {
	tests := []struct {
		name  string
		h     Hours
		field string
	}{
		{"office", office(t), ""},
		{"24/7", Always(), ""},
		{"never open", Hours{}, "week"},
		{"across midnight", func() Hours { h := office(t); h.Week[time.Friday] = []Span{{22 * 60, 2 * 60}}; return h }(), "week.fri"},
		{"unsorted", func() Hours {
			h := office(t)
			h.Week[time.Monday] = []Span{{13 * 60, 17 * 60}, {9 * 60, 12 * 60}}
			return h
		}(), "week.mon"},
		{"bad holiday date", func() Hours { h := office(t); h.Holidays = []Holiday{{Date: Date{2026, 2, 30}}}; return h }(), "holidays[0].date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.h.Validate()
			var ve *desk.ValidationError
			switch {
			case tt.field == "" && err != nil:
				t.Errorf("Validate = %v, want nil", err)
			case tt.field != "" && (!errors.As(err, &ve) || ve.Field != tt.field):
				t.Errorf("Validate = %v, want invalid %s", err, tt.field)
			}
		})
	}
}
