package flow

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// clock is a test clock that moves when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// articles is a fake knowledge base: published articles by GroupID and
// locale.
type articles map[int64]map[string]desk.Article

func (a articles) Articles(_ context.Context, q desk.ArticleQuery) ([]desk.Article, error) {
	if art, ok := a[q.GroupID][q.Locale]; ok {
		return []desk.Article{art}, nil
	}
	return nil, nil
}

// someActions knows only the actions it lists and runs them like Echo.
type someActions []string

func (s someActions) HasAction(name string) bool {
	for _, n := range s {
		if n == name {
			return true
		}
	}
	return false
}

func (someActions) RunAction(ctx context.Context, name string, params map[string]string, run *desk.FlowRun) (ActionResult, error) {
	if params["customer"] == "000000" {
		return ActionResult{}, errors.New("line check unavailable")
	}
	return ActionResult{OK: params["customer"] != "999999", Message: "Lijn van " + params["customer"] + " gecontroleerd."}, nil
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type fixture struct {
	svc   *Service
	clock *clock
	st    Store
}

func newFixture(t testing.TB, st Store) *fixture {
	c := &clock{t: t0}
	if st == nil {
		st = newMemStore(c.Now)
	}
	kb := articles{12: {"nl": {GroupID: 12, Locale: "nl", Slug: "storingen", Title: "Storingen"}}}
	return &fixture{svc: New(st, c, Options{Articles: kb, Actions: someActions{"line_check"}}), clock: c, st: st}
}

// published creates and publishes the router flow.
func (fx *fixture) published(t testing.TB) *desk.Flow {
	t.Helper()
	ctx := context.Background()
	f, err := fx.svc.Create(ctx, Input{Locale: "nl", Title: "Geen internet", Definition: router})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if f, err = fx.svc.Publish(ctx, &desk.Agent{ID: 5}, f.ID); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	return f
}

func TestServiceAuthoring(t *testing.T) { testServiceAuthoring(t, nil) }

func testServiceAuthoring(t *testing.T, st Store) {
	ctx := context.Background()
	fx := newFixture(t, st)
	svc := fx.svc

	f, err := svc.Create(ctx, Input{Locale: "nl", Title: "Geen internet?"})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if f.Slug != "geen-internet" || f.Status != desk.ArticleDraft || f.Version != 0 {
		t.Errorf("created %q status %s version %d, want geen-internet, draft, 0", f.Slug, f.Status, f.Version)
	}
	def, err := Draft(f)
	if err != nil {
		t.Fatalf("the starter definition: %v", err)
	}
	if def.Steps[0].Text != "Waar gaat je vraag over?" {
		t.Errorf("starter question %q, want the Dutch one", def.Steps[0].Text)
	}
	if _, _, err := svc.PublicFlow(ctx, "nl", "geen-internet"); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("PublicFlow of a draft: %v, want ErrNotFound", err)
	}

	// Publish makes version 1.
	if f, err = svc.Update(ctx, f.ID, Input{Locale: "nl", Title: "Geen internet?", Slug: "geen-internet", Definition: router}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if f, err = svc.Publish(ctx, &desk.Agent{ID: 5}, f.ID); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if f.Version != 1 || f.Status != desk.ArticlePublished {
		t.Errorf("published version %d status %s, want 1, published", f.Version, f.Status)
	}
	vs, _ := svc.Versions(ctx, f.ID)
	if len(vs) != 1 || vs[0].Version != 1 || vs[0].AgentID != 5 || vs[0].Definition != f.Definition {
		t.Errorf("versions = %+v, want version 1 by agent 5 with the draft", vs)
	}

	// Editing the draft does not change what customers get.
	edited := strings.Replace(router, "Brandt het lampje op je modem?", "Zie je een lampje branden?", 1)
	if f, err = svc.Update(ctx, f.ID, Input{Locale: "nl", Title: "Geen internet?", Slug: "geen-internet", Definition: edited}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	pf, pdef, err := svc.PublicFlow(ctx, "nl", "geen-internet")
	if err != nil {
		t.Fatalf("PublicFlow: %v", err)
	}
	if got := pdef.Step("light").Text; got != "Brandt het lampje op je modem?" || pf.Version != 1 || pdef.Locale != "nl" {
		t.Errorf("public flow version %d asks %q, want version 1's question", pf.Version, got)
	}

	// Publishing the edit makes version 2; publishing again adds nothing.
	if f, err = svc.Publish(ctx, nil, f.ID); err != nil || f.Version != 2 {
		t.Fatalf("Publish: version %d, %v; want 2", f.Version, err)
	}
	if f, err = svc.Publish(ctx, nil, f.ID); err != nil || f.Version != 2 {
		t.Fatalf("Publish unchanged: version %d, %v; want 2", f.Version, err)
	}
	if vs, _ := svc.Versions(ctx, f.ID); len(vs) != 2 {
		t.Errorf("%d versions, want 2", len(vs))
	}
	_, pdef, _ = svc.PublicFlow(ctx, "nl", "geen-internet")
	if got := pdef.Step("light").Text; got != "Zie je een lampje branden?" {
		t.Errorf("public question %q after publishing, want the edit", got)
	}

	// Archived flows are not public.
	if _, err = svc.Archive(ctx, f.ID); err != nil {
		t.Fatalf("Archive: %v", err)
	}
	if _, _, err := svc.PublicFlow(ctx, "nl", "geen-internet"); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("PublicFlow of an archived flow: %v, want ErrNotFound", err)
	}
	if _, _, err := svc.StartRun(ctx, RunInput{FlowID: f.ID, Source: desk.SourceWidget, VisitorKey: "v"}); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("StartRun of an archived flow: %v, want ErrNotFound", err)
	}
}

