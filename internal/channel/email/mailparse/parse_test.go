package mailparse

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/desk"
)

// eml joins lines with CRLF, as mail arrives over SMTP.
func eml(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n" }

func mustParse(t *testing.T, raw string, opts Options) *Message {
	t.Helper()
	m, err := Parse(strings.NewReader(raw), opts)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	for _, s := range messageStrings(m) {
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 in result: %q", s)
		}
	}
	return m
}

func TestParseHeaders(t *testing.T) {
	raw := eml(
		"From: =?ISO-8859-1?Q?Jos=E9_de_Vries?= <jose@example.nl>",
		"To: Support <support@example.com>, =?UTF-8?B?S2zDoHJh?= <klara@example.com>",
		"Cc: \"Doe, John\" <john@example.com>",
		"Reply-To: replies@example.nl",
		"Subject: =?utf-8?q?Bestelling_=E2=82=AC_12?= is =?iso-8859-15?q?=A4_kwijt?=",
		"Date: Mon, 3 Jan 2022 10:00:00 +0100",
		"Message-ID: <abc@example.nl>",
		"In-Reply-To: <prev@example.com>",
		"References: <root@example.com>\r\n <prev@example.com>",
		"",
		"Hallo",
	)
	m := mustParse(t, raw, Options{})
	checks := []struct {
		name      string
		got, want any
	}{
		{"From", m.From, Address{Name: "José de Vries", Addr: "jose@example.nl"}},
		{"To", fmt.Sprint(m.To), fmt.Sprint([]Address{{"Support", "support@example.com"}, {"Klàra", "klara@example.com"}})},
		{"Cc", fmt.Sprint(m.Cc), fmt.Sprint([]Address{{"Doe, John", "john@example.com"}})},
		{"ReplyTo", fmt.Sprint(m.ReplyTo), fmt.Sprint([]Address{{"", "replies@example.nl"}})},
		{"Subject", m.Subject, "Bestelling € 12 is € kwijt"},
		{"Date", m.Date.UTC(), time.Date(2022, 1, 3, 9, 0, 0, 0, time.UTC)},
		{"MessageID", m.MessageID, "abc@example.nl"},
		{"InReplyTo", m.InReplyTo, "prev@example.com"},
		{"References", fmt.Sprint(m.References), "[root@example.com prev@example.com]"},
		{"Text", m.Text, "Hallo\n"},
		{"Header", m.Headers.Get("Subject"), "Bestelling € 12 is € kwijt"},
		{"Warnings", len(m.Warnings), 0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestParseMalformedHeaders(t *testing.T) {
	tests := []struct {
		name     string
		raw      string
		wantFrom string
		wantSubj string
		wantWarn bool
	}{
		{"raw latin-1 subject", "From: a@example.com\nSubject: caf\xe9\n\nx\n", "a@example.com", "café", false},
		{"raw utf-8 (RFC 6532)", "From: Jöhn <jöhn@example.com>\nSubject: Grüße\n\nx\n", "Jöhn <jöhn@example.com>", "Grüße", false},
		{"unparseable address list", "From: broken <a@example.com> extra <junk\nSubject: s\n\nx\n", "broken <a@example.com>", "s", true},
		{"line that is no field", "From: a@example.com\nthis is not a header\nSubject: s\n\nx\n", "a@example.com", "s", true},
		{"mbox From line", "From someone Mon Jan  3 10:00:00 2022\nFrom: a@example.com\nSubject: s\n\nx\n", "a@example.com", "s", false},
		{"bad date", "From: a@example.com\nDate: someday\nSubject: s\n\nx\n", "a@example.com", "s", true},
		{"unknown charset in encoded word", "From: a@example.com\nSubject: =?x-nonsense?Q?caf=E9?=\n\nx\n", "a@example.com", "café", false},
		{"no header at all", "just some text\n", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, tt.raw, Options{})
			if got := m.From.String(); got != tt.wantFrom {
				t.Errorf("From = %q, want %q", got, tt.wantFrom)
			}
			if m.Subject != tt.wantSubj {
				t.Errorf("Subject = %q, want %q", m.Subject, tt.wantSubj)
			}
			if got := len(m.Warnings) > 0; got != tt.wantWarn {
				t.Errorf("warnings = %q, want some: %v", m.Warnings, tt.wantWarn)
			}
		})
	}
}

func TestParseCharsets(t *testing.T) {
	utf16 := []byte{0xFF, 0xFE} // little-endian BOM, then "Hé"
	utf16 = append(utf16, 'H', 0, 0xE9, 0)
	tests := []struct {
		name, charset, cte string
		body               []byte
		want               string
		wantWarn           bool
	}{
		{"windows-1252 euro", "windows-1252", "8bit", []byte("\x80 10 caf\xe9"), "€ 10 café", false},
		{"iso-8859-1", "ISO-8859-1", "8bit", []byte("caf\xe9"), "café", false},
		{"iso-8859-15 euro", "iso-8859-15", "8bit", []byte("\xa4 5"), "€ 5", false},
		{"koi8-r", "koi8-r", "8bit", []byte{0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4}, "Привет", false},
		{"iso-2022-jp", "iso-2022-jp", "7bit", []byte("\x1b$B$3$s$K$A$O\x1b(B"), "こんにちは", false},
		{"shift_jis", "shift_jis", "8bit", []byte{0x82, 0xa0}, "あ", false},
		{"utf-16 base64", "utf-16", "base64", []byte(base64.StdEncoding.EncodeToString(utf16)), "Hé", false},
		{"quoted charset label", `"UTF-8"`, "quoted-printable", []byte("caf=C3=A9"), "café", false},
		{"unknown charset", "x-unknown", "8bit", []byte("caf\xe9"), "café", true},
		{"declared utf-8 but latin-1", "utf-8", "8bit", []byte("caf\xe9"), "café", true},
		{"missing charset, utf-8 content", "", "8bit", []byte("café"), "café", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := "text/plain"
			if tt.charset != "" {
				ct += "; charset=" + tt.charset
			}
			raw := "From: a@example.com\r\nContent-Type: " + ct + "\r\nContent-Transfer-Encoding: " + tt.cte + "\r\n\r\n" + string(tt.body)
			m := mustParse(t, raw, Options{})
			if m.Text != tt.want {
				t.Errorf("Text = %q, want %q", m.Text, tt.want)
			}
			if got := len(m.Warnings) > 0; got != tt.wantWarn {
				t.Errorf("warnings = %q, want some: %v", m.Warnings, tt.wantWarn)
			}
		})
	}
}

