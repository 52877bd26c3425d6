package routing

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Skill is something an agent can do, with a level from MinLevel to MaxLevel.
// Names are "kind:value" ("lang:nl", "category:billing", "channel:email",
// "product:ebike") and compared without regard to case.
type Skill struct {
	Name  string
	Level int
}

// Skill levels.
const (
	MinLevel = 1
	MaxLevel = 5
)

// Rule sends conversations that meet its conditions to a team, requiring
// skills and possibly raising the priority. Rules are evaluated in Position
// order (then ID); the first that matches wins.
type Rule struct {
	ID       int64
	Name     string
	Position int

	// Conditions; an empty list means any. Text conditions are compared
	// without regard to case.
	Categories  []string
	Languages   []string
	Channels    []desk.ChannelKind
	Segments    []string      // the contact attribute "segment"
	MinPriority desk.Priority // "" or PriorityNone: any

	// Outcome.
	TeamID   int64
	Skills   []Skill       // required, each at least at its level
	Priority desk.Priority // raise to this; "" keeps the conversation's
}

// maxRuleName bounds what the admin UI stores and shows.
const maxRuleName = 100

// Validate reports the first thing wrong with the rule as a desk.Invalid
// error naming the field.
func (r Rule) Validate() error {
	name := strings.TrimSpace(r.Name)
	switch {
	case name == "":
		return desk.Invalid("name", "is required")
	case len(name) > maxRuleName:
		return desk.Invalid("name", fmt.Sprintf("is longer than %d characters", maxRuleName))
	case r.TeamID <= 0:
		return desk.Invalid("team", "is required")
	}
	for _, c := range r.Channels {
		if !desk.KnownChannel(c) {
			return desk.Invalid("channels", fmt.Sprintf("unknown channel %q", c))
		}
	}
	if r.MinPriority != "" && !r.MinPriority.Valid() {
		return desk.Invalid("min_priority", fmt.Sprintf("unknown priority %q", r.MinPriority))
	}
	if r.Priority != "" && !r.Priority.Valid() {
		return desk.Invalid("priority", fmt.Sprintf("unknown priority %q", r.Priority))
	}
	for _, cond := range []struct {
		field string
		list  []string
	}{{"categories", r.Categories}, {"languages", r.Languages}, {"segments", r.Segments}} {
		for _, v := range cond.list {
			if strings.TrimSpace(v) == "" {
				return desk.Invalid(cond.field, "has an empty value")
			}
		}
	}
	seen := make(map[string]bool, len(r.Skills))
	for _, s := range r.Skills {
		if err := validSkill(s); err != nil {
			return err
		}
		n := strings.ToLower(s.Name)
		if seen[n] {
			return desk.Invalid("skills", fmt.Sprintf("%q is listed twice", s.Name))
		}
		seen[n] = true
	}
	return nil
}

func validSkill(s Skill) error {
	kind, value, ok := strings.Cut(s.Name, ":")
	if !ok || strings.TrimSpace(kind) == "" || strings.TrimSpace(value) == "" || strings.ContainsAny(s.Name, " \t\n") {
		return desk.Invalid("skills", fmt.Sprintf("%q is not of the form kind:value", s.Name))
	}
	if s.Level < MinLevel || s.Level > MaxLevel {
		return desk.Invalid("skills", fmt.Sprintf("level %d of %q is not between %d and %d", s.Level, s.Name, MinLevel, MaxLevel))
	}
	return nil
}

// Request is what routing knows about a conversation that needs an agent.
type Request struct {
	ConversationID int64
	Category       string
	Language       string
	Segment        string // the contact's "segment" attribute
	Channel        desk.ChannelKind
	Priority       desk.Priority
	// WaitingSince orders the queue: the oldest waits shortest from here on.
	WaitingSince time.Time
	// AccountOwnerID is the contact's fixed contact person; 0 for none.
	AccountOwnerID int64
}

// Need is the outcome of Match: where the conversation goes and what the
// agent must be able to do. RuleID 0 means no rule matched: TeamID is then 0
// and the caller keeps the inbox's team.
type Need struct {
	RuleID   int64
	TeamID   int64
	Skills   []Skill
	Priority desk.Priority // the request's, raised by the rule
	Explain  []Check       // one per rule, in evaluation order
}

