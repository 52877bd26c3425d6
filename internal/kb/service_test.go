package kb_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb"
	"github.com/balie-dev/balie/internal/testenv"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

type fixture struct {
	st    desk.Store
	kb    *kb.Service
	bus   *bus.Local
	clock *clock
	agent *desk.Agent
}

func forEachStore(t *testing.T, fn func(t *testing.T, f *fixture)) {
	for _, o := range testenv.Stores() {
		t.Run(o.Name, func(t *testing.T) {
			st := o.Open(t)
			f := &fixture{st: st, bus: bus.NewLocal(0), clock: &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}}
			f.kb = kb.New(st, f.bus, f.clock, nil, kb.Options{})
			f.agent = &desk.Agent{Email: "auteur@example.nl", Name: "Auteur", Role: desk.RoleSupervisor, Locale: "nl",
				PasswordHash: "x", Availability: desk.Online}
			if err := st.CreateAgent(context.Background(), f.agent); err != nil {
				t.Fatal(err)
			}
			if err := f.kb.Load(context.Background()); err != nil {
				t.Fatal(err)
			}
			fn(t, f)
		})
	}
}

func (f *fixture) article(t *testing.T, in kb.ArticleInput) *desk.Article {
	t.Helper()
	if in.Locale == "" {
		in.Locale = "nl"
	}
	if in.Status == "" {
		in.Status = desk.ArticlePublished
	}
	a, err := f.kb.CreateArticle(context.Background(), f.agent, in)
	if err != nil {
		t.Fatalf("CreateArticle(%q): %v", in.Title, err)
	}
	return a
}

func titles(hits []kb.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.Article.Title
	}
	return out
}

func (f *fixture) search(t *testing.T, q, locale string, v kb.Visitor) kb.SearchResult {
	t.Helper()
	res, err := f.kb.Search(context.Background(), kb.SearchRequest{Query: q, Locale: locale, Source: desk.SourceHelpCenter, Visitor: v})
	if err != nil {
		t.Fatalf("Search(%q): %v", q, err)
	}
	return res
}

func TestSearchFindsPublishedArticlesOnly(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		f.article(t, kb.ArticleInput{Title: "Bezorgadres wijzigen", Body: "Je kunt je bezorgadres wijzigen tot de bestelling is verzonden."})
		f.article(t, kb.ArticleInput{Title: "Retour aanvragen", Body: "Stuur je bestelling binnen 30 dagen terug.", Status: desk.ArticleDraft})
		f.article(t, kb.ArticleInput{Title: "Adres wijzigen in het systeem", Body: "Voor medewerkers: adres aanpassen in het ERP.", Internal: true})
		f.article(t, kb.ArticleInput{Locale: "en", Title: "Change delivery address", Body: "You can change the address until we ship."})

		tests := []struct {
			name     string
			req      kb.SearchRequest
			want     []string
			wantNone bool
		}{
			{name: "stemmed Dutch question", req: kb.SearchRequest{Query: "hoe wijzig ik mijn bezorgadres?", Locale: "nl"},
				want: []string{"Bezorgadres wijzigen"}},
			{name: "drafts are not found", req: kb.SearchRequest{Query: "retour", Locale: "nl"}, wantNone: true},
			{name: "internal hidden from customers", req: kb.SearchRequest{Query: "ERP", Locale: "nl"}, wantNone: true},
			{name: "internal found by agents", req: kb.SearchRequest{Query: "ERP", Locale: "nl", Internal: true},
				want: []string{"Adres wijzigen in het systeem"}},
			{name: "English with typo", req: kb.SearchRequest{Query: "change adress", Locale: "en"},
				want: []string{"Change delivery address"}},
			{name: "empty query", req: kb.SearchRequest{Query: "  "}, wantNone: true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, err := f.kb.Search(ctx, tt.req)
				if err != nil {
					t.Fatal(err)
				}
				got := titles(res.Hits)
				if tt.wantNone {
					if len(got) != 0 {
						t.Errorf("Search(%q) = %v, want nothing", tt.req.Query, got)
					}
					return
				}
				if len(got) == 0 || got[0] != tt.want[0] {
					t.Errorf("Search(%q) = %v, want %q first", tt.req.Query, got, tt.want[0])
				}
			})
		}

		if _, err := f.kb.Search(ctx, kb.SearchRequest{Query: strings.Repeat("a", 400)}); !errors.Is(err, desk.ErrInvalid) {
			t.Errorf("Search(400 chars) err = %v, want ErrInvalid", err)
		}
		if _, err := f.kb.Search(ctx, kb.SearchRequest{Query: "x", Locale: "de"}); !errors.Is(err, desk.ErrInvalid) {
			t.Errorf("Search(locale de) err = %v, want ErrInvalid", err)
		}
	})
}

