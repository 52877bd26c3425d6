package slawatch

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/sla"
)

// EventAlert is published on the bus when a conversation's SLA target
// starts warning or breaches; the realtime hub forwards it to supervisors
// and admins only. Its Message is the note written in the thread.
const EventAlert = "sla.alert"

// SegmentAttribute is the contact attribute that names the customer's
// segment for the policies' conditions ("vip", "business").
const SegmentAttribute = "segment"

// Store is what the service reads and writes.
type Store interface {
	desk.Transactor
	ListSLAPolicies(ctx context.Context) ([]desk.SLAPolicy, error)
	CreateSLAPolicy(ctx context.Context, p *desk.SLAPolicy) error
	UpdateSLAPolicy(ctx context.Context, p *desk.SLAPolicy) error
	DeleteSLAPolicy(ctx context.Context, id int64) error
	SLADue(ctx context.Context, limit int) ([]desk.Conversation, error)
	// The escalations owed and done (escalate.go); owing happens in the
	// transaction that stores the conversation's SLA state.
	ClaimSLAEscalations(ctx context.Context, now, leaseUntil time.Time, limit int) ([]desk.SLAEscalation, error)
	FinishSLAEscalation(ctx context.Context, id int64, at time.Time, reason string) error
	FailSLAEscalation(ctx context.Context, id int64, errText string) error
	// The last sweep's time, for the next sweep on any node.
	Setting(ctx context.Context, key string) (string, error)
	SetSetting(ctx context.Context, key, value string) error

	ListTeams(ctx context.Context) ([]desk.Team, error)
	TeamByID(ctx context.Context, id int64) (*desk.Team, error)
	ListInboxes(ctx context.Context) ([]desk.Inbox, error)
	InboxByID(ctx context.Context, id int64) (*desk.Inbox, error)
	ContactByID(ctx context.Context, id int64) (*desk.Contact, error)
	ConversationByID(ctx context.Context, id int64) (*desk.Conversation, error)
	ListConversations(ctx context.Context, q desk.ConversationQuery) (desk.ConversationPage, error)
	ListMessages(ctx context.Context, conversationID int64, afterID int64, limit int) ([]desk.Message, error)
}

// Conversations writes the escalation notes and the out-of-hours replies.
type Conversations interface {
	Reply(ctx context.Context, by conversation.Actor, conversationID int64, body string, atts []desk.InboundAttachment) (*desk.Message, error)
	// NoteOnce writes the note under key unless a note with that key is
	// there already (created false): see conversation.Service.NoteOnce.
	NoteOnce(ctx context.Context, by conversation.Actor, conversationID int64, key, body string) (_ *desk.Message, created bool, _ error)
}

// Options configure a Service.
type Options struct {
	// Lang is the language of the escalation notes agents read ("nl" or
	// "en"); "" is "nl".
	Lang string
	// Location shows times in notes when a team has no hours of its own;
	// nil: Europe/Amsterdam.
	Location *time.Location
	// Limit bounds the conversations one sweep evaluates; 0: 1000.
	Limit int
	// EscalationAttempts and EscalationMaxAge bound how often and how
	// long a failing escalation is tried again (one try per sweep) before
	// it is given up and logged; 0: 10 tries, 6 hours.
	EscalationAttempts int
	EscalationMaxAge   time.Duration
	Log                *slog.Logger
}

// Service runs service levels.
type Service struct {
	st    Store
	convs Conversations
	bus   desk.Bus
	clock desk.Clock
	opts  Options
	log   *slog.Logger

	// sweepMu serialises sweeps; prev is this node's previous sweep's
	// time (zero before the first), used when the store keeps none.
	sweepMu sync.Mutex
	prev    time.Time

	envMu sync.Mutex
	env   *env

	away chan awayJob
}

