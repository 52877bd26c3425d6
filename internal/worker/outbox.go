// Package worker runs balie's background loops: delivering the outbox
// (channel sends and webhooks) with retries, and periodic sweeps (waking
// snoozed conversations, deleting expired sessions).
//
// worker imports desk, services and webhooksig; channels arrive as desk.Channel.
package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/safehttp"
	"github.com/balie-dev/balie/internal/webhooksig"
)

// Retry policy.
const (
	MaxAttempts = 12
	baseBackoff = 2 * time.Second
	maxBackoff  = 2 * time.Hour
	lease       = 2 * time.Minute
	// leaseMargin is kept free at the end of each lease: a delivery's
	// deadline is the lease end minus this, so that its result is recorded
	// before another worker may claim the item again.
	leaseMargin = 30 * time.Second
	// minDeliveryTime is the least time worth starting a delivery with; an
	// item that waited for a free slot until less is left, and claimed
	// again when its lease ends.
	minDeliveryTime = 5 * time.Second
)

// Outbox delivers queued sends.
type Outbox struct {
	st       desk.Store
	channels map[desk.ChannelKind]desk.Channel
	client   *http.Client
	bus      desk.Bus
	clock    desk.Clock
	log      *slog.Logger
	wake     chan struct{}
	parallel int
	batch    int
}

// OutboxOptions configure the outbox worker.
type OutboxOptions struct {
	Channels []desk.Channel
	Client   *http.Client // for webhooks
	Parallel int          // concurrent deliveries (default 32)
}

// NewOutbox returns an outbox worker. Call Run to start it.
func NewOutbox(st desk.Store, bus desk.Bus, clock desk.Clock, log *slog.Logger, opts OutboxOptions) *Outbox {
	if opts.Parallel <= 0 {
		opts.Parallel = 32
	}
	if opts.Client == nil {
		opts.Client = safehttp.NewClient(safehttp.Options{})
	}
	o := &Outbox{st: st, channels: map[desk.ChannelKind]desk.Channel{}, client: opts.Client, bus: bus,
		clock: clock, log: log, wake: make(chan struct{}, 1), parallel: opts.Parallel, batch: 4 * opts.Parallel}
	for _, c := range opts.Channels {
		o.channels[c.Kind()] = c
	}
	return o
}

// Kick wakes the worker now instead of at its next poll. It never blocks.
func (o *Outbox) Kick() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is done. Items stay leased to this node while being
// delivered; a crash leaves them to be claimed again after the lease.
func (o *Outbox) Run(ctx context.Context) {
	sem := make(chan struct{}, o.parallel)
	var wg sync.WaitGroup
	defer wg.Wait()
	poll := time.NewTicker(time.Second)
	defer poll.Stop()
	for {
		now := o.clock.Now()
		// Deadlines are on the real clock, which contexts use; the lease
		// in the store is on o.clock.
		deadline := time.Now().Add(lease - leaseMargin)
		items, err := o.st.ClaimOutbox(ctx, now, now.Add(lease), o.batch)
		if err != nil && ctx.Err() == nil {
			o.log.Error("outbox claim failed", "err", err)
		}
		for _, it := range items {
			sem <- struct{}{}
			wg.Add(1)
			go func(it desk.OutboxItem) {
				defer func() { <-sem; wg.Done() }()
				o.deliver(ctx, it, deadline)
			}(it)
		}
		if len(items) == o.batch {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		case <-poll.C:
		}
	}
}

// deliver sends one claimed item and records the result, if its lease is
// still held then. The send itself must end by deadline, before the lease.
func (o *Outbox) deliver(ctx context.Context, it desk.OutboxItem, deadline time.Time) {
	// A delivery that started finishes and records its result even when
	// the worker is asked to stop: cut off halfway, nobody would know
	// whether the receiver got it. The deadline bounds it.
	ctx = context.WithoutCancel(ctx)
	if time.Until(deadline) < minDeliveryTime {
		o.log.Warn("outbox item waited too long for a free slot; left for the next claim", "id", it.ID, "kind", it.Kind)
		return
	}
	var err error
	switch it.Kind {
	case desk.OutboxWebhook:
		err = o.sendWebhook(ctx, it, deadline)
	case desk.OutboxChannelSend:
		err = o.sendMessage(ctx, &it, deadline)
	default:
		err = fmt.Errorf("unknown outbox kind %q", it.Kind)
	}
	if err == nil {
		if it.Kind == desk.OutboxChannelSend {
			return // sendMessage completed the item with the delivery state
		}
		o.complete(ctx, &it)
		return
	}
	// Claiming counted this attempt: it.Attempts includes it.
	giveUp := !errors.Is(err, desk.ErrTemporary) || it.Attempts >= MaxAttempts
	next := o.clock.Now().Add(Backoff(it.Attempts))
	o.log.Warn("outbox delivery failed", "id", it.ID, "kind", it.Kind, "attempt", it.Attempts, "give_up", giveUp, "err", err)
	if rerr := o.st.RetryOutbox(ctx, &it, err.Error(), next, giveUp); rerr != nil {
		o.recordFailed(&it, "retry", rerr)
		return
	}
	if giveUp && it.Kind == desk.OutboxChannelSend {
		o.setDelivery(ctx, it.Target, desk.DeliveryFailed, err.Error())
	}
}

