package routing

import (
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

func TestDueNotice(t *testing.T) {
	tests := []struct {
		name        string
		last, place int
		ago         time.Duration
		want        bool
	}{
		{"never told", 0, 7, 0, true},
		{"same place, long ago", 4, 4, time.Hour, false},
		{"further back", 4, 5, time.Hour, false},
		{"one closer, just now", 4, 3, time.Minute, false},
		{"one closer, after a while", 4, 3, 5 * time.Minute, true},
		{"two closer in a short line", 4, 2, time.Minute, true},
		{"two closer in a long line", 30, 28, time.Minute, false},
		{"a third closer in a long line", 30, 20, time.Minute, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dueNotice(tt.last, tt.place, tt.ago, 5*time.Minute); got != tt.want {
				t.Fatalf("dueNotice(%d, %d, %v) = %v, want %v", tt.last, tt.place, tt.ago, got, tt.want)
			}
		})
	}
}

func TestNoticeText(t *testing.T) {
	tests := []struct {
		name  string
		lang  string
		ch    desk.ChannelKind
		place int
		est   time.Duration
		known bool
		long  bool
		want  string
	}{
		{"next, unknown, Dutch", "nl", desk.ChannelWebChat, 1, 0, false, false,
			"Je bent de volgende in de wachtrij. Hoe lang het duurt, kunnen we nu nog niet goed inschatten."},
		{"unknown language is Dutch", "", desk.ChannelWhatsApp, 3, 90 * time.Second, true, false,
			"Je bent nummer 3 in de wachtrij. Op dit moment duurt het meestal ongeveer 2 minuten voordat een collega je helpt."},
		{"under a minute", "en", desk.ChannelWebChat, 2, 20 * time.Second, true, false,
			"You are number 2 in the queue. Right now a colleague usually helps you within about a minute."},
		{"long wait in the widget", "en", desk.ChannelWebChat, 9, 25 * time.Minute, true, true,
			"You are number 9 in the queue. Right now it usually takes about 25 minutes before a colleague can help you. " +
				"Rather not wait? Leave your email address here and we'll email you the answer. Or carry on with your day: " +
				"we'll answer here, and you may close this window."},
		{"long wait on a messaging app", "en", desk.ChannelTelegram, 9, 0, false, true,
			"You are number 9 in the queue. We can't tell yet how long it will take. " +
				"No need to keep waiting: we'll answer here as soon as a colleague is free."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NoticeText(tt.lang, tt.ch, tt.place, tt.est, tt.known, tt.long); got != tt.want {
				t.Fatalf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestEstimateNeedsEnoughRecentWaits(t *testing.T) {
	c := &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	s := NewService(nil, nil, nil, Options{Clock: c})
	if _, ok := s.estimate(1); ok {
		t.Fatal("estimate without data is known, want unknown")
	}
	for _, w := range []time.Duration{time.Minute, 9 * time.Minute} {
		s.addSample(1, w)
	}
	if _, ok := s.estimate(1); ok {
		t.Fatal("estimate from two waits is known, want unknown")
	}
	s.addSample(1, 4*time.Minute)
	if got, ok := s.estimate(1); !ok || got != 4*time.Minute {
		t.Fatalf("estimate = %v, %v; want the median 4m, true", got, ok)
	}
	if _, ok := s.estimate(2); ok {
		t.Fatal("another team's estimate is known, want unknown")
	}
	c.add(3 * time.Hour)
	if _, ok := s.estimate(1); ok {
		t.Fatal("estimate from waits three hours old is known, want unknown")
	}
}
