package demo

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/analytics/report"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/problems"
)

// TestSeedHistoryFeedsTheReports seeds the demo with its generated history
// and reads it back the way the supervisor's pages do: the dashboard, the
// staffing forecast and the recurring problems.
func TestSeedHistoryFeedsTheReports(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	t0 := time.Now()
	if _, err := Seed(ctx, Deps{Store: st, HashPassword: cheapHash,
		Clock: desk.ClockFunc(func() time.Time { return fixedNow })}); err != nil {
		t.Fatalf("Seed: %v", err)
	}
	t.Logf("seeded with history in %v", time.Since(t0))
	a := st.(desk.AnalyticsStore)
	if _, err := a.RebuildStats(ctx, time.Time{}); err != nil {
		t.Fatalf("RebuildStats: %v", err)
	}
	loc := report.Location()
	r, err := report.Build(ctx, st.(report.Store), report.Period(fixedNow, loc, 7*historyWeeks))
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	tot := r.Totals
	t.Logf("%d conversations, bot %.0f%%, FCR %.0f%%, first reply p50 %v, resolution p50 %v", tot.Created,
		100*tot.BotResolution, 100*tot.FCR, tot.FirstResponseP50, tot.ResolutionP50)
	checks := []struct {
		name   string
		ok     bool
		detail any
	}{
		{"a few thousand conversations", tot.Created >= 2000 && tot.Created <= 6000, tot.Created},
		{"the bot settles some", tot.BotResolution > 0.05 && tot.BotResolution < 0.3, tot.BotResolution},
		{"some come back", tot.FCR > 0.85 && tot.FCR < 0.99, tot.FCR},
		{"first replies within the day", tot.FirstResponseP50 > time.Minute && tot.FirstResponseP50 < 12*time.Hour,
			tot.FirstResponseP50},
		{"three channels", len(r.ByChannel) == 3, len(r.ByChannel)},
		{"every category", len(r.ByCategory) >= 6, len(r.ByCategory)},
		{"agents of every team", len(r.ByAgent) >= 6, len(r.ByAgent)},
		{"Monday 10:00 busier than Sunday 05:00", r.Heatmap[0][10] > 3*r.Heatmap[6][5],
			[2]int64{r.Heatmap[0][10], r.Heatmap[6][5]}},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: got %v", c.name, c.detail)
		}
	}
	staff, err := report.BuildStaffing(ctx, st.(report.Store), report.StaffingQuery{Now: fixedNow, Loc: loc,
		Channel: desk.ChannelWebChat, Weeks: historyWeeks})
	if err != nil {
		t.Fatalf("BuildStaffing: %v", err)
	}
	if staff.ShortHistory || staff.HistoryContacts < 1000 {
		t.Errorf("staffing history: short %v, %v contacts; want 8 weeks, over 1000", staff.ShortHistory, staff.HistoryContacts)
	}

	rep, err := problems.New(st.(problems.Store), desk.ClockFunc(func() time.Time { return fixedNow }), nil,
		problems.Options{}).Compute(ctx)
	if err != nil {
		t.Fatalf("problems: %v", err)
	}
	found := false
	for _, tp := range rep.Topics {
		if strings.Contains(strings.ToLower(tp.Label+" "+strings.Join(tp.Examples, " ")), "e-07") {
			found = true
		}
	}
	if len(rep.Topics) < 5 || !found {
		t.Errorf("recurring problems: %d topics, E-07 among them %v; want 5+ and the E-07 surge", len(rep.Topics), found)
		for _, tp := range rep.Topics {
			t.Logf("topic %q size %d", tp.Label, tp.Size)
		}
	}
}
