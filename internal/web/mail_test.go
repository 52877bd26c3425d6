package web

import (
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

func TestSenderWarning(t *testing.T) {
	customer := func(meta map[string]string) desk.Message {
		return desk.Message{Kind: desk.KindMessage, Sender: desk.SenderContact, Meta: meta}
	}
	form := map[string]string{desk.MetaSenderUnverified: desk.SenderFromForm}
	tests := []struct {
		name string
		msgs []desk.Message
		want string
	}{
		{name: "no messages", want: ""},
		{name: "plain customer message", msgs: []desk.Message{customer(nil)}, want: ""},
		{name: "contact form", msgs: []desk.Message{customer(form)}, want: "contact_form"},
		{name: "unknown source still warns", msgs: []desk.Message{customer(map[string]string{desk.MetaSenderUnverified: "kiosk"})},
			want: "other"},
		{name: "mail passing DMARC", msgs: []desk.Message{customer(map[string]string{desk.MetaEmailAuth: "spf=pass dmarc=pass"})},
			want: ""},
		{name: "mail failing DMARC", msgs: []desk.Message{customer(map[string]string{desk.MetaEmailAuth: "spf=pass dmarc=fail"})},
			want: "mail"},
		{name: "form outweighs failed mail, in any order",
			msgs: []desk.Message{customer(map[string]string{desk.MetaEmailAuth: "dmarc=fail"}), customer(nil), customer(form)},
			want: "contact_form"},
		// Only the customer's own words count: a mark copied onto an agent's
		// reply or a note says nothing about the customer.
		{name: "agent message with the mark",
			msgs: []desk.Message{{Kind: desk.KindMessage, Sender: desk.SenderAgent, Meta: form}}, want: ""},
		{name: "note with the mark",
			msgs: []desk.Message{{Kind: desk.KindNote, Sender: desk.SenderContact, Meta: form}}, want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := (conversationData{Messages: tc.msgs}).SenderWarning(); got != tc.want {
				t.Errorf("SenderWarning() = %q, want %q", got, tc.want)
			}
		})
	}
}
