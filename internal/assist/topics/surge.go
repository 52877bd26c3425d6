package topics

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Surge is a topic that grows unusually fast.
type Surge struct {
	Topic Topic
	// Recent is the topic's number of texts in the window.
	Recent int
	// Expected is the number the topic's share of the baseline predicts
	// for the window's traffic.
	Expected float64
	// Ratio is Recent / Expected.
	Ratio float64
	// Score is -log10 of the Poisson probability of at least Recent texts
	// when Expected are expected: 4 means one in ten thousand.
	Score  float64
	Window time.Duration
}

// SurgeOptions tune Surges. The zero value means the defaults; out-of-range
// values are replaced by the defaults too.
type SurgeOptions struct {
	// Baseline is the period before the window that sets each topic's
	// normal share of traffic (default 7 days).
	Baseline time.Duration
	// MinBaseline is the number of texts the baseline needs before any
	// topic is judged (default 50): with less, nothing is normal yet.
	MinBaseline int
	// MinCount is the fewest texts in the window a surge needs (default
	// 5), so that 2 against an expected 0.1 is not news.
	MinCount int
	// MinRatio is the least Recent / Expected a surge needs (default 2).
	MinRatio float64
	// MinScore is the least Score a surge needs (default 4, a Poisson tail
	// probability of 1e-4: with a hundred topics checked every hour, a
	// false alarm about once in four days on Poisson traffic).
	MinScore float64
	// MatchThreshold is the similarity with a topic's prototype (see
	// Match) a text not listed in any topic's DocIDs needs to count for
	// that topic (default 0.3).
	MatchThreshold float64
}

func (o SurgeOptions) withDefaults() SurgeOptions {
	if o.Baseline <= 0 {
		o.Baseline = 7 * 24 * time.Hour
	}
	if o.MinBaseline < 1 {
		o.MinBaseline = 50
	}
	if o.MinCount < 1 {
		o.MinCount = 5
	}
	if !(o.MinRatio >= 1) || math.IsInf(o.MinRatio, 0) {
		o.MinRatio = 2
	}
	if !(o.MinScore > 0) || math.IsInf(o.MinScore, 0) {
		o.MinScore = 4
	}
	if !(o.MatchThreshold > 0 && o.MatchThreshold < 1) {
		o.MatchThreshold = 0.3
	}
	return o
}

// Surges returns the topics that grow unusually fast in the window ending
// at now, highest Score first (ties by topic ID).
//
// Each text of docs counts for the topic whose DocIDs list it, or else for
// the topic whose prototype it matches best (Match) if at least
// opt.MatchThreshold, or for no topic; all texts count in the totals. The
// window is (now-window, now]; the baseline is the opt.Baseline before it.
//
// The rule: a topic's expected count is its smoothed share of the baseline,
// (b+0.5)/(B+1), times the number of texts in the window. Comparing shares
// rather than hourly rates keeps the daily and weekly rhythm of traffic
// from raising alarms: a Monday-morning rush lifts every topic alike. A
// topic is a surge when its count is at least opt.MinCount and
// opt.MinRatio times the expected count, and the Poisson probability of a
// count at least as high is at most 10^-opt.MinScore. A topic new since the
// baseline has a small expected count, so a burst of a new problem is
// flagged as soon as it is big enough. The "other" topic is never flagged,
// and nothing is when the baseline has fewer than opt.MinBaseline texts.
func Surges(topics []Topic, docs []Doc, now time.Time, window time.Duration, opt SurgeOptions) []Surge {
	opt = opt.withDefaults()
	if window <= 0 || len(topics) == 0 {
		return nil
	}
	start := now.Add(-window)
	baseStart := start.Add(-opt.Baseline)

	byID := make(map[int64]int)
	for k, t := range topics {
		for _, id := range t.DocIDs {
			if _, ok := byID[id]; !ok {
				byID[id] = k
			}
		}
	}
	var m *Matcher
	recent := make([]int, len(topics))
	base := make([]int, len(topics))
	var nRecent, nBase int
	for _, d := range docs {
		var counts []int
		switch {
		case d.At.After(start) && !d.At.After(now):
			counts = recent
			nRecent++
		case !d.At.Before(baseStart) && !d.At.After(start):
			counts = base
			nBase++
		default:
			continue
		}
		k, ok := byID[d.ID]
		if !ok {
			if m == nil {
				m = NewMatcher(topics)
			}
			var sim float64
			if k, sim = m.Match(d.Text); k < 0 || sim < opt.MatchThreshold {
				continue
			}
		}
		counts[k]++
	}
	if nBase < opt.MinBaseline {
		return nil
	}

	var out []Surge
	for k, t := range topics {
		if t.ID == OtherID || recent[k] < opt.MinCount {
			continue
		}
		expected := (float64(base[k]) + 0.5) / (float64(nBase) + 1) * float64(nRecent)
		ratio := float64(recent[k]) / expected
		if ratio < opt.MinRatio {
			continue
		}
		score := -logPoissonTail(recent[k], expected) / math.Ln10
		if score < opt.MinScore {
			continue
		}
		out = append(out, Surge{Topic: t, Recent: recent[k], Expected: expected, Ratio: ratio, Score: score, Window: window})
	}
	slices.SortFunc(out, func(a, b Surge) int {
		if r := cmp.Compare(b.Score, a.Score); r != 0 {
			return r
		}
		return cmp.Compare(a.Topic.ID, b.Topic.ID)
	})
	return out
}

