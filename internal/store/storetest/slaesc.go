package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// SLA escalations (desk/sla.go) and the inbox's SLA filter.
//
// What the suite pins down beyond the interface:
//   - OweSLAEscalation: conversation, target, start and state make one
//     escalation; the first Owe stores it with Attempts 1 and the caller's
//     lease, later ones report false, write nothing and give the stored
//     one back (with its ID). The same target's warning and breach, or
//     another start, are other escalations. A missing conversation is
//     ErrNotFound, a state other than warning or breached ErrInvalid; inside
//     InTx a failed Owe leaves the transaction usable.
//   - ClaimSLAEscalations takes owed escalations whose lease has passed,
//     oldest CreatedAt first (then ID), at most limit, counting an attempt
//     and setting LeaseUntil; a held or done one is not taken.
//   - Finish marks done (DoneAt, lease cleared), with a reason GaveUp and
//     LastError; Fail keeps it owed with LastError and the lease released;
//     both are ErrConflict once done and ErrNotFound for a missing id.
//   - SLAEscalationsOf is oldest first; none is an empty list.
//   - ConversationQuery.SLAStates filters List and Count (any of the
//     states); an unknown state, SLANone included, is ErrInvalid.

var slaEscalationTests = []test{
	{"OweOnce", testOweSLAEscalation},
	{"OweInvalid", testOweSLAEscalationInvalid},
	{"ClaimFinishFail", testClaimSLAEscalations},
	{"ListBySLAState", testListBySLAState},
}

func escalationFixture(t *testing.T, s desk.Store) *desk.Conversation {
	t.Helper()
	in := newInbox(t, s, "chat", desk.ChannelWebChat)
	c := newContact(t, s, "Gijs", "", "")
	return newConversation(t, s, in, c, at(0))
}

func testOweSLAEscalation(t *testing.T, s desk.Store) {
	rs := routingOf(t, s)
	cv := escalationFixture(t, s)
	first := desk.SLAEscalation{ConversationID: cv.ID, Target: "first_response", StartedAt: at(0),
		State: desk.SLAWarning, DueAt: at(60), CreatedAt: at(30), LeaseUntil: at(31)}
	e := first
	isNew, err := rs.OweSLAEscalation(ctx(t), &e)
	must(t, err, "OweSLAEscalation")
	if !isNew || e.ID == 0 {
		t.Fatalf("first Owe: new %v, id %d; want true and an id", isNew, e.ID)
	}
	if e.Attempts != 1 || !e.DoneAt.IsZero() || e.GaveUp {
		t.Errorf("first Owe: attempts %d done %v gave up %v; want 1, zero, false", e.Attempts, e.DoneAt, e.GaveUp)
	}
	checkTime(t, "LeaseUntil", e.LeaseUntil, at(31))

	// The same one again, as a restarted sweep or another node would owe it.
	again := first
	again.CreatedAt, again.DueAt, again.LeaseUntil = at(40), at(70), at(41)
	isNew, err = rs.OweSLAEscalation(ctx(t), &again)
	must(t, err, "OweSLAEscalation again")
	if isNew || again.ID != e.ID {
		t.Errorf("second Owe: new %v, id %d; want false and id %d", isNew, again.ID, e.ID)
	}
	checkTime(t, "stored CreatedAt", again.CreatedAt, at(30))
	checkTime(t, "stored DueAt", again.DueAt, at(60))
	checkTime(t, "stored LeaseUntil", again.LeaseUntil, at(31))

	for _, tc := range []struct {
		name   string
		change func(e *desk.SLAEscalation)
	}{
		{"the breach", func(e *desk.SLAEscalation) { e.State = desk.SLABreached }},
		{"another target", func(e *desk.SLAEscalation) { e.Target = "resolution" }},
		{"another cycle", func(e *desk.SLAEscalation) { e.Target, e.StartedAt = "next_response", at(90) }},
	} {
		other := first
		tc.change(&other)
		isNew, err := rs.OweSLAEscalation(ctx(t), &other)
		must(t, err, "OweSLAEscalation "+tc.name)
		if !isNew || other.ID == e.ID {
			t.Errorf("%s: new %v, id %d; want a new escalation", tc.name, isNew, other.ID)
		}
	}
	got, err := rs.SLAEscalationsOf(ctx(t), cv.ID)
	must(t, err, "SLAEscalationsOf")
	if len(got) != 4 || got[0].ID != e.ID || got[0].Target != "first_response" || got[0].State != desk.SLAWarning {
		t.Fatalf("SLAEscalationsOf = %+v, want 4, the first warning first", got)
	}
	checkTime(t, "StartedAt", got[0].StartedAt, at(0))

	// A conversation with none lists none.
	other := newConversation(t, s, &desk.Inbox{ID: cv.InboxID, Channel: cv.Channel}, &desk.Contact{ID: cv.ContactID}, at(5))
	if none, err := rs.SLAEscalationsOf(ctx(t), other.ID); err != nil || len(none) != 0 {
		t.Errorf("SLAEscalationsOf(no escalations) = %v, %v; want none", none, err)
	}
}

