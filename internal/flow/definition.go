package flow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/desk"
)

// Limits of a definition. They keep a flow something a customer can walk
// through and a page can show, and bound the work of validating and running
// untrusted JSON.
const (
	MaxDefinitionBytes = 256 << 10
	MaxSteps           = 100
	MaxOptions         = 10
	MaxIDLen           = 40
	MaxText            = 4000 // runes, of a question, prompt or end message
	MaxMessage         = 10000
	MaxLabel           = 100
	MaxParams          = 10
	MaxParamLen        = 200
	MaxPattern         = 200
	// MaxProblems bounds the problems Validate reports at once.
	MaxProblems = 20
)

// StepKind says what a step does.
type StepKind string

const (
	// KindQuestion asks a question with options; each option leads to a step.
	KindQuestion StepKind = "question"
	// KindInput asks for free text (optionally matching a pattern).
	KindInput StepKind = "input"
	// KindArticle shows a knowledge-base article and asks whether it
	// solved the problem: yes ends the flow solved, no goes on.
	KindArticle StepKind = "article"
	// KindMessage shows instructions (Markdown) and goes on at once.
	KindMessage StepKind = "message"
	// KindAction runs a self-service check; ok and fail lead on.
	KindAction StepKind = "action"
	// KindEnd ends the flow with an outcome.
	KindEnd StepKind = "end"
)

// Definition is a flow's steps: what package flow keeps in desk.Flow's and
// desk.FlowVersion's Definition text.
type Definition struct {
	// Start is the id of the first step.
	Start string `json:"start"`
	// Team is the team a hand-over goes to when the flow gives up on a
	// customer it does not understand (0: routing decides).
	Team  int64  `json:"team,omitempty"`
	Steps []Step `json:"steps"`
	// Locale is the flow's locale, for the words the runner adds itself
	// ("Ja"/"Nee", hints). The service sets it from the flow; it is not
	// stored.
	Locale string `json:"-"`
}

// Step is one step. Which fields apply depends on Kind.
type Step struct {
	ID   string   `json:"id"`
	Kind StepKind `json:"kind"`
	// Text is the question, the input prompt, the message (Markdown), the
	// line shown with an article, or the end message.
	Text string `json:"text,omitempty"`
	// Options are a question's choices, in order.
	Options []Option `json:"options,omitempty"`
	// Next is where input, message and article ("no") steps go.
	Next string `json:"next,omitempty"`
	// Pattern (input) is a regular expression the answer must contain;
	// the part that matches is the answer ("my order is ORD-123" → "ORD-123").
	Pattern string `json:"pattern,omitempty"`
	// Hint (input) is said when an answer does not match the pattern.
	Hint string `json:"hint,omitempty"`
	// Var (input) names the answer, for action parameters ("{{order}}").
	Var string `json:"var,omitempty"`
	// Article is the GroupID of a knowledge-base article (article steps;
	// end steps with outcome article).
	Article int64 `json:"article,omitempty"`
	// Action (action) names the check; Params are its arguments, where
	// "{{var}}" is replaced by an input's answer.
	Action string            `json:"action,omitempty"`
	Params map[string]string `json:"params,omitempty"`
	// OK and Fail (action) are where the check's result leads.
	OK   string `json:"ok,omitempty"`
	Fail string `json:"fail,omitempty"`
	// Outcome (end) is how the flow ends; Team is the team a hand-over
	// goes to (0: routing decides).
	Outcome desk.FlowOutcome `json:"outcome,omitempty"`
	Team    int64            `json:"team,omitempty"`
}

// Option is one choice of a question.
type Option struct {
	Label string `json:"label"`
	Next  string `json:"next"`
}

// Step returns the step with id, or nil.
func (d *Definition) Step(id string) *Step {
	for i := range d.Steps {
		if d.Steps[i].ID == id {
			return &d.Steps[i]
		}
	}
	return nil
}

// nexts lists the steps s leads to, in order.
func (s *Step) nexts() []string {
	switch s.Kind {
	case KindQuestion:
		out := make([]string, 0, len(s.Options))
		for _, o := range s.Options {
			out = append(out, o.Next)
		}
		return out
	case KindInput, KindMessage, KindArticle:
		return []string{s.Next}
	case KindAction:
		return []string{s.OK, s.Fail}
	}
	return nil
}

