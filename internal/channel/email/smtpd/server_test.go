package smtpd

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/smtp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// fakeHandler accepts the addresses in local and records what is delivered.
type fakeHandler struct {
	local map[string]bool
	err   error // returned by Deliver

	mu        sync.Mutex
	delivered []delivery
}

type delivery struct {
	env  Envelope
	data string
}

func (h *fakeHandler) Recipient(_ context.Context, addr string) error {
	if !h.local[strings.ToLower(addr)] {
		return desk.ErrNotFound
	}
	return nil
}

func (h *fakeHandler) Deliver(_ context.Context, env Envelope, data []byte) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.delivered = append(h.delivered, delivery{env, string(data)})
	return h.err
}

func (h *fakeHandler) deliveries() []delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]delivery(nil), h.delivered...)
}

func newFake() *fakeHandler {
	return &fakeHandler{local: map[string]bool{"support@example.nl": true, "sales@example.nl": true, "info@example.nl": true}}
}

// start serves srv on a loopback port until the test ends; stop ends it
// early and returns what Serve returned.
func start(t testing.TB, srv *Server) (addr string, stop func() error) {
	t.Helper()
	if srv.Hostname == "" {
		srv.Hostname = "mx.test"
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	var once sync.Once
	var serveErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case serveErr = <-done:
			case <-time.After(10 * time.Second):
				serveErr = errors.New("Serve did not return")
			}
		})
		return serveErr
	}
	t.Cleanup(func() { stop() })
	return l.Addr().String(), stop
}

const plainMail = "From: Klant <klant@example.com>\r\nTo: support@example.nl\r\nSubject: Hallo\r\nMessage-ID: <1@example.com>\r\n\r\nMijn bestelling is niet aangekomen.\r\n"

func TestSendMail(t *testing.T) {
	h := newFake()
	addr, _ := start(t, &Server{Handler: h})
	if err := smtp.SendMail(addr, nil, "klant@example.com", []string{"support@example.nl"}, []byte(plainMail)); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	got := h.deliveries()
	if len(got) != 1 {
		t.Fatalf("got %d deliveries, want 1", len(got))
	}
	d := got[0]
	if d.env.From != "klant@example.com" || len(d.env.To) != 1 || d.env.To[0] != "support@example.nl" {
		t.Errorf("envelope = %+v, want from klant@example.com to support@example.nl", d.env)
	}
	if d.env.TLS || d.env.HeloName != "localhost" || !strings.HasPrefix(d.env.RemoteAddr, "127.0.0.1:") {
		t.Errorf("envelope = %+v, want no TLS, HELO localhost, remote 127.0.0.1", d.env)
	}
	if !strings.HasPrefix(d.data, "Received: from localhost ([127.0.0.1])\r\n\tby mx.test (balie) with ESMTP id "+d.env.ID) {
		t.Errorf("data does not start with the Received field:\n%s", d.data)
	}
	if !strings.Contains(d.data, "\tfor <support@example.nl>;") {
		t.Errorf("Received field names no recipient:\n%s", d.data)
	}
	if !strings.HasSuffix(d.data, plainMail) {
		t.Errorf("data = %q, want it to end with the mail as sent", d.data)
	}
}

// selfSigned makes a certificate for localhost and a pool that trusts it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
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
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

func TestSTARTTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	h := newFake()
	addr, _ := start(t, &Server{Handler: h, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}})

	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Fatal("STARTTLS not advertised")
	}
	if err := c.StartTLS(&tls.Config{ServerName: "localhost", RootCAs: pool}); err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Error("STARTTLS still advertised over TLS")
	}
	send(t, c, "klant@example.com", []string{"support@example.nl"}, plainMail)
	if err := c.Quit(); err != nil {
		t.Errorf("Quit: %v", err)
	}
	got := h.deliveries()
	if len(got) != 1 {
		t.Fatalf("got %d deliveries, want 1", len(got))
	}
	if !got[0].env.TLS {
		t.Error("Envelope.TLS = false, want true")
	}
	if !strings.Contains(got[0].data, " with ESMTPS id ") {
		t.Errorf("Received field does not say ESMTPS:\n%s", got[0].data)
	}
}

func send(t testing.TB, c *smtp.Client, from string, to []string, body string) {
	t.Helper()
	if err := c.Mail(from); err != nil {
		t.Fatalf("MAIL: %v", err)
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			t.Fatalf("RCPT %s: %v", r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatalf("DATA: %v", err)
	}
	if _, err := io.WriteString(w, body); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("end of DATA: %v", err)
	}
}

