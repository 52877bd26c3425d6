package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestStatusLinkSweepPlan checks that the sweep of dead status links (every
// half minute, on the writer) reads the links by index, not the whole table.
func TestStatusLinkSweepPlan(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.rdb.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+deleteDeadStatusLinksSQL, 1000)
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
	for _, want := range []string{"USING INDEX status_links_expires", "USING INDEX status_links_revoked",
		"USING INDEX status_links_conversation"} {
		if !strings.Contains(got, want) {
			t.Errorf("plan %q, want it %s", got, want)
		}
	}
	if strings.Contains(got, "SCAN status_links") && !strings.Contains(got, "SCAN status_links USING") {
		t.Errorf("plan %q reads the whole table", got)
	}
}
