package storetest

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the periods are Amsterdam days on any host

	"github.com/balie-dev/balie/internal/desk"
)

// BenchReports times the report queries (analytics/report: Build reads
// the first three of a period; the staffing page the channel's hours)
// over the rollups of SyntheticStatsRows ending at end, already loaded into
// a. Periods are Amsterdam days, as the reports ask for them, so every
// query also reads hourly rows at its ends. The dashboard cases read as
// report.Build does: the three queries at once, the hours counts only.
// Each case reports p50-ms and p99-ms.
func BenchReports(b *testing.B, a desk.AnalyticsStore, end time.Time) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		b.Fatal(err)
	}
	le := end.In(ams)
	to := time.Date(le.Year(), le.Month(), le.Day(), 0, 0, 0, 0, ams)
	year := desk.StatsFilter{From: to.AddDate(-1, 0, 0), To: to}
	month := desk.StatsFilter{From: to.AddDate(0, 0, -30), To: to}
	with := func(f desk.StatsFilter, edit func(*desk.StatsFilter)) desk.StatsFilter { edit(&f); return f }
	overview := []desk.StatsDim{desk.DimChannel, desk.DimTeam, desk.DimCategory}
	agents := []desk.StatsDim{desk.DimAgent}
	hours := []desk.StatsDim{desk.DimHour}
	counts := func(f desk.StatsFilter) desk.StatsFilter { f.CountsOnly = true; return f }
	type query struct {
		f  desk.StatsFilter
		by []desk.StatsDim
	}
	cases := []struct {
		name       string
		queries    []query
		concurrent bool
	}{
		{"year_summary", []query{{year, overview}}, false},
		{"year_one_channel", []query{{with(year, func(f *desk.StatsFilter) { f.Channel = desk.ChannelEmail }), overview}}, false},
		{"30_days", []query{{month, overview}}, false},
		{"year_agents", []query{{year, agents}}, false},
		{"year_agents_one_category", []query{{with(year, func(f *desk.StatsFilter) { f.Category = "cat03" }), agents}}, false},
		{"year_heatmap", []query{{counts(year), hours}}, false},
		{"year_hours_with_distributions", []query{{year, hours}}, false},
		{"12_weeks_staffing_channel_team", []query{{with(desk.StatsFilter{From: to.AddDate(0, 0, -84), To: to},
			func(f *desk.StatsFilter) { f.Channel, f.TeamID = desk.ChannelWebChat, 2 }), hours}}, false},
		{"year_dashboard", []query{{year, overview}, {year, agents}, {counts(year), hours}}, true},
		{"year_dashboard_one_team", []query{
			{with(year, func(f *desk.StatsFilter) { f.TeamID = 3 }), overview},
			{with(year, func(f *desk.StatsFilter) { f.TeamID = 3 }), agents},
			{with(counts(year), func(f *desk.StatsFilter) { f.TeamID = 3 }), hours}}, true},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				t0 := time.Now()
				errs := make([]error, len(tc.queries))
				var wg sync.WaitGroup
				for i, q := range tc.queries {
					read := func() { _, errs[i] = a.StatsRows(b.Context(), q.f, q.by...) }
					if tc.concurrent {
						wg.Go(read)
					} else {
						read()
					}
				}
				wg.Wait()
				took = append(took, time.Since(t0))
				if err := errors.Join(errs...); err != nil {
					b.Fatal(err)
				}
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2])/1e6, "p50-ms")
			b.ReportMetric(float64(took[len(took)*99/100])/1e6, "p99-ms")
		})
	}
}
