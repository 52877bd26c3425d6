package demo

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/helpcenter"
	"github.com/balie-dev/balie/internal/kb"
	"github.com/balie-dev/balie/internal/store/sqlite"
)

// fixedNow is a Tuesday afternoon in Amsterdam.
var fixedNow = time.Date(2026, 3, 10, 14, 30, 0, 0, time.UTC)

func cheapHash(p string) (string, error) { return "plain:" + p, nil }

func openStore(t *testing.T) desk.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "demo.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func seed(t *testing.T, st desk.Store) *Result {
	t.Helper()
	res, err := Seed(context.Background(), Deps{Store: st, HashPassword: cheapHash,
		Clock: desk.ClockFunc(func() time.Time { return fixedNow }), NoHistory: true})
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	return res
}

// allConversations lists every conversation, page by page.
func allConversations(t *testing.T, st desk.Store, q desk.ConversationQuery) []desk.Conversation {
	t.Helper()
	ctx := context.Background()
	q.Limit = 200
	var out []desk.Conversation
	for {
		page, err := st.ListConversations(ctx, q)
		if err != nil {
			t.Fatalf("ListConversations: %v", err)
		}
		out = append(out, page.Items...)
		if page.Next == nil {
			return out
		}
		q.After = page.Next
	}
}

type counts struct {
	agents, teams, inboxes, contacts, conversations int
	byStatus                                        map[desk.Status]int
	unassignedOpen                                  int
}

