package app

import (
	"context"
	"net"
	"net/smtp"
	"strings"
	"testing"
	"time"

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