func testOweSLAEscalationInvalid(t *testing.T, s desk.Store) {
	rs := routingOf(t, s)
	cv := escalationFixture(t, s)
	for _, tc := range []struct {
		name string
		e    desk.SLAEscalation
		want error
	}{
		{"missing conversation", desk.SLAEscalation{ConversationID: cv.ID + 100, Target: "first_response",
			StartedAt: at(0), State: desk.SLAWarning}, desk.ErrNotFound},
		{"running is no escalation", desk.SLAEscalation{ConversationID: cv.ID, Target: "first_response",
			StartedAt: at(0), State: desk.SLARunning}, desk.ErrInvalid},
		{"no state", desk.SLAEscalation{ConversationID: cv.ID, Target: "first_response", StartedAt: at(0)}, desk.ErrInvalid},
	} {
		e := tc.e
		_, err := rs.OweSLAEscalation(ctx(t), &e)
		wantErr(t, err, tc.want, tc.name)
	}
	// Inside a transaction the failure leaves it usable.
	err := s.InTx(ctx(t), func(tx desk.Store) error {
		bad := desk.SLAEscalation{ConversationID: cv.ID + 100, Target: "first_response", StartedAt: at(0), State: desk.SLAWarning}
		if _, err := tx.OweSLAEscalation(ctx(t), &bad); !errors.Is(err, desk.ErrNotFound) {
			t.Errorf("Owe in tx of a missing conversation: %v, want ErrNotFound", err)
		}
		good := desk.SLAEscalation{ConversationID: cv.ID, Target: "first_response", StartedAt: at(0), State: desk.SLAWarning}
		_, err := tx.OweSLAEscalation(ctx(t), &good)
		return err
	})
	must(t, err, "InTx")
	if got, err := rs.SLAEscalationsOf(ctx(t), cv.ID); err != nil || len(got) != 1 {
		t.Errorf("after the transaction: %d escalations (%v), want 1", len(got), err)
	}
}