// complete marks an item done, unless its lease was lost meanwhile.
func (o *Outbox) complete(ctx context.Context, it *desk.OutboxItem) {
	if err := o.st.CompleteOutbox(ctx, it, o.clock.Now()); err != nil {
		o.recordFailed(it, "complete", err)
	}
}

// recordFailed logs a result that could not be recorded. A lost lease is
// expected now and then (a delivery slower than its lease, a stalled node):
// the worker that claimed the item since owns it, and this result is
// dropped.
func (o *Outbox) recordFailed(it *desk.OutboxItem, op string, err error) {
	if errors.Is(err, desk.ErrConflict) {
		o.log.Warn("outbox lease lost; result dropped", "id", it.ID, "kind", it.Kind, "op", op, "err", err)
		return
	}
	o.log.Error("outbox "+op+" failed", "id", it.ID, "kind", it.Kind, "err", err)
}

// Backoff is the wait before attempt n (1-based): exponential with ±20 %
// jitter, capped.
func Backoff(n int) time.Duration {
	d := baseBackoff
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	jitter := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(d) * jitter)
}

func (o *Outbox) sendWebhook(ctx context.Context, it desk.OutboxItem, deadline time.Time) error {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	h, err := o.st.WebhookByID(ctx, it.Target)
	if errors.Is(err, desk.ErrNotFound) {
		return nil // deleted meanwhile: nothing to deliver
	}
	if err != nil {
		return fmt.Errorf("webhook %d: %v: %w", it.Target, err, desk.ErrTemporary)
	}
	if !h.Active {
		return nil
	}
	var head struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal(it.Payload, &head); err != nil {
		return fmt.Errorf("webhook payload: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(it.Payload))
	if err != nil {
		return fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "balie-webhooks/1")
	webhooksig.Sign(req.Header, h.Secret, head.Type, head.ID, o.clock.Now(), it.Payload)
	resp, err := o.client.Do(req)
	if safehttp.Refused(err) {
		return fmt.Errorf("webhook post: %w", err) // a blocked address stays blocked: no retries
	}
	if err != nil {
		return fmt.Errorf("webhook post: %v: %w", err, desk.ErrTemporary)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	// A webhook receiver may be down for a while: every failure is worth
	// retrying, except a clear "gone".
	if resp.StatusCode == http.StatusGone {
		return fmt.Errorf("webhook: %s", resp.Status)
	}
	return fmt.Errorf("webhook: %s: %w", resp.Status, desk.ErrTemporary)
}

// sendMessage sends a channel message and records it as sent together with
// completing the item. Reading and sending must end by deadline; recording
// need not.
func (o *Outbox) sendMessage(ctx context.Context, it *desk.OutboxItem, deadline time.Time) error {
	sendCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	out, err := o.st.OutboundFor(sendCtx, it.Target)
	if errors.Is(err, desk.ErrNotFound) {
		o.complete(ctx, it) // erased meanwhile
		return nil
	}
	if err != nil {
		return fmt.Errorf("message %d: %v: %w", it.Target, err, desk.ErrTemporary)
	}
	m := &out.Message
	if m.Delivery != desk.DeliveryQueued && m.Delivery != desk.DeliveryFailed {
		// Already sent (recorded before a crash): never send twice.
		o.complete(ctx, it)
		return nil
	}
	ch, ok := o.channels[out.Inbox.Channel]
	if !ok {
		return fmt.Errorf("no channel adapter for %q", out.Inbox.Channel)
	}
	out.IdempotencyKey = it.IdempotencyKey
	providerID, err := ch.Send(sendCtx, *out)
	if err != nil {
		if errors.Is(err, desk.ErrTemporary) {
			o.setDelivery(ctx, m.ID, desk.DeliveryQueued, err.Error())
		}
		return err
	}
	// The delivery state and the outbox item change together: a crash in
	// between must not leave a sent message that will be sent again, and a
	// worker that lost its lease records nothing.
	now := o.clock.Now()
	err = o.st.InTx(ctx, func(tx desk.Store) error {
		if err := tx.SetDelivery(ctx, m.ID, desk.DeliverySent, ""); err != nil {
			return err
		}
		// The provider's id lets its delivery and read receipts find the
		// message. A clash (the provider reused an id) must not undo the
		// send.
		if providerID != "" {
			if err := tx.SetExternalID(ctx, m.ID, providerID); err != nil && !errors.Is(err, desk.ErrConflict) {
				return err
			}
		}
		return tx.CompleteOutbox(ctx, it, now)
	})
	if err != nil {
		// Sent but not recorded. With the lease lost, the new holder
		// finds the message queued and sends again; otherwise the lease
		// runs out and the next attempt does. Providers that honour the
		// idempotency key drop the repeat.
		o.recordFailed(it, "record sent message", err)
		return nil
	}
	m.Delivery, m.Error = desk.DeliverySent, ""
	o.bus.Publish(ctx, desk.Event{Type: desk.EventMessageUpdated, ConversationID: m.ConversationID, Message: m, At: now})
	return nil
}

func (o *Outbox) setDelivery(ctx context.Context, messageID int64, d desk.Delivery, errText string) {
	if err := o.st.SetDelivery(ctx, messageID, d, errText); err != nil {
		o.log.Error("set delivery failed", "message", messageID, "err", err)
		return
	}
	m, err := o.st.MessageByID(ctx, messageID)
	if err != nil {
		return
	}
	o.bus.Publish(ctx, desk.Event{Type: desk.EventMessageUpdated, ConversationID: m.ConversationID, Message: m, At: o.clock.Now()})
}
