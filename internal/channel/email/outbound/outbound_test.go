package outbound

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/channel/email/mailparse"
	"github.com/balie-dev/balie/internal/channel/email/smtpd"
	"github.com/balie-dev/balie/internal/desk"
)

// sink is an smtpd.Handler that keeps what it is given.
type sink struct {
	local      map[string]bool
	deliverErr error

	mu   sync.Mutex
	mail []captured
}

type captured struct {
	env  smtpd.Envelope
	data []byte
}

func (s *sink) Recipient(_ context.Context, addr string) error {
	if !s.local[strings.ToLower(addr)] {
		return desk.ErrNotFound // 550
	}
	return nil
}

func (s *sink) Deliver(_ context.Context, env smtpd.Envelope, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mail = append(s.mail, captured{env, bytes.Clone(data)})
	return s.deliverErr
}

func (s *sink) got() []captured {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]captured(nil), s.mail...)
}

// selfSigned returns a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "smtp.test"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// serve runs balie's SMTP server on a loopback port until the test ends
// and returns its port.
func serve(t testing.TB, h smtpd.Handler, tlsConfig *tls.Config) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	srv := &smtpd.Server{Hostname: "mx.test", Handler: h, TLSConfig: tlsConfig}
	go func() { done <- srv.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// memBlob is a desk.Blob in memory.
type memBlob map[string][]byte

func (b memBlob) Put(_ context.Context, key string, r io.Reader, _ int64, _ string) error {
	data, err := io.ReadAll(r)
	b[key] = data
	return err
}

func (b memBlob) Open(_ context.Context, key string) (io.ReadCloser, error) {
	data, ok := b[key]
	if !ok {
		return nil, desk.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

func (b memBlob) Delete(_ context.Context, key string) error { delete(b, key); return nil }

// thread is a conversation's messages for ListMessages.
type thread []desk.Message

func (th thread) ListMessages(_ context.Context, convID, afterID int64, limit int) ([]desk.Message, error) {
	var out []desk.Message
	for _, m := range th {
		if m.ConversationID == convID && m.ID > afterID && len(out) < limit {
			out = append(out, m)
		}
	}
	return out, nil
}

var fixedNow = time.Date(2026, 3, 3, 10, 0, 0, 0, time.FixedZone("CET", 3600))

const (
	testPassword = "hunter2-geheim"
	testSecret   = "reply-secret-for-tests"
	testBody     = "Beste Jan,\n\nUw pakket komt morgen. Prijs: €12,50 = een koopje.\n.\nEen regel die heel erg lang is en dus door quoted-printable over meerdere regels moet worden verdeeld, zonder dat de tekst verandert.\n\nGroet,\nAnna"
)

var pdf = append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{0, 1, 2, 0xff, '\r', '\n', '.'}, 300)...)

func testOutbound(settings map[string]string) desk.Outbound {
	return desk.Outbound{
		Inbox:        desk.Inbox{ID: 7, Name: "Acme", Channel: desk.ChannelEmail, Settings: settings},
		Conversation: desk.Conversation{ID: 42, InboxID: 7, Subject: "Bestelling 1234 – waar blijft mijn pakket?"},
		Contact:      desk.Contact{ID: 3, Name: "Jan de Vries", Email: "jan@customer.example"},
		Message: desk.Message{ID: 5, ConversationID: 42, Kind: desk.KindMessage, Sender: desk.SenderAgent, Body: testBody,
			Attachments: []desk.Attachment{
				{ID: 1, Name: "Factuur café 2026.pdf", ContentType: "application/pdf", BlobKey: "k1"},
				{ID: 2, Name: "notes.txt", ContentType: "text/plain", BlobKey: "k2"},
			}},
		IdempotencyKey: "outbox-91",
	}
}

func testThread() thread {
	return thread{
		{ID: 1, ConversationID: 42, Kind: desk.KindMessage, Sender: desk.SenderContact, ExternalID: "first@customer.example"},
		{ID: 2, ConversationID: 42, Kind: desk.KindMessage, Sender: desk.SenderAgent, ExternalID: "balie.2.abc@example.nl"},
		{ID: 3, ConversationID: 42, Kind: desk.KindNote, Sender: desk.SenderAgent},
		{ID: 4, ConversationID: 42, Kind: desk.KindMessage, Sender: desk.SenderContact, ExternalID: "second@customer.example"},
		{ID: 5, ConversationID: 42, Kind: desk.KindMessage, Sender: desk.SenderAgent},
		{ID: 6, ConversationID: 43, Kind: desk.KindMessage, Sender: desk.SenderContact, ExternalID: "other@customer.example"},
	}
}

func TestSendIntoSMTPD(t *testing.T) {
	cert, pool := selfSigned(t)
	for _, tc := range []struct {
		name string
		key  string
	}{
		{"rsa", rsaPEM(t)},
		{"ed25519", ed25519PEM(t)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &sink{local: map[string]bool{"jan@customer.example": true}}
			port := serve(t, s, &tls.Config{Certificates: []tls.Certificate{cert}})
			blob := memBlob{"k1": pdf, "k2": []byte("regel 1\nregel 2\n")}
			ch := New(Deps{Blob: blob, Store: testThread(), RootCAs: pool, Clock: desk.ClockFunc(func() time.Time { return fixedNow })})
			out := testOutbound(map[string]string{
				SettingAddress: "support@example.nl", SettingFromName: "Klantenservice Acmé",
				SettingSMTPHost: "127.0.0.1", SettingSMTPPort: port, SettingReplySecret: testSecret,
				SettingDKIMSelector: "balie2026", SettingDKIMKey: tc.key,
			})

			id, err := ch.Send(context.Background(), out)
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			got := s.got()
			if len(got) != 1 {
				t.Fatalf("server got %d mails, want 1", len(got))
			}
			env, raw := got[0].env, got[0].data
			if !env.TLS || env.From != "support@example.nl" || len(env.To) != 1 || env.To[0] != "jan@customer.example" {
				t.Errorf("envelope = %+v, want TLS from support@example.nl to jan@customer.example", env)
			}

			record, err := DNSRecord(tc.key)
			if err != nil {
				t.Fatal(err)
			}
			if err := verifyDKIM(raw, record); err != nil {
				t.Errorf("DKIM: %v\n%s", err, raw)
			}
			if !bytes.Contains(raw, []byte("d=example.nl; s=balie2026;")) {
				t.Errorf("signature does not name d=example.nl and s=balie2026")
			}

			msg, err := mailparse.Parse(bytes.NewReader(raw), mailparse.Options{})
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			wantReply, _ := smtpd.ReplyAddress(out.Inbox, 42)
			checks := []struct{ what, got, want string }{
				{"Message-ID", msg.MessageID, id},
				{"From name", msg.From.Name, "Klantenservice Acmé"},
				{"From", msg.From.Addr, "support@example.nl"},
				{"To", addrs(msg.To), "Jan de Vries <jan@customer.example>"},
				{"Reply-To", addrs(msg.ReplyTo), "Klantenservice Acmé <" + wantReply + ">"},
				{"Subject", msg.Subject, "Re: Bestelling 1234 – waar blijft mijn pakket?"},
				{"In-Reply-To", msg.InReplyTo, "second@customer.example"},
				{"References", strings.Join(msg.References, " "), "first@customer.example balie.2.abc@example.nl second@customer.example"},
				{"Date", msg.Date.Format(time.RFC3339), fixedNow.Format(time.RFC3339)},
				{"Auto-Submitted", msg.Headers.Get("Auto-Submitted"), ""},
				{"Text", strings.TrimRight(msg.Text, "\n"), testBody},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
				}
			}
			if msg.AutoReply || msg.Bounce != nil {
				t.Errorf("parsed as automated mail (auto-reply %v, bounce %v)", msg.AutoReply, msg.Bounce)
			}
			if !strings.HasPrefix(id, "balie.5.") || !strings.HasSuffix(id, "@example.nl") {
				t.Errorf("Message-ID %q, want balie.5.<tag>@example.nl", id)
			}
			if len(msg.Attachments) != 2 {
				t.Fatalf("%d attachments, want 2", len(msg.Attachments))
			}
			for i, want := range []struct {
				name, ctype string
				data        []byte
			}{{"Factuur café 2026.pdf", "application/pdf", pdf}, {"notes.txt", "text/plain", []byte("regel 1\nregel 2\n")}} {
				a := msg.Attachments[i]
				if a.Filename != want.name || a.ContentType != want.ctype || !bytes.Equal(a.Data, want.data) {
					t.Errorf("attachment %d = %q %s (%d bytes), want %q %s (%d bytes)", i, a.Filename, a.ContentType, len(a.Data), want.name, want.ctype, len(want.data))
				}
			}
			if !bytes.Contains(raw, []byte(`filename*=utf-8''Factuur%20caf%C3%A9%202026.pdf`)) {
				t.Errorf("attachment name not RFC 2231 encoded:\n%s", raw)
			}
			for i, line := range strings.Split(string(raw), "\r\n") {
				if len(line) > 998 {
					t.Errorf("line %d is %d bytes long", i, len(line))
				}
				if strings.Contains(line, "\n") {
					t.Errorf("line %d has a bare LF", i)
				}
			}
		})
	}
}

