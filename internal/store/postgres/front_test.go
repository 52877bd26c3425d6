package postgres

import (
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
)

// TestFrontConflictInTx checks that front-line writes breaking a constraint
// inside a transaction leave it usable, as guarded promises.
func TestFrontConflictInTx(t *testing.T) {
	s, _ := openFresh(t)
	defer s.Close()
	ctx := t.Context()
	err := s.InTx(ctx, func(tx desk.Store) error {
		flows, replies := tx.(desk.FlowStore), tx.(desk.SavedReplyStore)
		f := &desk.Flow{Locale: "nl", Slug: "wifi", Title: "Wifi", Status: desk.ArticleDraft}
		if err := flows.CreateFlow(ctx, f); err != nil {
			return err
		}
		if err := replies.CreateSavedReply(ctx, &desk.SavedReply{Locale: "nl", Title: "Retour", Shortcut: "/retour"}); err != nil {
			return err
		}
		tests := []struct {
			name string
			err  error
			want error
		}{
			{"taken slug", flows.CreateFlow(ctx, &desk.Flow{Locale: "nl", Slug: "wifi", Status: desk.ArticleDraft}), desk.ErrConflict},
			{"version taken", func() error {
				if err := flows.AddFlowVersion(ctx, &desk.FlowVersion{FlowID: f.ID, Version: 1}); err != nil {
					return err
				}
				return flows.AddFlowVersion(ctx, &desk.FlowVersion{FlowID: f.ID, Version: 1})
			}(), desk.ErrConflict},
			{"version of a missing flow", flows.AddFlowVersion(ctx, &desk.FlowVersion{FlowID: 424242, Version: 1}), desk.ErrNotFound},
			{"run of a missing flow", flows.CreateFlowRun(ctx, &desk.FlowRun{FlowID: 424242}), desk.ErrNotFound},
			{"taken shortcut", replies.CreateSavedReply(ctx, &desk.SavedReply{Locale: "nl", Shortcut: "/retour"}), desk.ErrConflict},
		}
		for _, tc := range tests {
			if !errors.Is(tc.err, tc.want) {
				t.Errorf("%s = %v, want %v", tc.name, tc.err, tc.want)
			}
		}
		return flows.CreateFlowRun(ctx, &desk.FlowRun{FlowID: f.ID, Version: 1})
	})
	if err != nil {
		t.Fatalf("InTx: %v", err)
	}
	f, err := s.FlowBySlug(ctx, "nl", "wifi")
	if err != nil {
		t.Fatalf("FlowBySlug after the transaction: %v", err)
	}
	runs, err := s.FlowRuns(ctx, f.ID, f.CreatedAt.AddDate(0, 0, -1), f.CreatedAt.AddDate(0, 0, 1), 0)
	if err != nil || len(runs) != 1 {
		t.Errorf("FlowRuns after the transaction = %v, %v; want the one run", runs, err)
	}
}

// TestCategoryFilterUsesIndex checks that the list's category filter can
// use the partial index in a generic plan, which knows nothing of the
// category asked for: the query must say that the category is not empty.
func TestCategoryFilterUsesIndex(t *testing.T) {
	s, dsn := openFresh(t)
	defer s.Close()
	ctx := t.Context()
	tests := []struct {
		name string
		q    desk.ConversationQuery
		args string // the values of buildList's arguments, in order
	}{
		{"category", desk.ConversationQuery{Category: "billing"}, `('billing')`},
		{"category and status", desk.ConversationQuery{Category: "billing", Status: desk.StatusOpen}, `('open', 'billing')`},
	}
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer c.Close(ctx)
	// An empty table is read whole otherwise; a generic plan is what a
	// cached statement may get.
	for _, set := range []string{`SET enable_seqscan = off`, `SET plan_cache_mode = force_generic_plan`} {
		if _, err := c.Exec(ctx, set); err != nil {
			t.Fatalf("%s: %v", set, err)
		}
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := buildList(tc.q)
			if err != nil {
				t.Fatalf("buildList: %v", err)
			}
			name := "plan_" + string(rune('a'+i))
			sql := `SELECT c.id FROM ` + b.from + b.whereClause() + ` ORDER BY ` + b.at + ` DESC, ` + b.id + ` DESC LIMIT 50`
			if _, err := c.Exec(ctx, `PREPARE `+name+` AS `+sql); err != nil {
				t.Fatalf("prepare %s: %v", sql, err)
			}
			rows, err := c.Query(ctx, `EXPLAIN EXECUTE `+name+tc.args)
			if err != nil {
				t.Fatalf("explain: %v", err)
			}
			var plan []string
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					t.Fatalf("explain: %v", err)
				}
				plan = append(plan, line)
			}
			if err := rows.Err(); err != nil {
				t.Fatalf("explain: %v", err)
			}
			if got := strings.Join(plan, "\n"); !strings.Contains(got, "conversations_category_idx") {
				t.Errorf("plan of %s does not use conversations_category_idx:\n%s", sql, got)
			}
		})
	}
}
