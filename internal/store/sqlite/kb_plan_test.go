package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// TestKBPlans checks that the knowledge-base lookups that run often, or
// over tables that grow without bound, use their index.
func TestKBPlans(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	since := time.Now()
	listQuery := func(q desk.ArticleQuery) (string, []any) {
		query, args := articleList(q)
		return query, append(args, 100, 0)
	}
	for _, tc := range []struct {
		name  string
		query string
		args  []any
		index string
	}{
		{"article by slug", `SELECT ` + articleCols + ` FROM kb_articles WHERE locale = ? AND slug = ?`, []any{"nl", "x"}, "kb_articles_slug"},
		{"changed articles", "", nil, "kb_articles_updated"},
		{"translations", "", nil, "kb_articles_group"},
		{"views in a context", "", nil, "kb_views_context"},
		{"views in a context and locale", "", nil, "kb_views_context"},
		{"views since", "", nil, "kb_views_at"},
		{"searches of a period", "", nil, "kb_search_logs_created"},
	} {
		switch tc.name {
		case "changed articles":
			tc.query, tc.args = listQuery(desk.ArticleQuery{ChangedSince: &since})
		case "translations":
			tc.query, tc.args = listQuery(desk.ArticleQuery{GroupID: 7})
		case "views in a context":
			tc.query, tc.args = contextViews("url:/checkout", "", since)
		case "views in a context and locale":
			tc.query, tc.args = contextViews("url:/checkout", "nl", since)
		case "views since":
			tc.query, tc.args = contextViews("", "", since)
		case "searches of a period":
			tc.query, tc.args = queryStatsSQL("searches"), []any{1, 2, "", ""}
		}
		if strings.Count(tc.query, "?") > len(tc.args) {
			tc.args = append(tc.args, 50) // the LIMIT
		}
		rows, err := s.rdb.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+tc.query, tc.args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
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
		if got := strings.Join(plan, "; "); !strings.Contains(got, "INDEX "+tc.index) {
			t.Errorf("%s: plan %q, want it to use %s", tc.name, got, tc.index)
		}
	}
}
