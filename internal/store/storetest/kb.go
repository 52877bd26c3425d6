package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// The knowledge base (desk.KBStore). Titles, names and queries whose order
// is checked are plain ASCII words of one case, so that SQLite's binary
// order and a PostgreSQL collation agree.

// kbOf returns the knowledge-base side of s.
func kbOf(t *testing.T, s desk.Store) desk.KBStore {
	t.Helper()
	kb, ok := s.(desk.KBStore)
	if !ok {
		t.Fatalf("%T does not implement desk.KBStore", s)
	}
	return kb
}

func newCategory(t *testing.T, kb desk.KBStore, locale, slug string, parent int64, position int) *desk.KBCategory {
	t.Helper()
	c := &desk.KBCategory{ParentID: parent, Locale: locale, Slug: slug, Name: "Cat " + slug, Position: position}
	must(t, kb.CreateKBCategory(ctx(t), c), "CreateKBCategory "+slug)
	return c
}

// newArticle stores a with defaults for what it leaves empty.
func newArticle(t *testing.T, kb desk.KBStore, a desk.Article) *desk.Article {
	t.Helper()
	if a.Locale == "" {
		a.Locale = "nl"
	}
	if a.Title == "" {
		a.Title = "Title " + a.Slug
	}
	if a.Status == "" {
		a.Status = desk.ArticlePublished
	}
	must(t, kb.CreateArticle(ctx(t), &a), "CreateArticle "+a.Slug)
	return &a
}

func articleIDs(as []desk.Article) []int64 {
	return ids(as, func(a desk.Article) int64 { return a.ID })
}

func categoryIDs(cs []desk.KBCategory) []int64 {
	return ids(cs, func(c desk.KBCategory) int64 { return c.ID })
}

func tp(tm time.Time) *time.Time { return &tm }

// checkNow checks that a time the store set itself is the current time,
// give or take a second (the database's clock may be the one used).
func checkNow(t *testing.T, field string, got, before time.Time) {
	t.Helper()
	if got.Before(before.Add(-time.Second)) || got.After(time.Now().Add(time.Second)) {
		t.Errorf("%s = %v, want about now (%v)", field, got, before)
	}
	if got.Location() != time.UTC {
		t.Errorf("%s location = %v, want UTC", field, got.Location())
	}
}

func checkOptTime(t *testing.T, field string, got, want *time.Time) {
	t.Helper()
	switch {
	case want == nil && got != nil:
		t.Errorf("%s = %v, want nil", field, *got)
	case want != nil && got == nil:
		t.Errorf("%s = nil, want %v", field, ms(*want))
	case want != nil:
		checkTime(t, field, *got, *want)
	}
}

