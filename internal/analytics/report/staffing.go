package report

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/balie-dev/balie/internal/analytics/forecast"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/sla"
)

// StaffingQuery asks for the staffing view of one channel: a forecast of the
// next Days days from today's local midnight, learnt from Weeks weeks of
// history before it, sized with Params and set against the schedule of the
// team (0: all teams).
type StaffingQuery struct {
	Now     time.Time
	Loc     *time.Location
	Channel desk.ChannelKind
	TeamID  int64
	Weeks   int // history; 0 means 12
	Days    int // forecast; 0 means 7
	// Params size each hour; ContactsPerHour is ignored. A zero AHT is
	// measured from the data (see MeasuredAHT).
	Params forecast.Params
}

// DefaultParams returns the service level balie plans a channel for:
// live chat 80% answered in 20 s with two chats at once; messaging apps
// 80% in 5 minutes, three at once; email and API 80% within 4 hours. AHT is
// left zero (measured); occupancy is capped at 85%, shrinkage 30%.
func DefaultParams(ch desk.ChannelKind) forecast.Params {
	p := forecast.Params{ServiceLevel: 0.8, MaxOccupancy: 0.85, Shrinkage: 0.3, Concurrency: 1}
	switch ch {
	case desk.ChannelWebChat:
		p.TargetAnswer, p.Concurrency = 20*time.Second, 2
	case desk.ChannelPhone:
		p.TargetAnswer = 20 * time.Second
	case desk.ChannelWhatsApp, desk.ChannelMessenger, desk.ChannelInstagram, desk.ChannelTelegram:
		p.TargetAnswer, p.Concurrency = 5*time.Minute, 3
	default:
		p.TargetAnswer = 4 * time.Hour
	}
	return p
}

// DefaultAHT is the handling time assumed when the data has too little to
// go by.
func DefaultAHT(ch desk.ChannelKind) time.Duration {
	switch ch {
	case desk.ChannelWebChat:
		return 6 * time.Minute
	case desk.ChannelPhone:
		return 5 * time.Minute
	case desk.ChannelEmail, desk.ChannelAPI:
		return 10 * time.Minute
	}
	return 8 * time.Minute
}

// live reports whether customers wait on the line on ch.
func live(ch desk.ChannelKind) bool { return ch != desk.ChannelEmail && ch != desk.ChannelAPI }

// minAHTSample is the number of resolved conversations below which the
// measured AHT is not trusted.
const minAHTSample = 20

// MeasuredAHT estimates the handling time of a live channel from its
// resolution times: the median time from creation to resolution, capped to
// [2 min, 30 min] because a conversation left open for the customer to come
// back is not 3 hours of an agent's time. balie does not record the time
// agents actually spend; for email and API, where resolution time is mostly
// waiting, and with fewer than 20 resolved, it returns DefaultAHT and false.
func MeasuredAHT(ch desk.ChannelKind, c *desk.StatsCounts) (time.Duration, bool) {
	if !live(ch) || c.Resolution.Count() < minAHTSample {
		return DefaultAHT(ch), false
	}
	med, _ := c.Resolution.Quantile(0.5)
	return min(max(med, 2*time.Minute), 30*time.Minute), true
}

// Staffing is the staffing view.
type Staffing struct {
	Query       StaffingQuery
	Params      forecast.Params // as used, AHT filled
	AHTMeasured bool
	// HistoryFrom and HistoryTo bound the history learnt from;
	// HistoryContacts counts it. ShortHistory is set when the data starts
	// less than two weeks before HistoryTo: the forecast is then little
	// more than the last days repeated.
	HistoryFrom, HistoryTo time.Time
	HistoryContacts        float64
	ShortHistory           bool
	Coverage               forecast.Coverage
	// Contacts is the forecast total; PeakNeeded and PeakScheduled the
	// largest hourly numbers, for the chart's scale.
	Contacts                  float64
	PeakNeeded, PeakScheduled int
	PeakContacts              float64
}

