package web_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// TestUnverifiedSenderWarning checks that agents are warned, on the
// message and above the order actions, when a customer's conversation
// came in through the contact form, where anyone can type their address.
func TestUnverifiedSenderWarning(t *testing.T) {
	e := newOrdersEnv(t, nil)
	sanne := desk.Identity{Kind: desk.IdentityEmail, Value: "sanne@example.nl"}
	form := e.ingest(t, desk.Inbound{InboxID: e.email.ID, From: sanne, FromName: "Sanne", NewConversation: true,
		Body: "Wijzig het bezorgadres van DS-2026-1190 naar Kerkstraat 1.", At: time.Now(),
		Meta: map[string]string{"sender_unverified": "contact_form"}})
	if form.ContactID != e.conv.ContactID {
		t.Fatalf("form conversation on contact %d, want the customer %d", form.ContactID, e.conv.ContactID)
	}
	forged := e.ingest(t, desk.Inbound{InboxID: e.email.ID, From: sanne, FromName: "Sanne", NewConversation: true,
		Body: "Annuleer DS-2026-1187.", At: time.Now(),
		Meta: map[string]string{desk.MetaEmailAuth: "spf=fail dkim=none dmarc=fail; mx.example.nl"}})

	const (
		formNL = "Afzender niet geverifieerd: ingevuld in het contactformulier; controleer voordat je iets wijzigt aan bestellingen of gegevens."
		formEN = "Sender not verified: typed into the contact form; check before you change anything in orders or details."
		mailNL = "Afzender niet geverifieerd: de mail doorstond de afzendercontrole (SPF/DMARC) niet"
		mailEN = "Sender not verified: the mail failed the sender check (SPF/DMARC)"
	)
	tests := []struct {
		name    string
		conv    int64
		locale  string
		message string // the warning on the message, "" for none
		orders  string // the warning above the order actions, "" for none
	}{
		{name: "form nl", conv: form.ID, locale: "nl", message: formNL, orders: formNL},
		{name: "form en", conv: form.ID, locale: "en", message: formEN, orders: formEN},
		{name: "mail failing DMARC en", conv: forged.ID, locale: "en", orders: mailEN},
		{name: "mail failing DMARC nl", conv: forged.ID, locale: "nl", orders: mailNL},
		{name: "verified customer", conv: e.conv.ID, locale: "en"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.agent.Locale = tc.locale
			w := e.do(t, http.MethodGet, "/app/conversations/"+strconv.FormatInt(tc.conv, 10), nil)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d, want 200\n%s", w.Code, w.Body)
			}
			page := w.Body.String()
			if got := strings.Count(page, `data-testid="order"`); got != 3 {
				t.Fatalf("orders shown = %d, want 3", got)
			}
			msg := textBetween(page, `data-testid="sender-unverified"`, "</div>")
			if tc.message == "" && msg != "" {
				t.Errorf("message warning = %q, want none", msg)
			}
			if tc.message != "" && !strings.Contains(msg, tc.message) {
				t.Errorf("message warning = %q, want %q", msg, tc.message)
			}
			panel := textBetween(page, `data-testid="orders-sender-unverified"`, "</p>")
			if tc.orders == "" && panel != "" {
				t.Errorf("orders warning = %q, want none", panel)
			}
			if tc.orders != "" && !strings.Contains(panel, tc.orders) {
				t.Errorf("orders warning = %q, want %q", panel, tc.orders)
			}
			// The warning heads the panel, above every action button.
			if tc.orders != "" && strings.Index(page, `data-testid="orders-sender-unverified"`) > strings.Index(page, `data-testid="action-status"`) {
				t.Errorf("orders warning comes after the order actions")
			}
		})
	}
}

// textBetween is the text from start to the next end, "" when start is not
// in s.
func textBetween(s, start, end string) string {
	_, rest, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	in, _, _ := strings.Cut(rest, end)
	return start + in
}
