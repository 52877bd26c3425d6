package flow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/desk"
)

// Limits of a run.
const (
	// MaxMisses is how many answers in a row the runner may fail to
	// understand at one step before it hands the customer to a person.
	MaxMisses = 3
	// MaxAnswers bounds the answers in one run; a customer who is still
	// going round after that is handed over too.
	MaxAnswers = 100
	// MaxInput bounds a free-text answer, in runes; longer ones are cut.
	MaxInput = 500
	// MaxStateBytes bounds an encoded State that DecodeState accepts.
	MaxStateBytes = 1 << 20
)

// Misunderstood is recorded as the answer at a step whose answer the
// runner did not understand. No understood answer is ever "?": option
// labels and inputs need a letter or digit.
const Misunderstood = "?"

// Answers the runner records at article and action steps.
const (
	AnswerYes  = "yes"
	AnswerNo   = "no"
	ActionOK   = "ok"
	ActionFail = "fail"
)

// Visit is one step of a run's path: the step and the answer given there
// ("" for steps that ask nothing, and for the step waiting for an answer).
// A question records its option's label, an input the text, an article
// AnswerYes or AnswerNo, an action ActionOK or ActionFail, and a
// misunderstood answer Misunderstood.
type Visit struct {
	Step   string `json:"step"`
	Answer string `json:"answer,omitempty"`
}

// State is where a customer is in a flow. It is plain data: encode it as
// JSON to keep it between messages.
type State struct {
	// Step is the step waiting for an answer, or the end step reached; ""
	// after an end the runner chose itself (solved by an article, or a
	// hand-over after misunderstood answers).
	Step string `json:"step,omitempty"`
	// Misses counts misunderstood answers in a row at Step.
	Misses int `json:"misses,omitempty"`
	// Answers counts every answer of the run.
	Answers int `json:"answers,omitempty"`
	// Vars are the answers of input steps that name a variable.
	Vars map[string]string `json:"vars,omitempty"`
	// Path is every step taken, in order; the last one is Step while it
	// waits for an answer.
	Path []Visit `json:"path,omitempty"`
	// From is where in Path the last move began: the messages passed
	// since are shown with the next view.
	From    int              `json:"from,omitempty"`
	Ended   bool             `json:"ended,omitempty"`
	Outcome desk.FlowOutcome `json:"outcome,omitempty"`
	Team    int64            `json:"team,omitempty"`
	Article int64            `json:"article,omitempty"`
}

// DecodeState decodes a State kept by a client (a preview form, a bot
// session). Answer checks it against the definition.
func DecodeState(data []byte) (State, error) {
	var st State
	if len(data) > MaxStateBytes {
		return st, fmt.Errorf("flow: state too large: %w", desk.ErrInvalid)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return State{}, fmt.Errorf("flow: state: %v: %w", err, desk.ErrInvalid)
	}
	return st, nil
}

// Encode returns the state as JSON.
func (st State) Encode() []byte {
	b, err := json.Marshal(st)
	if err != nil {
		panic("flow: encode state: " + err.Error()) // plain data only
	}
	return b
}

// ViewKind says what a view asks of the customer.
type ViewKind string

const (
	ViewQuestion ViewKind = "question" // pick one of Options
	ViewInput    ViewKind = "input"    // type an answer to Text
	ViewArticle  ViewKind = "article"  // read Article, then answer Question with Options
	ViewAction   ViewKind = "action"   // the caller runs Action and answers ActionOK or ActionFail
	ViewEnd      ViewKind = "end"      // the flow is over: Outcome
)

