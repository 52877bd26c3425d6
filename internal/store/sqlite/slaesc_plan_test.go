package sqlite

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// TestSLAFilterPlans checks that the inbox's SLA filter reads the partial
// index conversations_sla_state, not all (open) conversations: one state
// and status in list order; several states a range each, sorted afterwards
// (few rows: only the conversations in those states).
func TestSLAFilterPlans(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	atRisk := []desk.SLAState{desk.SLAWarning, desk.SLABreached}
	for _, tc := range []struct {
		name    string
		q       desk.ConversationQuery
		maySort bool
	}{
		{"breached open", desk.ConversationQuery{SLAStates: []desk.SLAState{desk.SLABreached}, Status: desk.StatusOpen}, false},
		{"at risk open", desk.ConversationQuery{SLAStates: atRisk, Status: desk.StatusOpen}, true},
		{"at risk", desk.ConversationQuery{SLAStates: atRisk}, true},
	} {
		where, args, _, err := convFilter(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		query, args := listQueryFrom(convTable(tc.q), where, args, nil)
		rows, err := s.rdb.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, append(args, 50)...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		got := strings.Join(plan, "; ")
		if !strings.Contains(got, "INDEX conversations_sla_state") || (!tc.maySort && strings.Contains(got, "TEMP B-TREE")) {
			t.Errorf("%s: plan %q, want a search of conversations_sla_state (sorting allowed: %v)", tc.name, got, tc.maySort)
		}
	}
}
