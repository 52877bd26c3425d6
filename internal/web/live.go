package web

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/routing"
)

// The supervisor's live board (/app/live): every agent with their
// availability, their open conversations per channel against their
// capacity and what they have open right now; and per team the
// conversations nobody has taken yet, the longest waiting first. The page
// reads fine without the script; with it, the board is fetched again
// (/app/fragments/live) when events arrive, as the inbox does.

// Presence tells who has which conversation open, on every node;
// *realtime.Hub implements it.
type Presence interface {
	// Viewing maps agent ids to the conversations they have open, true
	// for those they are typing a reply in.
	Viewing() map[int64]map[int64]bool
}

// assigneeLoader is the store's count of open conversations per agent and
// channel (desk.RoutingStore); stores without it are counted from the
// conversation list.
type assigneeLoader interface {
	AssigneeLoad(ctx context.Context) (map[int64]map[desk.ChannelKind]int, error)
}

// Board bounds: conversations read for the waiting lists and, without
// AssigneeLoad, for the load.
const (
	maxBoardWaiting = 1000
	maxBoardLoad    = 2000
)

type liveData struct {
	Agents  []liveAgent
	Teams   []liveTeam
	Waiting int // unassigned conversations in all
	// Capped says the waiting lists stopped at maxBoardWaiting.
	Capped bool
}

type liveAgent struct {
	A       desk.Agent
	Avail   desk.Availability
	Load    []liveLoad
	Open    int // open conversations assigned, all channels
	Viewing []liveViewing
}

type liveLoad struct {
	Channel desk.ChannelKind
	Open    int
	Cap     int
	Full    bool
}

type liveViewing struct {
	ID       int64
	Title    string
	Replying bool
}

type liveTeam struct {
	Name    string // "" for conversations without a team
	Waiting []liveWaiting
}

type liveWaiting struct {
	ID      int64
	Name    string
	Subject string
	Channel desk.ChannelKind
	Since   time.Time
	Wait    string // how long, in the page's language
}

func (h *Handler) liveRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /app/live", h.adminOnly(h.livePage))
	mux.HandleFunc("GET /app/fragments/live", h.adminOnly(h.liveFragment))
}

func (h *Handler) livePage(q *req) {
	d, err := h.liveBoard(q.r.Context(), h.cats[q.locale])
	if err != nil {
		h.fail(q, err)
		return
	}
	h.render(q.w, q, http.StatusOK, "live", "live", d)
}

func (h *Handler) liveFragment(q *req) {
	d, err := h.liveBoard(q.r.Context(), h.cats[q.locale])
	if err != nil {
		h.fragmentFailed(q, err)
		return
	}
	h.renderView(q.w, q.locale, http.StatusOK, "live", "board",
		view{Locale: q.locale, Agent: q.agent, CSRF: q.csrf, D: d})
}

func (h *Handler) liveBoard(ctx context.Context, cat catalog) (liveData, error) {
	var d liveData
	now := h.d.Clock.Now()
	agents, err := h.d.Store.ListAgents(ctx)
	if err != nil {
		return d, err
	}
	teams, err := h.d.Store.ListTeams(ctx)
	if err != nil {
		return d, err
	}
	load, err := h.assigneeLoad(ctx)
	if err != nil {
		return d, err
	}
	inboxes, err := h.d.Store.ListInboxes(ctx)
	if err != nil {
		return d, err
	}
	// The board shows the channels there are inboxes for.
	used := map[desk.ChannelKind]bool{}
	for _, in := range inboxes {
		used[in.Channel] = true
	}
	var viewing map[int64]map[int64]bool
	if h.d.Presence != nil {
		viewing = h.d.Presence.Viewing()
	}
	titles := map[int64]string{}
	for _, a := range agents {
		if a.Disabled {
			continue
		}
		la := liveAgent{A: a, Avail: a.Availability}
		if la.Avail == "" {
			la.Avail = desk.Offline
		}
		la.Load, la.Open = loadRows(a, load[a.ID], used)
		for conv, replying := range viewing[a.ID] {
			title, ok := titles[conv]
			if !ok {
				title = h.convTitle(ctx, conv)
				titles[conv] = title
			}
			la.Viewing = append(la.Viewing, liveViewing{ID: conv, Title: title, Replying: replying})
		}
		slices.SortFunc(la.Viewing, func(x, y liveViewing) int { return cmp.Compare(x.ID, y.ID) })
		d.Agents = append(d.Agents, la)
	}
	slices.SortStableFunc(d.Agents, func(x, y liveAgent) int {
		return cmp.Or(cmp.Compare(availOrder(x.Avail), availOrder(y.Avail)), cmp.Compare(x.A.Name, y.A.Name))
	})

	waiting, capped, err := h.waitingConversations(ctx)
	if err != nil {
		return d, err
	}
	d.Waiting, d.Capped = len(waiting), capped
	byTeam := map[int64][]liveWaiting{}
	for _, c := range waiting {
		since := c.WaitingSince
		if since.IsZero() {
			since = c.CreatedAt
		}
		w := liveWaiting{ID: c.ID, Subject: c.Subject, Channel: c.Channel, Since: since,
			Wait: waitText(cat, max(now.Sub(since), 0))}
		if c.Contact != nil {
			w.Name = contactName(c.Contact)
		}
		byTeam[c.TeamID] = append(byTeam[c.TeamID], w)
	}
	for _, ws := range byTeam {
		slices.SortFunc(ws, func(x, y liveWaiting) int {
			return cmp.Or(x.Since.Compare(y.Since), cmp.Compare(x.ID, y.ID))
		})
	}
	known := map[int64]bool{}
	for _, t := range teams {
		known[t.ID] = true
		d.Teams = append(d.Teams, liveTeam{Name: t.Name, Waiting: byTeam[t.ID]})
	}
	// Conversations of no team, or of a team deleted meanwhile.
	var rest []liveWaiting
	for id, ws := range byTeam {
		if !known[id] {
			rest = append(rest, ws...)
		}
	}
	if len(rest) > 0 {
		slices.SortFunc(rest, func(x, y liveWaiting) int {
			return cmp.Or(x.Since.Compare(y.Since), cmp.Compare(x.ID, y.ID))
		})
		d.Teams = append(d.Teams, liveTeam{Waiting: rest})
	}
	return d, nil
}