func testClaimSLAEscalations(t *testing.T, s desk.Store) {
	rs := routingOf(t, s)
	cv := escalationFixture(t, s)
	owe := func(target string, created, lease time.Time) desk.SLAEscalation {
		t.Helper()
		e := desk.SLAEscalation{ConversationID: cv.ID, Target: target, StartedAt: at(0), State: desk.SLABreached,
			DueAt: at(60), CreatedAt: created, LeaseUntil: lease}
		_, err := rs.OweSLAEscalation(ctx(t), &e)
		must(t, err, "OweSLAEscalation "+target)
		return e
	}
	late := owe("resolution", at(20), at(21))        // lease passed at 25
	early := owe("first_response", at(10), at(11))   // lease passed at 25
	held := owe("next_response", at(5), at(100))     // still held at 25
	done := owe("first_response_done", at(1), at(2)) // done below
	must(t, rs.FinishSLAEscalation(ctx(t), done.ID, at(3), ""), "FinishSLAEscalation")

	got, err := rs.ClaimSLAEscalations(ctx(t), at(25), at(26), 10)
	must(t, err, "ClaimSLAEscalations")
	if !sameIDs(ids(got, func(e desk.SLAEscalation) int64 { return e.ID }), []int64{early.ID, late.ID}) {
		t.Fatalf("claimed %+v, want ids %d, %d (oldest first; held and done ones left)", got, early.ID, late.ID)
	}
	for _, e := range got {
		if e.Attempts != 2 {
			t.Errorf("claimed %d: attempts %d, want 2", e.ID, e.Attempts)
		}
		checkTime(t, "claimed LeaseUntil", e.LeaseUntil, at(26))
	}
	if again, err := rs.ClaimSLAEscalations(ctx(t), at(25), at(26), 10); err != nil || len(again) != 0 {
		t.Errorf("claim while leased: %v, %v; want none", again, err)
	}
	if limited, err := rs.ClaimSLAEscalations(ctx(t), at(27), at(28), 1); err != nil || len(limited) != 1 || limited[0].ID != early.ID {
		t.Errorf("claim with limit 1: %v, %v; want the oldest, %d", limited, err, early.ID)
	}

	// A failure keeps it owed and lets the next claim take it at once,
	// before its lease (at 28) ends; late's lease ended at 26.
	must(t, rs.FailSLAEscalation(ctx(t), early.ID, "note: database is locked"), "FailSLAEscalation")
	got, err = rs.ClaimSLAEscalations(ctx(t), at(27), at(29), 10)
	must(t, err, "ClaimSLAEscalations after a failure")
	if len(got) != 2 || got[0].ID != early.ID || got[0].LastError != "note: database is locked" || got[0].Attempts != 4 ||
		got[1].ID != late.ID || got[1].LastError != "" || got[1].Attempts != 3 {
		t.Fatalf("claim after a failure = %+v, want %d with the error and 4 attempts, then %d", got, early.ID, late.ID)
	}

	must(t, rs.FinishSLAEscalation(ctx(t), early.ID, at(28), ""), "FinishSLAEscalation")
	must(t, rs.FinishSLAEscalation(ctx(t), late.ID, at(28), "conversation gone"), "FinishSLAEscalation giving up")
	all, err := rs.SLAEscalationsOf(ctx(t), cv.ID)
	must(t, err, "SLAEscalationsOf")
	byID := map[int64]desk.SLAEscalation{}
	for _, e := range all {
		byID[e.ID] = e
	}
	if e := byID[early.ID]; e.GaveUp || !e.LeaseUntil.IsZero() {
		t.Errorf("finished: gave up %v lease %v; want false and zero", e.GaveUp, e.LeaseUntil)
	} else {
		checkTime(t, "DoneAt", e.DoneAt, at(28))
	}
	if e := byID[late.ID]; !e.GaveUp || e.LastError != "conversation gone" || e.DoneAt.IsZero() {
		t.Errorf("given up: %+v, want GaveUp, the reason and DoneAt", e)
	}

	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"finish twice", rs.FinishSLAEscalation(ctx(t), early.ID, at(30), ""), desk.ErrConflict},
		{"fail when done", rs.FailSLAEscalation(ctx(t), late.ID, "x"), desk.ErrConflict},
		{"finish missing", rs.FinishSLAEscalation(ctx(t), late.ID+100, at(30), ""), desk.ErrNotFound},
		{"fail missing", rs.FailSLAEscalation(ctx(t), late.ID+100, "x"), desk.ErrNotFound},
	} {
		wantErr(t, tc.err, tc.want, tc.name)
	}
	if rest, err := rs.ClaimSLAEscalations(ctx(t), at(200), at(201), 10); err != nil || len(rest) != 1 || rest[0].ID != held.ID {
		t.Errorf("claim after the lease: %v, %v; want only %d", rest, err, held.ID)
	}
}

