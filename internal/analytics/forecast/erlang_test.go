package forecast

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// slowErlangC is the textbook formula with factorials, in 256-bit floats:
// an independent check of the recursion in ErlangC.
func slowErlangC(n int, a float64) float64 {
	const prec = 256
	A := new(big.Float).SetPrec(prec).SetFloat64(a)
	term := new(big.Float).SetPrec(prec).SetInt64(1) // A^k / k!
	sum := new(big.Float).SetPrec(prec)
	for k := 0; k < n; k++ {
		sum.Add(sum, term)
		term.Mul(term, A)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(int64(k+1)))
	}
	// term is now A^n / n!; the waiting term is A^n/n! · n/(n−A).
	wait := new(big.Float).SetPrec(prec).Mul(term, big.NewFloat(float64(n)/(float64(n)-a)))
	den := new(big.Float).SetPrec(prec).Add(sum, wait)
	c, _ := new(big.Float).Quo(wait, den).Float64()
	return c
}

func TestErlangCMatchesFactorialFormula(t *testing.T) {
	tests := []struct {
		name    string
		servers int
		load    float64
	}{
		{"small", 3, 2},
		{"textbook 11 agents", 11, 10},
		{"textbook 14 agents", 14, 10},
		{"near saturation", 101, 100},
		{"mid-size centre", 60, 50},
		{"large, where n! overflows float64", 400, 380},
		{"fractional load", 7, 5.37},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, want := ErlangC(tc.servers, tc.load), slowErlangC(tc.servers, tc.load)
			if math.Abs(got-want) > 1e-10 {
				t.Errorf("ErlangC(%d, %v) = %.12f, want %.12f", tc.servers, tc.load, got, want)
			}
		})
	}
}

func TestErlangCOverloadedIsOne(t *testing.T) {
	for _, n := range []int{0, 5, 10} {
		if got := ErlangC(n, 10); got != 1 {
			t.Errorf("ErlangC(%d, 10) = %v, want 1", n, got)
		}
	}
}

