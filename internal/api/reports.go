package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/balie-dev/balie/internal/analytics/report"
	"github.com/balie-dev/balie/internal/desk"
)

// Reports: the supervisor dashboard's numbers as JSON and CSV
// (analytics/report). Times are in the company's zone (Europe/Amsterdam).

func (h *Handler) reportRoutes(r func(method, path string, role desk.Role, summary string, fn func(http.ResponseWriter, *http.Request) error) Route) []Route {
	S := desk.RoleSupervisor
	filter := []string{"period", "from", "to", "channel", "team_id", "category"}
	return []Route{
		r("GET", "/reports/summary", S, "Contact volume, response and resolution times, rates, per channel, category, team and agent",
			h.reportSummary).io(nil, reportJSON{}).query(filter...),
		r("GET", "/reports/conversations.csv", S, "The report's conversations as CSV, one row per conversation",
			h.reportCSV).query(filter...),
		r("GET", "/reports/staffing", S, "Next week's forecast per hour and the agents needed, against the schedule",
			h.reportStaffing).io(nil, staffingJSON{}).
			query("channel", "team_id", "weeks", "days", "target_seconds", "service_level", "concurrency", "shrinkage",
				"occupancy", "aht_seconds"),
	}
}

// reportStore is the store as the reports read it.
func (h *Handler) reportStore() (interface {
	report.Store
	report.Exporter
}, error) {
	st, ok := h.Store.(interface {
		report.Store
		report.Exporter
	})
	if !ok {
		return nil, fmt.Errorf("reports need a store with analytics: %w", desk.ErrNotFound)
	}
	return st, nil
}

type metricsJSON struct {
	Created          int64   `json:"created"`
	Resolved         int64   `json:"resolved"`
	FirstReplied     int64   `json:"first_replied"`
	HandedOver       int64   `json:"handed_over"`
	BotResolved      int64   `json:"bot_resolved"`
	FirstResponseP50 float64 `json:"first_response_p50_seconds"`
	FirstResponseP90 float64 `json:"first_response_p90_seconds"`
	ResolutionP50    float64 `json:"resolution_p50_seconds"`
	ResolutionP90    float64 `json:"resolution_p90_seconds"`
	// Rates are fractions; null when there is nothing to divide by.
	FCR           *float64 `json:"first_contact_resolution"`
	SLA           *float64 `json:"sla_attainment"`
	BotResolution *float64 `json:"bot_resolution_rate"`
	Handover      *float64 `json:"handover_rate"`
	CSAT          *float64 `json:"csat"`
}

func ratePtr(v float64) *float64 {
	if v < 0 {
		return nil
	}
	return &v
}

func metricsOut(m report.Metrics) metricsJSON {
	return metricsJSON{Created: m.Created, Resolved: m.Resolved, FirstReplied: m.FirstReplied, HandedOver: m.HandedOver,
		BotResolved: m.BotResolved, FirstResponseP50: m.FirstResponseP50.Seconds(), FirstResponseP90: m.FirstResponseP90.Seconds(),
		ResolutionP50: m.ResolutionP50.Seconds(), ResolutionP90: m.ResolutionP90.Seconds(), FCR: ratePtr(m.FCR),
		SLA: ratePtr(m.SLA), BotResolution: ratePtr(m.BotResolution), Handover: ratePtr(m.Handover), CSAT: ratePtr(m.CSAT)}
}

type lineJSON struct {
	Key  string `json:"key"`
	Name string `json:"name,omitempty"`
	metricsJSON
}

type reportJSON struct {
	From       time.Time   `json:"from"`
	To         time.Time   `json:"to"`
	Channel    string      `json:"channel,omitempty"`
	TeamID     int64       `json:"team_id,omitempty"`
	Category   string      `json:"category,omitempty"`
	Totals     metricsJSON `json:"totals"`
	ByChannel  []lineJSON  `json:"by_channel"`
	ByCategory []lineJSON  `json:"by_category"`
	ByTeam     []lineJSON  `json:"by_team"`
	ByAgent    []lineJSON  `json:"by_agent"`
	// Days counts conversations created per local day; Heatmap per local
	// weekday (0 is Monday) and hour.
	Days       []dayJSON     `json:"days"`
	Heatmap    [7][24]int64  `json:"heatmap"`
	Deflection deflectionOut `json:"deflection"`
}

type dayJSON struct {
	Date    string `json:"date"`
	Created int64  `json:"created"`
}

type deflectionOut struct {
	Visits    int      `json:"visits"`
	Answered  int      `json:"answered"`
	Contacted int      `json:"contacted"`
	Deflected int      `json:"deflected"`
	Rate      *float64 `json:"rate"`
}

func linesOut(ls []report.Line) []lineJSON {
	out := make([]lineJSON, len(ls))
	for i, l := range ls {
		out[i] = lineJSON{Key: l.Key, Name: l.Name, metricsJSON: metricsOut(l.Metrics)}
	}
	return out
}

