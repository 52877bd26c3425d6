package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// GDPR (desk.PrivacyStore, gdpr.go): export, erasure, retention, the
// residue scan and the access log.
//
// Pinned down here: PersonalData and EraseContact cover the contact and
// the contacts merged into it; erasure leaves no row, index entry or text
// with the customer's ids or values anywhere in the database (FindResidue,
// which first must find them, and search) and touches no other customer;
// Erasure.BlobKeys are every attachment, thumbnail and mail HTML file.
// EraseConversations keeps a stripped shell or deletes the row;
// ExpiredConversations lists resolved conversations with content, oldest
// first. ListAccess is newest first with its filters.

var gdprTests = []test{
	{"ExportAndErase", testExportAndErase},
	{"EraseMissing", testEraseMissing},
	{"Retention", testRetention},
	{"AccessLog", testAccessLog},
	{"ErasureReports", testErasureReports},
}

// Customer is a customer seeded across channels by SeedCustomer.
type Customer struct {
	Contact *desk.Contact
	// MergedID is a second profile merged into Contact.
	MergedID int64
	// Marker is a word only this customer wrote.
	Marker string
	// Values are strings that identify the customer: name, emails, phone,
	// visitor id, the marker.
	Values          []string
	ConversationIDs []int64
	MessageIDs      []int64
	// BlobKeys are the keys of their files: attachments, thumbnails and
	// the HTML version of a mail.
	BlobKeys []string
}

