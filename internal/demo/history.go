package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/analytics/forecast"
	"github.com/balie-dev/balie/internal/desk"
)

// History: eight weeks of finished conversations behind the scripted ones,
// so that the reports, the staffing forecast and the recurring problems
// have something to show. Arrivals per hour follow forecast.Synthetic (the
// pattern of a Dutch web shop: Monday peak, lunch dip, evening chat),
// thinned to a shop of De Spaak's size: about 3,500 conversations. They
// are written straight to the store, a customer message and a reply each,
// in a few large transactions, so the demo still starts in about a
// second; the rollups are built by the analytics job when balie starts.

// historyWeeks is how far back the history goes.
const historyWeeks = 8

// historyChannel is one inbox's share of the history.
type historyChannel struct {
	inbox string
	shape string  // forecast.Synthetic's channel
	keep  float64 // fraction of Synthetic's arrivals kept
	// bot is the share the bot settles alone (no hand-over, no reply).
	bot float64
	// reply and resolve are the median minutes to first reply and to
	// resolution when a person handles it.
	reply, resolve float64
}

func historyChannels() []historyChannel {
	return []historyChannel{
		{inbox: chat, shape: "chat", keep: 0.055, bot: 0.28, reply: 3, resolve: 25},
		{inbox: mail, shape: "email", keep: 0.05, reply: 180, resolve: 600},
		{inbox: app, shape: "whatsapp", keep: 0.03, bot: 0.2, reply: 20, resolve: 90},
	}
}

// historyTopic is what customers write about: a category, how often, and
// first messages in Dutch and English with {n} for an order number and
// {p} for a product.
type historyTopic struct {
	category string
	weight   float64
	nl, en   []string
}

func historyTopics() []historyTopic {
	return []historyTopic{
		{"order", 0.34, []string{
			"Waar blijft mijn bestelling {n}? Ik heb nog geen track & trace ontvangen.",
			"Mijn bestelling {n} staat al drie dagen op 'onderweg', wanneer wordt de {p} bezorgd?",
			"Kan ik de bezorgdatum van bestelling {n} nog wijzigen? Ik ben donderdag niet thuis.",
			"De bezorger heeft een briefje achtergelaten maar de {p} is niet bij de buren. Bestelling {n}.",
			"Is de {p} op voorraad? Op de site staat levertijd 2 weken.",
		}, []string{
			"Where is my order {n}? I have not received a tracking link yet.",
			"When will my {p} be delivered? Order {n} has been in transit for days.",
		}},
		{"returns", 0.2, []string{
			"Ik wil de {p} retourneren, hij is te groot. Hoe meld ik de retour aan voor bestelling {n}?",
			"Wanneer krijg ik mijn geld terug voor de retour van bestelling {n}?",
			"De {p} is beschadigd aangekomen, kan ik hem ruilen? Bestelling {n}.",
			"Komen jullie de {p} ophalen voor de retour of moet ik hem zelf terugsturen?",
		}, []string{
			"I want to return the {p}, it is too big. How do I register the return for order {n}?",
			"When will I get my refund for the return of order {n}?",
		}},
		{"billing", 0.14, []string{
			"Ik heb twee keer betaald voor bestelling {n}, kunnen jullie één betaling terugstorten?",
			"Mijn iDEAL-betaling is mislukt maar het geld is wel van mijn rekening af. Bestelling {n}.",
			"Kan ik een factuur met btw krijgen van bestelling {n}? Het is voor de zaak.",
			"Kan ik de {p} ook in termijnen betalen?",
		}, []string{
			"I was charged twice for order {n}, can you refund one payment?",
			"Can I get a VAT invoice for order {n}?",
		}},
		{"technical", 0.2, []string{
			"De accu van mijn {p} laadt niet meer op, het lampje van de lader blijft rood knipperen.",
			"Mijn {p} geeft geen ondersteuning meer, de motor doet niets terwijl de accu vol is.",
			"De versnelling van de {p} slaat door in de lichtste versnellingen, moet hij afgesteld worden?",
			"De schijfremmen van mijn {p} piepen heel erg sinds de eerste rit in de regen.",
			"Hoe ver kom ik met de accu van de {p} in de winter? Ik haal nog maar 40 km.",
		}, []string{
			"The battery of my {p} does not charge any more, the charger light keeps blinking red.",
			"My {p} gives no assistance, the motor does nothing although the battery is full.",
		}},
		{"complaint", 0.05, []string{
			"Ik ben erg ontevreden: de {p} is nu al twee keer kapot en niemand belt mij terug.",
			"Al een week geen antwoord op mijn mail over bestelling {n}. Dit is echt slechte service.",
		}, []string{
			"Very disappointed: my {p} broke down twice and nobody calls me back.",
		}},
		{"other", 0.07, []string{
			"Hebben jullie ook een winkel waar ik de {p} kan proefrijden?",
			"Kan ik een cadeaubon kopen voor een fietsonderhoudsbeurt?",
			"Verkopen jullie ook kinderzitjes die passen op de {p}?",
		}, []string{
			"Do you have a store where I can test ride the {p}?",
		}},
	}
}

