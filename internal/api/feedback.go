package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/balie-dev/balie/internal/analytics/report"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/feedback"
)

// Satisfaction: the survey results (internal/feedback) per agent, team,
// category, channel and day, with the customers' comments.

func (h *Handler) feedbackRoutes(r func(method, path string, role desk.Role, summary string, fn func(http.ResponseWriter, *http.Request) error) Route) []Route {
	return []Route{
		r("GET", "/reports/csat", desk.RoleSupervisor,
			"Satisfaction survey results: average CSAT, % satisfied, response rate and NPS per agent, team, category, channel and day, with comments",
			h.reportCSAT).io(nil, csatJSON{}).query("period", "from", "to"),
		r("GET", "/settings/feedback", desk.RoleSupervisor, "Satisfaction survey settings (off until turned on)",
			h.getFeedbackSettings).io(nil, feedback.Settings{}),
		r("PUT", "/settings/feedback", desk.RoleAdmin, "Turn surveys on or off and choose their questions, follow-up and review invitation",
			h.putFeedbackSettings).io(feedback.Settings{}, feedback.Settings{}),
	}
}

func (h *Handler) getFeedbackSettings(w http.ResponseWriter, r *http.Request) error {
	if h.Feedback == nil {
		return fmt.Errorf("surveys are not served here: %w", desk.ErrNotFound)
	}
	set, err := h.Feedback.Settings(r.Context())
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, set)
}

func (h *Handler) putFeedbackSettings(w http.ResponseWriter, r *http.Request) error {
	if h.Feedback == nil {
		return fmt.Errorf("surveys are not served here: %w", desk.ErrNotFound)
	}
	var in feedback.Settings
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := h.Feedback.SaveSettings(r.Context(), in); err != nil {
		return err
	}
	return write(w, http.StatusOK, in)
}

type csatCommentJSON struct {
	ConversationID int64     `json:"conversation_id"`
	URL            string    `json:"url"` // the conversation in the agent workspace
	Channel        string    `json:"channel"`
	AgentID        int64     `json:"agent_id"`
	TeamID         int64     `json:"team_id"`
	Category       string    `json:"category"`
	CSAT           int       `json:"csat"`
	NPS            *int      `json:"nps"` // null when not given
	Comment        string    `json:"comment"`
	AnsweredAt     time.Time `json:"answered_at"`
}

type complimentJSON struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	About     string    `json:"about"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

type csatJSON struct {
	From        time.Time          `json:"from"`
	To          time.Time          `json:"to"`
	Total       feedback.Figures   `json:"total"`
	ByAgent     []feedback.Figures `json:"by_agent"`
	ByTeam      []feedback.Figures `json:"by_team"`
	ByCategory  []feedback.Figures `json:"by_category"`
	ByChannel   []feedback.Figures `json:"by_channel"`
	ByDay       []feedback.Figures `json:"by_day"`
	Comments    []csatCommentJSON  `json:"comments"`
	Compliments []complimentJSON   `json:"compliments"`
}

func (h *Handler) reportCSAT(w http.ResponseWriter, r *http.Request) error {
	if h.Feedback == nil {
		return fmt.Errorf("satisfaction surveys are not run here: %w", desk.ErrNotFound)
	}
	q, err := report.ParseQuery(r.URL.Query(), h.Clock.Now(), report.Location())
	if err != nil {
		return err
	}
	rep, err := h.Feedback.Results(r.Context(), q.From, q.To)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, csatOut(rep))
}

func csatOut(rep *feedback.Report) csatJSON {
	out := csatJSON{From: rep.From, To: rep.To, Total: rep.Total, ByAgent: figuresOrEmpty(rep.ByAgent), ByTeam: figuresOrEmpty(rep.ByTeam),
		ByCategory: figuresOrEmpty(rep.ByCategory), ByChannel: figuresOrEmpty(rep.ByChannel), ByDay: figuresOrEmpty(rep.ByDay),
		Comments: []csatCommentJSON{}, Compliments: []complimentJSON{}}
	for _, s := range rep.Comments {
		c := csatCommentJSON{ConversationID: s.ConversationID, URL: "/app/conversations/" + strconv.FormatInt(s.ConversationID, 10),
			Channel: string(s.Channel), AgentID: s.AgentID, TeamID: s.TeamID, Category: s.Category, CSAT: s.CSAT,
			Comment: s.Comment, AnsweredAt: s.AnsweredAt}
		if s.NPS != desk.NoNPS {
			nps := s.NPS
			c.NPS = &nps
		}
		out.Comments = append(out.Comments, c)
	}
	for _, c := range rep.Compliments {
		out.Compliments = append(out.Compliments, complimentJSON{ID: c.ID, Name: c.Name, About: c.About, Body: c.Body,
			CreatedAt: c.CreatedAt})
	}
	return out
}

func figuresOrEmpty(v []feedback.Figures) []feedback.Figures {
	if v == nil {
		return []feedback.Figures{}
	}
	return v
}
