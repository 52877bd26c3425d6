package forecast

import (
	"slices"
	"testing"
	"time"
)

func TestSyntheticIsReproducible(t *testing.T) {
	loc := amsterdam(t)
	start := time.Date(2025, 1, 6, 0, 0, 0, 0, loc)
	a := Synthetic(start, loc, 2, "chat", 7)
	b := Synthetic(start, loc, 2, "chat", 7)
	c := Synthetic(start, loc, 2, "chat", 8)
	d := Synthetic(start, loc, 2, "email", 7)
	if !slices.Equal(a.Counts, b.Counts) {
		t.Error("same seed and channel gave different series")
	}
	if slices.Equal(a.Counts, c.Counts) || slices.Equal(a.Counts, d.Counts) {
		t.Error("another seed or channel gave the same series")
	}
}

func TestSyntheticShape(t *testing.T) {
	loc := amsterdam(t)
	// 8 weeks from 3 March 2025: spring forward on 30 March, Easter and
	// King's Day in April.
	start := time.Date(2025, 3, 3, 0, 0, 0, 0, loc)
	bySlot := func(channel string) [HoursPerWeek]float64 {
		s := Synthetic(start, loc, 8, channel, 1)
		var sum [HoursPerWeek]float64
		for i, c := range s.Counts {
			sum[Slot(s.At(i), loc)] += c
		}
		return sum
	}
	day := func(sum [HoursPerWeek]float64, wd int) float64 {
		var t float64
		for h := range 24 {
			t += sum[wd*24+h]
		}
		return t
	}
	chat, phone := bySlot("chat"), bySlot("phone")
	tests := []struct {
		name string
		ok   bool
	}{
		{"Monday is the busiest chat day", day(chat, 0) > day(chat, 1) && day(chat, 0) > day(chat, 4)},
		{"Sunday 09:00 chat is quiet next to Monday 09:00", chat[6*24+9] < 0.3*chat[9]},
		{"lunch dip: Tuesday 12:00 below 11:00 and 14:00", chat[24+12] < chat[24+11] && chat[24+12] < chat[24+14]},
		{"evening chat peak: Tuesday 20:00 above 18:00", chat[24+20] > 1.3*chat[24+18]},
		{"night: Tuesday 04:00 far below 10:00", chat[24+4] < 0.1*chat[24+10]},
		{"phone is closed at night and on Sunday", phone[24+3] == 0 && day(phone, 6) == 0},
	}
	for _, tc := range tests {
		if !tc.ok {
			t.Error(tc.name)
		}
	}
	s := Synthetic(start, loc, 8, "chat", 1)
	if want := 8*HoursPerWeek - 1; len(s.Counts) != want {
		t.Errorf("8 weeks over spring forward have %d hours, want %d", len(s.Counts), want)
	}
}

func TestSyntheticGrows(t *testing.T) {
	s := Synthetic(time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC), time.UTC, 12, "chat", 3)
	var first, last float64
	for i := range 2 * HoursPerWeek {
		first += s.Counts[i]
		last += s.Counts[len(s.Counts)-2*HoursPerWeek+i]
	}
	// 0.8% a week over 10 weeks is about 8%, Christmas excluded.
	if r := last / first; r < 1.03 || r > 1.14 {
		t.Errorf("last two weeks / first two = %.3f, want about 1.08", r)
	}
}
