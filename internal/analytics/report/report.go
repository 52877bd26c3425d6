// Package report turns the conversation rollups (desk.AnalyticsStore) into
// the supervisor dashboard: totals, tables per channel, category, team and
// agent, a weekday × hour heatmap in the company's time zone, and the
// staffing view (history → forecast → agents needed against the schedule).
//
// It may import desk, sla (team business hours) and analytics/forecast.
package report

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
	_ "time/tzdata" // Europe/Amsterdam must load on hosts without a zone database

	"github.com/balie-dev/balie/internal/desk"
)

// Store is what the reports read.
type Store interface {
	StatsRows(ctx context.Context, f desk.StatsFilter, by ...desk.StatsDim) ([]desk.StatsRow, error)
	DeflectionStats(ctx context.Context, since, until time.Time) ([]desk.DeflectionStat, error)
	ListTeams(ctx context.Context) ([]desk.Team, error)
	ListAgents(ctx context.Context) ([]desk.Agent, error)
	TeamMembers(ctx context.Context, teamID int64) ([]desk.Agent, error)
}

// Query selects what a report covers: conversations created from From
// (inclusive) to To (exclusive), both local midnights in Loc, of a channel,
// team and category ("" and 0: all).
type Query struct {
	From, To time.Time
	Loc      *time.Location
	Channel  desk.ChannelKind
	TeamID   int64
	Category string
}

// MaxDays bounds a report's period: a little over a year.
const MaxDays = 400

// Period returns the query for the days days up to and including now's
// date in loc.
func Period(now time.Time, loc *time.Location, days int) Query {
	lt := now.In(loc)
	to := time.Date(lt.Year(), lt.Month(), lt.Day()+1, 0, 0, 0, 0, loc)
	return Query{From: to.AddDate(0, 0, -days), To: to, Loc: loc}
}

// Validate checks the period.
func (q Query) Validate() error {
	switch {
	case q.From.IsZero() || q.To.IsZero():
		return desk.Invalid("period", "from and to are required")
	case !q.From.Before(q.To):
		return desk.Invalid("period", "from must be before to")
	case q.To.Sub(q.From) > MaxDays*24*time.Hour+time.Hour:
		return desk.Invalid("period", fmt.Sprintf("at most %d days", MaxDays))
	case q.Channel != "" && !desk.KnownChannel(q.Channel):
		return desk.Invalid("channel", "unknown channel")
	}
	return nil
}

func (q Query) loc() *time.Location {
	if q.Loc == nil {
		return time.UTC
	}
	return q.Loc
}

// Filter is the store filter of q.
func (q Query) Filter() desk.StatsFilter {
	return desk.StatsFilter{From: q.From, To: q.To, Channel: q.Channel, TeamID: q.TeamID, Category: q.Category}
}

// Metrics are the numbers of one set of conversations. Rates are fractions
// (0.85 = 85%), NaN-free: a rate without a denominator is -1, which the
// pages show as "–".
type Metrics struct {
	Created, Resolved, FirstReplied int64
	HandedOver, BotResolved         int64
	// Median and p90 first-response and resolution times; zero when none.
	FirstResponseP50, FirstResponseP90 time.Duration
	ResolutionP50, ResolutionP90       time.Duration
	// FCR is first-contact resolution: resolved and never reopened, of
	// the resolved.
	FCR float64
	// SLA is attainment: met of met + breached.
	SLA float64
	// BotResolution and Handover are shares of all conversations created.
	BotResolution, Handover float64
	// CSAT is the customer satisfaction score, -1 until balie asks for it.
	CSAT float64
}

func rate(n, d int64) float64 {
	if d <= 0 {
		return -1
	}
	return float64(n) / float64(d)
}

// MetricsOf computes the metrics of summed counts.
func MetricsOf(c *desk.StatsCounts) Metrics {
	m := Metrics{Created: c.Created, Resolved: c.Resolved, FirstReplied: c.FirstReplied, HandedOver: c.HandedOver,
		BotResolved: c.BotResolved, FCR: rate(c.FCR, c.Resolved), SLA: rate(c.SLAMet, c.SLAMet+c.SLABreached),
		BotResolution: rate(c.BotResolved, c.Created), Handover: rate(c.HandedOver, c.Created), CSAT: -1}
	m.FirstResponseP50, _ = c.FirstResponse.Quantile(0.5)
	m.FirstResponseP90, _ = c.FirstResponse.Quantile(0.9)
	m.ResolutionP50, _ = c.Resolution.Quantile(0.5)
	m.ResolutionP90, _ = c.Resolution.Quantile(0.9)
	return m
}

// Line is one row of a breakdown table.
type Line struct {
	Key  string // channel kind, category key, team or agent id as text
	Name string // what to show: the team's or agent's name; Key otherwise
	Metrics
}

// Day is one bar of the volume chart.
type Day struct {
	Date    time.Time // local midnight
	Created int64
}

// Deflection sums the help center's contact-page visits of the period.
type Deflection struct {
	Visits, Answered, Contacted, Deflected int
	Rate                                   float64 // Deflected / Visits; -1 without visits
}

// Report is the dashboard.
type Report struct {
	Query      Query
	Totals     Metrics
	Days       []Day
	ByChannel  []Line
	ByCategory []Line
	ByTeam     []Line
	ByAgent    []Line
	// Heatmap counts conversations created per local weekday (0 Monday)
	// and hour; HeatMax is its largest cell.
	Heatmap    [7][24]int64
	HeatMax    int64
	Deflection Deflection
}