// Verdict is what a rule did with a request.
type Verdict string

const (
	Matched  Verdict = "matched"
	Failed   Verdict = "failed"   // a condition did not hold
	Shadowed Verdict = "shadowed" // would match, but an earlier rule won
)

// Check explains one rule's verdict for the rules preview. It is structured
// so that the admin UI can render it in the user's language; String gives
// English for logs and tests.
type Check struct {
	RuleID  int64
	Rule    string // the rule's name
	Verdict Verdict
	// For Failed: the first condition that did not hold ("category",
	// "language", "channel", "segment", "priority"), the request's value and
	// what the rule accepts.
	Field string
	Got   string
	Want  []string
}

func (c Check) String() string {
	head := fmt.Sprintf("rule %d %q: ", c.RuleID, c.Rule)
	switch c.Verdict {
	case Matched:
		return head + "matched"
	case Shadowed:
		return head + "would match, but an earlier rule matched first"
	}
	if c.Field == "priority" {
		return head + fmt.Sprintf("priority %q is below %s", c.Got, c.Want[0])
	}
	return head + fmt.Sprintf("%s %q is not one of %s", c.Field, c.Got, strings.Join(c.Want, ", "))
}

// Match evaluates the rules in Position order (then ID) against the request
// and returns the first match's outcome. Every rule is evaluated, so that the
// preview can show rules an earlier one shadows.
func Match(rules []Rule, r Request) Need {
	order := make([]int, len(rules))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(rules[a].Position, rules[b].Position), cmp.Compare(rules[a].ID, rules[b].ID))
	})

	need := Need{Priority: r.Priority, Explain: make([]Check, 0, len(rules))}
	for _, i := range order {
		rule := &rules[i]
		c := check(rule, r)
		if c.Verdict == Matched {
			if need.RuleID != 0 {
				c.Verdict = Shadowed
			} else {
				need.RuleID = rule.ID
				need.TeamID = rule.TeamID
				need.Skills = normaliseSkills(rule.Skills)
				if rank(rule.Priority) > rank(r.Priority) {
					need.Priority = rule.Priority
				}
			}
		}
		need.Explain = append(need.Explain, c)
	}
	return need
}

func check(rule *Rule, r Request) Check {
	c := Check{RuleID: rule.ID, Rule: rule.Name, Verdict: Matched}
	fail := func(field, got string, want []string) Check {
		c.Verdict, c.Field, c.Got, c.Want = Failed, field, got, want
		return c
	}
	if !anyFold(rule.Categories, r.Category) {
		return fail("category", r.Category, rule.Categories)
	}
	if !anyFold(rule.Languages, r.Language) {
		return fail("language", r.Language, rule.Languages)
	}
	if len(rule.Channels) > 0 && !slices.Contains(rule.Channels, r.Channel) {
		want := make([]string, len(rule.Channels))
		for i, ch := range rule.Channels {
			want[i] = string(ch)
		}
		return fail("channel", string(r.Channel), want)
	}
	if !anyFold(rule.Segments, r.Segment) {
		return fail("segment", r.Segment, rule.Segments)
	}
	if rank(r.Priority) < rank(rule.MinPriority) {
		return fail("priority", string(r.Priority), []string{string(rule.MinPriority)})
	}
	return c
}

// anyFold reports whether v is in list, ignoring case; an empty list accepts
// anything.
func anyFold(list []string, v string) bool {
	if len(list) == 0 {
		return true
	}
	for _, s := range list {
		if strings.EqualFold(strings.TrimSpace(s), v) {
			return true
		}
	}
	return false
}

// normaliseSkills copies skills with lower-case names and levels of at least
// MinLevel, the form the Router compares against.
func normaliseSkills(in []Skill) []Skill {
	if len(in) == 0 {
		return nil
	}
	out := make([]Skill, len(in))
	for i, s := range in {
		out[i] = Skill{Name: strings.ToLower(s.Name), Level: max(s.Level, MinLevel)}
	}
	return out
}

// rank orders priorities; "" counts as none.
func rank(p desk.Priority) int {
	switch p {
	case desk.PriorityLow:
		return 1
	case desk.PriorityMedium:
		return 2
	case desk.PriorityHigh:
		return 3
	case desk.PriorityUrgent:
		return 4
	}
	return 0
}