// View is what to show the customer now.
type View struct {
	Kind ViewKind `json:"kind"`
	Step string   `json:"step,omitempty"`
	// Messages are the message steps (Markdown) passed since the last
	// answer, to show before the rest.
	Messages []string `json:"messages,omitempty"`
	// Hint says why the last answer was not understood.
	Hint string `json:"hint,omitempty"`
	// Text is the question, the input prompt, the line shown with an
	// article, or the end message.
	Text    string      `json:"text,omitempty"`
	Article *ArticleRef `json:"article,omitempty"`
	// Question is asked after an article: did it solve the problem?
	Question string   `json:"question,omitempty"`
	Options  []Choice `json:"options,omitempty"`
	// Action and Params (ViewAction) name the check to run, with the
	// variables filled in.
	Action string            `json:"action,omitempty"`
	Params map[string]string `json:"params,omitempty"`
	// Outcome and Team (ViewEnd): how the flow ended and who takes over.
	Outcome desk.FlowOutcome `json:"outcome,omitempty"`
	Team    int64            `json:"team,omitempty"`
}

// Choice is one numbered option. Answering with the number or the label
// picks it.
type Choice struct {
	Number int    `json:"number"`
	Label  string `json:"label"`
}

// ArticleRef points at a knowledge-base article by GroupID; the service
// fills in the title and slug in the flow's locale when it can, and the
// caller the URL.
type ArticleRef struct {
	GroupID int64  `json:"group_id"`
	Title   string `json:"title,omitempty"`
	Slug    string `json:"slug,omitempty"`
	URL     string `json:"url,omitempty"`
}

// Start begins a run of def, which must be valid (see Parse): it moves
// through messages to the first step that asks something, or to an end.
func Start(def *Definition) State {
	var st State
	st.arrive(def, def.Start)
	return st
}

// Answer applies the customer's answer to the step st waits at and moves
// on. An answer it does not understand is recorded as Misunderstood and
// the step is asked again with a hint; the MaxMisses-th in a row ends the
// run in a hand-over. Answering an ended run is desk.ErrConflict; a state
// that does not fit def is desk.ErrInvalid. st is not changed.
func Answer(def *Definition, st State, answer string) (State, error) {
	s, err := waiting(def, &st)
	if err != nil {
		return st, err
	}
	var record string
	switch s.Kind {
	case KindQuestion:
		labels := make([]string, len(s.Options))
		for i, o := range s.Options {
			labels[i] = o.Label
		}
		if i := choose(labels, answer); i >= 0 {
			record = s.Options[i].Label
		}
	case KindInput:
		record = inputValue(s, answer)
	case KindArticle:
		w := wordsFor(def.Locale)
		switch choose([]string{w.yes, w.no}, answer) {
		case 0:
			record = AnswerYes
		case 1:
			record = AnswerNo
		default:
			switch yesNo(answer) {
			case 1:
				record = AnswerYes
			case -1:
				record = AnswerNo
			}
		}
	case KindAction:
		if answer != ActionOK && answer != ActionFail {
			return st, fmt.Errorf("flow: step %s: an action's answer is %q or %q, not %.20q: %w", s.ID, ActionOK, ActionFail, answer, desk.ErrInvalid)
		}
		record = answer
	}
	if record == "" {
		record = Misunderstood
	}
	return apply(def, st.clone(), s, record)
}

// Replay rebuilds the state of a run from its recorded path, without
// interpreting answers again: the path must be one that def produced.
func Replay(def *Definition, path []Visit) (State, error) {
	st := Start(def)
	for i := 0; ; i++ {
		if i >= len(path) || i >= len(st.Path) {
			break
		}
		if path[i].Step != st.Path[i].Step {
			return st, fmt.Errorf("flow: replay: step %d is %q, the flow went to %q: %w", i+1, path[i].Step, st.Path[i].Step, desk.ErrInvalid)
		}
		if i < len(st.Path)-1 || path[i].Answer == "" {
			if path[i].Answer != st.Path[i].Answer {
				return st, fmt.Errorf("flow: replay: step %d (%s) has answer %q, the flow recorded %q: %w", i+1, path[i].Step, path[i].Answer, st.Path[i].Answer, desk.ErrInvalid)
			}
			continue
		}
		s, err := waiting(def, &st)
		if err != nil {
			return st, fmt.Errorf("flow: replay: step %d: %w", i+1, err)
		}
		if !recordFits(s, path[i].Answer) {
			return st, fmt.Errorf("flow: replay: %q is not an answer to step %s: %w", path[i].Answer, s.ID, desk.ErrInvalid)
		}
		if st, err = apply(def, st.clone(), s, path[i].Answer); err != nil {
			return st, err
		}
	}
	if len(st.Path) != len(path) {
		return st, fmt.Errorf("flow: replay: the path has %d steps, the flow took %d: %w", len(path), len(st.Path), desk.ErrInvalid)
	}
	return st, nil
}

