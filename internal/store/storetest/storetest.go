// Package storetest is the conformance suite every desk.Store driver must
// pass. A driver's test calls Run with a function that opens a fresh, empty,
// migrated store; each subtest gets its own.
//
// The suite pins down behaviour the interface alone does not say:
//   - times come back in UTC at millisecond precision; a zero time stays zero;
//   - Update/Delete/Set of a missing row is desk.ErrNotFound, except
//     DeleteSession, which is idempotent (logging out twice is fine);
//     a write that refers to a missing row (AddIdentity to a missing
//     contact, CreateMessage in a missing conversation) is ErrNotFound too;
//   - a zero CreatedAt (or NextAttemptAt) is set to the current time;
//   - AddIdentity of an identity the contact already has is a no-op;
//   - ListContacts is newest first and its Search matches whole name words,
//     the exact email (any case) or the phone number; ListAgents,
//     TeamMembers and ListTeams are by name; ListInboxes, ListWebhooks and
//     ListAPITokens by id; ConversationsOfContact like the list (newest
//     activity first);
//   - ListConversations: Limit 0 is 50, more than 200 is 200; the teams view
//     without TeamIDs is empty; Next is nil on the last page;
//   - OpenConversationFor treats pending and snoozed as open;
//   - WakeSnoozed wakes only conversations with status snoozed whose
//     SnoozedUntil has passed, and returns them open with SnoozedUntil zero;
//   - ClaimOutbox hands out the oldest due items first, counts the claim as
//     an attempt and moves NextAttemptAt to the lease end; an item whose
//     IdempotencyKey was seen is skipped (empty keys are never duplicates);
//   - SearchConversations returns one hit per conversation, at most Limit
//     (default 20); message kinds "message" and "note" are searchable,
//     "activity" is not; all query words must be in one message; message
//     hits come newest match first;
//   - inside InTx, an ErrConflict from one statement does not spoil the
//     transaction: the function may handle it and go on (ingest relies on
//     this to deduplicate);
//   - knowledge base (desk.KBStore, kb.go): Create* keep a given CreatedAt
//     (zero: now) and a zero UpdatedAt becomes CreatedAt, but
//     UpdateKBCategory and UpdateArticle always set UpdatedAt to the current
//     time, so a read-modify-write never hides a change from ChangedSince.
//     UpdateKBCategory, like UpdateArticle, keeps ID, GroupID and CreatedAt.
//     Category and article slugs are unique per locale each (a category and
//     an article may share one). An unknown ParentID or CategoryID is
//     ErrInvalid; deleting a category with sections or any article is
//     ErrConflict. Empty Questions, Related and Contexts come back nil; nil
//     ReviewedAt/PublishedAt stay nil, and the store never sets PublishedAt
//     itself. Lists order ties by ID last: categories by position, name;
//     articles by position, title; revisions by number, newest first;
//     feedback newest first (limit 0: 50). ListArticles' CategoryID matches
//     the category and its direct sections; ChangedSince and stats' Since
//     are inclusive, Until exclusive (zero: no end). Writes that refer to a
//     missing article (revision, view, feedback, signal) or search (click)
//     are ErrNotFound; a second click keeps the first. LearnedQueries is by
//     article, heaviest first, then by norm; Voters counts every visitor
//     with a signal, negative ones too. QueryStat fields count all the
//     norm's searches in the period; TopQueries orders by Searches,
//     NoResultQueries by NoResult (>0 only), NoClickQueries by searches
//     with results but no click (>0 only), ties by Query, default Limit 50;
//     which typed form shows when two are equally common is not pinned.
//     ArticleStats filters on the article's locale, ContextViews on the
//     view's ("" all); both most viewed first, ties by article ID, limit 0
//     is 50. SetFAQPins keeps the first place of a duplicate; FAQPinContexts
//     lists distinct contexts of any locale, "" first. DeleteArticle takes
//     revisions, feedback, views and signals; search logs and pins stay.
//   - the front line (desk/front.go, front.go): a conversation's Category,
//     CategoryBy and Language ("" by default) are stored by Create, written
//     by Update and returned by every read (ByID, OpenConversationFor,
//     ConversationsOfContact, ListConversations, search hits, WakeSnoozed);
//     ConversationQuery.Category filters List and Count ("" any).
//     PutIntentExample with a ConversationID that has an example replaces
//     its text, category, locale, source and CreatedAt and keeps (and sets
//     e.ID to) its ID; examples of conversation 0 never replace each other.
//     ListIntentExamples is by ID after afterID, limit <= 0 is the default.
//     Create* set the ID and a zero CreatedAt (StartedAt, At) to now; a zero
//     UpdatedAt becomes CreatedAt (StartedAt), written back into the struct;
//     CreateFlow sets GroupID to ID when 0. UpdateFlow and UpdateSavedReply
//     move UpdatedAt to now; UpdateFlowRun and UpdateContactVisit write the
//     caller's UpdatedAt and only the fields their docs name. UpdateSavedReply
//     writes every field but ID, Uses and CreatedAt; IncSavedReplyUses does
//     not touch UpdatedAt. Uniqueness is ErrConflict: a flow slug per locale,
//     a version number per flow, a non-empty saved-reply shortcut per team
//     and locale (team 0 is a team of its own here). Update/Delete/Inc of a
//     missing row, and AddFlowVersion, CreateFlowRun of a missing flow or
//     PutBotSession of a missing conversation, are ErrNotFound; so is
//     BotSessionOf without a session. DeleteFlow takes the flow's versions
//     and runs. A run's empty Path comes back nil. ListFlows and
//     ListSavedReplies are by title, ties by ID; SavedReplyQuery without
//     TeamIDs and AllTeams lists the shared replies (team 0) only.
//     FlowVersions is newest first; FlowRuns and ConversationFlowRuns oldest
//     first by StartedAt (ties by ID), FlowRuns' since inclusive, until
//     exclusive (zero: no end). SuggestionStats counts events at or after
//     since per kind, ref and category, ordered by those three;
//     DeflectionStats counts visits created in [since, until) per topic (""
//     included), most visits first, ties by topic; Deflected is answered
//     and not contacted.
//   - one customer (desk.IdentityStore, identity.go): MergeContacts of a
//     contact into itself is ErrInvalid (checked first), of a missing one
//     ErrNotFound; a failed merge writes nothing, and inside InTx a merge
//     rolls back with the transaction. Kept's empty name, email, phone and
//     locale are filled, attribute keys it lacks added (a key with an
//     empty value is its own); kept's UpdatedAt becomes the merge's
//     CreatedAt (now). Identities are unique by exact value, so a merge
//     never collides: case variants are two identities and kept gets both.
//     The customer's messages (sender contact, sender id merged) in moved
//     conversations are attributed to kept; MoveConversation does the same
//     for the new contact, and an undo gives them back. The record's Merged
//     holds the profile as it was (without Identities), Identities with
//     their IDs, Conversations by id. UndoMerge (zero at: now) restores the
//     profile exactly, CreatedAt and UpdatedAt too, with the identities and
//     conversations of the record that are still with kept, keeping their
//     IDs (an identity only while it is the one recorded, by id, kind and
//     value: SQLite reuses a deleted highest id); kept keeps what was filled. Undone is ErrConflict, so is an undo
//     while kept is itself merged away; a missing merge ErrNotFound. A
//     contact created after a merge never takes the merged contact's ID.
//     ContactMerges is newest first (ties by ID), empty for a contact with
//     none. MoveIdentity and MoveConversation of or to a missing row are
//     ErrNotFound; moving to the current owner is a no-op. DeleteIdentity
//     of an identity the contact does not own is ErrNotFound; it leaves
//     the contact's other identities and conversations, frees the value,
//     and takes the identity out of the merge records in force down the
//     contact's merge chain. ContactsWithPhone
//     matches the primary phone by its digits and phone identities exactly;
//     ContactsWithEmail the primary email and email identities in any
//     (ASCII) case; each contact once, by ID, without Identities; an empty
//     argument finds none.
//
// It imports desk and lang only (and the standard library).
package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Run runs the whole conformance suite. open must return a fresh, empty,
// migrated store for every call; Run closes it when the subtest ends.
func Run(t *testing.T, open func(t *testing.T) desk.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Agents", agentTests},
		{"Teams", teamTests},
		{"Inboxes", inboxTests},
		{"Contacts", contactTests},
		{"Conversations", conversationTests},
		{"List", listTests},
		{"Search", searchTests},
		{"Messages", messageTests},
		{"Sessions", sessionTests},
		{"Webhooks", webhookTests},
		{"Outbox", outboxTests},
		{"Settings", settingTests},
		{"Tx", txTests},
		{"KB", kbTests},
		{"Front", frontTests},
		{"Identity", identityTests},
		{"Topics", topicTests},
		{"Files", fileTests},
		{"Verify", verifyTests},
		{"Commerce", commerceTests},
		{"Feedback", feedbackTests},
		{"Portal", portalTests},
		{"GDPR", gdprTests},
		{"Routing", routingTests},
		{"SLAEscalations", slaEscalationTests},
		{"Stats", statsTests},
		{"StatsErased", statsErasedTests},
		{"StatsCubes", cubeTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					s := open(t)
					t.Cleanup(func() {
						if err := s.Close(); err != nil {
							t.Errorf("Close: %v", err)
						}
					})
					tc.fn(t, s)
				})
			}
		})
	}
}

