package demo

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/sla"
	"github.com/balie-dev/balie/internal/testenv"
)

// TestSeedServiceLevels: every team has valid hours and away texts, the SLA
// policies and routing rules are there, and Saturday evening the customer
// service is closed until Monday morning.
func TestSeedServiceLevels(t *testing.T) {
	ctx := context.Background()
	st := testenv.OpenSQLite(t)
	seed(t, st)
	teams, err := st.ListTeams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range teams {
		var h sla.Hours
		if err := json.Unmarshal([]byte(tm.Settings[desk.TeamHours]), &h); err != nil {
			t.Fatalf("team %s: hours: %v", tm.Name, err)
		}
		if tm.Settings[desk.TeamAwayNL] == "" || tm.Settings[desk.TeamAwayEN] == "" {
			t.Errorf("team %s has no away texts", tm.Name)
		}
		if tm.Name == "Klantenservice" {
			sat := time.Date(2026, 11, 28, 19, 0, 0, 0, h.Loc) // a Saturday evening
			if h.Open(sat) {
				t.Errorf("customer service open on Saturday 19:00")
			}
			if got := h.NextOpen(sat); got.Weekday() != time.Monday || got.Hour() != 8 || got.Minute() != 30 {
				t.Errorf("customer service opens again %v, want Monday 08:30", got)
			}
		}
	}
	policies, err := st.ListSLAPolicies(ctx)
	if err != nil || len(policies) != 3 {
		t.Fatalf("SLA policies = %d, %v; want 3", len(policies), err)
	}
	for _, p := range policies {
		if !p.Enabled || p.FirstResponse == 0 || !p.BusinessHours {
			t.Errorf("policy %+v: want enabled, with a first-response target in business hours", p)
		}
	}
	rules, err := st.ListRoutingRules(ctx)
	if err != nil || len(rules) != 2 {
		t.Fatalf("routing rules = %d, %v; want 2", len(rules), err)
	}
}