// waiting returns the step st waits at.
func waiting(def *Definition, st *State) (*Step, error) {
	if st.Ended {
		return nil, fmt.Errorf("flow: the run has ended: %w", desk.ErrConflict)
	}
	s := def.Step(st.Step)
	if s == nil {
		return nil, fmt.Errorf("flow: the state waits at %.50q, which is not a step: %w", st.Step, desk.ErrInvalid)
	}
	switch s.Kind {
	case KindQuestion, KindInput, KindArticle, KindAction:
		return s, nil
	}
	return nil, fmt.Errorf("flow: step %s asks nothing: %w", s.ID, desk.ErrInvalid)
}

// recordFits reports whether a recorded answer can be one of step s.
func recordFits(s *Step, record string) bool {
	if record == Misunderstood {
		return s.Kind != KindAction
	}
	switch s.Kind {
	case KindQuestion:
		return slices.ContainsFunc(s.Options, func(o Option) bool { return o.Label == record })
	case KindInput:
		return fold(record) != "" && utf8.RuneCountInString(record) <= MaxInput
	case KindArticle:
		return record == AnswerYes || record == AnswerNo
	case KindAction:
		return record == ActionOK || record == ActionFail
	}
	return false
}

// inputValue is the answer to an input step, or "" when it does not fit.
func inputValue(s *Step, answer string) string {
	answer = strings.TrimSpace(strings.ToValidUTF8(answer, ""))
	if utf8.RuneCountInString(answer) > MaxInput {
		answer = strings.TrimSpace(string([]rune(answer)[:MaxInput]))
	}
	if fold(answer) == "" {
		return ""
	}
	if s.Pattern == "" {
		return answer
	}
	re, err := regexp.Compile(s.Pattern)
	if err != nil {
		return "" // Validate rejects such a pattern
	}
	m := strings.TrimSpace(re.FindString(answer))
	if fold(m) == "" {
		return ""
	}
	return m
}

// apply records an interpreted answer at step s and moves on.
func apply(def *Definition, st State, s *Step, record string) (State, error) {
	st.From = len(st.Path)
	if n := len(st.Path); n == 0 || st.Path[n-1].Step != s.ID || st.Path[n-1].Answer != "" {
		st.Path = append(st.Path, Visit{Step: s.ID})
	}
	st.Path[len(st.Path)-1].Answer = record
	st.Answers++
	if record == Misunderstood {
		st.Misses++
		if st.Misses >= MaxMisses {
			st.endBy(desk.FlowHandover, def.Team)
			return st, nil
		}
		st.From = len(st.Path)
		st.Path = append(st.Path, Visit{Step: s.ID})
		return st, nil
	}
	st.Misses = 0
	if st.Answers >= MaxAnswers {
		st.endBy(desk.FlowHandover, def.Team)
		return st, nil
	}
	var next string
	switch s.Kind {
	case KindQuestion:
		for _, o := range s.Options {
			if o.Label == record {
				next = o.Next
				break
			}
		}
	case KindInput:
		if s.Var != "" {
			if st.Vars == nil {
				st.Vars = make(map[string]string)
			}
			st.Vars[s.Var] = record
		}
		next = s.Next
	case KindArticle:
		if record == AnswerYes {
			st.endBy(desk.FlowSolved, 0)
			return st, nil
		}
		next = s.Next
	case KindAction:
		next = s.OK
		if record == ActionFail {
			next = s.Fail
		}
	}
	st.arrive(def, next)
	return st, nil
}