func TestParseTransferEncodings(t *testing.T) {
	tests := []struct {
		name, cte, body, want string
		wantWarn              bool
	}{
		{"qp soft breaks", "quoted-printable", "Dit is een lange re=\r\ngel met =3D teken", "Dit is een lange regel met = teken", false},
		{"qp invalid escape kept", "quoted-printable", "100% =ZZ kapot", "100% =ZZ kapot", true},
		{"base64 with junk", "base64", "SGFs!bG8g*d2VyZWxk", "Hallo wereld", true},
		{"base64 truncated", "base64", "SGFsbG8gd2VyZWxkIQ", "Hallo wereld!", false},
		{"unknown encoding kept", "x-weird", "as is", "as is", true},
		{"encoding with junk after it", "base64;", "b2s=", "ok", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: " + tt.cte + "\r\n\r\n" + tt.body
			m := mustParse(t, raw, Options{})
			if m.Text != tt.want {
				t.Errorf("Text = %q, want %q", m.Text, tt.want)
			}
			if got := len(m.Warnings) > 0; got != tt.wantWarn {
				t.Errorf("warnings = %q, want some: %v", m.Warnings, tt.wantWarn)
			}
		})
	}
}

// related is an HTML mail with plain alternative, an inline image and an
// attachment whose name is RFC 2231 encoded in ISO-8859-1.
var related = eml(
	"From: a@example.com",
	"Subject: foto",
	"Content-Type: multipart/mixed; boundary=outer",
	"",
	"--outer",
	"Content-Type: multipart/alternative; boundary=alt",
	"",
	"--alt",
	"Content-Type: text/plain; charset=utf-8",
	"",
	"Zie de foto.",
	"--alt",
	"Content-Type: multipart/related; boundary=rel",
	"",
	"--rel",
	"Content-Type: text/html; charset=utf-8",
	"",
	`<p onclick="steal()">Zie de <b>foto</b>.</p><img src="cid:foto1@example.com" alt="foto">`,
	`<img src="https://tracker.example.com/p.gif"><img src="http://example.com/x.gif">`,
	`<script>alert(1)</script><style>p{}</style><iframe src="https://evil.example"></iframe>`,
	`<a href="javascript:alert(1)">x</a><a href="https://example.com/">site</a><a href="mailto:a@example.com">m</a>`,
	`<form action="https://evil.example"><input name="pw"></form><object data="x.swf"></object>`,
	"--rel",
	"Content-Type: image/png",
	"Content-ID: <foto1@example.com>",
	"Content-Transfer-Encoding: base64",
	"",
	"iVBORw0KGgo=",
	"--rel--",
	"--alt--",
	"--outer",
	"Content-Type: application/pdf",
	"Content-Disposition: attachment; filename*0*=iso-8859-1''factuur%20caf%E9;",
	" filename*1=.pdf",
	"Content-Transfer-Encoding: base64",
	"",
	"JVBERi0=",
	"--outer--",
)