type test struct {
	name string
	fn   func(t *testing.T, s desk.Store)
}

// base is a fixed moment in the past, so tests do not depend on the clock
// except where expiry against the real time is the point.
var base = time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

func at(minutes int) time.Time { return base.Add(time.Duration(minutes) * time.Minute) }

func ctx(t *testing.T) context.Context { return t.Context() }

// ms is how a store is expected to give a time back.
func ms(tm time.Time) time.Time {
	if tm.IsZero() {
		return time.Time{}
	}
	return tm.UTC().Truncate(time.Millisecond)
}

func checkTime(t *testing.T, field string, got, want time.Time) {
	t.Helper()
	if !got.Equal(ms(want)) || got.IsZero() != want.IsZero() {
		t.Errorf("%s = %v, want %v", field, got, ms(want))
	}
	if !got.IsZero() && got.Location() != time.UTC {
		t.Errorf("%s location = %v, want UTC", field, got.Location())
	}
}

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantErr(t *testing.T, err, want error, what string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: err = %v, want %v", what, err, want)
	}
}

// fixture builders; each returns the stored entity with its ID.

func newAgent(t *testing.T, s desk.Store, name, email string) *desk.Agent {
	t.Helper()
	a := &desk.Agent{Email: email, Name: name, Role: desk.RoleAgent, Locale: "nl",
		PasswordHash: "$argon2id$x", Availability: desk.Online}
	must(t, s.CreateAgent(ctx(t), a), "CreateAgent "+email)
	return a
}