func TestServiceInputErrors(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t, nil)
	base, err := fx.svc.Create(ctx, Input{Locale: "nl", Title: "Bestaat al"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   Input
		want error
	}{
		{"no title", Input{Locale: "nl"}, desk.ErrInvalid},
		{"unknown locale", Input{Locale: "fr", Title: "Bonjour"}, desk.ErrInvalid},
		{"bad slug", Input{Locale: "nl", Title: "Hoi", Slug: "Hoi Daar"}, desk.ErrInvalid},
		{"invalid definition", Input{Locale: "nl", Title: "Hoi", Definition: `{"start":"x","steps":[]}`}, desk.ErrInvalid},
		{"slug taken", Input{Locale: "nl", Title: "Bestaat al"}, desk.ErrConflict},
		{"translation into its own locale", Input{Locale: "nl", Title: "Nog een", TranslationOf: base.ID}, desk.ErrConflict},
		{"translation of nothing", Input{Locale: "en", Title: "Nothing", TranslationOf: 999}, desk.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := fx.svc.Create(ctx, tc.in); !errors.Is(err, tc.want) {
				t.Errorf("Create: %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := fx.svc.Update(ctx, base.ID, Input{Locale: "en", Title: "Exists"}); !errors.Is(err, desk.ErrInvalid) {
		t.Errorf("Update changing the locale: %v, want ErrInvalid", err)
	}
}

func TestPublishChecksReferences(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t, nil)
	tests := []struct {
		name, def, want string
	}{
		{"article not in the knowledge base", steps(`{"id":"a","kind":"article","article":99,"next":"ok"}`, endOK), "article 99 has no published nl version"},
		{"article only in English", steps(`{"id":"a","kind":"end","outcome":"article","article":13}`), "article 13 has no published nl version"},
		{"unknown action", steps(`{"id":"a","kind":"action","action":"refund","ok":"ok","fail":"ok"}`, endOK), `there is no action "refund"`},
	}
	fx.svc.articles.(articles)[13] = map[string]desk.Article{"en": {GroupID: 13, Locale: "en"}}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := fx.svc.Create(ctx, Input{Locale: "nl", Title: "Flow " + string(rune('a'+i)), Definition: tc.def})
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			_, err = fx.svc.Publish(ctx, nil, f.ID)
			if !errors.Is(err, desk.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Publish: %v, want ErrInvalid saying %q", err, tc.want)
			}
			if vs, _ := fx.svc.Versions(ctx, f.ID); len(vs) != 0 {
				t.Errorf("a rejected publish stored %d versions", len(vs))
			}
		})
	}
}

