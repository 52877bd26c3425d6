package app

import (
	"context"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/slawatch"
	"github.com/balie-dev/balie/internal/worker"
)

// newSLA builds the service levels: SLA policies, teams' hours, the sweep
// and the out-of-hours replies.
func (a *App) newSLA(st desk.Store) *slawatch.Service {
	// TODO(lead): drop the assertion once desk.Store embeds RoutingStore.
	ss, ok := st.(slawatch.Store)
	if !ok {
		a.Log.Warn("sla: the store has no SLA support; no SLA policies, business hours or out-of-hours replies")
		return nil
	}
	return slawatch.New(ss, a.Conversations, a.Bus, a.Clock, slawatch.Options{Log: a.Log})
}

// slaSweepEvery is how often the SLA sweep runs: warnings and breaches are
// escalated within this much of happening.
const slaSweepEvery = 30 * time.Second

// slaRuns are the SLA's background loops: the sweep and the out-of-hours
// replies. Each node answers the messages it took in; only the node that
// routes (one of them, by a PostgreSQL lock in scale-out) sweeps, so that
// each warning and breach is escalated once.
func (a *App) slaRuns() []func(context.Context) {
	if a.SLA == nil {
		return nil
	}
	sweep := a.SLA.Sweep
	if a.Routing != nil {
		sweep = func(ctx context.Context) error {
			if !a.Routing.Leading() {
				// Another node sweeps; when this one takes over, it
				// starts from the stored state.
				a.SLA.Forget()
				return nil
			}
			return a.SLA.Sweep(ctx)
		}
	}
	sw := &worker.Sweeper{Every: slaSweepEvery, Log: a.Log, Jobs: []worker.Job{{Name: "sla sweep", Run: sweep}}}
	return []func(context.Context){sw.Run, a.SLA.Run}
}
