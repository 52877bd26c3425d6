package storetest

import (
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

func item(key string, due int) *desk.OutboxItem {
	return &desk.OutboxItem{Kind: desk.OutboxChannelSend, Target: 7, Payload: []byte(`{"k":"` + key + `"}`),
		IdempotencyKey: key, NextAttemptAt: at(due), CreatedAt: at(0)}
}

func claimIDs(items []desk.OutboxItem) []int64 {
	return ids(items, func(o desk.OutboxItem) int64 { return o.ID })
}

func pending(t *testing.T, s desk.Store) int {
	t.Helper()
	n, err := s.PendingOutbox(ctx(t))
	must(t, err, "PendingOutbox")
	return n
}

var outboxTests = []test{
	{"enqueue and read back", func(t *testing.T, s desk.Store) {
		o := item("send-1", 0)
		must(t, s.EnqueueOutbox(ctx(t), o), "EnqueueOutbox")
		if o.ID == 0 || o.State != desk.OutboxPending {
			t.Fatalf("EnqueueOutbox set ID %d state %q, want an id and pending", o.ID, o.State)
		}
		got, err := s.OutboxByID(ctx(t), o.ID)
		must(t, err, "OutboxByID")
		if got.Kind != desk.OutboxChannelSend || got.Target != 7 || string(got.Payload) != `{"k":"send-1"}` ||
			got.IdempotencyKey != "send-1" || got.State != desk.OutboxPending || got.Attempts != 0 || got.LastError != "" {
			t.Errorf("OutboxByID = %+v, want %+v", got, o)
		}
		checkTime(t, "NextAttemptAt", got.NextAttemptAt, at(0))
		checkTime(t, "CreatedAt", got.CreatedAt, at(0))
		if !got.DoneAt.IsZero() {
			t.Errorf("DoneAt = %v, want zero", got.DoneAt)
		}
		_, err = s.OutboxByID(ctx(t), o.ID+100)
		wantErr(t, err, desk.ErrNotFound, "OutboxByID missing")
	}},
	{"zero next attempt means now", func(t *testing.T, s desk.Store) {
		o := &desk.OutboxItem{Kind: desk.OutboxWebhook, Target: 1, Payload: []byte(`{}`), IdempotencyKey: "w1"}
		must(t, s.EnqueueOutbox(ctx(t), o), "EnqueueOutbox")
		got, err := s.OutboxByID(ctx(t), o.ID)
		must(t, err, "OutboxByID")
		if got.NextAttemptAt.IsZero() || got.CreatedAt.IsZero() {
			t.Errorf("NextAttemptAt %v CreatedAt %v, want both set", got.NextAttemptAt, got.CreatedAt)
		}
	}},
	{"idempotency key skipped", func(t *testing.T, s desk.Store) {
		must(t, s.EnqueueOutbox(ctx(t), item("k1", 0), item("k2", 0)), "EnqueueOutbox")
		must(t, s.EnqueueOutbox(ctx(t), item("k1", 0), item("k3", 0), item("k3", 0)), "EnqueueOutbox with repeats")
		if n := pending(t, s); n != 3 {
			t.Errorf("PendingOutbox = %d, want 3", n)
		}
		claimed, err := s.ClaimOutbox(ctx(t), at(1), at(10), 10)
		must(t, err, "ClaimOutbox")
		keys := map[string]int{}
		for _, c := range claimed {
			keys[c.IdempotencyKey]++
		}
		if len(claimed) != 3 || keys["k1"] != 1 || keys["k2"] != 1 || keys["k3"] != 1 {
			t.Errorf("claimed keys %v, want k1 k2 k3 once each", keys)
		}
	}},
	{"empty idempotency keys are not deduplicated", func(t *testing.T, s desk.Store) {
		must(t, s.EnqueueOutbox(ctx(t), item("", 0), item("", 0)), "EnqueueOutbox")
		if n := pending(t, s); n != 2 {
			t.Errorf("PendingOutbox = %d, want 2", n)
		}
	}},
	{"claim respects due time, limit and leases", func(t *testing.T, s desk.Store) {
		a, b, c, later := item("a", 0), item("b", 1), item("c", 2), item("later", 60)
		must(t, s.EnqueueOutbox(ctx(t), c, a, b, later), "EnqueueOutbox")

		got, err := s.ClaimOutbox(ctx(t), at(5), at(15), 2)
		must(t, err, "ClaimOutbox 1")
		if want := []int64{a.ID, b.ID}; !sameIDs(claimIDs(got), want) {
			t.Fatalf("first claim = %v, want %v (oldest due first, limit 2)", claimIDs(got), want)
		}
		for _, o := range got {
			if o.Attempts != 1 || o.State != desk.OutboxPending {
				t.Errorf("claimed %d: attempts %d state %s, want 1 pending", o.ID, o.Attempts, o.State)
			}
			checkTime(t, "claimed NextAttemptAt", o.NextAttemptAt, at(15))
		}
		got, err = s.ClaimOutbox(ctx(t), at(6), at(16), 10)
		must(t, err, "ClaimOutbox 2")
		if want := []int64{c.ID}; !sameIDs(claimIDs(got), want) {
			t.Fatalf("second claim = %v, want %v (leased items are not claimed again)", claimIDs(got), want)
		}
		got, err = s.ClaimOutbox(ctx(t), at(7), at(17), 10)
		must(t, err, "ClaimOutbox 3")
		if len(got) != 0 {
			t.Errorf("third claim = %v, want none", claimIDs(got))
		}
		// The lease of a and b runs out at minute 15: another worker may take them.
		got, err = s.ClaimOutbox(ctx(t), at(15), at(25), 10)
		must(t, err, "ClaimOutbox after lease")
		if want := []int64{a.ID, b.ID}; !sameIDs(claimIDs(got), want) {
			t.Fatalf("claim after lease = %v, want %v", claimIDs(got), want)
		}
		if got[0].Attempts != 2 {
			t.Errorf("Attempts after second claim = %d, want 2", got[0].Attempts)
		}
		if n := pending(t, s); n != 4 {
			t.Errorf("PendingOutbox = %d, want 4", n)
		}
	}},
	{"complete, retry and give up", func(t *testing.T, s desk.Store) {
		done, retry, fail := item("done", 0), item("retry", 0), item("fail", 0)
		must(t, s.EnqueueOutbox(ctx(t), done, retry, fail), "EnqueueOutbox")
		claimed, err := s.ClaimOutbox(ctx(t), at(1), at(2), 10)
		must(t, err, "ClaimOutbox")
		if len(claimed) != 3 {
			t.Fatalf("claimed %v, want 3 items", claimIDs(claimed))
		}
		byID := map[int64]*desk.OutboxItem{}
		for i := range claimed {
			byID[claimed[i].ID] = &claimed[i]
		}

		must(t, s.CompleteOutbox(ctx(t), byID[done.ID], at(1)), "CompleteOutbox")
		if it := byID[done.ID]; it.State != desk.OutboxDone || !it.DoneAt.Equal(ms(at(1))) {
			t.Errorf("CompleteOutbox left item state %s DoneAt %v, want done at %v", it.State, it.DoneAt, ms(at(1)))
		}
		must(t, s.RetryOutbox(ctx(t), byID[retry.ID], "503 from provider", at(30), false), "RetryOutbox")
		if it := byID[retry.ID]; it.State != desk.OutboxPending || it.LastError != "503 from provider" {
			t.Errorf("RetryOutbox left item state %s error %q, want pending with the error", it.State, it.LastError)
		}
		must(t, s.RetryOutbox(ctx(t), byID[fail.ID], "400 bad number", at(30), true), "RetryOutbox give up")
		if it := byID[fail.ID]; it.State != desk.OutboxFailed {
			t.Errorf("RetryOutbox give up left state %s, want failed", it.State)
		}
		if n := pending(t, s); n != 1 {
			t.Errorf("PendingOutbox = %d, want 1", n)
		}

		got, err := s.OutboxByID(ctx(t), done.ID)
		must(t, err, "OutboxByID done")
		if got.State != desk.OutboxDone {
			t.Errorf("done state = %s", got.State)
		}
		checkTime(t, "DoneAt", got.DoneAt, at(1))
		got, err = s.OutboxByID(ctx(t), retry.ID)
		must(t, err, "OutboxByID retry")
		if got.State != desk.OutboxPending || got.LastError != "503 from provider" {
			t.Errorf("retry = state %s error %q", got.State, got.LastError)
		}
		checkTime(t, "retry NextAttemptAt", got.NextAttemptAt, at(30))
		got, err = s.OutboxByID(ctx(t), fail.ID)
		must(t, err, "OutboxByID fail")
		if got.State != desk.OutboxFailed || got.LastError != "400 bad number" {
			t.Errorf("fail = state %s error %q", got.State, got.LastError)
		}

		claimed, err = s.ClaimOutbox(ctx(t), at(29), at(40), 10)
		must(t, err, "ClaimOutbox before retry time")
		if len(claimed) != 0 {
			t.Errorf("claimed before retry time: %v", claimIDs(claimed))
		}
		claimed, err = s.ClaimOutbox(ctx(t), at(100), at(110), 10)
		must(t, err, "ClaimOutbox at retry time")
		if want := []int64{retry.ID}; !sameIDs(claimIDs(claimed), want) {
			t.Errorf("claimed at retry time = %v, want %v (done and failed items are never claimed)", claimIDs(claimed), want)
		}
	}},
	{"missing is not found", func(t *testing.T, s desk.Store) {
		wantErr(t, s.CompleteOutbox(ctx(t), &desk.OutboxItem{ID: 9, Lease: 1}, at(0)), desk.ErrNotFound, "CompleteOutbox")
		wantErr(t, s.RetryOutbox(ctx(t), &desk.OutboxItem{ID: 9, Lease: 1}, "x", at(1), false), desk.ErrNotFound, "RetryOutbox")
	}},
	{"each claim is a new lease", func(t *testing.T, s desk.Store) {
		o := item("lease", 0)
		must(t, s.EnqueueOutbox(ctx(t), o), "EnqueueOutbox")
		var leases []int64
		for i, now := range []int{1, 5, 9} {
			got, err := s.ClaimOutbox(ctx(t), at(now), at(now+2), 10)
			must(t, err, "ClaimOutbox")
			if len(got) != 1 {
				t.Fatalf("claim %d = %v, want the item", i+1, claimIDs(got))
			}
			for _, l := range leases {
				if got[0].Lease == l {
					t.Errorf("claim %d: lease %d, which an earlier claim had (%v)", i+1, got[0].Lease, leases)
				}
			}
			leases = append(leases, got[0].Lease)
		}
		stored, err := s.OutboxByID(ctx(t), o.ID)
		must(t, err, "OutboxByID")
		if want := leases[len(leases)-1]; stored.Lease != want {
			t.Errorf("stored Lease = %d, want the last claim's %d", stored.Lease, want)
		}
	}},
	{"a lost lease is fenced off", func(t *testing.T, s desk.Store) {
		tests := []struct {
			name string
			// stale acts with the first claim after the item was claimed again.
			stale func(s desk.Store, it *desk.OutboxItem) error
		}{
			{"complete", func(s desk.Store, it *desk.OutboxItem) error { return s.CompleteOutbox(ctx(t), it, at(4)) }},
			{"retry", func(s desk.Store, it *desk.OutboxItem) error {
				return s.RetryOutbox(ctx(t), it, "timeout", at(30), false)
			}},
			{"give up", func(s desk.Store, it *desk.OutboxItem) error {
				return s.RetryOutbox(ctx(t), it, "timeout", at(30), true)
			}},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				o := item(name(i), 0)
				must(t, s.EnqueueOutbox(ctx(t), o), "EnqueueOutbox")
				first := claimOne(t, s, o.ID, 100*i+1, 100*i+3)
				// The first worker stalls past its lease; a second claims.
				second := claimOne(t, s, o.ID, 100*i+3, 100*i+5)

				wantErr(t, tc.stale(s, first), desk.ErrConflict, "stale "+tc.name)
				got, err := s.OutboxByID(ctx(t), o.ID)
				must(t, err, "OutboxByID")
				if got.State != desk.OutboxPending || got.LastError != "" || got.Lease != second.Lease {
					t.Errorf("after stale %s: state %s error %q lease %d, want pending, no error, lease %d",
						tc.name, got.State, got.LastError, got.Lease, second.Lease)
				}
				must(t, s.CompleteOutbox(ctx(t), second, at(100*i+4)), "CompleteOutbox by the lease holder")
				// Done is final: neither holder can complete or retry again.
				wantErr(t, s.CompleteOutbox(ctx(t), second, at(100*i+4)), desk.ErrConflict, "CompleteOutbox twice")
				wantErr(t, tc.stale(s, first), desk.ErrConflict, "stale "+tc.name+" after done")
				wantErr(t, s.RetryOutbox(ctx(t), second, "x", at(30), false), desk.ErrConflict, "RetryOutbox after done")
				got, err = s.OutboxByID(ctx(t), o.ID)
				must(t, err, "OutboxByID")
				if got.State != desk.OutboxDone || got.LastError != "" {
					t.Errorf("state %s error %q, want done, no error", got.State, got.LastError)
				}
			})
		}
	}},
	{"retry fences too", func(t *testing.T, s desk.Store) {
		o := item("r", 0)
		must(t, s.EnqueueOutbox(ctx(t), o), "EnqueueOutbox")
		first := claimOne(t, s, o.ID, 1, 3)
		must(t, s.RetryOutbox(ctx(t), first, "503", at(4), false), "RetryOutbox")
		second := claimOne(t, s, o.ID, 4, 6)
		// A duplicate retry of the first attempt must not move the
		// second's item back or fail it.
		wantErr(t, s.RetryOutbox(ctx(t), first, "503 again", at(60), true), desk.ErrConflict, "stale RetryOutbox")
		got, err := s.OutboxByID(ctx(t), o.ID)
		must(t, err, "OutboxByID")
		if got.State != desk.OutboxPending || got.Attempts != 2 || got.Lease != second.Lease {
			t.Errorf("state %s attempts %d lease %d, want pending, 2, %d", got.State, got.Attempts, got.Lease, second.Lease)
		}
		checkTime(t, "NextAttemptAt", got.NextAttemptAt, at(6))
	}},
	{"fenced complete rolls back its transaction", func(t *testing.T, s desk.Store) {
		in := newInbox(t, s, "web", desk.ChannelWebChat)
		c := newContact(t, s, "Jan", "", "")
		cv := newConversation(t, s, in, c, at(0))
		m := &desk.Message{ConversationID: cv.ID, Kind: desk.KindMessage, Sender: desk.SenderAgent,
			Body: "hallo", Delivery: desk.DeliveryQueued, CreatedAt: at(0)}
		must(t, s.CreateMessage(ctx(t), m), "CreateMessage")
		o := item("send", 0)
		o.Target = m.ID
		must(t, s.EnqueueOutbox(ctx(t), o), "EnqueueOutbox")
		first := claimOne(t, s, o.ID, 1, 3)
		claimOne(t, s, o.ID, 3, 5)

		err := s.InTx(ctx(t), func(tx desk.Store) error {
			if err := tx.SetDelivery(ctx(t), m.ID, desk.DeliverySent, ""); err != nil {
				return err
			}
			return tx.CompleteOutbox(ctx(t), first, at(4))
		})
		wantErr(t, err, desk.ErrConflict, "InTx with a stale complete")
		got, err := s.MessageByID(ctx(t), m.ID)
		must(t, err, "MessageByID")
		if got.Delivery != desk.DeliveryQueued {
			t.Errorf("Delivery = %s, want %s: the stale worker's transaction must leave no trace", got.Delivery, desk.DeliveryQueued)
		}
	}},
}

// claimOne claims at minute now with a lease until minute until and returns
// the item id, failing unless exactly that item was claimed.
func claimOne(t *testing.T, s desk.Store, id int64, now, until int) *desk.OutboxItem {
	t.Helper()
	got, err := s.ClaimOutbox(ctx(t), at(now), at(until), 10)
	must(t, err, "ClaimOutbox")
	if len(got) != 1 || got[0].ID != id {
		t.Fatalf("claim at %d = %v, want [%d]", now, claimIDs(got), id)
	}
	return &got[0]
}
