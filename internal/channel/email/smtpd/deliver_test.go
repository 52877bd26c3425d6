package smtpd_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/smtp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/blob"
	"github.com/balie-dev/balie/internal/channel/email/smtpd"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

type nopBus struct{}

func (nopBus) Publish(context.Context, desk.Event)        {}
func (nopBus) Subscribe(func(desk.Event)) (cancel func()) { return func() {} }

type env struct {
	st    desk.Store
	blob  *blob.Disk
	inbox *desk.Inbox
	addr  string // the SMTP server
}

func setup(t testing.TB, open func(testing.TB) desk.Store) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{st: open(t)}
	var err error
	if e.blob, err = blob.NewDisk(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	// A web-chat inbox with the same "address" must never receive mail.
	chat := &desk.Inbox{Name: "Chat", Channel: desk.ChannelWebChat, PublicKey: "chat",
		Settings: map[string]string{"address": "chat@example.nl"}}
	e.inbox = &desk.Inbox{Name: "Support", Channel: desk.ChannelEmail, PublicKey: "mail",
		Settings: map[string]string{smtpd.SettingAddress: "support@example.nl", smtpd.SettingReplySecret: smtpd.NewReplySecret()}}
	for _, in := range []*desk.Inbox{chat, e.inbox} {
		if err := e.st.CreateInbox(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	svc := conversation.New(e.st, nopBus{}, desk.ClockFunc(time.Now), slog.New(slog.DiscardHandler), conversation.Options{})
	d := smtpd.NewDeliverer(smtpd.Deps{Conversations: svc, Inboxes: e.st.ListInboxes, Blob: e.blob, Store: e.st})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srvCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		(&smtpd.Server{Hostname: "mx.test", Handler: d}).Serve(srvCtx, l)
	}()
	t.Cleanup(func() { cancel(); <-done })
	e.addr = l.Addr().String()
	return e
}

func (e *env) send(t testing.TB, from, to, mail string) error {
	t.Helper()
	return smtp.SendMail(e.addr, nil, from, []string{to}, []byte(strings.ReplaceAll(mail, "\n", "\r\n")))
}

func (e *env) mustSend(t testing.TB, from, to, mail string) {
	t.Helper()
	if err := e.send(t, from, to, mail); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
}

func (e *env) conversations(t testing.TB) []desk.Conversation {
	t.Helper()
	page, err := e.st.ListConversations(context.Background(), desk.ConversationQuery{View: desk.ViewAll, WithContact: true})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

func (e *env) messages(t testing.TB, convID int64) []desk.Message {
	t.Helper()
	ms, err := e.st.ListMessages(context.Background(), convID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

const firstMail = `From: "Jan de Vries" <Jan@Example.com>
To: Support <support@example.nl>
Subject: Bestelling 12345 niet ontvangen
Message-ID: <first@mail.example.com>
Date: Tue, 24 Nov 2026 10:00:00 +0100

Hallo,

Mijn bestelling 12345 is niet aangekomen.

Groet, Jan
`

func forEachStore(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, o := range testenv.Stores() {
		t.Run(o.Name, func(t *testing.T) { fn(t, setup(t, o.Open)) })
	}
}

func TestDeliverNewConversation(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.mustSend(t, "jan@example.com", "Support@Example.NL", firstMail)
		convs := e.conversations(t)
		if len(convs) != 1 {
			t.Fatalf("got %d conversations, want 1", len(convs))
		}
		c := convs[0]
		if c.InboxID != e.inbox.ID || c.Subject != "Bestelling 12345 niet ontvangen" || c.Channel != desk.ChannelEmail {
			t.Errorf("conversation = inbox %d, %q, %s; want inbox %d, the mail's subject, email", c.InboxID, c.Subject, c.Channel, e.inbox.ID)
		}
		if c.Contact == nil || c.Contact.Name != "Jan de Vries" || c.Contact.Email != "jan@example.com" {
			t.Errorf("contact = %+v, want Jan de Vries <jan@example.com>", c.Contact)
		}
		ms := e.messages(t, c.ID)
		if len(ms) != 1 {
			t.Fatalf("got %d messages, want 1", len(ms))
		}
		if ms[0].ExternalID != "first@mail.example.com" || !strings.Contains(ms[0].Body, "bestelling 12345 is niet aangekomen") {
			t.Errorf("message = %q (external id %q)", ms[0].Body, ms[0].ExternalID)
		}
	})
}

func TestDeliverThreading(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.mustSend(t, "jan@example.com", "support@example.nl", firstMail)
		first := e.conversations(t)[0]
		replyAddr, err := smtpd.ReplyAddress(*e.inbox, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		forged := strings.Replace(replyAddr, ".", ".0", 1)

		tests := []struct {
			name, to, headers string
			sameConversation  bool
		}{
			{"In-Reply-To", "support@example.nl", "In-Reply-To: <first@mail.example.com>\n", true},
			{"References", "support@example.nl", "References: <unknown@x.test> <first@mail.example.com> <other@x.test>\n", true},
			{"reply address", replyAddr, "", true},
			{"reply address in other case", strings.ToUpper(replyAddr), "", true},
			{"forged reply address", forged, "", false},
			{"unknown references", "support@example.nl", "In-Reply-To: <nope@x.test>\n", false},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				mail := fmt.Sprintf("From: Jan <jan@example.com>\nTo: %s\nSubject: Re: Bestelling\nMessage-ID: <reply%d@mail.example.com>\n%s\nNog steeds niets, %d.\n\nOn Tue, 24 Nov 2026, Support wrote:\n> Wij kijken ernaar.\n",
					tt.to, i, tt.headers, i)
				e.mustSend(t, "jan@example.com", tt.to, mail)
				var found desk.Conversation
				var msg desk.Message
				for _, c := range e.conversations(t) {
					for _, m := range e.messages(t, c.ID) {
						if m.ExternalID == fmt.Sprintf("reply%d@mail.example.com", i) {
							found, msg = c, m
						}
					}
				}
				if found.ID == 0 {
					t.Fatal("reply not stored")
				}
				if same := found.ID == first.ID; same != tt.sameConversation {
					t.Errorf("reply in conversation %d, first in %d; want same = %v", found.ID, first.ID, tt.sameConversation)
				}
				if want := fmt.Sprintf("Nog steeds niets, %d.", i); msg.Body != want {
					t.Errorf("body = %q, want %q (quote dropped)", msg.Body, want)
				}
			})
		}
	})
}

