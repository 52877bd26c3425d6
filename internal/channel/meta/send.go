package meta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/channel/metagraph"
	"github.com/balie-dev/balie/internal/desk"
)

// ErrOutsideWindow is a reply more than seven days after the customer's
// last message: Meta allows no message then, not even a human agent's.
var ErrOutsideWindow = errors.New("more than 7 days since the customer's last message: Meta allows no reply until they write again")

// Messaging types and the tag of the Send API.
const (
	typeResponse   = "RESPONSE"
	typeMessageTag = "MESSAGE_TAG"
	tagHumanAgent  = "HUMAN_AGENT"
)

// windowMargin keeps balie from relying on a window at its very edge,
// where clock skew and queueing would make Meta refuse.
const windowMargin = time.Minute

// Send delivers an agent's reply: text (split where it is longer than one
// message may be) and files, each file uploaded first and sent as its own
// message. It returns the Messenger message id of the first message.
//
// Inside the 24-hour window the messages go as RESPONSE; up to 7 days with
// the HUMAN_AGENT tag; beyond that Send fails with ErrOutsideWindow, a
// permanent error. The Send API takes no idempotency key: a send is retried
// only when nothing reached the customer (uploads show them nothing); when a
// later part fails the error is permanent, with what was sent in its text,
// so that a retry does not repeat the first parts.
func (c *Channel) Send(ctx context.Context, out desk.Outbound) (string, error) {
	in := out.Inbox
	token := in.Settings[SettingAccessToken]
	if token == "" {
		return "", fmt.Errorf("%s: inbox %d needs a page_access_token: %w", c.name, in.ID, desk.ErrInvalid)
	}
	to := c.recipient(out.Contact)
	if to == "" {
		return "", fmt.Errorf("%s: contact %d has no %s id: %w", c.name, out.Contact.ID, c.identity, desk.ErrInvalid)
	}
	tagged, known, err := c.window(ctx, out)
	if err != nil {
		return "", err
	}
	var atts []map[string]any
	for _, a := range out.Message.Attachments {
		id, kind, err := c.upload(ctx, in, a)
		if err != nil {
			return "", fmt.Errorf("%s: upload %q: %w", c.name, a.Name, err)
		}
		atts = append(atts, map[string]any{"attachment": map[string]any{
			"type": kind, "payload": map[string]string{"attachment_id": id}}})
	}
	var parts []map[string]any
	for _, chunk := range c.splitText(strings.TrimSpace(out.Message.Body)) {
		parts = append(parts, map[string]any{"text": chunk})
	}
	parts = append(parts, atts...)
	if len(parts) == 0 {
		return "", fmt.Errorf("%s: message %d has nothing to send: %w", c.name, out.Message.ID, desk.ErrInvalid)
	}
	var first string
	for i, p := range parts {
		id, err := c.post(ctx, in, to, tagged, p)
		var ae *metagraph.APIError
		if i == 0 && !tagged && !known && errors.As(err, &ae) && outsideWindow(ae) {
			// balie could not tell the window had closed: Meta says so.
			// A human agent may still answer within 7 days.
			c.d.Log.Info(c.name+": window closed; sending with the HUMAN_AGENT tag", "inbox", in.ID, "message", out.Message.ID)
			tagged = true
			id, err = c.post(ctx, in, to, tagged, p)
		}
		if err != nil {
			if i == 0 {
				if errors.As(err, &ae) && outsideWindow(ae) {
					return "", fmt.Errorf("%s: message %d: %w (%v)", c.name, out.Message.ID, ErrOutsideWindow, err)
				}
				return "", fmt.Errorf("%s: send: %w", c.name, err)
			}
			// Not wrapped: retrying would send the first parts twice.
			return "", fmt.Errorf("%s: sent %d of %d parts (first %s), then: %v", c.name, i, len(parts), first, err)
		}
		if i == 0 {
			first = id
		}
	}
	return first, nil
}