func newTeam(t *testing.T, s desk.Store, name string) *desk.Team {
	t.Helper()
	tm := &desk.Team{Name: name, Description: name + " team"}
	must(t, s.CreateTeam(ctx(t), tm), "CreateTeam "+name)
	return tm
}

func newInbox(t *testing.T, s desk.Store, name string, kind desk.ChannelKind) *desk.Inbox {
	t.Helper()
	in := &desk.Inbox{Name: name, Channel: kind, PublicKey: "key-" + name}
	must(t, s.CreateInbox(ctx(t), in), "CreateInbox "+name)
	return in
}

func newContact(t *testing.T, s desk.Store, name, email, phone string) *desk.Contact {
	t.Helper()
	c := &desk.Contact{Name: name, Email: email, Phone: phone, Locale: "nl"}
	must(t, s.CreateContact(ctx(t), c), "CreateContact "+name)
	return c
}

func newConversation(t *testing.T, s desk.Store, in *desk.Inbox, c *desk.Contact, activity time.Time) *desk.Conversation {
	t.Helper()
	cv := &desk.Conversation{
		InboxID: in.ID, Channel: in.Channel, ContactID: c.ID, Subject: "subject",
		Status: desk.StatusOpen, Priority: desk.PriorityNone,
		LastActivityAt: activity, CreatedAt: activity, UpdatedAt: activity,
	}
	must(t, s.CreateConversation(ctx(t), cv), "CreateConversation")
	return cv
}

func newMessage(t *testing.T, s desk.Store, cv *desk.Conversation, kind desk.MessageKind, sender desk.Sender, senderID int64, body string) *desk.Message {
	t.Helper()
	m := &desk.Message{ConversationID: cv.ID, Kind: kind, Sender: sender, SenderID: senderID,
		Body: body, CreatedAt: cv.LastActivityAt}
	must(t, s.CreateMessage(ctx(t), m), "CreateMessage")
	return m
}

func ids[T any](items []T, id func(T) int64) []int64 {
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

func convIDs(cs []desk.Conversation) []int64 {
	return ids(cs, func(c desk.Conversation) int64 { return c.ID })
}

func sameIDs(got, want []int64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func sameSet(got, want []int64) bool {
	if len(got) != len(want) {
		return false
	}
	m := map[int64]int{}
	for _, g := range got {
		m[g]++
	}
	for _, w := range want {
		m[w]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

func sameStrings(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func name(i int) string { return fmt.Sprintf("n%03d", i) }
