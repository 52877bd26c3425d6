package app

import (
	"context"
	"errors"

	"github.com/balie-dev/balie/internal/desk"
)

// agentChanged is called after an agent's role, status, availability,
// password, teams, skills or capacity changed on this node. This node drops
// the agent's cached principals at once; every node, this one included,
// hears it on the bus (followAgents).
func (a *App) agentChanged(agentID int64) {
	a.Auth.InvalidateAgent(agentID)
	a.Bus.Publish(context.Background(), desk.Event{Type: desk.EventAgentChanged, AgentID: agentID})
}

// followAgents acts on every node on agent changes, wherever they were
// made: it drops the agent's cached principals (API tokens are otherwise
// served from memory for up to 30 s), closes a disabled agent's live
// connections, and has routing read the agents again now rather than at its
// next sync (an agent who goes online gets waiting conversations at once).
func (a *App) followAgents(ctx context.Context) {
	changed := make(chan int64, 256)
	cancel := a.Bus.Subscribe(func(e desk.Event) {
		if e.Type != desk.EventAgentChanged || e.AgentID <= 0 {
			return
		}
		select {
		case changed <- e.AgentID:
		default:
			// Too many at once: the caches expire and routing syncs on its
			// own within seconds; only the connection drop waits for that.
			a.Log.Warn("agent changes dropped", "agent", e.AgentID)
		}
	})
	defer cancel()
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-changed:
			a.Auth.InvalidateAgent(id)
			a.Routing.Kick()
			ag, err := a.Store.AgentByID(ctx, id)
			switch {
			case errors.Is(err, desk.ErrNotFound) || err == nil && ag.Disabled:
				a.Hub.DropAgent(id)
			case err != nil && ctx.Err() == nil:
				a.Log.Error("agent change", "agent", id, "err", err)
			}
		}
	}
}
