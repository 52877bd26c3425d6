package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

const pageSize = 50

// filter is the inbox's view and filters, read from the query string.
type filter struct {
	View    desk.View
	Status  string // a desk.Status, or "all"
	Channel string
	TeamID  int64
	Label   string
	// SLA is the SLA filter as the query string has it ("" any,
	// "warning,breached"), in the order of inbox_sla.go.
	SLA   string
	After *desk.Cursor
}

var views = []desk.View{desk.ViewMine, desk.ViewUnassigned, desk.ViewMyTeams, desk.ViewAll}

var statuses = []desk.Status{desk.StatusOpen, desk.StatusPending, desk.StatusSnoozed, desk.StatusResolved}

var channels = []desk.ChannelKind{desk.ChannelWebChat, desk.ChannelEmail, desk.ChannelAPI,
	desk.ChannelWhatsApp, desk.ChannelMessenger, desk.ChannelInstagram, desk.ChannelTelegram, desk.ChannelPhone}

var priorities = []desk.Priority{desk.PriorityNone, desk.PriorityLow, desk.PriorityMedium,
	desk.PriorityHigh, desk.PriorityUrgent}

// parseFilter reads the filters; unknown values fall back to the defaults
// (my open conversations) rather than failing.
func parseFilter(v url.Values) filter {
	f := filter{View: desk.View(v.Get("view")), Status: v.Get("status"),
		Channel: v.Get("channel"), Label: strings.ToLower(strings.TrimSpace(v.Get("label")))}
	if !slices.Contains(views, f.View) {
		f.View = desk.ViewMine
	}
	if f.Status != "all" && !desk.Status(f.Status).Valid() {
		f.Status = string(desk.StatusOpen)
	}
	if !desk.KnownChannel(desk.ChannelKind(f.Channel)) {
		f.Channel = ""
	}
	if id, err := strconv.ParseInt(v.Get("team"), 10, 64); err == nil && id > 0 {
		f.TeamID = id
	}
	if len(f.Label) > 48 {
		f.Label = ""
	}
	if states, ok := parseSLAStates(v.Get("sla")); ok {
		f.SLA = slaParam(states)
	}
	f.After = parseCursor(v.Get("cursor"))
	return f
}

// values encodes the filter without the cursor, defaults left out.
func (f filter) values() url.Values {
	v := url.Values{}
	v.Set("view", string(f.View))
	if f.Status != string(desk.StatusOpen) {
		v.Set("status", f.Status)
	}
	if f.Channel != "" {
		v.Set("channel", f.Channel)
	}
	if f.TeamID != 0 {
		v.Set("team", strconv.FormatInt(f.TeamID, 10))
	}
	if f.Label != "" {
		v.Set("label", f.Label)
	}
	if f.SLA != "" {
		v.Set("sla", f.SLA)
	}
	return v
}

func (f filter) query(a *desk.Agent, limit int) desk.ConversationQuery {
	q := desk.ConversationQuery{View: f.View, AgentID: a.ID, TeamIDs: a.TeamIDs,
		Channel: desk.ChannelKind(f.Channel), TeamID: f.TeamID, Label: f.Label,
		Limit: limit, After: f.After, WithContact: true}
	if f.Status != "all" {
		q.Status = desk.Status(f.Status)
	}
	q.SLAStates, _ = parseSLAStates(f.SLA)
	return q
}

// matches reports whether c belongs in the list f shows to a; the live
// inbox uses it to decide whether a changed conversation stays in view.
func (f filter) matches(c *desk.Conversation, a *desk.Agent) bool {
	switch f.View {
	case desk.ViewMine:
		if c.AssigneeID != a.ID {
			return false
		}
	case desk.ViewUnassigned:
		if c.AssigneeID != 0 {
			return false
		}
	case desk.ViewMyTeams:
		if !slices.Contains(a.TeamIDs, c.TeamID) {
			return false
		}
	}
	if f.Status != "all" && string(c.Status) != f.Status {
		return false
	}
	if f.Channel != "" && string(c.Channel) != f.Channel {
		return false
	}
	if f.TeamID != 0 && c.TeamID != f.TeamID {
		return false
	}
	if f.Label != "" && !slices.Contains(c.Labels, f.Label) {
		return false
	}
	if states, _ := parseSLAStates(f.SLA); len(states) > 0 && !slices.Contains(states, c.SLAState) {
		return false
	}
	return true
}