// client speaks raw SMTP for the tests that need to send what a polite
// client library would not.
type client struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func dial(t testing.TB, addr string) *client {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &client{t: t, conn: conn, r: bufio.NewReader(conn)}
	c.expect("220")
	return c
}

func (c *client) write(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Fatalf("write %q: %v", s, err)
	}
}

// reply reads one (possibly multi-line) reply and returns its last line.
func (c *client) reply() (string, error) {
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return line, err
		}
		if len(line) < 4 || line[3] != '-' {
			return strings.TrimRight(line, "\r\n"), nil
		}
	}
}

// expect reads a reply and fails unless it starts with prefix.
func (c *client) expect(prefix string) string {
	c.t.Helper()
	line, err := c.reply()
	if err != nil {
		c.t.Fatalf("reading reply (want %s): %v (got %q)", prefix, err, line)
	}
	if !strings.HasPrefix(line, prefix) {
		c.t.Fatalf("reply = %q, want %s", line, prefix)
	}
	return line
}

// closed fails unless the server closed the connection.
func (c *client) closed() {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if line, err := c.r.ReadString('\n'); err != io.EOF {
		c.t.Fatalf("after the last reply got %q, %v; want the connection closed", line, err)
	}
}

func TestDialogues(t *testing.T) {
	long := strings.Repeat("x", 1200)
	tests := []struct {
		name  string
		srv   Server
		steps []string // alternately what the client sends and the reply prefix it wants
		// closes: the server ends the connection after the last step
		closes     bool
		deliveries int
	}{
		{name: "unknown recipient", steps: []string{
			"EHLO c.test\r\n", "250",
			"MAIL FROM:<klant@example.com>\r\n", "250 2.1.0",
			"RCPT TO:<nobody@example.nl>\r\n", "550 5.1.1 <nobody@example.nl>: no such mailbox",
			"RCPT TO:<Support@Example.NL>\r\n", "250 2.1.5",
		}},
		{name: "recipient is not relayed", steps: []string{
			"HELO c.test\r\n", "250",
			"MAIL FROM:<>\r\n", "250",
			"RCPT TO:<someone@gmail.com>\r\n", "550",
			"DATA\r\n", "554 5.5.1 No valid recipients",
		}},
		{name: "commands out of order", steps: []string{
			"MAIL FROM:<a@example.com>\r\n", "503",
			"EHLO c.test\r\n", "250",
			"RCPT TO:<support@example.nl>\r\n", "503",
			"DATA\r\n", "503",
			"MAIL FROM:<a@example.com>\r\n", "250",
			"MAIL FROM:<a@example.com>\r\n", "503 5.5.1 Nested",
		}},
		{name: "unknown and unimplemented commands", steps: []string{
			"EHLO c.test\r\n", "250",
			"FOO bar\r\n", "500 5.5.2",
			"EXPN staff\r\n", "502",
			"AUTH PLAIN AGZvbwBiYXI=\r\n", "502",
			"VRFY support\r\n", "252",
			"NOOP\r\n", "250",
			"STARTTLS\r\n", "502",
			"QUIT\r\n", "221",
		}, closes: true},
		{name: "helo needs a name", steps: []string{
			"EHLO\r\n", "501",
			"HELO \r\n", "501",
		}},
		{name: "bad addresses", steps: []string{
			"EHLO c.test\r\n", "250",
			"MAIL FROM:<no-at-sign>\r\n", "501",
			"MAIL FROM:<a@example.com\r\n", "501",
			"MAIL TO:<a@example.com>\r\n", "501",
			"MAIL FROM:<a@example.com> FOO=bar\r\n", "555",
			"MAIL FROM:<@relay.test:a@example.com> BODY=8BITMIME SMTPUTF8\r\n", "250",
			"RCPT TO:<>\r\n", "501",
		}},
		{name: "SIZE over the limit", srv: Server{MaxSize: 1000}, steps: []string{
			"EHLO c.test\r\n", "250 ENHANCEDSTATUSCODES",
			"MAIL FROM:<a@example.com> SIZE=1001\r\n", "552 5.3.4",
			"MAIL FROM:<a@example.com> SIZE=1000\r\n", "250",
		}},
		{name: "RSET ends the transaction", steps: []string{
			"EHLO c.test\r\n", "250",
			"MAIL FROM:<a@example.com>\r\n", "250",
			"RCPT TO:<support@example.nl>\r\n", "250",
			"RSET\r\n", "250",
			"DATA\r\n", "503",
			"MAIL FROM:<b@example.com>\r\n", "250",
			"RCPT TO:<sales@example.nl>\r\n", "250",
			"DATA\r\n", "354",
			"Subject: x\r\n\r\nhoi\r\n.\r\n", "250 2.0.0 Ok: queued as ",
		}, deliveries: 1},
		{name: "too many recipients", srv: Server{MaxRecipients: 2}, steps: []string{
			"EHLO c.test\r\n", "250",
			"MAIL FROM:<a@example.com>\r\n", "250",
			"RCPT TO:<support@example.nl>\r\n", "250",
			"RCPT TO:<support@example.nl>\r\n", "250", // a duplicate is not counted
			"RCPT TO:<sales@example.nl>\r\n", "250",
			"RCPT TO:<info@example.nl>\r\n", "452 4.5.3",
			"DATA\r\n", "354",
			"Subject: x\r\n\r\nhoi\r\n.\r\n", "250",
		}, deliveries: 1},
		{name: "line too long", steps: []string{
			"EHLO " + long + "\r\n", "500 5.5.2 Line too long",
			"EHLO c.test\r\n", "250",
		}},
		{name: "too many errors", steps: []string{
			"A\r\n", "500", "B\r\n", "500", "C\r\n", "500", "D\r\n", "500", "E\r\n", "500",
			"F\r\n", "500", "G\r\n", "500", "H\r\n", "500", "I\r\n", "500",
			"J\r\n", "421 4.7.0",
		}, closes: true},
		{name: "HTTP request", steps: []string{"GET / HTTP/1.1\r\n"}, closes: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newFake()
			srv := tt.srv
			srv.Handler = h
			addr, _ := start(t, &srv)
			c := dial(t, addr)
			for i := 0; i < len(tt.steps); i += 2 {
				c.write(tt.steps[i])
				if i+1 < len(tt.steps) {
					c.expect(tt.steps[i+1])
				}
			}
			if tt.closes {
				c.closed()
			}
			if got := len(h.deliveries()); got != tt.deliveries {
				t.Errorf("got %d deliveries, want %d", got, tt.deliveries)
			}
		})
	}
}

