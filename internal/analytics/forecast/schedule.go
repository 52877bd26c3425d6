package forecast

import (
	"fmt"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// HourCover compares one hour's need with the schedule.
type HourCover struct {
	Start     time.Time
	Contacts  float64  // forecast contacts
	Needed    Staffing // what the forecast hour needs
	Scheduled int      // agents on the schedule (paid, before shrinkage)
	// Gap is Scheduled − Needed.Agents: negative is short, positive over.
	Gap int
	// Achieved is what the scheduled agents, after shrinkage, would reach.
	Achieved Staffing
}

// Coverage sums a schedule comparison.
type Coverage struct {
	Hours []HourCover
	// ShortHours counts hours with fewer agents scheduled than needed.
	ShortHours int
	// ShortAgentHours and OverAgentHours add up the gaps below and above
	// zero: the agent-hours to add, and those that could be moved.
	ShortAgentHours, OverAgentHours int
	// ServiceLevel is the contact-weighted service level the schedule
	// would achieve over the whole forecast.
	ServiceLevel float64
}

// Compare sets a schedule (agents per hour, aligned with f) against what
// forecast f needs under p.
func Compare(f Series, p Params, scheduled []int) (Coverage, error) {
	if len(scheduled) != len(f.Counts) {
		return Coverage{}, fmt.Errorf("forecast: compare: %w", desk.Invalid("scheduled",
			fmt.Sprintf("%d hours, forecast has %d", len(scheduled), len(f.Counts))))
	}
	needed, err := Plan(f, p)
	if err != nil {
		return Coverage{}, fmt.Errorf("forecast: compare: %w", err)
	}
	c := Coverage{Hours: make([]HourCover, len(f.Counts))}
	var answered, total float64
	for i, sched := range scheduled {
		if sched < 0 {
			return Coverage{}, fmt.Errorf("forecast: compare: %w", desk.Invalid("scheduled",
				fmt.Sprintf("hour %d is negative", i)))
		}
		p.ContactsPerHour = f.Counts[i]
		// People on the queue: the scheduled minus the shrinkage share.
		onQueue := int(float64(sched)*(1-p.Shrinkage) + 1e-9) // the inverse of Staffing.Agents
		got, err := Evaluate(p, onQueue)
		if err != nil {
			return Coverage{}, fmt.Errorf("forecast: compare: %w", err)
		}
		h := HourCover{Start: f.At(i), Contacts: f.Counts[i], Needed: needed[i], Scheduled: sched,
			Gap: sched - needed[i].Agents, Achieved: got}
		if h.Gap < 0 {
			c.ShortHours++
			c.ShortAgentHours -= h.Gap
		} else {
			c.OverAgentHours += h.Gap
		}
		answered += got.ServiceLevel * f.Counts[i]
		total += f.Counts[i]
		c.Hours[i] = h
	}
	c.ServiceLevel = 1
	if total > 0 {
		c.ServiceLevel = answered / total
	}
	return c, nil
}
