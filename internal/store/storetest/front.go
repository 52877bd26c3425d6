package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// The digital front line (desk/front.go): intent examples, flows and their
// runs, bot sessions, saved replies with suggestion events, contact-page
// visits, and the category and language of a conversation. Titles and
// topics whose order is checked are plain lower-case ASCII words, so that
// SQLite's binary order and a PostgreSQL collation agree.

func intentsOf(t *testing.T, s desk.Store) desk.IntentExampleStore {
	t.Helper()
	st, ok := s.(desk.IntentExampleStore)
	if !ok {
		t.Fatalf("%T does not implement desk.IntentExampleStore", s)
	}
	return st
}

func flowsOf(t *testing.T, s desk.Store) desk.FlowStore {
	t.Helper()
	st, ok := s.(desk.FlowStore)
	if !ok {
		t.Fatalf("%T does not implement desk.FlowStore", s)
	}
	return st
}

func botOf(t *testing.T, s desk.Store) desk.BotSessionStore {
	t.Helper()
	st, ok := s.(desk.BotSessionStore)
	if !ok {
		t.Fatalf("%T does not implement desk.BotSessionStore", s)
	}
	return st
}

func repliesOf(t *testing.T, s desk.Store) desk.SavedReplyStore {
	t.Helper()
	st, ok := s.(desk.SavedReplyStore)
	if !ok {
		t.Fatalf("%T does not implement desk.SavedReplyStore", s)
	}
	return st
}

func visitsOf(t *testing.T, s desk.Store) desk.ContactVisitStore {
	t.Helper()
	st, ok := s.(desk.ContactVisitStore)
	if !ok {
		t.Fatalf("%T does not implement desk.ContactVisitStore", s)
	}
	return st
}

// newFlow stores f with defaults for what it leaves empty.
func newFlow(t *testing.T, fs desk.FlowStore, f desk.Flow) *desk.Flow {
	t.Helper()
	if f.Locale == "" {
		f.Locale = "nl"
	}
	if f.Title == "" {
		f.Title = f.Slug
	}
	if f.Status == "" {
		f.Status = desk.ArticlePublished
	}
	if f.Definition == "" {
		f.Definition = `{"steps":[]}`
	}
	must(t, fs.CreateFlow(ctx(t), &f), "CreateFlow "+f.Slug)
	return &f
}

func newFlowRun(t *testing.T, fs desk.FlowStore, r desk.FlowRun) *desk.FlowRun {
	t.Helper()
	if r.Version == 0 {
		r.Version = 1
	}
	if r.Source == "" {
		r.Source = desk.SourceHelpCenter
	}
	must(t, fs.CreateFlowRun(ctx(t), &r), "CreateFlowRun")
	return &r
}

func newSavedReply(t *testing.T, rs desk.SavedReplyStore, r desk.SavedReply) *desk.SavedReply {
	t.Helper()
	if r.Locale == "" {
		r.Locale = "nl"
	}
	if r.Body == "" {
		r.Body = "Beste {{contact.name}}, " + r.Title
	}
	must(t, rs.CreateSavedReply(ctx(t), &r), "CreateSavedReply "+r.Title)
	return &r
}

func flowIDs(fs []desk.Flow) []int64 { return ids(fs, func(f desk.Flow) int64 { return f.ID }) }

func runIDs(rs []desk.FlowRun) []int64 { return ids(rs, func(r desk.FlowRun) int64 { return r.ID }) }

func replyIDs(rs []desk.SavedReply) []int64 {
	return ids(rs, func(r desk.SavedReply) int64 { return r.ID })
}

func exampleIDs(es []desk.IntentExample) []int64 {
	return ids(es, func(e desk.IntentExample) int64 { return e.ID })
}

func checkCategory(t *testing.T, what string, got *desk.Conversation, category string, by desk.CategorySource, language string) {
	t.Helper()
	if got.Category != category || got.CategoryBy != by || got.Language != language {
		t.Errorf("%s: category, by, language = %q %q %q, want %q %q %q", what,
			got.Category, got.CategoryBy, got.Language, category, by, language)
	}
}