// SeedCustomer stores a customer with conversations on email, web chat and
// WhatsApp (one on a profile merged into it), searchable messages, an agent
// reply and a note, attachments with thumbnails, a mail's HTML version,
// pending sends and a webhook delivery, a bot session, a flow run, a
// classifier example, an order, an action log, a contact-page visit, an
// answered survey and a compliment. tag (letters only) makes its values
// unique; blob stores a file's content and returns its key.
func SeedCustomer(t testing.TB, s desk.Store, tag string, blob func(content string) string) *Customer {
	t.Helper()
	c := t.Context()
	chk := func(err error, what string) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed %s: %s: %v", tag, what, err)
		}
	}
	cu := &Customer{Marker: "zwanenhals" + tag + "klem"}
	inbox := func(name string, kind desk.ChannelKind) *desk.Inbox {
		in := &desk.Inbox{Name: name, Channel: kind, PublicKey: "key-" + tag + "-" + name}
		chk(s.CreateInbox(c, in), "inbox "+name)
		return in
	}
	mail, chat, wa := inbox("mail", desk.ChannelEmail), inbox("chat", desk.ChannelWebChat), inbox("wa", desk.ChannelWhatsApp)
	agent := &desk.Agent{Email: "agent-" + tag + "@balie.test", Name: "Agent " + tag, Role: desk.RoleAgent}
	chk(s.CreateAgent(c, agent), "agent")

	name := "Marlies Oosterhuis" + tag
	email := "marlies." + tag + "@example.nl"
	phone := "+3161234" + fmt.Sprint(len(tag)*7+1000)
	cu.Contact = &desk.Contact{Name: name, Email: email, Phone: phone, Locale: "nl",
		Attributes: map[string]string{"loyalty": "gold-" + tag}}
	chk(s.CreateContact(c, cu.Contact), "contact")
	visitor := "visitor-" + tag + "-5f2c9a"
	for _, id := range []desk.Identity{
		{ContactID: cu.Contact.ID, Kind: desk.IdentityEmail, Value: email},
		{ContactID: cu.Contact.ID, Kind: desk.IdentityPhone, Value: phone},
		{ContactID: cu.Contact.ID, Kind: desk.IdentityVisitor, Value: visitor},
	} {
		chk(s.AddIdentity(c, &id), "identity "+id.Value)
	}
	work := "m.oosterhuis." + tag + "@work.example"
	merged := &desk.Contact{Name: "M. Oosterhuis " + tag, Email: work}
	chk(s.CreateContact(c, merged), "merged contact")
	chk(s.AddIdentity(c, &desk.Identity{ContactID: merged.ID, Kind: desk.IdentityEmail, Value: work}), "merged identity")
	cu.MergedID = merged.ID
	cu.Values = []string{name, email, phone, visitor, work, cu.Marker}

	conversation := func(in *desk.Inbox, contactID int64, subject string, minute int) *desk.Conversation {
		cv := &desk.Conversation{InboxID: in.ID, Channel: in.Channel, ContactID: contactID, Subject: subject,
			Status: desk.StatusResolved, Priority: desk.PriorityNone, Labels: []string{"vip-" + tag},
			LastActivityAt: at(minute), CreatedAt: at(minute), UpdatedAt: at(minute), ResolvedAt: at(minute + 30)}
		chk(s.CreateConversation(c, cv), "conversation "+subject)
		cu.ConversationIDs = append(cu.ConversationIDs, cv.ID)
		return cv
	}
	message := func(cv *desk.Conversation, m desk.Message) *desk.Message {
		m.ConversationID, m.CreatedAt = cv.ID, cv.CreatedAt
		chk(s.CreateMessage(c, &m), "message")
		cu.MessageIDs = append(cu.MessageIDs, m.ID)
		return &m
	}
	key := func(content string) string {
		k := blob(content)
		cu.BlobKeys = append(cu.BlobKeys, k)
		return k
	}

	mailConv := conversation(mail, cu.Contact.ID, "Mijn fiets van "+name, 0)
	in := message(mailConv, desk.Message{Kind: desk.KindMessage, Sender: desk.SenderContact, SenderID: cu.Contact.ID,
		Body:        "Hallo, de " + cu.Marker + " van mijn fiets is kapot. Groet, " + name + ", " + phone,
		Meta:        map[string]string{desk.MetaEmailHTML: key("<p>html " + cu.Marker + "</p>"), desk.MetaEmailTo: email},
		Attachments: []desk.Attachment{{Name: "bon-" + tag + ".pdf", ContentType: "application/pdf", Size: 10, BlobKey: key("%PDF " + tag)}, {Name: "foto.jpg", ContentType: "image/jpeg", Size: 10, BlobKey: key("jpeg " + tag), ThumbKey: key("thumb " + tag), Width: 10, Height: 10}}})
	reply := message(mailConv, desk.Message{Kind: desk.KindMessage, Sender: desk.SenderAgent, SenderID: agent.ID,
		Body: "Beste " + name + ", we sturen een nieuwe " + cu.Marker + "."})
	message(mailConv, desk.Message{Kind: desk.KindNote, Sender: desk.SenderAgent, SenderID: agent.ID,
		Body: "Klant " + email + " belde ook al."})
	chk(s.EnqueueOutbox(c, &desk.OutboxItem{Kind: desk.OutboxChannelSend, Target: reply.ID,
		Payload: []byte(`{}`), IdempotencyKey: "send-" + tag, State: desk.OutboxPending}), "outbox send")
	hook := &desk.Webhook{URL: "https://hooks.example/" + tag, Events: []string{"*"}, Active: true}
	chk(s.CreateWebhook(c, hook), "webhook")
	payload := fmt.Sprintf(`{"id":"h-%s","type":"message.created","data":{"conversation":{"id":%d},"message":{"id":%d,"conversation_id":%d,"body":%q}}}`,
		tag, mailConv.ID, in.ID, mailConv.ID, in.Body)
	chk(s.EnqueueOutbox(c, &desk.OutboxItem{Kind: desk.OutboxWebhook, Target: hook.ID, Payload: []byte(payload),
		IdempotencyKey: "hook-" + tag, State: desk.OutboxDone}), "outbox webhook")

	chatConv := conversation(chat, cu.Contact.ID, "", 60)
	message(chatConv, desk.Message{Kind: desk.KindMessage, Sender: desk.SenderContact, SenderID: cu.Contact.ID,
		Body: "Waar blijft mijn " + cu.Marker + "? Mail me op " + email})
	chk(s.PutBotSession(c, &desk.BotSession{ConversationID: chatConv.ID, State: `{"email":"` + email + `"}`, UpdatedAt: at(61)}), "bot session")
	flow := &desk.Flow{Locale: "nl", Slug: "fiets-" + tag, Title: "Fiets", Status: desk.ArticlePublished, Definition: `{"steps":[]}`}
	chk(s.CreateFlow(c, flow), "flow")
	chk(s.CreateFlowRun(c, &desk.FlowRun{FlowID: flow.ID, Version: 1, Source: desk.SourceWidget, ConversationID: chatConv.ID,
		VisitorKey: visitor, Path: []desk.FlowStepAnswer{{Step: "q", Answer: cu.Marker + " kapot", At: at(62)}}, StartedAt: at(62)}), "flow run")
	chk(s.PutIntentExample(c, &desk.IntentExample{Text: "Waar blijft mijn " + cu.Marker, Category: "delivery",
		Locale: "nl", Source: "agent", ConversationID: chatConv.ID}), "intent example")

	waConv := conversation(wa, merged.ID, "", 120)
	message(waConv, desk.Message{Kind: desk.KindMessage, Sender: desk.SenderContact, SenderID: merged.ID,
		Body: "Ook via WhatsApp: " + cu.Marker + " " + work})
	_, err := s.MergeContacts(c, cu.Contact.ID, merged.ID, agent.ID, "same person")
	chk(err, "merge")

	order := sampleOrder(cu.Contact.ID, "SP-"+strings.ToUpper(tag)+"-1001", 0)
	order.Address.Name = name
	chk(s.PutOrder(c, order), "order")
	chk(s.CreateActionLog(c, &desk.ActionLog{Action: "change_address", ActorKind: desk.ActorCustomer, ActorID: cu.Contact.ID,
		ContactID: cu.Contact.ID, OrderNumber: order.Number, Input: `{"name":"` + name + `"}`, State: desk.ActionDone}), "action log")
	chk(s.CreateContactVisit(c, &desk.ContactVisit{Locale: "nl", Query: cu.Marker + " vervangen", VisitorKey: visitor,
		ContactID: cu.Contact.ID, CreatedAt: at(5)}), "visit")
	sv := &desk.Survey{ConversationID: mailConv.ID, ContactID: cu.Contact.ID, Channel: mailConv.Channel, Locale: "nl",
		TokenHash: "survey-" + tag, State: desk.SurveySent, SentAt: at(40), NPS: desk.NoNPS}
	chk(s.CreateSurvey(c, sv), "survey")
	sv.CSAT, sv.NPS, sv.Comment, sv.AnsweredAt = 2, 4, "De "+cu.Marker+" was te laat", at(50)
	chk(s.AnswerSurvey(c, sv), "answer survey")
	chk(s.CreateCompliment(c, &desk.Compliment{Name: name, Email: strings.ToUpper(email), Body: "Top service " + tag,
		Locale: "nl", CreatedAt: at(70)}), "compliment")
	return cu
}

