package report

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Periods are the preset report periods, in days.
var Periods = []int{7, 30, 90}

// ParseQuery reads a report query from URL parameters, as the dashboard's
// form and the API send them: period (days, default 30) or from and to
// (dates, YYYY-MM-DD, both inclusive, in loc), channel, team_id, category.
func ParseQuery(v url.Values, now time.Time, loc *time.Location) (Query, error) {
	days := 30
	if s := v.Get("period"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxDays {
			return Query{}, desk.Invalid("period", fmt.Sprintf("a number of days from 1 to %d", MaxDays))
		}
		days = n
	}
	q := Period(now, loc, days)
	if from, to := v.Get("from"), v.Get("to"); from != "" || to != "" {
		f, err1 := time.ParseInLocation(time.DateOnly, from, loc)
		t, err2 := time.ParseInLocation(time.DateOnly, to, loc)
		if err1 != nil || err2 != nil {
			return Query{}, desk.Invalid("from", "from and to are dates, YYYY-MM-DD")
		}
		q.From, q.To = f, t.AddDate(0, 0, 1)
	}
	q.Channel = desk.ChannelKind(v.Get("channel"))
	if s := v.Get("team_id"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id < -1 {
			return Query{}, desk.Invalid("team_id", "a team id, or -1 for no team")
		}
		q.TeamID = id
	}
	q.Category = strings.TrimSpace(v.Get("category"))
	return q, q.Validate()
}

// Values is the inverse of ParseQuery, for links (CSV, API) that keep the
// dashboard's filter.
func (q Query) Values() url.Values {
	v := url.Values{}
	v.Set("from", q.From.In(q.loc()).Format(time.DateOnly))
	v.Set("to", q.To.In(q.loc()).AddDate(0, 0, -1).Format(time.DateOnly))
	if q.Channel != "" {
		v.Set("channel", string(q.Channel))
	}
	if q.TeamID != 0 {
		v.Set("team_id", strconv.FormatInt(q.TeamID, 10))
	}
	if q.Category != "" {
		v.Set("category", q.Category)
	}
	return v
}

// ParseStaffing reads the staffing query: channel (default webchat),
// team_id, weeks, days, and overrides of DefaultParams: target_seconds,
// service_level (percent), concurrency, shrinkage (percent), occupancy
// (percent), aht_seconds (0 or absent: measured).
func ParseStaffing(v url.Values, now time.Time, loc *time.Location) (StaffingQuery, error) {
	q := StaffingQuery{Now: now, Loc: loc, Channel: desk.ChannelKind(v.Get("channel"))}
	if q.Channel == "" {
		q.Channel = desk.ChannelWebChat
	}
	if !desk.KnownChannel(q.Channel) {
		return q, desk.Invalid("channel", "unknown channel")
	}
	q.Params = DefaultParams(q.Channel)
	ints := []struct {
		name     string
		min, max int
		set      func(int)
	}{
		{"team_id", 0, 1 << 62, func(n int) { q.TeamID = int64(n) }},
		{"weeks", 2, 52, func(n int) { q.Weeks = n }},
		{"days", 1, 28, func(n int) { q.Days = n }},
		{"target_seconds", 1, 7 * 24 * 3600, func(n int) { q.Params.TargetAnswer = time.Duration(n) * time.Second }},
		{"service_level", 1, 99, func(n int) { q.Params.ServiceLevel = float64(n) / 100 }},
		{"concurrency", 1, 10, func(n int) { q.Params.Concurrency = n }},
		{"shrinkage", 0, 90, func(n int) { q.Params.Shrinkage = float64(n) / 100 }},
		{"occupancy", 10, 100, func(n int) { q.Params.MaxOccupancy = float64(n) / 100 }},
		{"aht_seconds", 0, 24 * 3600, func(n int) { q.Params.AHT = time.Duration(n) * time.Second }},
	}
	for _, p := range ints {
		s := v.Get(p.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < p.min || n > p.max {
			return q, desk.Invalid(p.name, fmt.Sprintf("a whole number from %d to %d", p.min, p.max))
		}
		p.set(n)
	}
	return q, nil
}

// Exporter streams the conversations of a report.
type Exporter interface {
	ExportConversations(ctx context.Context, f desk.StatsFilter, fn func(desk.ConversationFact) error) error
}

// CSVHeader are the columns of the export, one row per conversation.
var CSVHeader = []string{"id", "created_at", "channel", "team_id", "team", "category", "assignee_id", "assignee",
	"status", "priority", "first_reply_at", "first_response_seconds", "handed_over_at", "resolved_at",
	"resolution_seconds", "reopens", "first_contact_resolution", "bot_resolved", "sla_state"}

// WriteCSV writes the conversations of q as CSV, times in RFC 3339 in q's
// zone. Names are looked up once; text that a spreadsheet would run as a
// formula is quoted with a leading apostrophe.
func WriteCSV(ctx context.Context, w io.Writer, st interface {
	Exporter
	Store
}, q Query) error {
	if err := q.Validate(); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	names, err := namesOf(ctx, st)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	loc := q.loc()
	tm := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format(time.RFC3339)
	}
	secs := func(d time.Duration, ok bool) string {
		if !ok {
			return ""
		}
		return strconv.FormatInt(int64(d/time.Second), 10)
	}
	yes := func(b bool) string {
		if b {
			return "1"
		}
		return "0"
	}
	err = st.ExportConversations(ctx, q.Filter(), func(f desk.ConversationFact) error {
		fr, frOK := f.FirstResponse()
		res, resOK := f.Resolution()
		team, agent := strconv.FormatInt(f.TeamID, 10), strconv.FormatInt(f.AssigneeID, 10)
		return cw.Write([]string{strconv.FormatInt(f.ID, 10), tm(f.CreatedAt), string(f.Channel), team,
			cell(names.teams[team]), cell(f.Category), agent, cell(names.agents[agent]), string(f.Status),
			string(f.Priority), tm(f.FirstReplyAt), secs(fr, frOK), tm(f.HandedOverAt), tm(f.ResolvedAt),
			secs(res, resOK), strconv.Itoa(f.Reopens), yes(f.Resolved() && f.Reopens == 0),
			yes(f.Resolved() && f.FirstReplyAt.IsZero() && f.HandedOverAt.IsZero()), string(f.SLAState)})
	})
	if err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	return nil
}

// cell defuses text a spreadsheet would evaluate (CSV injection).
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
