package routing

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

var (
	benchLangs      = []string{"nl", "en", "de", "fr"}
	benchCategories = []string{"billing", "shipping", "returns", "repair", "account", "product"}
	benchChannels   = []desk.ChannelKind{desk.ChannelWebChat, desk.ChannelEmail, desk.ChannelWhatsApp}
)

// benchRouter builds a company of 500 agents in 20 teams: most in one team,
// a fifth in two, a fifth away or offline, with varied skills and load.
func benchRouter(b *testing.B, rng *rand.Rand) *Router {
	b.Helper()
	r := NewRouter(&tickClock{now: t0})
	for id := range int64(20) {
		mode := ModeLeastLoaded
		if id%4 == 3 {
			mode = ModeRoundRobin
		}
		if err := r.SetTeam(Team{ID: id + 1, Mode: mode}); err != nil {
			b.Fatal(err)
		}
	}
	for id := range int64(500) {
		a := AgentState{ID: id + 1, TeamIDs: []int64{id%20 + 1}, Status: desk.Online,
			Capacity: DefaultCapacity(), Load: map[desk.ChannelKind]int{},
			LastAssigned: t0.Add(-time.Duration(rng.IntN(3600)) * time.Second)}
		if rng.IntN(5) == 0 {
			a.TeamIDs = append(a.TeamIDs, int64(rng.IntN(20)+1))
		}
		switch rng.IntN(10) {
		case 0:
			a.Status = desk.Away
		case 1:
			a.Status = desk.Offline
		}
		for _, l := range benchLangs {
			if rng.IntN(2) == 0 || l == "nl" {
				a.Skills = append(a.Skills, Skill{Name: "lang:" + l, Level: rng.IntN(5) + 1})
			}
		}
		for _, c := range benchCategories {
			if rng.IntN(3) == 0 {
				a.Skills = append(a.Skills, Skill{Name: "category:" + c, Level: rng.IntN(5) + 1})
			}
		}
		for _, ch := range benchChannels {
			a.Load[ch] = rng.IntN(a.Capacity[ch] + 1)
		}
		if err := r.SetAgent(a); err != nil {
			b.Fatal(err)
		}
	}
	return r
}

// benchRules: one rule per team on category and language, plus a few on
// segment and priority, with a catch-all last.
func benchRules() []Rule {
	var rules []Rule
	for i, c := range benchCategories {
		for j, l := range benchLangs[:3] {
			id := int64(len(rules) + 1)
			rules = append(rules, Rule{ID: id, Name: c + " " + l, Position: int(id),
				Categories: []string{c}, Languages: []string{l}, TeamID: int64((i*3+j)%20 + 1),
				Skills: []Skill{{Name: "lang:" + l, Level: 2}, {Name: "category:" + c, Level: 1}}})
		}
	}
	rules = append(rules,
		Rule{ID: 100, Name: "vip", Position: 0, Segments: []string{"vip"}, TeamID: 19, Priority: desk.PriorityHigh},
		Rule{ID: 101, Name: "urgent", Position: 50, MinPriority: desk.PriorityUrgent, TeamID: 20},
		Rule{ID: 102, Name: "rest", Position: 99, TeamID: 1})
	return rules
}

func benchRequests(rng *rand.Rand, n int) []Request {
	reqs := make([]Request, n)
	for i := range reqs {
		reqs[i] = Request{ConversationID: int64(i + 1),
			Category: benchCategories[rng.IntN(len(benchCategories))],
			Language: benchLangs[rng.IntN(len(benchLangs))],
			Channel:  benchChannels[rng.IntN(len(benchChannels))],
			Priority: []desk.Priority{desk.PriorityNone, desk.PriorityLow, desk.PriorityUrgent}[rng.IntN(3)]}
		if rng.IntN(10) == 0 {
			reqs[i].Segment = "vip"
		}
		if rng.IntN(20) == 0 {
			reqs[i].AccountOwnerID = int64(rng.IntN(500) + 1)
		}
	}
	return reqs
}

// reportLatency times every operation, as the target is a tail latency.
func reportLatency(b *testing.B, op func(i int)) {
	lat := make([]time.Duration, 0, b.N)

	for i := 0; b.Loop(); i++ {
		start := time.Now()
		op(i)
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	at := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Nanoseconds()) }
	b.ReportMetric(at(0.50), "p50-ns")
	b.ReportMetric(at(0.99), "p99-ns")
	b.ReportMetric(float64(lat[len(lat)-1].Nanoseconds()), "max-ns")
}

// BenchmarkPick500 measures Pick alone, on needs from the rules.
func BenchmarkPick500(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	r := benchRouter(b, rng)
	rules := benchRules()
	reqs := benchRequests(rng, 4096)
	needs := make([]Need, len(reqs))
	picked := 0
	for i, req := range reqs {
		needs[i] = Match(rules, req)
		if _, _, ok := r.Pick(needs[i], req); ok {
			picked++
		}
	}
	b.Logf("%d of %d requests find an agent", picked, len(reqs))
	reportLatency(b, func(i int) {
		j := i % len(reqs)
		r.Pick(needs[j], reqs[j])
	})
}

// BenchmarkDecision500 measures the whole decision on arrival: Match over 21
// rules with the explanation, then Assign, giving the slot back so that the
// company does not fill up.
func BenchmarkDecision500(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	r := benchRouter(b, rng)
	rules := benchRules()
	reqs := benchRequests(rng, 4096)
	reportLatency(b, func(i int) {
		req := reqs[i%len(reqs)]
		if id, _, ok := r.Assign(Match(rules, req), req); ok {
			if err := r.AddLoad(id, req.Channel, -1); err != nil {
				panic(fmt.Sprint(err))
			}
		}
	})
}

// BenchmarkNextFor measures offering the next conversation from 2000 waiting
// across 20 teams, putting it back each time.
func BenchmarkNextFor(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	r := benchRouter(b, rng)
	rules := benchRules()
	q := NewQueue()
	for _, req := range benchRequests(rng, 2000) {
		req.WaitingSince = t0.Add(-time.Duration(rng.IntN(3600)) * time.Second)
		if err := q.Add(req, Match(rules, req)); err != nil {
			b.Fatal(err)
		}
	}
	reportLatency(b, func(i int) {
		id := int64(i%500 + 1)
		ch := benchChannels[i%len(benchChannels)]
		if e, ok := r.NextFor(q, id, ch); ok {
			_ = r.AddLoad(id, ch, -1)
			_ = q.Add(e.Request, e.Need)
		}
	})
}
