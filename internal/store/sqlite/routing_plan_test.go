package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSLADuePlan checks that both halves of SLADue are range scans of the
// partial index conversations_sla_due, not scans of every conversation:
// the sweep runs every few seconds on tables of millions of resolved
// conversations.
func TestSLADuePlan(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.rdb.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+slaDueQuery, 50)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(plan, "; ")
	if n := strings.Count(got, "USING INDEX conversations_sla_due"); n != 2 {
		t.Errorf("plan %q uses conversations_sla_due %d times, want 2 (one per half)", got, n)
	}
	for _, p := range plan {
		if strings.HasPrefix(p, "SCAN conversations") && !strings.Contains(p, "USING") {
			t.Errorf("plan %q scans the whole table", got)
		}
	}
}
