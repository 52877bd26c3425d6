package whatsapp

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/desk"
)

// SignatureHeader carries Meta's signature of a webhook body.
const SignatureHeader = "X-Hub-Signature-256"

// processTimeout bounds the work on one webhook POST (media downloads
// included). The work goes on when Meta hangs up: what was accepted is
// finished.
const processTimeout = 2 * time.Minute

// Webhook serves the inbox's webhook: the GET verification handshake and
// the signed POSTs of events.
func (c *Channel) Webhook(in desk.Inbox) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			c.verify(w, r, in)
		case http.MethodPost:
			c.receive(w, r, in)
		default:
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	})
}

// verify answers Meta's subscription handshake: the challenge is echoed
// when the verify token is the inbox's.
func (c *Channel) verify(w http.ResponseWriter, r *http.Request, in desk.Inbox) {
	q := r.URL.Query()
	want := in.Settings[SettingVerifyToken]
	challenge := q.Get("hub.challenge")
	if q.Get("hub.mode") != "subscribe" || want == "" || len(challenge) > 256 ||
		subtle.ConstantTimeCompare([]byte(q.Get("hub.verify_token")), []byte(want)) != 1 {
		c.d.Log.Warn("whatsapp: verification refused", "inbox", in.ID, "mode", q.Get("hub.mode"))
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write([]byte(challenge))
}

// receive checks a POST's signature and takes in its messages and
// statuses. It answers 200 once everything it accepted is stored, also for
// events balie ignores, and 500 when something could not be stored, so that
// Meta sends the batch again (what was stored is recognised by its id).
func (c *Channel) receive(w http.ResponseWriter, r *http.Request, in desk.Inbox) {
	raw, err := readLimited(r.Body, maxWebhookBody)
	if errors.Is(err, desk.ErrTooLarge) {
		c.d.Log.Warn("whatsapp: webhook body too large", "inbox", in.ID)
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		return
	}
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	secret := in.Settings[SettingAppSecret]
	if secret == "" {
		c.d.Log.Warn("whatsapp: inbox has no app_secret; webhook refused", "inbox", in.ID)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if !validSignature(secret, raw, r.Header.Get(SignatureHeader)) {
		c.d.Log.Warn("whatsapp: bad webhook signature", "inbox", in.ID)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	var p payload
	if err := json.Unmarshal(raw, &p); err != nil {
		c.d.Log.Warn("whatsapp: undecodable webhook", "inbox", in.ID, "err", err)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), processTimeout)
	defer cancel()
	if err := c.process(ctx, in, p); err != nil {
		c.d.Log.Error("whatsapp: webhook not fully stored; Meta will retry", "inbox", in.ID, "err", err)
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// validSignature checks header ("sha256=<hex>") against the HMAC-SHA256 of
// body with secret, in constant time.
func validSignature(secret string, body []byte, header string) bool {
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok || secret == "" {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
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
			body = strings.TrimSpace(body + "\n\n" + fmt.Sprintf(textMediaMissing, kindNames[con.kind], mediaTrouble(err)))
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
