package flow

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// maxStatsRuns bounds the runs one Stats call reads.
const maxStatsRuns = 100000

// Stats is how a flow's runs went in a period.
type Stats struct {
	FlowID int64
	// Version is the version whose steps are listed (the newest published
	// one; 0: the draft's).
	Version      int
	Since, Until time.Time
	// Runs counts the runs started in the period; the others split them
	// by outcome. Abandoned runs have no outcome (yet): the customer left,
	// or is still going.
	Runs, Solved, Article, Handover, Abandoned int
	Steps                                      []StepStats
	// Truncated says there were more runs than one call reads; the
	// numbers cover the oldest.
	Truncated bool
}

// StepStats is how runs went at one step. Runs of older versions count at
// the steps with the same id.
type StepStats struct {
	Step string
	Kind StepKind
	Text string
	// Reached counts the runs that came to the step.
	Reached int
	// DropOff counts the runs that stopped there: the step is their last
	// and they have no outcome.
	DropOff int
	// Answered counts the understood answers given there (a run that
	// loops through the step answers it more than once).
	Answered int
	// Misunderstood counts the answers not understood there.
	Misunderstood int
	// Answers is how often each answer was given, most given first: the
	// option labels of a question, AnswerYes/AnswerNo after an article,
	// ActionOK/ActionFail of an action. Inputs are free text, and private:
	// they are counted in Answered only.
	Answers []AnswerCount
}

// AnswerCount counts one answer at a step.
type AnswerCount struct {
	Answer string
	Count  int
}

// Stats adds up the runs of a flow started in [since, until) (zero until:
// up to now) per step of its current version.
func (s *Service) Stats(ctx context.Context, flowID int64, since, until time.Time) (*Stats, error) {
	f, err := s.st.FlowByID(ctx, flowID)
	if err != nil {
		return nil, fmt.Errorf("flow: stats: %w", err)
	}
	var def *Definition
	if f.Version > 0 {
		def, err = s.version(ctx, f, f.Version)
	} else {
		def, err = Decode([]byte(f.Definition))
	}
	if err != nil {
		return nil, fmt.Errorf("flow: stats: %w", err)
	}
	runs, err := s.st.FlowRuns(ctx, flowID, since, until, maxStatsRuns)
	if err != nil {
		return nil, fmt.Errorf("flow: stats: %w", err)
	}
	st := Count(def, runs)
	st.FlowID, st.Version, st.Since, st.Until = f.ID, f.Version, since, until
	st.Truncated = len(runs) >= maxStatsRuns
	return st, nil
}

// Count adds up runs per step of def.
func Count(def *Definition, runs []desk.FlowRun) *Stats {
	out := &Stats{Runs: len(runs)}
	steps := make(map[string]*StepStats, len(def.Steps))
	answers := make(map[string]map[string]int, len(def.Steps))
	out.Steps = make([]StepStats, len(def.Steps))
	for i, d := range def.Steps {
		out.Steps[i] = StepStats{Step: d.ID, Kind: d.Kind, Text: d.Text}
		steps[d.ID] = &out.Steps[i]
		answers[d.ID] = make(map[string]int)
	}
	for _, r := range runs {
		switch r.Outcome {
		case desk.FlowSolved:
			out.Solved++
		case desk.FlowArticle:
			out.Article++
		case desk.FlowHandover:
			out.Handover++
		default:
			out.Abandoned++
		}
		seen := make(map[string]bool, len(r.Path))
		for _, p := range r.Path {
			ss := steps[p.Step]
			if ss == nil {
				continue // a step the current version no longer has
			}
			if !seen[p.Step] {
				seen[p.Step] = true
				ss.Reached++
			}
			switch {
			case p.Answer == "":
			case p.Answer == Misunderstood:
				ss.Misunderstood++
			default:
				ss.Answered++
				if ss.Kind != KindInput {
					answers[p.Step][p.Answer]++
				}
			}
		}
		if n := len(r.Path); n > 0 && r.Outcome == desk.FlowOpen {
			if ss := steps[r.Path[n-1].Step]; ss != nil {
				ss.DropOff++
			}
		}
	}
	for i := range out.Steps {
		ss := &out.Steps[i]
		for a, n := range answers[ss.Step] {
			ss.Answers = append(ss.Answers, AnswerCount{Answer: a, Count: n})
		}
		slices.SortFunc(ss.Answers, func(a, b AnswerCount) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Answer, b.Answer))
		})
	}
	return out
}