func TestParseStructure(t *testing.T) {
	m := mustParse(t, related, Options{InlineURL: func(cid string) string { return "/att/" + cid }})
	if m.Text != "Zie de foto." {
		t.Errorf("Text = %q, want the text/plain alternative", m.Text)
	}
	if len(m.Attachments) != 2 {
		t.Fatalf("got %d attachments, want 2: %+v", len(m.Attachments), m.Attachments)
	}
	img, pdf := m.Attachments[0], m.Attachments[1]
	if img.ContentID != "foto1@example.com" || !img.Inline || img.ContentType != "image/png" || !bytes.HasPrefix(img.Data, []byte("\x89PNG")) {
		t.Errorf("inline image = %+v", img)
	}
	if pdf.Filename != "factuur café.pdf" || pdf.Inline || string(pdf.Data) != "%PDF-" {
		t.Errorf("pdf = %+v, want filename %q", pdf, "factuur café.pdf")
	}
	if m.RemoteImages != 2 {
		t.Errorf("RemoteImages = %d, want 2", m.RemoteImages)
	}
	for _, bad := range []string{"<script", "alert", "onclick", "<style", "<iframe", "javascript:", "<form", "<input", "<object", "tracker.example.com", "http://example.com/x.gif", "evil.example"} {
		if strings.Contains(m.HTML, bad) {
			t.Errorf("HTML contains %q: %s", bad, m.HTML)
		}
	}
	for _, good := range []string{`src="/att/foto1@example.com"`, `href="https://example.com/"`, `href="mailto:a@example.com"`, "<b>foto</b>"} {
		if !strings.Contains(m.HTML, good) {
			t.Errorf("HTML lacks %q: %s", good, m.HTML)
		}
	}
}

func TestSanitizeHTMLImages(t *testing.T) {
	body := `<html><body><img src="https://cdn.example.com/logo.png"><img src="cid:a%40b"><img src="data:image/png;base64,AAAA"><img src="/relative.png"><img src="//proto.example/x.gif"><img src="HTTPS://UPPER.example/x.gif" srcset="https://set.example/x.gif 2x"></body></html>`
	tests := []struct {
		name       string
		opts       Options
		wantRemote int
		want       []string
		wantNot    []string
	}{
		{"default blocks remote and drops cid without callback", Options{}, 2, nil, []string{"cdn.example.com", "a@b", "data:", "relative", "proto.example", "upper.example", "set.example", "<body", "<html"}},
		{"remote allowed", Options{AllowRemoteImages: true, InlineURL: func(c string) string { return "/i/" + c }}, 0, []string{"https://cdn.example.com/logo.png", `src="/i/a@b"`}, []string{"data:", "relative", "proto.example", "set.example", "<body"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, remote := sanitizeHTML(body, tt.opts.withDefaults())
			if remote != tt.wantRemote {
				t.Errorf("remote = %d, want %d", remote, tt.wantRemote)
			}
			for _, s := range tt.want {
				if !strings.Contains(got, s) {
					t.Errorf("HTML %s lacks %q", got, s)
				}
			}
			for _, s := range tt.wantNot {
				if strings.Contains(got, s) {
					t.Errorf("HTML %s contains %q", got, s)
				}
			}
		})
	}
}