// Cursors travel in the URL as "<unix nanoseconds>-<id>".
func formatCursor(c *desk.Cursor) string {
	return strconv.FormatInt(c.At.UnixNano(), 10) + "-" + strconv.FormatInt(c.ID, 10)
}

func parseCursor(s string) *desk.Cursor {
	at, id, ok := strings.Cut(s, "-")
	if !ok {
		return nil
	}
	ns, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil || n <= 0 {
		return nil
	}
	return &desk.Cursor{At: time.Unix(0, ns).UTC(), ID: n}
}

// row is one conversation in a list.
type row struct {
	C        desk.Conversation
	Name     string
	Assignee string
	Team     string
	SLA      *slaBadge // nil: no SLA target running (sla.go)
}

// names resolves agent and team ids for the lists.
type names struct {
	agents map[int64]string
	teams  map[int64]string
}

func (h *Handler) names(ctx context.Context) (names, error) {
	n := names{agents: map[int64]string{}, teams: map[int64]string{}}
	agents, err := h.d.Store.ListAgents(ctx)
	if err != nil {
		return n, err
	}
	for _, a := range agents {
		n.agents[a.ID] = a.Name
	}
	teams, err := h.d.Store.ListTeams(ctx)
	if err != nil {
		return n, err
	}
	for _, t := range teams {
		n.teams[t.ID] = t.Name
	}
	return n, nil
}

func (n names) row(c desk.Conversation) row {
	r := row{C: c, Assignee: n.agents[c.AssigneeID], Team: n.teams[c.TeamID]}
	if c.Contact != nil {
		r.Name = contactName(c.Contact)
	}
	return r
}

func contactName(c *desk.Contact) string {
	switch {
	case c.Name != "":
		return c.Name
	case c.Email != "":
		return c.Email
	case c.Phone != "":
		return c.Phone
	}
	return "#" + strconv.FormatInt(c.ID, 10)
}

type viewLink struct {
	View   desk.View
	URL    string
	Active bool
	Count  int
}

type inboxData struct {
	F        filter
	Filter   string // the filter as a query string, for the live script
	Views    []viewLink
	Rows     []row
	Older    string
	First    bool // the newest page: live updates may add rows on top
	Teams    []desk.Team
	Statuses []desk.Status
	Channels []desk.ChannelKind
	SLAs     []slaChoice
}

