package app

import (
	"bytes"
	"context"
	"net"
	"net/smtp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/channel/email/mailparse"
	"github.com/balie-dev/balie/internal/channel/email/smtpd"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

// TestEmailThroughSMTP: balie started with an SMTP address takes a mail for
// an email inbox from a real SMTP client and files it as a conversation of
// the sender; mail for an unknown address is refused.
func TestEmailThroughSMTP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	st := testenv.OpenSQLite(t)
	a, err := Assemble(st, Config{DataDir: t.TempDir(), SMTPAddr: addr, SMTPHostname: "mx.test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.Start(ctx)
	t.Cleanup(func() { cancel(); a.Wait() })
	in := &desk.Inbox{Name: "Klantenservice", Channel: desk.ChannelEmail, PublicKey: "mail",
		Settings: map[string]string{"address": "klantenservice@despaak.example"}}
	if err := a.Store.CreateInbox(ctx, in); err != nil {
		t.Fatal(err)
	}
	msg := "From: Jan de Boer <jan@example.nl>\r\nTo: klantenservice@despaak.example\r\nSubject: Bestelling 1004321\r\n" +
		"Message-ID: <m1@example.nl>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nWaar blijft mijn fiets?\r\n"
	var sendErr error
	for range 50 { // the server may still be starting
		if sendErr = smtp.SendMail(addr, nil, "jan@example.nl", []string{"klantenservice@despaak.example"}, []byte(msg)); sendErr == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if sendErr != nil {
		t.Fatal(sendErr)
	}
	c, err := a.Store.ContactByIdentity(ctx, desk.IdentityEmail, "jan@example.nl")
	if err != nil {
		t.Fatal(err)
	}
	convs, _ := a.Store.ConversationsOfContact(ctx, c.ID, 10)
	if len(convs) != 1 || convs[0].Subject != "Bestelling 1004321" || convs[0].Channel != desk.ChannelEmail {
		t.Fatalf("conversations = %+v", convs)
	}
	if err := smtp.SendMail(addr, nil, "x@example.nl", []string{"nobody@despaak.example"}, []byte(msg)); err == nil ||
		!strings.Contains(err.Error(), "550") {
		t.Errorf("mail for an unknown address: err = %v, want 550", err)
	}
}

// capture is a mail server that keeps what it is given (the customer's
// provider, in TestEmailRoundTrip).
type capture struct {
	mu   sync.Mutex
	mail [][]byte
}

func (c *capture) Recipient(context.Context, string) error { return nil }

func (c *capture) Deliver(_ context.Context, _ smtpd.Envelope, data []byte) error {
	c.mu.Lock()
	c.mail = append(c.mail, data)
	c.mu.Unlock()
	return nil
}

func (c *capture) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.mail)
}

// TestEmailRoundTrip: a customer mails balie; the agent's reply leaves by
// SMTP to the customer's mail server, as a reply to their mail; the
// customer's answer to it lands in the same conversation.
func TestEmailRoundTrip(t *testing.T) {
	free := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}
	balieAddr := free()
	customerMX := &capture{}
	mxl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	mx := &smtpd.Server{Hostname: "mx.example.nl", Handler: customerMX}
	go mx.Serve(ctx, mxl)

	st := testenv.OpenSQLite(t)
	a, err := Assemble(st, Config{DataDir: t.TempDir(), SMTPAddr: balieAddr, SMTPHostname: "mx.despaak.test"})
	if err != nil {
		t.Fatal(err)
	}
	a.Start(ctx)
	t.Cleanup(func() { cancel(); a.Wait() })
	host, port, _ := net.SplitHostPort(mxl.Addr().String())
	in := &desk.Inbox{Name: "Klantenservice", Channel: desk.ChannelEmail, PublicKey: "mail2",
		Settings: map[string]string{"address": "klantenservice@despaak.test", "from_name": "De Spaak",
			"smtp_host": host, "smtp_port": port, "smtp_tls": "none", "reply_secret": "reply-secret-0123456789"}}
	if err := a.Store.CreateInbox(ctx, in); err != nil {
		t.Fatal(err)
	}
	send := func(msg string) {
		t.Helper()
		var err error
		for range 50 {
			if err = smtp.SendMail(balieAddr, nil, "jan@example.nl", []string{"klantenservice@despaak.test"}, []byte(msg)); err == nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatal(err)
	}
	send("From: Jan <jan@example.nl>\r\nTo: klantenservice@despaak.test\r\nSubject: Zadelpen\r\nMessage-ID: <q1@example.nl>\r\n\r\nPast een zadelpen van 27,2 mm?\r\n")
	c, err := a.Store.ContactByIdentity(ctx, desk.IdentityEmail, "jan@example.nl")
	if err != nil {
		t.Fatal(err)
	}
	convs, _ := a.Store.ConversationsOfContact(ctx, c.ID, 10)
	if len(convs) != 1 {
		t.Fatalf("conversations = %d, want 1", len(convs))
	}
	agent, err := a.Agents.Create(ctx, "anna@despaak.test", "Anna", desk.RoleAgent, "nl", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Conversations.Reply(ctx, conversation.Actor{AgentID: agent.ID, Name: agent.Name}, convs[0].ID, "Ja, die past.", nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200 && customerMX.count() == 0; i++ {
		a.Outbox.Kick()
		time.Sleep(20 * time.Millisecond)
	}
	if customerMX.count() != 1 {
		t.Fatalf("the customer's server got %d mails, want 1", customerMX.count())
	}
	got, err := mailparse.Parse(bytes.NewReader(customerMX.mail[0]), mailparse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != "Re: Zadelpen" || got.InReplyTo != "q1@example.nl" || !strings.Contains(got.Text, "Ja, die past.") ||
		len(got.ReplyTo) != 1 || !strings.HasPrefix(got.ReplyTo[0].Addr, "klantenservice+c") {
		t.Errorf("reply = subject %q in-reply-to %q reply-to %v text %q", got.Subject, got.InReplyTo, got.ReplyTo, got.Text)
	}
	// The customer answers the reply: it threads by In-Reply-To.
	send("From: Jan <jan@example.nl>\r\nTo: klantenservice@despaak.test\r\nSubject: Re: Zadelpen\r\nMessage-ID: <q2@example.nl>\r\n" +
		"In-Reply-To: <" + got.MessageID + ">\r\n\r\nDank je!\r\n\r\nOp 26 nov schreef De Spaak:\r\n> Ja, die past.\r\n")
	convs, _ = a.Store.ConversationsOfContact(ctx, c.ID, 10)
	msgs, _ := a.Store.ListMessages(ctx, convs[0].ID, 0, 10)
	if len(convs) != 1 || len(msgs) != 3 || msgs[2].Body != "Dank je!" {
		t.Errorf("after the answer: %d conversations, messages %+v", len(convs), msgs)
	}
}
