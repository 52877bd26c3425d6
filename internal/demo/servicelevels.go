package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// De Spaak's service levels: the teams' opening hours (Dutch public
// holidays off), what customers hear outside them, how each team takes its
// conversations, SLA policies, the agents' skills, and one routing rule.

// teamHours are the teams' hours as sla.Hours JSON (desk.TeamHours).
var teamHours = map[string]string{
	service: `{"zone":"Europe/Amsterdam","week":{"mon":"08:30-20:00","tue":"08:30-20:00","wed":"08:30-20:00",` +
		`"thu":"08:30-20:00","fri":"08:30-20:00","sat":"10:00-16:00","sun":"closed"},"public":"nl"}`,
	logistics: `{"zone":"Europe/Amsterdam","week":{"mon":"08:00-17:00","tue":"08:00-17:00","wed":"08:00-17:00",` +
		`"thu":"08:00-17:00","fri":"08:00-17:00","sat":"closed","sun":"closed"},"public":"nl"}`,
	finance: `{"zone":"Europe/Amsterdam","week":{"mon":"09:00-17:00","tue":"09:00-17:00","wed":"09:00-17:00",` +
		`"thu":"09:00-17:00","fri":"09:00-12:30","sat":"closed","sun":"closed"},"public":"nl"}`,
}

func (s *seeder) seedServiceLevels(ctx context.Context) error {
	for key, team := range s.teams {
		team.Settings = map[string]string{
			desk.TeamHours:  teamHours[key],
			desk.TeamAwayNL: "Bedankt voor je bericht! We zijn er weer {{next_open}}; dan lees je hier ons antwoord.",
			desk.TeamAwayEN: "Thanks for your message! We are back {{next_open}}; you will find our answer here.",
		}
		if key == finance {
			// Finance picks its own work from the queue.
			team.Mode = desk.RouteManual
		}
		if err := s.st.UpdateTeam(ctx, team); err != nil {
			return fmt.Errorf("team %s: %w", team.Name, err)
		}
	}
	policies := []desk.SLAPolicy{
		{Name: "Urgent en hoog", Priorities: []desk.Priority{desk.PriorityUrgent, desk.PriorityHigh},
			FirstResponse: 30 * time.Minute, NextResponse: time.Hour, Resolution: 8 * time.Hour},
		{Name: "Chat en WhatsApp", Channels: []desk.ChannelKind{desk.ChannelWebChat, desk.ChannelWhatsApp},
			FirstResponse: 5 * time.Minute, NextResponse: 10 * time.Minute, Resolution: 24 * time.Hour},
		{Name: "E-mail en partner-app", Channels: []desk.ChannelKind{desk.ChannelEmail, desk.ChannelAPI},
			FirstResponse: 4 * time.Hour, NextResponse: 8 * time.Hour, Resolution: 3 * 24 * time.Hour},
	}
	for i := range policies {
		p := &policies[i]
		p.Position, p.Enabled, p.WarnAt, p.BusinessHours = i+1, true, 0.8, true
		if err := s.st.CreateSLAPolicy(ctx, p); err != nil {
			return fmt.Errorf("SLA policy %s: %w", p.Name, err)
		}
	}
	skills := map[string][]desk.Skill{
		"anna":   {{Name: "lang:nl", Level: 5}, {Name: "lang:en", Level: 4}, {Name: "category:complaint", Level: 4}},
		"mark":   {{Name: "lang:nl", Level: 5}, {Name: "lang:en", Level: 4}, {Name: "category:billing", Level: 3}},
		"bram":   {{Name: "lang:nl", Level: 5}, {Name: "product:e-bike", Level: 5}, {Name: "category:technical", Level: 5}},
		"sanne":  {{Name: "lang:nl", Level: 5}, {Name: "category:billing", Level: 5}},
		"tom":    {{Name: "lang:en", Level: 5}, {Name: "lang:nl", Level: 2}},
		"fatima": {{Name: "lang:nl", Level: 5}, {Name: "lang:en", Level: 3}, {Name: "category:returns", Level: 4}},
	}
	for key, sk := range skills {
		if err := s.st.SetAgentSkills(ctx, s.agents[key].ID, sk); err != nil {
			return fmt.Errorf("skills of %s: %w", key, err)
		}
	}
	rules := []desk.RoutingRule{
		{Name: "Facturen naar Finance", Categories: []string{"billing"}, TeamID: s.teams[finance].ID,
			Skills: []desk.Skill{{Name: "category:billing", Level: 3}}},
		{Name: "Engelstalig naar Klantenservice (Engels)", Languages: []string{"en"}, TeamID: s.teams[service].ID,
			Skills: []desk.Skill{{Name: "lang:en", Level: 4}}},
	}
	for i := range rules {
		r := &rules[i]
		r.Position, r.Enabled = i+1, true
		if err := s.st.CreateRoutingRule(ctx, r); err != nil {
			return fmt.Errorf("routing rule %s: %w", r.Name, err)
		}
	}
	return nil
}