func TestPipelining(t *testing.T) {
	h := newFake()
	addr, _ := start(t, &Server{Handler: h})
	c := dial(t, addr)
	c.write("EHLO c.test\r\n")
	if line := c.expect("250 "); line != "250 ENHANCEDSTATUSCODES" {
		t.Fatalf("last EHLO line = %q", line)
	}
	// One write, as a pipelining client sends it (RFC 2920).
	c.write("MAIL FROM:<klant@example.com>\r\nRCPT TO:<support@example.nl>\r\nRCPT TO:<nobody@example.nl>\r\nRCPT TO:<sales@example.nl>\r\nDATA\r\n")
	for _, want := range []string{"250", "250", "550", "250", "354"} {
		c.expect(want)
	}
	c.write("Subject: een\r\n\r\neen\r\n.\r\nMAIL FROM:<klant@example.com>\r\nRCPT TO:<info@example.nl>\r\nDATA\r\n")
	for _, want := range []string{"250 2.0.0", "250", "250", "354"} {
		c.expect(want)
	}
	c.write("Subject: twee\r\n\r\ntwee\r\n.\r\nQUIT\r\n")
	c.expect("250")
	c.expect("221")
	got := h.deliveries()
	if len(got) != 2 {
		t.Fatalf("got %d deliveries, want 2", len(got))
	}
	if to := strings.Join(got[0].env.To, ","); to != "support@example.nl,sales@example.nl" {
		t.Errorf("first mail to %s, want support and sales", to)
	}
	if !strings.HasSuffix(got[1].data, "Subject: twee\r\n\r\ntwee\r\n") {
		t.Errorf("second mail = %q", got[1].data)
	}
}

func TestSTARTTLSRefusesPipelinedCommands(t *testing.T) {
	cert, _ := selfSigned(t)
	addr, _ := start(t, &Server{Handler: newFake(), TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}})
	c := dial(t, addr)
	c.write("EHLO c.test\r\n")
	c.expect("250")
	c.write("STARTTLS\r\nMAIL FROM:<injected@example.com>\r\n")
	c.expect("554")
	c.closed()
}