// BuildStaffing forecasts and sizes q's channel.
func BuildStaffing(ctx context.Context, st Store, q StaffingQuery) (*Staffing, error) {
	if q.Channel == "" {
		q.Channel = desk.ChannelWebChat
	}
	if !desk.KnownChannel(q.Channel) {
		return nil, fmt.Errorf("report: staffing: %w", desk.Invalid("channel", "unknown channel"))
	}
	q.Weeks, q.Days = cmp0(q.Weeks, 12), cmp0(q.Days, 7)
	if q.Weeks < 2 || q.Weeks > 52 || q.Days < 1 || q.Days > 28 {
		return nil, fmt.Errorf("report: staffing: %w", desk.Invalid("weeks", "2 to 52 weeks of history, 1 to 28 days ahead"))
	}
	loc := q.Loc
	if loc == nil {
		loc = time.UTC
	}
	lt := q.Now.In(loc)
	end := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
	start := end.AddDate(0, 0, -7*q.Weeks)
	f := desk.StatsFilter{From: start, To: end, Channel: q.Channel, TeamID: q.TeamID}
	rows, err := st.StatsRows(ctx, f, desk.DimHour)
	if err != nil {
		return nil, fmt.Errorf("report: staffing: %w", err)
	}
	hist := forecast.Series{Start: start, Loc: loc, Counts: make([]float64, int(end.Sub(start)/time.Hour))}
	s := &Staffing{Query: q, HistoryFrom: start, HistoryTo: end}
	var total desk.StatsCounts
	first := end
	for i := range rows {
		r := &rows[i]
		if k := int(r.Hour.Sub(start) / time.Hour); k >= 0 && k < len(hist.Counts) {
			hist.Counts[k] += float64(r.Created)
			s.HistoryContacts += float64(r.Created)
			if r.Created > 0 && r.Hour.Before(first) {
				first = r.Hour
			}
		}
		total.Add(&r.StatsCounts)
	}
	s.ShortHistory = end.Sub(first) < 14*24*time.Hour

	p := q.Params
	if p.ServiceLevel == 0 {
		p = DefaultParams(q.Channel)
		p.AHT = q.Params.AHT
	}
	if p.AHT == 0 {
		p.AHT, s.AHTMeasured = MeasuredAHT(q.Channel, &total)
	}
	s.Params = p

	fcEnd := end.AddDate(0, 0, q.Days)
	fc, err := forecast.Forecast(hist, int(fcEnd.Sub(end)/time.Hour), forecast.Options{
		Holidays: append(forecast.DutchHolidays(lt.Year()-1), forecast.DutchHolidays(lt.Year())...)})
	if err != nil {
		return nil, fmt.Errorf("report: staffing: %w", err)
	}
	sched, err := Schedule(ctx, st, q.TeamID, fc)
	if err != nil {
		return nil, err
	}
	s.Coverage, err = forecast.Compare(fc, p, sched)
	if err != nil {
		return nil, fmt.Errorf("report: staffing: %w", err)
	}
	for _, h := range s.Coverage.Hours {
		s.Contacts += h.Contacts
		s.PeakContacts = max(s.PeakContacts, h.Contacts)
		s.PeakNeeded = max(s.PeakNeeded, h.Needed.Agents)
		s.PeakScheduled = max(s.PeakScheduled, h.Scheduled)
	}
	return s, nil
}

func cmp0(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// Schedule is balie's "current schedule" for each hour of f: the number of
// enabled agents who belong to a team (teamID, or any) that is open at the
// start of the hour by its business hours (desk.TeamHours; none set: always
// open). balie keeps no rosters, so this is who could be working, not who
// will: the gap it shows is an upper bound on cover. Agents in no team are
// counted only when there are no teams at all.
func Schedule(ctx context.Context, st Store, teamID int64, f forecast.Series) ([]int, error) {
	teams, err := st.ListTeams(ctx)
	if err != nil {
		return nil, fmt.Errorf("report: schedule: %w", err)
	}
	type member struct {
		hours []sla.Hours
	}
	agents := map[int64]*member{}
	for _, t := range teams {
		if teamID != 0 && t.ID != teamID {
			continue
		}
		h := sla.Always()
		if raw := t.Settings[desk.TeamHours]; raw != "" {
			if err := json.Unmarshal([]byte(raw), &h); err != nil {
				return nil, fmt.Errorf("report: schedule: team %d hours: %w", t.ID, err)
			}
		}
		ms, err := st.TeamMembers(ctx, t.ID)
		if err != nil {
			return nil, fmt.Errorf("report: schedule: %w", err)
		}
		for _, a := range ms {
			if a.Disabled {
				continue
			}
			if agents[a.ID] == nil {
				agents[a.ID] = &member{}
			}
			agents[a.ID].hours = append(agents[a.ID].hours, h)
		}
	}
	if len(teams) == 0 {
		all, err := st.ListAgents(ctx)
		if err != nil {
			return nil, fmt.Errorf("report: schedule: %w", err)
		}
		for _, a := range all {
			if !a.Disabled {
				agents[a.ID] = &member{hours: []sla.Hours{sla.Always()}}
			}
		}
	}
	out := make([]int, len(f.Counts))
	for i := range out {
		t := f.At(i)
		for _, m := range agents {
			for _, h := range m.hours {
				if h.Open(t) {
					out[i]++
					break
				}
			}
		}
	}
	return out, nil
}