func TestTranslations(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t, nil)
	nl := fx.published(t)
	en, err := fx.svc.Create(ctx, Input{Locale: "en", Title: "No internet", TranslationOf: nl.ID})
	if err != nil {
		t.Fatalf("Create translation: %v", err)
	}
	if en.GroupID != nl.GroupID {
		t.Errorf("translation GroupID %d, want %d", en.GroupID, nl.GroupID)
	}
	all, _ := fx.svc.Translations(ctx, nl, false)
	if len(all) != 1 || all[0].ID != en.ID {
		t.Errorf("Translations = %v, want the English draft", all)
	}
	if pub, _ := fx.svc.Translations(ctx, nl, true); len(pub) != 0 {
		t.Errorf("public Translations = %v, want none (the English one is a draft)", pub)
	}
}

func TestRuns(t *testing.T) { testRuns(t, nil) }

func testRuns(t *testing.T, st Store) {
	ctx := context.Background()
	fx := newFixture(t, st)
	f := fx.published(t)
	svc := fx.svc

	run, v, err := svc.StartRun(ctx, RunInput{FlowID: f.ID, Source: desk.SourceBot, ConversationID: 77, VisitorKey: "conv-77"})
	if err != nil {
		t.Fatalf("StartRun: %v", err)
	}
	if run.ID == 0 || run.Version != 1 || v.Kind != ViewQuestion || v.Step != "light" {
		t.Fatalf("run %+v view %+v, want a run of version 1 at light", run, v)
	}

	step := func(answer string) View {
		t.Helper()
		fx.clock.add(time.Minute)
		r, v, err := svc.AnswerRun(ctx, run.ID, answer, "conv-77")
		if err != nil {
			t.Fatalf("AnswerRun(%q): %v", answer, err)
		}
		run = r
		return v
	}
	v = step("ja, oranje")
	if v.Kind != ViewArticle || v.Article.Title != "Storingen" || v.Article.Slug != "storingen" {
		t.Errorf("view %+v, want the article with its title and slug", v)
	}
	step("nee")
	v = step("123456")
	// The action ran: its message is shown, the flow ended solved.
	if v.Kind != ViewEnd || v.Outcome != desk.FlowSolved || !reflect.DeepEqual(v.Messages, []string{"Lijn van 123456 gecontroleerd."}) {
		t.Errorf("view %+v, want the solved end after the line check's message", v)
	}

	got, err := fx.st.FlowRunByID(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	want := []desk.FlowStepAnswer{
		{Step: "light", Answer: "Ja, oranje", At: at(1)},
		{Step: "article", Answer: AnswerNo, At: at(2)},
		{Step: "order", Answer: "123456", At: at(3)},
		{Step: "check", Answer: ActionOK, At: at(3)},
		{Step: "fixed", At: at(3)},
	}
	if !reflect.DeepEqual(got.Path, want) {
		t.Errorf("path = %+v\nwant %+v", got.Path, want)
	}
	if got.Outcome != desk.FlowSolved || !got.EndedAt.Equal(at(3)) || got.ConversationID != 77 || got.Source != desk.SourceBot {
		t.Errorf("run = %+v, want solved, ended at %v, conversation 77, source bot", got, at(3))
	}

	// An ended run shows its end again and does not change.
	fx.clock.add(time.Minute)
	again, v, err := svc.AnswerRun(ctx, run.ID, "1", "conv-77")
	if err != nil || v.Kind != ViewEnd || !reflect.DeepEqual(again.Path, got.Path) || !again.UpdatedAt.Equal(got.UpdatedAt) {
		t.Errorf("AnswerRun on an ended run: %v %+v, want the end unchanged", err, v)
	}

	// Another visitor cannot see or answer the run.
	if _, _, err := svc.AnswerRun(ctx, run.ID, "1", "someone-else"); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("AnswerRun by another visitor: %v, want ErrNotFound", err)
	}
	if _, _, err := svc.RunView(ctx, run.ID, ""); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("RunView without a key: %v, want ErrNotFound", err)
	}

	// The agent's report spells out the path.
	reps, err := svc.ConversationRuns(ctx, 77)
	if err != nil || len(reps) != 1 {
		t.Fatalf("ConversationRuns: %v, %d reports", err, len(reps))
	}
	if s := reps[0].Steps[0]; s.Text != "Brandt het lampje op je modem?" || s.Answer != "Ja, oranje" || s.Kind != KindQuestion {
		t.Errorf("first report step %+v, want the question with its answer", s)
	}
	if s := reps[0].Steps[1]; s.Article != 12 || s.Answer != AnswerNo {
		t.Errorf("second report step %+v, want article 12 answered no", s)
	}
}

