package front

import (
	"context"
	"fmt"
	"strconv"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/flow"
)

// FlowsFrom lets the bot run guided flows from package flow inside a
// conversation: choices are numbered text, the customer answers with a
// number or in words. baseURL makes article links absolute.
func FlowsFrom(svc *flow.Service, st desk.FlowStore, baseURL string) Flows {
	return &flowRunner{svc: svc, st: st, baseURL: baseURL}
}

type flowRunner struct {
	svc     *flow.Service
	st      desk.FlowStore
	baseURL string
}

// visitor is the key a conversation's runs are kept under.
func visitor(convID int64) string { return "conversation-" + strconv.FormatInt(convID, 10) }

func (r *flowRunner) Start(ctx context.Context, groupID int64, locale string, convID int64) (int64, string, FlowStep, bool, error) {
	flows, err := r.svc.PublicFlows(ctx, locale)
	if err != nil {
		return 0, "", FlowStep{}, false, err
	}
	for _, f := range flows {
		if f.GroupID != groupID {
			continue
		}
		run, view, err := r.svc.StartRun(ctx, flow.RunInput{FlowID: f.ID, Source: desk.SourceBot, ConversationID: convID,
			VisitorKey: visitor(convID)})
		if err != nil {
			return 0, "", FlowStep{}, false, err
		}
		return run.ID, f.Title, r.step(view, locale), true, nil
	}
	return 0, "", FlowStep{}, false, nil
}

func (r *flowRunner) Answer(ctx context.Context, runID int64, text string) (FlowStep, error) {
	run, err := r.st.FlowRunByID(ctx, runID)
	if err != nil {
		return FlowStep{}, err
	}
	f, err := r.st.FlowByID(ctx, run.FlowID)
	if err != nil {
		return FlowStep{}, err
	}
	_, view, err := r.svc.AnswerRun(ctx, runID, text, visitor(run.ConversationID))
	if err != nil {
		return FlowStep{}, err
	}
	return r.step(view, f.Locale), nil
}

func (r *flowRunner) Path(ctx context.Context, runID int64) ([]string, error) {
	run, err := r.st.FlowRunByID(ctx, runID)
	if err != nil {
		return nil, err
	}
	rep, err := r.svc.Report(ctx, run)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range rep.Steps {
		switch {
		case s.Answer != "" && s.Text != "":
			out = append(out, fmt.Sprintf("%s: %q", s.Text, s.Answer))
		case s.Text != "":
			out = append(out, s.Text)
		}
	}
	return out, nil
}

// step turns a flow's view into what the bot says.
func (r *flowRunner) step(v flow.View, locale string) FlowStep {
	if v.Article != nil && v.Article.URL == "" && v.Article.Slug != "" {
		v.Article.URL = r.baseURL + "/help/" + locale + "/a/" + v.Article.Slug
	}
	st := FlowStep{Text: v.Plain()}
	if v.Kind == flow.ViewEnd {
		st.Done, st.Outcome, st.TeamID = true, v.Outcome, v.Team
		if v.Article != nil {
			st.ArticleGroupID = v.Article.GroupID
		}
	}
	return st
}
