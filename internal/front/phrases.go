package front

import (
	"fmt"
	"time"
)

// phrases are what the bot says, in the customer's language and, in Dutch,
// in "je" or "u".
type phrases struct {
	lang       string
	article    string // %s: the article's title
	helped     string
	another    string
	yesOrNo    string
	rephrase   string
	glad       string
	flowIntro  string // %s: the flow's title
	closed     string // %s: when people are back
	noneOnline string
	nextUp     string
	queue      string // %d: the customer's place in the queue
}

func texts(language string, formal bool) phrases {
	if language == "en" {
		return phrases{lang: "en",
			article:    "This article may answer your question: %s",
			helped:     "Did this help? Answer yes or no.",
			another:    "Sorry about that. Maybe this one helps:",
			yesOrNo:    "Did the article answer your question? Answer yes or no, or ask your question in a sentence.",
			rephrase:   "Could you tell me in a few words what your question is about?",
			glad:       "Glad that helped! If there is anything else, just send another message.",
			flowIntro:  "Let's go through it step by step: %s",
			closed:     "We are closed right now. A colleague will answer %s; you don't need to stay online, we'll reply here.",
			noneOnline: "I'm passing your question to a colleague. Nobody is online this very moment, so it may take a little while; you'll get the answer here.",
			nextUp:     "I'm passing your question to a colleague, who will be with you shortly. They can see what we discussed, so you won't need to repeat it.",
			queue:      "I'm passing your question to a colleague. You are number %d in the queue; they can see what we discussed, so you won't need to repeat it.",
		}
	}
	p := phrases{lang: "nl",
		article:    "Dit artikel beantwoordt je vraag misschien: %s",
		helped:     "Heeft dit je geholpen? Antwoord met ja of nee.",
		another:    "Jammer. Misschien helpt dit artikel wel:",
		yesOrNo:    "Heeft het artikel je vraag beantwoord? Antwoord met ja of nee, of stel je vraag in een zin.",
		rephrase:   "Kun je in een paar woorden vertellen waar je vraag over gaat?",
		glad:       "Fijn dat het geholpen heeft! Is er nog iets, stuur dan gerust nog een bericht.",
		flowIntro:  "Laten we het stap voor stap bekijken: %s",
		closed:     "We zijn op dit moment gesloten. Een collega reageert %s; je hoeft niet online te blijven, het antwoord komt hier.",
		noneOnline: "Ik geef je vraag door aan een collega. Er is op dit moment niemand online, dus het kan even duren; je krijgt het antwoord hier.",
		nextUp:     "Ik geef je vraag door aan een collega, die je zo helpt. Die ziet wat we besproken hebben, dus je hoeft niets te herhalen.",
		queue:      "Ik geef je vraag door aan een collega. Je bent nummer %d in de wachtrij; je hoeft niets te herhalen, we zien wat we besproken hebben.",
	}
	if formal {
		p.article = "Dit artikel beantwoordt uw vraag mogelijk: %s"
		p.helped = "Heeft dit u geholpen? Antwoord met ja of nee."
		p.another = "Jammer. Misschien helpt dit artikel u wel:"
		p.yesOrNo = "Heeft het artikel uw vraag beantwoord? Antwoord met ja of nee, of stel uw vraag in een zin."
		p.rephrase = "Kunt u in een paar woorden vertellen waar uw vraag over gaat?"
		p.glad = "Fijn dat het geholpen heeft! Heeft u nog een vraag, stuur dan gerust een bericht."
		p.flowIntro = "Laten we het stap voor stap bekijken: %s"
		p.closed = "We zijn op dit moment gesloten. Een collega reageert %s; u hoeft niet online te blijven, het antwoord komt hier."
		p.noneOnline = "Ik geef uw vraag door aan een collega. Er is op dit moment niemand online, dus het kan even duren; u krijgt het antwoord hier."
		p.nextUp = "Ik geef uw vraag door aan een collega, die u zo helpt. Die ziet wat we besproken hebben, dus u hoeft niets te herhalen."
		p.queue = "Ik geef uw vraag door aan een collega. U bent nummer %d in de wachtrij; u hoeft niets te herhalen, we zien wat we besproken hebben."
	}
	return p
}

var (
	dayNL = []string{"zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"}
	dayEN = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

// when says when next is, seen from now: "vandaag vanaf 09:00", "morgen
// vanaf 09:00", "maandag vanaf 09:00".
func (p phrases) when(next, now time.Time, loc *time.Location) string {
	next, now = next.In(loc), now.In(loc)
	clock := next.Format("15:04")
	y1, m1, d1 := now.Date()
	y2, m2, d2 := next.Date()
	days := int(time.Date(y2, m2, d2, 0, 0, 0, 0, loc).Sub(time.Date(y1, m1, d1, 0, 0, 0, 0, loc)).Hours() / 24)
	if p.lang == "en" {
		switch days {
		case 0:
			return "today from " + clock
		case 1:
			return "tomorrow from " + clock
		}
		return fmt.Sprintf("on %s from %s", dayEN[next.Weekday()], clock)
	}
	switch days {
	case 0:
		return "vandaag vanaf " + clock
	case 1:
		return "morgen vanaf " + clock
	}
	return fmt.Sprintf("%s vanaf %s", dayNL[next.Weekday()], clock)
}
