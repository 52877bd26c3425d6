package report

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/analytics/forecast"
	"github.com/balie-dev/balie/internal/desk"
)

type fakeStore struct {
	cube, hours []desk.StatsRow
	teams       []desk.Team
	members     map[int64][]desk.Agent
	agents      []desk.Agent
	// failAgents is what the read grouped by agent returns, if set.
	failAgents error

	// Build reads concurrently: what was asked is kept under mu, the
	// filter per first dimension asked.
	mu      sync.Mutex
	filters map[desk.StatsDim]desk.StatsFilter
}

func (f *fakeStore) StatsRows(ctx context.Context, q desk.StatsFilter, by ...desk.StatsDim) ([]desk.StatsRow, error) {
	f.mu.Lock()
	if f.filters == nil {
		f.filters = map[desk.StatsDim]desk.StatsFilter{}
	}
	if len(by) > 0 {
		f.filters[by[0]] = q
	}
	f.mu.Unlock()
	if f.failAgents != nil {
		if slices.Equal(by, []desk.StatsDim{desk.DimAgent}) {
			return nil, f.failAgents
		}
		// The other reads wait to be cancelled, so the test sees that a
		// cancellation does not hide the cause.
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if slices.Equal(by, []desk.StatsDim{desk.DimHour}) {
		return f.hours, nil
	}
	// Sum the cube by the dimensions asked, as a store does.
	var out []desk.StatsRow
	for _, r := range f.cube {
		var k desk.StatsKey
		for _, d := range by {
			switch d {
			case desk.DimChannel:
				k.Channel = r.Channel
			case desk.DimTeam:
				k.TeamID = r.TeamID
			case desk.DimCategory:
				k.Category = r.Category
			case desk.DimAgent:
				k.AssigneeID = r.AssigneeID
			}
		}
		i := slices.IndexFunc(out, func(o desk.StatsRow) bool { return o.StatsKey == k })
		if i < 0 {
			i = len(out)
			out = append(out, desk.StatsRow{StatsKey: k})
		}
		out[i].Add(&r.StatsCounts)
	}
	return out, nil
}

func (f *fakeStore) DeflectionStats(context.Context, time.Time, time.Time) ([]desk.DeflectionStat, error) {
	return []desk.DeflectionStat{{Topic: "a", Visits: 10, Deflected: 4}, {Topic: "b", Visits: 10, Deflected: 1}}, nil
}
func (f *fakeStore) ListTeams(context.Context) ([]desk.Team, error)   { return f.teams, nil }
func (f *fakeStore) ListAgents(context.Context) ([]desk.Agent, error) { return f.agents, nil }
func (f *fakeStore) TeamMembers(_ context.Context, id int64) ([]desk.Agent, error) {
	return f.members[id], nil
}

func counts(created, resolved, fcr, bot int64, frt ...time.Duration) desk.StatsCounts {
	c := desk.StatsCounts{Created: created, Resolved: resolved, FCR: fcr, BotResolved: bot}
	for _, d := range frt {
		c.FirstResponse.Add(d)
		c.FirstReplied++
	}
	return c
}

func TestBuild(t *testing.T) {
	ams := Location()
	st := &fakeStore{
		cube: []desk.StatsRow{
			{StatsKey: desk.StatsKey{Channel: desk.ChannelWebChat, TeamID: 1, AssigneeID: 7, Category: "billing"},
				StatsCounts: counts(6, 4, 3, 1, time.Minute, 2*time.Minute, 3*time.Minute)},
			{StatsKey: desk.StatsKey{Channel: desk.ChannelEmail, Category: "billing"}, StatsCounts: counts(2, 0, 0, 0)},
		},
		// Monday 17 March 2025 08:00 UTC is 09:00 in Amsterdam (CET).
		hours: []desk.StatsRow{
			{StatsKey: desk.StatsKey{Hour: time.Date(2025, 3, 17, 8, 0, 0, 0, time.UTC)}, StatsCounts: desk.StatsCounts{Created: 5}},
			{StatsKey: desk.StatsKey{Hour: time.Date(2025, 3, 16, 23, 0, 0, 0, time.UTC)}, StatsCounts: desk.StatsCounts{Created: 3}},
		},
		teams:  []desk.Team{{ID: 1, Name: "Support"}},
		agents: []desk.Agent{{ID: 7, Name: "Anna"}},
	}
	q := Period(time.Date(2025, 3, 18, 12, 0, 0, 0, time.UTC), ams, 7)
	r, err := Build(t.Context(), st, q)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if r.Totals.Created != 8 || r.Totals.Resolved != 4 || r.Totals.FCR != 0.75 || r.Totals.BotResolution != 1.0/8 {
		t.Errorf("totals = %+v", r.Totals)
	}
	if r.Totals.SLA != -1 || r.Totals.CSAT != -1 {
		t.Errorf("SLA, CSAT = %v, %v; want -1 (undefined)", r.Totals.SLA, r.Totals.CSAT)
	}
	if p50 := r.Totals.FirstResponseP50; p50 < 110*time.Second || p50 > 130*time.Second {
		t.Errorf("first response p50 = %v, want about 2m", p50)
	}
	if got := r.Heatmap[0][9]; got != 5 {
		t.Errorf("heatmap Monday 09:00 = %d, want 5", got)
	}
	if got := r.Heatmap[0][0]; got != 3 {
		t.Errorf("heatmap Monday 00:00 (Sunday 23:00 UTC) = %d, want 3", got)
	}
	if len(r.Days) != 7 || r.Days[5].Created != 8 || !r.Days[0].Date.Equal(time.Date(2025, 3, 12, 0, 0, 0, 0, ams)) {
		t.Errorf("days = %+v", r.Days)
	}
	if len(r.ByChannel) != 2 || r.ByChannel[0].Key != "webchat" || r.ByChannel[0].Created != 6 {
		t.Errorf("by channel = %+v", r.ByChannel)
	}
	if r.ByTeam[0].Name != "Support" || r.ByAgent[0].Name != "Anna" || r.ByAgent[1].Name != "" {
		t.Errorf("names: team %q, agents %q, %q", r.ByTeam[0].Name, r.ByAgent[0].Name, r.ByAgent[1].Name)
	}
	if r.Deflection.Visits != 20 || r.Deflection.Rate != 0.25 {
		t.Errorf("deflection = %+v", r.Deflection)
	}
	for _, tc := range []struct {
		name       string
		dim        desk.StatsDim
		countsOnly bool
	}{
		{"overview needs the distributions", desk.DimChannel, false},
		{"agents need the distributions", desk.DimAgent, false},
		{"hours are volumes only", desk.DimHour, true},
	} {
		got, ok := st.filters[tc.dim]
		if !ok {
			t.Errorf("%s: no read grouped by %s", tc.name, tc.dim)
			continue
		}
		if !got.From.Equal(q.From) || !got.To.Equal(q.To) {
			t.Errorf("%s: filter = %+v, want the query's period", tc.name, got)
		}
		if got.CountsOnly != tc.countsOnly {
			t.Errorf("%s: CountsOnly = %v, want %v", tc.name, got.CountsOnly, tc.countsOnly)
		}
	}
}

// TestBuildFails checks that when one of the concurrent reads fails, Build
// returns that failure, not the cancellation of the others.
func TestBuildFails(t *testing.T) {
	boom := errors.New("disk on fire")
	st := &fakeStore{failAgents: boom}
	q := Period(time.Date(2025, 3, 18, 12, 0, 0, 0, time.UTC), Location(), 7)
	_, err := Build(t.Context(), st, q)
	if !errors.Is(err, boom) {
		t.Errorf("Build = %v, want %v", err, boom)
	}
}

func TestParseQuery(t *testing.T) {
	ams := Location()
	now := time.Date(2025, 3, 18, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		in       string
		from, to time.Time
		team     int64
		bad      bool
	}{
		{"default 30 days", "", time.Date(2025, 2, 17, 0, 0, 0, 0, ams), time.Date(2025, 3, 19, 0, 0, 0, 0, ams), 0, false},
		{"preset", "period=7&team_id=3", time.Date(2025, 3, 12, 0, 0, 0, 0, ams), time.Date(2025, 3, 19, 0, 0, 0, 0, ams), 3, false},
		{"from to inclusive", "from=2025-01-01&to=2025-01-31&team_id=-1", time.Date(2025, 1, 1, 0, 0, 0, 0, ams),
			time.Date(2025, 2, 1, 0, 0, 0, 0, ams), -1, false},
		{"to before from", "from=2025-02-01&to=2025-01-01", time.Time{}, time.Time{}, 0, true},
		{"too long", "from=2020-01-01&to=2025-01-01", time.Time{}, time.Time{}, 0, true},
		{"bad period", "period=x", time.Time{}, time.Time{}, 0, true},
		{"bad channel", "channel=pigeon", time.Time{}, time.Time{}, 0, true},
		{"bad team", "team_id=-5", time.Time{}, time.Time{}, 0, true},
		{"only from", "from=2025-01-01", time.Time{}, time.Time{}, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, _ := url.ParseQuery(tc.in)
			q, err := ParseQuery(v, now, ams)
			if tc.bad {
				if !errors.Is(err, desk.ErrInvalid) {
					t.Errorf("err = %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseQuery: %v", err)
			}
			if !q.From.Equal(tc.from) || !q.To.Equal(tc.to) || q.TeamID != tc.team {
				t.Errorf("got %v – %v team %d, want %v – %v team %d", q.From, q.To, q.TeamID, tc.from, tc.to, tc.team)
			}
			back, err := ParseQuery(q.Values(), now, ams)
			if err != nil || !back.From.Equal(q.From) || !back.To.Equal(q.To) || back.TeamID != q.TeamID {
				t.Errorf("Values round trip = %+v, %v; want %+v", back, err, q)
			}
		})
	}
}

func TestMeasuredAHT(t *testing.T) {
	hist := func(d time.Duration, n int) *desk.StatsCounts {
		c := &desk.StatsCounts{}
		for range n {
			c.Resolution.Add(d)
		}
		return c
	}
	tests := []struct {
		name     string
		ch       desk.ChannelKind
		c        *desk.StatsCounts
		want     time.Duration
		tol      time.Duration
		measured bool
	}{
		{"chat median", desk.ChannelWebChat, hist(7*time.Minute, 50), 7 * time.Minute, 40 * time.Second, true},
		{"capped", desk.ChannelWhatsApp, hist(5*time.Hour, 50), 30 * time.Minute, 0, true},
		{"floored", desk.ChannelWebChat, hist(10*time.Second, 50), 2 * time.Minute, 0, true},
		{"too few", desk.ChannelWebChat, hist(7*time.Minute, 5), DefaultAHT(desk.ChannelWebChat), 0, false},
		{"email is not live", desk.ChannelEmail, hist(7*time.Minute, 500), DefaultAHT(desk.ChannelEmail), 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, measured := MeasuredAHT(tc.ch, tc.c)
			if measured != tc.measured || got < tc.want-tc.tol || got > tc.want+tc.tol {
				t.Errorf("MeasuredAHT = %v, %v; want %v±%v, %v", got, measured, tc.want, tc.tol, tc.measured)
			}
		})
	}
}

