package whatsapp

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
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/channel/metagraph"
	"github.com/balie-dev/balie/internal/desk"
)

// ErrOutsideWindow is a free-form reply more than 24 hours after the
// customer's last message, in an inbox without a template to send instead.
var ErrOutsideWindow = errors.New("outside WhatsApp's 24-hour window and no template configured")

// WhatsApp's limits on what one message carries.
const (
	maxText         = 4096 // characters of a text message
	maxCaption      = 1024 // characters of a media caption
	maxTemplateText = 1024 // characters of a template parameter (kept well inside the body's limit)
	// windowMargin keeps balie from sending free-form at the very edge of
	// the window, where clock skew and queueing would make WhatsApp refuse.
	windowMargin = time.Minute
)

// Send delivers an agent's reply: free-form text and media inside the
// customer-service window, the inbox's template outside it. It returns the
// WhatsApp message id (wamid) of the message carrying the text, or of the
// first part.
//
// The Cloud API takes no idempotency key. A send is repeated only when it
// failed before WhatsApp accepted anything (media uploads go first, as they
// show the customer nothing); the worker records the returned id, so a
// delivered reply is not sent again. When a reply needs several messages
// (text plus files) and a later one fails, the failure is permanent, with
// what was sent in its text, so that a retry does not repeat the first.
func (c *Channel) Send(ctx context.Context, out desk.Outbound) (string, error) {
	in := out.Inbox
	pnid, token := in.Settings[SettingPhoneNumberID], in.Settings[SettingAccessToken]
	if pnid == "" || token == "" {
		return "", fmt.Errorf("whatsapp: inbox %d needs phone_number_id and access_token: %w", in.ID, desk.ErrInvalid)
	}
	to := recipient(out.Contact)
	if to == "" {
		return "", fmt.Errorf("whatsapp: contact %d has no phone number: %w", out.Contact.ID, desk.ErrInvalid)
	}
	open, err := c.inWindow(ctx, out)
	if err != nil {
		return "", fmt.Errorf("whatsapp: send: %w", err)
	}
	if !open {
		return c.sendTemplate(ctx, out, to)
	}
	id, sent, err := c.sendFree(ctx, out, to)
	var ae *metagraph.APIError
	if err != nil && sent == 0 && errors.As(err, &ae) && ae.Code == codeReengagement {
		// balie did not know the window had closed (no LastInbound, or a
		// message it never saw): WhatsApp says so.
		c.d.Log.Info("whatsapp: window closed; sending template", "inbox", in.ID, "message", out.Message.ID)
		return c.sendTemplate(ctx, out, to)
	}
	return id, err
}

// inWindow reports whether free-form messages may still be sent.
func (c *Channel) inWindow(ctx context.Context, out desk.Outbound) (bool, error) {
	if c.d.LastInbound == nil {
		return true, nil
	}
	last, err := c.d.LastInbound(ctx, out.Conversation.ID)
	if errors.Is(err, desk.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("last customer message: %w: %w", err, desk.ErrTemporary)
	}
	return !last.IsZero() && c.d.Clock.Now().Sub(last) < Window-windowMargin, nil
}

// recipient is the contact's phone number as WhatsApp wants it: digits
// only, with the country code, without "+".
func recipient(k desk.Contact) string {
	phone := k.Phone
	if phone == "" {
		for _, id := range k.Identities {
			if id.Kind == desk.IdentityPhone {
				phone = id.Value
				break
			}
		}
	}
	phone = strings.TrimPrefix(phone, "+")
	for _, r := range phone {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return phone
}

// sendTemplate sends the inbox's template with the reply's text as its
// first body parameter.
func (c *Channel) sendTemplate(ctx context.Context, out desk.Outbound, to string) (string, error) {
	in := out.Inbox
	name := in.Settings[SettingTemplateName]
	if name == "" {
		return "", fmt.Errorf("whatsapp: message %d: %w", out.Message.ID, ErrOutsideWindow)
	}
	lang := firstNonEmpty(in.Settings[SettingTemplateLang], defaultTemplateLang)
	tpl := map[string]any{"name": name, "language": map[string]string{"code": lang}}
	if in.Settings[SettingTemplateTextParam] != "false" {
		text := out.Message.Body
		if strings.TrimSpace(text) == "" {
			var names []string
			for _, a := range out.Message.Attachments {
				names = append(names, a.Name)
			}
			text = strings.Join(names, ", ")
		}
		tpl["components"] = []any{map[string]any{"type": "body",
			"parameters": []any{map[string]string{"type": "text", "text": templateText(text)}}}}
	}
	if len(out.Message.Attachments) > 0 {
		// A template carries no free files; the customer's answer opens
		// the window for them.
		c.d.Log.Warn("whatsapp: outside the window; attachments not sent with the template",
			"inbox", in.ID, "message", out.Message.ID, "attachments", len(out.Message.Attachments))
	}
	id, err := c.post(ctx, in, to, "template", tpl)
	if err != nil {
		return "", fmt.Errorf("whatsapp: send template %q: %w", name, err)
	}
	return id, nil
}

// templateText makes text acceptable as a template parameter, which may
// hold no newlines or tabs and no runs of more than four spaces.
func templateText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		s = "-"
	}
	return clipRunes(s, maxTemplateText)
}

