package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

var conversationTests = []test{
	{"create read update", func(t *testing.T, s desk.Store) {
		in := newInbox(t, s, "mail", desk.ChannelEmail)
		c := newContact(t, s, "Jan", "jan@example.nl", "")
		a := newAgent(t, s, "Anna", "anna@example.com")
		tm := newTeam(t, s, "Support")
		cv := &desk.Conversation{InboxID: in.ID, Channel: in.Channel, ContactID: c.ID, Subject: "Waar is mijn pakket?",
			Status: desk.StatusOpen, Priority: desk.PriorityHigh, Labels: []string{"levering", "vip"},
			LastActivityAt: at(1), LastMessage: "Waar is...", WaitingSince: at(1), CreatedAt: at(0), UpdatedAt: at(1)}
		must(t, s.CreateConversation(ctx(t), cv), "CreateConversation")
		if cv.ID == 0 {
			t.Fatal("CreateConversation did not set ID")
		}
		got, err := s.ConversationByID(ctx(t), cv.ID)
		must(t, err, "ConversationByID")
		if got.InboxID != in.ID || got.Channel != desk.ChannelEmail || got.ContactID != c.ID || got.Subject != cv.Subject ||
			got.Status != desk.StatusOpen || got.Priority != desk.PriorityHigh || got.AssigneeID != 0 || got.TeamID != 0 ||
			!sameStrings(got.Labels, []string{"levering", "vip"}) || got.LastMessage != "Waar is..." {
			t.Errorf("ConversationByID = %+v, want %+v", got, cv)
		}
		checkTime(t, "CreatedAt", got.CreatedAt, at(0))
		checkTime(t, "LastActivityAt", got.LastActivityAt, at(1))
		checkTime(t, "WaitingSince", got.WaitingSince, at(1))
		checkTime(t, "SnoozedUntil", got.SnoozedUntil, cv.SnoozedUntil)
		checkTime(t, "ResolvedAt", got.ResolvedAt, cv.ResolvedAt)

		cv.Subject, cv.Status, cv.Priority, cv.AssigneeID, cv.TeamID = "Pakket", desk.StatusResolved, desk.PriorityLow, a.ID, tm.ID
		cv.Labels, cv.LastActivityAt, cv.LastMessage, cv.WaitingSince, cv.ResolvedAt, cv.UpdatedAt =
			[]string{"retour"}, at(9), "Opgelost", at(7), at(9), at(9)
		cv.SnoozedUntil = at(20)
		must(t, s.UpdateConversation(ctx(t), cv), "UpdateConversation")
		got, err = s.ConversationByID(ctx(t), cv.ID)
		must(t, err, "ConversationByID after update")
		if got.Subject != "Pakket" || got.Status != desk.StatusResolved || got.Priority != desk.PriorityLow ||
			got.AssigneeID != a.ID || got.TeamID != tm.ID || !sameStrings(got.Labels, []string{"retour"}) || got.LastMessage != "Opgelost" {
			t.Errorf("after update = %+v", got)
		}
		checkTime(t, "LastActivityAt", got.LastActivityAt, at(9))
		checkTime(t, "ResolvedAt", got.ResolvedAt, at(9))
		checkTime(t, "SnoozedUntil", got.SnoozedUntil, at(20))
		checkTime(t, "UpdatedAt", got.UpdatedAt, at(9))
		checkTime(t, "WaitingSince", got.WaitingSince, at(7))

		cv.Labels, cv.WaitingSince, cv.SnoozedUntil = nil, time.Time{}, time.Time{}
		must(t, s.UpdateConversation(ctx(t), cv), "UpdateConversation clearing")
		got, err = s.ConversationByID(ctx(t), cv.ID)
		must(t, err, "ConversationByID after clearing")
		if len(got.Labels) != 0 {
			t.Errorf("Labels = %v, want none", got.Labels)
		}
		checkTime(t, "WaitingSince cleared", got.WaitingSince, time.Time{})
		checkTime(t, "SnoozedUntil cleared", got.SnoozedUntil, time.Time{})
	}},
	{"missing is not found", func(t *testing.T, s desk.Store) {
		_, err := s.ConversationByID(ctx(t), 3)
		wantErr(t, err, desk.ErrNotFound, "ConversationByID")
		wantErr(t, s.UpdateConversation(ctx(t), &desk.Conversation{ID: 3, Status: desk.StatusOpen, Priority: desk.PriorityNone}),
			desk.ErrNotFound, "UpdateConversation")
		_, err = s.OpenConversationFor(ctx(t), 1, 1)
		wantErr(t, err, desk.ErrNotFound, "OpenConversationFor")
	}},
	{"open conversation for contact", func(t *testing.T, s desk.Store) {
		in := newInbox(t, s, "web", desk.ChannelWebChat)
		other := newInbox(t, s, "mail", desk.ChannelEmail)
		c := newContact(t, s, "Jan", "", "")
		old := newConversation(t, s, in, c, at(0))
		open := newConversation(t, s, in, c, at(1))
		newConversation(t, s, other, c, at(2))
		resolved := newConversation(t, s, in, c, at(3))
		resolved.Status = desk.StatusResolved
		must(t, s.UpdateConversation(ctx(t), resolved), "UpdateConversation")
		got, err := s.OpenConversationFor(ctx(t), in.ID, c.ID)
		must(t, err, "OpenConversationFor")
		if got.ID != open.ID {
			t.Errorf("OpenConversationFor = %d, want newest unresolved %d", got.ID, open.ID)
		}
		for _, cv := range []*desk.Conversation{old, open} {
			cv.Status = desk.StatusResolved
			must(t, s.UpdateConversation(ctx(t), cv), "UpdateConversation")
		}
		_, err = s.OpenConversationFor(ctx(t), in.ID, c.ID)
		wantErr(t, err, desk.ErrNotFound, "OpenConversationFor all resolved")
	}},
	{"snoozed and pending count as open", func(t *testing.T, s desk.Store) {
		in := newInbox(t, s, "web", desk.ChannelWebChat)
		c := newContact(t, s, "Jan", "", "")
		cv := newConversation(t, s, in, c, at(0))
		for _, st := range []desk.Status{desk.StatusSnoozed, desk.StatusPending} {
			cv.Status = st
			must(t, s.UpdateConversation(ctx(t), cv), "UpdateConversation")
			got, err := s.OpenConversationFor(ctx(t), in.ID, c.ID)
			must(t, err, "OpenConversationFor "+string(st))
			if got.ID != cv.ID {
				t.Errorf("OpenConversationFor with %s = %d, want %d", st, got.ID, cv.ID)
			}
		}
	}},
	{"conversations of contact", func(t *testing.T, s desk.Store) {
		in := newInbox(t, s, "web", desk.ChannelWebChat)
		mail := newInbox(t, s, "mail", desk.ChannelEmail)
		c := newContact(t, s, "Jan", "", "")
		other := newContact(t, s, "Piet", "", "")
		c1 := newConversation(t, s, in, c, at(0))
		newConversation(t, s, in, other, at(1))
		c2 := newConversation(t, s, mail, c, at(2))
		c3 := newConversation(t, s, in, c, at(3))
		got, err := s.ConversationsOfContact(ctx(t), c.ID, 10)
		must(t, err, "ConversationsOfContact")
		if want := []int64{c3.ID, c2.ID, c1.ID}; !sameIDs(convIDs(got), want) {
			t.Errorf("ConversationsOfContact = %v, want %v", convIDs(got), want)
		}
		got, err = s.ConversationsOfContact(ctx(t), c.ID, 2)
		must(t, err, "ConversationsOfContact limit")
		if want := []int64{c3.ID, c2.ID}; !sameIDs(convIDs(got), want) {
			t.Errorf("ConversationsOfContact limit 2 = %v, want %v", convIDs(got), want)
		}
	}},
	{"wake snoozed", func(t *testing.T, s desk.Store) {
		in := newInbox(t, s, "web", desk.ChannelWebChat)
		c := newContact(t, s, "Jan", "", "")
		due := newConversation(t, s, in, c, at(0))
		later := newConversation(t, s, in, c, at(0))
		open := newConversation(t, s, in, c, at(0))
		due.Status, due.SnoozedUntil = desk.StatusSnoozed, at(10)
		later.Status, later.SnoozedUntil = desk.StatusSnoozed, at(30)
		open.SnoozedUntil = at(5) // not snoozed: the status decides
		for _, cv := range []*desk.Conversation{due, later, open} {
			must(t, s.UpdateConversation(ctx(t), cv), "UpdateConversation")
		}
		woke, err := s.WakeSnoozed(ctx(t), at(20))
		must(t, err, "WakeSnoozed")
		if !sameIDs(convIDs(woke), []int64{due.ID}) {
			t.Fatalf("WakeSnoozed = %v, want [%d]", convIDs(woke), due.ID)
		}
		if woke[0].Status != desk.StatusOpen || !woke[0].SnoozedUntil.IsZero() {
			t.Errorf("woken = status %s snoozed until %v, want open and zero", woke[0].Status, woke[0].SnoozedUntil)
		}
		got, err := s.ConversationByID(ctx(t), due.ID)
		must(t, err, "ConversationByID due")
		if got.Status != desk.StatusOpen || !got.SnoozedUntil.IsZero() {
			t.Errorf("stored = status %s snoozed until %v, want open and zero", got.Status, got.SnoozedUntil)
		}
		got, err = s.ConversationByID(ctx(t), later.ID)
		must(t, err, "ConversationByID later")
		if got.Status != desk.StatusSnoozed {
			t.Errorf("later status = %s, want snoozed", got.Status)
		}
		woke, err = s.WakeSnoozed(ctx(t), at(20))
		must(t, err, "WakeSnoozed again")
		if len(woke) != 0 {
			t.Errorf("WakeSnoozed again = %v, want none", convIDs(woke))
		}
	}},
}

