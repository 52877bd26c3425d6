package routing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
)

// What the admin UI and the API need: rule editing with validation and
// ordering, skill validation, and the rules preview. These work on any node,
// from the store; the routing node picks changes up on its next sync.

// Preview is what routing would do with a conversation now: the rule that
// matches (with every rule's verdict in Need.Explain) and the agent Pick
// would choose, with why.
type Preview struct {
	Request Request
	Need    Need
	AgentID int64 // 0 when nobody would be assigned now
	Reason  Reason
	OK      bool
}

// Preview runs the enabled rules against req and picks an agent from the
// agents as they are stored now (presence, skills, capacity, open
// conversations per channel). team is the conversation's team when no rule
// names one. Nothing is changed.
func (s *Service) Preview(ctx context.Context, req Request, team int64) (Preview, error) {
	stored, err := s.st.ListRoutingRules(ctx)
	if err != nil {
		return Preview{}, fmt.Errorf("routing: preview: %w", err)
	}
	r, err := s.snapshot(ctx)
	if err != nil {
		return Preview{}, err
	}
	if req.Priority == "" {
		req.Priority = desk.PriorityNone
	}
	need := Match(RulesOf(stored), req)
	if need.TeamID == 0 {
		need.TeamID = team
	}
	p := Preview{Request: req, Need: need}
	p.AgentID, p.Reason, p.OK = r.Pick(need, req)
	return p, nil
}

// PreviewConversation is Preview for a stored conversation.
func (s *Service) PreviewConversation(ctx context.Context, id int64) (Preview, error) {
	c, err := s.st.ConversationByID(ctx, id)
	if err != nil {
		return Preview{}, fmt.Errorf("routing: preview %d: %w", id, err)
	}
	in, err := s.st.InboxByID(ctx, c.InboxID)
	if err != nil {
		return Preview{}, fmt.Errorf("routing: preview %d: %w", id, err)
	}
	req, err := s.request(ctx, c)
	if err != nil {
		return Preview{}, err
	}
	return s.Preview(ctx, req, s.teamOf(in, c))
}

// snapshot builds a Router from the store as it is now.
func (s *Service) snapshot(ctx context.Context) (*Router, error) {
	agents, err := s.st.ListAgents(ctx)
	if err != nil {
		return nil, fmt.Errorf("routing: preview: %w", err)
	}
	teams, err := s.st.ListTeams(ctx)
	if err != nil {
		return nil, fmt.Errorf("routing: preview: %w", err)
	}
	load, err := s.st.AssigneeLoad(ctx)
	if err != nil {
		return nil, fmt.Errorf("routing: preview: %w", err)
	}
	r := NewRouter(s.clock)
	for _, t := range teams {
		r.SetTeam(Team{ID: t.ID, Mode: modeOf(t.Mode)}) //nolint:errcheck // stored teams have ids and known modes
	}
	for _, a := range agents {
		if a.Disabled {
			continue
		}
		st := AgentStateOf(&a)
		st.Load = load[a.ID]
		r.SetAgent(st) //nolint:errcheck // stored agents have ids; an unknown status is offline
	}
	return r, nil
}

// RuleStore is what rule editing needs.
type RuleStore interface {
	ListRoutingRules(ctx context.Context) ([]desk.RoutingRule, error)
	CreateRoutingRule(ctx context.Context, r *desk.RoutingRule) error
	UpdateRoutingRule(ctx context.Context, r *desk.RoutingRule) error
}

// CleanRule trims a rule's text and drops empty list values, the form it is
// stored in.
func CleanRule(r *desk.RoutingRule) {
	r.Name = strings.TrimSpace(r.Name)
	r.Categories = cleanList(r.Categories, true)
	r.Languages = cleanList(r.Languages, true)
	r.Segments = cleanList(r.Segments, false)
	for i := range r.Skills {
		r.Skills[i].Name = strings.ToLower(strings.TrimSpace(r.Skills[i].Name))
	}
	if r.MinPriority == desk.PriorityNone {
		r.MinPriority = ""
	}
	if r.Priority == desk.PriorityNone {
		r.Priority = ""
	}
}

