package topics

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

var surgeNow = time.Date(2025, 3, 10, 15, 0, 0, 0, time.UTC)

// traffic builds a week of flat baseline plus a last hour: every hour one
// text about each of three steady problems (delivery, password, address)
// in turn with small wording changes, a payment failure every twelfth
// hour, and in the last hour the given extra texts.
type traffic struct {
	docs   []Doc
	nextID int64
}

func (tr *traffic) add(at time.Time, text string) {
	tr.nextID++
	tr.docs = append(tr.docs, Doc{ID: tr.nextID, Text: text, At: at})
}

var steady = [][]string{
	{"Mijn pakket is nog niet bezorgd", "Waar blijft mijn pakket, nog steeds niet bezorgd", "Pakket niet bezorgd"},
	{"Ik ben mijn wachtwoord vergeten", "Wachtwoord vergeten, hoe reset ik het", "Wachtwoord resetten lukt niet"},
	{"Ik wil mijn adres wijzigen", "Adres wijzigen kan niet in mijn account", "Graag mijn bezorgadres wijzigen"},
}

func flatWeek(lastHour []string) []Doc {
	var tr traffic
	start := surgeNow.Add(-8 * 24 * time.Hour)
	for h := 0; h < 8*24; h++ {
		at := start.Add(time.Duration(h)*time.Hour + 30*time.Minute)
		if !at.Before(surgeNow.Add(-time.Hour)) {
			break
		}
		for i, texts := range steady {
			tr.add(at.Add(time.Duration(i)*time.Minute), texts[h%len(texts)])
		}
		if h%12 == 0 {
			tr.add(at, "De betaling is mislukt")
		}
	}
	// The last hour has the usual traffic too.
	for i, texts := range steady {
		tr.add(surgeNow.Add(-time.Duration(50-i)*time.Minute), texts[i%len(texts)])
	}
	for i, text := range lastHour {
		tr.add(surgeNow.Add(-time.Duration(40-i)*time.Minute), text)
	}
	return tr.docs
}

func paymentBurst(n int) []string {
	forms := []string{
		"betaling mislukt bij bestelling %d",
		"Mijn betaling is mislukt, order %d",
		"Betaling mislukt!! (%d)",
		"iDEAL betaling mislukt, bestelnummer %d",
	}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(forms[i%len(forms)], 1000+i)
	}
	return out
}

func TestSurges(t *testing.T) {
	tests := []struct {
		name     string
		docs     []Doc
		opt      SurgeOptions
		wantWord string // a word in the label of the one surge, "" for none
	}{
		{"payment burst over flat baseline", flatWeek(paymentBurst(20)), SurgeOptions{}, "betaling"},
		{"steady traffic", flatWeek(nil), SurgeOptions{}, ""},
		{"small bump of a rare topic", flatWeek(paymentBurst(2)), SurgeOptions{}, ""},
		{"new topic, two texts", flatWeek([]string{"de app crasht bij opstarten", "app crasht steeds bij opstarten"}), SurgeOptions{}, ""},
		{"new topic, twelve texts", flatWeek(func() []string {
			var out []string
			for i := range 12 {
				out = append(out, fmt.Sprintf("de app crasht bij opstarten (%d)", i))
			}
			return out
		}()), SurgeOptions{}, "crasht"},
		{"baseline too short", flatWeek(paymentBurst(20)), SurgeOptions{Baseline: 2 * time.Hour}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			topics := Cluster(tc.docs, Options{})
			got := Surges(topics, tc.docs, surgeNow, time.Hour, tc.opt)
			if tc.wantWord == "" {
				for _, s := range got {
					t.Errorf("flagged %q: %d vs %.2f expected, score %.1f", s.Topic.Label, s.Recent, s.Expected, s.Score)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %d surges (%+v), want 1", len(got), got)
			}
			s := got[0]
			if !containsWord(s.Topic.Label, tc.wantWord) {
				t.Errorf("surge label %q, want it to contain %q", s.Topic.Label, tc.wantWord)
			}
			if s.Recent < 10 || s.Ratio < 2 || s.Score < 4 || s.Window != time.Hour {
				t.Errorf("surge %d vs %.2f (ratio %.1f, score %.1f, window %v): want at least 10, 2, 4, 1h",
					s.Recent, s.Expected, s.Ratio, s.Score, s.Window)
			}
		})
	}
}

// TestSurgesMatchesUnlistedTexts clusters only the baseline, as a nightly
// job would, and counts the last hour's texts through the topics'
// prototypes.
func TestSurgesMatchesUnlistedTexts(t *testing.T) {
	docs := flatWeek(paymentBurst(20))
	var baseline []Doc
	for _, d := range docs {
		if d.At.Before(surgeNow.Add(-time.Hour)) {
			baseline = append(baseline, d)
		}
	}
	topics := Cluster(baseline, Options{})
	got := Surges(topics, docs, surgeNow, time.Hour, SurgeOptions{})
	if len(got) != 1 || !containsWord(got[0].Topic.Label, "betaling") {
		t.Fatalf("got %+v, want one surge about betaling", got)
	}
	if got[0].Recent != 20 {
		t.Errorf("Recent = %d, want 20", got[0].Recent)
	}
}

func containsWord(s, w string) bool {
	return slices.Contains(strings.Fields(s), w)
}

func TestLogPoissonTail(t *testing.T) {
	tests := []struct {
		r      int
		lambda float64
		want   float64 // P(X >= r)
	}{
		{0, 3, 1},
		{3, 1, 1 - math.Exp(-1)*(1+1+0.5)},
		{1, 0.5, 1 - math.Exp(-0.5)},
		{20, 10, 0.003454},
		{20, 0.5, 0}, // checked in log space below
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("r=%d,lambda=%g", tc.r, tc.lambda), func(t *testing.T) {
			got := math.Exp(logPoissonTail(tc.r, tc.lambda))
			if tc.want == 0 {
				// P(X >= 20 | 0.5) is about 0.5^20 e^-0.5 / 20! ≈ 2.39e-25.
				if lg := logPoissonTail(tc.r, tc.lambda) / math.Ln10; math.Abs(lg-math.Log10(2.39e-25)) > 0.01 {
					t.Errorf("log10 P = %.3f, want %.3f", lg, math.Log10(2.39e-25))
				}
				return
			}
			if math.Abs(got-tc.want) > 1e-4*math.Max(tc.want, 1e-3) {
				t.Errorf("P = %.6g, want %.6g", got, tc.want)
			}
		})
	}
}
