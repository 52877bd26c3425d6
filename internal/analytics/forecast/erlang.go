package forecast

import (
	"fmt"
	"math"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// maxLoad bounds the offered load AgentsNeeded accepts, in Erlangs: far
// beyond any contact centre (a million agents busy at once), and it keeps
// the linear search bounded.
const maxLoad = 1e6

// Params describe one hour of one live channel to staff.
type Params struct {
	// ContactsPerHour is the arrival rate (a forecast hour's count).
	ContactsPerHour float64
	// AHT is the mean handling time of one contact. For chat, the
	// wall-clock time a chat occupies one of the agent's Concurrency slots.
	AHT time.Duration
	// TargetAnswer is the answer time of the service level, e.g. 20s.
	TargetAnswer time.Duration
	// ServiceLevel is the share of contacts to answer within TargetAnswer,
	// in (0, 1), e.g. 0.8.
	ServiceLevel float64
	// MaxOccupancy caps the share of time agents are busy, in (0, 1]; 0
	// means no cap. 0.85 is usual: above it people burn out.
	MaxOccupancy float64
	// Concurrency is how many contacts an agent handles at once (chat:
	// 2–3); 0 means 1.
	Concurrency int
	// Shrinkage is the share of paid time an agent is not available for
	// contacts (breaks, meetings, training, sickness), in [0, 1).
	Shrinkage float64
}

func (p Params) validate() error {
	switch {
	case p.ContactsPerHour < 0 || math.IsNaN(p.ContactsPerHour) || math.IsInf(p.ContactsPerHour, 0):
		return desk.Invalid("contacts_per_hour", fmt.Sprint(p.ContactsPerHour))
	case p.AHT <= 0:
		return desk.Invalid("aht", "must be positive")
	case p.TargetAnswer < 0:
		return desk.Invalid("target_answer", "negative")
	case !(p.ServiceLevel > 0 && p.ServiceLevel < 1):
		return desk.Invalid("service_level", "must be between 0 and 1")
	case !(p.MaxOccupancy >= 0 && p.MaxOccupancy <= 1):
		return desk.Invalid("max_occupancy", "must be between 0 and 1")
	case p.Concurrency < 0:
		return desk.Invalid("concurrency", "negative")
	case !(p.Shrinkage >= 0 && p.Shrinkage < 1):
		return desk.Invalid("shrinkage", "must be at least 0 and below 1")
	case p.load() > maxLoad:
		return desk.Invalid("contacts_per_hour", "load beyond a million Erlangs")
	}
	return nil
}

// load is the offered traffic in Erlangs: contacts busy at once on average.
func (p Params) load() float64 { return p.ContactsPerHour * p.AHT.Hours() }

func (p Params) slots() int { return max(1, p.Concurrency) }

// Staffing is the outcome of a number of agents for Params.
type Staffing struct {
	// Agents is the number to schedule: RawAgents grossed up for shrinkage.
	Agents int
	// RawAgents is the number that must be available at once.
	RawAgents int
	// Servers is RawAgents × Concurrency: the queue's parallel slots.
	Servers int
	// Load is the offered traffic in Erlangs.
	Load float64
	// PWait is the probability a contact has to wait at all (Erlang C).
	PWait float64
	// ServiceLevel is the share answered within the target answer time.
	ServiceLevel float64
	// ASA is the average speed of answer over all contacts; math.MaxInt64
	// when Overloaded.
	ASA time.Duration
	// Occupancy is the share of time a slot is busy: Load / Servers, at
	// most 1.
	Occupancy float64
}

// Overloaded reports whether contacts arrive faster than the servers can
// handle them: the queue then grows all hour and the other measures are
// meaningless.
func (s Staffing) Overloaded() bool { return s.Load > 0 && float64(s.Servers) <= s.Load }

// ErlangB returns the blocking probability of servers servers offered load
// Erlangs, by the recursion B(n) = A·B(n−1) / (n + A·B(n−1)), which stays
// within [0, 1] where the textbook formula with A^n/n! overflows.
func ErlangB(servers int, load float64) float64 {
	b := 1.0
	for n := 1; n <= servers; n++ {
		b = load * b / (float64(n) + load*b)
	}
	return b
}

// erlangCFromB turns Erlang B of the same servers and load into Erlang C.
func erlangCFromB(servers int, load, b float64) float64 {
	n := float64(servers)
	if n <= load {
		return 1 // the queue grows without bound: everyone waits
	}
	return n * b / (n - load*(1-b))
}

// ErlangC returns the probability that a contact waits, with servers
// servers and load Erlangs offered (M/M/N). It is 1 when servers ≤ load.
func ErlangC(servers int, load float64) float64 {
	return erlangCFromB(servers, load, ErlangB(servers, load))
}

// Evaluate returns what agents available agents (before shrinkage: people
// on the queue) achieve for p. Use it to show the service level of the
// current schedule.
func Evaluate(p Params, agents int) (Staffing, error) {
	if err := p.validate(); err != nil {
		return Staffing{}, fmt.Errorf("forecast: evaluate: %w", err)
	}
	if agents < 0 {
		return Staffing{}, fmt.Errorf("forecast: evaluate: %w", desk.Invalid("agents", "negative"))
	}
	servers := agents * p.slots()
	return p.staffing(agents, ErlangB(servers, p.load())), nil
}

// staffing fills in the measures for agents, given Erlang B of their servers.
func (p Params) staffing(agents int, b float64) Staffing {
	a := p.load()
	s := Staffing{
		RawAgents: agents,
		Agents:    int(math.Ceil(float64(agents)/(1-p.Shrinkage) - 1e-9)),
		Servers:   agents * p.slots(),
		Load:      a,
	}
	if a == 0 {
		s.ServiceLevel = 1
		return s
	}
	n := float64(s.Servers)
	if n <= a {
		// Overloaded: the queue grows all hour, nobody is answered in time.
		s.PWait, s.Occupancy = 1, 1
		s.ASA = time.Duration(math.MaxInt64)
		return s
	}
	s.Occupancy = a / n
	s.PWait = erlangCFromB(s.Servers, a, b)
	aht := p.AHT.Seconds()
	s.ServiceLevel = 1 - s.PWait*math.Exp(-(n-a)*p.TargetAnswer.Seconds()/aht)
	s.ASA = time.Duration(s.PWait * aht / (n - a) * float64(time.Second))
	return s
}

// AgentsNeeded returns the smallest number of agents that reaches the
// service level within the occupancy cap for p. An hour with no contacts
// needs no agents.
func AgentsNeeded(p Params) (Staffing, error) {
	if err := p.validate(); err != nil {
		return Staffing{}, fmt.Errorf("forecast: agents needed: %w", err)
	}
	a := p.load()
	if a == 0 {
		return p.staffing(0, 1), nil
	}
	maxOcc := p.MaxOccupancy
	if maxOcc == 0 {
		maxOcc = 1
	}
	k := p.slots()
	// Walk the agents up, extending the Erlang B recursion by k servers a
	// step, so the whole search costs O(final servers).
	b, servers := 1.0, 0
	for agents := 1; ; agents++ {
		for range k {
			servers++
			b = a * b / (float64(servers) + a*b)
		}
		if float64(servers) <= a {
			continue
		}
		s := p.staffing(agents, b)
		if s.ServiceLevel >= p.ServiceLevel && s.Occupancy <= maxOcc {
			return s, nil
		}
	}
}

// Plan sizes every hour of a forecast with p, its ContactsPerHour taken
// from the forecast.
func Plan(f Series, p Params) ([]Staffing, error) {
	out := make([]Staffing, len(f.Counts))
	for i, c := range f.Counts {
		p.ContactsPerHour = c
		s, err := AgentsNeeded(p)
		if err != nil {
			return nil, fmt.Errorf("forecast: plan: hour %s: %w", f.At(i).In(f.Location()).Format(time.DateTime), err)
		}
		out[i] = s
	}
	return out, nil
}