// fakeBlobKeys returns a blob function making distinct keys of the shape
// blob.NewKey makes, without storing anything.
func fakeBlobKeys(tag string) func(string) string {
	n := 0
	return func(string) string {
		n++
		return fmt.Sprintf("%s%0*x", strings.Repeat("f", 4), 28, len(tag)*1000+n)
	}
}

// Probe is what FindResidue should look for to find cu.
func (cu *Customer) Probe() desk.ResidueProbe {
	return desk.ResidueProbe{ContactIDs: []int64{cu.Contact.ID, cu.MergedID}, ConversationIDs: cu.ConversationIDs,
		MessageIDs: cu.MessageIDs, Values: cu.Values}
}

func residueTables(rs []desk.Residue) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Table)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func testExportAndErase(t *testing.T, s desk.Store) {
	a := SeedCustomer(t, s, "aa", fakeBlobKeys("aa"))
	b := SeedCustomer(t, s, "bbb", fakeBlobKeys("bbb"))

	// The scan must see the customer before it can vouch for their absence.
	before, err := s.FindResidue(ctx(t), a.Probe())
	must(t, err, "FindResidue before")
	got := residueTables(before)
	for _, want := range []string{"action_logs", "attachments", "bot_sessions", "compliments", "contact_merges",
		"contact_visits", "contacts", "conversations", "flow_runs", "identities", "intent_examples", "messages",
		"orders", "outbox", "surveys"} {
		if !slices.Contains(got, want) {
			t.Errorf("FindResidue before erasing: tables %v lack %s", got, want)
		}
	}

	pd, err := s.PersonalData(ctx(t), a.Contact.ID)
	must(t, err, "PersonalData")
	if !sameSet(pd.ContactIDs, []int64{a.Contact.ID, a.MergedID}) {
		t.Errorf("PersonalData ContactIDs = %v, want %v", pd.ContactIDs, []int64{a.Contact.ID, a.MergedID})
	}
	rows := map[string]int{}
	for _, tb := range pd.Tables {
		rows[tb.Name] = len(tb.Rows)
	}
	for table, want := range map[string]int{"contacts": 1, "identities": 4, "conversations": 3, "messages": 5,
		"attachments": 2, "outbox": 2, "bot_sessions": 1, "flow_runs": 1, "intent_examples": 1, "orders": 1,
		"action_logs": 1, "contact_visits": 1, "surveys": 1, "compliments": 1, "contact_merges": 1} {
		if rows[table] != want {
			t.Errorf("PersonalData %s: %d rows, want %d", table, rows[table], want)
		}
	}
	var keys []string
	for _, f := range pd.Files {
		keys = append(keys, f.Key)
	}
	if !sameStringSet(keys, a.BlobKeys) {
		t.Errorf("PersonalData files = %v, want %v", keys, a.BlobKeys)
	}

	e, err := s.EraseContact(ctx(t), a.Contact.ID)
	must(t, err, "EraseContact")
	if !sameStringSet(e.BlobKeys, a.BlobKeys) {
		t.Errorf("Erasure BlobKeys = %v, want %v", e.BlobKeys, a.BlobKeys)
	}
	if !sameSet(e.MessageIDs, a.MessageIDs) || !sameSet(e.ConversationIDs, a.ConversationIDs) {
		t.Errorf("Erasure messages %v conversations %v, want %v %v", e.MessageIDs, e.ConversationIDs, a.MessageIDs, a.ConversationIDs)
	}
	if e.Removed["messages"] != 5 || e.Removed["contacts"] != 1 {
		t.Errorf("Erasure Removed = %v, want 5 messages and 1 contact", e.Removed)
	}

	after, err := s.FindResidue(ctx(t), a.Probe())
	must(t, err, "FindResidue after")
	if len(after) > 0 {
		t.Errorf("FindResidue after erasing = %+v, want nothing", after)
	}
	for _, q := range []string{a.Marker, "Oosterhuisaa", a.Contact.Email} {
		hits, err := s.SearchConversations(ctx(t), desk.SearchQuery{Text: q})
		must(t, err, "SearchConversations")
		if len(hits) > 0 {
			t.Errorf("SearchConversations(%q) after erasing = %d hits, want none", q, len(hits))
		}
	}
	_, err = s.ContactByID(ctx(t), a.Contact.ID)
	wantErr(t, err, desk.ErrNotFound, "ContactByID erased")
	_, err = s.ContactByIdentity(ctx(t), desk.IdentityEmail, a.Contact.Email)
	wantErr(t, err, desk.ErrNotFound, "ContactByIdentity erased")
	_, err = s.EraseContact(ctx(t), a.Contact.ID)
	wantErr(t, err, desk.ErrNotFound, "EraseContact twice")

	// The other customer is untouched.
	still, err := s.FindResidue(ctx(t), b.Probe())
	must(t, err, "FindResidue other")
	if got := residueTables(still); !slices.Equal(got, residueTables(mustResidue(t, s, b))) || len(got) < 10 {
		t.Errorf("other customer's tables = %v", got)
	}
	hits, err := s.SearchConversations(ctx(t), desk.SearchQuery{Text: b.Marker})
	must(t, err, "SearchConversations other")
	if len(hits) != 3 {
		t.Errorf("SearchConversations(other's marker) = %d hits, want 3", len(hits))
	}
	pb, err := s.PersonalData(ctx(t), b.Contact.ID)
	must(t, err, "PersonalData other")
	var bRows int
	for _, tb := range pb.Tables {
		bRows += len(tb.Rows)
	}
	if len(pb.Files) != len(b.BlobKeys) || bRows < 25 {
		t.Errorf("other customer after erasure: %d files (want %d), %d rows", len(pb.Files), len(b.BlobKeys), bRows)
	}
}

