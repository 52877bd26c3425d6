package demo

import (
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Inbox keys used by the scripts.
const (
	chat = "chat"
	mail = "mail"
	app  = "app"
)

// Team keys.
const (
	service   = "klantenservice"
	logistics = "logistiek"
	finance   = "finance"
)

type teamSpec struct{ Key, Name, Description string }

func teamList() []teamSpec {
	return []teamSpec{
		{service, "Klantenservice", "Eerste aanspreekpunt voor alle vragen van klanten: chat, e-mail en de partner-app."},
		{logistics, "Logistiek", "Verzending, bezorging via PostNL en DHL, ophaalafspraken, retouren en garantiezendingen."},
		{finance, "Finance", "Facturen, creditnota's, terugbetalingen en zakelijke administratie."},
	}
}

type agentSpec struct {
	Key, Name, Email string
	Role             desk.Role
	Locale           string
	Availability     desk.Availability
	Teams            []string
}

func agentList() []agentSpec {
	return []agentSpec{
		{"anna", "Anna de Vries", "anna@despaak.example", desk.RoleAdmin, "nl", desk.Online, []string{service}},
		{"mark", "Mark Visser", "mark@despaak.example", desk.RoleSupervisor, "nl", desk.Online, []string{service, logistics, finance}},
		{"bram", "Bram Jansen", "bram@despaak.example", desk.RoleAgent, "nl", desk.Away, []string{logistics}},
		{"sanne", "Sanne Bakker", "sanne@despaak.example", desk.RoleAgent, "nl", desk.Offline, []string{finance}},
		{"tom", "Tom Peters", "tom@despaak.example", desk.RoleAgent, "en", desk.Online, []string{service}},
		{"fatima", "Fatima El Amrani", "fatima@despaak.example", desk.RoleAgent, "nl", desk.Online, []string{service, logistics}},
	}
}

type inboxSpec struct {
	Key, Name string
	Channel   desk.ChannelKind
	Team      string
	Settings  map[string]string
}

func inboxList() []inboxSpec {
	return []inboxSpec{
		{chat, "Webshop chat", desk.ChannelWebChat, service, map[string]string{
			"greeting":    "Hoi! Waarmee kunnen we je helpen met je fiets of bestelling?",
			"greeting_nl": "Hoi! Waarmee kunnen we je helpen met je fiets of bestelling?",
			"greeting_en": "Hi! How can we help you with your bike or order?",
			"color":       "#0f766e",
			// The bot takes the first line; see seedFront.
			"bot":             "on",
			"bot_greeting_nl": "Hoi! Ik ben de digitale assistent van De Spaak. Stel je vraag, dan zoek ik het antwoord of breng ik je bij een collega.",
			"bot_greeting_en": "Hi! I'm De Spaak's virtual assistant. Ask your question and I'll find the answer or bring you to a colleague.",
			"proactive":       `[{"url":"/widget/demo*","after_seconds":20,"message_nl":"Kunnen we je helpen met je bestelling?","message_en":"Can we help you with your order?"}]`,
		}},
		{mail, "E-mail klantenservice", desk.ChannelEmail, service, map[string]string{
			"address": "klantenservice@despaak.example",
			"demo":    "true",
			"note":    "Demo-import: deze mailbox is niet aan een mailserver gekoppeld; de berichten zijn voor de demo ingelezen en antwoorden worden niet verstuurd.",
		}},
		// Lease customers write from the app of the shop's lease partner, which
		// talks to balie over the API channel. The webhook points at a closed
		// port on purpose, and balie refuses loopback targets unless told otherwise
		// (--allow-private-targets): a reply sent there fails, with its reason
		// shown on the message.
		{app, "Partner-app", desk.ChannelAPI, service, map[string]string{
			"webhook_url":    "http://127.0.0.1:9/demo-sink",
			"webhook_secret": "demo-partner-app-signing-secret",
			"note":           "Demo: berichten uit de app van onze leasepartner. De webhook wijst naar een adres op deze machine, dat balie niet benadert: het verzenden mislukt zichtbaar, met de reden erbij.",
		}},
	}
}

// customer is a customer of the shop. One with neither email nor phone is
// an anonymous web-chat visitor.
type customer struct {
	Key, Name, Email, Phone, Locale, City, Number string
}

func customerList() []customer {
	return []customer{
		{"jeroen", "Jeroen van den Berg", "jeroen.vandenberg@example.nl", "+31612345001", "nl", "Utrecht", "K-20411"},
		{"lotte", "Lotte Meijer", "lotte.meijer@example.nl", "+31612345002", "nl", "Amersfoort", "K-20377"},
		{"kees", "Kees Dekker", "k.dekker@example.nl", "", "nl", "Zwolle", "K-19852"},
		{"eva", "Eva Mulder", "eva.mulder@example.com", "06-12345004", "nl", "Haarlem", "K-18230"},
		{"sophie", "Sophie de Jong", "sophie.dejong@example.nl", "+31612345005", "nl", "Groningen", "K-20519"},
		{"ruben", "Ruben Smit", "ruben.smit@example.nl", "+31612345006", "nl", "Delft", "K-20602"},
		{"daan", "Daan Bos", "", "+31 6 1234 5007", "nl", "Leiden", "K-17114"},
		{"iris", "Iris Vos", "iris.vos@example.nl", "", "nl", "Eindhoven", "K-16045"},
		{"pieter", "Pieter van der Meer", "p.vandermeer@example.com", "+31612345009", "nl", "Den Haag", "K-20133"},
		{"noor", "Noor Hendriks", "noor.hendriks@example.nl", "+31612345010", "nl", "Nijmegen", "K-20688"},
		{"thijs", "Thijs van Leeuwen", "thijs.vanleeuwen@example.nl", "+31612345011", "nl", "Breda", "K-20290"},
		{"maria", "Maria de Koning", "maria.dekoning@example.nl", "+31612345012", "nl", "Alkmaar", "K-19977"},
		{"jan", "Jan Brouwer", "jan.brouwer@example.nl", "+31612345013", "nl", "Deventer", "K-15530"},
		{"hanna", "Hanna Willems", "hanna.willems@example.com", "", "nl", "Tilburg", "K-20702"},
		{"osman", "Osman Yilmaz", "osman.yilmaz@example.nl", "+31612345015", "nl", "Rotterdam", "K-17408"},
		{"lisa", "Lisa Kramer", "lisa.kramer@example.nl", "+31612345016", "nl", "Apeldoorn", "K-20811"},
		{"bas", "Bas Schouten", "", "+31612345017", "nl", "Amsterdam", "K-16877"},
		{"femke", "Femke van Dijk", "femke.vandijk@example.nl", "", "nl", "Arnhem", "K-20790"},
		{"willem", "Willem Jacobs", "w.jacobs@example.nl", "+31612345019", "nl", "Maastricht", "K-18761"},
		{"yasmina", "Yasmina Boukhari", "yasmina.boukhari@example.nl", "+31612345020", "nl", "Utrecht", "K-20455"},
		{"emily", "Emily Johnson", "emily.johnson@example.com", "+447700900123", "en", "Amsterdam", "K-20198"},
		{"marco", "Marco Rossi", "marco.rossi@example.com", "", "en", "Rotterdam", "K-20342"},
		{"linh", "Linh Nguyen", "linh.nguyen@example.com", "+31612345023", "en", "Eindhoven", "K-19620"},
		{"jonas", "Jonas Schmidt", "jonas.schmidt@example.de", "+4915100000024", "en", "Nijmegen", "K-20054"},
		{"aisha", "Aisha Patel", "aisha.patel@example.com", "", "en", "Den Haag", "K-20735"},
		{"oliver", "Oliver Wilson", "oliver.wilson@example.co.uk", "+447700900456", "en", "Leiden", "K-20560"},
		{"gerrit", "Gerrit Postma", "", "+31612345027", "nl", "Leeuwarden", "K-14902"},
		{"charlotte", "Charlotte Verbeek", "charlotte.verbeek@example.nl", "+31612345028", "nl", "Hilversum", "K-20627"},
		{"rik", "Rik de Groot", "rik.degroot@example.nl", "+31612345029", "nl", "Zeist", "K-20488"},
		{"milan", "Milan Kok", "milan.kok@example.nl", "+31612345030", "nl", "Amsterdam", "K-20840"},
		{"zeynep", "Zeynep Arslan", "zeynep.arslan@example.nl", "", "nl", "Almere", "K-19305"},
		{"visitor", "", "", "", "nl", "", ""},
	}
}

// Shorthands for the scripts' gaps.
const (
	mins = time.Minute
	hour = time.Hour
	day  = 24 * time.Hour
)

type stepKind int

const (
	stepIn stepKind = iota // customer message
	stepReply
	stepNote
	stepAssign
	stepTransfer
	stepLabels
	stepPriority
	stepStatus
	stepSnooze
)

// step is one thing that happens in a conversation, Gap after the previous
// one.
type step struct {
	Gap      time.Duration
	Kind     stepKind
	Agent    string // who acts (agent key); empty for the customer
	Text     string // message, note, or transfer note
	Target   string // agent key (assign) or team key (transfer)
	To       string // transfer: agent key, empty for nobody
	Labels   []string
	Priority desk.Priority
	Status   desk.Status
	Until    time.Duration // snooze: until this long after Seed's now
	// Live leaves a reply queued for the outbox worker instead of marking
	// it delivered: the demo's one visible delivery failure.
	Live bool
}

// script is one conversation. It starts Day days ago at Hour:Minute in
// Amsterdam, or, when Ago is set, that long before now.
type script struct {
	Customer     string
	Inbox        string
	Day          int
	Hour, Minute int
	Ago          time.Duration
	Subject      string // email only
	Steps        []step
}

func in(gap time.Duration, text string) step { return step{Gap: gap, Kind: stepIn, Text: text} }

func reply(gap time.Duration, agent, text string) step {
	return step{Gap: gap, Kind: stepReply, Agent: agent, Text: text}
}

func note(gap time.Duration, agent, text string) step {
	return step{Gap: gap, Kind: stepNote, Agent: agent, Text: text}
}

func assign(gap time.Duration, by, to string) step {
	return step{Gap: gap, Kind: stepAssign, Agent: by, Target: to}
}

func transfer(gap time.Duration, by, team, to, text string) step {
	return step{Gap: gap, Kind: stepTransfer, Agent: by, Target: team, To: to, Text: text}
}

func labels(gap time.Duration, by string, l ...string) step {
	return step{Gap: gap, Kind: stepLabels, Agent: by, Labels: l}
}

func priority(gap time.Duration, by string, p desk.Priority) step {
	return step{Gap: gap, Kind: stepPriority, Agent: by, Priority: p}
}

func pending(gap time.Duration, by string) step {
	return step{Gap: gap, Kind: stepStatus, Agent: by, Status: desk.StatusPending}
}

func resolve(gap time.Duration, by string) step {
	return step{Gap: gap, Kind: stepStatus, Agent: by, Status: desk.StatusResolved}
}

func snooze(gap time.Duration, by string, until time.Duration) step {
	return step{Gap: gap, Kind: stepSnooze, Agent: by, Until: until}
}

// live marks a reply to be left for the outbox worker to send.
func (s step) live() step {
	s.Live = true
	return s
}
