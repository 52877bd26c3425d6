package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// TestListPlans checks that the default inbox views are index range scans
// in list order: no sorting, so a page costs the same at any table size.
func TestListPlans(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	after := &desk.Cursor{At: time.Now(), ID: 99}
	for _, tc := range []struct {
		name  string
		q     desk.ConversationQuery
		index string
	}{
		{"all", desk.ConversationQuery{View: desk.ViewAll}, "conversations_activity"},
		{"all open", desk.ConversationQuery{Status: desk.StatusOpen}, "conversations_status"},
		{"mine open", desk.ConversationQuery{View: desk.ViewMine, AgentID: 3, Status: desk.StatusOpen}, "conversations_assignee"},
		{"unassigned open", desk.ConversationQuery{View: desk.ViewUnassigned, Status: desk.StatusOpen}, "conversations_assignee"},
		{"one team open", desk.ConversationQuery{View: desk.ViewMyTeams, TeamIDs: []int64{2}, Status: desk.StatusOpen}, "conversations_team"},
		{"team filter open", desk.ConversationQuery{TeamID: 2, Status: desk.StatusOpen}, "conversations_team"},
		{"category", desk.ConversationQuery{Category: "levering"}, "conversations_category"},
	} {
		for _, cursor := range []*desk.Cursor{nil, after} {
			where, args, _, err := convFilter(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			query, args := listQuery(where, args, cursor)
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
			if !strings.Contains(got, "USING INDEX "+tc.index) || strings.Contains(got, "TEMP B-TREE") {
				t.Errorf("%s (cursor %v): plan %q, want a scan of %s without sorting", tc.name, cursor != nil, got, tc.index)
			}
		}
	}
}