// New returns a service.
func New(st Store, convs Conversations, bus desk.Bus, clock desk.Clock, opts Options) *Service {
	if opts.Lang != "en" {
		opts.Lang = "nl"
	}
	if opts.Location == nil {
		loc, err := time.LoadLocation("Europe/Amsterdam")
		if err != nil {
			loc = time.UTC
		}
		opts.Location = loc
	}
	if opts.Limit <= 0 {
		opts.Limit = 1000
	}
	if opts.EscalationAttempts <= 0 {
		opts.EscalationAttempts = defaultEscalationAttempts
	}
	if opts.EscalationMaxAge <= 0 {
		opts.EscalationMaxAge = defaultEscalationMaxAge
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{st: st, convs: convs, bus: bus, clock: clock, opts: opts, log: opts.Log,
		away: make(chan awayJob, 256)}
}

// --- policies

// Policies lists the SLA policies in order.
func (s *Service) Policies(ctx context.Context) ([]desk.SLAPolicy, error) {
	ps, err := s.st.ListSLAPolicies(ctx)
	if err != nil {
		return nil, fmt.Errorf("slawatch: policies: %w", err)
	}
	return ps, nil
}

// Policy returns one policy.
func (s *Service) Policy(ctx context.Context, id int64) (*desk.SLAPolicy, error) {
	ps, err := s.Policies(ctx)
	if err != nil {
		return nil, err
	}
	for i := range ps {
		if ps[i].ID == id {
			return &ps[i], nil
		}
	}
	return nil, fmt.Errorf("slawatch: policy %d: %w", id, desk.ErrNotFound)
}

// CheckPolicy validates a policy as an admin entered it: trims the name and
// segments and drops duplicate conditions. Errors are *desk.ValidationError.
func CheckPolicy(p *desk.SLAPolicy) error {
	p.Name = strings.TrimSpace(p.Name)
	if len(p.Name) > 100 {
		return desk.Invalid("name", "at most 100 characters")
	}
	segs := p.Segments[:0:0]
	for _, seg := range p.Segments {
		if seg = strings.ToLower(strings.TrimSpace(seg)); seg != "" && !slices.Contains(segs, seg) {
			if len(seg) > 50 {
				return desk.Invalid("segments", "at most 50 characters each")
			}
			segs = append(segs, seg)
		}
	}
	p.Segments = segs
	slices.Sort(p.Priorities)
	p.Priorities = slices.Compact(p.Priorities)
	slices.Sort(p.Channels)
	p.Channels = slices.Compact(p.Channels)
	return PolicyOf(*p).Validate()
}

// CreatePolicy validates and stores a new policy; without a position it
// goes last.
func (s *Service) CreatePolicy(ctx context.Context, p *desk.SLAPolicy) error {
	if err := CheckPolicy(p); err != nil {
		return fmt.Errorf("slawatch: create policy: %w", err)
	}
	if p.Position == 0 {
		ps, err := s.st.ListSLAPolicies(ctx)
		if err != nil {
			return fmt.Errorf("slawatch: create policy: %w", err)
		}
		p.Position = 10
		if len(ps) > 0 {
			p.Position = ps[len(ps)-1].Position + 10
		}
	}
	now := s.clock.Now()
	p.CreatedAt, p.UpdatedAt = now, now
	if err := s.st.CreateSLAPolicy(ctx, p); err != nil {
		return fmt.Errorf("slawatch: create policy: %w", err)
	}
	s.invalidate()
	return nil
}

// UpdatePolicy validates and stores a changed policy.
func (s *Service) UpdatePolicy(ctx context.Context, p *desk.SLAPolicy) error {
	if err := CheckPolicy(p); err != nil {
		return fmt.Errorf("slawatch: update policy %d: %w", p.ID, err)
	}
	p.UpdatedAt = s.clock.Now()
	if err := s.st.UpdateSLAPolicy(ctx, p); err != nil {
		return fmt.Errorf("slawatch: update policy %d: %w", p.ID, err)
	}
	s.invalidate()
	return nil
}

// DeletePolicy deletes a policy; its conversations get another (or none)
// at the next sweep.
func (s *Service) DeletePolicy(ctx context.Context, id int64) error {
	if err := s.st.DeleteSLAPolicy(ctx, id); err != nil {
		return fmt.Errorf("slawatch: delete policy %d: %w", id, err)
	}
	s.invalidate()
	return nil
}

// MovePolicy moves a policy up (delta < 0) or down (delta > 0) in the
// order and renumbers the positions 10, 20, 30...
func (s *Service) MovePolicy(ctx context.Context, id int64, delta int) error {
	ps, err := s.st.ListSLAPolicies(ctx)
	if err != nil {
		return fmt.Errorf("slawatch: move policy %d: %w", id, err)
	}
	i := slices.IndexFunc(ps, func(p desk.SLAPolicy) bool { return p.ID == id })
	if i < 0 {
		return fmt.Errorf("slawatch: move policy %d: %w", id, desk.ErrNotFound)
	}
	j := min(max(i+delta, 0), len(ps)-1)
	p := ps[i]
	ps = slices.Delete(ps, i, i+1)
	ps = slices.Insert(ps, j, p)
	now := s.clock.Now()
	for k := range ps {
		if pos := (k + 1) * 10; ps[k].Position != pos {
			ps[k].Position, ps[k].UpdatedAt = pos, now
			if err := s.st.UpdateSLAPolicy(ctx, &ps[k]); err != nil {
				return fmt.Errorf("slawatch: move policy %d: %w", id, err)
			}
		}
	}
	s.invalidate()
	return nil
}

// PolicyOf is the sla form of a stored policy.
func PolicyOf(p desk.SLAPolicy) sla.Policy {
	return sla.Policy{ID: p.ID, Name: p.Name, Position: p.Position, Priorities: p.Priorities,
		Channels: p.Channels, Segments: p.Segments, FirstResponse: p.FirstResponse,
		NextResponse: p.NextResponse, Resolution: p.Resolution, WarnAt: p.WarnAt, BusinessHours: p.BusinessHours}
}

// --- teams' hours

// TeamHours is a team's business hours and whether it has any; a team
// without (or with unreadable) hours is always open.
func TeamHours(t *desk.Team) (sla.Hours, bool) {
	v := t.Settings[desk.TeamHours]
	if v == "" {
		return sla.Always(), false
	}
	var h sla.Hours
	if err := json.Unmarshal([]byte(v), &h); err != nil {
		return sla.Always(), false
	}
	return h, true
}

// TeamChange is what the team's routing and hours form sets.
type TeamChange struct {
	Mode desk.RoutingMode
	// Hours are the business hours; nil: always open.
	Hours          *sla.Hours
	AwayNL, AwayEN string
}

// maxAway bounds an out-of-hours text.
const maxAway = 2000

// SetTeam stores a team's routing mode, hours and away texts, leaving its
// name, description and other settings as they are (re-read in the
// transaction, so that a concurrent edit of those is kept).
func (s *Service) SetTeam(ctx context.Context, teamID int64, ch TeamChange) error {
	if !desk.KnownRoutingMode(ch.Mode) {
		return fmt.Errorf("slawatch: team %d: %w", teamID, desk.Invalid("mode", "least_loaded, round_robin or manual"))
	}
	ch.AwayNL, ch.AwayEN = strings.TrimSpace(ch.AwayNL), strings.TrimSpace(ch.AwayEN)
	for _, a := range []struct{ field, text string }{{"away_nl", ch.AwayNL}, {"away_en", ch.AwayEN}} {
		if len(a.text) > maxAway {
			return fmt.Errorf("slawatch: team %d: %w", teamID, desk.Invalid(a.field, fmt.Sprintf("at most %d bytes", maxAway)))
		}
	}
	var hours string
	if ch.Hours != nil {
		if err := ch.Hours.Validate(); err != nil {
			return fmt.Errorf("slawatch: team %d: %w", teamID, err)
		}
		b, err := json.Marshal(*ch.Hours)
		if err != nil {
			return fmt.Errorf("slawatch: team %d: %w", teamID, err)
		}
		hours = string(b)
	}
	err := s.st.InTx(ctx, func(tx desk.Store) error {
		t, err := tx.TeamByID(ctx, teamID)
		if err != nil {
			return err
		}
		settings := make(map[string]string, len(t.Settings)+3)
		for k, v := range t.Settings {
			settings[k] = v
		}
		set := func(k, v string) {
			if v == "" {
				delete(settings, k)
			} else {
				settings[k] = v
			}
		}
		set(desk.TeamHours, hours)
		set(desk.TeamAwayNL, ch.AwayNL)
		set(desk.TeamAwayEN, ch.AwayEN)
		t.Mode, t.Settings = ch.Mode, settings
		return tx.UpdateTeam(ctx, t)
	})
	if err != nil {
		return fmt.Errorf("slawatch: team %d: %w", teamID, err)
	}
	s.invalidate()
	return nil
}

// --- what a sweep or a page needs to know, cached briefly

// env is the policies, the teams' hours and the inboxes' teams at one
// moment.
type env struct {
	at       time.Time
	policies []sla.Policy // enabled only
	byID     map[int64]desk.SLAPolicy
	teams    map[int64]*desk.Team
	hours    map[int64]sla.Hours // teams with hours
	inboxes  map[int64]*desk.Inbox
}

// envTTL is how long the pages reuse one env: policy and team changes made
// through this service invalidate it at once; others show within seconds.
const envTTL = 10 * time.Second

func (s *Service) invalidate() {
	s.envMu.Lock()
	s.env = nil
	s.envMu.Unlock()
}

// loadEnv returns the env, read again when fresh or when the cached one is
// older than envTTL.
func (s *Service) loadEnv(ctx context.Context, fresh bool) (*env, error) {
	now := time.Now()
	s.envMu.Lock()
	e := s.env
	s.envMu.Unlock()
	if e != nil && !fresh && now.Sub(e.at) < envTTL {
		return e, nil
	}
	ps, err := s.st.ListSLAPolicies(ctx)
	if err != nil {
		return nil, err
	}
	teams, err := s.st.ListTeams(ctx)
	if err != nil {
		return nil, err
	}
	inboxes, err := s.st.ListInboxes(ctx)
	if err != nil {
		return nil, err
	}
	e = &env{at: now, byID: make(map[int64]desk.SLAPolicy, len(ps)), teams: make(map[int64]*desk.Team, len(teams)),
		hours: map[int64]sla.Hours{}, inboxes: make(map[int64]*desk.Inbox, len(inboxes))}
	for _, p := range ps {
		e.byID[p.ID] = p
		if p.Enabled {
			e.policies = append(e.policies, PolicyOf(p))
		}
	}
	for i := range teams {
		t := &teams[i]
		e.teams[t.ID] = t
		if h, ok := TeamHours(t); ok {
			e.hours[t.ID] = h
		}
	}
	for i := range inboxes {
		e.inboxes[inboxes[i].ID] = &inboxes[i]
	}
	s.envMu.Lock()
	s.env = e
	s.envMu.Unlock()
	return e, nil
}

// teamOf is the team whose hours a conversation keeps: its own, else its
// inbox's; 0 for none.
func (e *env) teamOf(c *desk.Conversation) int64 {
	if c.TeamID != 0 {
		return c.TeamID
	}
	if in := e.inboxes[c.InboxID]; in != nil {
		return in.TeamID
	}
	return 0
}

// hoursOf is the conversation's team's hours, and false when the team has
// none (always open).
func (e *env) hoursOf(c *desk.Conversation) (sla.Hours, bool) {
	h, ok := e.hours[e.teamOf(c)]
	if !ok {
		return sla.Always(), false
	}
	return h, true
}

// location shows a conversation's times: its team's zone, else the
// service's.
func (s *Service) location(e *env, c *desk.Conversation) *time.Location {
	if h, ok := e.hoursOf(c); ok && h.Loc != nil {
		return h.Loc
	}
	return s.opts.Location
}

// thread reads a conversation's whole thread.
func thread(ctx context.Context, st Store, convID int64) ([]desk.Message, error) {
	const page = 500
	var out []desk.Message
	var after int64
	for {
		msgs, err := st.ListMessages(ctx, convID, after, page)
		if err != nil {
			return nil, err
		}
		out = append(out, msgs...)
		if len(msgs) < page {
			return out, nil
		}
		after = msgs[len(msgs)-1].ID
	}
}

// segmentOf is the customer's segment, "" when unknown.
func segmentOf(ctx context.Context, st Store, contactID int64) (string, error) {
	if contactID == 0 {
		return "", nil
	}
	c, err := st.ContactByID(ctx, contactID)
	if err != nil {
		return "", err
	}
	return c.Attributes[SegmentAttribute], nil
}
