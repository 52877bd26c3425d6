package outbound

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/channel/email/smtpd"
	"github.com/balie-dev/balie/internal/desk"
)

const (
	// maxLine is where header lines are folded (RFC 5322 2.1.1 SHOULD).
	maxLine = 78
	// maxFilename bounds an attachment name in bytes: percent-encoded
	// (RFC 2231) it must stay within a 998-character header line.
	maxFilename = 150
	// maxSubject bounds a subject in bytes.
	maxSubject = 250
)

// compose renders the whole message, DKIM-signed when the inbox has a key.
func (c *Channel) compose(ctx context.Context, out desk.Outbound, cfg config, to mail.Address, msgID string, th threading) ([]byte, error) {
	var fields []string
	add := func(name, value string) { fields = append(fields, fold(name+": "+value)) }

	add("From", cfg.from.String())
	add("To", to.String())
	if cfg.inbox.Settings[SettingReplySecret] != "" && out.Conversation.ID > 0 {
		reply, err := smtpd.ReplyAddress(cfg.inbox, out.Conversation.ID)
		if err != nil {
			return nil, fmt.Errorf("reply address: %w", err)
		}
		replyTo := mail.Address{Name: cfg.from.Name, Address: reply}
		add("Reply-To", replyTo.String())
	}
	add("Subject", mime.QEncoding.Encode("utf-8", subject(out, cfg, th)))
	add("Date", c.d.Clock.Now().Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	add("Message-ID", "<"+msgID+">")
	if th.parent != "" {
		add("In-Reply-To", "<"+th.parent+">")
		add("References", "<"+strings.Join(th.references, "> <")+">")
	}
	if out.Message.Sender == desk.SenderBot || out.Message.Sender == desk.SenderSystem {
		// RFC 3834: a machine's answer; other machines must not answer it
		// (an agent's reply is a person's mail and gets no such header).
		add("Auto-Submitted", "auto-replied")
	}
	add("MIME-Version", "1.0")

	text := textPart(out.Message.Body)
	var body []byte
	if len(out.Message.Attachments) == 0 {
		add("Content-Type", "text/plain; charset=utf-8")
		add("Content-Transfer-Encoding", "quoted-printable")
		body = text
	} else {
		var err error
		var ctype string
		if body, ctype, err = c.multipart(ctx, out.Message.Attachments, text); err != nil {
			return nil, err
		}
		add("Content-Type", ctype)
	}

	if cfg.dkim != nil {
		sig, err := cfg.dkim.sign(fields, body, c.d.Clock.Now())
		if err != nil {
			return nil, err
		}
		fields = append([]string{sig}, fields...)
	}
	var buf bytes.Buffer
	for _, f := range fields {
		buf.WriteString(f)
		buf.WriteString("\r\n")
	}
	buf.WriteString("\r\n")
	buf.Write(body)
	return buf.Bytes(), nil
}

// subject is "Re: <subject>" for an answer to the customer's mail, the
// conversation's subject otherwise, and for a conversation without one (it
// began on another channel) the message's first line.
func subject(out desk.Outbound, cfg config, th threading) string {
	s := clean(out.Conversation.Subject)
	if s == "" && !th.customerReply {
		first, _, _ := strings.Cut(strings.TrimSpace(out.Message.Body), "\n")
		s = clipUTF8(clean(first), 78)
		if s == "" {
			s = cfg.from.Name
		}
		return s
	}
	if th.customerReply && !hasReplyPrefix(s) {
		s = "Re: " + s
	}
	return clipUTF8(strings.TrimSpace(s), maxSubject)
}

// hasReplyPrefix reports whether s already starts with a reply marker
// (English, Dutch "Antw", German "AW").
func hasReplyPrefix(s string) bool {
	for _, p := range []string{"re:", "antw:", "aw:"} {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			return true
		}
	}
	return false
}