// window reports whether the reply needs the HUMAN_AGENT tag, and whether
// balie knows (rather than guesses) when the customer last wrote.
func (c *Channel) window(ctx context.Context, out desk.Outbound) (tagged, known bool, err error) {
	if c.d.LastInbound == nil {
		return false, false, nil
	}
	last, err := c.d.LastInbound(ctx, out.Conversation.ID)
	if errors.Is(err, desk.ErrNotFound) || (err == nil && last.IsZero()) {
		// The customer never wrote: Meta allows nothing.
		return false, true, fmt.Errorf("%s: message %d: %w", c.name, out.Message.ID, ErrOutsideWindow)
	}
	if err != nil {
		return false, false, fmt.Errorf("%s: last customer message: %w: %w", c.name, err, desk.ErrTemporary)
	}
	since := c.d.Clock.Now().Sub(last)
	switch {
	case since < Window-windowMargin:
		return false, true, nil
	case since < HumanAgentWindow-windowMargin:
		return true, true, nil
	}
	return false, true, fmt.Errorf("%s: message %d: last customer message %s ago: %w",
		c.name, out.Message.ID, since.Round(time.Hour), ErrOutsideWindow)
}

// recipient is the contact's page- or Instagram-scoped id.
func (c *Channel) recipient(k desk.Contact) string {
	for _, id := range k.Identities {
		if id.Kind == c.identity && id.Value != "" {
			return id.Value
		}
	}
	return ""
}

// post sends one message and returns its message id.
func (c *Channel) post(ctx context.Context, in desk.Inbox, to string, tagged bool, msg map[string]any) (string, error) {
	req := map[string]any{
		"recipient":      map[string]string{"id": to},
		"messaging_type": typeResponse,
		"message":        msg,
	}
	if tagged {
		req["messaging_type"], req["tag"] = typeMessageTag, tagHumanAgent
	}
	body, err := json.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("encode: %w", err)
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, metagraph.APIBase(in)+"/me/messages", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	r.Header.Set("Content-Type", "application/json")
	var ans struct {
		RecipientID string `json:"recipient_id"`
		MessageID   string `json:"message_id"`
	}
	if err := c.graph.Do(r, in.Settings[SettingAccessToken], &ans); err != nil {
		return "", err
	}
	if ans.MessageID == "" {
		// Accepted without an id: not retried, or the customer might get
		// it twice.
		return "", errors.New("graph api: accepted without a message id")
	}
	return ans.MessageID, nil
}

// upload puts an attachment from the blob store into Meta's attachment
// store and returns its attachment id and the type it is sent as.
func (c *Channel) upload(ctx context.Context, in desk.Inbox, a desk.Attachment) (string, string, error) {
	data, err := metagraph.Load(ctx, c.d.Blob, a.BlobKey, c.d.MaxMedia)
	if err != nil {
		return "", "", err
	}
	ctype := contentTypeOf(a.ContentType)
	kind := attachmentKind(ctype)
	msg, _ := json.Marshal(map[string]any{"attachment": map[string]any{
		"type": kind, "payload": map[string]bool{"is_reusable": false}}})
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("message", string(msg))
	if c.kind == desk.ChannelInstagram {
		mw.WriteField("platform", "instagram")
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": "filedata", "filename": a.Name}))
	h.Set("Content-Type", ctype)
	pw, err := mw.CreatePart(h)
	if err != nil {
		return "", "", err
	}
	pw.Write(data)
	if err := mw.Close(); err != nil {
		return "", "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, metagraph.APIBase(in)+"/me/message_attachments", &buf)
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var ans struct {
		AttachmentID string `json:"attachment_id"`
	}
	if err := c.graph.Do(req, in.Settings[SettingAccessToken], &ans); err != nil {
		return "", "", err
	}
	if ans.AttachmentID == "" {
		return "", "", errors.New("graph api: upload answered without an attachment id")
	}
	return ans.AttachmentID, kind, nil
}

// attachmentKind is the Send API attachment type a file goes as; what
// Messenger does not show inline goes as a file.
func attachmentKind(ctype string) string {
	switch {
	case strings.HasPrefix(ctype, "image/"):
		return "image"
	case strings.HasPrefix(ctype, "video/"):
		return "video"
	case strings.HasPrefix(ctype, "audio/"):
		return "audio"
	}
	return "file"
}

// splitText cuts text into messages Meta accepts: at most maxText
// characters on Messenger, bytes on Instagram.
func (c *Channel) splitText(s string) []string {
	size := metagraph.Runes
	if c.kind == desk.ChannelInstagram {
		size = utf8.RuneLen
	}
	return metagraph.SplitText(s, c.maxText, size)
}
