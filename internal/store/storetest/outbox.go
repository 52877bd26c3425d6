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
		_, err := s.ClaimOutbox(ctx(t), at(1), at(2), 10)
		must(t, err, "ClaimOutbox")

		must(t, s.CompleteOutbox(ctx(t), done.ID, at(1)), "CompleteOutbox")
		must(t, s.RetryOutbox(ctx(t), retry.ID, "503 from provider", at(30), false), "RetryOutbox")
		must(t, s.RetryOutbox(ctx(t), fail.ID, "400 bad number", at(30), true), "RetryOutbox give up")
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

		claimed, err := s.ClaimOutbox(ctx(t), at(29), at(40), 10)
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
		wantErr(t, s.CompleteOutbox(ctx(t), 9, at(0)), desk.ErrNotFound, "CompleteOutbox")
		wantErr(t, s.RetryOutbox(ctx(t), 9, "x", at(1), false), desk.ErrNotFound, "RetryOutbox")
	}},
}