// logPoissonTail returns ln P(X >= r) for X ~ Poisson(lambda), computed in
// log space so that tiny probabilities keep their size. It is meant for
// r > lambda, where the terms shrink as k grows.
func logPoissonTail(r int, lambda float64) float64 {
	if r <= 0 {
		return 0
	}
	logTerm := func(k int) float64 {
		lg, _ := math.Lgamma(float64(k) + 1)
		return -lambda + float64(k)*math.Log(lambda) - lg
	}
	first := logTerm(r)
	sum := 1.0 // terms relative to the first
	for k := r + 1; k < r+10000; k++ {
		rel := math.Exp(logTerm(k) - first)
		sum += rel
		if rel < 1e-12*sum {
			break
		}
	}
	return min(0, first+math.Log(sum))
}

// Match returns the index of the topic whose prototype (Terms with
// Weights) text is most similar to, and that cosine similarity; -1 when it
// shares no term with any topic. The "other" topic is never matched. The
// text's own features are not weighted by IDF (there is no corpus), so
// similarities run lower than the ones Cluster works with: 0.3 is a fair
// threshold. To match many texts, build a Matcher once.
func Match(topics []Topic, text string) (int, float64) {
	return NewMatcher(topics).Match(text)
}

// Matcher matches texts against fixed topics through an inverted index of
// their prototypes. It is safe for concurrent use.
type Matcher struct {
	post map[string][]posting
}

// NewMatcher indexes the prototypes of topics; indexes returned by Match
// refer to this slice.
func NewMatcher(topics []Topic) *Matcher {
	m := &Matcher{post: make(map[string][]posting)}
	for k, t := range topics {
		if t.ID == OtherID || len(t.Terms) != len(t.Weights) {
			continue
		}
		var norm float64
		for _, w := range t.Weights {
			norm += w * w
		}
		if norm == 0 {
			continue
		}
		s := 1 / math.Sqrt(norm)
		for i, term := range t.Terms {
			m.post[term] = append(m.post[term], posting{int32(k), float32(t.Weights[i] * s)})
		}
	}
	return m
}

// Match is the package-level Match against the Matcher's topics.
func (m *Matcher) Match(text string) (int, float64) {
	fs := features(text)
	var norm float64
	for _, f := range fs {
		norm += float64(f.w) * float64(f.w)
	}
	if norm == 0 {
		return -1, 0
	}
	s := 1 / math.Sqrt(norm)
	acc := make(map[int32]float64)
	for _, f := range fs {
		for _, p := range m.post[f.name] {
			acc[p.topic] += float64(f.w) * s * float64(p.w)
		}
	}
	best, bestSim := -1, 0.0
	for k, sim := range acc {
		if best < 0 || sim > bestSim || (sim == bestSim && int(k) < best) {
			best, bestSim = int(k), sim
		}
	}
	return best, bestSim
}