func addrs(as []mailparse.Address) string {
	var s []string
	for _, a := range as {
		s = append(s, a.String())
	}
	return strings.Join(s, ", ")
}

// TestSendSubjectsAndThreading covers the headers that depend on the
// conversation, with a plain text mail over a loopback connection without
// TLS.
func TestSendSubjectsAndThreading(t *testing.T) {
	for _, tc := range []struct {
		name       string
		subject    string
		thread     thread
		sender     desk.Sender
		wantSubj   string
		wantReply  string
		wantAuto   string
		noReplyKey bool
	}{
		{name: "reply to the customer", subject: "Vraag", thread: testThread(), sender: desk.SenderAgent,
			wantSubj: "Re: Vraag", wantReply: "second@customer.example"},
		{name: "existing Re: kept", subject: "RE: Vraag", thread: testThread(), sender: desk.SenderAgent,
			wantSubj: "RE: Vraag", wantReply: "second@customer.example"},
		{name: "no customer mail yet", subject: "Uw retour", sender: desk.SenderAgent,
			thread:   thread{{ID: 2, ConversationID: 42, Kind: desk.KindMessage, Sender: desk.SenderAgent, ExternalID: "balie.2.x@example.nl"}},
			wantSubj: "Uw retour", wantReply: "balie.2.x@example.nl"},
		{name: "conversation from chat, no subject", sender: desk.SenderAgent,
			thread:   thread{{ID: 1, ConversationID: 42, Kind: desk.KindMessage, Sender: desk.SenderContact}},
			wantSubj: "Beste Jan,"},
		{name: "mail without Message-ID is not a parent", subject: "Vraag", sender: desk.SenderAgent,
			thread:   thread{{ID: 1, ConversationID: 42, Kind: desk.KindMessage, Sender: desk.SenderContact, ExternalID: "sha256:abcdef"}},
			wantSubj: "Vraag"},
		{name: "bot answer is marked auto-replied", subject: "Vraag", thread: testThread(), sender: desk.SenderBot,
			wantSubj: "Re: Vraag", wantReply: "second@customer.example", wantAuto: "auto-replied"},
		{name: "subject with a line break", subject: "Vraag\r\nBcc: evil@example.com", sender: desk.SenderAgent,
			wantSubj: "Vraag  Bcc: evil@example.com"},
		{name: "no reply secret, no Reply-To", subject: "Vraag", sender: desk.SenderAgent, noReplyKey: true,
			wantSubj: "Vraag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &sink{local: map[string]bool{"jan@customer.example": true}}
			port := serve(t, s, nil)
			ch := New(Deps{Store: tc.thread})
			settings := map[string]string{SettingAddress: "support@example.nl", SettingSMTPHost: "127.0.0.1",
				SettingSMTPPort: port, SettingSMTPTLS: TLSNone, SettingReplySecret: testSecret}
			if tc.noReplyKey {
				delete(settings, SettingReplySecret)
			}
			out := testOutbound(settings)
			out.Conversation.Subject = tc.subject
			out.Message.Sender = tc.sender
			out.Message.Attachments = nil
			if _, err := ch.Send(context.Background(), out); err != nil {
				t.Fatalf("send: %v", err)
			}
			raw := s.got()[0].data
			msg, err := mailparse.Parse(bytes.NewReader(raw), mailparse.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if msg.Subject != tc.wantSubj {
				t.Errorf("Subject = %q, want %q", msg.Subject, tc.wantSubj)
			}
			if msg.InReplyTo != tc.wantReply {
				t.Errorf("In-Reply-To = %q, want %q", msg.InReplyTo, tc.wantReply)
			}
			if got := msg.Headers.Get("Auto-Submitted"); got != tc.wantAuto {
				t.Errorf("Auto-Submitted = %q, want %q", got, tc.wantAuto)
			}
			if got := msg.Headers.Get("Bcc"); got != "" {
				t.Errorf("a Bcc header got in: %q", got)
			}
			if got, want := len(msg.ReplyTo) > 0, !tc.noReplyKey; got != want {
				t.Errorf("Reply-To present = %v, want %v", got, want)
			}
			if got := strings.TrimRight(msg.Text, "\n"); got != testBody {
				t.Errorf("Text = %q, want %q", got, testBody)
			}
		})
	}
}