func TestArticleLifecycleAndRevisions(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		a := f.article(t, kb.ArticleInput{Title: "Openingstijden", Body: "We zijn open van 9 tot 17.", Status: desk.ArticleDraft})
		if a.Slug != "openingstijden" || a.Revision != 1 || a.PublishedAt != nil {
			t.Fatalf("new draft = slug %q rev %d published %v", a.Slug, a.Revision, a.PublishedAt)
		}
		if got := f.search(t, "openingstijden", "nl", kb.Visitor{}).Hits; len(got) != 0 {
			t.Fatalf("draft found: %v", titles(got))
		}
		a, err := f.kb.SetStatus(ctx, f.agent, a.ID, desk.ArticlePublished)
		if err != nil {
			t.Fatal(err)
		}
		if a.PublishedAt == nil {
			t.Error("published article has no PublishedAt")
		}
		if got := f.search(t, "openingstijden", "nl", kb.Visitor{}).Hits; len(got) != 1 {
			t.Fatalf("published article not found: %v", titles(got))
		}
		in := kb.ArticleInput{Locale: "nl", Title: "Openingstijden klantenservice", Slug: a.Slug,
			Body: "We zijn open van 8 tot 20.", Status: desk.ArticlePublished}
		if a, err = f.kb.UpdateArticle(ctx, f.agent, a.ID, in); err != nil {
			t.Fatal(err)
		}
		if _, err = f.kb.MarkReviewed(ctx, f.agent, a.ID); err != nil {
			t.Fatal(err)
		}
		revs, err := f.kb.Revisions(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var notes []string
		for _, r := range revs {
			notes = append(notes, fmt.Sprintf("%d %s", r.Number, r.Note))
		}
		want := []string{"4 reviewed", "3 edited title, body", "2 published", "1 created"}
		if !slices.Equal(notes, want) {
			t.Errorf("revisions = %q, want %q", notes, want)
		}
		if revs[0].AgentName != "Auteur" {
			t.Errorf("revision agent name = %q", revs[0].AgentName)
		}
		a, err = f.kb.RestoreRevision(ctx, f.agent, a.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if a.Body != "We zijn open van 9 tot 17." || a.Title != "Openingstijden" || a.ReviewedAt == nil {
			t.Errorf("after restore: %q / %q / reviewed %v", a.Title, a.Body, a.ReviewedAt)
		}
		if _, err := f.kb.RestoreRevision(ctx, f.agent, a.ID, 99); !errors.Is(err, desk.ErrNotFound) {
			t.Errorf("restore missing revision err = %v", err)
		}
		if _, err := f.kb.SetStatus(ctx, f.agent, a.ID, desk.ArticleArchived); err != nil {
			t.Fatal(err)
		}
		if got := f.search(t, "openingstijden", "nl", kb.Visitor{}).Hits; len(got) != 0 {
			t.Errorf("archived article found: %v", titles(got))
		}
		if err := f.kb.DeleteArticle(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.kb.Article(ctx, a.ID); !errors.Is(err, desk.ErrNotFound) {
			t.Errorf("deleted article err = %v", err)
		}
	})
}

func TestArticleInputValidation(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		cat, err := f.kb.CreateCategory(ctx, kb.CategoryInput{Locale: "en", Name: "Orders"})
		if err != nil {
			t.Fatal(err)
		}
		existing := f.article(t, kb.ArticleInput{Title: "Bestaand"})
		tests := []struct {
			name string
			in   kb.ArticleInput
			want error
		}{
			{"no title", kb.ArticleInput{Locale: "nl", Body: "x"}, desk.ErrInvalid},
			{"bad locale", kb.ArticleInput{Locale: "de", Title: "Hallo"}, desk.ErrInvalid},
			{"bad slug", kb.ArticleInput{Locale: "nl", Title: "Hallo", Slug: "Hallo Wereld"}, desk.ErrInvalid},
			{"bad status", kb.ArticleInput{Locale: "nl", Title: "Hallo", Status: "gone"}, desk.ErrInvalid},
			{"category of another locale", kb.ArticleInput{Locale: "nl", Title: "Hallo", CategoryID: cat.ID}, desk.ErrInvalid},
			{"missing category", kb.ArticleInput{Locale: "nl", Title: "Hallo", CategoryID: 999}, desk.ErrInvalid},
			{"huge body", kb.ArticleInput{Locale: "nl", Title: "Hallo", Body: strings.Repeat("x", kb.MaxBody+1)}, desk.ErrInvalid},
			{"slug taken", kb.ArticleInput{Locale: "nl", Title: "Bestaand"}, desk.ErrConflict},
			{"second nl translation", kb.ArticleInput{Locale: "nl", Title: "Ander", TranslationOf: existing.ID}, desk.ErrConflict},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := f.kb.CreateArticle(ctx, f.agent, tt.in)
				if !errors.Is(err, tt.want) {
					t.Errorf("CreateArticle err = %v, want %v", err, tt.want)
				}
			})
		}
		en, err := f.kb.CreateArticle(ctx, f.agent, kb.ArticleInput{Locale: "en", Title: "Existing", TranslationOf: existing.ID, CategoryID: cat.ID})
		if err != nil {
			t.Fatal(err)
		}
		if en.GroupID != existing.GroupID {
			t.Errorf("translation group = %d, want %d", en.GroupID, existing.GroupID)
		}
		tr, err := f.kb.Translations(ctx, existing, false)
		if err != nil || len(tr) != 1 || tr[0].ID != en.ID {
			t.Errorf("Translations = %v, %v", tr, err)
		}
		if err := f.kb.DeleteCategory(ctx, cat.ID); !errors.Is(err, desk.ErrConflict) {
			t.Errorf("delete non-empty category err = %v, want ErrConflict", err)
		}
	})
}

