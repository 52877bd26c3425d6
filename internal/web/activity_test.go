package web

import (
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

func TestActivityLine(t *testing.T) {
	f := newFixture(t)
	item := func(key string, args ...string) desk.ActivityItem { return desk.ActivityItem{Key: key, Args: args} }
	anna := func(items ...desk.ActivityItem) desk.Message {
		return desk.Message{Kind: desk.KindActivity, Sender: desk.SenderSystem, SenderID: 1, SenderName: "Anna de Vries",
			Body: "Anna de Vries: in English", Activity: items}
	}
	tests := []struct {
		name   string
		m      desk.Message
		nl, en string
	}{
		{"assigned and priority",
			anna(item(desk.ActivityAssigned, "Bram"), item(desk.ActivityPriority, "high")),
			"Anna de Vries: toegewezen aan Bram; prioriteit hoog",
			"Anna de Vries: assigned to Bram; priority high"},
		{"nobody, no team, no priority, no labels",
			anna(item(desk.ActivityAssigned, ""), item(desk.ActivityTeam, ""), item(desk.ActivityPriority, "none"),
				item(desk.ActivityLabels, "")),
			"Anna de Vries: toewijzing opgeheven; niet meer bij een team; prioriteit weggehaald; labels weggehaald",
			"Anna de Vries: unassigned; no longer with a team; priority removed; labels removed"},
		{"status changes",
			anna(item(desk.ActivityResolved), item(desk.ActivityReopened), item(desk.ActivityPending)),
			"Anna de Vries: afgehandeld; heropend; wacht nu op de klant",
			"Anna de Vries: resolved; reopened; now waiting for the customer"},
		{"team and labels",
			anna(item(desk.ActivityTeam, "Billing"), item(desk.ActivityLabels, "billing,vip")),
			"Anna de Vries: naar team Billing verplaatst; labels: billing, vip",
			"Anna de Vries: moved to team Billing; labels: billing, vip"},
		{"snooze time in the page's zone (CEST after 30 March)",
			anna(item(desk.ActivitySnoozed, "2025-03-31T07:00:00Z")),
			"Anna de Vries: gesnoozed tot 31 mrt 2025 09:00",
			"Anna de Vries: snoozed until 31 Mar 2025 09:00"},
		{"snooze ended, by balie itself (no sender name on read)",
			desk.Message{Kind: desk.KindActivity, Sender: desk.SenderSystem, Body: "balie: snooze ended, back in the inbox",
				Activity: []desk.ActivityItem{item(desk.ActivitySnoozeEnded)}},
			"balie: snooze voorbij, terug in de inbox",
			"balie: snooze ended, back in the inbox"},
		{"percent signs in a name stay as they are",
			anna(item(desk.ActivityAssigned, "100% Bram")),
			"Anna de Vries: toegewezen aan 100% Bram",
			"Anna de Vries: assigned to 100% Bram"},
		{"old row without activity: the body",
			desk.Message{Kind: desk.KindActivity, SenderName: "Anna de Vries", Body: "Anna de Vries: assigned to Bram"},
			"Anna de Vries: assigned to Bram", "Anna de Vries: assigned to Bram"},
		{"unknown key: the body", anna(item(desk.ActivityAssigned, "Bram"), item("escalated", "x")),
			"Anna de Vries: in English", "Anna de Vries: in English"},
		{"missing argument: the body", anna(item(desk.ActivityAssigned)),
			"Anna de Vries: in English", "Anna de Vries: in English"},
		{"unknown priority: the body", anna(item(desk.ActivityPriority, "critical")),
			"Anna de Vries: in English", "Anna de Vries: in English"},
		{"malformed time: the body", anna(item(desk.ActivitySnoozed, "tomorrow")),
			"Anna de Vries: in English", "Anna de Vries: in English"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, lc := range []struct{ locale, want string }{{"nl", tc.nl}, {"en", tc.en}} {
				render := f.h.funcs(lc.locale)["activity"].(func(desk.Message) string)
				if got := render(tc.m); got != lc.want {
					t.Errorf("%s: got %q, want %q", lc.locale, got, lc.want)
				}
			}
		})
	}
}