// Build reads the report of q.
func Build(ctx context.Context, st Store, q Query) (*Report, error) {
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	cube, agents, hours, err := readRollups(ctx, st, q.Filter())
	if err != nil {
		return nil, err
	}
	r := &Report{Query: q}
	var total desk.StatsCounts
	byChannel, byCategory := map[string]*desk.StatsCounts{}, map[string]*desk.StatsCounts{}
	byTeam, byAgent := map[string]*desk.StatsCounts{}, map[string]*desk.StatsCounts{}
	add := func(m map[string]*desk.StatsCounts, key string, c *desk.StatsCounts) {
		if m[key] == nil {
			m[key] = &desk.StatsCounts{}
		}
		m[key].Add(c)
	}
	for i := range cube {
		c := &cube[i].StatsCounts
		total.Add(c)
		add(byChannel, string(cube[i].Channel), c)
		add(byCategory, cube[i].Category, c)
		add(byTeam, fmt.Sprint(cube[i].TeamID), c)
	}
	for i := range agents {
		add(byAgent, fmt.Sprint(agents[i].AssigneeID), &agents[i].StatsCounts)
	}
	r.Totals = MetricsOf(&total)

	names, err := namesOf(ctx, st)
	if err != nil {
		return nil, err
	}
	r.ByChannel = lines(byChannel, func(k string) string { return k })
	r.ByCategory = lines(byCategory, func(k string) string { return k })
	r.ByTeam = lines(byTeam, func(k string) string { return names.teams[k] })
	r.ByAgent = lines(byAgent, func(k string) string { return names.agents[k] })

	loc := q.loc()
	days := map[string]int64{} // by local date: time.Time keys compare locations too
	for _, h := range hours {
		lt := h.Hour.In(loc)
		wd := (int(lt.Weekday()) + 6) % 7
		r.Heatmap[wd][lt.Hour()] += h.Created
		r.HeatMax = max(r.HeatMax, r.Heatmap[wd][lt.Hour()])
		days[lt.Format(time.DateOnly)] += h.Created
	}
	for d := q.From.In(loc); d.Before(q.To); d = d.AddDate(0, 0, 1) {
		r.Days = append(r.Days, Day{Date: d, Created: days[d.Format(time.DateOnly)]})
	}

	// Deflection is of the help center's contact page, before there is a
	// conversation: it has no channel, team or category to filter on.
	ds, err := st.DeflectionStats(ctx, q.From, q.To)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	for _, d := range ds {
		r.Deflection.Visits += d.Visits
		r.Deflection.Answered += d.Answered
		r.Deflection.Contacted += d.Contacted
		r.Deflection.Deflected += d.Deflected
	}
	r.Deflection.Rate = rate(int64(r.Deflection.Deflected), int64(r.Deflection.Visits))
	return r, nil
}

// readRollups reads what the dashboard is made of, each from the smallest
// rollup that answers it (see store/rollup): channel × team × category for
// the totals and their tables, the agents on their own, and the hours
// alone, counters only (the charts show volumes). Asking for every dimension
// at once would read a row per conversation on a busy desk. The three reads
// run at once: on a year of a large desk each takes tens of milliseconds,
// and in a row they would add up past the page's budget.
func readRollups(ctx context.Context, st Store, f desk.StatsFilter) (cube, agents, hours []desk.StatsRow, _ error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	counts := f
	counts.CountsOnly = true
	reads := []struct {
		dst *[]desk.StatsRow
		f   desk.StatsFilter
		by  []desk.StatsDim
	}{
		{&cube, f, []desk.StatsDim{desk.DimChannel, desk.DimTeam, desk.DimCategory}},
		{&agents, f, []desk.StatsDim{desk.DimAgent}},
		{&hours, counts, []desk.StatsDim{desk.DimHour}},
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error // the cause; later errors may be only its cancellation
	)
	for _, rd := range reads {
		wg.Go(func() {
			rows, err := st.StatsRows(ctx, rd.f, rd.by...)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && first == nil {
				first = err
				cancel() // the page fails anyway: stop the other reads
			}
			*rd.dst = rows
		})
	}
	wg.Wait()
	if first != nil {
		return nil, nil, nil, fmt.Errorf("report: %w", first)
	}
	return cube, agents, hours, nil
}

type names struct{ teams, agents map[string]string }

func namesOf(ctx context.Context, st Store) (names, error) {
	n := names{teams: map[string]string{}, agents: map[string]string{}}
	teams, err := st.ListTeams(ctx)
	if err != nil {
		return n, fmt.Errorf("report: %w", err)
	}
	for _, t := range teams {
		n.teams[fmt.Sprint(t.ID)] = t.Name
	}
	agents, err := st.ListAgents(ctx)
	if err != nil {
		return n, fmt.Errorf("report: %w", err)
	}
	for _, a := range agents {
		n.agents[fmt.Sprint(a.ID)] = a.Name
	}
	return n, nil
}

// lines turns summed counts into table lines, busiest first (ties by key).
// Id 0 (no team, nobody) keeps an empty Name for the page to word.
func lines(m map[string]*desk.StatsCounts, name func(string) string) []Line {
	out := make([]Line, 0, len(m))
	for k, c := range m {
		n := name(k)
		if n == "" && k != "0" && k != "" {
			n = "#" + k // deleted team or agent
		}
		out = append(out, Line{Key: k, Name: n, Metrics: MetricsOf(c)})
	}
	slices.SortFunc(out, func(a, b Line) int {
		if a.Created != b.Created {
			if a.Created > b.Created {
				return -1
			}
			return 1
		}
		if a.Key < b.Key {
			return -1
		}
		if a.Key > b.Key {
			return 1
		}
		return 0
	})
	return out
}

// Location returns the company's time zone for reports: Europe/Amsterdam,
// where balie's users work (balie has no company time-zone setting yet).
func Location() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		return time.UTC
	}
	return loc
}