func (h *Handler) reportSummary(w http.ResponseWriter, r *http.Request) error {
	st, err := h.reportStore()
	if err != nil {
		return err
	}
	q, err := report.ParseQuery(r.URL.Query(), h.Clock.Now(), report.Location())
	if err != nil {
		return err
	}
	rep, err := report.Build(r.Context(), st, q)
	if err != nil {
		return err
	}
	out := reportJSON{From: q.From, To: q.To, Channel: string(q.Channel), TeamID: q.TeamID, Category: q.Category,
		Totals: metricsOut(rep.Totals), ByChannel: linesOut(rep.ByChannel), ByCategory: linesOut(rep.ByCategory),
		ByTeam: linesOut(rep.ByTeam), ByAgent: linesOut(rep.ByAgent), Heatmap: rep.Heatmap,
		Deflection: deflectionOut{Visits: rep.Deflection.Visits, Answered: rep.Deflection.Answered,
			Contacted: rep.Deflection.Contacted, Deflected: rep.Deflection.Deflected, Rate: ratePtr(rep.Deflection.Rate)}}
	for _, d := range rep.Days {
		out.Days = append(out.Days, dayJSON{Date: d.Date.Format(time.DateOnly), Created: d.Created})
	}
	return write(w, http.StatusOK, out)
}

func (h *Handler) reportCSV(w http.ResponseWriter, r *http.Request) error {
	st, err := h.reportStore()
	if err != nil {
		return err
	}
	q, err := report.ParseQuery(r.URL.Query(), h.Clock.Now(), report.Location())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="conversations-%s.csv"`,
		q.From.Format("20060102")))
	// Once rows are written the status is sent: a later error can only cut
	// the file short, and is logged by the caller.
	return report.WriteCSV(r.Context(), w, st, q)
}

type staffingHourJSON struct {
	Start      time.Time `json:"start"`
	Contacts   float64   `json:"contacts"`
	Needed     int       `json:"agents_needed"`
	Scheduled  int       `json:"agents_scheduled"`
	Gap        int       `json:"gap"`
	ServiceLvl float64   `json:"service_level_scheduled"`
}

type staffingJSON struct {
	Channel        string             `json:"channel"`
	TeamID         int64              `json:"team_id,omitempty"`
	AHTSeconds     float64            `json:"aht_seconds"`
	AHTMeasured    bool               `json:"aht_measured"`
	TargetSeconds  float64            `json:"target_seconds"`
	ServiceLevel   float64            `json:"service_level"`
	Concurrency    int                `json:"concurrency"`
	Shrinkage      float64            `json:"shrinkage"`
	MaxOccupancy   float64            `json:"max_occupancy"`
	HistoryFrom    time.Time          `json:"history_from"`
	HistoryTo      time.Time          `json:"history_to"`
	ShortHistory   bool               `json:"short_history"`
	Contacts       float64            `json:"forecast_contacts"`
	ShortHours     int                `json:"short_hours"`
	ShortAgentHrs  int                `json:"short_agent_hours"`
	OverAgentHrs   int                `json:"over_agent_hours"`
	ScheduledLevel float64            `json:"service_level_scheduled"`
	Hours          []staffingHourJSON `json:"hours"`
}

func (h *Handler) reportStaffing(w http.ResponseWriter, r *http.Request) error {
	st, err := h.reportStore()
	if err != nil {
		return err
	}
	q, err := report.ParseStaffing(r.URL.Query(), h.Clock.Now(), report.Location())
	if err != nil {
		return err
	}
	s, err := report.BuildStaffing(r.Context(), st, q)
	if err != nil {
		return err
	}
	p := s.Params
	out := staffingJSON{Channel: string(q.Channel), TeamID: q.TeamID, AHTSeconds: p.AHT.Seconds(), AHTMeasured: s.AHTMeasured,
		TargetSeconds: p.TargetAnswer.Seconds(), ServiceLevel: p.ServiceLevel, Concurrency: p.Concurrency,
		Shrinkage: p.Shrinkage, MaxOccupancy: p.MaxOccupancy, HistoryFrom: s.HistoryFrom, HistoryTo: s.HistoryTo,
		ShortHistory: s.ShortHistory, Contacts: s.Contacts, ShortHours: s.Coverage.ShortHours,
		ShortAgentHrs: s.Coverage.ShortAgentHours, OverAgentHrs: s.Coverage.OverAgentHours,
		ScheduledLevel: s.Coverage.ServiceLevel}
	for _, hc := range s.Coverage.Hours {
		out.Hours = append(out.Hours, staffingHourJSON{Start: hc.Start, Contacts: hc.Contacts, Needed: hc.Needed.Agents,
			Scheduled: hc.Scheduled, Gap: hc.Gap, ServiceLvl: hc.Achieved.ServiceLevel})
	}
	return write(w, http.StatusOK, out)
}
