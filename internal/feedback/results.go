package feedback

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Figures are the results of one group of surveys.
type Figures struct {
	Key   string `json:"key"`   // the group's key (agent or team id, category, channel, day)
	Label string `json:"label"` // a readable name for the key
	Sent  int    `json:"sent"`
	// Answered and the rates: ResponseRate is answered/sent (0–100),
	// AvgCSAT the mean score 1–5, Satisfied the share of 4 and 5 (0–100).
	Answered     int     `json:"answered"`
	ResponseRate float64 `json:"response_rate"`
	AvgCSAT      float64 `json:"avg_csat"`
	Satisfied    float64 `json:"satisfied_pct"`
	// NPS is promoters minus detractors in percent (-100..100); NPSCount
	// how many answers had a score (no NPS when 0).
	NPS      float64 `json:"nps"`
	NPSCount int     `json:"nps_count"`
}

func figures(st desk.SurveyStat) Figures {
	f := Figures{Key: st.Key, Label: st.Key, Sent: st.Sent, Answered: st.Answered, NPSCount: st.NPSCount}
	if st.Sent > 0 {
		f.ResponseRate = pct(st.Answered, st.Sent)
	}
	if st.Answered > 0 {
		f.AvgCSAT = math.Round(float64(st.CSATSum)*100/float64(st.Answered)) / 100
		f.Satisfied = pct(st.Satisfied, st.Answered)
	}
	if st.NPSCount > 0 {
		f.NPS = math.Round(float64(st.Promoters-st.Detract)*1000/float64(st.NPSCount)) / 10
	}
	return f
}

// pct is part/whole in percent, to one decimal.
func pct(part, whole int) float64 {
	return math.Round(float64(part)*1000/float64(whole)) / 10
}

// Report is the satisfaction report of a period.
type Report struct {
	From, To   time.Time
	Total      Figures
	ByAgent    []Figures
	ByTeam     []Figures
	ByCategory []Figures
	ByChannel  []Figures
	ByDay      []Figures
	// Comments are the newest answers with a comment.
	Comments    []desk.Survey
	Compliments []desk.Compliment
}

// Results reports the surveys sent in [from, to).
func (s *Service) Results(ctx context.Context, from, to time.Time) (*Report, error) {
	r := &Report{From: from, To: to}
	agents, err := s.st.ListAgents(ctx)
	if err != nil {
		return nil, fmt.Errorf("feedback: results: %w", err)
	}
	teams, err := s.st.ListTeams(ctx)
	if err != nil {
		return nil, fmt.Errorf("feedback: results: %w", err)
	}
	names := map[desk.SurveyDim]map[string]string{desk.SurveyByAgent: {"0": "—"}, desk.SurveyByTeam: {"0": "—"}}
	for _, a := range agents {
		names[desk.SurveyByAgent][strconv.FormatInt(a.ID, 10)] = a.Name
	}
	for _, t := range teams {
		names[desk.SurveyByTeam][strconv.FormatInt(t.ID, 10)] = t.Name
	}
	for _, d := range []struct {
		by  desk.SurveyDim
		out *[]Figures
	}{
		{desk.SurveyByAgent, &r.ByAgent}, {desk.SurveyByTeam, &r.ByTeam}, {desk.SurveyByCategory, &r.ByCategory},
		{desk.SurveyByChannel, &r.ByChannel}, {desk.SurveyByDay, &r.ByDay}, {desk.SurveyByTotal, nil},
	} {
		stats, err := s.st.SurveyStats(ctx, desk.SurveyStatsQuery{From: from, To: to, By: d.by})
		if err != nil {
			return nil, fmt.Errorf("feedback: results: %w", err)
		}
		if d.out == nil {
			if len(stats) == 1 {
				r.Total = figures(stats[0])
			}
			continue
		}
		for _, st := range stats {
			f := figures(st)
			if n, ok := names[d.by][f.Key]; ok {
				f.Label = n
			} else if f.Key == "" {
				f.Label = "—"
			}
			*d.out = append(*d.out, f)
		}
		if d.by != desk.SurveyByDay {
			// Most answers first: the groups that say the most.
			sort.SliceStable(*d.out, func(i, j int) bool { return (*d.out)[i].Answered > (*d.out)[j].Answered })
		}
	}
	if r.Comments, err = s.st.ListSurveys(ctx, desk.SurveyQuery{From: from, To: to, WithComment: true, Limit: 100}); err != nil {
		return nil, fmt.Errorf("feedback: results: %w", err)
	}
	if r.Compliments, err = s.st.ListCompliments(ctx, 50); err != nil {
		return nil, fmt.Errorf("feedback: results: %w", err)
	}
	return r, nil
}