// arrive moves to step id and on through messages, to a step that asks
// something or an end.
func (st *State) arrive(def *Definition, id string) {
	st.Misses = 0
	// A valid definition has no cycle of messages; the bound protects
	// against one that was not validated.
	for range len(def.Steps) + 1 {
		s := def.Step(id)
		if s == nil {
			break
		}
		st.Path = append(st.Path, Visit{Step: id})
		switch s.Kind {
		case KindMessage:
			id = s.Next
			continue
		case KindEnd:
			st.endBy(s.Outcome, s.Team)
			st.Step, st.Article = s.ID, s.Article
			return
		}
		st.Step = id
		return
	}
	st.endBy(desk.FlowHandover, def.Team)
}

// endBy ends the run without an end step (or before the end step's
// details are filled in).
func (st *State) endBy(outcome desk.FlowOutcome, team int64) {
	st.Ended, st.Outcome, st.Team = true, outcome, team
	st.Step, st.Article, st.Misses = "", 0, 0
}

func (st State) clone() State {
	st.Path = slices.Clone(st.Path)
	st.Vars = maps.Clone(st.Vars)
	return st
}

// Show returns what to show for st.
func Show(def *Definition, st State) View {
	w := wordsFor(def.Locale)
	var v View
	if st.From >= 0 && st.From <= len(st.Path) {
		for _, p := range st.Path[st.From:] {
			if s := def.Step(p.Step); s != nil && s.Kind == KindMessage {
				v.Messages = append(v.Messages, s.Text)
			}
		}
	}
	if st.Ended {
		v.Kind, v.Step, v.Outcome, v.Team = ViewEnd, st.Step, st.Outcome, st.Team
		if s := def.Step(st.Step); s != nil && s.Kind == KindEnd {
			v.Text = s.Text
		}
		if st.Article > 0 {
			v.Article = &ArticleRef{GroupID: st.Article}
		}
		if v.Text == "" {
			switch st.Outcome {
			case desk.FlowSolved:
				v.Text = w.solved
			case desk.FlowArticle:
				v.Text = w.articleOutcome
			case desk.FlowHandover:
				v.Text = w.handover
			}
		}
		return v
	}
	s := def.Step(st.Step)
	if s == nil {
		// Answer reports such a state; show a hand-over rather than nothing.
		return View{Kind: ViewEnd, Outcome: desk.FlowHandover, Team: def.Team, Text: w.handover}
	}
	v.Step, v.Text = s.ID, s.Text
	switch s.Kind {
	case KindQuestion:
		v.Kind = ViewQuestion
		for i, o := range s.Options {
			v.Options = append(v.Options, Choice{Number: i + 1, Label: o.Label})
		}
	case KindInput:
		v.Kind = ViewInput
	case KindArticle:
		v.Kind = ViewArticle
		v.Article = &ArticleRef{GroupID: s.Article}
		v.Question = w.helped
		v.Options = []Choice{{Number: 1, Label: w.yes}, {Number: 2, Label: w.no}}
	case KindAction:
		v.Kind, v.Action = ViewAction, s.Action
		v.Params = make(map[string]string, len(s.Params))
		for k, p := range s.Params {
			v.Params[k] = fill(p, st.Vars)
		}
	}
	if st.Misses > 0 {
		v.Hint = w.pick
		if s.Kind == KindInput {
			v.Hint = w.input
			if s.Hint != "" {
				v.Hint = s.Hint
			}
		}
	}
	return v
}

var varRe = regexp.MustCompile(`\{\{\s*([a-z0-9][a-z0-9_-]*)\s*\}\}`)

// fill replaces "{{name}}" with the input answers in vars ("" when unset).
func fill(s string, vars map[string]string) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	return varRe.ReplaceAllStringFunc(s, func(m string) string {
		return vars[varRe.FindStringSubmatch(m)[1]]
	})
}