func TestParseHTMLOnly(t *testing.T) {
	raw := eml(
		"From: a@example.com",
		"Content-Type: text/html; charset=iso-8859-1",
		"",
		"<html><head><title>t</title><style>x{}</style></head><body><p>Graag&nbsp;retour, caf\xe9.</p>",
		"<div>Op ma 3 jan. 2022 om 10:00 schreef Support &lt;s@example.com&gt;:</div>",
		"<blockquote><p>Welke maat?</p></blockquote></body></html>",
	)
	m := mustParse(t, raw, Options{})
	if m.Reply != "Graag retour, café." {
		t.Errorf("Reply = %q, want %q (Text = %q)", m.Reply, "Graag retour, café.", m.Text)
	}
	if !strings.Contains(m.Quoted, "> Welke maat?") {
		t.Errorf("Quoted = %q, want the blockquote as > lines", m.Quoted)
	}
	if !strings.Contains(m.HTML, "café") {
		t.Errorf("HTML = %q, want the latin-1 text decoded", m.HTML)
	}
}

func TestAutoReply(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   bool
	}{
		{"plain mail", "Subject: Vraag over mijn bestelling", false},
		{"auto-submitted", "Auto-Submitted: auto-replied\r\nSubject: Re: vraag", true},
		{"auto-submitted no", "Auto-Submitted: no\r\nSubject: vraag", false},
		{"x-autoreply", "X-Autoreply: yes\r\nSubject: vraag", true},
		{"precedence bulk", "Precedence: bulk\r\nSubject: nieuwsbrief", true},
		{"list mail", "List-Id: <users.lists.example.org>\r\nSubject: vraag", true},
		{"dutch out of office", "Subject: Afwezig: Re: uw vraag", true},
		{"dutch automatic answer", "Subject: Automatisch antwoord: uw vraag", true},
		{"english out of office", "Subject: Out of Office: your question", true},
		{"english automatic reply", "Subject: Automatic reply: your question", true},
		{"office in subject is not enough", "Subject: Question about office chairs", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, "From: a@example.com\r\n"+tt.header+"\r\n\r\nx\r\n", Options{})
			if m.AutoReply != tt.want {
				t.Errorf("AutoReply = %v, want %v", m.AutoReply, tt.want)
			}
			if m.Automated() != tt.want {
				t.Errorf("Automated() = %v, want %v", m.Automated(), tt.want)
			}
		})
	}
}

func TestBounce(t *testing.T) {
	dsn := eml(
		"From: Mail Delivery System <MAILER-DAEMON@mx.example.com>",
		"Subject: Undelivered Mail Returned to Sender",
		"Auto-Submitted: auto-replied",
		"Content-Type: multipart/report; report-type=delivery-status; boundary=b",
		"",
		"--b",
		"Content-Type: text/plain",
		"",
		"Your message could not be delivered.",
		"--b",
		"Content-Type: message/delivery-status",
		"",
		"Reporting-MTA: dns; mx.example.com",
		"",
		"Final-Recipient: rfc822; gone@example.nl",
		"Original-Recipient: rfc822;gone@example.nl",
		"Action: failed",
		"Status: 5.1.1",
		"Diagnostic-Code: smtp; 550 5.1.1 user unknown",
		"",
		"Final-Recipient: rfc822; full@example.nl",
		"Action: delayed",
		"Status: 4.2.2 (mailbox full)",
		"--b",
		"Content-Type: text/rfc822-headers",
		"",
		"Subject: hello",
		"--b--",
	)
	heuristic := eml(
		"From: postmaster@example.com",
		"Subject: Delivery Status Notification (Failure)",
		"X-Failed-Recipients: gone@example.nl",
		"",
		"Delivery to gone@example.nl failed permanently: 550 5.1.1 no such user",
	)
	tests := []struct {
		name      string
		raw       string
		wantDSN   bool
		want      []BounceRecipient
		permanent []bool
	}{
		{"dsn", dsn, true, []BounceRecipient{
			{Addr: "gone@example.nl", Action: "failed", Status: "5.1.1", Diagnostic: "550 5.1.1 user unknown"},
			{Addr: "full@example.nl", Action: "delayed", Status: "4.2.2"},
		}, []bool{true, false}},
		{"heuristic", heuristic, false, []BounceRecipient{{Addr: "gone@example.nl", Action: "failed", Status: "5.1.1"}}, []bool{true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, tt.raw, Options{})
			if m.Bounce == nil {
				t.Fatal("Bounce = nil, want a bounce")
			}
			if m.Bounce.DSN != tt.wantDSN {
				t.Errorf("DSN = %v, want %v", m.Bounce.DSN, tt.wantDSN)
			}
			if fmt.Sprint(m.Bounce.Recipients) != fmt.Sprint(tt.want) {
				t.Errorf("Recipients = %+v, want %+v", m.Bounce.Recipients, tt.want)
			}
			for i, r := range m.Bounce.Recipients {
				if i < len(tt.permanent) && r.Permanent() != tt.permanent[i] {
					t.Errorf("recipient %d Permanent() = %v, want %v", i, r.Permanent(), tt.permanent[i])
				}
			}
			if !m.Automated() {
				t.Error("Automated() = false for a bounce")
			}
		})
	}
	if m := mustParse(t, "From: mailer-daemon@example.com\r\nSubject: Your order\r\n\r\nx", Options{}); m.Bounce != nil {
		t.Errorf("Bounce = %+v for a normal mail from a daemon address", m.Bounce)
	}
}