func TestSendErrors(t *testing.T) {
	cert, pool := selfSigned(t)
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}}
	closedPort := func(t *testing.T) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
		l.Close()
		return port
	}
	for _, tc := range []struct {
		name      string
		port      func(t *testing.T) string
		settings  map[string]string
		blob      memBlob
		temporary bool
		wantInErr string
		wantIs    error
	}{
		{name: "451 is temporary", temporary: true, wantInErr: "451",
			port: func(t *testing.T) string {
				return serve(t, &sink{local: map[string]bool{"jan@customer.example": true}, deliverErr: errors.New("disk full")}, tlsConfig)
			}},
		{name: "550 is permanent", wantInErr: "550",
			port: func(t *testing.T) string { return serve(t, &sink{}, tlsConfig) }},
		{name: "connection refused is temporary", temporary: true, wantInErr: "connect", port: closedPort},
		{name: "no STARTTLS offered is permanent", wantInErr: "STARTTLS", wantIs: desk.ErrInvalid,
			port: func(t *testing.T) string { return serve(t, &sink{}, nil) }},
		{name: "AUTH not offered is permanent", wantInErr: "AUTH", wantIs: desk.ErrInvalid,
			settings: map[string]string{SettingSMTPUsername: "support"},
			port:     func(t *testing.T) string { return serve(t, &sink{}, tlsConfig) }},
		{name: "untrusted certificate is permanent", wantInErr: "certificate",
			settings: map[string]string{SettingSMTPHost: "localhost"},
			port: func(t *testing.T) string {
				other, _ := selfSigned(t)
				return serve(t, &sink{}, &tls.Config{Certificates: []tls.Certificate{other}})
			}},
		{name: "plain text to a remote host is refused", wantIs: desk.ErrInvalid, wantInErr: "loopback",
			settings: map[string]string{SettingSMTPHost: "smtp.example.nl", SettingSMTPTLS: TLSNone},
			port:     func(*testing.T) string { return "25" }},
		{name: "missing attachment is permanent", wantIs: desk.ErrNotFound, blob: memBlob{"k1": pdf},
			port: func(t *testing.T) string { return serve(t, &sink{}, tlsConfig) }},
		{name: "too large attachments", wantIs: desk.ErrTooLarge, blob: memBlob{"k1": pdf, "k2": make([]byte, 200)},
			settings: map[string]string{"max": "1"},
			port:     func(t *testing.T) string { return serve(t, &sink{}, tlsConfig) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			settings := map[string]string{SettingAddress: "support@example.nl", SettingSMTPHost: "127.0.0.1",
				SettingSMTPPort: tc.port(t), SettingSMTPPassword: testPassword}
			var max int64
			for k, v := range tc.settings {
				if k == "max" {
					max = int64(len(pdf) + 100)
					continue
				}
				settings[k] = v
			}
			blob := tc.blob
			if blob == nil {
				blob = memBlob{"k1": pdf, "k2": []byte("x")}
			}
			ch := New(Deps{Blob: blob, RootCAs: pool, MaxAttachments: max, Timeout: 10 * time.Second})
			_, err := ch.Send(context.Background(), testOutbound(settings))
			if err == nil {
				t.Fatal("send succeeded, want an error")
			}
			if got := errors.Is(err, desk.ErrTemporary); got != tc.temporary {
				t.Errorf("temporary = %v, want %v (%v)", got, tc.temporary, err)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %v is not %v", err, tc.wantIs)
			}
			if !strings.Contains(err.Error(), tc.wantInErr) {
				t.Errorf("error %q does not mention %q", err, tc.wantInErr)
			}
			if strings.Contains(err.Error(), testPassword) {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

func TestSendBadSettings(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings map[string]string
		contact  desk.Contact
		field    string
	}{
		{name: "no address", settings: map[string]string{SettingSMTPHost: "h"}, field: SettingAddress},
		{name: "address with a name", settings: map[string]string{SettingAddress: "Acme <support@example.nl>", SettingSMTPHost: "h"}, field: SettingAddress},
		{name: "no host", settings: map[string]string{SettingAddress: "support@example.nl"}, field: SettingSMTPHost},
		{name: "bad port", settings: map[string]string{SettingAddress: "support@example.nl", SettingSMTPHost: "h", SettingSMTPPort: "99999"}, field: SettingSMTPPort},
		{name: "bad tls mode", settings: map[string]string{SettingAddress: "support@example.nl", SettingSMTPHost: "h", SettingSMTPTLS: "maybe"}, field: SettingSMTPTLS},
		{name: "dkim key without selector", settings: map[string]string{SettingAddress: "support@example.nl", SettingSMTPHost: "h", SettingDKIMKey: "x"}, field: SettingDKIMSelector},
		{name: "bad dkim key", settings: map[string]string{SettingAddress: "support@example.nl", SettingSMTPHost: "h", SettingDKIMKey: "x", SettingDKIMSelector: "s"}, field: SettingDKIMKey},
		{name: "customer without email", settings: map[string]string{SettingAddress: "support@example.nl", SettingSMTPHost: "h"},
			contact: desk.Contact{Name: "Jan", Identities: []desk.Identity{{Kind: desk.IdentityPhone, Value: "+31612345678"}}}, field: "contact"},
		{name: "customer address with a line break", settings: map[string]string{SettingAddress: "support@example.nl", SettingSMTPHost: "h"},
			contact: desk.Contact{Email: "jan@customer.example>\r\nRCPT TO:<x@y.z"}, field: "contact"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dialed := false
			ch := New(Deps{Dial: func(context.Context, string) (net.Conn, error) { dialed = true; return nil, errors.New("no") }})
			out := testOutbound(tc.settings)
			out.Contact = tc.contact
			if tc.contact.Name == "" && tc.contact.Email == "" && len(tc.contact.Identities) == 0 {
				out.Contact = desk.Contact{Email: "jan@customer.example"}
			}
			_, err := ch.Send(context.Background(), out)
			var ve *desk.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field {
				t.Errorf("err = %v, want a validation error of %q", err, tc.field)
			}
			if errors.Is(err, desk.ErrTemporary) {
				t.Errorf("err = %v is temporary", err)
			}
			if dialed {
				t.Error("dialed the server despite bad settings")
			}
		})
	}
}

func TestRecipientFromIdentity(t *testing.T) {
	ct := desk.Contact{Name: "Jan", Identities: []desk.Identity{
		{Kind: desk.IdentityPhone, Value: "+31612345678"}, {Kind: desk.IdentityEmail, Value: "jan@customer.example"}}}
	got, err := recipient(ct)
	if err != nil || got.Address != "jan@customer.example" {
		t.Errorf("recipient = %v, %v; want jan@customer.example", got, err)
	}
}

func TestMessageIDStable(t *testing.T) {
	cfg, err := configOf(desk.Inbox{Settings: map[string]string{SettingAddress: "support@Example.NL", SettingSMTPHost: "h", SettingReplySecret: testSecret}})
	if err != nil {
		t.Fatal(err)
	}
	out := testOutbound(nil)
	first := messageID(out, cfg)
	if again := messageID(out, cfg); again != first {
		t.Errorf("same idempotency key: %q then %q", first, again)
	}
	if !strings.HasPrefix(first, "balie.5.") || !strings.HasSuffix(first, "@example.nl") {
		t.Errorf("Message-ID = %q, want balie.5.<tag>@example.nl", first)
	}
	other := out
	other.IdempotencyKey = "outbox-92"
	if id := messageID(other, cfg); id == first {
		t.Errorf("another idempotency key gives the same id %q", id)
	}
	noKey := out
	noKey.IdempotencyKey = ""
	if a, b := messageID(noKey, cfg), messageID(noKey, cfg); a == b || a == first {
		t.Errorf("without a key ids should be random: %q, %q", a, b)
	}
}

// TestRetryReusesMessageID sends the same outbox row twice, as a worker does
// after a crash: both mails carry one Message-ID, which Send returns.
func TestRetryReusesMessageID(t *testing.T) {
	s := &sink{local: map[string]bool{"jan@customer.example": true}}
	port := serve(t, s, nil)
	now := fixedNow
	ch := New(Deps{Blob: memBlob{"k1": pdf, "k2": nil}, Clock: desk.ClockFunc(func() time.Time { now = now.Add(time.Minute); return now })})
	out := testOutbound(map[string]string{SettingAddress: "support@example.nl", SettingSMTPHost: "127.0.0.1",
		SettingSMTPPort: port, SettingSMTPTLS: TLSNone})
	var ids []string
	for range 2 {
		id, err := ch.Send(context.Background(), out)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if ids[0] != ids[1] {
		t.Errorf("retry returned %q, first send %q", ids[1], ids[0])
	}
	for i, m := range s.got() {
		msg, err := mailparse.Parse(bytes.NewReader(m.data), mailparse.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if msg.MessageID != ids[0] {
			t.Errorf("mail %d has Message-ID %q, want %q", i, msg.MessageID, ids[0])
		}
	}
}