// textPart is the body as quoted-printable UTF-8 with CRLF line ends.
func textPart(body string) []byte {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	body = strings.ToValidUTF8(body, "\uFFFD")
	if !strings.HasSuffix(body, "\n") {
		body += "\n"
	}
	var buf bytes.Buffer
	w := quotedprintable.NewWriter(&buf)
	w.Write([]byte(body)) // a bytes.Buffer does not fail
	w.Close()
	return buf.Bytes()
}

// multipart renders multipart/mixed: the text, then each attachment from
// the blob store as base64.
func (c *Channel) multipart(ctx context.Context, atts []desk.Attachment, text []byte) (body []byte, contentType string, err error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	p, _ := w.CreatePart(h)
	p.Write(text)
	var total int64
	for _, a := range atts {
		data, err := c.load(ctx, a, c.d.MaxAttachments-total)
		if err != nil {
			return nil, "", err
		}
		total += int64(len(data))
		name := filename(a.Name)
		ctype := a.ContentType
		if mt, _, err := mime.ParseMediaType(ctype); err != nil || !strings.Contains(mt, "/") {
			ctype = "application/octet-stream"
		} else {
			ctype = mt
		}
		h := textproto.MIMEHeader{}
		// mime.FormatMediaType writes RFC 2231 (filename*=utf-8''...) for
		// names that are not plain ASCII tokens.
		h.Set("Content-Type", mime.FormatMediaType(ctype, map[string]string{"name": name}))
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
		h.Set("Content-Transfer-Encoding", "base64")
		p, _ := w.CreatePart(h)
		writeBase64(p, data)
	}
	w.Close()
	return buf.Bytes(), "multipart/mixed; boundary=\"" + w.Boundary() + "\"", nil
}

// load reads one attachment's bytes, at most limit of them. A missing blob
// or one too many bytes is permanent; any other store failure temporary.
func (c *Channel) load(ctx context.Context, a desk.Attachment, limit int64) ([]byte, error) {
	if c.d.Blob == nil || a.BlobKey == "" {
		return nil, fmt.Errorf("attachment %q: %w", a.Name, desk.ErrNotFound)
	}
	rc, err := c.d.Blob.Open(ctx, a.BlobKey)
	if err != nil {
		if errors.Is(err, desk.ErrNotFound) || errors.Is(err, desk.ErrInvalid) {
			return nil, fmt.Errorf("attachment %q: %w", a.Name, err)
		}
		return nil, fmt.Errorf("attachment %q: %w: %w", a.Name, err, desk.ErrTemporary)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("attachment %q: %w: %w", a.Name, err, desk.ErrTemporary)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("attachments: more than %d bytes: %w", c.d.MaxAttachments, desk.ErrTooLarge)
	}
	return data, nil
}

// filename is an attachment's name fit for a header: no directories, no
// control characters, not too long.
func filename(name string) string {
	name = clean(path.Base(strings.ReplaceAll(name, "\\", "/")))
	if name == "" || name == "." || name == "/" {
		name = "bijlage"
	}
	if len(name) > maxFilename {
		ext := path.Ext(name)
		if len(ext) > 16 || !utf8.ValidString(ext) {
			ext = ""
		}
		name = clipUTF8(name, maxFilename-len(ext)) + ext
	}
	return name
}

// writeBase64 writes data as base64 in lines of 76 characters.
func writeBase64(w io.Writer, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		io.WriteString(w, enc[:76]+"\r\n")
		enc = enc[76:]
	}
	io.WriteString(w, enc+"\r\n")
}

// fold breaks a header field at spaces so that lines stay within maxLine
// where the words allow it (never inside a word: an encoded-word or an
// address is at most 75 characters, others may be longer).
func fold(field string) string {
	if len(field) <= maxLine {
		return field
	}
	var b strings.Builder
	line := 0
	for i, w := range strings.Split(field, " ") {
		if i > 0 {
			if line+1+len(w) > maxLine && line > 0 {
				b.WriteString("\r\n")
				line = 0
			}
			b.WriteByte(' ')
			line++
		}
		b.WriteString(w)
		line += len(w)
	}
	return b.String()
}

// clipUTF8 shortens s to at most n bytes without splitting a character.
func clipUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
