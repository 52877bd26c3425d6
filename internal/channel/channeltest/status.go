package channeltest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// sentReply stores an agent's reply to the customer of inbound message n,
// sends it through the channel and records it as the outbox worker does
// (sent, with the provider's id), so that receipts can find it. It returns
// the message id and the provider's id.
func sentReply(t *testing.T, h Harness, n int, body string) (int64, string) {
	t.Helper()
	ctx := context.Background()
	out := reply(t, h, n, body)
	m := &desk.Message{ConversationID: out.Conversation.ID, Kind: desk.KindMessage, Sender: desk.SenderAgent,
		Body: body, Delivery: desk.DeliveryQueued, CreatedAt: time.Now().UTC()}
	if err := h.Store.CreateMessage(ctx, m); err != nil {
		t.Fatalf("store reply: %v", err)
	}
	stored, err := h.Store.OutboundFor(ctx, m.ID)
	if err != nil {
		t.Fatalf("outbound for reply: %v", err)
	}
	stored.IdempotencyKey = fmt.Sprintf("conformance-status-%d", m.ID)
	id, err := h.Channel.Send(ctx, *stored)
	if err != nil {
		t.Fatalf("send reply: %v", err)
	}
	if id == "" {
		t.Fatal("send reply: empty provider id; receipts could not find the message")
	}
	if err := h.Store.SetDelivery(ctx, m.ID, desk.DeliverySent, ""); err != nil {
		t.Fatalf("record reply as sent: %v", err)
	}
	if err := h.Store.SetExternalID(ctx, m.ID, id); err != nil {
		t.Fatalf("record provider id: %v", err)
	}
	return m.ID, id
}

// delivery reads a message's delivery state and error.
func delivery(t *testing.T, h Harness, id int64) (desk.Delivery, string) {
	t.Helper()
	m, err := h.Store.MessageByID(context.Background(), id)
	if err != nil {
		t.Fatalf("message %d: %v", id, err)
	}
	return m.Delivery, m.Error
}

// needStatus skips a test of receipts on a channel whose provider has none.
func needStatus(t *testing.T, h Harness) {
	t.Helper()
	if h.Status == nil {
		t.Skipf("%s has no delivery receipts (Harness.Status is nil)", h.Kind)
	}
}

// postStatus serves the provider's status webhook; false when the
// provider never reports state.
func postStatus(t *testing.T, h Harness, providerID string, state desk.Delivery, reason string) bool {
	t.Helper()
	r := h.Status(providerID, state, reason)
	if r == nil {
		t.Logf("%s reports no %q status", h.Kind, state)
		return false
	}
	if code := serve(h, r); !success(code) {
		t.Fatalf("%s status: HTTP %d, want 2xx", state, code)
	}
	return true
}

func testStatuses(t *testing.T, h Harness) {
	needStatus(t, h)
	id, pid := sentReply(t, h, 1, "Uw retour is ontvangen.")
	reported := 0
	for _, state := range []desk.Delivery{desk.DeliverySent, desk.DeliveryDelivered, desk.DeliveryRead} {
		if !postStatus(t, h, pid, state, "") {
			continue
		}
		reported++
		if got, _ := delivery(t, h, id); got != state {
			t.Errorf("after a %q status the message is %q, want %q", state, got, state)
		}
	}
	if reported == 0 {
		t.Error("the harness reports none of sent, delivered and read")
	}
}

func testLateStatus(t *testing.T, h Harness) {
	needStatus(t, h)
	id, pid := sentReply(t, h, 1, "Uw retour is ontvangen.")
	if !postStatus(t, h, pid, desk.DeliveryRead, "") {
		t.Skipf("%s reports no read status", h.Kind)
	}
	// Providers do not promise order: a delivery receipt may arrive after
	// the read receipt, and must not undo it.
	for _, late := range []desk.Delivery{desk.DeliveryDelivered, desk.DeliverySent} {
		if !postStatus(t, h, pid, late, "") {
			continue
		}
		if got, _ := delivery(t, h, id); got != desk.DeliveryRead {
			t.Errorf("a late %q status after read left the message %q, want %q", late, got, desk.DeliveryRead)
		}
	}
}

func testFailedStatus(t *testing.T, h Harness) {
	needStatus(t, h)
	const reason = "Nummer niet bereikbaar"
	id, pid := sentReply(t, h, 1, "Uw retour is ontvangen.")
	if !postStatus(t, h, pid, desk.DeliveryFailed, reason) {
		t.Skipf("%s reports no failed status", h.Kind)
	}
	got, why := delivery(t, h, id)
	if got != desk.DeliveryFailed {
		t.Errorf("after a failed status the message is %q, want %q", got, desk.DeliveryFailed)
	}
	// The agent decides whether to retry from the reason.
	if !strings.Contains(why, reason) {
		t.Errorf("failed message's error = %q, want it to contain the provider's reason %q", why, reason)
	}
}

func testUnknownStatus(t *testing.T, h Harness) {
	needStatus(t, h)
	id, _ := sentReply(t, h, 1, "Uw retour is ontvangen.")
	before := snapshot(t, h)
	// Receipts of messages sent outside balie (the provider's own app,
	// another tool on the same number) come to the same webhook.
	for _, state := range []desk.Delivery{desk.DeliveryDelivered, desk.DeliveryRead, desk.DeliveryFailed} {
		postStatus(t, h, "conformance-never-sent", state, "onbekend bericht")
	}
	if after := snapshot(t, h); !after.same(before) {
		t.Errorf("status of an unknown message stored something: before %s, after %s", before, after)
	}
	if got, _ := delivery(t, h, id); got != desk.DeliverySent {
		t.Errorf("status of an unknown message moved another message to %q, want it still %q", got, desk.DeliverySent)
	}
}
