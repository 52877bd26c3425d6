package routing

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Waiting customers are told their place in the queue and how long waiting
// usually takes, in their language, on the channels where they wait live
// (web chat and messaging apps; an email customer expects no chat). They are
// told on entering the queue, and again only when their place improved
// notably or, after NoticeEvery, when it improved at all.

// Estimates come from the recent waits of the team's line: the median time
// from entering the queue to being assigned over the last estimateWindow,
// and only from minSamples waits on; with fewer the customer is told
// honestly that we cannot say yet.
const (
	estimateWindow = 2 * time.Hour
	minSamples     = 3
	// maxSamples bounds the memory per team on a busy day.
	maxSamples = 500
)

// noticeChannel reports whether customers on ch are told their place.
func noticeChannel(ch desk.ChannelKind) bool {
	switch ch {
	case desk.ChannelWebChat, desk.ChannelWhatsApp, desk.ChannelMessenger, desk.ChannelInstagram, desk.ChannelTelegram:
		return true
	}
	return false
}

// addSample records one wait from queue to assignment.
func (s *Service) addSample(team int64, wait time.Duration) {
	now := s.clock.Now()
	list := append(s.samples[team], sample{at: now, wait: max(wait, 0)})
	cut := 0
	for cut < len(list) && (now.Sub(list[cut].at) > estimateWindow || len(list)-cut > maxSamples) {
		cut++
	}
	s.samples[team] = list[cut:]
}

// estimate is the median recent wait in a team's line; ok is false without
// enough data.
func (s *Service) estimate(team int64) (time.Duration, bool) {
	now := s.clock.Now()
	var waits []time.Duration
	for _, x := range s.samples[team] {
		if now.Sub(x.at) <= estimateWindow {
			waits = append(waits, x.wait)
		}
	}
	if len(waits) < minSamples {
		return 0, false
	}
	slices.Sort(waits)
	return waits[len(waits)/2], true
}

// notifyAll tells every waiting customer whose place changed enough.
func (s *Service) notifyAll(ctx context.Context) {
	ids := make([]int64, 0, len(s.waits))
	for id := range s.waits {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s.notify(ctx, id)
	}
}

// notify tells one waiting customer their place, if it is time to.
func (s *Service) notify(ctx context.Context, id int64) {
	w := s.waits[id]
	if w == nil || !noticeChannel(w.req.Channel) {
		return
	}
	place, _, ok := s.queue.Position(id)
	if !ok {
		return
	}
	now := s.clock.Now()
	if now.Sub(w.req.WaitingSince) > noticeHorizon {
		// Nobody watches a chat this long; they were promised an answer
		// in the conversation.
		return
	}
	if !dueNotice(w.toldAt, place, now.Sub(w.told), s.opts.NoticeEvery) {
		return
	}
	if !s.router.Staffed(w.need, w.req.Channel) {
		// Nobody is on (out of hours: the team's away reply says when
		// they are back); a place in an unworked queue tells nothing.
		return
	}
	est, known := s.estimate(w.need.TeamID)
	long := (known && est >= s.opts.LongWait) || (!known && place > longPlace)
	body := NoticeText(w.lang, w.req.Channel, place, est, known, long)
	if _, err := s.conv.Reply(ctx, system, id, body, nil); err != nil {
		s.log.Warn("routing: queue notice", "conversation", id, "err", err)
		return
	}
	w.told, w.toldAt = now, place
}

// noticeHorizon is how long after they started waiting a customer still
// hears of their place.
const noticeHorizon = 4 * time.Hour

// longPlace is the place from which the wait counts as long when there is
// no estimate yet.
const longPlace = 5

// dueNotice decides whether a customer last told place last (0: never),
// ago, is told again now that they are at place.
func dueNotice(last, place int, ago, every time.Duration) bool {
	switch {
	case last == 0:
		return true
	case place >= last:
		return false
	case last-place >= max(2, last/3):
		// Notably closer: at least two places, and a third of the line.
		return true
	}
	return ago >= every
}

// NoticeText is the queue notice in the customer's language ("en", else
// Dutch).
func NoticeText(lang string, ch desk.ChannelKind, place int, est time.Duration, known, long bool) string {
	t := noticesFor(lang)
	var out string
	if place <= 1 {
		out = t.next
	} else {
		out = fmt.Sprintf(t.place, place)
	}
	if known {
		mins := int((est + time.Minute - 1) / time.Minute)
		if mins <= 1 {
			out += " " + t.aboutMinute
		} else {
			out += " " + fmt.Sprintf(t.aboutMinutes, mins)
		}
	} else {
		out += " " + t.unknown
	}
	if long {
		if ch == desk.ChannelWebChat {
			out += " " + t.altChat
		} else {
			out += " " + t.altMessaging
		}
	}
	return out
}

type noticeTexts struct {
	next, place, aboutMinute, aboutMinutes, unknown, altChat, altMessaging string
}

func noticesFor(lang string) noticeTexts {
	if lang == "en" {
		return noticeTexts{
			next:         "You are next in the queue.",
			place:        "You are number %d in the queue.",
			aboutMinute:  "Right now a colleague usually helps you within about a minute.",
			aboutMinutes: "Right now it usually takes about %d minutes before a colleague can help you.",
			unknown:      "We can't tell yet how long it will take.",
			altChat: "Rather not wait? Leave your email address here and we'll email you the answer. " +
				"Or carry on with your day: we'll answer here, and you may close this window.",
			altMessaging: "No need to keep waiting: we'll answer here as soon as a colleague is free.",
		}
	}
	return noticeTexts{
		next:         "Je bent de volgende in de wachtrij.",
		place:        "Je bent nummer %d in de wachtrij.",
		aboutMinute:  "Op dit moment helpt een collega je meestal binnen ongeveer een minuut.",
		aboutMinutes: "Op dit moment duurt het meestal ongeveer %d minuten voordat een collega je helpt.",
		unknown:      "Hoe lang het duurt, kunnen we nu nog niet goed inschatten.",
		altChat: "Liever niet wachten? Laat hier je e-mailadres achter, dan mailen we je het antwoord. " +
			"Of ga gerust verder met je dag: we antwoorden hier, en je mag dit venster sluiten.",
		altMessaging: "Je hoeft niet te blijven wachten: we antwoorden hier zodra een collega vrij is.",
	}
}