func TestSizeLimitWhileReading(t *testing.T) {
	h := newFake()
	addr, _ := start(t, &Server{Handler: h, MaxSize: 1024})
	c := dial(t, addr)
	c.write("EHLO c.test\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<support@example.nl>\r\nDATA\r\n")
	for _, want := range []string{"250", "250", "250", "354"} {
		c.expect(want)
	}
	// No SIZE given: the server finds out while reading.
	c.write("Subject: groot\r\n\r\n")
	for range 40 {
		c.write(strings.Repeat("y", 70) + "\r\n")
	}
	c.write(".\r\n")
	c.expect("552 5.3.4")
	// The session goes on: the text was read to its end and dropped.
	c.write("MAIL FROM:<a@example.com>\r\nRCPT TO:<support@example.nl>\r\nDATA\r\n")
	for _, want := range []string{"250", "250", "354"} {
		c.expect(want)
	}
	c.write("Subject: klein\r\n\r\nklein\r\n.\r\n")
	c.expect("250")
	got := h.deliveries()
	if len(got) != 1 || !strings.Contains(got[0].data, "Subject: klein") {
		t.Fatalf("deliveries = %v, want only the small mail", got)
	}
}

func TestDotStuffing(t *testing.T) {
	// A quoted-printable body whose encoder left a lone dot on a line, and
	// lines that start with dots; net/smtp stuffs them, the server must
	// unstuff them exactly.
	body := "Subject: punten\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"Eerste regel=\r\n.\r\n..\r\n.begint met een punt\r\n...\r\n. \r\n.=0D=0A.\r\nlaatste regel\r\n"
	h := newFake()
	addr, _ := start(t, &Server{Handler: h})
	if err := smtp.SendMail(addr, nil, "a@example.com", []string{"support@example.nl"}, []byte(body)); err != nil {
		t.Fatal(err)
	}
	got := h.deliveries()
	if len(got) != 1 {
		t.Fatalf("got %d deliveries, want 1", len(got))
	}
	_, data, _ := strings.Cut(got[0].data, "Subject: ")
	if data = "Subject: " + data; data != body {
		t.Errorf("delivered\n%q\nwant\n%q", data, body)
	}
}

func TestDataEndsOnlyAtCRLFDotCRLF(t *testing.T) {
	tests := []struct {
		name string
		text string // sent after 354; must end in CRLF.CRLF
		want string // the message as delivered (after Received)
	}{
		{"bare LF dot is text (smuggling)", "a\n.\nMAIL FROM:<x@evil.test>\r\n.\r\n", "a\n.\nMAIL FROM:<x@evil.test>\r\n"},
		{"CR dot CR is text", "a\r.\rb\r\n.\r\n", "a\r.\rb\r\n"},
		{"dot space is text", "a\r\n. \r\n.\r\n", "a\r\n \r\n"},
		{"stuffed dot", "a\r\n..\r\n.\r\n", "a\r\n.\r\n"},
		{"empty message", ".\r\n", ""},
		{"dot after bare LF line", "a\n.\r\nb\r\n.\r\n", "a\n.\r\nb\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newFake()
			addr, _ := start(t, &Server{Handler: h})
			c := dial(t, addr)
			c.write("EHLO c.test\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<support@example.nl>\r\nDATA\r\n")
			for _, want := range []string{"250", "250", "250", "354"} {
				c.expect(want)
			}
			c.write(tt.text)
			c.expect("250")
			c.write("QUIT\r\n")
			c.expect("221")
			got := h.deliveries()
			if len(got) != 1 {
				t.Fatalf("got %d deliveries, want 1", len(got))
			}
			if data := afterReceived(got[0].data); data != tt.want {
				t.Errorf("message = %q, want %q", data, tt.want)
			}
		})
	}
}

func TestIdleClientTimesOut(t *testing.T) {
	addr, _ := start(t, &Server{Handler: newFake(), ReadTimeout: 50 * time.Millisecond})
	tests := []struct {
		name string
		send string
	}{
		{"after greeting", ""},
		{"mid command", "EHLO c.te"},
		{"mid data", "EHLO c.test\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<support@example.nl>\r\nDATA\r\nSubject: x\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, addr)
			c.write(tt.send)
			for {
				line, err := c.reply()
				if err != nil {
					t.Fatalf("read: %v (%q); want 421", err, line)
				}
				if strings.HasPrefix(line, "421 4.4.2") {
					break
				}
			}
			c.closed()
		})
	}
}

func TestSessionTimeout(t *testing.T) {
	addr, _ := start(t, &Server{Handler: newFake(), ReadTimeout: time.Minute, SessionTimeout: 100 * time.Millisecond})
	c := dial(t, addr)
	// A busy client that never finishes is cut off all the same.
	for {
		c.write("NOOP\r\n")
		line, err := c.reply()
		if err != nil {
			t.Fatalf("read: %v; want 421", err)
		}
		if strings.HasPrefix(line, "421 4.4.2") {
			break
		}
	}
}