func testListBySLAState(t *testing.T, s desk.Store) {
	in := newInbox(t, s, "chat", desk.ChannelWebChat)
	c := newContact(t, s, "Gijs", "", "")
	type spec struct {
		state  desk.SLAState
		status desk.Status
	}
	specs := []spec{
		{desk.SLANone, desk.StatusOpen},         // 0
		{desk.SLARunning, desk.StatusOpen},      // 1
		{desk.SLAWarning, desk.StatusOpen},      // 2
		{desk.SLABreached, desk.StatusOpen},     // 3
		{desk.SLABreached, desk.StatusResolved}, // 4: a miss stays on record
		{desk.SLAWarning, desk.StatusPending},   // 5
	}
	convs := make([]int64, len(specs))
	for i, sp := range specs {
		cv := newConversation(t, s, in, c, at(i))
		cv.SLAState, cv.Status = sp.state, sp.status
		if sp.state != desk.SLANone {
			cv.SLAPolicyID = 1
		}
		must(t, s.UpdateConversation(ctx(t), cv), "UpdateConversation")
		convs[i] = cv.ID
	}
	pick := func(idx ...int) []int64 {
		out := make([]int64, len(idx))
		for i, x := range idx {
			out[i] = convs[x]
		}
		return out
	}
	atRisk := []desk.SLAState{desk.SLAWarning, desk.SLABreached}
	for _, tc := range []struct {
		name string
		q    desk.ConversationQuery
		want []int64 // newest activity first
	}{
		{"any", desk.ConversationQuery{}, pick(5, 4, 3, 2, 1, 0)},
		{"at risk", desk.ConversationQuery{SLAStates: atRisk}, pick(5, 4, 3, 2)},
		{"at risk and open", desk.ConversationQuery{SLAStates: atRisk, Status: desk.StatusOpen}, pick(3, 2)},
		{"breached", desk.ConversationQuery{SLAStates: []desk.SLAState{desk.SLABreached}}, pick(4, 3)},
		{"running", desk.ConversationQuery{SLAStates: []desk.SLAState{desk.SLARunning}}, pick(1)},
		{"repeated", desk.ConversationQuery{SLAStates: []desk.SLAState{desk.SLAWarning, desk.SLAWarning}}, pick(5, 2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := s.ListConversations(ctx(t), tc.q)
			must(t, err, "ListConversations")
			if got := convIDs(page.Items); !sameIDs(got, tc.want) {
				t.Errorf("ListConversations = %v, want %v", got, tc.want)
			}
			n, err := s.CountConversations(ctx(t), tc.q)
			must(t, err, "CountConversations")
			if n != len(tc.want) {
				t.Errorf("CountConversations = %d, want %d", n, len(tc.want))
			}
			// Paged one at a time, the cursor keeps the filter.
			q := tc.q
			q.Limit = 1
			var paged []int64
			for range len(specs) + 1 {
				page, err := s.ListConversations(ctx(t), q)
				must(t, err, "ListConversations paged")
				paged = append(paged, convIDs(page.Items)...)
				if page.Next == nil {
					break
				}
				q.After = page.Next
			}
			if !sameIDs(paged, tc.want) {
				t.Errorf("paged = %v, want %v", paged, tc.want)
			}
		})
	}
	for _, bad := range [][]desk.SLAState{{desk.SLANone}, {"late"}, {desk.SLAWarning, "Breached"}} {
		_, err := s.ListConversations(ctx(t), desk.ConversationQuery{SLAStates: bad})
		wantErr(t, err, desk.ErrInvalid, fmt.Sprintf("ListConversations with SLAStates %q", bad))
		_, err = s.CountConversations(ctx(t), desk.ConversationQuery{SLAStates: bad})
		wantErr(t, err, desk.ErrInvalid, fmt.Sprintf("CountConversations with SLAStates %q", bad))
	}
}