func (h *Handler) inbox(q *req) {
	ctx := q.r.Context()
	f := parseFilter(q.r.URL.Query())
	page, err := h.d.Store.ListConversations(ctx, f.query(q.agent, pageSize))
	if err != nil {
		h.fail(q, err)
		return
	}
	n, err := h.names(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	d := inboxData{F: f, First: f.After == nil, Statuses: statuses, Channels: channels, SLAs: slaChoices}
	d.Filter = f.values().Encode()
	if d.Views, err = h.viewLinks(ctx, f, q.agent); err != nil {
		h.fail(q, err)
		return
	}
	for _, c := range page.Items {
		d.Rows = append(d.Rows, n.row(c))
	}
	h.slaBadges(ctx, d.Rows)
	if page.Next != nil {
		v := f.values()
		v.Set("cursor", formatCursor(page.Next))
		d.Older = "/app?" + v.Encode()
	}
	if d.Teams, err = h.d.Store.ListTeams(ctx); err != nil {
		h.fail(q, err)
		return
	}
	h.render(q.w, q, http.StatusOK, "inbox", "inbox", d)
}

// viewLinks are the inbox's view tabs with their counts under f's filters.
func (h *Handler) viewLinks(ctx context.Context, f filter, a *desk.Agent) ([]viewLink, error) {
	var out []viewLink
	for _, v := range views {
		vf := f
		vf.View, vf.After = v, nil
		cnt, err := h.d.Store.CountConversations(ctx, vf.query(a, 0))
		if err != nil {
			return nil, err
		}
		out = append(out, viewLink{View: v, URL: "/app?" + vf.values().Encode(), Active: v == f.View, Count: cnt})
	}
	return out, nil
}

// countsFragment renders the view tabs with fresh counts, for the live
// inbox; the query string is the inbox's filter.
func (h *Handler) countsFragment(q *req) {
	f := parseFilter(q.r.URL.Query())
	links, err := h.viewLinks(q.r.Context(), f, q.agent)
	if err != nil {
		h.fragmentFailed(q, err)
		return
	}
	h.renderView(q.w, q.locale, http.StatusOK, "inbox", "tabs",
		view{Locale: q.locale, Agent: q.agent, CSRF: q.csrf, D: inboxData{F: f, Views: links}})
}

// fragmentFailed answers a failed fragment request with its status only: the
// script keeps what the page shows.
func (h *Handler) fragmentFailed(q *req, err error) {
	status := statusOf(err)
	if status >= 500 {
		h.log.Error("web: fragment failed", "path", q.r.URL.Path, "err", err)
	}
	q.w.Header().Set("Cache-Control", "no-store")
	q.w.WriteHeader(status)
}

// rowFragment renders one inbox row for the live inbox. With the inbox's
// filter in the query string, it answers 204 when the conversation no longer
// belongs in that list, so that the script removes it.
func (h *Handler) rowFragment(q *req) {
	ctx := q.r.Context()
	id, err := pathID(q.r)
	if err != nil {
		h.fragmentFailed(q, err)
		return
	}
	c, err := h.d.Store.ConversationByID(ctx, id)
	if err != nil {
		h.fragmentFailed(q, err)
		return
	}
	f := parseFilter(q.r.URL.Query())
	if !f.matches(c, q.agent) {
		q.w.WriteHeader(http.StatusNoContent)
		return
	}
	if c.Contact == nil {
		if c.Contact, err = h.d.Store.ContactByID(ctx, c.ContactID); err != nil {
			h.fragmentFailed(q, err)
			return
		}
	}
	n, err := h.names(ctx)
	if err != nil {
		h.fragmentFailed(q, err)
		return
	}
	rows := []row{n.row(*c)}
	h.slaBadges(ctx, rows)
	h.renderView(q.w, q.locale, http.StatusOK, "inbox", "row", rows[0])
}

type searchData struct {
	Q        string
	Hits     []searchHit
	Contacts []desk.Contact
}

type searchHit struct {
	Row     row
	Snippet string
}

func (h *Handler) search(q *req) {
	ctx := q.r.Context()
	text := strings.TrimSpace(q.r.URL.Query().Get("q"))
	if len(text) > 200 {
		text = text[:200]
	}
	d := searchData{Q: text}
	if text != "" {
		hits, err := h.d.Store.SearchConversations(ctx, desk.SearchQuery{Text: text, Limit: 50})
		if err != nil {
			h.fail(q, err)
			return
		}
		n, err := h.names(ctx)
		if err != nil {
			h.fail(q, err)
			return
		}
		for _, hit := range hits {
			c := hit.Conversation
			if c.Contact == nil {
				if ct, err := h.d.Store.ContactByID(ctx, c.ContactID); err == nil {
					c.Contact = ct
				}
			}
			d.Hits = append(d.Hits, searchHit{Row: n.row(c), Snippet: hit.Snippet})
		}
		if d.Contacts, err = h.d.Store.ListContacts(ctx, desk.ContactQuery{Search: text, Limit: 20}); err != nil {
			h.fail(q, err)
			return
		}
	}
	h.render(q.w, q, http.StatusOK, "search", "search", d)
}