// listFixture is a small inbox with conversations spread over every filter
// dimension. Activity times are distinct except for one deliberate tie.
type listFixture struct {
	anna, bram       *desk.Agent
	support, billing *desk.Team
	web, mail        *desk.Inbox
	jan, piet        *desk.Contact
	all              []*desk.Conversation // newest activity first
	byID             map[int64]*desk.Conversation
	tieLow, tieHigh  *desk.Conversation
}

func newListFixture(t *testing.T, s desk.Store) *listFixture {
	f := &listFixture{byID: map[int64]*desk.Conversation{}}
	f.anna = newAgent(t, s, "Anna", "anna@example.com")
	f.bram = newAgent(t, s, "Bram", "bram@example.com")
	f.support, f.billing = newTeam(t, s, "Support"), newTeam(t, s, "Billing")
	f.web, f.mail = newInbox(t, s, "web", desk.ChannelWebChat), newInbox(t, s, "mail", desk.ChannelEmail)
	f.jan, f.piet = newContact(t, s, "Jan", "", ""), newContact(t, s, "Piet", "", "")

	type spec struct {
		minute   int
		inbox    *desk.Inbox
		contact  *desk.Contact
		status   desk.Status
		assignee *desk.Agent
		team     *desk.Team
		labels   []string
	}
	specs := []spec{
		{1, f.web, f.jan, desk.StatusOpen, nil, nil, nil},
		{2, f.mail, f.piet, desk.StatusOpen, f.anna, f.support, []string{"vip"}},
		{3, f.web, f.piet, desk.StatusPending, f.bram, f.billing, []string{"refund", "vip"}},
		{4, f.mail, f.jan, desk.StatusResolved, f.anna, nil, []string{"refund"}},
		{5, f.web, f.jan, desk.StatusOpen, nil, f.support, nil},
		{5, f.mail, f.piet, desk.StatusOpen, f.anna, f.billing, nil}, // ties with the previous one
		{7, f.web, f.jan, desk.StatusSnoozed, f.bram, f.support, []string{"vip"}},
		{8, f.mail, f.jan, desk.StatusOpen, nil, nil, []string{"refund"}},
	}
	for _, sp := range specs {
		cv := newConversation(t, s, sp.inbox, sp.contact, at(sp.minute))
		cv.Status, cv.Labels = sp.status, sp.labels
		if sp.assignee != nil {
			cv.AssigneeID = sp.assignee.ID
		}
		if sp.team != nil {
			cv.TeamID = sp.team.ID
		}
		must(t, s.UpdateConversation(ctx(t), cv), "UpdateConversation")
		f.all = append([]*desk.Conversation{cv}, f.all...)
		f.byID[cv.ID] = cv
	}
	// Both at minute 5: the one created later has the higher id and comes first.
	f.tieHigh, f.tieLow = f.all[2], f.all[3]
	return f
}