func TestDeliverRecipients(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		for _, to := range []string{"nobody@example.nl", "chat@example.nl", "support@example.com", "support+x@other.nl"} {
			err := e.send(t, "jan@example.com", to, firstMail)
			if err == nil || !strings.Contains(err.Error(), "550") {
				t.Errorf("mail to %s: err = %v, want 550", to, err)
			}
		}
		if n := len(e.conversations(t)); n != 0 {
			t.Errorf("got %d conversations, want none", n)
		}
	})
}

func TestDeliverIdempotent(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.mustSend(t, "jan@example.com", "support@example.nl", firstMail)
		e.mustSend(t, "jan@example.com", "support@example.nl", firstMail)
		noID := strings.Replace(firstMail, "Message-ID: <first@mail.example.com>\n", "", 1)
		e.mustSend(t, "jan@example.com", "support@example.nl", noID)
		e.mustSend(t, "jan@example.com", "support@example.nl", noID)
		convs := e.conversations(t)
		total := 0
		for _, c := range convs {
			total += len(e.messages(t, c.ID))
		}
		if total != 2 {
			t.Errorf("stored %d messages from 2 mails sent twice each, want 2", total)
		}
	})
}

func TestDeliverAutomatedMail(t *testing.T) {
	tests := []struct{ name, mail string }{
		{"out of office", `From: Jan <jan@example.com>
To: support@example.nl
Subject: Afwezig: Uw vraag
Auto-Submitted: auto-replied
Message-ID: <ooo@example.com>

Ik ben tot maandag afwezig.
`},
		{"bounce", `From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
To: support@example.nl
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce@mx.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"

--b
Content-Type: text/plain

Your message could not be delivered.
--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; gone@example.com
Action: failed
Status: 5.1.1
--b--
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, e *env) {
				e.mustSend(t, "", "support@example.nl", tt.mail)
				if n := len(e.conversations(t)); n != 0 {
					t.Errorf("got %d conversations, want none", n)
				}
			})
		})
	}
}

func TestDeliverOnlyQuoted(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.mustSend(t, "jan@example.com", "support@example.nl", `From: jan@example.com
To: support@example.nl
Subject: Fwd: factuur
Message-ID: <fwd@example.com>

> Uw factuur van november staat klaar.
> Met vriendelijke groet, Winkel
`)
		c := e.conversations(t)[0]
		ms := e.messages(t, c.ID)
		// mailparse keeps all of a text without new lines as the reply:
		// nothing the customer sent is hidden.
		if !strings.Contains(ms[0].Body, "factuur van november") {
			t.Errorf("body = %q, want the quoted text kept", ms[0].Body)
		}
	})
}

func pngBytes(t testing.TB) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		img.Set(x, x%48, color.NRGBA{200, 0, 0, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\n")
		s = s[76:]
	}
	return b.String() + s
}

func TestDeliverAttachments(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		mail := `From: Jan <jan@example.com>
To: support@example.nl
Subject: Foto van de schade
Message-ID: <att@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="xx"

--xx
Content-Type: text/plain; charset=utf-8

Zie de foto en de bon.
--xx
Content-Type: image/png; name="schade.png"
Content-Disposition: attachment; filename="schade.png"
Content-Transfer-Encoding: base64

` + wrap76(base64.StdEncoding.EncodeToString(pngBytes(t))) + `
--xx
Content-Type: text/plain; name="bon.txt"
Content-Disposition: attachment; filename="=?utf-8?q?bon_=E2=82=AC12.txt?="

Totaal: 12 euro
--xx
Content-Type: application/x-msdownload; name="virus.exe"
Content-Disposition: attachment; filename="virus.exe"
Content-Transfer-Encoding: base64

TVqQAAMAAAAEAAAA
--xx--
`
		e.mustSend(t, "jan@example.com", "support@example.nl", mail)
		c := e.conversations(t)[0]
		ms := e.messages(t, c.ID)
		if len(ms) != 1 {
			t.Fatalf("got %d messages, want 1", len(ms))
		}
		m := ms[0]
		if len(m.Attachments) != 2 {
			t.Fatalf("got %d attachments, want 2: %+v", len(m.Attachments), m.Attachments)
		}
		img, txt := m.Attachments[0], m.Attachments[1]
		if img.Name != "schade.png" || img.ContentType != "image/png" || img.ThumbKey == "" || img.Width == 0 {
			t.Errorf("image attachment = %+v, want schade.png with a thumbnail", img)
		}
		if txt.Name != "bon €12.txt" || !strings.HasPrefix(txt.ContentType, "text/plain") {
			t.Errorf("text attachment = %+v, want bon €12.txt", txt)
		}
		r, err := e.blob.Open(context.Background(), img.BlobKey)
		if err != nil {
			t.Fatalf("open image blob: %v", err)
		}
		var got bytes.Buffer
		got.ReadFrom(r)
		r.Close()
		if !bytes.Equal(got.Bytes(), pngBytes(t)) {
			t.Error("stored image differs from the one sent")
		}
		if !strings.Contains(m.Body, "[bijlage niet opgeslagen: virus.exe]") {
			t.Errorf("body = %q, want a line about the refused attachment", m.Body)
		}
	})
}

// BenchmarkDeliver measures mail taken in through SMTP on loopback into
// SQLite: parse, thread lookup, contact, conversation and message.
func BenchmarkDeliver(b *testing.B) {
	e := setup(b, testenv.OpenSQLite)
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c, err := smtp.Dial(e.addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		for pb.Next() {
			n := seq.Add(1)
			mail := fmt.Sprintf("From: Klant %d <klant%d@example.com>\r\nTo: support@example.nl\r\nSubject: Vraag %d\r\nMessage-ID: <bench%d@example.com>\r\n\r\nWaar blijft bestelling %d?\r\n", n%200, n%200, n, n, n)
			if err := c.Mail(fmt.Sprintf("klant%d@example.com", n%200)); err != nil {
				b.Error(err)
				return
			}
			if err := c.Rcpt("support@example.nl"); err != nil {
				b.Error(err)
				return
			}
			w, err := c.Data()
			if err != nil {
				b.Error(err)
				return
			}
			w.Write([]byte(mail))
			if err := w.Close(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// TestBounceMarksTheAddress: a permanent failure report about a customer's
// address marks their profile, so agents know to reach them another way.
func TestBounceMarksTheAddress(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := &desk.Contact{Name: "Gone"}
		if err := e.st.CreateContact(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := e.st.AddIdentity(ctx, &desk.Identity{ContactID: c.ID, Kind: desk.IdentityEmail, Value: "gone@example.com"}); err != nil {
			t.Fatal(err)
		}
		e.mustSend(t, "", "support@example.nl", `From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
To: support@example.nl
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce2@mx.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"

--b
Content-Type: text/plain

Your message could not be delivered.
--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; gone@example.com
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown
--b--
`)
		got, err := e.st.ContactByID(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if b := got.Attributes["email_bounced"]; !strings.Contains(b, "gone@example.com") || !strings.Contains(b, "5.1.1") {
			t.Errorf("email_bounced = %q, want the address and status", b)
		}
	})
}

const htmlMail = `From: Jan <jan@example.com>
To: support@example.nl
Cc: partner@example.com
Subject: Kapotte spaak
Message-ID: <html-%s@example.com>
Authentication-Results: mx.forged.example; spf=pass; dkim=pass; dmarc=pass
MIME-Version: 1.0
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: text/html; charset=utf-8

<html><head><style>p{color:red}</style><script>alert(1)</script></head>
<body><p onclick="x()">Zie <b>foto</b>:</p><img src="cid:foto@jan"><img src="cid:missing@jan">
<img src="https://tracker.example/p.gif"></body></html>
--rel
Content-Type: image/png; name="foto.png"
Content-ID: <foto@jan>
Content-Disposition: inline; filename="foto.png"
Content-Transfer-Encoding: base64

%s
--rel--
`

// TestDeliverHTMLAndAuth checks what an HTML mail keeps besides its text:
// the sanitised HTML with inline images pointing at the stored attachments,
// the recipients, and sender authentication taken only from a source that
// can be trusted.
func TestDeliverHTMLAndAuth(t *testing.T) {
	for _, o := range testenv.Stores() {
		t.Run(o.Name, func(t *testing.T) {
			e := setup(t, o.Open)
			svc := conversation.New(e.st, nopBus{}, desk.ClockFunc(time.Now), slog.New(slog.DiscardHandler), conversation.Options{})
			d := smtpd.NewDeliverer(smtpd.Deps{Conversations: svc, Inboxes: e.st.ListInboxes, Blob: e.blob, Store: e.st,
				Authenticate: func(_ context.Context, env smtpd.Envelope, _ []byte) string {
					return "spf=fail dkim=none dmarc=fail; checked for " + env.HeloName
				}})
			cases := []struct {
				name     string
				env      smtpd.Envelope
				wantAuth string
			}{
				{"own MX: checked, the header ignored", smtpd.Envelope{RemoteAddr: "192.0.2.1:4000", HeloName: "mail.example.com"},
					"spf=fail dkim=none dmarc=fail; checked for mail.example.com"},
				{"mailbox: its server's header", smtpd.Envelope{RemoteAddr: "imap.example.nl:993", Mailbox: true},
					"spf=pass dkim=pass dmarc=pass; mx.forged.example"},
			}
			png := wrap76(base64.StdEncoding.EncodeToString(pngBytes(t)))
			for i, tc := range cases {
				raw := strings.ReplaceAll(fmt.Sprintf(htmlMail, fmt.Sprint(i), png), "\n", "\r\n")
				tc.env.To = []string{"support@example.nl"}
				if err := d.Deliver(context.Background(), tc.env, []byte(raw)); err != nil {
					t.Fatalf("%s: Deliver: %v", tc.name, err)
				}
				m, err := e.st.MessageByExternalID(context.Background(), e.inbox.ID, fmt.Sprintf("html-%d@example.com", i))
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if got := m.Meta[desk.MetaEmailAuth]; got != tc.wantAuth {
					t.Errorf("%s: auth = %q, want %q", tc.name, got, tc.wantAuth)
				}
				if got := m.Meta[desk.MetaEmailTo]; got != "support@example.nl, partner@example.com" {
					t.Errorf("%s: to = %q", tc.name, got)
				}
				if len(m.Attachments) != 1 || m.Attachments[0].Name != "foto.png" {
					t.Fatalf("%s: attachments = %+v, want foto.png", tc.name, m.Attachments)
				}
				r, err := e.blob.Open(context.Background(), m.Meta[desk.MetaEmailHTML])
				if err != nil {
					t.Fatalf("%s: HTML version: %v", tc.name, err)
				}
				b, _ := io.ReadAll(r)
				r.Close()
				html := string(b)
				for _, want := range []string{"<b>foto</b>", `src="` + smtpd.InlineScheme + `:0"`} {
					if !strings.Contains(html, want) {
						t.Errorf("%s: HTML %q lacks %q", tc.name, html, want)
					}
				}
				for _, bad := range []string{"script", "onclick", "tracker.example", "missing@jan", "balie-cid"} {
					if strings.Contains(html, bad) {
						t.Errorf("%s: HTML %q contains %q", tc.name, html, bad)
					}
				}
			}
		})
	}
}

// TestDeliverForgedAuthWithoutChecker: without a checker, mail to balie's
// MX records no authentication at all, whatever its headers claim.
func TestDeliverForgedAuthWithoutChecker(t *testing.T) {
	e := setup(t, testenv.OpenSQLite)
	raw := strings.ReplaceAll(fmt.Sprintf(htmlMail, "f", wrap76(base64.StdEncoding.EncodeToString(pngBytes(t)))), "\n", "\r\n")
	e.mustSend(t, "jan@example.com", "support@example.nl", raw)
	m, err := e.st.MessageByExternalID(context.Background(), e.inbox.ID, "html-f@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := m.Meta[desk.MetaEmailAuth]; ok {
		t.Errorf("auth = %q, want none recorded", got)
	}
}