func cleanList(in []string, lower bool) []string {
	var out []string
	for _, v := range in {
		v = strings.TrimSpace(v)
		if lower {
			v = strings.ToLower(v)
		}
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// SaveRule validates and stores a rule: a new one (ID 0) goes last.
func SaveRule(ctx context.Context, st RuleStore, r *desk.RoutingRule) error {
	CleanRule(r)
	if err := RuleOf(r).Validate(); err != nil {
		return err
	}
	if r.ID != 0 {
		if err := st.UpdateRoutingRule(ctx, r); err != nil {
			return fmt.Errorf("routing: save rule %d: %w", r.ID, err)
		}
		return nil
	}
	rules, err := st.ListRoutingRules(ctx)
	if err != nil {
		return fmt.Errorf("routing: save rule: %w", err)
	}
	r.Position = 10
	if n := len(rules); n > 0 {
		r.Position = rules[n-1].Position + 10
	}
	if err := st.CreateRoutingRule(ctx, r); err != nil {
		return fmt.Errorf("routing: save rule: %w", err)
	}
	return nil
}

// MoveRule moves a rule one place up (earlier, by < 0) or down and numbers
// all rules 10, 20, 30... again.
func MoveRule(ctx context.Context, st RuleStore, id int64, by int) error {
	rules, err := st.ListRoutingRules(ctx)
	if err != nil {
		return fmt.Errorf("routing: move rule %d: %w", id, err)
	}
	slices.SortStableFunc(rules, func(a, b desk.RoutingRule) int {
		return cmp.Or(cmp.Compare(a.Position, b.Position), cmp.Compare(a.ID, b.ID))
	})
	i := slices.IndexFunc(rules, func(r desk.RoutingRule) bool { return r.ID == id })
	if i < 0 {
		return fmt.Errorf("routing: move rule %d: %w", id, desk.ErrNotFound)
	}
	j := i + 1
	if by < 0 {
		j = i - 1
	}
	if j >= 0 && j < len(rules) {
		rules[i], rules[j] = rules[j], rules[i]
	}
	for k := range rules {
		if want := (k + 1) * 10; rules[k].Position != want {
			rules[k].Position = want
			if err := st.UpdateRoutingRule(ctx, &rules[k]); err != nil {
				return fmt.Errorf("routing: move rule %d: %w", id, err)
			}
		}
	}
	return nil
}

// ValidateSkills checks an agent's skills: kind:value names, levels 1–5, no
// name twice. It returns them cleaned (lower case, sorted).
func ValidateSkills(in []desk.Skill) ([]desk.Skill, error) {
	out := make([]desk.Skill, 0, len(in))
	seen := map[string]bool{}
	for _, sk := range in {
		sk.Name = strings.ToLower(strings.TrimSpace(sk.Name))
		if err := validSkill(Skill{Name: sk.Name, Level: sk.Level}); err != nil {
			return nil, err
		}
		if seen[sk.Name] {
			return nil, desk.Invalid("skills", fmt.Sprintf("%q is listed twice", sk.Name))
		}
		seen[sk.Name] = true
		out = append(out, sk)
	}
	slices.SortFunc(out, func(a, b desk.Skill) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// ValidateCapacity checks an agent's capacity per channel: known channels,
// 0 to 100 each.
func ValidateCapacity(c map[desk.ChannelKind]int) error {
	for ch, n := range c {
		if !desk.KnownChannel(ch) {
			return desk.Invalid("capacity", fmt.Sprintf("unknown channel %q", ch))
		}
		if n < 0 || n > 100 {
			return desk.Invalid("capacity", fmt.Sprintf("%s: %d is not between 0 and 100", ch, n))
		}
	}
	return nil
}

// Rules lists the stored rules (disabled ones too) in evaluation order.
func (s *Service) Rules(ctx context.Context) ([]desk.RoutingRule, error) {
	rules, err := s.st.ListRoutingRules(ctx)
	if err != nil {
		return nil, fmt.Errorf("routing: rules: %w", err)
	}
	return rules, nil
}

// Rule finds one stored rule.
func (s *Service) Rule(ctx context.Context, id int64) (*desk.RoutingRule, error) {
	rules, err := s.Rules(ctx)
	if err != nil {
		return nil, err
	}
	for i := range rules {
		if rules[i].ID == id {
			return &rules[i], nil
		}
	}
	return nil, fmt.Errorf("routing: rule %d: %w", id, desk.ErrNotFound)
}

// SaveRule validates and stores a rule (see the function SaveRule).
func (s *Service) SaveRule(ctx context.Context, r *desk.RoutingRule) error {
	if err := SaveRule(ctx, s.st, r); err != nil {
		return err
	}
	s.Kick()
	return nil
}

// MoveRule moves a rule one place (see the function MoveRule).
func (s *Service) MoveRule(ctx context.Context, id int64, by int) error {
	if err := MoveRule(ctx, s.st, id, by); err != nil {
		return err
	}
	s.Kick()
	return nil
}

// DeleteRule deletes a rule.
func (s *Service) DeleteRule(ctx context.Context, id int64) error {
	if err := s.st.DeleteRoutingRule(ctx, id); err != nil {
		return fmt.Errorf("routing: delete rule %d: %w", id, err)
	}
	s.Kick()
	return nil
}

// SetSkills validates and stores an agent's skills, returning them cleaned.
func (s *Service) SetSkills(ctx context.Context, agentID int64, skills []desk.Skill) ([]desk.Skill, error) {
	skills, err := ValidateSkills(skills)
	if err != nil {
		return nil, err
	}
	if err := s.st.SetAgentSkills(ctx, agentID, skills); err != nil {
		return nil, fmt.Errorf("routing: skills of agent %d: %w", agentID, err)
	}
	s.Kick()
	return skills, nil
}

// SetOwner makes agent ownerID the contact's account owner (0: none), who
// then gets their conversations when available. A disabled or unknown agent
// is invalid.
func (s *Service) SetOwner(ctx context.Context, contactID, ownerID int64) (*desk.Contact, error) {
	if ownerID < 0 {
		return nil, desk.Invalid("owner_id", "must be an agent")
	}
	if ownerID != 0 {
		a, err := s.st.AgentByID(ctx, ownerID)
		if errors.Is(err, desk.ErrNotFound) || err == nil && a.Disabled {
			return nil, desk.Invalid("owner_id", "must be an active agent")
		}
		if err != nil {
			return nil, fmt.Errorf("routing: owner of contact %d: %w", contactID, err)
		}
	}
	c, err := s.st.ContactByID(ctx, contactID)
	if err != nil {
		return nil, fmt.Errorf("routing: owner of contact %d: %w", contactID, err)
	}
	if c.OwnerID == ownerID {
		return c, nil
	}
	c.OwnerID = ownerID
	c.UpdatedAt = s.clock.Now()
	if err := s.st.UpdateContact(ctx, c); err != nil {
		return nil, fmt.Errorf("routing: owner of contact %d: %w", contactID, err)
	}
	return c, nil
}