func TestRunMisunderstoodHandsOver(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t, nil)
	f := fx.published(t)
	run, _, err := fx.svc.StartRun(ctx, RunInput{FlowID: f.ID, Source: desk.SourceWidget, VisitorKey: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	var v View
	for i, a := range []string{"hallo?", "ik snap het niet", "help"} {
		if run, v, err = fx.svc.AnswerRun(ctx, run.ID, a, "v1"); err != nil {
			t.Fatal(err)
		}
		if i < 2 && (v.Kind != ViewQuestion || v.Hint == "") {
			t.Errorf("after %d misunderstood answers: %+v, want the question again with a hint", i+1, v)
		}
	}
	if v.Kind != ViewEnd || v.Outcome != desk.FlowHandover || v.Team != 4 || run.Outcome != desk.FlowHandover {
		t.Errorf("after 3 misunderstood answers: view %+v run outcome %q, want a hand-over to team 4", v, run.Outcome)
	}
}

func TestRunActionErrorTakesFailBranch(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t, nil)
	f := fx.published(t)
	run, _, _ := fx.svc.StartRun(ctx, RunInput{FlowID: f.ID, Source: desk.SourceHelpCenter, VisitorKey: "v"})
	var v View
	var err error
	for _, a := range []string{"2", "2", "000000"} {
		if run, v, err = fx.svc.AnswerRun(ctx, run.ID, a, "v"); err != nil {
			t.Fatal(err)
		}
	}
	if v.Outcome != desk.FlowHandover || v.Team != 7 || run.Path[3].Answer != ActionFail {
		t.Errorf("view %+v path %+v, want the fail branch's hand-over", v, run.Path)
	}
}

