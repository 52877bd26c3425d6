package outbound

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/balie-dev/balie/internal/channel/channeltest"
	"github.com/balie-dev/balie/internal/channel/email/mailparse"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

// TestSenderConformance runs the sender suite against a fake submission
// server on loopback: SMTP 4xx answers are temporary, 5xx final, and the
// Message-ID is the idempotency key receivers (and threading) see.
func TestSenderConformance(t *testing.T) {
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			channeltest.RunSender(t, func(t *testing.T) channeltest.SenderHarness {
				st := s.Open(t)
				srv := newSubmission(t)
				in := desk.Inbox{Name: "Acme", Channel: desk.ChannelEmail, PublicKey: "mail", Settings: map[string]string{
					SettingAddress: "support@example.nl", SettingSMTPHost: "127.0.0.1", SettingSMTPPort: srv.port,
					SettingSMTPTLS: TLSNone, SettingReplySecret: "reply-secret"}}
				if err := st.CreateInbox(context.Background(), &in); err != nil {
					t.Fatal(err)
				}
				return channeltest.SenderHarness{
					Kind: desk.ChannelEmail, Store: st, Inbox: in,
					Channel: New(Deps{Blob: memBlob{}, Store: st}),
					Customer: func(n int) desk.Contact {
						addr := fmt.Sprintf("klant%d@customer.example", n)
						return desk.Contact{Name: fmt.Sprint("Klant ", n), Email: addr,
							Identities: []desk.Identity{{Kind: desk.IdentityEmail, Value: addr}}}
					},
					Got:       srv.got,
					Fail:      srv.failNext,
					Temporary: []int{421, 451, 452},
					Permanent: []int{550, 552, 554},
				}
			})
		})
	}
}

// submission is a scripted submission server: it accepts every mail, or
// answers the end of DATA with a set code for the next few.
type submission struct {
	t    *testing.T
	port string

	mu       sync.Mutex
	accepted []channeltest.Sent
	code     int
	times    int
}

func newSubmission(t *testing.T) *submission {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &submission{t: t, port: strconv.Itoa(l.Addr().(*net.TCPAddr).Port)}
	var wg sync.WaitGroup
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				s.serve(conn)
			}()
		}
	}()
	t.Cleanup(func() { l.Close(); wg.Wait() })
	return s
}

func (s *submission) serve(conn net.Conn) {
	tp := textproto.NewConn(conn)
	tp.PrintfLine("220 submission.test ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, _, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			tp.PrintfLine("250-submission.test")
			tp.PrintfLine("250 8BITMIME")
		case "MAIL", "RCPT", "RSET", "NOOP":
			tp.PrintfLine("250 2.1.0 ok")
		case "DATA":
			tp.PrintfLine("354 go ahead")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			tp.PrintfLine("%s", s.take(data))
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("502 5.5.2 what?")
		}
	}
}

// take answers one transferred mail, keeping it when it is accepted.
func (s *submission) take(data []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.times > 0 {
		s.times--
		return fmt.Sprintf("%d %d.0.0 conformance failure", s.code, s.code/100)
	}
	msg, err := mailparse.Parse(bytes.NewReader(data), mailparse.Options{})
	if err != nil {
		s.t.Errorf("submitted mail does not parse: %v", err)
		return "554 5.6.0 unparsable"
	}
	s.accepted = append(s.accepted, channeltest.Sent{Text: strings.TrimRight(msg.Text, "\n"), Key: msg.MessageID})
	return "250 2.0.0 queued"
}

func (s *submission) got() []channeltest.Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]channeltest.Sent(nil), s.accepted...)
}

func (s *submission) failNext(code, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.code, s.times = code, times
}