// TestLearningFromClicks: customers who search a phrasing the article does
// not use and open it anyway teach search that phrasing; one visitor
// clicking over and over counts once.
func TestLearningFromClicks(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		lost := f.article(t, kb.ArticleInput{Locale: "en", Title: "My parcel has not arrived",
			Body: "If tracking says delivered but you have nothing, check with neighbours, then contact us."})
		f.article(t, kb.ArticleInput{Locale: "en", Title: "Where is my refund",
			Body: "Refunds arrive within 5 working days after we receive your return."})
		const query = "refund never showed up on my card"
		// Before: the refund article wins on "refund".
		if got := titles(f.search(t, query, "en", kb.Visitor{}).Hits); len(got) == 0 || got[0] != "Where is my refund" {
			t.Fatalf("before learning: %v", got)
		}
		// One visitor clicking the parcel article fifty times changes little.
		spammer := kb.Visitor{IP: "203.0.113.9"}
		for range 50 {
			res := f.search(t, "parcel never showed up", "en", spammer)
			if err := f.kb.Click(ctx, res.SearchID, lost.ID, spammer); err != nil {
				t.Fatal(err)
			}
		}
		lq, err := f.st.(desk.KBStore).LearnedQueries(ctx, lost.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(lq) != 1 || lq[0].Voters != 1 || lq[0].Weight != 1 {
			t.Errorf("after 50 clicks by one visitor: learned %+v, want one query with 1 voter weight 1", lq)
		}
		// A click on somebody else's search teaches nothing.
		other := f.search(t, "totally unrelated words", "en", kb.Visitor{IP: "198.51.100.1"})
		if err := f.kb.Click(ctx, other.SearchID, lost.ID, spammer); err != nil {
			t.Fatal(err)
		}
		lq, _ = f.st.(desk.KBStore).LearnedQueries(ctx, lost.ID)
		if len(lq) != 1 {
			t.Errorf("click on another visitor's search was learned: %+v", lq)
		}
		// Three different customers search the same and find their parcel answer.
		for i := range 3 {
			v := kb.Visitor{IP: fmt.Sprintf("192.0.%d.7", i+10)}
			res := f.search(t, "my package never showed up", "en", v)
			if err := f.kb.Click(ctx, res.SearchID, lost.ID, v); err != nil {
				t.Fatal(err)
			}
		}
		got := titles(f.search(t, "package never showed up at my door", "en", kb.Visitor{}).Hits)
		if len(got) == 0 || got[0] != "My parcel has not arrived" {
			t.Errorf("after learning: %v, want the parcel article first", got)
		}
	})
}

