package storetest

import (
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

var topicTests = []test{
	{"first messages of conversations in a period", func(t *testing.T, s desk.Store) {
		in := newInbox(t, s, "chat", desk.ChannelWebChat)
		c := newContact(t, s, "Jan", "", "")
		agent := &desk.Agent{Email: "a@example.nl", Name: "Anna", Role: desk.RoleAgent, Locale: "nl"}
		must(t, s.CreateAgent(ctx(t), agent), "CreateAgent")

		// Before the period, in it (three), after it.
		early := newConversation(t, s, in, c, at(0))
		newMessage(t, s, early, desk.KindMessage, desk.SenderContact, c.ID, "te vroeg")
		a := newConversation(t, s, in, c, at(10))
		// An agent wrote first and a note came before the customer's message:
		// neither is what the customer came with.
		newMessage(t, s, a, desk.KindMessage, desk.SenderAgent, agent.ID, "Kan ik helpen?")
		newMessage(t, s, a, desk.KindNote, desk.SenderAgent, agent.ID, "notitie")
		newMessage(t, s, a, desk.KindMessage, desk.SenderContact, c.ID, "Betaling mislukt")
		newMessage(t, s, a, desk.KindMessage, desk.SenderContact, c.ID, "nog steeds")
		b := newConversation(t, s, in, c, at(20))
		newMessage(t, s, b, desk.KindMessage, desk.SenderContact, c.ID, "Pakket niet bezorgd")
		silent := newConversation(t, s, in, c, at(25)) // no customer message: left out
		newMessage(t, s, silent, desk.KindMessage, desk.SenderAgent, agent.ID, "Hallo?")
		late := newConversation(t, s, in, c, at(60))
		newMessage(t, s, late, desk.KindMessage, desk.SenderContact, c.ID, "te laat")

		got, err := s.FirstMessages(ctx(t), at(5), at(60), 0)
		must(t, err, "FirstMessages")
		want := []desk.FirstMessage{
			{ConversationID: a.ID, Channel: desk.ChannelWebChat, Text: "Betaling mislukt", At: at(10)},
			{ConversationID: b.ID, Channel: desk.ChannelWebChat, Text: "Pakket niet bezorgd", At: at(20)},
		}
		if len(got) != len(want) {
			t.Fatalf("FirstMessages = %+v, want %+v", got, want)
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.ConversationID != w.ConversationID || g.Text != w.Text || g.Channel != w.Channel {
				t.Errorf("item %d = %+v, want %+v", i, g, w)
			}
			checkTime(t, "At", g.At, w.At)
		}
		got, err = s.FirstMessages(ctx(t), at(5), at(60), 1)
		must(t, err, "FirstMessages limited")
		if len(got) != 1 || got[0].ConversationID != a.ID {
			t.Errorf("FirstMessages limit 1 = %+v, want only the oldest", got)
		}
	}},
}
