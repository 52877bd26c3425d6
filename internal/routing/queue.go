package routing

import (
	"cmp"
	"fmt"
	"slices"
	"sync"

	"github.com/balie-dev/balie/internal/desk"
)

// Entry is a conversation waiting for an agent, with what it needs.
type Entry struct {
	Request Request
	Need    Need
}

// priority is the entry's effective priority: the rule's outcome when there
// was one, else the request's.
func (e *Entry) priority() int { return max(rank(e.Need.Priority), rank(e.Request.Priority)) }

// before orders a queue: higher priority first, then the longest waiting,
// then the lower conversation id so that the order is total.
func (e *Entry) before(o *Entry) int {
	return cmp.Or(
		cmp.Compare(o.priority(), e.priority()),
		e.Request.WaitingSince.Compare(o.Request.WaitingSince),
		cmp.Compare(e.Request.ConversationID, o.Request.ConversationID),
	)
}

// Queue holds the conversations waiting for an agent, one line per team (team
// 0 for conversations without one), each ordered by priority and then by
// WaitingSince, oldest first. It is safe for concurrent use.
type Queue struct {
	mu      sync.Mutex
	lines   map[int64][]*Entry         // team id → ordered line
	byConv  map[int64]*Entry           // conversation id → entry
	byOwner map[int64]map[int64]*Entry // account owner → conversation id → entry
}

// NewQueue returns an empty queue.
func NewQueue() *Queue {
	return &Queue{
		lines:   make(map[int64][]*Entry),
		byConv:  make(map[int64]*Entry),
		byOwner: make(map[int64]map[int64]*Entry),
	}
}

// Add puts a conversation in its team's line, or moves it when it is already
// waiting (re-routed, priority changed). A conversation's place follows from
// its priority and WaitingSince, so adding back one that could not be
// assigned puts it back where it was.
func (q *Queue) Add(req Request, n Need) error {
	if req.ConversationID <= 0 {
		return fmt.Errorf("routing: queue add: %w", desk.Invalid("conversation", "id must be positive"))
	}
	e := &Entry{Request: req, Need: n}
	e.Need.Explain = nil // the queue has no use for it; don't keep it alive
	q.mu.Lock()
	defer q.mu.Unlock()
	q.remove(req.ConversationID)
	line := q.lines[n.TeamID]
	i, _ := slices.BinarySearchFunc(line, e, (*Entry).before)
	q.lines[n.TeamID] = slices.Insert(line, i, e)
	q.byConv[req.ConversationID] = e
	if o := req.AccountOwnerID; o != 0 {
		if q.byOwner[o] == nil {
			q.byOwner[o] = make(map[int64]*Entry)
		}
		q.byOwner[o][req.ConversationID] = e
	}
	return nil
}

// Remove takes a conversation out of the queue (assigned by hand, resolved,
// the customer left). It reports whether it was waiting.
func (q *Queue) Remove(conversationID int64) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.remove(conversationID)
}

func (q *Queue) remove(conversationID int64) bool {
	e := q.byConv[conversationID]
	if e == nil {
		return false
	}
	delete(q.byConv, conversationID)
	if o := e.Request.AccountOwnerID; o != 0 {
		delete(q.byOwner[o], conversationID)
		if len(q.byOwner[o]) == 0 {
			delete(q.byOwner, o)
		}
	}
	team := e.Need.TeamID
	line := q.lines[team]
	if i, ok := slices.BinarySearchFunc(line, e, (*Entry).before); ok {
		line = slices.Delete(line, i, i+1)
	}
	if len(line) == 0 {
		delete(q.lines, team)
	} else {
		q.lines[team] = line
	}
	return true
}

// Position gives a waiting conversation's place in its team's line (1 is
// next) and how many wait ahead of it, for the widget's "you are number 3".
// ok is false when the conversation is not waiting.
func (q *Queue) Position(conversationID int64) (place, ahead int, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	e := q.byConv[conversationID]
	if e == nil {
		return 0, 0, false
	}
	i, _ := slices.BinarySearchFunc(q.lines[e.Need.TeamID], e, (*Entry).before)
	return i + 1, i, true
}

// List returns a team's line in order (team 0: conversations without a
// team), for the queue that agents of manual teams pick from.
func (q *Queue) List(teamID int64) []Entry {
	q.mu.Lock()
	defer q.mu.Unlock()
	line := q.lines[teamID]
	out := make([]Entry, len(line))
	for i, e := range line {
		out[i] = *e
	}
	return out
}

// Len returns how many conversations wait in all lines.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.byConv)
}

// NextFor offers an agent who has capacity on a channel the first waiting
// conversation on that channel they may take, takes it out of the queue and
// counts it as assigned to them (as Assign does). Candidates are the heads,
// among the conversations the agent has the skills for, of the lines of the
// agent's teams that are not manual and of the line without a team, plus the
// conversations of customers whose account owner the agent is (skills and
// team aside, as in Pick); the first by priority and then age wins. ok is
// false when the agent is not online, has no capacity left on the channel or
// nothing fits.
//
// If the caller then fails to store the assignment, it gives the slot back
// with AddLoad(agentID, ch, -1) and puts the entry back with q.Add.
func (r *Router) NextFor(q *Queue, agentID int64, ch desk.ChannelKind) (Entry, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.agents[agentID]
	if a == nil || a.status != desk.Online || !a.free(ch) {
		return Entry{}, false
	}

	q.mu.Lock()
	defer q.mu.Unlock()
	var best *Entry
	consider := func(e *Entry) {
		if best == nil || e.before(best) < 0 {
			best = e
		}
	}
	for _, e := range q.byOwner[agentID] {
		if e.Request.Channel == ch {
			consider(e)
		}
	}
	teams := append(a.teams[:len(a.teams):len(a.teams)], 0)
	for _, t := range teams {
		if t != 0 && r.mode(t) == ModeManual {
			continue
		}
		// The line is ordered, so the first fit is this line's candidate.
		for _, e := range q.lines[t] {
			if e.Request.Channel == ch && a.hasSkills(e.Need.Skills) {
				consider(e)
				break
			}
		}
	}
	if best == nil {
		return Entry{}, false
	}
	q.remove(best.Request.ConversationID)
	a.load[ch]++
	a.lastAssigned = r.clock.Now()
	return *best, true
}