func TestFeedback(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		a := f.article(t, kb.ArticleInput{Title: "Betalen met iDEAL", Body: "Kies iDEAL bij het afrekenen."})
		v := kb.Visitor{IP: "192.0.2.44"}
		res := f.search(t, "ideal betaling mislukt", "nl", v)
		if err := f.kb.Feedback(ctx, kb.FeedbackInput{ArticleID: a.ID, Helpful: true, SearchID: res.SearchID, Visitor: v}); err != nil {
			t.Fatal(err)
		}
		// The same visitor voting again the same day counts once.
		if err := f.kb.Feedback(ctx, kb.FeedbackInput{ArticleID: a.ID, Helpful: true, Visitor: v}); err != nil {
			t.Fatal(err)
		}
		if err := f.kb.Feedback(ctx, kb.FeedbackInput{ArticleID: a.ID, Helpful: false, Comment: "Mijn bank staat er niet bij",
			Visitor: kb.Visitor{IP: "192.0.3.1"}}); err != nil {
			t.Fatal(err)
		}
		fb, err := f.st.(desk.KBStore).ListArticleFeedback(ctx, a.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(fb) != 2 || fb[0].Comment != "Mijn bank staat er niet bij" || fb[1].SearchID != res.SearchID {
			t.Errorf("feedback = %+v, want the two distinct votes, newest first", fb)
		}
		if strings.Contains(fb[0].VisitorKey, "192.0") {
			t.Errorf("visitor key %q holds the address", fb[0].VisitorKey)
		}
		lq, _ := f.st.(desk.KBStore).LearnedQueries(ctx, a.ID)
		if len(lq) != 1 || lq[0].Weight != 2 {
			t.Errorf("learned = %+v, want the query with weight 2 (helpful)", lq)
		}
		tests := []struct {
			name string
			in   kb.FeedbackInput
			want error
		}{
			{"missing article", kb.FeedbackInput{ArticleID: 999, Helpful: true}, desk.ErrNotFound},
			{"comment too long", kb.FeedbackInput{ArticleID: a.ID, Comment: strings.Repeat("x", kb.MaxComment+1)}, desk.ErrInvalid},
		}
		for _, tt := range tests {
			if err := f.kb.Feedback(ctx, tt.in); !errors.Is(err, tt.want) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
			}
		}
	})
}

