package routing

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

func TestRuleValidate(t *testing.T) {
	valid := Rule{ID: 1, Name: "Billing in Dutch", TeamID: 2,
		Categories: []string{"billing"}, Languages: []string{"nl"}, Channels: []desk.ChannelKind{desk.ChannelEmail},
		MinPriority: desk.PriorityLow, Priority: desk.PriorityHigh,
		Skills: []Skill{{Name: "lang:nl", Level: 3}, {Name: "category:billing", Level: 1}}}
	tests := []struct {
		name   string
		change func(*Rule)
		field  string // "" for valid
	}{
		{"valid", func(*Rule) {}, ""},
		{"valid with no conditions", func(r *Rule) { r.Categories, r.Languages, r.Channels, r.MinPriority = nil, nil, nil, "" }, ""},
		{"no name", func(r *Rule) { r.Name = "  " }, "name"},
		{"long name", func(r *Rule) { r.Name = strings.Repeat("x", maxRuleName+1) }, "name"},
		{"no team", func(r *Rule) { r.TeamID = 0 }, "team"},
		{"unknown channel", func(r *Rule) { r.Channels = []desk.ChannelKind{"pigeon"} }, "channels"},
		{"unknown min priority", func(r *Rule) { r.MinPriority = "critical" }, "min_priority"},
		{"unknown priority", func(r *Rule) { r.Priority = "asap" }, "priority"},
		{"empty category", func(r *Rule) { r.Categories = []string{"billing", " "} }, "categories"},
		{"empty segment", func(r *Rule) { r.Segments = []string{""} }, "segments"},
		{"level zero", func(r *Rule) { r.Skills = []Skill{{Name: "lang:nl", Level: 0}} }, "skills"},
		{"level six", func(r *Rule) { r.Skills = []Skill{{Name: "lang:nl", Level: 6}} }, "skills"},
		{"skill without kind", func(r *Rule) { r.Skills = []Skill{{Name: "dutch", Level: 2}} }, "skills"},
		{"skill with empty value", func(r *Rule) { r.Skills = []Skill{{Name: "lang:", Level: 2}} }, "skills"},
		{"skill with space", func(r *Rule) { r.Skills = []Skill{{Name: "product:e bike", Level: 2}} }, "skills"},
		{"skill twice", func(r *Rule) { r.Skills = []Skill{{Name: "lang:nl", Level: 2}, {Name: "LANG:NL", Level: 3}} }, "skills"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := valid
			r.Skills = slices.Clone(valid.Skills)
			tt.change(&r)
			err := r.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ve *desk.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, desk.ErrInvalid) {
				t.Fatalf("Validate() = %v, want a desk.ValidationError", err)
			}
			if ve.Field != tt.field {
				t.Errorf("Validate() field = %q, want %q (%v)", ve.Field, tt.field, err)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	rules := []Rule{
		{ID: 10, Name: "VIP", Position: 1, Segments: []string{"vip"}, TeamID: 1, Priority: desk.PriorityHigh},
		{ID: 11, Name: "Billing NL", Position: 2, Categories: []string{"billing"}, Languages: []string{"nl"},
			TeamID: 2, Skills: []Skill{{Name: "Lang:NL", Level: 3}}},
		{ID: 12, Name: "Email", Position: 3, Channels: []desk.ChannelKind{desk.ChannelEmail}, TeamID: 3},
		{ID: 13, Name: "Urgent", Position: 4, MinPriority: desk.PriorityHigh, TeamID: 4, Priority: desk.PriorityUrgent},
		{ID: 14, Name: "Billing", Position: 5, Categories: []string{"Billing"}, TeamID: 5},
	}
	tests := []struct {
		name     string
		rules    []Rule
		req      Request
		wantRule int64
		wantTeam int64
		wantPrio desk.Priority
		// the verdict per rule, in evaluation order
		wantVerdicts []Verdict
	}{
		{"segment", rules, Request{Segment: "VIP", Channel: desk.ChannelWebChat, Priority: desk.PriorityLow},
			10, 1, desk.PriorityHigh, []Verdict{Matched, Failed, Failed, Failed, Failed}},
		{"category and language, case aside", rules, Request{Category: "billing", Language: "NL", Channel: desk.ChannelWebChat},
			11, 2, "", []Verdict{Failed, Matched, Failed, Failed, Shadowed}},
		{"channel", rules, Request{Category: "shipping", Language: "nl", Channel: desk.ChannelEmail, Priority: desk.PriorityMedium},
			12, 3, desk.PriorityMedium, []Verdict{Failed, Failed, Matched, Failed, Failed}},
		{"min priority met", rules, Request{Channel: desk.ChannelWebChat, Priority: desk.PriorityHigh},
			13, 4, desk.PriorityUrgent, []Verdict{Failed, Failed, Failed, Matched, Failed}},
		{"min priority not met", rules, Request{Channel: desk.ChannelWebChat, Priority: desk.PriorityMedium},
			0, 0, desk.PriorityMedium, []Verdict{Failed, Failed, Failed, Failed, Failed}},
		{"language fails, later rule matches", rules, Request{Category: "billing", Language: "en", Channel: desk.ChannelWebChat},
			14, 5, "", []Verdict{Failed, Failed, Failed, Failed, Matched}},
		{"first match wins and never lowers priority", rules, Request{Segment: "vip", Category: "billing", Language: "nl",
			Channel: desk.ChannelEmail, Priority: desk.PriorityUrgent},
			10, 1, desk.PriorityUrgent, []Verdict{Matched, Shadowed, Shadowed, Shadowed, Shadowed}},
		{"position, not slice order", []Rule{
			{ID: 2, Name: "second", Position: 20, TeamID: 20},
			{ID: 1, Name: "first", Position: 10, TeamID: 10},
		}, Request{}, 1, 10, "", []Verdict{Matched, Shadowed}},
		{"equal positions by id", []Rule{
			{ID: 7, Name: "b", Position: 1, TeamID: 7},
			{ID: 3, Name: "a", Position: 1, TeamID: 3},
		}, Request{}, 3, 3, "", []Verdict{Matched, Shadowed}},
		{"no rules", nil, Request{Priority: desk.PriorityLow}, 0, 0, desk.PriorityLow, []Verdict{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Match(tt.rules, tt.req)
			if got.RuleID != tt.wantRule || got.TeamID != tt.wantTeam || got.Priority != tt.wantPrio {
				t.Errorf("Match() = rule %d team %d priority %q, want rule %d team %d priority %q",
					got.RuleID, got.TeamID, got.Priority, tt.wantRule, tt.wantTeam, tt.wantPrio)
			}
			verdicts := make([]Verdict, len(got.Explain))
			for i, c := range got.Explain {
				verdicts[i] = c.Verdict
			}
			if !slices.Equal(verdicts, tt.wantVerdicts) {
				t.Errorf("Match() verdicts = %v, want %v", verdicts, tt.wantVerdicts)
			}
		})
	}
}

func TestMatchNormalisesSkills(t *testing.T) {
	rules := []Rule{{ID: 1, Name: "NL", TeamID: 1, Skills: []Skill{{Name: "Lang:NL", Level: 0}, {Name: "category:billing", Level: 4}}}}
	got := Match(rules, Request{}).Skills
	want := []Skill{{Name: "lang:nl", Level: 1}, {Name: "category:billing", Level: 4}}
	if !slices.Equal(got, want) {
		t.Errorf("Match().Skills = %v, want %v", got, want)
	}
	if rules[0].Skills[0].Name != "Lang:NL" {
		t.Errorf("Match changed the rule's skills: %v", rules[0].Skills)
	}
}

func TestMatchExplain(t *testing.T) {
	rules := []Rule{
		{ID: 1, Name: "Dutch billing", Categories: []string{"billing"}, Languages: []string{"nl", "be"}, TeamID: 1},
		{ID: 2, Name: "Chat", Position: 1, Channels: []desk.ChannelKind{desk.ChannelWebChat, desk.ChannelWhatsApp}, TeamID: 2},
		{ID: 3, Name: "High", Position: 2, MinPriority: desk.PriorityHigh, TeamID: 3},
		{ID: 4, Name: "Any", Position: 3, TeamID: 4},
		{ID: 5, Name: "Any too", Position: 4, TeamID: 5},
	}
	got := Match(rules, Request{Category: "billing", Language: "en", Channel: desk.ChannelEmail, Priority: desk.PriorityLow})
	want := []string{
		`rule 1 "Dutch billing": language "en" is not one of nl, be`,
		`rule 2 "Chat": channel "email" is not one of webchat, whatsapp`,
		`rule 3 "High": priority "low" is below high`,
		`rule 4 "Any": matched`,
		`rule 5 "Any too": would match, but an earlier rule matched first`,
	}
	if len(got.Explain) != len(want) {
		t.Fatalf("Explain has %d checks, want %d: %v", len(got.Explain), len(want), got.Explain)
	}
	for i, c := range got.Explain {
		if c.String() != want[i] {
			t.Errorf("Explain[%d] = %s, want %s", i, c, want[i])
		}
	}
	if c := got.Explain[0]; c.Field != "language" || c.Got != "en" || !slices.Equal(c.Want, []string{"nl", "be"}) {
		t.Errorf("Explain[0] = %+v, want field language, got en, want [nl be]", c)
	}
}