func checkFlow(t *testing.T, what string, got, want *desk.Flow) {
	t.Helper()
	if got.ID != want.ID || got.GroupID != want.GroupID || got.Locale != want.Locale || got.Slug != want.Slug ||
		got.Title != want.Title || got.Description != want.Description || got.Status != want.Status ||
		got.Definition != want.Definition || got.Version != want.Version || got.Category != want.Category {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
	checkTime(t, what+" CreatedAt", got.CreatedAt, want.CreatedAt)
}

func checkPath(t *testing.T, what string, got, want []desk.FlowStepAnswer) {
	t.Helper()
	if len(want) == 0 {
		if got != nil {
			t.Errorf("%s Path = %#v, want nil", what, got)
		}
		return
	}
	if len(got) != len(want) {
		t.Errorf("%s Path = %+v, want %+v", what, got, want)
		return
	}
	for i := range want {
		if got[i].Step != want[i].Step || got[i].Answer != want[i].Answer {
			t.Errorf("%s Path[%d] = %+v, want %+v", what, i, got[i], want[i])
		}
		checkTime(t, fmt.Sprintf("%s Path[%d].At", what, i), got[i].At, want[i].At)
	}
}

func checkRun(t *testing.T, what string, got, want *desk.FlowRun) {
	t.Helper()
	if got.ID != want.ID || got.FlowID != want.FlowID || got.Version != want.Version || got.Source != want.Source ||
		got.ConversationID != want.ConversationID || got.VisitorKey != want.VisitorKey || got.Outcome != want.Outcome {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
	checkPath(t, what, got.Path, want.Path)
	checkTime(t, what+" StartedAt", got.StartedAt, want.StartedAt)
	checkTime(t, what+" UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	checkTime(t, what+" EndedAt", got.EndedAt, want.EndedAt)
}

func checkSavedReply(t *testing.T, what string, got, want *desk.SavedReply) {
	t.Helper()
	if got.ID != want.ID || got.TeamID != want.TeamID || got.Locale != want.Locale || got.Title != want.Title ||
		got.Body != want.Body || got.Shortcut != want.Shortcut || got.Category != want.Category ||
		got.Uses != want.Uses || got.AgentID != want.AgentID {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
	checkTime(t, what+" CreatedAt", got.CreatedAt, want.CreatedAt)
}

var frontTests = []test{
	{"conversation category and language", func(t *testing.T, s desk.Store) {
		in := newInbox(t, s, "web", desk.ChannelWebChat)
		c := newContact(t, s, "Jan", "", "")
		plain := newConversation(t, s, in, c, at(0))
		got, err := s.ConversationByID(ctx(t), plain.ID)
		must(t, err, "ConversationByID plain")
		checkCategory(t, "default", got, "", "", "")

		cv := &desk.Conversation{InboxID: in.ID, Channel: in.Channel, ContactID: c.ID, Subject: "pakket",
			Status: desk.StatusOpen, Priority: desk.PriorityNone, Category: "levering", CategoryBy: desk.CategoryByBot,
			Language: "nl", LastActivityAt: at(1), CreatedAt: at(1), UpdatedAt: at(1)}
		must(t, s.CreateConversation(ctx(t), cv), "CreateConversation")
		newMessage(t, s, cv, desk.KindMessage, desk.SenderContact, c.ID, "Mijn pakket is zoek")

		// Every read returns the fields.
		reads := func(what, category string, by desk.CategorySource, language string) {
			t.Helper()
			got, err := s.ConversationByID(ctx(t), cv.ID)
			must(t, err, what+" ConversationByID")
			checkCategory(t, what+" ConversationByID", got, category, by, language)
			got, err = s.OpenConversationFor(ctx(t), in.ID, c.ID)
			must(t, err, what+" OpenConversationFor")
			if got.ID != cv.ID {
				t.Fatalf("%s OpenConversationFor = %d, want %d", what, got.ID, cv.ID)
			}
			checkCategory(t, what+" OpenConversationFor", got, category, by, language)
			list, err := s.ConversationsOfContact(ctx(t), c.ID, 10)
			must(t, err, what+" ConversationsOfContact")
			if len(list) != 2 || list[0].ID != cv.ID {
				t.Fatalf("%s ConversationsOfContact = %v, want [%d %d]", what, convIDs(list), cv.ID, plain.ID)
			}
			checkCategory(t, what+" ConversationsOfContact", &list[0], category, by, language)
			page, err := s.ListConversations(ctx(t), desk.ConversationQuery{WithContact: true})
			must(t, err, what+" ListConversations")
			if len(page.Items) != 2 || page.Items[0].ID != cv.ID {
				t.Fatalf("%s ListConversations = %v, want [%d %d]", what, convIDs(page.Items), cv.ID, plain.ID)
			}
			checkCategory(t, what+" ListConversations", &page.Items[0], category, by, language)
			hits := search(t, s, "pakket", 10)
			if len(hits) != 1 || hits[0].Conversation.ID != cv.ID {
				t.Fatalf("%s SearchConversations = %v, want [%d]", what, hitIDs(hits), cv.ID)
			}
			checkCategory(t, what+" SearchConversations", &hits[0].Conversation, category, by, language)
		}
		reads("after create", "levering", desk.CategoryByBot, "nl")

		cv.Category, cv.CategoryBy, cv.Language = "retour", desk.CategoryByAgent, "en"
		must(t, s.UpdateConversation(ctx(t), cv), "UpdateConversation")
		reads("after update", "retour", desk.CategoryByAgent, "en")

		cv.Category, cv.CategoryBy, cv.Language = "", "", ""
		must(t, s.UpdateConversation(ctx(t), cv), "UpdateConversation clearing")
		reads("after clearing", "", "", "")

		cv.Category, cv.CategoryBy, cv.Language = "betalen", desk.CategoryByBot, "de"
		cv.Status, cv.SnoozedUntil = desk.StatusSnoozed, at(5)
		must(t, s.UpdateConversation(ctx(t), cv), "UpdateConversation snooze")
		woke, err := s.WakeSnoozed(ctx(t), at(10))
		must(t, err, "WakeSnoozed")
		if len(woke) != 1 || woke[0].ID != cv.ID {
			t.Fatalf("WakeSnoozed = %v, want [%d]", convIDs(woke), cv.ID)
		}
		checkCategory(t, "WakeSnoozed", &woke[0], "betalen", desk.CategoryByBot, "de")
	}},
	{"conversation category filter", func(t *testing.T, s desk.Store) {
		f := newListFixture(t, s)
		// f.all is newest first; give every conversation but two a category.
		categories := []string{"levering", "retour", "", "levering", "betalen", "levering", "", "retour"}
		byCategory := map[int64]string{}
		for i, cv := range f.all {
			cv.Category, cv.CategoryBy = categories[i], desk.CategoryByBot
			if cv.Category == "" {
				cv.CategoryBy = ""
			}
			must(t, s.UpdateConversation(ctx(t), cv), "UpdateConversation")
			byCategory[cv.ID] = cv.Category
		}
		for _, tc := range []struct {
			name string
			q    desk.ConversationQuery
			keep func(c *desk.Conversation) bool
		}{
			{"levering", desk.ConversationQuery{Category: "levering"},
				func(c *desk.Conversation) bool { return byCategory[c.ID] == "levering" }},
			{"retour", desk.ConversationQuery{Category: "retour"},
				func(c *desk.Conversation) bool { return byCategory[c.ID] == "retour" }},
			{"empty is any", desk.ConversationQuery{}, func(c *desk.Conversation) bool { return true }},
			{"unknown", desk.ConversationQuery{Category: "nope"}, func(c *desk.Conversation) bool { return false }},
			{"levering open", desk.ConversationQuery{Category: "levering", Status: desk.StatusOpen},
				func(c *desk.Conversation) bool { return byCategory[c.ID] == "levering" && c.Status == desk.StatusOpen }},
			{"levering mine", desk.ConversationQuery{Category: "levering", View: desk.ViewMine, AgentID: f.anna.ID},
				func(c *desk.Conversation) bool { return byCategory[c.ID] == "levering" && c.AssigneeID == f.anna.ID }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				want := f.want(tc.keep)
				page, err := s.ListConversations(ctx(t), tc.q)
				must(t, err, "ListConversations")
				if got := convIDs(page.Items); !sameIDs(got, want) {
					t.Errorf("ListConversations = %v, want %v", got, want)
				}
				n, err := s.CountConversations(ctx(t), tc.q)
				must(t, err, "CountConversations")
				if n != len(want) {
					t.Errorf("CountConversations = %d, want %d", n, len(want))
				}
			})
		}
		// The filter holds across pages.
		q := desk.ConversationQuery{Category: "levering", Limit: 1}
		var got []int64
		for range 10 {
			page, err := s.ListConversations(ctx(t), q)
			must(t, err, "ListConversations page")
			got = append(got, convIDs(page.Items)...)
			if page.Next == nil {
				break
			}
			q.After = page.Next
		}
		if want := f.want(func(c *desk.Conversation) bool { return byCategory[c.ID] == "levering" }); !sameIDs(got, want) {
			t.Errorf("pages joined = %v, want %v", got, want)
		}
	}},

	{"intent examples", func(t *testing.T, s desk.Store) {
		ie := intentsOf(t, s)
		in := newInbox(t, s, "web", desk.ChannelWebChat)
		c := newContact(t, s, "Jan", "", "")
		cv1, cv2 := newConversation(t, s, in, c, at(0)), newConversation(t, s, in, c, at(1))

		n, err := ie.CountIntentExamples(ctx(t))
		must(t, err, "CountIntentExamples empty")
		if n != 0 {
			t.Errorf("CountIntentExamples empty = %d, want 0", n)
		}
		list, err := ie.ListIntentExamples(ctx(t), 0, 0)
		must(t, err, "ListIntentExamples empty")
		if len(list) != 0 {
			t.Errorf("ListIntentExamples empty = %v, want none", exampleIDs(list))
		}

		imp1 := &desk.IntentExample{Text: "waar is mijn pakket", Category: "levering", Locale: "nl", Source: "import", CreatedAt: at(0)}
		must(t, ie.PutIntentExample(ctx(t), imp1), "PutIntentExample import")
		if imp1.ID == 0 {
			t.Fatal("PutIntentExample did not set ID")
		}
		// Imported examples (conversation 0) never replace each other.
		imp2 := &desk.IntentExample{Text: "where is my parcel", Category: "levering", Locale: "en", Source: "import"}
		before := time.Now()
		must(t, ie.PutIntentExample(ctx(t), imp2), "PutIntentExample import 2")
		checkNow(t, "zero CreatedAt", imp2.CreatedAt, before)
		ag1 := &desk.IntentExample{Text: "ik wil iets terugsturen", Category: "levering", Locale: "nl", Source: "agent",
			ConversationID: cv1.ID, CreatedAt: at(1)}
		must(t, ie.PutIntentExample(ctx(t), ag1), "PutIntentExample agent")
		ag2 := &desk.IntentExample{Text: "factuur klopt niet", Category: "betalen", Locale: "nl", Source: "agent",
			ConversationID: cv2.ID, CreatedAt: at(2)}
		must(t, ie.PutIntentExample(ctx(t), ag2), "PutIntentExample agent 2")

		// A correction on the same conversation replaces the example, keeping its ID.
		fix := &desk.IntentExample{Text: "ik wil mijn jas terugsturen", Category: "retour", Locale: "nl", Source: "agent",
			ConversationID: cv1.ID, CreatedAt: at(3)}
		must(t, ie.PutIntentExample(ctx(t), fix), "PutIntentExample correction")
		if fix.ID != ag1.ID {
			t.Errorf("correction ID = %d, want the replaced example's %d", fix.ID, ag1.ID)
		}

		n, err = ie.CountIntentExamples(ctx(t))
		must(t, err, "CountIntentExamples")
		if n != 4 {
			t.Errorf("CountIntentExamples = %d, want 4", n)
		}
		list, err = ie.ListIntentExamples(ctx(t), 0, 0)
		must(t, err, "ListIntentExamples")
		if want := []int64{imp1.ID, imp2.ID, ag1.ID, ag2.ID}; !sameIDs(exampleIDs(list), want) {
			t.Fatalf("ListIntentExamples = %v, want %v", exampleIDs(list), want)
		}
		for i, want := range []*desk.IntentExample{imp1, imp2, fix, ag2} {
			got := list[i]
			if got.Text != want.Text || got.Category != want.Category || got.Locale != want.Locale ||
				got.Source != want.Source || got.ConversationID != want.ConversationID {
				t.Errorf("example %d = %+v, want %+v", i, got, want)
			}
			checkTime(t, fmt.Sprintf("example %d CreatedAt", i), got.CreatedAt, want.CreatedAt)
		}

		for _, tc := range []struct {
			name    string
			afterID int64
			limit   int
			want    []int64
		}{
			{"after the first", imp1.ID, 0, []int64{imp2.ID, ag1.ID, ag2.ID}},
			{"limit", 0, 2, []int64{imp1.ID, imp2.ID}},
			{"after and limit", imp2.ID, 1, []int64{ag1.ID}},
			{"negative limit is the default", 0, -1, []int64{imp1.ID, imp2.ID, ag1.ID, ag2.ID}},
			{"after the last", ag2.ID, 0, nil},
		} {
			got, err := ie.ListIntentExamples(ctx(t), tc.afterID, tc.limit)
			must(t, err, "ListIntentExamples "+tc.name)
			if !sameIDs(exampleIDs(got), tc.want) {
				t.Errorf("ListIntentExamples %s = %v, want %v", tc.name, exampleIDs(got), tc.want)
			}
		}

		must(t, ie.DeleteIntentExamples(ctx(t), "import"), "DeleteIntentExamples import")
		list, err = ie.ListIntentExamples(ctx(t), 0, 0)
		must(t, err, "ListIntentExamples after delete")
		if want := []int64{ag1.ID, ag2.ID}; !sameIDs(exampleIDs(list), want) {
			t.Errorf("after deleting imports = %v, want %v", exampleIDs(list), want)
		}
		must(t, ie.DeleteIntentExamples(ctx(t), "nothing"), "DeleteIntentExamples of an unknown source")
		must(t, ie.DeleteIntentExamples(ctx(t), ""), "DeleteIntentExamples all")
		n, err = ie.CountIntentExamples(ctx(t))
		must(t, err, "CountIntentExamples after delete all")
		if n != 0 {
			t.Errorf("CountIntentExamples after delete all = %d, want 0", n)
		}
		// The conversation is free for a new example after the delete.
		again := &desk.IntentExample{Text: "retour", Category: "retour", Locale: "nl", Source: "agent", ConversationID: cv1.ID}
		must(t, ie.PutIntentExample(ctx(t), again), "PutIntentExample after delete")
		if again.ID == 0 || again.ID == ag1.ID {
			t.Errorf("new example ID = %d, want a fresh one", again.ID)
		}
	}},

	{"flow crud", func(t *testing.T, s desk.Store) {
		fs := flowsOf(t, s)
		f := &desk.Flow{Locale: "nl", Slug: "router-herstarten", Title: "Router herstarten", Description: "Stap voor stap",
			Status: desk.ArticleDraft, Definition: `{"steps":[{"id":"a"}]}`, Category: "internet", CreatedAt: at(0)}
		must(t, fs.CreateFlow(ctx(t), f), "CreateFlow")
		if f.ID == 0 || f.GroupID != f.ID {
			t.Fatalf("after create ID = %d, GroupID = %d; want GroupID = ID", f.ID, f.GroupID)
		}
		checkTime(t, "UpdatedAt set from CreatedAt", f.UpdatedAt, at(0))
		en := &desk.Flow{GroupID: f.ID, Locale: "en", Slug: "restart-router", Title: "Restart the router",
			Status: desk.ArticleDraft, Definition: "{}"}
		before := time.Now()
		must(t, fs.CreateFlow(ctx(t), en), "CreateFlow translation")
		if en.GroupID != f.ID {
			t.Errorf("translation GroupID = %d, want %d", en.GroupID, f.ID)
		}
		checkNow(t, "zero CreatedAt", en.CreatedAt, before)

		for _, get := range []struct {
			name string
			fn   func() (*desk.Flow, error)
		}{
			{"by id", func() (*desk.Flow, error) { return fs.FlowByID(ctx(t), f.ID) }},
			{"by slug", func() (*desk.Flow, error) { return fs.FlowBySlug(ctx(t), "nl", "router-herstarten") }},
		} {
			got, err := get.fn()
			must(t, err, get.name)
			checkFlow(t, get.name, got, f)
			checkTime(t, get.name+" UpdatedAt", got.UpdatedAt, at(0))
		}
		_, err := fs.FlowBySlug(ctx(t), "en", "router-herstarten")
		wantErr(t, err, desk.ErrNotFound, "FlowBySlug other locale")

		// Update writes every field but ID, GroupID and CreatedAt, and moves
		// UpdatedAt to now.
		upd := &desk.Flow{ID: f.ID, GroupID: 999, Locale: "nl", Slug: "modem-herstarten", Title: "Modem herstarten",
			Description: "Anders", Status: desk.ArticlePublished, Definition: `{"steps":[]}`, Version: 2,
			Category: "tv", CreatedAt: at(50), UpdatedAt: at(50)}
		before = time.Now()
		must(t, fs.UpdateFlow(ctx(t), upd), "UpdateFlow")
		got, err := fs.FlowByID(ctx(t), f.ID)
		must(t, err, "FlowByID after update")
		want := *upd
		want.GroupID, want.CreatedAt = f.ID, f.CreatedAt
		checkFlow(t, "after update", got, &want)
		checkNow(t, "UpdatedAt after update", got.UpdatedAt, before)
		_, err = fs.FlowBySlug(ctx(t), "nl", "router-herstarten")
		wantErr(t, err, desk.ErrNotFound, "FlowBySlug old slug")

		wantErr(t, fs.UpdateFlow(ctx(t), &desk.Flow{ID: 424242, Locale: "nl", Slug: "x", Title: "x", Status: desk.ArticleDraft}),
			desk.ErrNotFound, "UpdateFlow missing")
		_, err = fs.FlowByID(ctx(t), 424242)
		wantErr(t, err, desk.ErrNotFound, "FlowByID missing")
		must(t, fs.DeleteFlow(ctx(t), en.ID), "DeleteFlow")
		_, err = fs.FlowByID(ctx(t), en.ID)
		wantErr(t, err, desk.ErrNotFound, "FlowByID after delete")
		wantErr(t, fs.DeleteFlow(ctx(t), en.ID), desk.ErrNotFound, "DeleteFlow twice")
	}},
	{"flow slug unique per locale", func(t *testing.T, s desk.Store) {
		fs := flowsOf(t, s)
		first := newFlow(t, fs, desk.Flow{Slug: "wifi"})
		other := newFlow(t, fs, desk.Flow{Slug: "tv"})
		for _, tc := range []struct {
			name   string
			locale string
			want   error
		}{
			{"same locale", "nl", desk.ErrConflict},
			{"other locale", "en", nil},
		} {
			err := fs.CreateFlow(ctx(t), &desk.Flow{Locale: tc.locale, Slug: "wifi", Title: "x", Status: desk.ArticleDraft})
			if tc.want == nil {
				must(t, err, "CreateFlow "+tc.name)
			} else {
				wantErr(t, err, tc.want, "CreateFlow "+tc.name)
			}
		}
		other.Slug = first.Slug
		wantErr(t, fs.UpdateFlow(ctx(t), other), desk.ErrConflict, "UpdateFlow to a taken slug")
	}},
	{"list flows", func(t *testing.T, s desk.Store) {
		fs := flowsOf(t, s)
		beta := newFlow(t, fs, desk.Flow{Slug: "b", Title: "beta", Status: desk.ArticleDraft})
		alpha := newFlow(t, fs, desk.Flow{Slug: "a", Title: "alpha"})
		gamma := newFlow(t, fs, desk.Flow{Slug: "c", Title: "gamma", Status: desk.ArticleArchived})
		alphaEN := newFlow(t, fs, desk.Flow{Locale: "en", Slug: "a", Title: "alpha"})
		for _, tc := range []struct {
			name   string
			locale string
			status desk.ArticleStatus
			want   []int64
		}{
			{"locale by title", "nl", "", []int64{alpha.ID, beta.ID, gamma.ID}},
			{"all locales, ties by id", "", "", []int64{alpha.ID, alphaEN.ID, beta.ID, gamma.ID}},
			{"published", "", desk.ArticlePublished, []int64{alpha.ID, alphaEN.ID}},
			{"drafts in nl", "nl", desk.ArticleDraft, []int64{beta.ID}},
			{"no flows in the locale", "fr", "", nil},
		} {
			got, err := fs.ListFlows(ctx(t), tc.locale, tc.status)
			must(t, err, "ListFlows "+tc.name)
			if !sameIDs(flowIDs(got), tc.want) {
				t.Errorf("ListFlows %s = %v, want %v", tc.name, flowIDs(got), tc.want)
			}
		}
		got, err := fs.ListFlows(ctx(t), "nl", desk.ArticleDraft)
		must(t, err, "ListFlows drafts")
		if len(got) == 1 {
			checkFlow(t, "listed", &got[0], beta)
		}
	}},
	{"flow versions", func(t *testing.T, s desk.Store) {
		fs := flowsOf(t, s)
		a := newAgent(t, s, "Anna", "anna@example.com")
		f := newFlow(t, fs, desk.Flow{Slug: "wifi"})
		other := newFlow(t, fs, desk.Flow{Slug: "tv"})
		v1 := &desk.FlowVersion{FlowID: f.ID, Version: 1, Definition: `{"v":1}`, AgentID: a.ID, CreatedAt: at(1)}
		must(t, fs.AddFlowVersion(ctx(t), v1), "AddFlowVersion 1")
		v2 := &desk.FlowVersion{FlowID: f.ID, Version: 2, Definition: `{"v":2}`, AgentID: a.ID}
		before := time.Now()
		must(t, fs.AddFlowVersion(ctx(t), v2), "AddFlowVersion 2")
		checkNow(t, "zero CreatedAt", v2.CreatedAt, before)
		must(t, fs.AddFlowVersion(ctx(t), &desk.FlowVersion{FlowID: other.ID, Version: 1, Definition: "{}"}),
			"AddFlowVersion 1 of another flow")

		wantErr(t, fs.AddFlowVersion(ctx(t), &desk.FlowVersion{FlowID: f.ID, Version: 1, Definition: "{}"}),
			desk.ErrConflict, "AddFlowVersion existing number")
		wantErr(t, fs.AddFlowVersion(ctx(t), &desk.FlowVersion{FlowID: 424242, Version: 1, Definition: "{}"}),
			desk.ErrNotFound, "AddFlowVersion of a missing flow")

		got, err := fs.FlowVersionOf(ctx(t), f.ID, 1)
		must(t, err, "FlowVersionOf")
		if got.FlowID != f.ID || got.Version != 1 || got.Definition != v1.Definition || got.AgentID != a.ID {
			t.Errorf("FlowVersionOf = %+v, want %+v", got, v1)
		}
		checkTime(t, "version CreatedAt", got.CreatedAt, at(1))
		_, err = fs.FlowVersionOf(ctx(t), f.ID, 3)
		wantErr(t, err, desk.ErrNotFound, "FlowVersionOf missing")

		list, err := fs.FlowVersions(ctx(t), f.ID)
		must(t, err, "FlowVersions")
		if len(list) != 2 || list[0].Version != 2 || list[1].Version != 1 {
			t.Errorf("FlowVersions = %+v, want versions 2, 1", list)
		} else if list[0].Definition != v2.Definition || list[0].FlowID != f.ID {
			t.Errorf("FlowVersions[0] = %+v, want %+v", list[0], v2)
		}
		list, err = fs.FlowVersions(ctx(t), 424242)
		must(t, err, "FlowVersions of a missing flow")
		if len(list) != 0 {
			t.Errorf("FlowVersions of a missing flow = %+v, want none", list)
		}
	}},
	{"flow runs", func(t *testing.T, s desk.Store) {
		fs := flowsOf(t, s)
		in := newInbox(t, s, "wa", desk.ChannelWhatsApp)
		c := newContact(t, s, "Jan", "", "")
		cv := newConversation(t, s, in, c, at(0))
		f := newFlow(t, fs, desk.Flow{Slug: "wifi", Version: 1})

		r := &desk.FlowRun{FlowID: f.ID, Version: 1, Source: desk.SourceWidget, VisitorKey: "v-1", StartedAt: at(0)}
		must(t, fs.CreateFlowRun(ctx(t), r), "CreateFlowRun")
		if r.ID == 0 {
			t.Fatal("CreateFlowRun did not set ID")
		}
		checkTime(t, "UpdatedAt set from StartedAt", r.UpdatedAt, at(0))
		got, err := fs.FlowRunByID(ctx(t), r.ID)
		must(t, err, "FlowRunByID")
		checkRun(t, "new run", got, r)

		withPath := &desk.FlowRun{FlowID: f.ID, Version: 1, Source: desk.SourceBot, ConversationID: cv.ID,
			Path: []desk.FlowStepAnswer{{Step: "start", At: at(1)}}}
		before := time.Now()
		must(t, fs.CreateFlowRun(ctx(t), withPath), "CreateFlowRun with path")
		checkNow(t, "zero StartedAt", withPath.StartedAt, before)
		got, err = fs.FlowRunByID(ctx(t), withPath.ID)
		must(t, err, "FlowRunByID with path")
		checkRun(t, "run with path", got, withPath)

		// Update writes Path, Outcome, UpdatedAt and EndedAt only.
		upd := *r
		upd.Path = []desk.FlowStepAnswer{
			{Step: "start", Answer: "ja", At: at(1)},
			{Step: "lampjes", Answer: "rood knippert", At: at(2)},
			{Step: "klaar", At: at(3)},
		}
		upd.Outcome, upd.UpdatedAt, upd.EndedAt = desk.FlowSolved, at(3), at(3)
		upd.Version, upd.VisitorKey, upd.Source, upd.StartedAt = 7, "other", desk.SourceAPI, at(40)
		must(t, fs.UpdateFlowRun(ctx(t), &upd), "UpdateFlowRun")
		got, err = fs.FlowRunByID(ctx(t), r.ID)
		must(t, err, "FlowRunByID after update")
		want := *r
		want.Path, want.Outcome, want.UpdatedAt, want.EndedAt = upd.Path, desk.FlowSolved, at(3), at(3)
		checkRun(t, "after update", got, &want)

		// An empty path comes back nil; EndedAt can be cleared.
		upd.Path, upd.Outcome, upd.EndedAt, upd.UpdatedAt = []desk.FlowStepAnswer{}, desk.FlowOpen, time.Time{}, at(4)
		must(t, fs.UpdateFlowRun(ctx(t), &upd), "UpdateFlowRun clearing")
		got, err = fs.FlowRunByID(ctx(t), r.ID)
		must(t, err, "FlowRunByID after clearing")
		want.Path, want.Outcome, want.EndedAt, want.UpdatedAt = nil, desk.FlowOpen, time.Time{}, at(4)
		checkRun(t, "after clearing", got, &want)

		wantErr(t, fs.UpdateFlowRun(ctx(t), &desk.FlowRun{ID: 424242, UpdatedAt: at(1)}), desk.ErrNotFound, "UpdateFlowRun missing")
		_, err = fs.FlowRunByID(ctx(t), 424242)
		wantErr(t, err, desk.ErrNotFound, "FlowRunByID missing")
		wantErr(t, fs.CreateFlowRun(ctx(t), &desk.FlowRun{FlowID: 424242, Version: 1, Source: desk.SourceWidget}),
			desk.ErrNotFound, "CreateFlowRun of a missing flow")
	}},
	{"flow run lists", func(t *testing.T, s desk.Store) {
		fs := flowsOf(t, s)
		in := newInbox(t, s, "wa", desk.ChannelWhatsApp)
		c := newContact(t, s, "Jan", "", "")
		cv, otherCv := newConversation(t, s, in, c, at(0)), newConversation(t, s, in, c, at(0))
		f, other := newFlow(t, fs, desk.Flow{Slug: "wifi"}), newFlow(t, fs, desk.Flow{Slug: "tv"})
		// Created out of order: lists go by StartedAt, not by ID.
		r3 := newFlowRun(t, fs, desk.FlowRun{FlowID: f.ID, StartedAt: at(3), ConversationID: cv.ID})
		r1 := newFlowRun(t, fs, desk.FlowRun{FlowID: f.ID, StartedAt: at(1), ConversationID: cv.ID})
		r0 := newFlowRun(t, fs, desk.FlowRun{FlowID: f.ID, StartedAt: at(0)})
		r2 := newFlowRun(t, fs, desk.FlowRun{FlowID: f.ID, StartedAt: at(2)})
		r4 := newFlowRun(t, fs, desk.FlowRun{FlowID: f.ID, StartedAt: at(4)})
		o2 := newFlowRun(t, fs, desk.FlowRun{FlowID: other.ID, StartedAt: at(2), ConversationID: cv.ID})
		newFlowRun(t, fs, desk.FlowRun{FlowID: other.ID, StartedAt: at(2), ConversationID: otherCv.ID})

		for _, tc := range []struct {
			name         string
			since, until time.Time
			limit        int
			want         []int64
		}{
			{"everything", time.Time{}, time.Time{}, 0, []int64{r0.ID, r1.ID, r2.ID, r3.ID, r4.ID}},
			{"since inclusive, until exclusive", at(1), at(3), 0, []int64{r1.ID, r2.ID}},
			{"no end", at(2), time.Time{}, 0, []int64{r2.ID, r3.ID, r4.ID}},
			{"limit", at(1), time.Time{}, 2, []int64{r1.ID, r2.ID}},
			{"negative limit is the default", time.Time{}, time.Time{}, -1, []int64{r0.ID, r1.ID, r2.ID, r3.ID, r4.ID}},
			{"empty period", at(10), time.Time{}, 0, nil},
		} {
			got, err := fs.FlowRuns(ctx(t), f.ID, tc.since, tc.until, tc.limit)
			must(t, err, "FlowRuns "+tc.name)
			if !sameIDs(runIDs(got), tc.want) {
				t.Errorf("FlowRuns %s = %v, want %v", tc.name, runIDs(got), tc.want)
			}
		}
		got, err := fs.FlowRuns(ctx(t), f.ID, at(3), at(4), 0)
		must(t, err, "FlowRuns one")
		if len(got) == 1 {
			checkRun(t, "listed run", &got[0], r3)
		}

		got, err = fs.ConversationFlowRuns(ctx(t), cv.ID)
		must(t, err, "ConversationFlowRuns")
		if want := []int64{r1.ID, o2.ID, r3.ID}; !sameIDs(runIDs(got), want) {
			t.Errorf("ConversationFlowRuns = %v, want %v", runIDs(got), want)
		}
		got, err = fs.ConversationFlowRuns(ctx(t), 424242)
		must(t, err, "ConversationFlowRuns of a missing conversation")
		if len(got) != 0 {
			t.Errorf("ConversationFlowRuns of a missing conversation = %v, want none", runIDs(got))
		}
	}},
	{"delete flow takes its versions and runs", func(t *testing.T, s desk.Store) {
		fs := flowsOf(t, s)
		f, other := newFlow(t, fs, desk.Flow{Slug: "wifi"}), newFlow(t, fs, desk.Flow{Slug: "tv"})
		must(t, fs.AddFlowVersion(ctx(t), &desk.FlowVersion{FlowID: f.ID, Version: 1, Definition: "{}"}), "AddFlowVersion")
		must(t, fs.AddFlowVersion(ctx(t), &desk.FlowVersion{FlowID: other.ID, Version: 1, Definition: "{}"}), "AddFlowVersion other")
		r := newFlowRun(t, fs, desk.FlowRun{FlowID: f.ID, StartedAt: at(1)})
		kept := newFlowRun(t, fs, desk.FlowRun{FlowID: other.ID, StartedAt: at(1)})
		must(t, fs.DeleteFlow(ctx(t), f.ID), "DeleteFlow")
		_, err := fs.FlowRunByID(ctx(t), r.ID)
		wantErr(t, err, desk.ErrNotFound, "FlowRunByID of a deleted flow")
		_, err = fs.FlowVersionOf(ctx(t), f.ID, 1)
		wantErr(t, err, desk.ErrNotFound, "FlowVersionOf of a deleted flow")
		_, err = fs.FlowRunByID(ctx(t), kept.ID)
		must(t, err, "FlowRunByID of another flow")
		_, err = fs.FlowVersionOf(ctx(t), other.ID, 1)
		must(t, err, "FlowVersionOf of another flow")
	}},

	{"bot sessions", func(t *testing.T, s desk.Store) {
		bs := botOf(t, s)
		in := newInbox(t, s, "wa", desk.ChannelWhatsApp)
		c := newContact(t, s, "Jan", "", "")
		cv, other := newConversation(t, s, in, c, at(0)), newConversation(t, s, in, c, at(0))
		_, err := bs.BotSessionOf(ctx(t), cv.ID)
		wantErr(t, err, desk.ErrNotFound, "BotSessionOf without a session")

		must(t, bs.PutBotSession(ctx(t), &desk.BotSession{ConversationID: cv.ID, State: `{"step":"ask"}`, UpdatedAt: at(1)}),
			"PutBotSession")
		got, err := bs.BotSessionOf(ctx(t), cv.ID)
		must(t, err, "BotSessionOf")
		if got.ConversationID != cv.ID || got.State != `{"step":"ask"}` {
			t.Errorf("BotSessionOf = %+v", got)
		}
		checkTime(t, "UpdatedAt", got.UpdatedAt, at(1))

		next := &desk.BotSession{ConversationID: cv.ID, State: `{"step":"done"}`}
		before := time.Now()
		must(t, bs.PutBotSession(ctx(t), next), "PutBotSession replace")
		checkNow(t, "zero UpdatedAt", next.UpdatedAt, before)
		got, err = bs.BotSessionOf(ctx(t), cv.ID)
		must(t, err, "BotSessionOf after replace")
		if got.State != `{"step":"done"}` {
			t.Errorf("State after replace = %q", got.State)
		}
		checkTime(t, "UpdatedAt after replace", got.UpdatedAt, next.UpdatedAt)
		_, err = bs.BotSessionOf(ctx(t), other.ID)
		wantErr(t, err, desk.ErrNotFound, "BotSessionOf another conversation")
		wantErr(t, bs.PutBotSession(ctx(t), &desk.BotSession{ConversationID: 424242, State: "{}"}),
			desk.ErrNotFound, "PutBotSession for a missing conversation")
	}},

	{"saved reply crud", func(t *testing.T, s desk.Store) {
		rs := repliesOf(t, s)
		a, b := newAgent(t, s, "Anna", "anna@example.com"), newAgent(t, s, "Bram", "bram@example.com")
		tm := newTeam(t, s, "Support")
		r := &desk.SavedReply{TeamID: tm.ID, Locale: "nl", Title: "Retour", Body: "Beste {{contact.name}}, ...",
			Shortcut: "/retour", Category: "retour", Uses: 3, AgentID: a.ID, CreatedAt: at(0)}
		must(t, rs.CreateSavedReply(ctx(t), r), "CreateSavedReply")
		if r.ID == 0 {
			t.Fatal("CreateSavedReply did not set ID")
		}
		checkTime(t, "UpdatedAt set from CreatedAt", r.UpdatedAt, at(0))
		got, err := rs.SavedReplyByID(ctx(t), r.ID)
		must(t, err, "SavedReplyByID")
		checkSavedReply(t, "SavedReplyByID", got, r)
		checkTime(t, "UpdatedAt", got.UpdatedAt, at(0))
		shared := &desk.SavedReply{Locale: "en", Title: "Hello", Body: "Hello"}
		before := time.Now()
		must(t, rs.CreateSavedReply(ctx(t), shared), "CreateSavedReply shared")
		checkNow(t, "zero CreatedAt", shared.CreatedAt, before)

		// Update writes everything but ID, Uses and CreatedAt, and moves
		// UpdatedAt to now; uses are IncSavedReplyUses' alone.
		upd := &desk.SavedReply{ID: r.ID, TeamID: 0, Locale: "en", Title: "Returns", Body: "Dear {{contact.name}}",
			Shortcut: "/returns", Category: "", Uses: 99, AgentID: b.ID, CreatedAt: at(50), UpdatedAt: at(50)}
		before = time.Now()
		must(t, rs.UpdateSavedReply(ctx(t), upd), "UpdateSavedReply")
		got, err = rs.SavedReplyByID(ctx(t), r.ID)
		must(t, err, "SavedReplyByID after update")
		want := *upd
		want.Uses, want.CreatedAt = 3, at(0)
		checkSavedReply(t, "after update", got, &want)
		checkNow(t, "UpdatedAt after update", got.UpdatedAt, before)
		updated := got.UpdatedAt

		// A use is not an edit: UpdatedAt stays.
		must(t, rs.IncSavedReplyUses(ctx(t), r.ID), "IncSavedReplyUses")
		must(t, rs.IncSavedReplyUses(ctx(t), r.ID), "IncSavedReplyUses again")
		got, err = rs.SavedReplyByID(ctx(t), r.ID)
		must(t, err, "SavedReplyByID after uses")
		if got.Uses != 5 {
			t.Errorf("Uses = %d, want 5", got.Uses)
		}
		checkTime(t, "UpdatedAt after uses", got.UpdatedAt, updated)

		for _, tc := range []struct {
			name string
			err  error
		}{
			{"UpdateSavedReply", rs.UpdateSavedReply(ctx(t), &desk.SavedReply{ID: 424242, Locale: "nl", Title: "x"})},
			{"DeleteSavedReply", rs.DeleteSavedReply(ctx(t), 424242)},
			{"IncSavedReplyUses", rs.IncSavedReplyUses(ctx(t), 424242)},
		} {
			wantErr(t, tc.err, desk.ErrNotFound, tc.name+" missing")
		}
		must(t, rs.DeleteSavedReply(ctx(t), r.ID), "DeleteSavedReply")
		_, err = rs.SavedReplyByID(ctx(t), r.ID)
		wantErr(t, err, desk.ErrNotFound, "SavedReplyByID after delete")
		_, err = rs.SavedReplyByID(ctx(t), shared.ID)
		must(t, err, "SavedReplyByID of the other reply")
	}},
	{"saved reply shortcut unique per team and locale", func(t *testing.T, s desk.Store) {
		rs := repliesOf(t, s)
		t1, t2 := newTeam(t, s, "Support"), newTeam(t, s, "Billing")
		first := newSavedReply(t, rs, desk.SavedReply{TeamID: t1.ID, Title: "retour", Shortcut: "/retour"})
		newSavedReply(t, rs, desk.SavedReply{TeamID: t1.ID, Title: "blank"})
		for _, tc := range []struct {
			name     string
			team     int64
			locale   string
			shortcut string
			want     error
		}{
			{"same team and locale", t1.ID, "nl", "/retour", desk.ErrConflict},
			{"other locale", t1.ID, "en", "/retour", nil},
			{"other team", t2.ID, "nl", "/retour", nil},
			{"shared", 0, "nl", "/retour", nil},
			{"shared twice", 0, "nl", "/retour", desk.ErrConflict},
			{"no shortcut", t1.ID, "nl", "", nil},
		} {
			err := rs.CreateSavedReply(ctx(t), &desk.SavedReply{TeamID: tc.team, Locale: tc.locale, Title: tc.name,
				Body: tc.name, Shortcut: tc.shortcut})
			if tc.want == nil {
				must(t, err, "CreateSavedReply "+tc.name)
			} else {
				wantErr(t, err, tc.want, "CreateSavedReply "+tc.name)
			}
		}
		other := newSavedReply(t, rs, desk.SavedReply{TeamID: t1.ID, Title: "levering", Shortcut: "/levering"})
		other.Shortcut = first.Shortcut
		wantErr(t, rs.UpdateSavedReply(ctx(t), other), desk.ErrConflict, "UpdateSavedReply to a taken shortcut")
	}},
	{"list saved replies", func(t *testing.T, s desk.Store) {
		rs := repliesOf(t, s)
		t1, t2 := newTeam(t, s, "Support"), newTeam(t, s, "Billing")
		beta := newSavedReply(t, rs, desk.SavedReply{TeamID: t1.ID, Title: "beta"})
		alpha := newSavedReply(t, rs, desk.SavedReply{Title: "alpha"})
		gamma := newSavedReply(t, rs, desk.SavedReply{TeamID: t2.ID, Title: "gamma"})
		deltaEN := newSavedReply(t, rs, desk.SavedReply{TeamID: t1.ID, Locale: "en", Title: "delta"})
		alphaEN := newSavedReply(t, rs, desk.SavedReply{Locale: "en", Title: "alpha"})
		for _, tc := range []struct {
			name string
			q    desk.SavedReplyQuery
			want []int64
		}{
			{"team and shared, by title", desk.SavedReplyQuery{TeamIDs: []int64{t1.ID}},
				[]int64{alpha.ID, alphaEN.ID, beta.ID, deltaEN.ID}},
			{"team in a locale", desk.SavedReplyQuery{TeamIDs: []int64{t1.ID}, Locale: "nl"}, []int64{alpha.ID, beta.ID}},
			{"two teams", desk.SavedReplyQuery{TeamIDs: []int64{t1.ID, t2.ID}, Locale: "nl"},
				[]int64{alpha.ID, beta.ID, gamma.ID}},
			{"no teams: shared only", desk.SavedReplyQuery{}, []int64{alpha.ID, alphaEN.ID}},
			{"all teams", desk.SavedReplyQuery{AllTeams: true},
				[]int64{alpha.ID, alphaEN.ID, beta.ID, deltaEN.ID, gamma.ID}},
			{"all teams ignore TeamIDs", desk.SavedReplyQuery{AllTeams: true, TeamIDs: []int64{t2.ID}, Locale: "en"},
				[]int64{alphaEN.ID, deltaEN.ID}},
			{"no replies in the locale", desk.SavedReplyQuery{AllTeams: true, Locale: "fr"}, nil},
		} {
			got, err := rs.ListSavedReplies(ctx(t), tc.q)
			must(t, err, "ListSavedReplies "+tc.name)
			if !sameIDs(replyIDs(got), tc.want) {
				t.Errorf("ListSavedReplies %s = %v, want %v", tc.name, replyIDs(got), tc.want)
			}
		}
		got, err := rs.ListSavedReplies(ctx(t), desk.SavedReplyQuery{TeamIDs: []int64{t2.ID}, Locale: "nl"})
		must(t, err, "ListSavedReplies t2")
		if len(got) == 2 {
			checkSavedReply(t, "listed", &got[1], gamma)
		}
	}},
	{"suggestion stats", func(t *testing.T, s desk.Store) {
		rs := repliesOf(t, s)
		in := newInbox(t, s, "web", desk.ChannelWebChat)
		c := newContact(t, s, "Jan", "", "")
		cv := newConversation(t, s, in, c, at(0))
		a := newAgent(t, s, "Anna", "anna@example.com")
		ev := func(minute int, kind, ref, category, action string) {
			t.Helper()
			e := &desk.SuggestionEvent{ConversationID: cv.ID, AgentID: a.ID, Kind: kind, Ref: ref, Category: category,
				Action: action, At: at(minute)}
			must(t, rs.AddSuggestionEvent(ctx(t), e), "AddSuggestionEvent")
			if e.ID == 0 {
				t.Fatal("AddSuggestionEvent did not set ID")
			}
		}
		ev(0, "saved", "1", "retour", "picked") // before since
		ev(1, "saved", "1", "retour", "shown")
		ev(2, "saved", "1", "retour", "shown")
		ev(2, "saved", "1", "retour", "picked")
		ev(3, "saved", "1", "levering", "shown")
		ev(3, "saved", "1", "levering", "edited")
		ev(4, "article", "7", "retour", "shown")
		ev(5, "saved", "10", "retour", "shown")
		ev(5, "reply", "99", "", "shown")
		ev(6, "reply", "99", "", "edited")
		before := time.Now()
		now := &desk.SuggestionEvent{ConversationID: cv.ID, AgentID: a.ID, Kind: "draft", Ref: "", Category: "retour", Action: "shown"}
		must(t, rs.AddSuggestionEvent(ctx(t), now), "AddSuggestionEvent now")
		checkNow(t, "zero At", now.At, before)

		got, err := rs.SuggestionStats(ctx(t), at(1))
		must(t, err, "SuggestionStats")
		want := []desk.SuggestionStat{
			{Kind: "article", Ref: "7", Category: "retour", Shown: 1},
			{Kind: "draft", Ref: "", Category: "retour", Shown: 1},
			{Kind: "reply", Ref: "99", Category: "", Shown: 1, Edited: 1},
			{Kind: "saved", Ref: "1", Category: "levering", Shown: 1, Edited: 1},
			{Kind: "saved", Ref: "1", Category: "retour", Shown: 2, Picked: 1},
			{Kind: "saved", Ref: "10", Category: "retour", Shown: 1},
		}
		if !slices.Equal(got, want) {
			t.Errorf("SuggestionStats =\n%+v\nwant\n%+v", got, want)
		}
		got, err = rs.SuggestionStats(ctx(t), time.Now().Add(time.Hour))
		must(t, err, "SuggestionStats in the future")
		if len(got) != 0 {
			t.Errorf("SuggestionStats in the future = %+v, want none", got)
		}
	}},

	{"contact visits", func(t *testing.T, s desk.Store) {
		vs := visitsOf(t, s)
		c := newContact(t, s, "Jan", "", "")
		v := &desk.ContactVisit{Locale: "nl", Query: "pakket kwijt", Topic: "levering", VisitorKey: "v-1",
			ContactID: c.ID, CreatedAt: at(0)}
		must(t, vs.CreateContactVisit(ctx(t), v), "CreateContactVisit")
		if v.ID == 0 {
			t.Fatal("CreateContactVisit did not set ID")
		}
		checkTime(t, "UpdatedAt set from CreatedAt", v.UpdatedAt, at(0))
		check := func(what string, want *desk.ContactVisit) {
			t.Helper()
			got, err := vs.ContactVisitByID(ctx(t), want.ID)
			must(t, err, what+" ContactVisitByID")
			if got.ID != want.ID || got.Locale != want.Locale || got.Query != want.Query || got.Topic != want.Topic ||
				got.Answered != want.Answered || got.Contacted != want.Contacted || got.VisitorKey != want.VisitorKey ||
				got.ContactID != want.ContactID {
				t.Errorf("%s = %+v, want %+v", what, got, want)
			}
			checkTime(t, what+" CreatedAt", got.CreatedAt, want.CreatedAt)
			checkTime(t, what+" UpdatedAt", got.UpdatedAt, want.UpdatedAt)
		}
		check("new", v)

		// Update writes Query, Topic, Answered, Contacted and UpdatedAt only.
		upd := *v
		upd.Query, upd.Topic, upd.Answered, upd.Contacted, upd.UpdatedAt = "retourlabel", "retour", true, true, at(3)
		upd.Locale, upd.VisitorKey, upd.ContactID, upd.CreatedAt = "en", "v-2", 0, at(40)
		must(t, vs.UpdateContactVisit(ctx(t), &upd), "UpdateContactVisit")
		want := *v
		want.Query, want.Topic, want.Answered, want.Contacted, want.UpdatedAt = "retourlabel", "retour", true, true, at(3)
		check("after update", &want)

		anon := &desk.ContactVisit{Locale: "en"}
		before := time.Now()
		must(t, vs.CreateContactVisit(ctx(t), anon), "CreateContactVisit anonymous")
		checkNow(t, "zero CreatedAt", anon.CreatedAt, before)
		check("anonymous", anon)

		wantErr(t, vs.UpdateContactVisit(ctx(t), &desk.ContactVisit{ID: 424242, UpdatedAt: at(1)}), desk.ErrNotFound,
			"UpdateContactVisit missing")
		_, err := vs.ContactVisitByID(ctx(t), 424242)
		wantErr(t, err, desk.ErrNotFound, "ContactVisitByID missing")
	}},
	{"deflection stats", func(t *testing.T, s desk.Store) {
		vs := visitsOf(t, s)
		visit := func(minute int, topic string, answered, contacted bool) {
			t.Helper()
			v := &desk.ContactVisit{Locale: "nl", Query: topic, Topic: topic, CreatedAt: at(minute)}
			must(t, vs.CreateContactVisit(ctx(t), v), "CreateContactVisit")
			if answered || contacted {
				v.Answered, v.Contacted, v.UpdatedAt = answered, contacted, at(minute+1)
				must(t, vs.UpdateContactVisit(ctx(t), v), "UpdateContactVisit")
			}
		}
		visit(0, "levering", true, false) // before since
		visit(1, "levering", true, false)
		visit(1, "levering", true, true)
		visit(2, "levering", false, true)
		visit(2, "levering", false, false)
		visit(3, "retour", true, false)
		visit(3, "retour", true, false)
		visit(4, "betalen", false, true)
		visit(4, "betalen", true, false)
		visit(5, "", false, false)
		visit(9, "account", true, false) // at until

		for _, tc := range []struct {
			name         string
			since, until time.Time
			want         []desk.DeflectionStat
		}{
			{"most visits first, ties by topic", at(1), at(9), []desk.DeflectionStat{
				{Topic: "levering", Visits: 4, Answered: 2, Contacted: 2, Deflected: 1},
				{Topic: "betalen", Visits: 2, Answered: 1, Contacted: 1, Deflected: 1},
				{Topic: "retour", Visits: 2, Answered: 2, Contacted: 0, Deflected: 2},
				{Topic: "", Visits: 1},
			}},
			{"no end", at(4), time.Time{}, []desk.DeflectionStat{
				{Topic: "betalen", Visits: 2, Answered: 1, Contacted: 1, Deflected: 1},
				{Topic: "", Visits: 1},
				{Topic: "account", Visits: 1, Answered: 1, Deflected: 1},
			}},
			{"empty period", at(20), time.Time{}, nil},
		} {
			got, err := vs.DeflectionStats(ctx(t), tc.since, tc.until)
			must(t, err, "DeflectionStats "+tc.name)
			if !slices.Equal(got, tc.want) {
				t.Errorf("DeflectionStats %s =\n%+v\nwant\n%+v", tc.name, got, tc.want)
			}
		}
	}},
}