func TestSynonyms(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		f.article(t, kb.ArticleInput{Title: "Retour aanmelden", Body: "Meld je retour aan via je account."})
		if got := f.search(t, "terugsturen", "nl", kb.Visitor{}).Hits; len(got) != 0 {
			t.Fatalf("found before synonyms: %v", titles(got))
		}
		groups := kb.ParseSynonyms("# retouren\nretour = terugsturen, return\n\n")
		if err := f.kb.SetSynonyms(ctx, groups); err != nil {
			t.Fatal(err)
		}
		if got := f.search(t, "terugsturen", "nl", kb.Visitor{}).Hits; len(got) != 1 {
			t.Errorf("with synonyms: %v, want the retour article", titles(got))
		}
		stored, err := f.kb.Synonyms(ctx)
		if err != nil || kb.FormatSynonyms(stored) != "retour = terugsturen = return\n" {
			t.Errorf("stored synonyms = %q, %v", kb.FormatSynonyms(stored), err)
		}
		// A restart rebuilds the same index from the store.
		again := kb.New(f.st.(kb.Store), f.bus, f.clock, nil, kb.Options{})
		if err := again.Load(ctx); err != nil {
			t.Fatal(err)
		}
		res, err := again.Search(ctx, kb.SearchRequest{Query: "terugsturen", Locale: "nl", NoLog: true})
		if err != nil || len(res.Hits) != 1 {
			t.Errorf("after reload: %v, %v", titles(res.Hits), err)
		}
	})
}

func TestContextualFAQ(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		pay := f.article(t, kb.ArticleInput{Title: "Betaalmethoden", Contexts: []string{"url:/checkout"}})
		coupon := f.article(t, kb.ArticleInput{Title: "Kortingscode gebruiken", Contexts: []string{"URL:/checkout/"}})
		ship := f.article(t, kb.ArticleInput{Title: "Verzendkosten"})
		biz := f.article(t, kb.ArticleInput{Title: "Op rekening bestellen", Contexts: []string{"segment:zakelijk"}})
		f.article(t, kb.ArticleInput{Locale: "en", Title: "Payment methods", Contexts: []string{"url:/checkout"}})

		// Customers on the checkout page mostly open the coupon article.
		for i := range 3 {
			f.kb.View(ctx, coupon.ID, "/checkout/payment?step=2", "nl", kb.Visitor{IP: fmt.Sprintf("10.0.%d.1", i)})
		}
		// Shipping costs is opened on checkout too, without a tag.
		f.kb.View(ctx, ship.ID, "/checkout", "nl", kb.Visitor{IP: "10.1.0.1"})

		ids := func(arts []desk.Article) []string {
			var out []string
			for _, a := range arts {
				out = append(out, a.Title)
			}
			return out
		}
		got, err := f.kb.FAQ(ctx, kb.FAQRequest{Locale: "nl", Context: "/checkout/payment", Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"Kortingscode gebruiken", "Verzendkosten", "Betaalmethoden"}
		if !slices.Equal(ids(got), want) {
			t.Errorf("FAQ(/checkout/payment) = %q, want %q", ids(got), want)
		}
		// An admin pins the payment article on checkout: it comes first.
		if err := f.kb.SetPins(ctx, "/checkout", "nl", []int64{pay.GroupID}); err != nil {
			t.Fatal(err)
		}
		got, _ = f.kb.FAQ(ctx, kb.FAQRequest{Locale: "nl", Context: "/checkout/payment", Limit: 2})
		if want := []string{"Betaalmethoden", "Kortingscode gebruiken"}; !slices.Equal(ids(got), want) {
			t.Errorf("FAQ with pin = %q, want %q", ids(got), want)
		}
		// A known business customer sees the business article.
		c := &desk.Contact{Name: "Bakkerij Jansen", Attributes: map[string]string{"segment": "Zakelijk"}}
		if err := f.st.CreateContact(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, _ = f.kb.FAQ(ctx, kb.FAQRequest{Locale: "nl", ContactID: c.ID, Limit: 1})
		if want := []string{biz.Title}; !slices.Equal(ids(got), want) {
			t.Errorf("FAQ for a business contact = %q, want %q", ids(got), want)
		}
		if err := f.kb.SetPins(ctx, "", "nl", []int64{12345}); !errors.Is(err, desk.ErrInvalid) {
			t.Errorf("pin a missing article err = %v", err)
		}
	})
}