// The worked example in most Erlang C introductions (e.g. Call Centre
// Helper's "Erlang C formula made simple"): 100 calls in 30 minutes, AHT
// 180 s, 80% in 20 s. 13 agents reach 79.6%, so 14 are needed: P(wait)
// 17.4%, service level 88.8%, ASA 7.8 s, occupancy 71.4%.
func TestAgentsNeededTextbook(t *testing.T) {
	p := Params{ContactsPerHour: 200, AHT: 180 * time.Second, TargetAnswer: 20 * time.Second, ServiceLevel: 0.8}
	got, err := AgentsNeeded(p)
	if err != nil {
		t.Fatal(err)
	}
	if got.RawAgents != 14 || got.Agents != 14 || got.Servers != 14 {
		t.Errorf("agents = %d raw, %d scheduled, %d servers; want 14 each", got.RawAgents, got.Agents, got.Servers)
	}
	checks := []struct {
		name      string
		got, want float64
		tol       float64
	}{
		{"load", got.Load, 10, 1e-12},
		{"P(wait)", got.PWait, 0.1741, 5e-4},
		{"service level", got.ServiceLevel, 0.8884, 5e-4},
		{"ASA seconds", got.ASA.Seconds(), 7.84, 0.01},
		{"occupancy", got.Occupancy, 10.0 / 14, 1e-12},
	}
	for _, c := range checks {
		if math.Abs(c.got-c.want) > c.tol {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	short, err := Evaluate(p, 13)
	if err != nil {
		t.Fatal(err)
	}
	if short.ServiceLevel >= 0.8 || math.Abs(short.ServiceLevel-0.7956) > 5e-4 {
		t.Errorf("13 agents: service level = %v, want 0.7956 (just short of 0.8)", short.ServiceLevel)
	}
}

func TestAgentsNeeded(t *testing.T) {
	base := Params{ContactsPerHour: 200, AHT: 180 * time.Second, TargetAnswer: 20 * time.Second, ServiceLevel: 0.8}
	tests := []struct {
		name string
		edit func(*Params)
		want func(t *testing.T, s Staffing)
	}{
		{"no contacts need no agents", func(p *Params) { p.ContactsPerHour = 0 }, func(t *testing.T, s Staffing) {
			if s.Agents != 0 || s.ServiceLevel != 1 {
				t.Errorf("got %d agents, service level %v; want 0 and 1", s.Agents, s.ServiceLevel)
			}
		}},
		{"a trickle still needs one agent", func(p *Params) { p.ContactsPerHour = 0.5 }, func(t *testing.T, s Staffing) {
			if s.Agents != 1 {
				t.Errorf("got %d agents, want 1", s.Agents)
			}
		}},
		{"shrinkage grosses up", func(p *Params) { p.Shrinkage = 0.3 }, func(t *testing.T, s Staffing) {
			if s.RawAgents != 14 || s.Agents != 20 { // ceil(14 / 0.7)
				t.Errorf("got %d raw, %d scheduled; want 14 and 20", s.RawAgents, s.Agents)
			}
		}},
		{"shrinkage exact division does not round up", func(p *Params) { p.Shrinkage = 0.3; p.ContactsPerHour = 110 }, func(t *testing.T, s Staffing) {
			if want := int(math.Ceil(float64(s.RawAgents)/0.7 - 1e-9)); s.Agents != want {
				t.Errorf("got %d scheduled for %d raw, want %d", s.Agents, s.RawAgents, want)
			}
		}},
		{"occupancy cap binds on a lax service level", func(p *Params) {
			p.ServiceLevel, p.MaxOccupancy, p.ContactsPerHour = 0.2, 0.85, 1000
		}, func(t *testing.T, s Staffing) {
			if s.Occupancy > 0.85 {
				t.Errorf("occupancy = %v, want at most 0.85", s.Occupancy)
			}
			if float64(s.Servers-1) > s.Load/0.85 {
				t.Errorf("%d servers for load %v: one fewer would still meet the cap", s.Servers, s.Load)
			}
		}},
		{"chat concurrency counts slots", func(p *Params) { p.Concurrency = 3 }, func(t *testing.T, s Staffing) {
			if s.Servers != 3*s.RawAgents {
				t.Errorf("servers = %d for %d agents, want 3 each", s.Servers, s.RawAgents)
			}
			// 14 servers suffice for this load, so 5 agents × 3 slots.
			if s.RawAgents != 5 {
				t.Errorf("agents = %d, want 5", s.RawAgents)
			}
		}},
		{"huge load stays finite", func(p *Params) { p.ContactsPerHour = 1e6; p.AHT = 5 * time.Minute }, func(t *testing.T, s Staffing) {
			for name, v := range map[string]float64{"pwait": s.PWait, "sl": s.ServiceLevel, "occ": s.Occupancy} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Errorf("%s = %v", name, v)
				}
			}
			if float64(s.Servers) <= s.Load || s.ServiceLevel < 0.8 {
				t.Errorf("got %d servers for load %v at service level %v", s.Servers, s.Load, s.ServiceLevel)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := base
			tc.edit(&p)
			s, err := AgentsNeeded(p)
			if err != nil {
				t.Fatal(err)
			}
			tc.want(t, s)
		})
	}
}

func TestAgentsNeededIsMinimal(t *testing.T) {
	for _, rate := range []float64{1, 7, 30, 200, 1000, 5000} {
		for _, k := range []int{1, 2, 3} {
			p := Params{ContactsPerHour: rate, AHT: 4 * time.Minute, TargetAnswer: 30 * time.Second,
				ServiceLevel: 0.9, MaxOccupancy: 0.9, Concurrency: k}
			s, err := AgentsNeeded(p)
			if err != nil {
				t.Fatal(err)
			}
			if s.ServiceLevel < p.ServiceLevel || s.Occupancy > p.MaxOccupancy {
				t.Errorf("rate %v k %d: %d agents give SL %v occupancy %v", rate, k, s.RawAgents, s.ServiceLevel, s.Occupancy)
			}
			fewer, err := Evaluate(p, s.RawAgents-1)
			if err != nil {
				t.Fatal(err)
			}
			if fewer.ServiceLevel >= p.ServiceLevel && fewer.Occupancy <= p.MaxOccupancy && !fewer.Overloaded() {
				t.Errorf("rate %v k %d: %d agents would do (SL %v), got %d", rate, k, s.RawAgents-1, fewer.ServiceLevel, s.RawAgents)
			}
		}
	}
}

func TestMonotonicity(t *testing.T) {
	const load = 40.0
	prevC, prevSL := 1.0, 0.0
	p := Params{ContactsPerHour: load * 20, AHT: 3 * time.Minute, TargetAnswer: 20 * time.Second, ServiceLevel: 0.8}
	for n := 41; n < 80; n++ {
		c := ErlangC(n, load)
		s, err := Evaluate(p, n)
		if err != nil {
			t.Fatal(err)
		}
		if c >= prevC || s.ServiceLevel <= prevSL {
			t.Errorf("n=%d: P(wait) %v (before %v), SL %v (before %v): want P(wait) falling, SL rising", n, c, prevC, s.ServiceLevel, prevSL)
		}
		prevC, prevSL = c, s.ServiceLevel
	}
	prevAgents := 0
	for rate := 0.0; rate <= 3000; rate += 37 {
		p.ContactsPerHour = rate
		s, err := AgentsNeeded(p)
		if err != nil {
			t.Fatal(err)
		}
		if s.Agents < prevAgents {
			t.Errorf("rate %v needs %d agents, fewer than %d at a lower rate", rate, s.Agents, prevAgents)
		}
		prevAgents = s.Agents
	}
	prevAgents = 0
	for _, sl := range []float64{0.5, 0.7, 0.8, 0.9, 0.95, 0.99} {
		p.ContactsPerHour, p.ServiceLevel = 500, sl
		s, err := AgentsNeeded(p)
		if err != nil {
			t.Fatal(err)
		}
		if s.Agents < prevAgents {
			t.Errorf("service level %v needs %d agents, fewer than %d for a lower one", sl, s.Agents, prevAgents)
		}
		prevAgents = s.Agents
	}
}

func TestParamsValidation(t *testing.T) {
	ok := Params{ContactsPerHour: 10, AHT: time.Minute, TargetAnswer: 20 * time.Second, ServiceLevel: 0.8}
	tests := []struct {
		name string
		edit func(*Params)
	}{
		{"negative rate", func(p *Params) { p.ContactsPerHour = -1 }},
		{"NaN rate", func(p *Params) { p.ContactsPerHour = math.NaN() }},
		{"infinite rate", func(p *Params) { p.ContactsPerHour = math.Inf(1) }},
		{"zero AHT", func(p *Params) { p.AHT = 0 }},
		{"negative target", func(p *Params) { p.TargetAnswer = -time.Second }},
		{"service level 1", func(p *Params) { p.ServiceLevel = 1 }},
		{"service level 0", func(p *Params) { p.ServiceLevel = 0 }},
		{"occupancy above 1", func(p *Params) { p.MaxOccupancy = 1.2 }},
		{"negative concurrency", func(p *Params) { p.Concurrency = -1 }},
		{"shrinkage 1", func(p *Params) { p.Shrinkage = 1 }},
		{"absurd load", func(p *Params) { p.ContactsPerHour = 1e12 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := ok
			tc.edit(&p)
			if _, err := AgentsNeeded(p); !errors.Is(err, desk.ErrInvalid) {
				t.Errorf("AgentsNeeded error = %v, want ErrInvalid", err)
			}
			if _, err := Evaluate(p, 3); !errors.Is(err, desk.ErrInvalid) {
				t.Errorf("Evaluate error = %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := AgentsNeeded(ok); err != nil {
		t.Errorf("valid params: %v", err)
	}
	if _, err := Evaluate(ok, -1); !errors.Is(err, desk.ErrInvalid) {
		t.Errorf("Evaluate(-1 agents) error = %v, want ErrInvalid", err)
	}
}

func BenchmarkAgentsNeeded(b *testing.B) {
	for _, rate := range []float64{200, 10000} {
		p := Params{ContactsPerHour: rate, AHT: 4 * time.Minute, TargetAnswer: 20 * time.Second, ServiceLevel: 0.8,
			MaxOccupancy: 0.85, Concurrency: 2}
		b.Run(fmt.Sprint(rate), func(b *testing.B) {
			for b.Loop() {
				if _, err := AgentsNeeded(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