// want filters f.all, keeping the newest-first order.
func (f *listFixture) want(keep func(c *desk.Conversation) bool) []int64 {
	var out []int64
	for _, c := range f.all {
		if keep(c) {
			out = append(out, c.ID)
		}
	}
	return out
}

var listTests = []test{
	{"filters", func(t *testing.T, s desk.Store) {
		f := newListFixture(t, s)
		for _, tc := range []struct {
			name string
			q    desk.ConversationQuery
			keep func(c *desk.Conversation) bool
		}{
			{"all", desk.ConversationQuery{View: desk.ViewAll}, func(c *desk.Conversation) bool { return true }},
			{"empty view is all", desk.ConversationQuery{}, func(c *desk.Conversation) bool { return true }},
			{"mine", desk.ConversationQuery{View: desk.ViewMine, AgentID: f.anna.ID},
				func(c *desk.Conversation) bool { return c.AssigneeID == f.anna.ID }},
			{"mine open", desk.ConversationQuery{View: desk.ViewMine, AgentID: f.anna.ID, Status: desk.StatusOpen},
				func(c *desk.Conversation) bool { return c.AssigneeID == f.anna.ID && c.Status == desk.StatusOpen }},
			{"unassigned", desk.ConversationQuery{View: desk.ViewUnassigned},
				func(c *desk.Conversation) bool { return c.AssigneeID == 0 }},
			{"unassigned open", desk.ConversationQuery{View: desk.ViewUnassigned, Status: desk.StatusOpen},
				func(c *desk.Conversation) bool { return c.AssigneeID == 0 && c.Status == desk.StatusOpen }},
			{"my teams", desk.ConversationQuery{View: desk.ViewMyTeams, AgentID: f.anna.ID, TeamIDs: []int64{f.support.ID, f.billing.ID}},
				func(c *desk.Conversation) bool { return c.TeamID == f.support.ID || c.TeamID == f.billing.ID }},
			{"my one team", desk.ConversationQuery{View: desk.ViewMyTeams, AgentID: f.anna.ID, TeamIDs: []int64{f.billing.ID}},
				func(c *desk.Conversation) bool { return c.TeamID == f.billing.ID }},
			{"my teams without teams", desk.ConversationQuery{View: desk.ViewMyTeams, AgentID: f.anna.ID},
				func(c *desk.Conversation) bool { return false }},
			{"status open", desk.ConversationQuery{Status: desk.StatusOpen},
				func(c *desk.Conversation) bool { return c.Status == desk.StatusOpen }},
			{"status resolved", desk.ConversationQuery{View: desk.ViewAll, Status: desk.StatusResolved},
				func(c *desk.Conversation) bool { return c.Status == desk.StatusResolved }},
			{"channel email", desk.ConversationQuery{Channel: desk.ChannelEmail},
				func(c *desk.Conversation) bool { return c.Channel == desk.ChannelEmail }},
			{"channel without conversations", desk.ConversationQuery{Channel: desk.ChannelTelegram},
				func(c *desk.Conversation) bool { return false }},
			{"inbox", desk.ConversationQuery{InboxID: f.web.ID},
				func(c *desk.Conversation) bool { return c.InboxID == f.web.ID }},
			{"team", desk.ConversationQuery{TeamID: f.support.ID},
				func(c *desk.Conversation) bool { return c.TeamID == f.support.ID }},
			{"label", desk.ConversationQuery{Label: "vip"},
				func(c *desk.Conversation) bool { return slices.Contains(c.Labels, "vip") }},
			{"label refund open", desk.ConversationQuery{Label: "refund", Status: desk.StatusOpen},
				func(c *desk.Conversation) bool {
					return c.Status == desk.StatusOpen && slices.Contains(c.Labels, "refund")
				}},
			{"unknown label", desk.ConversationQuery{Label: "nope"}, func(c *desk.Conversation) bool { return false }},
			{"contact", desk.ConversationQuery{ContactID: f.piet.ID},
				func(c *desk.Conversation) bool { return c.ContactID == f.piet.ID }},
			{"everything at once", desk.ConversationQuery{View: desk.ViewMine, AgentID: f.anna.ID, Status: desk.StatusOpen,
				Channel: desk.ChannelEmail, InboxID: f.mail.ID, TeamID: f.billing.ID, ContactID: f.piet.ID},
				func(c *desk.Conversation) bool {
					return c.AssigneeID == f.anna.ID && c.Status == desk.StatusOpen && c.InboxID == f.mail.ID &&
						c.TeamID == f.billing.ID && c.ContactID == f.piet.ID
				}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				want := f.want(tc.keep)
				page, err := s.ListConversations(ctx(t), tc.q)
				must(t, err, "ListConversations")
				if got := convIDs(page.Items); !sameIDs(got, want) {
					t.Errorf("ListConversations = %v, want %v", got, want)
				}
				if page.Next != nil {
					t.Errorf("Next = %+v, want nil (single page)", page.Next)
				}
				n, err := s.CountConversations(ctx(t), tc.q)
				must(t, err, "CountConversations")
				if n != len(want) {
					t.Errorf("CountConversations = %d, want %d", n, len(want))
				}
			})
		}
	}},
	{"items are complete", func(t *testing.T, s desk.Store) {
		f := newListFixture(t, s)
		page, err := s.ListConversations(ctx(t), desk.ConversationQuery{WithContact: true})
		must(t, err, "ListConversations")
		for _, got := range page.Items {
			want := f.byID[got.ID]
			if got.Status != want.Status || got.AssigneeID != want.AssigneeID || got.TeamID != want.TeamID ||
				got.InboxID != want.InboxID || got.ContactID != want.ContactID || !sameStrings(got.Labels, want.Labels) {
				t.Errorf("item %d = %+v, want %+v", got.ID, got, want)
			}
			checkTime(t, fmt.Sprintf("item %d LastActivityAt", got.ID), got.LastActivityAt, want.LastActivityAt)
			if got.Contact == nil || got.Contact.ID != want.ContactID || got.Contact.Name == "" {
				t.Errorf("item %d Contact = %+v, want contact %d", got.ID, got.Contact, want.ContactID)
			}
		}
		page, err = s.ListConversations(ctx(t), desk.ConversationQuery{})
		must(t, err, "ListConversations without contact")
		if len(page.Items) > 0 && page.Items[0].Contact != nil {
			t.Errorf("Contact filled without WithContact")
		}
	}},
	{"pagination", func(t *testing.T, s desk.Store) {
		f := newListFixture(t, s)
		for _, limit := range []int{1, 2, 3, 5, 8} {
			t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
				var got []int64
				q := desk.ConversationQuery{View: desk.ViewAll, Limit: limit}
				for pages := 0; ; pages++ {
					if pages > len(f.all) {
						t.Fatalf("more than %d pages", pages)
					}
					page, err := s.ListConversations(ctx(t), q)
					must(t, err, "ListConversations")
					if len(page.Items) > limit {
						t.Fatalf("page of %d items, limit %d", len(page.Items), limit)
					}
					got = append(got, convIDs(page.Items)...)
					if page.Next == nil {
						break
					}
					if len(page.Items) == 0 {
						t.Fatal("empty page with a Next cursor")
					}
					last := page.Items[len(page.Items)-1]
					if page.Next.ID != last.ID || !page.Next.At.Equal(last.LastActivityAt) {
						t.Errorf("Next = %+v, want the last item (%v, %d)", page.Next, last.LastActivityAt, last.ID)
					}
					q.After = page.Next
				}
				if want := f.want(func(*desk.Conversation) bool { return true }); !sameIDs(got, want) {
					t.Errorf("pages joined = %v, want %v", got, want)
				}
			})
		}
	}},
	{"cursor inside a tie", func(t *testing.T, s desk.Store) {
		f := newListFixture(t, s)
		page, err := s.ListConversations(ctx(t), desk.ConversationQuery{
			After: &desk.Cursor{At: f.tieHigh.LastActivityAt, ID: f.tieHigh.ID}, Limit: 2})
		must(t, err, "ListConversations")
		if want := []int64{f.tieLow.ID, f.all[4].ID}; !sameIDs(convIDs(page.Items), want) {
			t.Errorf("after the higher tie = %v, want %v", convIDs(page.Items), want)
		}
	}},
	{"filtered pagination", func(t *testing.T, s desk.Store) {
		f := newListFixture(t, s)
		q := desk.ConversationQuery{View: desk.ViewMine, AgentID: f.anna.ID, Limit: 1}
		var got []int64
		for range 10 {
			page, err := s.ListConversations(ctx(t), q)
			must(t, err, "ListConversations")
			got = append(got, convIDs(page.Items)...)
			if page.Next == nil {
				break
			}
			q.After = page.Next
		}
		if want := f.want(func(c *desk.Conversation) bool { return c.AssigneeID == f.anna.ID }); !sameIDs(got, want) {
			t.Errorf("pages joined = %v, want %v", got, want)
		}
	}},
	{"limit is capped", func(t *testing.T, s desk.Store) {
		in := newInbox(t, s, "web", desk.ChannelWebChat)
		c := newContact(t, s, "Jan", "", "")
		err := s.InTx(ctx(t), func(tx desk.Store) error {
			for i := range 205 {
				cv := &desk.Conversation{InboxID: in.ID, Channel: in.Channel, ContactID: c.ID, Status: desk.StatusOpen,
					Priority: desk.PriorityNone, LastActivityAt: at(i), CreatedAt: at(i), UpdatedAt: at(i)}
				if err := tx.CreateConversation(ctx(t), cv); err != nil {
					return err
				}
			}
			return nil
		})
		must(t, err, "InTx")
		for _, tc := range []struct {
			limit, want int
		}{{0, 50}, {-1, 50}, {1000, 200}, {7, 7}} {
			page, err := s.ListConversations(ctx(t), desk.ConversationQuery{Limit: tc.limit})
			must(t, err, "ListConversations")
			if len(page.Items) != tc.want {
				t.Errorf("Limit %d gave %d items, want %d", tc.limit, len(page.Items), tc.want)
			}
			if page.Next == nil {
				t.Errorf("Limit %d: Next = nil, want a cursor", tc.limit)
			}
		}
		n, err := s.CountConversations(ctx(t), desk.ConversationQuery{})
		must(t, err, "CountConversations")
		if n != 205 {
			t.Errorf("CountConversations = %d, want 205", n)
		}
	}},
}