// Parse decodes and validates a definition. Unknown fields, trailing data
// and anything Validate rejects are desk.ErrInvalid.
func Parse(data []byte) (*Definition, error) {
	d, err := Decode(data)
	if err != nil {
		return nil, err
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// Decode decodes a definition strictly, without validating its steps.
func Decode(data []byte) (*Definition, error) {
	if len(data) > MaxDefinitionBytes {
		return nil, fmt.Errorf("flow: definition larger than %d KiB: %w", MaxDefinitionBytes>>10, desk.ErrInvalid)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d Definition
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("flow: definition is not valid JSON: %v: %w", err, desk.ErrInvalid)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("flow: definition has data after the JSON object: %w", desk.ErrInvalid)
	}
	return &d, nil
}

// Encode returns the definition as indented JSON, the form it is stored in.
func (d *Definition) Encode() string {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		// A Definition holds only strings, numbers and slices of them.
		panic("flow: encode definition: " + err.Error())
	}
	return string(b)
}

var idRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// validID reports whether s can be a step id, a variable or an action name.
func validID(s string) bool { return len(s) <= MaxIDLen && idRe.MatchString(s) }

// Validate checks the definition: every step well-formed, every next a
// step, every step reachable from the start and able to reach an end, and
// no loop the customer cannot leave (a cycle must pass through a question).
// The error matches desk.ErrInvalid; it joins one *desk.ValidationError per
// problem (at most MaxProblems), whose Field names the step.
func (d *Definition) Validate() error {
	var v validator
	if len(d.Steps) == 0 {
		v.add("steps", "a flow needs at least one step")
		return v.err()
	}
	if len(d.Steps) > MaxSteps {
		v.add("steps", fmt.Sprintf("%d steps; at most %d", len(d.Steps), MaxSteps))
		return v.err()
	}
	if d.Team < 0 {
		v.add("team", "must not be negative")
	}
	seen := make(map[string]bool, len(d.Steps))
	for i := range d.Steps {
		s := &d.Steps[i]
		switch {
		case s.ID == "":
			v.add(fmt.Sprintf("step %d", i+1), "has no id")
			continue
		case !validID(s.ID):
			v.add(fmt.Sprintf("step %d", i+1), fmt.Sprintf("id %.50q: use up to %d lower-case letters, digits, - and _", s.ID, MaxIDLen))
			continue
		case seen[s.ID]:
			v.add("step "+s.ID, "the id is used twice")
			continue
		}
		seen[s.ID] = true
	}
	switch {
	case d.Start == "":
		v.add("start", "the flow has no start step")
	case !seen[d.Start]:
		v.add("start", fmt.Sprintf("%.50q is not a step", d.Start))
	}
	for i := range d.Steps {
		v.step(&d.Steps[i], seen)
	}
	if len(v.problems) > 0 {
		// The graph checks below assume every next is a step.
		return v.err()
	}
	v.graph(d)
	return v.err()
}

type validator struct{ problems []error }

func (v *validator) add(field, reason string) {
	if len(v.problems) < MaxProblems {
		v.problems = append(v.problems, desk.Invalid(field, reason))
	}
}

func (v *validator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return fmt.Errorf("flow: %w", errors.Join(v.problems...))
}

// text checks a required or optional text field of step s.
func (v *validator) text(s *Step, what, t string, required bool, maxRunes int) {
	field := "step " + s.ID
	switch {
	case !utf8.ValidString(t):
		v.add(field, what+" is not valid UTF-8")
	case strings.TrimSpace(t) == "":
		if required {
			v.add(field, what+" is empty")
		}
	case utf8.RuneCountInString(t) > maxRunes:
		v.add(field, fmt.Sprintf("%s is longer than %d characters", what, maxRunes))
	}
}

// next checks that a next field names a step.
func (v *validator) next(s *Step, what, next string, seen map[string]bool) {
	switch {
	case next == "":
		v.add("step "+s.ID, what+" leads nowhere")
	case !seen[next]:
		v.add("step "+s.ID, fmt.Sprintf("%s leads to %.50q, which is not a step", what, next))
	}
}

func (v *validator) step(s *Step, seen map[string]bool) {
	if !seen[s.ID] {
		return // reported above
	}
	field := "step " + s.ID
	switch s.Kind {
	case KindQuestion:
		v.text(s, "the question", s.Text, true, MaxText)
		switch {
		case len(s.Options) == 0:
			v.add(field, "a question needs options")
		case len(s.Options) > MaxOptions:
			v.add(field, fmt.Sprintf("%d options; at most %d", len(s.Options), MaxOptions))
			return
		}
		folded := make([]string, 0, len(s.Options))
		for i, o := range s.Options {
			what := fmt.Sprintf("option %d", i+1)
			v.text(s, what, o.Label, true, MaxLabel)
			v.next(s, what, o.Next, seen)
			f := fold(o.Label)
			if f == "" && strings.TrimSpace(o.Label) != "" {
				v.add(field, what+" needs a letter or digit")
			}
			if f != "" && slices.Contains(folded, f) {
				v.add(field, fmt.Sprintf("%s reads the same as an earlier option", what))
			}
			folded = append(folded, f)
		}
	case KindInput:
		v.text(s, "the prompt", s.Text, true, MaxText)
		v.text(s, "the hint", s.Hint, false, MaxText)
		v.next(s, "the answer", s.Next, seen)
		if s.Pattern != "" {
			if len(s.Pattern) > MaxPattern {
				v.add(field, fmt.Sprintf("the pattern is longer than %d bytes", MaxPattern))
			} else if _, err := regexp.Compile(s.Pattern); err != nil {
				v.add(field, "the pattern is not a valid regular expression: "+err.Error())
			}
		}
		if s.Var != "" && !validID(s.Var) {
			v.add(field, fmt.Sprintf("variable %.50q: use lower-case letters, digits, - and _", s.Var))
		}
	case KindArticle:
		v.text(s, "the text", s.Text, false, MaxText)
		if s.Article <= 0 {
			v.add(field, "an article step needs an article")
		}
		v.next(s, `"no"`, s.Next, seen)
	case KindMessage:
		v.text(s, "the message", s.Text, true, MaxMessage)
		v.next(s, "the message", s.Next, seen)
	case KindAction:
		if !validID(s.Action) {
			v.add(field, fmt.Sprintf("action %.50q: name an action (lower-case letters, digits, - and _)", s.Action))
		}
		if len(s.Params) > MaxParams {
			v.add(field, fmt.Sprintf("%d parameters; at most %d", len(s.Params), MaxParams))
		}
		for _, k := range sortedKeys(s.Params) {
			if !validID(k) {
				v.add(field, fmt.Sprintf("parameter %.50q: use lower-case letters, digits, - and _", k))
			}
			if len(s.Params[k]) > MaxParamLen || !utf8.ValidString(s.Params[k]) {
				v.add(field, fmt.Sprintf("parameter %s is longer than %d bytes or not UTF-8", k, MaxParamLen))
			}
		}
		v.next(s, `"ok"`, s.OK, seen)
		v.next(s, `"fail"`, s.Fail, seen)
	case KindEnd:
		v.text(s, "the message", s.Text, false, MaxText)
		switch s.Outcome {
		case desk.FlowSolved, desk.FlowHandover:
		case desk.FlowArticle:
			if s.Article <= 0 {
				v.add(field, "an end in an article needs an article")
			}
		default:
			v.add(field, fmt.Sprintf("outcome %.50q: want solved, article or handover", s.Outcome))
		}
		if s.Team < 0 {
			v.add(field, "team must not be negative")
		}
	default:
		v.add(field, fmt.Sprintf("kind %.50q: want question, input, article, message, action or end", s.Kind))
	}
}

// graph checks reachability from the start, that an end is reachable from
// every step, and that every cycle passes through a question.
func (v *validator) graph(d *Definition) {
	index := make(map[string]int, len(d.Steps))
	for i, s := range d.Steps {
		index[s.ID] = i
	}
	edges := make([][]int, len(d.Steps))
	for i := range d.Steps {
		for _, n := range d.Steps[i].nexts() {
			edges[i] = append(edges[i], index[n])
		}
	}

	reached := make([]bool, len(d.Steps))
	stack := []int{index[d.Start]}
	reached[stack[0]] = true
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, j := range edges[i] {
			if !reached[j] {
				reached[j] = true
				stack = append(stack, j)
			}
		}
	}
	for i, s := range d.Steps {
		if !reached[i] {
			v.add("step "+s.ID, "cannot be reached from the start")
		}
	}

	// Walk backwards from the ends.
	back := make([][]int, len(d.Steps))
	for i, es := range edges {
		for _, j := range es {
			back[j] = append(back[j], i)
		}
	}
	ends := make([]bool, len(d.Steps))
	stack = stack[:0]
	for i, s := range d.Steps {
		if s.Kind == KindEnd {
			ends[i] = true
			stack = append(stack, i)
		}
	}
	if len(stack) == 0 {
		v.add("steps", "the flow has no end step")
		return
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, j := range back[i] {
			if !ends[j] {
				ends[j] = true
				stack = append(stack, j)
			}
		}
	}
	for i, s := range d.Steps {
		if reached[i] && !ends[i] {
			v.add("step "+s.ID, "no path from here reaches an end")
		}
	}

	// A cycle without a question would run (or ask for input) forever
	// without giving the customer a way out: look for cycles in the graph
	// without the questions' edges.
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(d.Steps))
	var onPath []int
	var visit func(i int) bool
	visit = func(i int) bool {
		color[i] = grey
		onPath = append(onPath, i)
		if d.Steps[i].Kind != KindQuestion {
			for _, j := range edges[i] {
				switch color[j] {
				case grey:
					start := slices.Index(onPath, j)
					ids := make([]string, 0, len(onPath)-start+1)
					for _, k := range onPath[start:] {
						ids = append(ids, d.Steps[k].ID)
					}
					ids = append(ids, d.Steps[j].ID)
					v.add("step "+d.Steps[j].ID, "loops back without a question to leave it: "+strings.Join(ids, " → "))
					return true
				case white:
					if visit(j) {
						return true
					}
				}
			}
		}
		onPath = onPath[:len(onPath)-1]
		color[i] = black
		return false
	}
	for i := range d.Steps {
		if color[i] == white {
			onPath = onPath[:0]
			if visit(i) {
				return
			}
		}
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
