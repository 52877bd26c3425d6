package demo

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/flow"
	"github.com/balie-dev/balie/internal/front"
)

// The demo front line: categories routed to De Spaak's teams, a guided
// flow for an e-bike battery that will not charge (in Dutch and English),
// and saved replies. The web chat's bot (inbox settings) uses them.

const batteryFlowNL = `{"start": "light", "steps": [
  {"id": "light", "kind": "question", "text": "Wat doet het lampje op de lader als je hem aansluit?",
   "options": [{"label": "Het brandt groen", "next": "socket"}, {"label": "Het knippert rood", "next": "agent"},
               {"label": "Er brandt niets", "next": "cable"}]},
  {"id": "cable", "kind": "message", "text": "Controleer of de stekker goed in het stopcontact en in de accu zit.", "next": "socket"},
  {"id": "socket", "kind": "question", "text": "Laadt de accu op met een ander stopcontact?",
   "options": [{"label": "Ja", "next": "solved"}, {"label": "Nee", "next": "article"}]},
  {"id": "article", "kind": "article", "article": %d, "next": "agent"},
  {"id": "solved", "kind": "end", "outcome": "solved", "text": "Dan lag het aan het stopcontact. Fijne rit!"},
  {"id": "agent", "kind": "end", "outcome": "handover", "team": %d,
   "text": "Dan kijkt een monteur van de werkplaats met je mee."}]}`

const batteryFlowEN = `{"start": "light", "steps": [
  {"id": "light", "kind": "question", "text": "What does the light on the charger do when you plug it in?",
   "options": [{"label": "It is green", "next": "socket"}, {"label": "It blinks red", "next": "agent"},
               {"label": "Nothing lights up", "next": "cable"}]},
  {"id": "cable", "kind": "message", "text": "Check that the plug is firmly in the socket and in the battery.", "next": "socket"},
  {"id": "socket", "kind": "question", "text": "Does the battery charge from another socket?",
   "options": [{"label": "Yes", "next": "solved"}, {"label": "No", "next": "article"}]},
  {"id": "article", "kind": "article", "article": %d, "next": "agent"},
  {"id": "solved", "kind": "end", "outcome": "solved", "text": "Then it was the socket. Enjoy your ride!"},
  {"id": "agent", "kind": "end", "outcome": "handover", "team": %d,
   "text": "A mechanic from our workshop will help you further."}]}`

func (s *seeder) seedFront(ctx context.Context) error {
	flows := flow.New(s.st, s.clock, flow.Options{})
	author := s.agents["mark"]
	battery, err := s.st.ArticleBySlug(ctx, "nl", "e-bike-accu-opladen")
	if err != nil {
		return fmt.Errorf("flow article: %w", err)
	}
	svc := s.teams[service].ID
	nl, err := flows.Create(ctx, flow.Input{Locale: "nl", Slug: "accu-laadt-niet-op", Title: "Mijn e-bike-accu laadt niet op",
		Description: "Stap voor stap uitzoeken waarom je accu niet oplaadt.", Category: "technical",
		Definition: fmt.Sprintf(batteryFlowNL, battery.GroupID, svc)})
	if err != nil {
		return fmt.Errorf("flow: %w", err)
	}
	en, err := flows.Create(ctx, flow.Input{Locale: "en", Slug: "battery-does-not-charge", Title: "My e-bike battery does not charge",
		Description: "Find out step by step why your battery does not charge.", Category: "technical", TranslationOf: nl.ID,
		Definition: fmt.Sprintf(batteryFlowEN, battery.GroupID, svc)})
	if err != nil {
		return fmt.Errorf("flow: %w", err)
	}
	for _, f := range []*desk.Flow{nl, en} {
		if _, err := flows.Publish(ctx, author, f.ID); err != nil {
			return fmt.Errorf("publish flow %s: %w", f.Slug, err)
		}
	}

	fr := front.New(s.st, conversation.New(s.st, nopBus{}, s.clock, slog.New(slog.DiscardHandler), conversation.Options{}),
		s.clock, slog.New(slog.DiscardHandler), front.Options{})
	cats := append([]front.Category(nil), front.DefaultCategories...)
	for i := range cats {
		switch cats[i].Key {
		case "order", "returns":
			cats[i].TeamID = s.teams[logistics].ID
		case "billing":
			cats[i].TeamID = s.teams[finance].ID
		case "technical":
			cats[i].FlowGroupID = nl.GroupID
		}
	}
	if err := fr.SetCategories(ctx, cats); err != nil {
		return fmt.Errorf("categories: %w", err)
	}
	replies := []desk.SavedReply{
		{Locale: "nl", Title: "Retour aanmelden", Category: "returns", Shortcut: "/retour",
			Body: "Hoi {{contact.first_name}}, je kunt bestelling {{order.number}} retour melden via Mijn account → Bestellingen. Fietsen halen we gratis bij je op. Groet, {{agent.first_name}}"},
		{Locale: "nl", Title: "Track & trace opnieuw sturen", Category: "order", Shortcut: "/tt",
			Body: "Hoi {{contact.first_name}}, ik heb de track-and-tracelink van bestelling {{order.number}} opnieuw naar je gemaild. Groet, {{agent.first_name}}"},
		{Locale: "nl", Title: "Factuur met btw", Category: "billing", TeamID: s.teams[finance].ID,
			Body: "Hoi {{contact.first_name}}, de factuur van bestelling {{order.number}} met btw-specificatie staat in Mijn account → Facturen. Groet, {{agent.first_name}}"},
		{Locale: "en", Title: "Return an order", Category: "returns", Shortcut: "/return",
			Body: "Hi {{contact.first_name}}, you can return order {{order.number}} in My account → Orders; we collect bikes for free. Best, {{agent.first_name}}"},
	}
	for i := range replies {
		if err := fr.SaveReply(ctx, author, &replies[i]); err != nil {
			return fmt.Errorf("saved reply %q: %w", replies[i].Title, err)
		}
	}
	// The help center's contact page (helpcenter.ContactConfig): the email
	// form and callback requests land in the mail inbox.
	contact := fmt.Sprintf(`{"inbox_id":%d,"email_form":true,"callback":true,"phone":"030 123 45 67","phone_hours":"ma–vr 9–17 uur"}`,
		s.inboxes[mail].ID)
	if err := s.st.SetSetting(ctx, "helpcenter.contact", contact); err != nil {
		return fmt.Errorf("contact settings: %w", err)
	}
	return nil
}
