package flow

import (
	"context"
	"crypto/subtle"
	"fmt"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// MaxVisitorKey bounds a run's visitor key.
const MaxVisitorKey = 200

// RunInput starts a run.
type RunInput struct {
	FlowID int64
	// Source is where the customer runs it: desk.SourceHelpCenter,
	// SourceWidget, SourceBot (a messaging conversation) or SourceAPI.
	Source desk.SearchSource
	// ConversationID is the conversation the flow runs in, 0 for none.
	ConversationID int64
	// VisitorKey identifies the customer (a help-center visitor cookie, or
	// a key the bot derives from the conversation); only the same key can
	// answer the run.
	VisitorKey string
}

// StartRun starts a run of a flow's published version and returns it with
// what to show first.
func (s *Service) StartRun(ctx context.Context, in RunInput) (*desk.FlowRun, View, error) {
	switch in.Source {
	case desk.SourceHelpCenter, desk.SourceWidget, desk.SourceBot, desk.SourceAPI:
	default:
		return nil, View{}, fmt.Errorf("flow: source %q: want help, widget, bot or api: %w", in.Source, desk.ErrInvalid)
	}
	if in.VisitorKey == "" || len(in.VisitorKey) > MaxVisitorKey {
		return nil, View{}, fmt.Errorf("flow: a run needs a visitor key of at most %d bytes: %w", MaxVisitorKey, desk.ErrInvalid)
	}
	f, err := s.st.FlowByID(ctx, in.FlowID)
	if err != nil {
		return nil, View{}, fmt.Errorf("flow: start: %w", err)
	}
	if f.Status != desk.ArticlePublished || f.Version == 0 {
		return nil, View{}, fmt.Errorf("flow: start: %q is not published: %w", f.Slug, desk.ErrNotFound)
	}
	def, err := s.version(ctx, f, f.Version)
	if err != nil {
		return nil, View{}, err
	}
	now := s.clock.Now()
	run := &desk.FlowRun{
		FlowID: f.ID, Version: f.Version, Source: in.Source, ConversationID: in.ConversationID,
		VisitorKey: in.VisitorKey, StartedAt: now, UpdatedAt: now,
	}
	st, view, err := s.advance(ctx, def, Start(def), run)
	if err != nil {
		return nil, View{}, err
	}
	s.record(run, st, now)
	if err := s.st.CreateFlowRun(ctx, run); err != nil {
		return nil, View{}, fmt.Errorf("flow: start: %w", err)
	}
	return run, s.decorate(ctx, f.Locale, view), nil
}

// AnswerRun gives the customer's answer to the step their run waits at and
// returns the run with what to show next. A run of another visitor is
// desk.ErrNotFound. Answering a run that has ended changes nothing and
// shows its end again, so that a form sent twice does no harm.
func (s *Service) AnswerRun(ctx context.Context, runID int64, answer, visitorKey string) (*desk.FlowRun, View, error) {
	run, f, def, st, err := s.load(ctx, runID, visitorKey)
	if err != nil {
		return nil, View{}, err
	}
	if st.Ended {
		return run, s.decorate(ctx, f.Locale, Show(def, st)), nil
	}
	// A run waits at an action only when a former answer was interrupted
	// before its action ran; run it now.
	if st, _, err = s.advance(ctx, def, st, run); err != nil {
		return nil, View{}, err
	}
	if !st.Ended {
		if st, err = Answer(def, st, answer); err != nil {
			return nil, View{}, err
		}
	}
	st, view, err := s.advance(ctx, def, st, run)
	if err != nil {
		return nil, View{}, err
	}
	s.record(run, st, s.clock.Now())
	if err := s.st.UpdateFlowRun(ctx, run); err != nil {
		return nil, View{}, fmt.Errorf("flow: answer: %w", err)
	}
	return run, s.decorate(ctx, f.Locale, view), nil
}

// RunView returns a run with what it shows now (a page reloaded, a
// help-center page without JavaScript).
func (s *Service) RunView(ctx context.Context, runID int64, visitorKey string) (*desk.FlowRun, View, error) {
	run, f, def, st, err := s.load(ctx, runID, visitorKey)
	if err != nil {
		return nil, View{}, err
	}
	return run, s.decorate(ctx, f.Locale, Show(def, st)), nil
}

// load reads a run of visitorKey with its flow, version and state.
func (s *Service) load(ctx context.Context, runID int64, visitorKey string) (*desk.FlowRun, *desk.Flow, *Definition, State, error) {
	run, err := s.st.FlowRunByID(ctx, runID)
	if err != nil {
		return nil, nil, nil, State{}, fmt.Errorf("flow: run %d: %w", runID, err)
	}
	if visitorKey == "" || subtle.ConstantTimeCompare([]byte(run.VisitorKey), []byte(visitorKey)) != 1 {
		// Not ErrForbidden: a stranger learns nothing about other runs.
		return nil, nil, nil, State{}, fmt.Errorf("flow: run %d: %w", runID, desk.ErrNotFound)
	}
	f, err := s.st.FlowByID(ctx, run.FlowID)
	if err != nil {
		return nil, nil, nil, State{}, fmt.Errorf("flow: run %d: %w", runID, err)
	}
	def, err := s.version(ctx, f, run.Version)
	if err != nil {
		return nil, nil, nil, State{}, err
	}
	st, err := Replay(def, visits(run.Path))
	if err != nil {
		return nil, nil, nil, State{}, fmt.Errorf("flow: run %d: %w", runID, err)
	}
	return run, f, def, st, nil
}

// advance runs the actions st waits at until it waits for the customer or
// ends, and returns the view to show: the messages passed on the way, what
// the actions said, then the step.
func (s *Service) advance(ctx context.Context, def *Definition, st State, run *desk.FlowRun) (State, View, error) {
	var msgs []string
	for range MaxSteps {
		if st.Ended {
			break
		}
		step := def.Step(st.Step)
		if step == nil || step.Kind != KindAction {
			break
		}
		v := Show(def, st)
		msgs = append(msgs, v.Messages...)
		answer := ActionFail
		if s.actions != nil {
			res, err := s.actions.RunAction(ctx, v.Action, v.Params, run)
			if ctx.Err() != nil {
				return st, View{}, fmt.Errorf("flow: action %s: %w", v.Action, ctx.Err())
			}
			// A check that cannot be made is a failed check: the flow's
			// fail branch is there for that.
			if err == nil && res.OK {
				answer = ActionOK
			}
			if err == nil && res.Message != "" {
				msgs = append(msgs, res.Message)
			}
		}
		var err error
		if st, err = Answer(def, st, answer); err != nil {
			return st, View{}, err
		}
	}
	v := Show(def, st)
	v.Messages = append(msgs, v.Messages...)
	return st, v, nil
}

// record writes st onto run: the path (stamping new and newly answered
// steps with now), the outcome and the times.
func (s *Service) record(run *desk.FlowRun, st State, now time.Time) {
	path := make([]desk.FlowStepAnswer, len(st.Path))
	for i, p := range st.Path {
		path[i] = desk.FlowStepAnswer{Step: p.Step, Answer: p.Answer, At: now}
		if i < len(run.Path) && run.Path[i].Step == p.Step && run.Path[i].Answer == p.Answer {
			path[i].At = run.Path[i].At
		}
	}
	run.Path = path
	run.Outcome = st.Outcome
	run.UpdatedAt = now
	if st.Ended && run.EndedAt.IsZero() {
		run.EndedAt = now
	}
}

func visits(path []desk.FlowStepAnswer) []Visit {
	out := make([]Visit, len(path))
	for i, p := range path {
		out[i] = Visit{Step: p.Step, Answer: p.Answer}
	}
	return out
}

// decorate fills in the article's title and slug in the flow's locale.
func (s *Service) decorate(ctx context.Context, locale string, v View) View {
	if v.Article == nil || s.articles == nil {
		return v
	}
	as, err := s.articles.Articles(ctx, desk.ArticleQuery{GroupID: v.Article.GroupID, Locale: locale, Public: true, Limit: 1})
	// Without the title the view still works: the caller links by GroupID.
	if err == nil && len(as) > 0 {
		v.Article.Title, v.Article.Slug = as[0].Title, as[0].Slug
	}
	return v
}

// ConversationRuns returns the runs in a conversation, oldest first, each
// with its steps spelled out: what an agent sees at a hand-over.
func (s *Service) ConversationRuns(ctx context.Context, conversationID int64) ([]RunReport, error) {
	runs, err := s.st.ConversationFlowRuns(ctx, conversationID)
	if err != nil {
		return nil, fmt.Errorf("flow: conversation runs: %w", err)
	}
	out := make([]RunReport, 0, len(runs))
	for i := range runs {
		r, err := s.Report(ctx, &runs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// RunReport is a run told for an agent.
type RunReport struct {
	Run   desk.FlowRun
	Title string // the flow's
	Steps []ReportStep
}

// ReportStep is one step of a run: what was shown and answered.
type ReportStep struct {
	Step    string
	Kind    StepKind
	Text    string // the question, prompt, message or end message
	Article int64  // the article shown (GroupID)
	Answer  string // as recorded (see Visit)
	At      time.Time
}

// Report spells out a run's path with the texts of the version it ran.
func (s *Service) Report(ctx context.Context, run *desk.FlowRun) (RunReport, error) {
	f, err := s.st.FlowByID(ctx, run.FlowID)
	if err != nil {
		return RunReport{}, fmt.Errorf("flow: report run %d: %w", run.ID, err)
	}
	def, err := s.version(ctx, f, run.Version)
	if err != nil {
		return RunReport{}, err
	}
	rep := RunReport{Run: *run, Title: f.Title}
	for _, p := range run.Path {
		rs := ReportStep{Step: p.Step, Answer: p.Answer, At: p.At}
		if st := def.Step(p.Step); st != nil {
			rs.Kind, rs.Text, rs.Article = st.Kind, st.Text, st.Article
		}
		rep.Steps = append(rep.Steps, rs)
	}
	return rep, nil
}