func TestAuthResults(t *testing.T) {
	raw := eml(
		"Authentication-Results: mx.balie.example; spf=pass smtp.mailfrom=example.nl;",
		"  dkim=fail header.d=other.example; dkim=pass header.d=example.nl; dmarc=pass header.from=example.nl",
		"Authentication-Results: evil.example; spf=fail; dmarc=fail",
		"From: a@example.nl",
		"",
		"x",
	)
	m := mustParse(t, raw, Options{})
	want := AuthResults{ServID: "mx.balie.example", SPF: "pass", DKIM: "pass", DMARC: "pass"}
	if m.Auth != want {
		t.Errorf("Auth = %+v, want %+v", m.Auth, want)
	}
}

func TestLimits(t *testing.T) {
	t.Run("message size", func(t *testing.T) {
		_, err := Parse(strings.NewReader(strings.Repeat("x", 2000)), Options{MaxSize: 1000})
		if !errors.Is(err, desk.ErrTooLarge) {
			t.Errorf("err = %v, want desk.ErrTooLarge", err)
		}
	})
	t.Run("attachment size and count", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("Content-Type: multipart/mixed; boundary=b\r\n\r\n")
		for i := range 5 {
			fmt.Fprintf(&b, "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=f%d.bin\r\n\r\n%s\r\n", i, strings.Repeat("y", 10*(i+1)))
		}
		b.WriteString("--b--\r\n")
		m := mustParse(t, b.String(), Options{MaxAttachments: 3, MaxAttachmentSize: 25})
		if len(m.Attachments) != 3 {
			t.Fatalf("got %d attachments, want 3", len(m.Attachments))
		}
		if m.Attachments[1].Data == nil || m.Attachments[2].Data != nil || m.Attachments[2].Size != 30 {
			t.Errorf("attachments = %+v, want the 30-byte one without data", m.Attachments)
		}
		if len(m.Warnings) != 2 {
			t.Errorf("warnings = %q, want 2 (size, count)", m.Warnings)
		}
	})
	t.Run("nesting depth", func(t *testing.T) {
		var b strings.Builder
		for i := range 100 {
			fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
		}
		b.WriteString("Content-Type: text/plain\r\n\r\ndeep\r\n")
		m := mustParse(t, b.String(), Options{})
		if len(m.Warnings) == 0 {
			t.Error("no warning for 100 nested multiparts")
		}
	})
	t.Run("part count", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("Content-Type: multipart/mixed; boundary=b\r\n\r\n")
		for range 50 {
			b.WriteString("--b\r\nContent-Type: text/plain\r\n\r\np\r\n")
		}
		b.WriteString("--b--\r\n")
		m := mustParse(t, b.String(), Options{MaxParts: 10})
		if got := strings.Count(m.Text, "p"); got != 9 {
			t.Errorf("got %d text parts, want 9 (10 parts including the multipart)", got)
		}
	})
}
