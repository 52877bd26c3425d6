package postgres

import (
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
)

// TestDeleteKBCategoryRace deletes a category while another transaction,
// not yet committed, puts an article in it. The delete's emptiness check
// cannot see that article; the foreign key can, once the other commits, and
// the delete must then fail as ErrConflict (the category is in use), not as
// the invalid reference a foreign-key violation usually is.
func TestDeleteKBCategoryRace(t *testing.T) {
	s, dsn := openFresh(t)
	defer s.Close()
	ctx := t.Context()
	c := &desk.KBCategory{Locale: "nl", Slug: "retour", Name: "Retour"}
	if err := s.CreateKBCategory(ctx, c); err != nil {
		t.Fatalf("CreateKBCategory: %v", err)
	}

	other, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer other.Close(ctx)
	tx, err := other.Begin(ctx)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // committed below on success
	if _, err := tx.Exec(ctx, `INSERT INTO kb_articles (group_id, locale, category_id, slug, status, created_at, updated_at)
		VALUES (0, 'nl', $1, 'a', 'draft', now(), now())`, c.ID); err != nil {
		t.Fatalf("insert article: %v", err)
	}

	done := make(chan error, 1)
	go func() { done <- s.DeleteKBCategory(ctx, c.ID) }()
	// The delete must be waiting for the other transaction's lock on the
	// category before that commits, or it would see the article.
	for waiting := false; !waiting; {
		select {
		case err := <-done:
			t.Fatalf("DeleteKBCategory returned %v before the other transaction ended", err)
		case <-time.After(10 * time.Millisecond):
		}
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted)`).Scan(&waiting); err != nil {
			t.Fatalf("look for the waiting delete: %v", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatalf("commit: %v", err)
	}
	err = <-done
	if !errors.Is(err, desk.ErrConflict) {
		t.Errorf("DeleteKBCategory = %v, want ErrConflict", err)
	}
	if errors.Is(err, desk.ErrInvalid) || errors.Is(err, desk.ErrNotFound) {
		t.Errorf("DeleteKBCategory = %v, want only ErrConflict", err)
	}
	if _, err := s.KBCategoryByID(ctx, c.ID); err != nil {
		t.Errorf("KBCategoryByID after the failed delete: %v", err)
	}
}

// TestKBConflictInTx checks that a KB write breaking a constraint inside a
// transaction leaves it usable, as guarded promises: PostgreSQL would
// otherwise abort the whole transaction.
func TestKBConflictInTx(t *testing.T) {
	s, _ := openFresh(t)
	defer s.Close()
	ctx := t.Context()
	err := s.InTx(ctx, func(tx desk.Store) error {
		kb := tx.(desk.KBStore)
		a := &desk.Article{Locale: "nl", Slug: "a", Title: "A", Status: desk.ArticleDraft}
		if err := kb.CreateArticle(ctx, a); err != nil {
			return err
		}
		tests := []struct {
			name string
			err  error
			want error
		}{
			{"taken slug", kb.CreateArticle(ctx, &desk.Article{Locale: "nl", Slug: "a", Status: desk.ArticleDraft}), desk.ErrConflict},
			{"unknown category", kb.CreateArticle(ctx, &desk.Article{Locale: "nl", Slug: "b", CategoryID: 424242, Status: desk.ArticleDraft}), desk.ErrInvalid},
			{"revision number taken", func() error {
				if err := kb.AddArticleRevision(ctx, &desk.ArticleRevision{ArticleID: a.ID, Number: 1}); err != nil {
					return err
				}
				return kb.AddArticleRevision(ctx, &desk.ArticleRevision{ArticleID: a.ID, Number: 1})
			}(), desk.ErrConflict},
			{"view of a missing article", kb.RecordArticleView(ctx, &desk.ArticleView{ArticleID: 424242}), desk.ErrNotFound},
		}
		for _, tc := range tests {
			if !errors.Is(tc.err, tc.want) {
				t.Errorf("%s = %v, want %v", tc.name, tc.err, tc.want)
			}
		}
		return kb.SetFAQPins(ctx, "", "nl", []int64{a.GroupID})
	})
	if err != nil {
		t.Fatalf("InTx: %v", err)
	}
	got, err := s.FAQPins(ctx, "", "nl")
	if err != nil || len(got) != 1 {
		t.Errorf("FAQPins after the transaction = %v, %v; want the one pin", got, err)
	}
	n, err := s.CountArticles(ctx, desk.ArticleQuery{})
	if err != nil || n != 1 {
		t.Errorf("CountArticles after the transaction = %d, %v; want 1", n, err)
	}
}