// sendFree sends the reply as free-form messages: media first uploaded,
// then the text (as the first file's caption when it fits) and the files.
// It returns the id of the first message and how many went out.
func (c *Channel) sendFree(ctx context.Context, out desk.Outbound, to string) (string, int, error) {
	in := out.Inbox
	type part struct {
		typ  string
		body any
	}
	var media []part
	for _, a := range out.Message.Attachments {
		id, err := c.upload(ctx, in, a)
		if err != nil {
			return "", 0, fmt.Errorf("whatsapp: upload %q: %w", a.Name, err)
		}
		kind := mediaKind(a.ContentType)
		obj := map[string]string{"id": id}
		if kind == "document" {
			obj["filename"] = a.Name
		}
		media = append(media, part{kind, obj})
	}
	text := strings.TrimSpace(out.Message.Body)
	var parts []part
	if text != "" && len(media) > 0 && media[0].typ != "audio" && utf8.RuneCountInString(text) <= maxCaption {
		media[0].body.(map[string]string)["caption"] = text
	} else {
		for _, chunk := range metagraph.SplitText(text, maxText, metagraph.Runes) {
			parts = append(parts, part{"text", map[string]any{"preview_url": false, "body": chunk}})
		}
	}
	parts = append(parts, media...)
	if len(parts) == 0 {
		return "", 0, fmt.Errorf("whatsapp: message %d has nothing to send: %w", out.Message.ID, desk.ErrInvalid)
	}
	var first string
	for i, p := range parts {
		id, err := c.post(ctx, in, to, p.typ, p.body)
		if err != nil {
			if i == 0 {
				return "", 0, fmt.Errorf("whatsapp: send: %w", err)
			}
			// Not wrapped: retrying would send the first parts twice.
			return "", i, fmt.Errorf("whatsapp: sent %d of %d parts (first %s), then: %v", i, len(parts), first, err)
		}
		if i == 0 {
			first = id
		}
	}
	return first, len(parts), nil
}

// post sends one message of type typ with its object and returns its wamid.
func (c *Channel) post(ctx context.Context, in desk.Inbox, to, typ string, obj any) (string, error) {
	body, err := json.Marshal(map[string]any{
		"messaging_product": "whatsapp",
		"recipient_type":    "individual",
		"to":                to,
		"type":              typ,
		typ:                 obj,
	})
	if err != nil {
		return "", fmt.Errorf("encode: %w", err)
	}
	u := metagraph.APIBase(in) + "/" + url.PathEscape(in.Settings[SettingPhoneNumberID]) + "/messages"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	var ans struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	if err := c.graph.Do(req, in.Settings[SettingAccessToken], &ans); err != nil {
		return "", err
	}
	if len(ans.Messages) == 0 || ans.Messages[0].ID == "" {
		// Accepted without an id: not retried, or the customer might get
		// it twice.
		return "", errors.New("graph api: accepted without a message id")
	}
	return ans.Messages[0].ID, nil
}

// upload puts an attachment from the blob store into WhatsApp's media
// store and returns the media id.
func (c *Channel) upload(ctx context.Context, in desk.Inbox, a desk.Attachment) (string, error) {
	data, err := metagraph.Load(ctx, c.d.Blob, a.BlobKey, c.d.MaxMedia)
	if err != nil {
		return "", err
	}
	ctype, _, err := mime.ParseMediaType(a.ContentType)
	if err != nil {
		ctype = "application/octet-stream"
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("messaging_product", "whatsapp")
	mw.WriteField("type", ctype)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": "file", "filename": a.Name}))
	h.Set("Content-Type", ctype)
	pw, err := mw.CreatePart(h)
	if err != nil {
		return "", err
	}
	pw.Write(data)
	if err := mw.Close(); err != nil {
		return "", err
	}
	u := metagraph.APIBase(in) + "/" + url.PathEscape(in.Settings[SettingPhoneNumberID]) + "/media"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, &buf)
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var ans struct {
		ID string `json:"id"`
	}
	if err := c.graph.Do(req, in.Settings[SettingAccessToken], &ans); err != nil {
		return "", err
	}
	if ans.ID == "" {
		return "", errors.New("graph api: upload answered without a media id")
	}
	return ans.ID, nil
}

// mediaKind is the WhatsApp message type a file is sent as; what WhatsApp
// does not show inline goes as a document.
func mediaKind(contentType string) string {
	ct, _, _ := mime.ParseMediaType(contentType)
	switch ct {
	case "image/jpeg", "image/png":
		return "image"
	case "video/mp4", "video/3gpp":
		return "video"
	case "audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg":
		return "audio"
	}
	return "document"
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
