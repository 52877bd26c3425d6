package mailauth_test

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/balie-dev/balie/internal/channel/email/mailauth"
	"github.com/balie-dev/balie/internal/channel/email/outbound"
	"github.com/balie-dev/balie/internal/channel/email/smtpd"
	"github.com/balie-dev/balie/internal/desk"
)

// catcher is an smtpd.Handler that keeps the last mail.
type catcher struct {
	mu   sync.Mutex
	env  smtpd.Envelope
	data []byte
}

func (c *catcher) Recipient(context.Context, string) error { return nil }

func (c *catcher) Deliver(_ context.Context, env smtpd.Envelope, data []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.env, c.data = env, bytes.Clone(data)
	return nil
}

// dnsMap is a mailauth.Resolver with TXT records only.
type dnsMap map[string][]string

func (m dnsMap) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := m[strings.TrimSuffix(name, ".")]; ok {
		return v, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (m dnsMap) LookupIPAddr(_ context.Context, name string) ([]net.IPAddr, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (m dnsMap) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

// A reply sent by balie's own outbound channel, received by balie's own
// SMTP server, passes SPF, DKIM and DMARC: the signer and the verifier
// were written apart and must agree.
func TestOutboundMailVerifies(t *testing.T) {
	for _, kind := range []string{"rsa", "ed25519"} {
		t.Run(kind, func(t *testing.T) {
			key, err := outbound.GenerateKey(kind)
			if err != nil {
				t.Fatal(err)
			}
			record, err := outbound.DNSRecord(key)
			if err != nil {
				t.Fatal(err)
			}

			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			c := &catcher{}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			srv := &smtpd.Server{Hostname: "mx.balie.test", Handler: c}
			go func() { done <- srv.Serve(ctx, l) }()
			defer func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("serve: %v", err)
				}
			}()

			ch := outbound.New(outbound.Deps{Hostname: "out.example.nl"})
			out := desk.Outbound{
				Inbox: desk.Inbox{ID: 7, Name: "Acme", Channel: desk.ChannelEmail, Settings: map[string]string{
					outbound.SettingAddress: "support@example.nl", outbound.SettingFromName: "Klantenservice Acmé",
					outbound.SettingSMTPHost: "127.0.0.1", outbound.SettingSMTPPort: strconv.Itoa(l.Addr().(*net.TCPAddr).Port),
					outbound.SettingSMTPTLS:      outbound.TLSNone,
					outbound.SettingDKIMSelector: "balie2026", outbound.SettingDKIMKey: key,
				}},
				Conversation: desk.Conversation{ID: 42, InboxID: 7, Subject: "Bestelling 1234 – waar blijft mijn pakket?"},
				Contact:      desk.Contact{ID: 3, Name: "Jan de Vries", Email: "jan@customer.example"},
				Message: desk.Message{ID: 5, ConversationID: 42, Kind: desk.KindMessage, Sender: desk.SenderAgent,
					Body: "Beste Jan,\n\nUw pakket is  onderweg.\t\n\nMet vriendelijke groet,\nAcme\n\n"},
				IdempotencyKey: "outbox-1",
			}
			if _, err := ch.Send(context.Background(), out); err != nil {
				t.Fatalf("send: %v", err)
			}
			c.mu.Lock()
			env, data := c.env, c.data
			c.mu.Unlock()

			host, _, _ := net.SplitHostPort(env.RemoteAddr)
			dns := dnsMap{
				"example.nl":                      {"v=spf1 ip4:127.0.0.0/8 -all"},
				"balie2026._domainkey.example.nl": {record},
				"_dmarc.example.nl":               {"v=DMARC1; p=reject"},
			}
			res := mailauth.Verify(context.Background(), dns, mailauth.Input{
				RemoteIP: net.ParseIP(host), Helo: env.HeloName, MailFrom: env.From, Message: data,
			})
			want := mailauth.Result{SPF: "pass", SPFDomain: "example.nl", SPFScope: "mailfrom",
				DKIM: "pass", DKIMDomain: "example.nl", FromDomain: "example.nl", DMARC: "pass", DMARCPolicy: "reject"}
			got := res
			got.Reason = ""
			if got != want {
				t.Errorf("Verify =\n%+v\nwant\n%+v\n%s", got, want, data)
			}

			// A relay that rewrites the subject breaks the signature.
			tampered := bytes.Replace(data, []byte("Subject: "), []byte("Subject: [EXTERNAL] "), 1)
			res = mailauth.Verify(context.Background(), dns, mailauth.Input{
				RemoteIP: net.ParseIP("198.51.100.1"), Helo: env.HeloName, MailFrom: env.From, Message: tampered,
			})
			if res.SPF != "fail" || res.DKIM != "fail" || res.DMARC != "fail" {
				t.Errorf("tampered mail from elsewhere: SPF %s, DKIM %s, DMARC %s; want all fail (%s)", res.SPF, res.DKIM, res.DMARC, res.Reason)
			}
		})
	}
}
