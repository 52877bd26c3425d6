package front_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
)

func TestSuggestedReplies(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		f.inbox.Settings = map[string]string{} // no bot: agents answer
		must(t, f.st.UpdateInbox(ctx, f.inbox))
		f.conv.InvalidateCaches()
		agent, err := f.st.AgentByID(ctx, f.agent.ID)
		must(t, err)
		retour := &desk.SavedReply{Locale: "nl", Title: "Retour aanmelden", Category: "returns", Shortcut: "/retour",
			Body: "Hoi {{contact.first_name}}, je kunt bestelling {{order.number}} retour melden via Mijn account. Groet, {{agent.first_name}}"}
		must(t, f.front.SaveReply(ctx, agent, retour))
		other := &desk.SavedReply{Locale: "nl", Title: "Openingstijden", Category: "other", Body: "We zijn open van 9 tot 17."}
		must(t, f.front.SaveReply(ctx, agent, other))
		if err := f.front.SaveReply(ctx, agent, &desk.SavedReply{Locale: "nl", Title: "x", Body: "y", Shortcut: "retour"}); !errors.Is(err, desk.ErrInvalid) {
			t.Errorf("bad shortcut: err = %v", err)
		}
		if err := f.front.SaveReply(ctx, agent, &desk.SavedReply{Locale: "nl", Title: "x", Body: "y", Shortcut: "/retour"}); !errors.Is(err, desk.ErrConflict) {
			t.Errorf("taken shortcut: err = %v", err)
		}

		// An earlier conversation where a colleague answered a similar question.
		old := f.say(t, 0, "Mijn kettingslot is kwijt, hebben jullie een reservesleutel?")
		if _, err := f.conv.Reply(ctx, conversation.Actor{AgentID: agent.ID, Name: agent.Name}, old.ID,
			"Ja, stuur ons het sleutelnummer dan sturen we een reservesleutel.", nil); err != nil {
			t.Fatal(err)
		}
		resolved := desk.StatusResolved
		if _, err := f.conv.Update(ctx, conversation.Actor{AgentID: agent.ID}, old.ID, conversation.Change{Status: &resolved}); err != nil {
			t.Fatal(err)
		}

		f.n++
		res, err := f.conv.Ingest(ctx, desk.Inbound{InboxID: f.inbox.ID, ExternalID: "new", NewConversation: true,
			Body: "Ik wil bestelling 1004321 terugsturen, hoe doe ik dat?", FromName: "Jan de Boer",
			From: desk.Identity{Kind: desk.IdentityEmail, Value: "jan@example.nl"}})
		must(t, err)
		f.bot.Handle(ctx, res.Conversation.ID, res.Message)
		got, err := f.front.Suggest(ctx, agent, res.Conversation.ID)
		must(t, err)
		if len(got) == 0 || got[0].Kind != "saved" || got[0].Title != "Retour aanmelden" {
			t.Fatalf("suggestions = %+v, want the returns reply first", got)
		}
		if want := "Hoi Jan, je kunt bestelling 1004321 retour melden via Mijn account. Groet, Sanne"; got[0].Body != want {
			t.Errorf("filled body = %q, want %q", got[0].Body, want)
		}

		// A question like the earlier one brings the colleague's answer.
		f.n++
		res2, err := f.conv.Ingest(ctx, desk.Inbound{InboxID: f.inbox.ID, ExternalID: "new2", NewConversation: true,
			Body: "Ik ben de sleutel van mijn kettingslot kwijt", From: desk.Identity{Kind: desk.IdentityEmail, Value: "piet@example.nl"}})
		must(t, err)
		got, err = f.front.Suggest(ctx, agent, res2.Conversation.ID)
		must(t, err)
		found := false
		for _, s := range got {
			if s.Kind == "reply" && strings.Contains(s.Body, "reservesleutel") {
				found = true
			}
		}
		if !found {
			t.Errorf("suggestions = %+v, want the colleague's earlier answer", got)
		}

		// Picking counts as a use and as a learned pick.
		must(t, f.front.UsedSuggestion(ctx, agent, res.Conversation.ID, "saved", got[0].Ref, false))
		if err := f.front.UsedSuggestion(ctx, agent, res.Conversation.ID, "bogus", "1", false); !errors.Is(err, desk.ErrInvalid) {
			t.Errorf("bad kind: err = %v", err)
		}
	})
}
