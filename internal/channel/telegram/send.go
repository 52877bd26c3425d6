package telegram

import (
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"strings"
	"unicode/utf16"

	"github.com/balie-dev/balie/internal/desk"
)

// Telegram's limits, in UTF-16 code units as Telegram counts them.
const (
	maxText    = 4096
	maxCaption = 1024
	// maxPhoto is the largest image sendPhoto takes; larger ones go as a
	// document.
	maxPhoto = 10 << 20
)

// sent is the part of a sent Message that Send needs.
type sent struct {
	MessageID int64 `json:"message_id"`
	Chat      struct {
		ID int64 `json:"id"`
	} `json:"chat"`
}

// Send delivers an agent's reply: the text with sendMessage (as plain text:
// no parse mode, so nothing the agent types is read as markup), each
// attachment with sendPhoto or sendDocument. When there is one attachment
// and the text fits in a caption, they go as one message. It returns
// "<chat id>:<message id>" of the first message sent.
//
// Telegram has no idempotency keys: when a later part of a multi-part reply
// fails temporarily, a retry sends the earlier parts again.
func (c *Channel) Send(ctx context.Context, out desk.Outbound) (string, error) {
	b, err := botOf(out.Inbox)
	if err != nil {
		return "", fmt.Errorf("telegram: send: %w", err)
	}
	chatID := chatOf(out.Contact)
	if chatID == "" {
		return "", fmt.Errorf("telegram: send: contact %d has no telegram identity: %w", out.Contact.ID, desk.ErrInvalid)
	}
	text := strings.TrimSpace(out.Message.Body)
	atts := out.Message.Attachments
	var first string
	record := func(s sent) {
		if first == "" {
			first = fmt.Sprintf("%d:%d", s.Chat.ID, s.MessageID)
		}
	}
	caption := ""
	if len(atts) == 1 && utf16Len(text) <= maxCaption {
		caption, text = text, ""
	}
	for _, chunk := range splitText(text, maxText) {
		var s sent
		params := map[string]any{"chat_id": chatID, "text": chunk}
		if err := c.callJSON(ctx, b, "sendMessage", params, &s); err != nil {
			return "", err
		}
		record(s)
	}
	for _, a := range atts {
		s, err := c.sendFile(ctx, b, chatID, a, caption)
		if err != nil {
			return "", err
		}
		record(s)
	}
	if first == "" {
		return "", fmt.Errorf("telegram: send: message %d has neither text nor attachments: %w", out.Message.ID, desk.ErrInvalid)
	}
	return first, nil
}

// chatOf is the chat to write to: in a private chat, the chat id is the
// user's id. A contact merged from several Telegram users has several; the
// newest wins.
func chatOf(c desk.Contact) string {
	var id desk.Identity
	for _, i := range c.Identities {
		if i.Kind == desk.IdentityTelegram && i.ID >= id.ID {
			id = i
		}
	}
	return id.Value
}

// sendFile uploads one attachment from the blob store as multipart form.
func (c *Channel) sendFile(ctx context.Context, b bot, chatID string, a desk.Attachment, caption string) (sent, error) {
	method, field := "sendDocument", "document"
	if (a.ContentType == "image/jpeg" || a.ContentType == "image/png") && a.Size <= maxPhoto {
		method, field = "sendPhoto", "photo"
	}
	rc, err := c.blob.Open(ctx, a.BlobKey)
	if err != nil {
		return sent{}, fmt.Errorf("telegram: %s: attachment %d: %w", method, a.ID, err)
	}
	defer rc.Close()
	// The file streams from the blob store to Telegram.
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	done := make(chan struct{})
	go func() {
		defer close(done)
		pw.CloseWithError(writeForm(mw, chatID, caption, field, a, rc))
	}()
	var s sent
	err = c.call(ctx, b, method, pr, mw.FormDataContentType(), &s)
	pr.Close() // ends the writer if the call gave up early
	<-done     // before rc is closed
	return s, err
}

func writeForm(mw *multipart.Writer, chatID, caption, field string, a desk.Attachment, r io.Reader) error {
	if err := mw.WriteField("chat_id", chatID); err != nil {
		return err
	}
	if caption != "" {
		if err := mw.WriteField("caption", caption); err != nil {
			return err
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, field, safeName(a.Name)))
	h.Set("Content-Type", a.ContentType)
	part, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	if _, err := io.Copy(part, r); err != nil {
		return err
	}
	return mw.Close()
}

// safeName keeps a file name from breaking the part's header.
func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r == 0x7f {
			return '_'
		}
		return r
	}, s)
	if s == "" {
		return "file"
	}
	return s
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// splitText cuts s into pieces of at most max UTF-16 units, at a line break
// or space where there is one in the second half of a piece.
func splitText(s string, max int) []string {
	var out []string
	for s != "" {
		if utf16Len(s) <= max {
			out = append(out, s)
			break
		}
		// cut: the byte offset where max units are reached.
		cut, n := 0, 0
		for i, r := range s {
			if n+utf16.RuneLen(r) > max {
				cut = i
				break
			}
			n += utf16.RuneLen(r)
		}
		at := cut
		if i := strings.LastIndexByte(s[:cut], '\n'); i > cut/2 {
			at = i + 1
		} else if i := strings.LastIndexByte(s[:cut], ' '); i > cut/2 {
			at = i + 1
		}
		if piece := strings.TrimSpace(s[:at]); piece != "" {
			out = append(out, piece)
		}
		s = strings.TrimSpace(s[at:])
	}
	return out
}
