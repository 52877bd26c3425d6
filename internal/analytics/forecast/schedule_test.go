package forecast

import (
	"errors"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

func TestCompare(t *testing.T) {
	start := time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)
	f := Series{Start: start, Counts: []float64{0, 200, 200, 200}}
	p := Params{AHT: 180 * time.Second, TargetAnswer: 20 * time.Second, ServiceLevel: 0.8, Shrinkage: 0.3}
	// 200 contacts an hour need 14 on the queue, 20 on the schedule.
	c, err := Compare(f, p, []int{2, 20, 15, 25})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		hour           int
		needed, gap    int
		meetsTarget    bool
		wantOverloaded bool
	}{
		{0, 0, 2, true, false},
		{1, 20, 0, true, false},
		{2, 20, -5, false, true}, // 15 scheduled, 10 on the queue for 10 Erlangs
		{3, 20, 5, true, false},
	}
	for _, tc := range tests {
		h := c.Hours[tc.hour]
		if !h.Start.Equal(start.Add(time.Duration(tc.hour) * time.Hour)) {
			t.Errorf("hour %d starts %v", tc.hour, h.Start)
		}
		if h.Needed.Agents != tc.needed || h.Gap != tc.gap {
			t.Errorf("hour %d: needed %d gap %d, want %d and %d", tc.hour, h.Needed.Agents, h.Gap, tc.needed, tc.gap)
		}
		if got := h.Achieved.ServiceLevel >= p.ServiceLevel; got != tc.meetsTarget {
			t.Errorf("hour %d: achieved service level %v, meets target = %v, want %v", tc.hour, h.Achieved.ServiceLevel, got, tc.meetsTarget)
		}
		if got := h.Achieved.Overloaded(); got != tc.wantOverloaded {
			t.Errorf("hour %d: overloaded = %v, want %v", tc.hour, got, tc.wantOverloaded)
		}
	}
	if c.ShortHours != 1 || c.ShortAgentHours != 5 || c.OverAgentHours != 7 {
		t.Errorf("short hours %d, short %d, over %d agent-hours; want 1, 5, 7", c.ShortHours, c.ShortAgentHours, c.OverAgentHours)
	}
	if c.ServiceLevel <= 0.5 || c.ServiceLevel >= 0.8 {
		t.Errorf("overall service level %v, want between 0.5 and 0.8 (one of three busy hours fails)", c.ServiceLevel)
	}
}

// Scheduling exactly what Plan asks for must reach the target in every
// hour, whatever the shrinkage rounding.
func TestCompareExactScheduleMeetsTarget(t *testing.T) {
	f := Series{Start: time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)}
	for r := 0.0; r < 400; r += 13 {
		f.Counts = append(f.Counts, r)
	}
	for _, shrink := range []float64{0, 0.1, 0.3, 0.35, 0.7} {
		p := Params{AHT: 5 * time.Minute, TargetAnswer: time.Minute, ServiceLevel: 0.85, MaxOccupancy: 0.9,
			Concurrency: 2, Shrinkage: shrink}
		plan, err := Plan(f, p)
		if err != nil {
			t.Fatal(err)
		}
		sched := make([]int, len(plan))
		for i, s := range plan {
			sched[i] = s.Agents
		}
		c, err := Compare(f, p, sched)
		if err != nil {
			t.Fatal(err)
		}
		for i, h := range c.Hours {
			if h.Gap != 0 || h.Achieved.ServiceLevel < p.ServiceLevel {
				t.Errorf("shrinkage %v, %v contacts: gap %d, achieved %v", shrink, h.Contacts, h.Gap, h.Achieved.ServiceLevel)
			}
			if h.Achieved.RawAgents != plan[i].RawAgents {
				t.Errorf("shrinkage %v, %v contacts: %d on the queue, plan has %d", shrink, h.Contacts, h.Achieved.RawAgents, plan[i].RawAgents)
			}
		}
	}
}

func TestCompareValidation(t *testing.T) {
	f := Series{Start: time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC), Counts: []float64{10, 10}}
	p := Params{AHT: time.Minute, TargetAnswer: time.Minute, ServiceLevel: 0.8}
	for name, sched := range map[string][]int{"too short": {1}, "negative": {1, -1}} {
		if _, err := Compare(f, p, sched); !errors.Is(err, desk.ErrInvalid) {
			t.Errorf("%s: error = %v, want ErrInvalid", name, err)
		}
	}
}