func mustResidue(t *testing.T, s desk.Store, cu *Customer) []desk.Residue {
	t.Helper()
	rs, err := s.FindResidue(ctx(t), cu.Probe())
	must(t, err, "FindResidue")
	return rs
}

func sameStringSet(got, want []string) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}

func testEraseMissing(t *testing.T, s desk.Store) {
	_, err := s.EraseContact(ctx(t), 999)
	wantErr(t, err, desk.ErrNotFound, "EraseContact missing")
	_, err = s.PersonalData(ctx(t), 999)
	wantErr(t, err, desk.ErrNotFound, "PersonalData missing")
	e, err := s.EraseConversations(ctx(t), []int64{999}, false)
	must(t, err, "EraseConversations missing")
	if len(e.ConversationIDs) != 0 {
		t.Errorf("EraseConversations missing: %v, want none", e.ConversationIDs)
	}
}

func testRetention(t *testing.T, s desk.Store) {
	in := newInbox(t, s, "mail", desk.ChannelEmail)
	chat := newInbox(t, s, "chat", desk.ChannelWebChat)
	c := newContact(t, s, "Sanne", "sanne@example.nl", "")
	old := resolvedConversation(t, s, in, c, 0)
	older := resolvedConversation(t, s, in, c, -100)
	recent := resolvedConversation(t, s, in, c, 500)
	open := newConversation(t, s, in, c, at(-200))
	other := resolvedConversation(t, s, chat, c, -100)
	for _, cv := range []*desk.Conversation{old, older, recent, open, other} {
		newMessage(t, s, cv, desk.KindMessage, desk.SenderContact, c.ID, "oude retentiegeschiedenis")
	}
	empty := resolvedConversation(t, s, in, c, -300) // no messages: nothing left to remove

	got, err := s.ExpiredConversations(ctx(t), desk.ChannelEmail, at(100), 10)
	must(t, err, "ExpiredConversations")
	if want := []int64{older.ID, old.ID}; !sameIDs(got, want) {
		t.Errorf("ExpiredConversations = %v, want %v (not %d)", got, want, empty.ID)
	}

	e, err := s.EraseConversations(ctx(t), []int64{older.ID}, true)
	must(t, err, "EraseConversations keepShell")
	if e.Removed["messages"] != 1 {
		t.Errorf("keepShell Removed = %v, want 1 message", e.Removed)
	}
	shell, err := s.ConversationByID(ctx(t), older.ID)
	must(t, err, "ConversationByID shell")
	if shell.Subject != "" || len(shell.Labels) != 0 || shell.ContactID != c.ID {
		t.Errorf("shell = subject %q labels %v contact %d, want stripped on contact %d", shell.Subject, shell.Labels, shell.ContactID, c.ID)
	}
	_, err = s.EraseConversations(ctx(t), []int64{old.ID}, false)
	must(t, err, "EraseConversations delete")
	_, err = s.ConversationByID(ctx(t), old.ID)
	wantErr(t, err, desk.ErrNotFound, "ConversationByID deleted")

	got, err = s.ExpiredConversations(ctx(t), desk.ChannelEmail, at(100), 10)
	must(t, err, "ExpiredConversations after")
	if len(got) != 0 {
		t.Errorf("ExpiredConversations after = %v, want none", got)
	}
	hits, err := s.SearchConversations(ctx(t), desk.SearchQuery{Text: "retentiegeschiedenis"})
	must(t, err, "SearchConversations")
	if want := []int64{recent.ID, open.ID, other.ID}; !sameSet(hitIDs(hits), want) {
		t.Errorf("search after retention = %v, want %v", hitIDs(hits), want)
	}
}

