package front_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/flow"
	"github.com/balie-dev/balie/internal/front"
)

// TestBotRunsAFlow: a technical question the knowledge base cannot answer
// gets the category's guided flow, with numbered choices; a customer who
// answers in words gets through it; one who ends in a hand-over leaves the
// flow's path in the agents' note.
func TestBotRunsAFlow(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		flows := flow.New(f.st, f.clock, flow.Options{Articles: f.kb})
		def := fmt.Sprintf(`{"start": "light", "steps": [
			{"id": "light", "kind": "question", "text": "Wat doet het lampje op de lader?",
			 "options": [{"label": "Groen", "next": "plug"}, {"label": "Rood knipperend", "next": "agent"}]},
			{"id": "plug", "kind": "question", "text": "Werkt het met een ander stopcontact?",
			 "options": [{"label": "Ja", "next": "solved"}, {"label": "Nee", "next": "agent"}]},
			{"id": "solved", "kind": "end", "outcome": "solved"},
			{"id": "agent", "kind": "end", "outcome": "handover", "team": %d, "text": "Een monteur kijkt mee."}]}`, f.team.ID)
		fl, err := flows.Create(ctx, flow.Input{Locale: "nl", Title: "Accu laadt niet op", Category: "technical", Definition: def})
		must(t, err)
		if _, err := flows.Publish(ctx, f.agent, fl.ID); err != nil {
			t.Fatal(err)
		}
		cats := front.DefaultCategories
		for i := range cats {
			if cats[i].Key == "technical" {
				cats[i].FlowGroupID = fl.GroupID
			}
		}
		must(t, f.front.SetCategories(ctx, cats))
		f.bot = f.front.NewBot(front.BotOptions{KB: f.kb, Flows: front.FlowsFrom(flows, f.st, "https://help.example.com")})

		c := f.say(t, 0, "Mijn accu laadt niet meer op")
		said := f.botSaid(t, c.ID)
		if len(said) != 1 || !strings.Contains(said[0], "stap voor stap") || !strings.Contains(said[0], "1. Groen  2. Rood knipperend") {
			t.Fatalf("bot said %q, want the flow's first question with numbered choices", said)
		}
		f.say(t, c.ID, "1")
		c = f.say(t, c.ID, "nee, nog steeds niet")
		said = f.botSaid(t, c.ID)
		if last := said[len(said)-1]; !strings.Contains(last, "Een monteur kijkt mee.") || !strings.Contains(last, "collega") {
			t.Errorf("after the flow's hand-over the bot said %q", last)
		}
		notes := f.notes(t, c.ID)
		if len(notes) != 1 || !strings.Contains(notes[0], `Flow "Accu laadt niet op"`) || !strings.Contains(notes[0], `"Groen"`) {
			t.Errorf("hand-over note = %q, want the flow's path", notes)
		}
		runs, err := f.st.ConversationFlowRuns(ctx, c.ID)
		if err != nil || len(runs) != 1 || runs[0].Outcome != desk.FlowHandover {
			t.Errorf("flow runs = %+v, %v; want one ended in a hand-over", runs, err)
		}
	})
}