func TestSchedule(t *testing.T) {
	ams := Location()
	st := &fakeStore{
		teams: []desk.Team{
			{ID: 1, Name: "Day", Settings: map[string]string{desk.TeamHours: `{"zone":"Europe/Amsterdam","week":{"mon":"09:00-17:00"}}`}},
			{ID: 2, Name: "Always"},
		},
		members: map[int64][]desk.Agent{
			1: {{ID: 1}, {ID: 2}, {ID: 3, Disabled: true}},
			2: {{ID: 2}, {ID: 4}},
		},
	}
	// Monday 17 March 2025, 08:00 to 10:00 Amsterdam.
	f := forecast.Series{Start: time.Date(2025, 3, 17, 8, 0, 0, 0, ams), Loc: ams, Counts: make([]float64, 2)}
	tests := []struct {
		name string
		team int64
		want []int
	}{
		{"all teams", 0, []int{2, 3}}, // 08:00: team 2 only (agents 2, 4); 09:00: 1, 2, 4
		{"day team", 1, []int{0, 2}},
		{"always team", 2, []int{2, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Schedule(t.Context(), st, tc.team, f)
			if err != nil {
				t.Fatalf("Schedule: %v", err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Schedule = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBuildStaffingSizesTheForecast(t *testing.T) {
	ams := Location()
	now := time.Date(2025, 3, 18, 12, 0, 0, 0, time.UTC)
	// Twelve weeks of synthetic chat, as hourly rows.
	end := time.Date(2025, 3, 18, 0, 0, 0, 0, ams)
	hist := forecast.Synthetic(end.AddDate(0, 0, -84), ams, 12, "chat", 1)
	st := &fakeStore{agents: []desk.Agent{{ID: 1}, {ID: 2}}}
	for i, c := range hist.Counts {
		st.hours = append(st.hours, desk.StatsRow{StatsKey: desk.StatsKey{Hour: hist.At(i).UTC()},
			StatsCounts: desk.StatsCounts{Created: int64(c)}})
	}
	s, err := BuildStaffing(t.Context(), st, StaffingQuery{Now: now, Loc: ams, Channel: desk.ChannelWebChat})
	if err != nil {
		t.Fatalf("BuildStaffing: %v", err)
	}
	if len(s.Coverage.Hours) != 7*24 {
		t.Errorf("forecast hours = %d, want 168", len(s.Coverage.Hours))
	}
	if s.ShortHistory || s.AHTMeasured || s.Params.AHT != DefaultAHT(desk.ChannelWebChat) {
		t.Errorf("short %v, measured %v, AHT %v", s.ShortHistory, s.AHTMeasured, s.Params.AHT)
	}
	if s.Contacts <= 0 || s.PeakNeeded <= 2 || s.Coverage.ShortHours == 0 {
		t.Errorf("contacts %v, peak needed %d, short hours %d: two agents cannot staff a busy chat week",
			s.Contacts, s.PeakNeeded, s.Coverage.ShortHours)
	}
	for _, h := range s.Coverage.Hours {
		if h.Scheduled != 2 {
			t.Fatalf("scheduled = %d at %v, want 2 (no teams: every agent, always)", h.Scheduled, h.Start)
		}
	}
	if _, err := BuildStaffing(t.Context(), st, StaffingQuery{Now: now, Loc: ams, Channel: "pigeon"}); !errors.Is(err, desk.ErrInvalid) {
		t.Errorf("unknown channel: err = %v, want ErrInvalid", err)
	}
}

func TestCell(t *testing.T) {
	for in, want := range map[string]string{"=SUM(A1)": "'=SUM(A1)", "+1": "'+1", "-x": "'-x", "@x": "'@x", "billing": "billing", "": ""} {
		if got := cell(in); got != want {
			t.Errorf("cell(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestHistogramQuantiles checks the claim of desk.Histogram that its
// quantiles are within a few percent of the exact ones.
func TestHistogramQuantiles(t *testing.T) {
	tests := []struct {
		name string
		gen  func(i int) time.Duration
		tol  float64
	}{
		{"uniform 10s–10m", func(i int) time.Duration { return 10*time.Second + time.Duration(i%590)*time.Second }, 0.05},
		{"geometric spread", func(i int) time.Duration { return time.Duration(float64(time.Second) * float64(1+i%1000) * 3.7) }, 0.05},
		// All in one bucket: only the bucket (a factor 2^¼) is known.
		{"one value", func(int) time.Duration { return 42 * time.Minute }, 0.19},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h desk.Histogram
			var exact []time.Duration
			for i := range 5000 {
				d := tc.gen(i)
				h.Add(d)
				exact = append(exact, d)
			}
			slices.Sort(exact)
			for _, q := range []float64{0.5, 0.9} {
				want := exact[int(q*float64(len(exact)))-1]
				got, ok := h.Quantile(q)
				if !ok {
					t.Fatal("empty")
				}
				if r := float64(got) / float64(want); r < 1-tc.tol || r > 1+tc.tol {
					t.Errorf("q%.1f = %v, exact %v (off %.1f%%)", q, got, want, (r-1)*100)
				}
			}
			var back desk.Histogram
			if err := back.AddText(h.String() + " " + h.String()); err != nil || back.Count() != 2*h.Count() {
				t.Errorf("text round trip: %v, %d, want %d", err, back.Count(), 2*h.Count())
			}
		})
	}
	var bad desk.Histogram
	for _, s := range []string{"x", "1:", "999:1", "-1:2", "3:-1"} {
		if err := bad.AddText(s); !errors.Is(err, desk.ErrInvalid) {
			t.Errorf("AddText(%q) = %v, want ErrInvalid", s, err)
		}
	}
}

// TestHistogramText checks desk.Histogram.AddText, which the stores use to
// decode every rollup row: the hand-read fast path and the strict one must
// agree.
func TestHistogramText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[int]int64
	}{
		{"empty", "", map[int]int64{}},
		{"one pair", "12:3", map[int]int64{12: 3}},
		{"concatenated", "12:3 14:1 12:2", map[int]int64{12: 5, 14: 1}},
		{"commas and extra spaces", " 0:1,,97:2  5:0 ", map[int]int64{0: 1, 97: 2}},
		{"leading zeros", "007:2 0012:1", map[int]int64{7: 2, 12: 1}},
		{"count past 18 digits", "1:1234567890123456789", map[int]int64{1: 1234567890123456789}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h desk.Histogram
			if err := h.AddText(tc.in); err != nil {
				t.Fatalf("AddText(%q) = %v", tc.in, err)
			}
			for b, n := range h.N {
				if n != tc.want[b] {
					t.Errorf("bucket %d = %d, want %d", b, n, tc.want[b])
				}
			}
		})
	}
	for _, s := range []string{"x", "1:", ":1", "999:1", "98:1", "-1:2", "3:-1", "3:1x", "1:99999999999999999999", "1:2:3"} {
		var bad desk.Histogram
		if err := bad.AddText(s); !errors.Is(err, desk.ErrInvalid) {
			t.Errorf("AddText(%q) = %v, want ErrInvalid", s, err)
		}
	}
}