func testAccessLog(t *testing.T, s desk.Store) {
	must(t, s.RecordAccess(ctx(t),
		desk.AccessEntry{AgentID: 1, Action: desk.AccessViewContact, ContactID: 7, At: at(0)},
		desk.AccessEntry{AgentID: 2, Action: desk.AccessViewConversation, ContactID: 7, ConversationID: 70, At: at(1)},
		desk.AccessEntry{AgentID: 1, Action: desk.AccessExport, ContactID: 8, At: at(2)},
	), "RecordAccess")
	must(t, s.RecordAccess(ctx(t)), "RecordAccess nothing")
	tests := []struct {
		name string
		q    desk.AccessQuery
		want []desk.AccessAction
	}{
		{"all newest first", desk.AccessQuery{}, []desk.AccessAction{desk.AccessExport, desk.AccessViewConversation, desk.AccessViewContact}},
		{"agent", desk.AccessQuery{AgentID: 1}, []desk.AccessAction{desk.AccessExport, desk.AccessViewContact}},
		{"contact", desk.AccessQuery{ContactID: 7}, []desk.AccessAction{desk.AccessViewConversation, desk.AccessViewContact}},
		{"action", desk.AccessQuery{Action: desk.AccessExport}, []desk.AccessAction{desk.AccessExport}},
		{"period", desk.AccessQuery{Since: at(1), Until: at(2)}, []desk.AccessAction{desk.AccessViewConversation}},
		{"limit", desk.AccessQuery{Limit: 1}, []desk.AccessAction{desk.AccessExport}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListAccess(ctx(t), tc.q)
			must(t, err, "ListAccess")
			var actions []desk.AccessAction
			for _, e := range got {
				actions = append(actions, e.Action)
				if e.At.Location() != time.UTC {
					t.Errorf("At location = %v, want UTC", e.At.Location())
				}
			}
			if !slices.Equal(actions, tc.want) {
				t.Errorf("ListAccess = %v, want %v", actions, tc.want)
			}
		})
	}
	all, err := s.ListAccess(ctx(t), desk.AccessQuery{})
	must(t, err, "ListAccess")
	page, err := s.ListAccess(ctx(t), desk.AccessQuery{BeforeID: all[0].ID})
	must(t, err, "ListAccess page")
	if len(page) != 2 || all[1].ContactID != 7 || all[1].ConversationID != 70 || all[1].AgentID != 2 {
		t.Errorf("page = %d entries, second = %+v", len(page), all[1])
	}
}