func count(t *testing.T, st desk.Store) counts {
	t.Helper()
	ctx := context.Background()
	var c counts
	as, err := st.ListAgents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := st.ListTeams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ins, err := st.ListInboxes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := st.ListContacts(ctx, desk.ContactQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	c.agents, c.teams, c.inboxes, c.contacts = len(as), len(ts), len(ins), len(cs)
	c.byStatus = map[desk.Status]int{}
	for _, conv := range allConversations(t, st, desk.ConversationQuery{View: desk.ViewAll}) {
		c.conversations++
		c.byStatus[conv.Status]++
		if conv.Status == desk.StatusOpen && conv.AssigneeID == 0 {
			c.unassignedOpen++
		}
	}
	return c
}

func TestSeedCreatesTheCompany(t *testing.T) {
	st := openStore(t)
	res := seed(t, st)
	ctx := context.Background()

	if res.AdminEmail != "anna@despaak.example" || res.AdminPassword != Password {
		t.Errorf("admin login = %s / %s, want anna@despaak.example / %s", res.AdminEmail, res.AdminPassword, Password)
	}
	if len(res.Agents) != 5 {
		t.Errorf("got %d other logins, want 5", len(res.Agents))
	}
	for _, l := range res.Agents {
		if l.Role == desk.RoleAdmin || l.Password != Password {
			t.Errorf("login %s: role %s password %q", l.Email, l.Role, l.Password)
		}
	}
	in, err := st.InboxByKey(ctx, res.WebchatKey)
	if err != nil {
		t.Fatalf("webchat key %q: %v", res.WebchatKey, err)
	}
	if in.Name != "Webshop chat" || in.Channel != desk.ChannelWebChat {
		t.Errorf("webchat key finds %q (%s), want Webshop chat (webchat)", in.Name, in.Channel)
	}

	c := count(t, st)
	t.Logf("counts: %d agents, %d teams, %d inboxes, %d contacts, %d conversations %v, %d open unassigned",
		c.agents, c.teams, c.inboxes, c.contacts, c.conversations, c.byStatus, c.unassignedOpen)
	exact := []struct {
		name      string
		got, want int
	}{
		{"agents", c.agents, 6},
		{"teams", c.teams, 3},
		{"inboxes", c.inboxes, 3},
		{"contacts", c.contacts, len(customerList())},
		{"conversations", c.conversations, len(conversations())},
	}
	for _, e := range exact {
		if e.got != e.want {
			t.Errorf("%s = %d, want %d", e.name, e.got, e.want)
		}
	}
	atLeast := []struct {
		name      string
		got, want int
	}{
		{"conversations", c.conversations, 55},
		{"contacts", c.contacts, 28},
		{"open", c.byStatus[desk.StatusOpen], 10},
		{"open unassigned", c.unassignedOpen, 5},
		{"pending", c.byStatus[desk.StatusPending], 3},
		{"snoozed", c.byStatus[desk.StatusSnoozed], 3},
		{"resolved", c.byStatus[desk.StatusResolved], 25},
	}
	for _, e := range atLeast {
		if e.got < e.want {
			t.Errorf("%s = %d, want at least %d", e.name, e.got, e.want)
		}
	}

	// Every agent has a password hash and the right teams.
	agents, err := st.ListAgents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range agents {
		if a.PasswordHash != "plain:"+Password {
			t.Errorf("agent %s hash = %q", a.Email, a.PasswordHash)
		}
		got, err := st.AgentByID(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.Email == "fatima@despaak.example" && len(got.TeamIDs) != 2 {
			t.Errorf("Fatima is in %d teams, want 2 (Klantenservice, Logistiek)", len(got.TeamIDs))
		}
	}
}

func TestSeedHistory(t *testing.T) {
	st := openStore(t)
	seed(t, st)
	ctx := context.Background()
	convs := allConversations(t, st, desk.ConversationQuery{View: desk.ViewAll})

	channelsOf := map[int64]map[desk.ChannelKind]bool{}
	labelled, notes, transfers := 0, 0, 0
	oldest := fixedNow
	for _, c := range convs {
		if channelsOf[c.ContactID] == nil {
			channelsOf[c.ContactID] = map[desk.ChannelKind]bool{}
		}
		channelsOf[c.ContactID][c.Channel] = true
		if len(c.Labels) > 0 {
			labelled++
		}
		if c.CreatedAt.Before(oldest) {
			oldest = c.CreatedAt
		}
		if c.LastActivityAt.After(fixedNow) {
			t.Errorf("conversation %d: last activity %v is after now %v", c.ID, c.LastActivityAt, fixedNow)
		}
		if c.Status == desk.StatusSnoozed && !c.SnoozedUntil.After(fixedNow) {
			t.Errorf("conversation %d: snoozed until %v, not after now", c.ID, c.SnoozedUntil)
		}

		msgs, err := st.ListMessages(ctx, c.ID, 0, 500)
		if err != nil {
			t.Fatalf("ListMessages %d: %v", c.ID, err)
		}
		fromCustomer := 0
		for i, m := range msgs {
			if m.Sender == desk.SenderContact && m.Kind == desk.KindMessage {
				fromCustomer++
			}
			if m.Kind == desk.KindNote {
				notes++
			}
			if m.Kind == desk.KindActivity && strings.Contains(m.Body, "moved to team") {
				transfers++
			}
			if i > 0 && m.CreatedAt.Before(msgs[i-1].CreatedAt) {
				t.Errorf("conversation %d: message %d at %v is before the one before it (%v)", c.ID, m.ID, m.CreatedAt, msgs[i-1].CreatedAt)
			}
		}
		if fromCustomer == 0 {
			t.Errorf("conversation %d has no customer message", c.ID)
		}
	}
	multi := 0
	for _, chans := range channelsOf {
		if len(chans) >= 2 {
			multi++
		}
	}
	if multi < 5 {
		t.Errorf("%d contacts have conversations on 2+ channels, want at least 5", multi)
	}
	if span := fixedNow.Sub(oldest); span < 50*day || span > 65*day {
		t.Errorf("history spans %v, want about 60 days", span)
	}
	t.Logf("%d contacts on 2+ channels, %d labelled conversations, %d notes, %d transfers", multi, labelled, notes, transfers)
	if labelled < 30 || notes < 10 || transfers < 8 {
		t.Errorf("labelled %d, notes %d, transfers %d; want at least 30, 10, 8", labelled, notes, transfers)
	}
}

// Only the one reply meant to fail visibly is left for the outbox worker;
// the rest of the history counts as delivered and is never sent.
func TestSeedLeavesOneLiveSend(t *testing.T) {
	st := openStore(t)
	seed(t, st)
	ctx := context.Background()
	queued := 0
	for _, c := range allConversations(t, st, desk.ConversationQuery{View: desk.ViewAll}) {
		msgs, err := st.ListMessages(ctx, c.ID, 0, 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Delivery == desk.DeliveryQueued {
				queued++
				if c.Channel != desk.ChannelAPI {
					t.Errorf("queued message %d on %s, want only the partner app", m.ID, c.Channel)
				}
			}
		}
	}
	if queued != 1 {
		t.Errorf("%d messages queued for sending, want 1", queued)
	}
}

func TestSeedFindsStemmedWords(t *testing.T) {
	st := openStore(t)
	seed(t, st)
	for _, q := range []string{"bestelling", "retourneren", "factuur", "bezorgd", "100234", "accu"} {
		t.Run(q, func(t *testing.T) {
			hits, err := st.SearchConversations(context.Background(), desk.SearchQuery{Text: q, Limit: 100})
			if err != nil {
				t.Fatalf("search %q: %v", q, err)
			}
			if len(hits) == 0 {
				t.Errorf("search %q found nothing", q)
			}
		})
	}
}

func TestSeedTwiceWritesNothing(t *testing.T) {
	st := openStore(t)
	first := seed(t, st)
	before := count(t, st)
	second := seed(t, st)
	after := count(t, st)
	if second.WebchatKey != first.WebchatKey || second.AdminEmail != first.AdminEmail || len(second.Agents) != len(first.Agents) {
		t.Errorf("second Seed returned %+v, want the stored %+v", second, first)
	}
	if after.agents != before.agents || after.contacts != before.contacts || after.conversations != before.conversations {
		t.Errorf("after a second Seed: %+v, want %+v", after, before)
	}
}

func TestSeedRefusesADatabaseInUse(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	if err := st.CreateAgent(ctx, &desk.Agent{Email: "boss@example.com", Name: "Boss", Role: desk.RoleAdmin,
		Locale: "nl", PasswordHash: "x", Availability: desk.Offline}); err != nil {
		t.Fatal(err)
	}
	_, err := Seed(ctx, Deps{Store: st, HashPassword: cheapHash})
	if !errors.Is(err, desk.ErrConflict) {
		t.Fatalf("Seed on a database with agents: err = %v, want ErrConflict", err)
	}
	c := count(t, st)
	if c.agents != 1 || c.conversations != 0 {
		t.Errorf("after a refused Seed: %d agents, %d conversations; want 1, 0", c.agents, c.conversations)
	}
}

// The scripts are data: check them without a database.
func TestScriptsAreConsistent(t *testing.T) {
	custs := map[string]customer{}
	for _, c := range customerList() {
		custs[c.Key] = c
	}
	agentKeys := map[string]bool{}
	for _, a := range agentList() {
		agentKeys[a.Key] = true
	}
	used := map[string]bool{}
	for i, sc := range conversations() {
		c, ok := custs[sc.Customer]
		if !ok {
			t.Errorf("script %d: unknown customer %q", i, sc.Customer)
			continue
		}
		used[sc.Customer] = true
		switch sc.Inbox {
		case mail:
			if c.Email == "" {
				t.Errorf("script %d: %s writes an email but has no address", i, c.Key)
			}
		case app:
			if c.Phone == "" {
				t.Errorf("script %d: %s uses the partner app but has no phone", i, c.Key)
			}
		}
		if len(sc.Steps) == 0 || sc.Steps[0].Kind != stepIn {
			t.Errorf("script %d: does not start with a customer message", i)
		}
		var total time.Duration
		for j, st := range sc.Steps {
			total += st.Gap
			if st.Kind != stepIn && !agentKeys[st.Agent] {
				t.Errorf("script %d step %d: unknown agent %q", i, j, st.Agent)
			}
		}
		if sc.Ago > 0 && total >= sc.Ago {
			t.Errorf("script %d: takes %v but started %v ago", i, total, sc.Ago)
		}
		if sc.Ago == 0 && time.Duration(sc.Day)*day < total {
			t.Errorf("script %d: takes %v, longer than the %d days since it started", i, total, sc.Day)
		}
	}
	for k := range custs {
		if !used[k] {
			t.Errorf("customer %s has no conversation", k)
		}
	}
}

// TestSeedHelpCenter: the demo help center has both languages linked as
// translations, answers customers' questions, and has analytics to show.
func TestSeedHelpCenter(t *testing.T) {
	st := openStore(t)
	seed(t, st)
	ctx := context.Background()
	svc := kb.New(st, bus.NewLocal(0), desk.ClockFunc(func() time.Time { return fixedNow }), nil, kb.Options{})
	if err := svc.Load(ctx); err != nil {
		t.Fatal(err)
	}
	for _, locale := range []string{"nl", "en"} {
		n, err := svc.CountArticles(ctx, desk.ArticleQuery{Locale: locale, Public: true})
		if err != nil || n < 8 {
			t.Errorf("%s: %d public articles (%v), want at least 8", locale, n, err)
		}
	}
	nl, err := st.ArticleBySlug(ctx, "nl", "bezorgadres-wijzigen")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := svc.Translations(ctx, nl, true)
	if err != nil || len(tr) != 1 || tr[0].Slug != "change-delivery-address" {
		t.Errorf("translations of %s = %v, %v", nl.Slug, tr, err)
	}
	if len(nl.Related) != 2 {
		t.Errorf("related of %s = %v, want 2", nl.Slug, nl.Related)
	}
	tests := []struct{ q, locale, want string }{
		{"hoe wijzig ik mijn bezorgadres?", "nl", "bezorgadres-wijzigen"},
		{"mijn pakketje is niet gekomen", "nl", "bestelling-volgen"},
		{"package never arrived", "en", "where-is-my-order"},
		{"batterij laadt niet", "nl", "e-bike-accu-opladen"},
	}
	for _, tt := range tests {
		res, err := svc.Search(ctx, kb.SearchRequest{Query: tt.q, Locale: tt.locale, NoLog: true})
		if err != nil || len(res.Hits) == 0 || res.Hits[0].Article.Slug != tt.want {
			t.Errorf("Search(%q) = %v (%v), want %s first", tt.q, res.Hits, err, tt.want)
		}
	}
	an, err := svc.Analytics(ctx, desk.StatsQuery{Locale: "nl", Since: fixedNow.Add(-90 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(an.NoResult) == 0 || an.NoResult[0].Query != "fietslease via werkgever" {
		t.Errorf("content gaps = %+v, want fietslease first", an.NoResult)
	}
	if len(an.LowHelpful) == 0 {
		t.Error("no low-helpfulness articles")
	}
	faq, err := svc.FAQ(ctx, kb.FAQRequest{Locale: "nl", Context: "/checkout"})
	var slugs []string
	for _, a := range faq {
		slugs = append(slugs, a.Slug)
	}
	if want := []string{"bezorgadres-wijzigen", "betaalmethoden", "levertijden-en-verzendkosten"}; err != nil ||
		len(slugs) < 3 || !slices.Equal(slugs[:3], want) {
		t.Errorf("FAQ(/checkout) = %v, %v; want %v first (tagged, by views there)", slugs, err, want)
	}
}

// TestSeedFrontLine: the demo's web chat has its bot on, technical
// questions get the battery flow in both languages, and agents have saved
// replies.
func TestSeedFrontLine(t *testing.T) {
	st := openStore(t)
	seed(t, st)
	ctx := context.Background()
	for _, tt := range []struct{ locale, slug string }{{"nl", "accu-laadt-niet-op"}, {"en", "battery-does-not-charge"}} {
		f, err := st.FlowBySlug(ctx, tt.locale, tt.slug)
		if err != nil || f.Status != desk.ArticlePublished || f.Version != 1 {
			t.Errorf("flow %s/%s = %+v, %v; want published version 1", tt.locale, tt.slug, f, err)
		}
	}
	replies, err := st.ListSavedReplies(ctx, desk.SavedReplyQuery{AllTeams: true})
	if err != nil || len(replies) != 4 {
		t.Errorf("saved replies = %d, %v; want 4", len(replies), err)
	}
	inboxes, _ := st.ListInboxes(ctx)
	bots := 0
	for _, in := range inboxes {
		if in.Settings["bot"] == "on" {
			bots++
		}
	}
	if bots != 1 {
		t.Errorf("%d inboxes with the bot on, want the web chat", bots)
	}
	cc, err := helpcenter.ContactSettings(ctx, st)
	if err != nil || !cc.EmailForm || !cc.Callback || cc.InboxID == 0 || cc.Phone == "" {
		t.Errorf("contact settings = %+v, %v; want the email form, callback and phone", cc, err)
	}
}
