package sqlite

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestIdentityPlans checks that the identity graph's lookups are index
// probes, never a scan of a whole table, however many contacts there are.
func TestIdentityPlans(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		name    string
		query   string
		args    []any
		indexes []string
		// ctes are the query's own working tables, scanned by design.
		ctes []string
	}{
		{"contacts with phone", contactsWithPhoneSQL, []any{"31612345678", "+31612345678"},
			[]string{"contacts_phone", "sqlite_autoindex_identities_1"}, nil},
		{"contacts with email", contactsWithEmailSQL, []any{"a@example.com", "a@example.com"},
			[]string{"contacts_email", "identities_email_lower"}, nil},
		{"contact merges", contactMergesSQL, []any{1}, []string{"contact_merges_kept"}, nil},
		{"deleted identity out of merges", scrubMergedIdentitySQL, []any{1, 2, 2}, []string{"contact_merges_kept"},
			[]string{"SCAN t", "SCAN tree"}},
		{"new contact id", `SELECT 1 + max(COALESCE((SELECT max(id) FROM contacts), 0),
			COALESCE((SELECT max(merged_id) FROM contact_merges), 0))`, nil, []string{"contact_merges_merged"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := s.rdb.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+tc.query, tc.args...)
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
			got := strings.Join(plan, "; ")
			t.Logf("plan: %s", got)
			for _, ix := range tc.indexes {
				if !strings.Contains(got, ix) {
					t.Errorf("plan %q, want it to use %s", got, ix)
				}
			}
			for _, p := range plan {
				if strings.HasPrefix(p, "SCAN ") && !strings.Contains(p, "INDEX") && p != "SCAN CONSTANT ROW" &&
					!slices.Contains(tc.ctes, p) {
					t.Errorf("plan %q scans a table (%s)", got, p)
				}
			}
		})
	}
}