// surgeTexts are the first messages of a problem that started this week:
// a firmware update that broke the display of one e-bike. The recurring
// problems page should flag it.
func surgeTexts() []string {
	return []string{
		"Na de update geeft het display van mijn Stadsflyer E7 foutcode E-07 en doet de motor niets meer.",
		"Foutcode E-07 op het display van de Stadsflyer E7 sinds de software-update van deze week.",
		"Mijn Stadsflyer E7 toont E-07 na de update, wat moet ik doen? De trapondersteuning werkt niet.",
		"Display van de Stadsflyer E7 blijft op foutcode E-07 staan na de update.",
	}
}

func historyProducts() []string {
	return []string{"Stadsflyer E7", "Gazelle Orange C8", "Cortina E-U4", "VanMoof S5", "Batavus Finez",
		"Sparta M7b", "kinderfiets Lopes 20 inch", "bakfiets Urban Arrow", "racefiets Koga Kimera"}
}

func historyFirstNames() []string {
	return []string{"Daan", "Emma", "Sem", "Julia", "Lucas", "Mila", "Levi", "Sophie", "Finn", "Zoë", "Noah",
		"Tess", "Milan", "Sara", "Jesse", "Eva", "Bram", "Lieke", "Thijs", "Noor", "Ruben", "Fleur", "Sven",
		"Anouk", "Youssef", "Amira", "Priya", "Mehmet", "Ilse", "Wouter"}
}

func historyLastNames() []string {
	return []string{"de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser",
		"Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen",
		"Dekker", "Brouwer", "Yilmaz", "El Idrissi", "Kramer", "Willems"}
}

// historyReplies are the agents' first answers per category.
func historyReplies() map[string]string {
	return map[string]string{
		"order":     "Hoi! Ik heb het voor je nagekeken: je bestelling is onderweg en wordt morgen tussen 9 en 13 uur bezorgd. Je ontvangt de track & trace per mail.",
		"returns":   "Hoi! Je kunt de retour aanmelden via Mijn account → Bestellingen. Fietsen halen we gratis bij je op; het bedrag staat binnen 5 werkdagen na ontvangst weer op je rekening.",
		"billing":   "Hoi! Ik zie de dubbele betaling; de tweede is teruggestort en staat binnen 3 werkdagen op je rekening. De factuur met btw staat in Mijn account → Facturen.",
		"technical": "Hoi! Vervelend! Probeer eerst de accu 10 seconden uit de fiets te halen en opnieuw te plaatsen. Helpt dat niet, dan plannen we een afspraak in de werkplaats.",
		"complaint": "Hoi, wat vervelend dat het zo gelopen is. Ik neem het persoonlijk over en bel je vandaag nog terug om het op te lossen.",
		"other":     "Hoi! Goede vraag: in onze winkel in Utrecht kun je op werkdagen van 10 tot 18 uur proefrijden, zonder afspraak.",
	}
}

// historyContacts is how many customers the history is spread over.
const historyContacts = 400