func TestStartRunErrors(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t, nil)
	f := fx.published(t)
	draft, _ := fx.svc.Create(ctx, Input{Locale: "nl", Title: "Concept"})
	tests := []struct {
		name string
		in   RunInput
		want error
	}{
		{"no visitor key", RunInput{FlowID: f.ID, Source: desk.SourceWidget}, desk.ErrInvalid},
		{"unknown source", RunInput{FlowID: f.ID, Source: "fax", VisitorKey: "v"}, desk.ErrInvalid},
		{"draft", RunInput{FlowID: draft.ID, Source: desk.SourceWidget, VisitorKey: "v"}, desk.ErrNotFound},
		{"no such flow", RunInput{FlowID: 999, Source: desk.SourceWidget, VisitorKey: "v"}, desk.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := fx.svc.StartRun(ctx, tc.in); !errors.Is(err, tc.want) {
				t.Errorf("StartRun: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRunKeepsItsVersion(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t, nil)
	f := fx.published(t)
	run, _, _ := fx.svc.StartRun(ctx, RunInput{FlowID: f.ID, Source: desk.SourceWidget, VisitorKey: "v"})

	// Version 2 sends the option the customer is about to choose elsewhere.
	edited := strings.Replace(router, `{"label": "Ja, oranje", "next": "article"},`, `{"label": "Ja, oranje", "next": "restart"},`, 1)
	edited = strings.Replace(edited, `{"label": "Ja", "next": "light"},`, `{"label": "Ja", "next": "article"},`, 1)
	if _, err := fx.svc.Update(ctx, f.ID, Input{Locale: "nl", Title: f.Title, Slug: f.Slug, Definition: edited}); err != nil {
		t.Fatal(err)
	}
	if f2, err := fx.svc.Publish(ctx, nil, f.ID); err != nil || f2.Version != 2 {
		t.Fatalf("Publish: %v", err)
	}
	_, v, err := fx.svc.AnswerRun(ctx, run.ID, "Ja, oranje", "v")
	if err != nil || v.Kind != ViewArticle {
		t.Errorf("AnswerRun on a version 1 run: %+v, %v; want the article of version 1", v, err)
	}
}

func TestStats(t *testing.T) { testStats(t, nil) }

func testStats(t *testing.T, st Store) {
	ctx := context.Background()
	fx := newFixture(t, st)
	f := fx.published(t)
	walks := [][]string{
		{"1", "ja"},                   // solved at "solved"
		{"1", "nee", "123456"},        // line check ok: solved at "fixed"
		{"2", "ja"},                   // solved by the article
		{"2", "nee", "999999"},        // line check fails: handover
		{"3", "Nee, nog steeds niet"}, // handover
		{"x", "y", "z"},               // misunderstood: handover
		{"1"},                         // left at "works"
		{"3"},                         // left at "again"
		{"3", "ja", "2", "nee"},       // looped, left at "order"
	}
	for i, w := range walks {
		run, _, err := fx.svc.StartRun(ctx, RunInput{FlowID: f.ID, Source: desk.SourceWidget, VisitorKey: "v"})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range w {
			if _, _, err := fx.svc.AnswerRun(ctx, run.ID, a, "v"); err != nil {
				t.Fatalf("walk %d: AnswerRun(%q): %v", i, a, err)
			}
		}
		fx.clock.add(time.Hour)
	}
	// A run outside the period.
	fx.svc.StartRun(ctx, RunInput{FlowID: f.ID, Source: desk.SourceWidget, VisitorKey: "v"})

	stats, err := fx.svc.Stats(ctx, f.ID, t0, t0.Add(time.Duration(len(walks))*time.Hour))
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	totals := [5]int{stats.Runs, stats.Solved, stats.Article, stats.Handover, stats.Abandoned}
	if want := [5]int{9, 3, 0, 3, 3}; totals != want {
		t.Errorf("runs, solved, article, handover, abandoned = %v, want %v", totals, want)
	}
	if stats.Version != 1 || len(stats.Steps) != 11 {
		t.Errorf("version %d with %d steps, want 1 with 11", stats.Version, len(stats.Steps))
	}
	type row struct {
		reached, dropOff, answered, misunderstood int
		answers                                   []AnswerCount
	}
	want := map[string]row{
		"light":   {9, 0, 9, 3, []AnswerCount{{"Ja, groen", 3}, {"Ja, oranje", 3}, {"Nee", 3}}},
		"again":   {3, 1, 2, 0, []AnswerCount{{"Ja", 1}, {"Nee, nog steeds niet", 1}}},
		"works":   {3, 1, 2, 0, []AnswerCount{{"Ja", 1}, {"Nee", 1}}},
		"article": {3, 0, 3, 0, []AnswerCount{{AnswerNo, 2}, {AnswerYes, 1}}},
		"order":   {3, 1, 2, 0, nil}, // inputs are not listed
		"check":   {2, 0, 2, 0, []AnswerCount{{ActionFail, 1}, {ActionOK, 1}}},
		"agent":   {2, 0, 0, 0, nil},
	}
	for _, s := range stats.Steps {
		w, ok := want[s.Step]
		if !ok {
			continue
		}
		got := row{s.Reached, s.DropOff, s.Answered, s.Misunderstood, s.Answers}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("step %s: %+v, want %+v", s.Step, got, w)
		}
	}
}