func testErasureReports(t *testing.T, s desk.Store) {
	r1 := &desk.ErasureReport{ContactID: 4, AgentID: 1, Reason: "request", Conversations: 2, Messages: 5,
		Removed: map[string]int{"messages": 5}, Files: 3, Complete: true, At: at(0)}
	r2 := &desk.ErasureReport{Reason: "retention", Residue: []desk.Residue{{Table: "x", Column: "y", Rows: 1}},
		FilesFailed: 1, At: at(1)}
	must(t, s.CreateErasureReport(ctx(t), r1), "CreateErasureReport")
	must(t, s.CreateErasureReport(ctx(t), r2), "CreateErasureReport 2")
	got, err := s.ErasureReports(ctx(t), 0)
	must(t, err, "ErasureReports")
	if len(got) != 2 || got[0].ID != r2.ID || got[1].ID != r1.ID {
		t.Fatalf("ErasureReports = %+v, want r2, r1", got)
	}
	g := got[1]
	if g.ContactID != 4 || g.AgentID != 1 || g.Reason != "request" || g.Conversations != 2 || g.Messages != 5 ||
		g.Removed["messages"] != 5 || g.Files != 3 || !g.Complete || g.Residue != nil {
		t.Errorf("report = %+v, want %+v", g, r1)
	}
	checkTime(t, "At", g.At, at(0))
	if r := got[0]; len(r.Residue) != 1 || r.Residue[0] != (desk.Residue{Table: "x", Column: "y", Rows: 1}) || r.FilesFailed != 1 || r.Complete {
		t.Errorf("report 2 = %+v", r)
	}
}