func TestAnalyticsAndDrafts(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		a := f.article(t, kb.ArticleInput{Title: "Cadeaubon inwisselen", Body: "Vul de code in bij het afrekenen."})
		for i := range 3 {
			v := kb.Visitor{IP: fmt.Sprintf("10.2.%d.1", i)}
			f.search(t, "Klarna achteraf betalen", "nl", v)
			res := f.search(t, "cadeaubon", "nl", v)
			f.kb.Click(ctx, res.SearchID, a.ID, v)
			f.kb.Feedback(ctx, kb.FeedbackInput{ArticleID: a.ID, Helpful: i == 0, Visitor: v})
		}
		an, err := f.kb.Analytics(ctx, desk.StatsQuery{Locale: "nl", Since: f.clock.Now().Add(-time.Hour), Until: f.clock.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if len(an.NoResult) != 1 || an.NoResult[0].Query != "Klarna achteraf betalen" || an.NoResult[0].Searches != 3 {
			t.Errorf("no-result queries = %+v", an.NoResult)
		}
		if len(an.LowHelpful) != 1 || an.LowHelpful[0].Article.ID != a.ID || an.LowHelpful[0].NotHelpful != 2 {
			t.Errorf("low helpful = %+v", an.LowHelpful)
		}
		d, err := f.kb.DraftFromQuery(ctx, f.agent, "klarna achteraf betalen", "nl")
		if err != nil {
			t.Fatal(err)
		}
		if d.Title != "Klarna achteraf betalen" || d.Status != desk.ArticleDraft || !slices.Equal(d.Questions, []string{"klarna achteraf betalen"}) {
			t.Errorf("draft = %q %s %q", d.Title, d.Status, d.Questions)
		}
		d2, err := f.kb.DraftFromQuery(ctx, f.agent, "klarna achteraf betalen", "nl")
		if err != nil || d2.Slug != d.Slug+"-2" {
			t.Errorf("second draft slug = %v, %v", d2, err)
		}
	})
}

// TestNodesFollowEachOther: two services on one store (two nodes) share a
// bus; a change made through one is found through the other, and an
// article changed while the other missed the event is caught up by the
// poll.
func TestNodesFollowEachOther(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		other := kb.New(f.st.(kb.Store), f.bus, f.clock, nil, kb.Options{})
		if err := other.Load(ctx); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { other.Run(ctx, 20*time.Millisecond, time.Hour); close(done) }()
		defer func() { cancel(); <-done }()

		find := func(q string) int {
			res, err := other.Search(ctx, kb.SearchRequest{Query: q, Locale: "nl", NoLog: true})
			if err != nil {
				t.Fatal(err)
			}
			return len(res.Hits)
		}
		waitFor := func(q string, want int) {
			t.Helper()
			for range 500 {
				if find(q) == want {
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
			t.Fatalf("the other node finds %d for %q, want %d", find(q), q, want)
		}
		a := f.article(t, kb.ArticleInput{Title: "Garantie op fietsen", Body: "Twee jaar garantie op het frame."})
		waitFor("garantie", 1)
		if _, err := f.kb.SetStatus(ctx, f.agent, a.ID, desk.ArticleArchived); err != nil {
			t.Fatal(err)
		}
		waitFor("garantie", 0)

		// Written straight to the store (another node whose event was
		// lost), at the store's own time.
		b := &desk.Article{Locale: "nl", Slug: "onderhoud", Title: "Onderhoud van je fiets", Status: desk.ArticlePublished,
			Revision: 1, CreatedAt: time.Now()}
		if err := f.st.(desk.KBStore).CreateArticle(ctx, b); err != nil {
			t.Fatal(err)
		}
		waitFor("onderhoud", 1)
	})
}