// seedHistory writes the history, ending when the scripted present begins:
// today's midnight in Amsterdam.
func (s *seeder) seedHistory(ctx context.Context) error {
	if s.noHistory {
		return nil
	}
	local := s.now.In(s.zone)
	end := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, s.zone)
	start := end.AddDate(0, 0, -7*historyWeeks)
	rng := rand.New(rand.NewPCG(2026, 5))

	contacts, err := s.historyContacts(ctx, rng, start)
	if err != nil {
		return err
	}
	var convs []historyConv
	for i, ch := range historyChannels() {
		series := forecast.Synthetic(start, s.zone, historyWeeks, ch.shape, uint64(11+i))
		for h, n := range series.Counts {
			hour := series.At(h)
			for range binomial(rng, int(n), ch.keep) {
				convs = append(convs, s.historyConv(rng, ch, hour.Add(time.Duration(rng.IntN(3600))*time.Second), contacts, ""))
			}
		}
	}
	// This week's surge: the last five days, mostly on chat and email.
	surge := surgeTexts()
	for range 70 {
		at := end.Add(-time.Duration(1+rng.IntN(5*24*60)) * time.Minute)
		if h := at.In(s.zone).Hour(); h < 7 || h > 22 {
			at = at.Add(-9 * time.Hour)
		}
		ch := historyChannels()[rng.IntN(2)]
		convs = append(convs, s.historyConv(rng, ch, at, contacts, surge[rng.IntN(len(surge))]))
	}
	const perTx = 500
	for i := 0; i < len(convs); i += perTx {
		batch := convs[i:min(i+perTx, len(convs))]
		if err := s.st.InTx(ctx, func(tx desk.Store) error {
			for j := range batch {
				if err := batch[j].store(ctx, tx); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("history: %w", err)
		}
	}
	return nil
}

// historyContacts creates the customers of the history, each a while
// before it starts.
func (s *seeder) historyContacts(ctx context.Context, rng *rand.Rand, start time.Time) ([]*desk.Contact, error) {
	firsts, lasts := historyFirstNames(), historyLastNames()
	out := make([]*desk.Contact, historyContacts)
	err := s.st.InTx(ctx, func(tx desk.Store) error {
		for i := range out {
			first, last := firsts[rng.IntN(len(firsts))], lasts[rng.IntN(len(lasts))]
			since := start.Add(-time.Duration(1+rng.IntN(300)) * day)
			locale := "nl"
			if rng.IntN(10) == 0 {
				locale = "en"
			}
			email := fmt.Sprintf("%s.%s.%d@example.nl", strings.ToLower(first),
				strings.ToLower(strings.ReplaceAll(last, " ", "")), i+1)
			c := &desk.Contact{Name: first + " " + last, Email: email, Locale: locale, CreatedAt: since, UpdatedAt: since}
			if err := tx.CreateContact(ctx, c); err != nil {
				return err
			}
			out[i] = c
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("history contacts: %w", err)
	}
	return out, nil
}

// historyConv is one conversation of the history with its messages.
type historyConv struct {
	conv     desk.Conversation
	messages []desk.Message
}

func (h *historyConv) store(ctx context.Context, tx desk.Store) error {
	if err := tx.CreateConversation(ctx, &h.conv); err != nil {
		return err
	}
	for i := range h.messages {
		h.messages[i].ConversationID = h.conv.ID
		if err := tx.CreateMessage(ctx, &h.messages[i]); err != nil {
			return err
		}
	}
	return nil
}

// historyConv makes one resolved conversation created at at; text, when
// given, is its first message (and makes it a technical one).
func (s *seeder) historyConv(rng *rand.Rand, ch historyChannel, at time.Time, contacts []*desk.Contact, text string) historyConv {
	inbox := s.inboxes[ch.inbox]
	c := contacts[rng.IntN(len(contacts))]
	topic := pickTopic(rng, historyTopics())
	if text != "" {
		topic.category = "technical"
	} else {
		texts := topic.nl
		if c.Locale == "en" {
			texts = topic.en
		}
		products := historyProducts()
		text = strings.NewReplacer("{n}", fmt.Sprintf("DS-%06d", 240000+rng.IntN(60000)),
			"{p}", products[rng.IntN(len(products))]).Replace(texts[rng.IntN(len(texts))])
	}
	at = at.UTC().Truncate(time.Second)
	cv := desk.Conversation{InboxID: inbox.ID, Channel: inbox.Channel, ContactID: c.ID, Status: desk.StatusResolved,
		Priority: desk.PriorityNone, Category: topic.category, CategoryBy: desk.CategoryByBot, Language: c.Locale,
		CreatedAt: at}
	if inbox.Channel == desk.ChannelEmail {
		cv.Subject = firstWords(text, 6)
	}
	msgs := []desk.Message{{Kind: desk.KindMessage, Sender: desk.SenderContact, SenderID: c.ID, Body: text,
		Delivery: desk.DeliveryDelivered, CreatedAt: at}}
	last := at
	if rng.Float64() < ch.bot && topic.category != "complaint" {
		// The bot answered from the knowledge base and the customer was
		// satisfied.
		last = at.Add(time.Duration(2+rng.IntN(8)) * time.Minute)
		msgs = append(msgs, desk.Message{Kind: desk.KindMessage, Sender: desk.SenderBot,
			Body:     "Dit artikel helpt je waarschijnlijk verder: " + topic.category + ". Laat het weten als je nog een collega wilt spreken.",
			Delivery: desk.DeliveryDelivered, CreatedAt: at.Add(5 * time.Second)})
	} else {
		team, agent := s.historyOwner(rng, topic.category)
		cv.TeamID, cv.AssigneeID = team.ID, agent.ID
		if ch.bot > 0 {
			cv.HandedOverAt = at.Add(time.Duration(30+rng.IntN(150)) * time.Second)
		}
		wait := s.workingDelay(at, lognormal(rng, ch.reply, 0.9))
		cv.FirstReplyAt = at.Add(wait)
		msgs = append(msgs, desk.Message{Kind: desk.KindMessage, Sender: desk.SenderAgent, SenderID: agent.ID,
			Body: historyReplies()[topic.category], Delivery: desk.DeliveryDelivered, CreatedAt: cv.FirstReplyAt})
		last = cv.FirstReplyAt.Add(s.workingDelay(cv.FirstReplyAt, lognormal(rng, ch.resolve, 1.0)))
		if rng.IntN(100) < 7 {
			cv.Reopens = 1 // the customer came back once before it was settled
			last = last.Add(time.Duration(1+rng.IntN(3)) * day)
		}
	}
	// Nothing of the history happens after the demo's now.
	if latest := s.now.Add(-time.Minute); last.After(latest) {
		last = latest
		if last.Before(at) {
			last = at
		}
		for i := range msgs {
			if msgs[i].CreatedAt.After(last) {
				msgs[i].CreatedAt = last
			}
		}
		if cv.FirstReplyAt.After(last) {
			cv.FirstReplyAt = last
		}
	}
	cv.ResolvedAt, cv.UpdatedAt, cv.LastActivityAt = last, last, last
	cv.LastMessage = firstWords(msgs[len(msgs)-1].Body, 12)
	return historyConv{conv: cv, messages: msgs}
}

// historyOwner picks the team the category is routed to and one of its
// agents.
func (s *seeder) historyOwner(rng *rand.Rand, category string) (*desk.Team, *desk.Agent) {
	var team string
	var agents []string
	switch category {
	case "order", "returns":
		team, agents = logistics, []string{"bram", "bram", "fatima", "mark"}
	case "billing":
		team, agents = finance, []string{"sanne", "sanne", "mark"}
	default:
		team, agents = service, []string{"anna", "tom", "tom", "fatima", "fatima", "mark"}
	}
	return s.teams[team], s.agents[agents[rng.IntN(len(agents))]]
}

// workingDelay returns d measured in the shop's working time (08:00 to
// 22:00 in Amsterdam): a question sent at night waits for the morning.
func (s *seeder) workingDelay(from time.Time, d time.Duration) time.Duration {
	t := from.In(s.zone)
	if h := t.Hour(); h < 8 {
		t = time.Date(t.Year(), t.Month(), t.Day(), 8, 0, 0, 0, s.zone)
	} else if h >= 22 {
		t = time.Date(t.Year(), t.Month(), t.Day()+1, 8, 0, 0, 0, s.zone)
	}
	return t.Add(d).Sub(from)
}

func pickTopic(rng *rand.Rand, topics []historyTopic) historyTopic {
	x := rng.Float64()
	for _, t := range topics {
		if x -= t.weight; x < 0 {
			return t
		}
	}
	return topics[len(topics)-1]
}

// lognormal draws a duration whose median is median minutes.
func lognormal(rng *rand.Rand, median, sigma float64) time.Duration {
	return time.Duration(median * math.Exp(sigma*rng.NormFloat64()) * float64(time.Minute))
}

// binomial draws how many of n arrivals are kept with probability p.
func binomial(rng *rand.Rand, n int, p float64) int {
	k := 0
	for range n {
		if rng.Float64() < p {
			k++
		}
	}
	return k
}

func firstWords(s string, n int) string {
	w := strings.Fields(s)
	if len(w) <= n {
		return s
	}
	return strings.Join(w[:n], " ") + "…"
}