func checkArticle(t *testing.T, what string, got, want *desk.Article) {
	t.Helper()
	if got.ID != want.ID || got.GroupID != want.GroupID || got.Locale != want.Locale || got.CategoryID != want.CategoryID ||
		got.Slug != want.Slug || got.Title != want.Title || got.Description != want.Description || got.Body != want.Body ||
		got.Status != want.Status || got.Internal != want.Internal || got.Position != want.Position ||
		got.AuthorID != want.AuthorID || got.UpdatedBy != want.UpdatedBy || got.Revision != want.Revision {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
	if !sameStrings(got.Questions, want.Questions) || !sameStrings(got.Contexts, want.Contexts) || !sameIDs(got.Related, want.Related) {
		t.Errorf("%s slices = %q %q %v, want %q %q %v", what, got.Questions, got.Contexts, got.Related,
			want.Questions, want.Contexts, want.Related)
	}
	// Empty slices come back nil.
	if len(want.Questions) == 0 && got.Questions != nil || len(want.Contexts) == 0 && got.Contexts != nil ||
		len(want.Related) == 0 && got.Related != nil {
		t.Errorf("%s: empty slices = %#v %#v %#v, want nil", what, got.Questions, got.Contexts, got.Related)
	}
	checkOptTime(t, what+" ReviewedAt", got.ReviewedAt, want.ReviewedAt)
	checkOptTime(t, what+" PublishedAt", got.PublishedAt, want.PublishedAt)
	checkTime(t, what+" CreatedAt", got.CreatedAt, want.CreatedAt)
}

var kbTests = []test{
	{"category crud", func(t *testing.T, s desk.Store) {
		kb := kbOf(t, s)
		c := &desk.KBCategory{Locale: "nl", Slug: "bestellen", Name: "Bestellen", Description: "Alles over bestellen",
			Icon: "cart", Position: 3, CreatedAt: at(0)}
		must(t, kb.CreateKBCategory(ctx(t), c), "CreateKBCategory")
		if c.ID == 0 || c.GroupID != c.ID {
			t.Fatalf("after create ID = %d, GroupID = %d; want GroupID = ID", c.ID, c.GroupID)
		}
		checkTime(t, "UpdatedAt set from CreatedAt", c.UpdatedAt, at(0))
		en := &desk.KBCategory{GroupID: c.ID, Locale: "en", Slug: "ordering", Name: "Ordering"}
		before := time.Now()
		must(t, kb.CreateKBCategory(ctx(t), en), "CreateKBCategory translation")
		if en.GroupID != c.ID {
			t.Errorf("translation GroupID = %d, want %d", en.GroupID, c.ID)
		}
		checkNow(t, "zero CreatedAt", en.CreatedAt, before)
		sec := newCategory(t, kb, "nl", "betalen", c.ID, 1)

		for _, get := range []struct {
			name string
			fn   func() (*desk.KBCategory, error)
		}{
			{"by id", func() (*desk.KBCategory, error) { return kb.KBCategoryByID(ctx(t), c.ID) }},
			{"by slug", func() (*desk.KBCategory, error) { return kb.KBCategoryBySlug(ctx(t), "nl", "bestellen") }},
		} {
			got, err := get.fn()
			must(t, err, get.name)
			if got.ID != c.ID || got.GroupID != c.ID || got.ParentID != 0 || got.Locale != "nl" || got.Slug != "bestellen" ||
				got.Name != "Bestellen" || got.Description != c.Description || got.Icon != "cart" || got.Position != 3 {
				t.Errorf("%s = %+v, want %+v", get.name, got, c)
			}
			checkTime(t, get.name+" CreatedAt", got.CreatedAt, at(0))
			checkTime(t, get.name+" UpdatedAt", got.UpdatedAt, at(0))
		}
		got, err := kb.KBCategoryByID(ctx(t), sec.ID)
		must(t, err, "KBCategoryByID section")
		if got.ParentID != c.ID {
			t.Errorf("section ParentID = %d, want %d", got.ParentID, c.ID)
		}

		// Update writes every field but ID, GroupID and CreatedAt, and moves
		// UpdatedAt to now whatever the caller had in it.
		upd := &desk.KBCategory{ID: sec.ID, GroupID: 999, ParentID: 0, Locale: "nl", Slug: "betaling", Name: "Betaling",
			Description: "Betalen", Icon: "card", Position: 7, CreatedAt: at(50), UpdatedAt: at(50)}
		before = time.Now()
		must(t, kb.UpdateKBCategory(ctx(t), upd), "UpdateKBCategory")
		got, err = kb.KBCategoryByID(ctx(t), sec.ID)
		must(t, err, "KBCategoryByID after update")
		if got.GroupID != sec.ID || got.ParentID != 0 || got.Slug != "betaling" || got.Name != "Betaling" ||
			got.Description != "Betalen" || got.Icon != "card" || got.Position != 7 {
			t.Errorf("after update = %+v", got)
		}
		checkTime(t, "CreatedAt after update", got.CreatedAt, sec.CreatedAt)
		checkNow(t, "UpdatedAt after update", got.UpdatedAt, before)
		_, err = kb.KBCategoryBySlug(ctx(t), "nl", "betalen")
		wantErr(t, err, desk.ErrNotFound, "KBCategoryBySlug old slug")

		wantErr(t, kb.UpdateKBCategory(ctx(t), &desk.KBCategory{ID: 424242, Locale: "nl", Slug: "x", Name: "x"}),
			desk.ErrNotFound, "UpdateKBCategory missing")
		must(t, kb.DeleteKBCategory(ctx(t), sec.ID), "DeleteKBCategory")
		_, err = kb.KBCategoryByID(ctx(t), sec.ID)
		wantErr(t, err, desk.ErrNotFound, "KBCategoryByID after delete")
		wantErr(t, kb.DeleteKBCategory(ctx(t), sec.ID), desk.ErrNotFound, "DeleteKBCategory twice")
		_, err = kb.KBCategoryBySlug(ctx(t), "en", "bestellen")
		wantErr(t, err, desk.ErrNotFound, "KBCategoryBySlug other locale")
	}},
	{"category slug unique per locale", func(t *testing.T, s desk.Store) {
		kb := kbOf(t, s)
		first := newCategory(t, kb, "nl", "retour", 0, 0)
		other := newCategory(t, kb, "nl", "levering", 0, 0)
		newArticle(t, kb, desk.Article{Slug: "garantie"})
		tests := []struct {
			name   string
			locale string
			slug   string
			want   error
		}{
			{"same locale", "nl", "retour", desk.ErrConflict},
			{"other locale", "en", "retour", nil},
			{"an article's slug", "nl", "garantie", nil},
		}
		for _, tc := range tests {
			err := kb.CreateKBCategory(ctx(t), &desk.KBCategory{Locale: tc.locale, Slug: tc.slug, Name: tc.name})
			if tc.want == nil {
				must(t, err, "CreateKBCategory "+tc.name)
			} else {
				wantErr(t, err, tc.want, "CreateKBCategory "+tc.name)
			}
		}
		other.Slug = first.Slug
		wantErr(t, kb.UpdateKBCategory(ctx(t), other), desk.ErrConflict, "UpdateKBCategory to a taken slug")
	}},
	{"category parent must exist", func(t *testing.T, s desk.Store) {
		kb := kbOf(t, s)
		err := kb.CreateKBCategory(ctx(t), &desk.KBCategory{ParentID: 424242, Locale: "nl", Slug: "x", Name: "x"})
		wantErr(t, err, desk.ErrInvalid, "CreateKBCategory unknown parent")
		c := newCategory(t, kb, "nl", "a", 0, 0)
		c.ParentID = 424242
		wantErr(t, kb.UpdateKBCategory(ctx(t), c), desk.ErrInvalid, "UpdateKBCategory unknown parent")
	}},
	{"delete a category that is not empty", func(t *testing.T, s desk.Store) {
		kb := kbOf(t, s)
		c := newCategory(t, kb, "nl", "account", 0, 0)
		sec := newCategory(t, kb, "nl", "wachtwoord", c.ID, 0)
		a := newArticle(t, kb, desk.Article{Slug: "vergeten", CategoryID: sec.ID, Status: desk.ArticleArchived})
		wantErr(t, kb.DeleteKBCategory(ctx(t), c.ID), desk.ErrConflict, "DeleteKBCategory with a section")
		wantErr(t, kb.DeleteKBCategory(ctx(t), sec.ID), desk.ErrConflict, "DeleteKBCategory with an archived article")
		must(t, kb.DeleteArticle(ctx(t), a.ID), "DeleteArticle")
		must(t, kb.DeleteKBCategory(ctx(t), sec.ID), "DeleteKBCategory emptied section")
		must(t, kb.DeleteKBCategory(ctx(t), c.ID), "DeleteKBCategory emptied category")
	}},
	{"list categories", func(t *testing.T, s desk.Store) {
		kb := kbOf(t, s)
		mk := func(locale, slug, name string, position int) *desk.KBCategory {
			c := &desk.KBCategory{Locale: locale, Slug: slug, Name: name, Position: position}
			must(t, kb.CreateKBCategory(ctx(t), c), "CreateKBCategory "+slug)
			return c
		}
		nlC := mk("nl", "c", "Charlie", 1) // before Bravo: the name, not the ID, orders them
		nlA := mk("nl", "a", "Alpha", 2)
		nlB := mk("nl", "b", "Bravo", 1)
		enA := mk("en", "a", "Alpha", 0)
		nlD := mk("nl", "d", "Delta", 0)
		tests := []struct {
			locale string
			want   []int64
		}{
			{"nl", []int64{nlD.ID, nlB.ID, nlC.ID, nlA.ID}},
			{"en", []int64{enA.ID}},
			{"", []int64{enA.ID, nlD.ID, nlB.ID, nlC.ID, nlA.ID}},
			{"de", nil},
		}
		for _, tc := range tests {
			list, err := kb.ListKBCategories(ctx(t), tc.locale)
			must(t, err, "ListKBCategories "+tc.locale)
			if got := categoryIDs(list); !sameIDs(got, tc.want) {
				t.Errorf("ListKBCategories(%q) = %v, want %v", tc.locale, got, tc.want)
			}
		}
	}},
	{"article round trip", func(t *testing.T, s desk.Store) {
		kb := kbOf(t, s)
		agent := newAgent(t, s, "Anna", "anna@example.com")
		c := newCategory(t, kb, "nl", "retour", 0, 0)
		a := &desk.Article{
			Locale: "nl", CategoryID: c.ID, Slug: "retour-aanvragen", Title: "Retour aanvragen",
			Description: "Zo stuurt u iets terug", Questions: []string{"hoe stuur ik iets terug", "retourneren"},
			Body: "# Retour\n\nGa naar **Mijn bestellingen**.", Status: desk.ArticlePublished, Internal: true,
			Related: []int64{42, 7}, Contexts: []string{"url:/checkout", "label:retour"}, Position: 4,
			AuthorID: agent.ID, UpdatedBy: agent.ID, Revision: 3, ReviewedAt: tp(at(10)), PublishedAt: tp(at(5)),
			CreatedAt: at(0), UpdatedAt: at(20),
		}
		must(t, kb.CreateArticle(ctx(t), a), "CreateArticle")
		if a.ID == 0 || a.GroupID != a.ID {
			t.Fatalf("after create ID = %d, GroupID = %d; want GroupID = ID", a.ID, a.GroupID)
		}
		for _, get := range []struct {
			name string
			fn   func() (*desk.Article, error)
		}{
			{"by id", func() (*desk.Article, error) { return kb.ArticleByID(ctx(t), a.ID) }},
			{"by slug", func() (*desk.Article, error) { return kb.ArticleBySlug(ctx(t), "nl", "retour-aanvragen") }},
		} {
			got, err := get.fn()
			must(t, err, get.name)
			checkArticle(t, get.name, got, a)
			checkTime(t, get.name+" UpdatedAt", got.UpdatedAt, at(20))
		}

		// A translation with its own times unset and its slices empty.
		en := &desk.Article{GroupID: a.ID, Locale: "en", Slug: "retour-aanvragen", Title: "Request a return",
			Questions: []string{}, Related: []int64{}, Status: desk.ArticleDraft}
		before := time.Now()
		must(t, kb.CreateArticle(ctx(t), en), "CreateArticle translation with the same slug")
		got, err := kb.ArticleBySlug(ctx(t), "en", "retour-aanvragen")
		must(t, err, "ArticleBySlug en")
		if got.ID != en.ID || got.GroupID != a.ID {
			t.Errorf("translation = id %d group %d, want id %d group %d", got.ID, got.GroupID, en.ID, a.ID)
		}
		checkArticle(t, "translation", got, en)
		checkNow(t, "zero CreatedAt", got.CreatedAt, before)
		checkTime(t, "zero UpdatedAt is CreatedAt", got.UpdatedAt, got.CreatedAt)

		_, err = kb.ArticleByID(ctx(t), 424242)
		wantErr(t, err, desk.ErrNotFound, "ArticleByID missing")
		_, err = kb.ArticleBySlug(ctx(t), "de", "retour-aanvragen")
		wantErr(t, err, desk.ErrNotFound, "ArticleBySlug other locale")
		wantErr(t, kb.CreateArticle(ctx(t), &desk.Article{Locale: "nl", Slug: "retour-aanvragen", Title: "x", Status: desk.ArticleDraft}),
			desk.ErrConflict, "CreateArticle same slug and locale")
		wantErr(t, kb.CreateArticle(ctx(t), &desk.Article{Locale: "nl", Slug: "x", Title: "x", Status: desk.ArticleDraft, CategoryID: 424242}),
			desk.ErrInvalid, "CreateArticle unknown category")
	}},
	{"article update", func(t *testing.T, s desk.Store) {
		kb := kbOf(t, s)
		anna := newAgent(t, s, "Anna", "anna@example.com")
		bram := newAgent(t, s, "Bram", "bram@example.com")
		c1 := newCategory(t, kb, "nl", "one", 0, 0)
		c2 := newCategory(t, kb, "nl", "two", 0, 0)
		a := newArticle(t, kb, desk.Article{CategoryID: c1.ID, Slug: "oud", Title: "Oud", Status: desk.ArticleDraft,
			Questions: []string{"q"}, Related: []int64{1}, Contexts: []string{"url:/a"}, AuthorID: anna.ID,
			UpdatedBy: anna.ID, Revision: 1, CreatedAt: at(0), UpdatedAt: at(0)})
		other := newArticle(t, kb, desk.Article{Slug: "bezet"})

		upd := &desk.Article{ID: a.ID, GroupID: 999, Locale: "en", CategoryID: c2.ID, Slug: "new", Title: "New",
			Description: "d", Questions: []string{"x", "y"}, Body: "b", Status: desk.ArticlePublished, Internal: true,
			Related: []int64{5, 6, 7}, Contexts: nil, Position: 9, AuthorID: bram.ID, UpdatedBy: bram.ID, Revision: 2,
			ReviewedAt: tp(at(30)), PublishedAt: tp(at(31)), CreatedAt: at(40), UpdatedAt: at(40)}
		before := time.Now()
		must(t, kb.UpdateArticle(ctx(t), upd), "UpdateArticle")
		got, err := kb.ArticleByID(ctx(t), a.ID)
		must(t, err, "ArticleByID after update")
		want := *upd
		want.GroupID, want.AuthorID, want.CreatedAt = a.ID, anna.ID, a.CreatedAt
		checkArticle(t, "after update", got, &want)
		checkNow(t, "UpdatedAt after update", got.UpdatedAt, before)

		// Clearing: slices to empty, optional times to nil.
		upd.Questions, upd.Related, upd.Contexts, upd.ReviewedAt, upd.PublishedAt = []string{}, nil, []string{}, nil, nil
		upd.CategoryID = 0
		must(t, kb.UpdateArticle(ctx(t), upd), "UpdateArticle clearing")
		got, err = kb.ArticleByID(ctx(t), a.ID)
		must(t, err, "ArticleByID after clearing")
		want = *upd
		want.GroupID, want.AuthorID, want.CreatedAt = a.ID, anna.ID, a.CreatedAt
		checkArticle(t, "after clearing", got, &want)

		tests := []struct {
			name string
			a    desk.Article
			want error
		}{
			{"missing", desk.Article{ID: 424242, Locale: "nl", Slug: "z", Title: "z", Status: desk.ArticleDraft}, desk.ErrNotFound},
			{"taken slug", desk.Article{ID: a.ID, Locale: "nl", Slug: other.Slug, Title: "z", Status: desk.ArticleDraft}, desk.ErrConflict},
			{"unknown category", desk.Article{ID: a.ID, Locale: "nl", Slug: "z", Title: "z", Status: desk.ArticleDraft, CategoryID: 424242}, desk.ErrInvalid},
		}
		for _, tc := range tests {
			wantErr(t, kb.UpdateArticle(ctx(t), &tc.a), tc.want, "UpdateArticle "+tc.name)
		}
		wantErr(t, kb.DeleteArticle(ctx(t), 424242), desk.ErrNotFound, "DeleteArticle missing")
		must(t, kb.DeleteArticle(ctx(t), a.ID), "DeleteArticle")
		_, err = kb.ArticleByID(ctx(t), a.ID)
		wantErr(t, err, desk.ErrNotFound, "ArticleByID after delete")
	}},
	{"list articles", func(t *testing.T, s desk.Store) {
		kb := kbOf(t, s)
		cat := newCategory(t, kb, "nl", "cat", 0, 0)
		sec := newCategory(t, kb, "nl", "sec", cat.ID, 0)
		other := newCategory(t, kb, "nl", "other", 0, 0)
		// Order: position, then title.
		a := newArticle(t, kb, desk.Article{Slug: "a", Title: "Bravo", CategoryID: cat.ID, Position: 1, UpdatedAt: at(0)})
		b := newArticle(t, kb, desk.Article{Slug: "b", Title: "Alpha", CategoryID: sec.ID, Position: 1, UpdatedAt: at(10)})
		c := newArticle(t, kb, desk.Article{Slug: "c", Title: "Charlie", CategoryID: other.ID, Position: 0, Internal: true, UpdatedAt: at(20)})
		d := newArticle(t, kb, desk.Article{Slug: "d", Title: "Delta", Position: 2, Status: desk.ArticleDraft, UpdatedAt: at(30)})
		e := newArticle(t, kb, desk.Article{Slug: "e", Title: "Echo", Position: 2, Status: desk.ArticleArchived, CategoryID: sec.ID, UpdatedAt: at(40)})
		en := newArticle(t, kb, desk.Article{GroupID: a.ID, Locale: "en", Slug: "a", Title: "Able", Position: 5, UpdatedAt: at(50)})

		tests := []struct {
			name string
			q    desk.ArticleQuery
			want []int64
		}{
			{"all", desk.ArticleQuery{}, []int64{c.ID, b.ID, a.ID, d.ID, e.ID, en.ID}},
			{"locale", desk.ArticleQuery{Locale: "nl"}, []int64{c.ID, b.ID, a.ID, d.ID, e.ID}},
			{"other locale", desk.ArticleQuery{Locale: "en"}, []int64{en.ID}},
			{"category with its sections", desk.ArticleQuery{CategoryID: cat.ID}, []int64{b.ID, a.ID, e.ID}},
			{"section", desk.ArticleQuery{CategoryID: sec.ID}, []int64{b.ID, e.ID}},
			{"group", desk.ArticleQuery{GroupID: a.ID}, []int64{a.ID, en.ID}},
			{"status", desk.ArticleQuery{Status: desk.ArticleDraft}, []int64{d.ID}},
			{"public", desk.ArticleQuery{Public: true}, []int64{b.ID, a.ID, en.ID}},
			{"public and locale", desk.ArticleQuery{Public: true, Locale: "nl"}, []int64{b.ID, a.ID}},
			{"changed since is inclusive", desk.ArticleQuery{ChangedSince: tp(at(30))}, []int64{d.ID, e.ID, en.ID}},
			{"limit", desk.ArticleQuery{Limit: 2}, []int64{c.ID, b.ID}},
			{"offset", desk.ArticleQuery{Limit: 2, Offset: 2}, []int64{a.ID, d.ID}},
			{"offset past the end", desk.ArticleQuery{Offset: 6}, nil},
			{"nothing", desk.ArticleQuery{Locale: "de"}, nil},
		}
		for _, tc := range tests {
			list, err := kb.ListArticles(ctx(t), tc.q)
			must(t, err, "ListArticles "+tc.name)
			if got := articleIDs(list); !sameIDs(got, tc.want) {
				t.Errorf("ListArticles %s = %v, want %v", tc.name, got, tc.want)
			}
			if tc.q.Limit != 0 || tc.q.Offset != 0 {
				continue // the count ignores paging
			}
			n, err := kb.CountArticles(ctx(t), tc.q)
			must(t, err, "CountArticles "+tc.name)
			if n != len(tc.want) {
				t.Errorf("CountArticles %s = %d, want %d", tc.name, n, len(tc.want))
			}
		}
		n, err := kb.CountArticles(ctx(t), desk.ArticleQuery{Limit: 2, Offset: 2, Locale: "nl"})
		must(t, err, "CountArticles with paging")
		if n != 5 {
			t.Errorf("CountArticles with paging = %d, want 5 (paging ignored)", n)
		}

		// An update moves UpdatedAt to now, into any earlier ChangedSince.
		a.Title = "Bravo two"
		must(t, kb.UpdateArticle(ctx(t), a), "UpdateArticle")
		list, err := kb.ListArticles(ctx(t), desk.ArticleQuery{ChangedSince: tp(at(60))})
		must(t, err, "ListArticles changed since after update")
		if got := articleIDs(list); !sameIDs(got, []int64{a.ID}) {
			t.Errorf("ListArticles changed since after update = %v, want %v", got, []int64{a.ID})
		}
	}},
	{"list articles default limit", func(t *testing.T, s desk.Store) {
		kb := kbOf(t, s)
		err := s.InTx(ctx(t), func(tx desk.Store) error {
			for i := range 101 {
				a := &desk.Article{Locale: "nl", Slug: name(i), Title: name(i), Status: desk.ArticlePublished}
				if err := kbOf(t, tx).CreateArticle(ctx(t), a); err != nil {
					return fmt.Errorf("article %d: %w", i, err)
				}
			}
			return nil
		})
		must(t, err, "InTx create 101 articles")
		list, err := kb.ListArticles(ctx(t), desk.ArticleQuery{})
		must(t, err, "ListArticles")
		if len(list) != 100 || list[0].Title != name(0) || list[99].Title != name(99) {
			t.Errorf("ListArticles with Limit 0 = %d articles, want the first 100", len(list))
		}
		n, err := kb.CountArticles(ctx(t), desk.ArticleQuery{})
		must(t, err, "CountArticles")
		if n != 101 {
			t.Errorf("CountArticles = %d, want 101", n)
		}
	}},
	{"revisions", func(t *testing.T, s desk.Store) {
		kb := kbOf(t, s)
		anna := newAgent(t, s, "Anna", "anna@example.com")
		a := newArticle(t, kb, desk.Article{Slug: "a"})
		b := newArticle(t, kb, desk.Article{Slug: "b"})
		r1 := &desk.ArticleRevision{ArticleID: a.ID, Number: 1, AgentID: anna.ID, Title: "One", Body: "body one",
			Questions: []string{"q1", "q2"}, Status: desk.ArticleDraft, Note: "created", CreatedAt: at(0)}
		r2 := &desk.ArticleRevision{ArticleID: a.ID, Number: 2, Title: "Two", Status: desk.ArticlePublished, Note: "by the system"}
		before := time.Now()
		for _, r := range []*desk.ArticleRevision{r1, r2} {
			must(t, kb.AddArticleRevision(ctx(t), r), fmt.Sprintf("AddArticleRevision %d", r.Number))
			if r.ID == 0 {
				t.Errorf("revision %d: ID not set", r.Number)
			}
		}
		checkNow(t, "zero CreatedAt", r2.CreatedAt, before)
		must(t, kb.AddArticleRevision(ctx(t), &desk.ArticleRevision{ArticleID: b.ID, Number: 1, Title: "b"}),
			"AddArticleRevision number 1 of another article")
		wantErr(t, kb.AddArticleRevision(ctx(t), &desk.ArticleRevision{ArticleID: a.ID, Number: 2, Title: "again"}),
			desk.ErrConflict, "AddArticleRevision same number")
		wantErr(t, kb.AddArticleRevision(ctx(t), &desk.ArticleRevision{ArticleID: 424242, Number: 1, Title: "x"}),
			desk.ErrNotFound, "AddArticleRevision missing article")

		list, err := kb.ArticleRevisions(ctx(t), a.ID)
		must(t, err, "ArticleRevisions")
		if got := ids(list, func(r desk.ArticleRevision) int64 { return r.ID }); !sameIDs(got, []int64{r2.ID, r1.ID}) {
			t.Fatalf("ArticleRevisions = %v, want newest first %v", got, []int64{r2.ID, r1.ID})
		}
		g1, g2 := list[1], list[0]
		if g1.ArticleID != a.ID || g1.Number != 1 || g1.AgentID != anna.ID || g1.AgentName != "Anna" || g1.Title != "One" ||
			g1.Body != "body one" || !sameStrings(g1.Questions, r1.Questions) || g1.Status != desk.ArticleDraft || g1.Note != "created" {
			t.Errorf("revision 1 = %+v, want %+v with AgentName Anna", g1, r1)
		}
		checkTime(t, "revision 1 CreatedAt", g1.CreatedAt, at(0))
		if g2.Number != 2 || g2.AgentID != 0 || g2.AgentName != "" || g2.Questions != nil || g2.Status != desk.ArticlePublished {
			t.Errorf("revision 2 = %+v, want no agent and nil Questions", g2)
		}
		list, err = kb.ArticleRevisions(ctx(t), 424242)
		must(t, err, "ArticleRevisions of a missing article")
		if len(list) != 0 {
			t.Errorf("ArticleRevisions of a missing article = %d, want none", len(list))
		}
	}},
	{"kb files", func(t *testing.T, s desk.Store) {
		kb := kbOf(t, s)
		anna := newAgent(t, s, "Anna", "anna@example.com")
		f := &desk.KBFile{Name: "schema.png", ContentType: "image/png", Size: 12345, BlobKey: "kb/ab/cd", AgentID: anna.ID, CreatedAt: at(0)}
		must(t, kb.CreateKBFile(ctx(t), f), "CreateKBFile")
		if f.ID == 0 {
			t.Fatal("CreateKBFile did not set ID")
		}
		got, err := kb.KBFileByID(ctx(t), f.ID)
		must(t, err, "KBFileByID")
		if got.ID != f.ID || got.Name != f.Name || got.ContentType != f.ContentType || got.Size != f.Size ||
			got.BlobKey != f.BlobKey || got.AgentID != anna.ID {
			t.Errorf("KBFileByID = %+v, want %+v", got, f)
		}
		checkTime(t, "CreatedAt", got.CreatedAt, at(0))
		g := &desk.KBFile{Name: "b.pdf", ContentType: "application/pdf", BlobKey: "kb/x"}
		before := time.Now()
		must(t, kb.CreateKBFile(ctx(t), g), "CreateKBFile zero time")
		checkNow(t, "zero CreatedAt", g.CreatedAt, before)
		_, err = kb.KBFileByID(ctx(t), 424242)
		wantErr(t, err, desk.ErrNotFound, "KBFileByID missing")
	}},
	{"search log and click", func(t *testing.T, s desk.Store) {
		kb := kbOf(t, s)
		a := newArticle(t, kb, desk.Article{Slug: "a"})
		b := newArticle(t, kb, desk.Article{Slug: "b"})
		l := &desk.SearchLog{Query: "Retour Sturen", Norm: "retour stur", Locale: "nl", Source: desk.SourceWidget,
			Context: "url:/checkout", Results: 3, TopArticleID: a.ID, VisitorKey: "v1", ContactID: 77, CreatedAt: at(0)}
		must(t, kb.RecordSearch(ctx(t), l), "RecordSearch")
		if l.ID == 0 {
			t.Fatal("RecordSearch did not set ID")
		}
		got, err := kb.SearchLogByID(ctx(t), l.ID)
		must(t, err, "SearchLogByID")
		if got.ID != l.ID || got.Query != l.Query || got.Norm != l.Norm || got.Locale != "nl" || got.Source != desk.SourceWidget ||
			got.Context != l.Context || got.Results != 3 || got.TopArticleID != a.ID || got.ClickedArticleID != 0 ||
			got.VisitorKey != "v1" || got.ContactID != 77 {
			t.Errorf("SearchLogByID = %+v, want %+v", got, l)
		}
		checkTime(t, "CreatedAt", got.CreatedAt, at(0))

		steps := []struct {
			name    string
			article int64
			want    int64
		}{
			{"first click", b.ID, b.ID},
			{"second click keeps the first", a.ID, b.ID},
		}
		for _, st := range steps {
			must(t, kb.RecordSearchClick(ctx(t), l.ID, st.article), "RecordSearchClick "+st.name)
			got, err := kb.SearchLogByID(ctx(t), l.ID)
			must(t, err, "SearchLogByID "+st.name)
			if got.ClickedArticleID != st.want {
				t.Errorf("%s: ClickedArticleID = %d, want %d", st.name, got.ClickedArticleID, st.want)
			}
		}
		wantErr(t, kb.RecordSearchClick(ctx(t), 424242, a.ID), desk.ErrNotFound, "RecordSearchClick missing search")
		_, err = kb.SearchLogByID(ctx(t), 424242)
		wantErr(t, err, desk.ErrNotFound, "SearchLogByID missing")

		z := &desk.SearchLog{Query: "x", Norm: "x", Source: desk.SourceHelpCenter}
		before := time.Now()
		must(t, kb.RecordSearch(ctx(t), z), "RecordSearch zero time")
		checkNow(t, "zero CreatedAt", z.CreatedAt, before)

		// A given id is kept; a taken one is ErrConflict, and inside a
		// transaction the next statement still works.
		given := &desk.SearchLog{ID: 7_000_000_001, Query: "y", Norm: "y", Source: desk.SourceWidget}
		must(t, kb.RecordSearch(ctx(t), given), "RecordSearch given id")
		if given.ID != 7_000_000_001 {
			t.Errorf("RecordSearch given id: ID = %d", given.ID)
		}
		err = s.InTx(ctx(t), func(tx desk.Store) error {
			dup := &desk.SearchLog{ID: 7_000_000_001, Query: "dup", Norm: "dup"}
			wantErr(t, kbOf(t, tx).RecordSearch(ctx(t), dup), desk.ErrConflict, "RecordSearch taken id")
			return kbOf(t, tx).RecordSearch(ctx(t), &desk.SearchLog{ID: 7_000_000_002, Query: "z", Norm: "z"})
		})
		must(t, err, "InTx after a taken id")
		if got, err := kb.SearchLogByID(ctx(t), 7_000_000_002); err != nil || got.Query != "z" {
			t.Errorf("search written after a taken id: %v, %v", got, err)
		}
		after := &desk.SearchLog{Query: "after", Norm: "after"}
		must(t, kb.RecordSearch(ctx(t), after), "RecordSearch after given ids")
	}},
	{"feedback", func(t *testing.T, s desk.Store) {
		kb := kbOf(t, s)
		a := newArticle(t, kb, desk.Article{Slug: "a"})
		b := newArticle(t, kb, desk.Article{Slug: "b"})
		f1 := &desk.ArticleFeedback{ArticleID: a.ID, Helpful: true, Comment: "top", SearchID: 5, VisitorKey: "v1", ContactID: 9, CreatedAt: at(0)}
		f2 := &desk.ArticleFeedback{ArticleID: a.ID, Helpful: false, Comment: "klopt niet", VisitorKey: "v2", CreatedAt: at(2)}
		f3 := &desk.ArticleFeedback{ArticleID: a.ID, Helpful: true, VisitorKey: "v3", CreatedAt: at(1)}
		fb := &desk.ArticleFeedback{ArticleID: b.ID, Helpful: true, CreatedAt: at(3)}
		for _, f := range []*desk.ArticleFeedback{f1, f2, f3, fb} {
			must(t, kb.AddArticleFeedback(ctx(t), f), "AddArticleFeedback")
			if f.ID == 0 {
				t.Error("AddArticleFeedback did not set ID")
			}
		}
		wantErr(t, kb.AddArticleFeedback(ctx(t), &desk.ArticleFeedback{ArticleID: 424242, Helpful: true}),
			desk.ErrNotFound, "AddArticleFeedback missing article")
		feedbackIDs := func(fs []desk.ArticleFeedback) []int64 {
			return ids(fs, func(f desk.ArticleFeedback) int64 { return f.ID })
		}
		tests := []struct {
			name  string
			limit int
			want  []int64
		}{
			{"newest first", 10, []int64{f2.ID, f3.ID, f1.ID}},
			{"limit", 2, []int64{f2.ID, f3.ID}},
			{"limit 0 is the default", 0, []int64{f2.ID, f3.ID, f1.ID}},
		}
		for _, tc := range tests {
			list, err := kb.ListArticleFeedback(ctx(t), a.ID, tc.limit)
			must(t, err, "ListArticleFeedback "+tc.name)
			if got := feedbackIDs(list); !sameIDs(got, tc.want) {
				t.Errorf("ListArticleFeedback %s = %v, want %v", tc.name, got, tc.want)
			}
		}
		list, err := kb.ListArticleFeedback(ctx(t), a.ID, 10)
		must(t, err, "ListArticleFeedback")
		if len(list) == 3 {
			g := list[2]
			if g.ArticleID != a.ID || !g.Helpful || g.Comment != "top" || g.SearchID != 5 || g.VisitorKey != "v1" || g.ContactID != 9 {
				t.Errorf("feedback = %+v, want %+v", g, f1)
			}
			checkTime(t, "CreatedAt", g.CreatedAt, at(0))
			if list[0].Helpful || list[0].Comment != "klopt niet" {
				t.Errorf("unhelpful feedback = %+v, want %+v", list[0], f2)
			}
		}
	}},
	{"search signals", func(t *testing.T, s desk.Store) {
		kb := kbOf(t, s)
		a := newArticle(t, kb, desk.Article{Slug: "a"})
		b := newArticle(t, kb, desk.Article{Slug: "b"})
		signals := []desk.SearchSignal{
			{ArticleID: a.ID, Norm: "retour", Query: "retour", VisitorKey: "v1", Weight: 1, At: at(0)},
			{ArticleID: a.ID, Norm: "retour", Query: "retour", VisitorKey: "v1", Weight: 2, At: at(1)}, // replaces
			{ArticleID: a.ID, Norm: "retour", Query: "retour", VisitorKey: "v2", Weight: 1, At: at(2)},
			{ArticleID: a.ID, Norm: "retour", Query: "retour", VisitorKey: "v3", Weight: -1, At: at(3)},
			{ArticleID: a.ID, Norm: "geld terug", Query: "geld terug", VisitorKey: "v1", Weight: 1, At: at(4)},
			{ArticleID: a.ID, Norm: "kapot", Query: "kapot", VisitorKey: "v1", Weight: 1, At: at(5)},
			{ArticleID: a.ID, Norm: "kapot", Query: "kapot", VisitorKey: "v1", Weight: -1, At: at(6)}, // replaces: not positive
			{ArticleID: b.ID, Norm: "retour", Query: "retour", VisitorKey: "v1", Weight: 1, At: at(7)},
			{ArticleID: b.ID, Norm: "levertijd", Query: "levertijd", VisitorKey: "v4", Weight: 1}, // zero At
			{ArticleID: b.ID, Norm: "levertijd", Query: "levertijd", VisitorKey: "v5", Weight: 2, At: at(9)},
			{ArticleID: b.ID, Norm: "levertijd", Query: "levertijd", VisitorKey: "v6", Weight: -1, At: at(9)},
			{ArticleID: b.ID, Norm: "maat", Query: "maat", VisitorKey: "v1", Weight: 1, At: at(10)},
			{ArticleID: b.ID, Norm: "maat", Query: "maat", VisitorKey: "v2", Weight: -1, At: at(11)}, // sums to 0: left out
		}
		for i := range signals {
			must(t, kb.PutSearchSignal(ctx(t), &signals[i]), fmt.Sprintf("PutSearchSignal %d", i))
		}
		wantErr(t, kb.PutSearchSignal(ctx(t), &desk.SearchSignal{ArticleID: 424242, Norm: "x", Query: "x", VisitorKey: "v1", Weight: 1}),
			desk.ErrNotFound, "PutSearchSignal missing article")
		// By article, then heaviest first, ties by Norm.
		tests := []struct {
			name    string
			article int64
			want    []desk.LearnedQuery
		}{
			{"every article", 0, []desk.LearnedQuery{
				{ArticleID: a.ID, Query: "retour", Weight: 2, Voters: 3},
				{ArticleID: a.ID, Query: "geld terug", Weight: 1, Voters: 1},
				{ArticleID: b.ID, Query: "levertijd", Weight: 2, Voters: 3},
				{ArticleID: b.ID, Query: "retour", Weight: 1, Voters: 1},
			}},
			{"one article", b.ID, []desk.LearnedQuery{
				{ArticleID: b.ID, Query: "levertijd", Weight: 2, Voters: 3},
				{ArticleID: b.ID, Query: "retour", Weight: 1, Voters: 1},
			}},
			{"missing article", 424242, nil},
		}
		for _, tc := range tests {
			got, err := kb.LearnedQueries(ctx(t), tc.article)
			must(t, err, "LearnedQueries "+tc.name)
			if !slices.Equal(got, tc.want) {
				t.Errorf("LearnedQueries %s = %+v, want %+v", tc.name, got, tc.want)
			}
		}
	}},
	{"learned query shows a typed form", func(t *testing.T, s desk.Store) {
		kb := kbOf(t, s)
		a := newArticle(t, kb, desk.Article{Slug: "a"})
		for i, sig := range []desk.SearchSignal{
			{ArticleID: a.ID, Norm: "retour", Query: "Retour", VisitorKey: "v1", Weight: 1, At: at(0)},
			{ArticleID: a.ID, Norm: "retour", Query: "retour?", VisitorKey: "v2", Weight: 1, At: at(1)},
		} {
			must(t, kb.PutSearchSignal(ctx(t), &sig), fmt.Sprintf("PutSearchSignal %d", i))
		}
		got, err := kb.LearnedQueries(ctx(t), a.ID)
		must(t, err, "LearnedQueries")
		if len(got) != 1 || got[0].Weight != 2 || got[0].Voters != 2 || (got[0].Query != "Retour" && got[0].Query != "retour?") {
			t.Errorf("LearnedQueries = %+v, want one with Weight 2, Voters 2 and a typed form", got)
		}
	}},
	{"query stats", func(t *testing.T, s desk.Store) {
		kb := kbOf(t, s)
		type search struct {
			query, norm, locale string
			results             int
			clicked             bool
			minute              int
		}
		searches := []search{
			// retour: 4 searches, 1 without result, 1 clicked, 2 left unopened.
			{"retour", "retour", "nl", 3, true, 0},
			{"Retour", "retour", "nl", 3, false, 1},
			{"retour", "retour", "nl", 0, false, 2},
			{"retour", "retour", "nl", 2, false, 3},
			// bezorging: 3 searches, all without result.
			{"bezorging", "bezorging", "nl", 0, false, 4},
			{"bezorging", "bezorging", "nl", 0, false, 5},
			{"bezorging", "bezorging", "nl", 0, false, 6},
			// factuur: 3 searches, all clicked.
			{"factuur", "factuur", "nl", 1, true, 7},
			{"factuur", "factuur", "nl", 1, true, 8},
			{"factuur", "factuur", "nl", 1, true, 9},
			// annuleren: 1 search, left unopened.
			{"annuleren", "annuleren", "nl", 4, false, 10},
			// english and later searches, for the filters.
			{"refund", "refund", "en", 0, false, 11},
			{"retour", "retour", "nl", 0, false, 100},
		}
		a := newArticle(t, kb, desk.Article{Slug: "a"})
		for i, sr := range searches {
			l := &desk.SearchLog{Query: sr.query, Norm: sr.norm, Locale: sr.locale, Source: desk.SourceHelpCenter,
				Results: sr.results, CreatedAt: at(sr.minute)}
			if sr.results > 0 {
				l.TopArticleID = a.ID
			}
			must(t, kb.RecordSearch(ctx(t), l), fmt.Sprintf("RecordSearch %d", i))
			if sr.clicked {
				must(t, kb.RecordSearchClick(ctx(t), l.ID, a.ID), "RecordSearchClick")
			}
		}
		retour := desk.QueryStat{Query: "retour", Searches: 4, NoResult: 1, Clicked: 1}
		bezorging := desk.QueryStat{Query: "bezorging", Searches: 3, NoResult: 3}
		factuur := desk.QueryStat{Query: "factuur", Searches: 3, Clicked: 3}
		annuleren := desk.QueryStat{Query: "annuleren", Searches: 1}
		refund := desk.QueryStat{Query: "refund", Searches: 1, NoResult: 1}
		retourAll := desk.QueryStat{Query: "retour", Searches: 5, NoResult: 2, Clicked: 1}
		nl := desk.StatsQuery{Locale: "nl", Since: at(0), Until: at(100)}

		type statsFn func(desk.StatsQuery) ([]desk.QueryStat, error)
		top := statsFn(func(q desk.StatsQuery) ([]desk.QueryStat, error) { return kb.TopQueries(ctx(t), q) })
		noResult := statsFn(func(q desk.StatsQuery) ([]desk.QueryStat, error) { return kb.NoResultQueries(ctx(t), q) })
		noClick := statsFn(func(q desk.StatsQuery) ([]desk.QueryStat, error) { return kb.NoClickQueries(ctx(t), q) })
		tests := []struct {
			name string
			fn   statsFn
			q    desk.StatsQuery
			want []desk.QueryStat
		}{
			{"top: most searched first, ties by query", top, nl, []desk.QueryStat{retour, bezorging, factuur, annuleren}},
			{"top: limit", top, desk.StatsQuery{Locale: "nl", Since: at(0), Until: at(100), Limit: 2}, []desk.QueryStat{retour, bezorging}},
			{"top: every locale, no end", top, desk.StatsQuery{Since: at(0)},
				[]desk.QueryStat{retourAll, bezorging, factuur, annuleren, refund}},
			{"top: since is inclusive", top, desk.StatsQuery{Locale: "nl", Since: at(7), Until: at(100)}, []desk.QueryStat{factuur, annuleren}},
			{"top: until is exclusive", top, desk.StatsQuery{Locale: "nl", Since: at(4), Until: at(7)}, []desk.QueryStat{bezorging}},
			{"top: other locale", top, desk.StatsQuery{Locale: "en", Since: at(0)}, []desk.QueryStat{refund}},
			{"no result: most failures first", noResult, nl, []desk.QueryStat{bezorging, retour}},
			{"no result: every locale", noResult, desk.StatsQuery{Since: at(0)}, []desk.QueryStat{bezorging, retourAll, refund}},
			{"no click: most unopened first", noClick, nl, []desk.QueryStat{retour, annuleren}},
			{"no click: limit", noClick, desk.StatsQuery{Locale: "nl", Since: at(0), Until: at(100), Limit: 1}, []desk.QueryStat{retour}},
			{"empty period", top, desk.StatsQuery{Since: at(200)}, nil},
		}
		for _, tc := range tests {
			got, err := tc.fn(tc.q)
			must(t, err, tc.name)
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s = %+v, want %+v", tc.name, got, tc.want)
			}
		}
	}},
	{"query stats default limit", func(t *testing.T, s desk.Store) {
		kb := kbOf(t, s)
		err := s.InTx(ctx(t), func(tx desk.Store) error {
			for i := range 51 {
				l := &desk.SearchLog{Query: name(i), Norm: name(i), Locale: "nl", Source: desk.SourceAPI, CreatedAt: at(i)}
				if err := kbOf(t, tx).RecordSearch(ctx(t), l); err != nil {
					return err
				}
			}
			return nil
		})
		must(t, err, "InTx record 51 searches")
		got, err := kb.TopQueries(ctx(t), desk.StatsQuery{})
		must(t, err, "TopQueries")
		if len(got) != 50 || got[0].Query != name(0) || got[49].Query != name(49) {
			t.Errorf("TopQueries with Limit 0 = %d queries, want the first 50 by query", len(got))
		}
	}},
	{"article stats and context views", func(t *testing.T, s desk.Store) {
		kb := kbOf(t, s)
		a := newArticle(t, kb, desk.Article{Slug: "a"})
		b := newArticle(t, kb, desk.Article{Slug: "b"})
		c := newArticle(t, kb, desk.Article{Slug: "c"})
		en := newArticle(t, kb, desk.Article{Slug: "a", Locale: "en", GroupID: a.ID})
		views := []desk.ArticleView{
			{ArticleID: a.ID, Context: "url:/checkout", Locale: "nl", VisitorKey: "v1", At: at(0)},
			{ArticleID: a.ID, Context: "url:/checkout", Locale: "nl", VisitorKey: "v2", At: at(1)},
			{ArticleID: a.ID, Context: "", Locale: "nl", VisitorKey: "v3", ContactID: 4, At: at(2)},
			{ArticleID: b.ID, Context: "url:/checkout", Locale: "nl", At: at(3)},
			{ArticleID: b.ID, Context: "url:/checkout", Locale: "nl", At: at(4)},
			{ArticleID: b.ID, Context: "url:/checkout", Locale: "nl", At: at(5)},
			{ArticleID: en.ID, Context: "url:/checkout", Locale: "en", At: at(6)},
			{ArticleID: c.ID, Context: "product:fiets", Locale: "nl", At: at(50)},
		}
		for i := range views {
			must(t, kb.RecordArticleView(ctx(t), &views[i]), fmt.Sprintf("RecordArticleView %d", i))
		}
		must(t, kb.RecordArticleView(ctx(t), &desk.ArticleView{ArticleID: c.ID, Locale: "nl"}), "RecordArticleView zero At")
		wantErr(t, kb.RecordArticleView(ctx(t), &desk.ArticleView{ArticleID: 424242, Locale: "nl", At: at(0)}),
			desk.ErrNotFound, "RecordArticleView missing article")
		for i, f := range []desk.ArticleFeedback{
			{ArticleID: a.ID, Helpful: true, CreatedAt: at(1)},
			{ArticleID: a.ID, Helpful: false, CreatedAt: at(2)},
			{ArticleID: a.ID, Helpful: true, CreatedAt: at(3)},
			{ArticleID: c.ID, Helpful: false, CreatedAt: at(4)}, // feedback without views in the period
			{ArticleID: b.ID, Helpful: true, CreatedAt: at(60)},
		} {
			must(t, kb.AddArticleFeedback(ctx(t), &f), fmt.Sprintf("AddArticleFeedback %d", i))
		}

		// Most viewed first, ties by article ID; Locale is the article's.
		stats := []struct {
			name string
			q    desk.StatsQuery
			want []desk.ArticleStat
		}{
			{"period", desk.StatsQuery{Locale: "nl", Since: at(0), Until: at(10)}, []desk.ArticleStat{
				{ArticleID: a.ID, Views: 3, Helpful: 2, NotHelpful: 1},
				{ArticleID: b.ID, Views: 3},
				{ArticleID: c.ID, NotHelpful: 1},
			}},
			{"every locale", desk.StatsQuery{Since: at(0), Until: at(10)}, []desk.ArticleStat{
				{ArticleID: a.ID, Views: 3, Helpful: 2, NotHelpful: 1},
				{ArticleID: b.ID, Views: 3},
				{ArticleID: en.ID, Views: 1},
				{ArticleID: c.ID, NotHelpful: 1},
			}},
			{"limit", desk.StatsQuery{Locale: "nl", Since: at(0), Until: at(10), Limit: 1}, []desk.ArticleStat{
				{ArticleID: a.ID, Views: 3, Helpful: 2, NotHelpful: 1},
			}},
			{"later", desk.StatsQuery{Locale: "nl", Since: at(3), Until: at(55)}, []desk.ArticleStat{
				{ArticleID: b.ID, Views: 3},
				{ArticleID: c.ID, Views: 1, NotHelpful: 1},
				{ArticleID: a.ID, Helpful: 1},
			}},
			{"other locale", desk.StatsQuery{Locale: "en", Since: at(0), Until: at(10)}, []desk.ArticleStat{
				{ArticleID: en.ID, Views: 1},
			}},
		}
		// b has a lower ID than c but more views: ordering by views matters
		// in "later"; in "period" a and b tie on views and a's ID is lower.
		for _, tc := range stats {
			got, err := kb.ArticleStats(ctx(t), tc.q)
			must(t, err, "ArticleStats "+tc.name)
			if !slices.Equal(got, tc.want) {
				t.Errorf("ArticleStats %s = %+v, want %+v", tc.name, got, tc.want)
			}
		}

		contexts := []struct {
			name            string
			context, locale string
			since           time.Time
			limit           int
			want            []desk.ContextCount
		}{
			{"one context", "url:/checkout", "nl", at(0), 10, []desk.ContextCount{{ArticleID: b.ID, Views: 3}, {ArticleID: a.ID, Views: 2}}},
			{"since is inclusive", "url:/checkout", "nl", at(4), 10, []desk.ContextCount{{ArticleID: b.ID, Views: 2}}},
			{"every context", "", "nl", at(0), 10, []desk.ContextCount{{ArticleID: a.ID, Views: 3}, {ArticleID: b.ID, Views: 3}, {ArticleID: c.ID, Views: 2}}},
			{"every context and locale", "", "", at(0), 10, []desk.ContextCount{{ArticleID: a.ID, Views: 3}, {ArticleID: b.ID, Views: 3}, {ArticleID: c.ID, Views: 2}, {ArticleID: en.ID, Views: 1}}},
			{"limit", "", "nl", at(0), 1, []desk.ContextCount{{ArticleID: a.ID, Views: 3}}},
			{"limit 0 is the default", "url:/checkout", "", at(0), 0, []desk.ContextCount{{ArticleID: b.ID, Views: 3}, {ArticleID: a.ID, Views: 2}, {ArticleID: en.ID, Views: 1}}},
			{"unknown context", "label:x", "nl", at(0), 10, nil},
		}
		for _, tc := range contexts {
			got, err := kb.ContextViews(ctx(t), tc.context, tc.locale, tc.since, tc.limit)
			must(t, err, "ContextViews "+tc.name)
			if !slices.Equal(got, tc.want) {
				t.Errorf("ContextViews %s = %+v, want %+v", tc.name, got, tc.want)
			}
		}
	}},
	{"faq pins", func(t *testing.T, s desk.Store) {
		kb := kbOf(t, s)
		steps := []struct {
			name            string
			context, locale string
			set             []int64
			want            []int64
		}{
			{"home", "", "nl", []int64{30, 10, 20}, []int64{30, 10, 20}},
			{"replace keeps the new order", "", "nl", []int64{20, 40}, []int64{20, 40}},
			{"duplicates kept once, first place", "url:/checkout", "nl", []int64{5, 6, 5}, []int64{5, 6}},
			{"other locale", "url:/checkout", "en", []int64{7}, []int64{7}},
			{"another context", "label:retour", "nl", []int64{8}, []int64{8}},
			{"empty clears", "label:retour", "nl", nil, nil},
		}
		for _, st := range steps {
			must(t, kb.SetFAQPins(ctx(t), st.context, st.locale, st.set), "SetFAQPins "+st.name)
			got, err := kb.FAQPins(ctx(t), st.context, st.locale)
			must(t, err, "FAQPins "+st.name)
			if !sameIDs(got, st.want) {
				t.Errorf("%s: FAQPins = %v, want %v", st.name, got, st.want)
			}
		}
		got, err := kb.FAQPins(ctx(t), "url:/checkout", "de")
		must(t, err, "FAQPins none")
		if len(got) != 0 {
			t.Errorf("FAQPins without pins = %v, want none", got)
		}
		contexts, err := kb.FAQPinContexts(ctx(t))
		must(t, err, "FAQPinContexts")
		if want := []string{"", "url:/checkout"}; !sameStrings(contexts, want) {
			t.Errorf("FAQPinContexts = %q, want %q", contexts, want)
		}
	}},
	{"delete article cascades", func(t *testing.T, s desk.Store) {
		kb := kbOf(t, s)
		a := newArticle(t, kb, desk.Article{Slug: "a"})
		b := newArticle(t, kb, desk.Article{Slug: "b"})
		for _, id := range []int64{a.ID, b.ID} {
			must(t, kb.AddArticleRevision(ctx(t), &desk.ArticleRevision{ArticleID: id, Number: 1, Title: "t"}), "AddArticleRevision")
			must(t, kb.AddArticleFeedback(ctx(t), &desk.ArticleFeedback{ArticleID: id, Helpful: true, CreatedAt: at(1)}), "AddArticleFeedback")
			must(t, kb.RecordArticleView(ctx(t), &desk.ArticleView{ArticleID: id, Context: "c", Locale: "nl", At: at(1)}), "RecordArticleView")
			must(t, kb.PutSearchSignal(ctx(t), &desk.SearchSignal{ArticleID: id, Norm: "q", Query: "q", VisitorKey: "v", Weight: 1, At: at(1)}), "PutSearchSignal")
		}
		l := &desk.SearchLog{Query: "q", Norm: "q", Locale: "nl", Source: desk.SourceHelpCenter, Results: 1, TopArticleID: a.ID, CreatedAt: at(1)}
		must(t, kb.RecordSearch(ctx(t), l), "RecordSearch")
		must(t, kb.SetFAQPins(ctx(t), "", "nl", []int64{a.GroupID}), "SetFAQPins")

		must(t, kb.DeleteArticle(ctx(t), a.ID), "DeleteArticle")
		revs, err := kb.ArticleRevisions(ctx(t), a.ID)
		must(t, err, "ArticleRevisions")
		fbs, err := kb.ListArticleFeedback(ctx(t), a.ID, 10)
		must(t, err, "ListArticleFeedback")
		if len(revs) != 0 || len(fbs) != 0 {
			t.Errorf("after delete: %d revisions, %d feedback; want none", len(revs), len(fbs))
		}
		learned, err := kb.LearnedQueries(ctx(t), 0)
		must(t, err, "LearnedQueries")
		if want := []desk.LearnedQuery{{ArticleID: b.ID, Query: "q", Weight: 1, Voters: 1}}; !slices.Equal(learned, want) {
			t.Errorf("LearnedQueries after delete = %+v, want %+v", learned, want)
		}
		stats, err := kb.ArticleStats(ctx(t), desk.StatsQuery{Since: at(0)})
		must(t, err, "ArticleStats")
		if want := []desk.ArticleStat{{ArticleID: b.ID, Views: 1, Helpful: 1}}; !slices.Equal(stats, want) {
			t.Errorf("ArticleStats after delete = %+v, want %+v", stats, want)
		}
		views, err := kb.ContextViews(ctx(t), "", "", at(0), 10)
		must(t, err, "ContextViews")
		if want := []desk.ContextCount{{ArticleID: b.ID, Views: 1}}; !slices.Equal(views, want) {
			t.Errorf("ContextViews after delete = %+v, want %+v", views, want)
		}
		// The search log and pins are history and configuration: they stay.
		got, err := kb.SearchLogByID(ctx(t), l.ID)
		must(t, err, "SearchLogByID after delete")
		if got.TopArticleID != a.ID {
			t.Errorf("TopArticleID = %d, want %d kept", got.TopArticleID, a.ID)
		}
		pins, err := kb.FAQPins(ctx(t), "", "nl")
		must(t, err, "FAQPins")
		if !sameIDs(pins, []int64{a.GroupID}) {
			t.Errorf("FAQPins after delete = %v, want %v kept", pins, []int64{a.GroupID})
		}
	}},
}
