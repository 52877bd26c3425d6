package meta

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/channel/metagraph"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
)

// SignatureHeader carries Meta's signature of a webhook body.
const SignatureHeader = metagraph.SignatureHeader

// Webhook serves the inbox's webhook: the GET verification handshake and
// the signed POSTs of events (see metagraph.Webhook).
func (c *Channel) Webhook(in desk.Inbox) http.Handler {
	return metagraph.Webhook(in, c.d.Log, c.name, func(ctx context.Context, p payload) error {
		return c.process(ctx, in, p)
	})
}

// process takes in every event of a payload. It goes on past a failure, so
// that one bad event does not hold up the rest, and returns the failures
// joined.
func (c *Channel) process(ctx context.Context, in desk.Inbox, p payload) error {
	if p.Object != c.object {
		c.d.Log.Info(c.name+": event ignored", "inbox", in.ID, "object", p.Object)
		return nil
	}
	page := in.Settings[SettingPageID]
	var errs []error
	for _, e := range p.Entry {
		// One app may send several Pages' events to one callback; only this
		// inbox's belong here.
		if page != "" && e.ID != "" && e.ID != page {
			c.d.Log.Warn(c.name+": event for another page ignored", "inbox", in.ID, "entry", e.ID)
			continue
		}
		if len(e.Standby) > 0 || len(e.Changes) > 0 {
			c.d.Log.Info(c.name+": standby or change events ignored", "inbox", in.ID,
				"standby", len(e.Standby), "changes", len(e.Changes))
		}
		for _, ev := range e.Messaging {
			if err := c.handle(ctx, in, firstNonEmpty(page, e.ID), ev); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// handle takes in one messaging event.
func (c *Channel) handle(ctx context.Context, in desk.Inbox, page string, ev event) error {
	log := c.d.Log.With("inbox", in.ID, "sender", ev.Sender.ID)
	// The Page's own messages (sent by balie, or by someone in Meta's
	// inbox) come back as echoes; balie stores only the customer's side.
	fromPage := page != "" && ev.Sender.ID == page
	switch {
	case ev.Message != nil:
		if fromPage && !ev.Message.IsEcho {
			log.Info(c.name + ": message from the page itself ignored")
			return nil
		}
		return c.ingest(ctx, in, ev, ev.Message.MID, normaliseMessage(ev.Message))
	case ev.Postback != nil:
		id := ev.Postback.MID
		if id == "" {
			id = syntheticID("postback", ev)
		}
		con := content{body: postbackText(ev.Postback)}
		if con.body == "" {
			con.skip = "postback without title or payload"
		}
		return c.ingest(ctx, in, ev, id, con)
	case ev.Reaction != nil:
		con := content{body: reactionText(ev.Reaction)}
		if con.body == "" {
			con.skip = "reaction removed"
		}
		return c.ingest(ctx, in, ev, syntheticID("reaction:"+ev.Reaction.MID, ev), con)
	case ev.MessageEdit != nil:
		con := content{body: strings.TrimSpace(textEdited + ev.MessageEdit.Text)}
		if ev.MessageEdit.MID == "" || strings.TrimSpace(ev.MessageEdit.Text) == "" {
			con.skip = "edit without message id or text"
		}
		id := ev.MessageEdit.MID + "#edit" + strconv.Itoa(ev.MessageEdit.NumEdit)
		return c.ingest(ctx, in, ev, id, con)
	case ev.Delivery != nil:
		var errs []error
		for _, mid := range ev.Delivery.MIDs {
			errs = append(errs, c.receipt(ctx, in, mid, desk.DeliveryDelivered))
		}
		if len(ev.Delivery.MIDs) == 0 && ev.Delivery.Watermark > 0 {
			errs = append(errs, c.upTo(ctx, in, ev.Sender.ID, ev.Delivery.Watermark, desk.DeliveryDelivered))
		}
		return errors.Join(errs...)
	case ev.Read != nil:
		if ev.Read.MID != "" {
			return c.receipt(ctx, in, ev.Read.MID, desk.DeliveryRead)
		}
		return c.upTo(ctx, in, ev.Sender.ID, ev.Read.Watermark, desk.DeliveryRead)
	}
	log.Info(c.name+": event ignored", "kind", eventKind(ev))
	return nil
}

// syntheticID makes a stable id for an event that has no message id of its
// own, so that a replayed webhook is recognised.
func syntheticID(prefix string, ev event) string {
	return prefix + ":" + ev.Sender.ID + ":" + strconv.FormatInt(ev.Timestamp, 10)
}

// eventKind names an event balie does not handle, for the log.
func eventKind(ev event) string {
	if ev.Sender.ID == "" {
		return "unknown"
	}
	return "other (referral, opt-in, handover, account linking...)"
}

// ingest stores one customer message. What can never be stored is logged
// and acknowledged; failures worth a retry are returned.
func (c *Channel) ingest(ctx context.Context, in desk.Inbox, ev event, id string, con content) error {
	log := c.d.Log.With("inbox", in.ID, "mid", id)
	if con.skip != "" {
		log.Info(c.name+": message not stored", "why", con.skip)
		return nil
	}
	if id == "" || ev.Sender.ID == "" {
		log.Warn(c.name + ": message without id or sender not stored")
		return nil
	}
	body := con.body
	media := con.media
	if len(media) > conversation.MaxAttachments {
		// A message takes only so many files; the agent learns of the rest.
		body = strings.TrimSpace(body + "\n\n" + fmt.Sprintf(textMoreFiles, len(media)-conversation.MaxAttachments))
		media = media[:conversation.MaxAttachments]
	}
	var atts []desk.InboundAttachment
	for _, ref := range media {
		att, err := c.fetchMedia(ctx, ref)
		switch {
		case err == nil:
			atts = append(atts, att)
		case errors.Is(err, desk.ErrTemporary):
			c.discard(context.WithoutCancel(ctx), atts)
			return fmt.Errorf("%s: message %s: %w", c.name, id, err)
		default:
			// The message is kept, with a note for the agent, rather than
			// lost for a file that will never come.
			log.Warn(c.name+": media not fetched", "err", err)
			body = strings.TrimSpace(body + "\n\n" + metagraph.MissingNote(kindNames[ref.kind], err))
		}
	}
	from := desk.Identity{Kind: c.identity, Value: ev.Sender.ID}
	res, err := c.d.Conversations.Ingest(ctx, desk.Inbound{
		InboxID:     in.ID,
		ExternalID:  id,
		From:        from,
		FromName:    c.senderName(ctx, in, from, log),
		Body:        body,
		Attachments: atts,
		At:          millis(ev.Timestamp),
	})
	if err != nil {
		c.discard(context.WithoutCancel(ctx), atts)
		if errors.Is(err, desk.ErrInvalid) {
			log.Warn(c.name+": message refused", "err", err)
			return nil
		}
		return fmt.Errorf("%s: message %s: %w", c.name, id, err)
	}
	if res.Duplicate {
		c.discard(context.WithoutCancel(ctx), atts)
		log.Debug(c.name + ": duplicate message")
	}
	return nil
}

// senderName asks the Graph API for the name of a sender balie does not
// know yet (of every sender when it cannot tell).
func (c *Channel) senderName(ctx context.Context, in desk.Inbox, from desk.Identity, log *slog.Logger) string {
	if c.d.Messages != nil {
		_, err := c.d.Messages.ContactByIdentity(ctx, from.Kind, from.Value)
		if err == nil {
			return ""
		}
		if !errors.Is(err, desk.ErrNotFound) {
			log.Warn(c.name+": contact look-up", "err", err)
		}
	}
	return c.profileName(ctx, in, from.Value)
}

// receipt records a delivery state on the message balie sent.
func (c *Channel) receipt(ctx context.Context, in desk.Inbox, mid string, d desk.Delivery) error {
	if mid == "" {
		return nil
	}
	err := c.d.Conversations.Receipt(ctx, in.ID, mid, d, "")
	if errors.Is(err, desk.ErrNotFound) {
		c.d.Log.Debug(c.name+": receipt of a message balie did not send", "inbox", in.ID, "mid", mid)
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %s receipt of %s: %w", c.name, d, mid, err)
	}
	return nil
}

// upTo marks d on every message balie sent to the customer in the inbox's
// open conversation at or before the watermark (milliseconds): Messenger's
// read events name no messages, only "everything up to here". Messages
// still waiting in the outbox are left alone: they were not sent yet.
func (c *Channel) upTo(ctx context.Context, in desk.Inbox, customer string, watermark int64, d desk.Delivery) error {
	if c.d.Messages == nil || customer == "" || watermark <= 0 {
		c.d.Log.Info(c.name+": watermark receipt ignored", "inbox", in.ID, "delivery", d,
			"why", "no message look-up wired or no watermark")
		return nil
	}
	k, err := c.d.Messages.ContactByIdentity(ctx, c.identity, customer)
	if errors.Is(err, desk.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %s watermark: %w", c.name, d, err)
	}
	conv, err := c.d.Messages.OpenConversationFor(ctx, in.ID, k.ID)
	if errors.Is(err, desk.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %s watermark: %w", c.name, d, err)
	}
	until := millis(watermark)
	var after int64
	var errs []error
	for {
		msgs, err := c.d.Messages.ListMessages(ctx, conv.ID, after, 500)
		if err != nil {
			return fmt.Errorf("%s: %s watermark: %w", c.name, d, err)
		}
		for _, m := range msgs {
			after = m.ID
			if m.Sender == desk.SenderContact || m.ExternalID == "" || m.CreatedAt.After(until) {
				continue
			}
			if m.Delivery != desk.DeliverySent && (m.Delivery != desk.DeliveryDelivered || d != desk.DeliveryRead) {
				continue
			}
			errs = append(errs, c.receipt(ctx, in, m.ExternalID, d))
		}
		if len(msgs) < 500 {
			return errors.Join(errs...)
		}
	}
}

// millis reads Meta's millisecond timestamps; zero when missing, which
// Ingest takes as now.
func millis(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
