package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/channel/metagraph"
	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/desk"
)

// SignatureHeader carries Meta's signature of a webhook body.
const SignatureHeader = metagraph.SignatureHeader

// Webhook serves the inbox's webhook: the GET verification handshake and
// the signed POSTs of messages and statuses (see metagraph.Webhook).
func (c *Channel) Webhook(in desk.Inbox) http.Handler {
	return metagraph.Webhook(in, c.d.Log, "whatsapp", func(ctx context.Context, p payload) error {
		return c.process(ctx, in, p)
	})
}

// process takes in every message and status of a payload. It goes on past
// a failure, so that one bad item does not hold up the rest, and returns
// the failures joined.
func (c *Channel) process(ctx context.Context, in desk.Inbox, p payload) error {
	if p.Object != "whatsapp_business_account" {
		c.d.Log.Info("whatsapp: event ignored", "inbox", in.ID, "object", p.Object)
		return nil
	}
	var errs []error
	for _, e := range p.Entry {
		for _, ch := range e.Changes {
			if ch.Field != "messages" {
				c.d.Log.Info("whatsapp: event ignored", "inbox", in.ID, "field", ch.Field)
				continue
			}
			var v messagesValue
			if err := json.Unmarshal(ch.Value, &v); err != nil {
				c.d.Log.Warn("whatsapp: undecodable messages change", "inbox", in.ID, "err", err)
				continue
			}
			// Meta may send one app's events for several numbers to one
			// callback; only this inbox's number belongs here.
			if want := in.Settings[SettingPhoneNumberID]; want != "" && v.Metadata.PhoneNumberID != "" && v.Metadata.PhoneNumberID != want {
				c.d.Log.Warn("whatsapp: event for another number ignored", "inbox", in.ID,
					"phone_number_id", v.Metadata.PhoneNumberID)
				continue
			}
			names := make(map[string]string, len(v.Contacts))
			for _, k := range v.Contacts {
				names[k.WaID] = k.Profile.Name
			}
			for _, m := range v.Messages {
				if err := c.ingest(ctx, in, m, names[m.From]); err != nil {
					errs = append(errs, err)
				}
			}
			for _, s := range v.Statuses {
				if err := c.receipt(ctx, in, s); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// ingest stores one customer message. Messages that can never be stored
// (unknown types, a sender without a phone number) are logged and
// acknowledged; failures worth a retry are returned.
func (c *Channel) ingest(ctx context.Context, in desk.Inbox, m message, name string) error {
	log := c.d.Log.With("inbox", in.ID, "wamid", m.ID, "type", m.Type)
	con := normalise(m)
	if con.skip != "" {
		log.Info("whatsapp: message not stored", "why", con.skip)
		return nil
	}
	if m.ID == "" {
		log.Warn("whatsapp: message without id not stored")
		return nil
	}
	phone, err := contact.NormalisePhone("+" + strings.TrimPrefix(m.From, "+"))
	if err != nil {
		log.Warn("whatsapp: message from an unusable number not stored", "from", m.From)
		return nil
	}
	body := con.body
	var atts []desk.InboundAttachment
	if con.media != nil {
		att, err := c.fetchMedia(ctx, in, con.media, con.kind)
		switch {
		case err == nil:
			atts = append(atts, att)
		case errors.Is(err, desk.ErrTemporary):
			return fmt.Errorf("whatsapp: message %s: %w", m.ID, err)
		default:
			// The message is kept, with a note for the agent, rather than
			// lost for a file that will never come.
			log.Warn("whatsapp: media not fetched", "err", err)
			body = strings.TrimSpace(body + "\n\n" + metagraph.MissingNote(kindNames[con.kind], err))
		}
	}
	res, err := c.d.Conversations.Ingest(ctx, desk.Inbound{
		InboxID:     in.ID,
		ExternalID:  m.ID,
		From:        desk.Identity{Kind: desk.IdentityPhone, Value: phone},
		FromName:    strings.TrimSpace(name),
		FromPhone:   phone,
		Body:        body,
		Attachments: atts,
		At:          unixTime(m.Timestamp),
	})
	if err != nil {
		c.discard(context.WithoutCancel(ctx), atts)
		if errors.Is(err, desk.ErrInvalid) {
			log.Warn("whatsapp: message refused", "err", err)
			return nil
		}
		return fmt.Errorf("whatsapp: message %s: %w", m.ID, err)
	}
	if res.Duplicate {
		c.discard(context.WithoutCancel(ctx), atts)
		log.Debug("whatsapp: duplicate message")
	}
	return nil
}

// deliveries maps WhatsApp's statuses to balie's. A played voice message
// was heard, which is as good as read.
var deliveries = map[string]desk.Delivery{
	"sent":      desk.DeliverySent,
	"delivered": desk.DeliveryDelivered,
	"read":      desk.DeliveryRead,
	"played":    desk.DeliveryRead,
	"failed":    desk.DeliveryFailed,
}

// receipt records a message status on the message balie sent.
func (c *Channel) receipt(ctx context.Context, in desk.Inbox, s status) error {
	d, ok := deliveries[s.Status]
	if !ok || s.ID == "" || (s.Type != "" && s.Type != "message") {
		c.d.Log.Info("whatsapp: status ignored", "inbox", in.ID, "status", s.Status, "type", s.Type)
		return nil
	}
	var why []string
	for _, e := range s.Errors {
		t := firstNonEmpty(e.Title, e.Message)
		if e.ErrorData.Details != "" && e.ErrorData.Details != t {
			t += ": " + e.ErrorData.Details
		}
		if e.Code != 0 {
			t += " (" + strconv.Itoa(e.Code) + ")"
		}
		why = append(why, t)
	}
	err := c.d.Conversations.Receipt(ctx, in.ID, s.ID, d, strings.Join(why, "; "))
	if errors.Is(err, desk.ErrNotFound) {
		c.d.Log.Debug("whatsapp: status of a message balie did not send", "inbox", in.ID, "wamid", s.ID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("whatsapp: status %s of %s: %w", s.Status, s.ID, err)
	}
	return nil
}

// unixTime reads WhatsApp's timestamps (seconds, as a string); zero when
// missing or malformed, which Ingest takes as now.
func unixTime(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}