// loadRows sets an agent's open conversations per channel against their
// capacity: on the channels in use that they take, and wherever they have
// conversations.
func loadRows(a desk.Agent, open map[desk.ChannelKind]int, used map[desk.ChannelKind]bool) ([]liveLoad, int) {
	def := routing.DefaultCapacity()
	var rows []liveLoad
	total := 0
	for _, ch := range channels {
		capacity, ok := a.Capacity[ch]
		if !ok {
			capacity = def[ch]
		}
		n := open[ch]
		total += n
		if n == 0 && (capacity == 0 || !used[ch]) {
			continue
		}
		rows = append(rows, liveLoad{Channel: ch, Open: n, Cap: capacity, Full: n >= capacity})
	}
	return rows, total
}

func availOrder(a desk.Availability) int {
	switch a {
	case desk.Online:
		return 0
	case desk.Away:
		return 1
	}
	return 2
}

// convTitle names a conversation on the board: its customer, else its
// subject; "" when it is gone.
func (h *Handler) convTitle(ctx context.Context, id int64) string {
	c, err := h.d.Store.ConversationByID(ctx, id)
	if err != nil {
		return ""
	}
	if ct, err := h.d.Store.ContactByID(ctx, c.ContactID); err == nil {
		return contactName(ct)
	}
	return c.Subject
}

// assigneeLoad counts open and pending conversations per agent and
// channel.
func (h *Handler) assigneeLoad(ctx context.Context) (map[int64]map[desk.ChannelKind]int, error) {
	if l, ok := h.d.Store.(assigneeLoader); ok {
		return l.AssigneeLoad(ctx)
	}
	out := map[int64]map[desk.ChannelKind]int{}
	for _, st := range []desk.Status{desk.StatusOpen, desk.StatusPending} {
		convs, _, err := h.listAll(ctx, desk.ConversationQuery{View: desk.ViewAll, Status: st}, maxBoardLoad)
		if err != nil {
			return nil, err
		}
		for _, c := range convs {
			if c.AssigneeID == 0 {
				continue
			}
			if out[c.AssigneeID] == nil {
				out[c.AssigneeID] = map[desk.ChannelKind]int{}
			}
			out[c.AssigneeID][c.Channel]++
		}
	}
	return out, nil
}

// waitingConversations lists the open conversations nobody is assigned
// to, at most maxBoardWaiting; capped says there were more.
func (h *Handler) waitingConversations(ctx context.Context) ([]desk.Conversation, bool, error) {
	return h.listAll(ctx, desk.ConversationQuery{View: desk.ViewUnassigned, Status: desk.StatusOpen, WithContact: true},
		maxBoardWaiting)
}

// listAll pages through a conversation list up to limit conversations.
func (h *Handler) listAll(ctx context.Context, q desk.ConversationQuery, limit int) ([]desk.Conversation, bool, error) {
	var out []desk.Conversation
	q.Limit = 200
	for {
		page, err := h.d.Store.ListConversations(ctx, q)
		if err != nil {
			return nil, false, err
		}
		out = append(out, page.Items...)
		if page.Next == nil {
			return out, false, nil
		}
		if len(out) >= limit {
			return out[:limit], true, nil
		}
		q.After = page.Next
	}
}

// waitText is a waiting time for the board: "4 min", "2 u 5 min".
func waitText(c catalog, d time.Duration) string {
	m := int(d / time.Minute)
	if m < 60 {
		return c.T("live.minutes", m)
	}
	return c.T("live.hours", m/60, m%60)
}