func TestMaxConns(t *testing.T) {
	addr, _ := start(t, &Server{Handler: newFake(), MaxConns: 1})
	dial(t, addr)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, _ := bufio.NewReader(conn).ReadString('\n')
	if !strings.HasPrefix(line, "421 4.7.0") {
		t.Errorf("second connection got %q, want 421", line)
	}
}

func TestDeliverErrors(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, "250 2.0.0"},
		{errors.New("database is down"), "451 4.3.0"},
		{fmt.Errorf("wrapped: %w", desk.ErrTemporary), "451 4.3.0"},
		{fmt.Errorf("bad mail: %w", desk.ErrInvalid), "554 5.6.0"},
		{desk.Invalid("from", "no sender"), "554 5.6.0"},
		{fmt.Errorf("parse: %w", desk.ErrTooLarge), "552 5.3.4"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.err), func(t *testing.T) {
			h := newFake()
			h.err = tt.err
			addr, _ := start(t, &Server{Handler: h})
			c := dial(t, addr)
			c.write("EHLO c.test\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<support@example.nl>\r\nDATA\r\n")
			for _, want := range []string{"250", "250", "250", "354"} {
				c.expect(want)
			}
			c.write("Subject: x\r\n\r\nx\r\n.\r\n")
			c.expect(tt.want)
		})
	}
}

func TestGracefulShutdownMidData(t *testing.T) {
	h := newFake()
	addr, stop := start(t, &Server{Handler: h})
	busy := dial(t, addr)
	idle := dial(t, addr)
	idle.write("EHLO c.test\r\n")
	idle.expect("250")
	busy.write("EHLO c.test\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<support@example.nl>\r\nDATA\r\n")
	for _, want := range []string{"250", "250", "250", "354"} {
		busy.expect(want)
	}
	busy.write("Subject: net op tijd\r\n\r\nbegin\r\n")

	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	// The idle client is told to come back later and let go of.
	idle.expect("421 4.3.2")
	idle.closed()
	select {
	case err := <-stopped:
		t.Fatalf("Serve returned (%v) while a message was being transferred", err)
	default:
	}
	// New connections are refused.
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.SetReadDeadline(time.Now().Add(time.Second))
		if line, _ := bufio.NewReader(conn).ReadString('\n'); strings.HasPrefix(line, "220") {
			t.Error("a new connection was greeted after shutdown began")
		}
		conn.Close()
	}
	busy.write("einde\r\n.\r\n")
	busy.expect("250 2.0.0")
	busy.expect("421 4.3.2")
	busy.closed()
	if err := <-stopped; err != nil {
		t.Errorf("Serve returned %v, want nil", err)
	}
	got := h.deliveries()
	if len(got) != 1 || !strings.HasSuffix(got[0].data, "begin\r\neinde\r\n") {
		t.Errorf("deliveries = %v, want the whole message once", got)
	}
}

func TestParsePath(t *testing.T) {
	tests := []struct {
		in, addr, params string
		ok               bool
	}{
		{"<a@example.com>", "a@example.com", "", true},
		{" <a@example.com> SIZE=10", "a@example.com", "SIZE=10", true},
		{"<>", "", "", true},
		{"a@example.com", "a@example.com", "", true},
		{"<@r1.test,@r2.test:a@example.com>", "a@example.com", "", true},
		{`<"a b>c"@example.com>`, `"a b>c"@example.com`, "", true},
		{"<a@example.com", "", "", false},
		{"<a@example.com>junk", "", "", false},
		{"<a>", "", "", false},
		{"<@example.com>", "", "", false},
		{"<a@>", "", "", false},
		{"<a\x01@example.com>", "", "", false},
		{"<" + strings.Repeat("a", 300) + "@example.com>", "", "", false},
	}
	for _, tt := range tests {
		addr, params, err := parsePath(tt.in)
		if (err == nil) != tt.ok || addr != tt.addr || params != tt.params {
			t.Errorf("parsePath(%q) = %q, %q, %v; want %q, %q, ok %v", tt.in, addr, params, err, tt.addr, tt.params, tt.ok)
		}
	}
}

// afterReceived returns the message after the server's Received field.
func afterReceived(data string) string {
	rest := data
	for {
		i := strings.Index(rest, "\r\n")
		if i < 0 {
			return ""
		}
		rest = rest[i+2:]
		if !strings.HasPrefix(rest, "\t") {
			return rest
		}
	}
}
