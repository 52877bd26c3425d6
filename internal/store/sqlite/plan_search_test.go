package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestContactSearchUsesIndexes guards the contact lookups of conversation
// search against full scans: with partial indexes, SQLite only uses the
// index when the query repeats the index's condition.
func TestContactSearchUsesIndexes(t *testing.T) {
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, text := range []string{"jan@example.nl", "123456789", "06 12345678"} {
		m := contactMatch(text)
		rows, err := st.rdb.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+m.sql, m.args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN contacts") || strings.HasPrefix(step, "SCAN identities") {
				t.Errorf("search %q scans a table: %s", text, strings.Join(plan, " | "))
			}
		}
	}
}
