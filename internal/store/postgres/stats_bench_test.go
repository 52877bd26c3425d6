package postgres

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/store/rollup"
	"github.com/balie-dev/balie/internal/store/storetest"
)

// BenchmarkReport1M times the report queries over a year of rollups of
// 1,000,000 conversations (storetest.BenchReports), on the database of
// BALIE_TEST_DATABASE_URL. The hourly rows are written straight into
// conversation_stats, 20,000 to a statement, and the cubes built from them
// by the rebuild's own code, a week per transaction. It only runs with
// -bench.
func BenchmarkReport1M(b *testing.B) {
	ctx := context.Background()
	s, _ := openFresh(b)
	defer s.Close()
	end := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	t0 := time.Now()
	rows := storetest.SyntheticStatsRows(1_000_000, end, 1)
	var created int64
	var hours []time.Time
	for chunk := range slices.Chunk(rows, 20_000) {
		base := make([]rollup.Row, len(chunk))
		for i, r := range chunk {
			base[i] = rollup.Row{Period: r.Hour, StatsRow: r}
			created += r.Created
			if len(hours) == 0 || !hours[len(hours)-1].Equal(r.Hour) {
				hours = append(hours, r.Hour)
			}
		}
		if err := s.insertCube(ctx, rollup.BaseCube(), base); err != nil {
			b.Fatal(err)
		}
	}
	loaded := time.Since(t0)
	for _, batch := range rollup.Batches(hours) {
		if err := s.atomically(ctx, func(s *Store) error { return s.rebuildCubes(ctx, rollup.DaysOf(batch)) }); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.q.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d hourly rows of %d conversations in %v, cubes in %v", len(rows), created,
		loaded.Round(time.Second), (time.Since(t0) - loaded).Round(time.Second))
	b.ReportMetric(float64(len(rows)), "rows")
	b.ReportMetric(float64(created), "conversations")
	if os.Getenv("BALIE_BENCH_EXPLAIN") != "" {
		explainReports(ctx, b, s, end)
	}
	storetest.BenchReports(b, s, end)
}

// explainReports logs the plans of the dashboard's queries, run twice so
// that the second shows a warm cache (BALIE_BENCH_EXPLAIN=1).
func explainReports(ctx context.Context, b *testing.B, s *Store, end time.Time) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		b.Fatal(err)
	}
	le := end.In(ams)
	to := time.Date(le.Year(), le.Month(), le.Day(), 0, 0, 0, 0, ams)
	year := desk.StatsFilter{From: to.AddDate(-1, 0, 0), To: to}
	hours := year
	hours.CountsOnly = true
	for _, q := range []struct {
		f  desk.StatsFilter
		by []desk.StatsDim
	}{
		{year, []desk.StatsDim{desk.DimChannel, desk.DimTeam, desk.DimCategory}},
		{year, []desk.StatsDim{desk.DimAgent}},
		{hours, []desk.StatsDim{desk.DimHour}},
	} {
		query, args, _, err := statsQuery(q.f, q.by)
		if err != nil {
			b.Fatal(err)
		}
		for range 2 {
			rows, err := s.q.Query(ctx, `EXPLAIN (ANALYZE, BUFFERS) `+query, args...)
			if err != nil {
				b.Fatal(err)
			}
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("%v:\n%s", q.by, strings.Join(lines, "\n"))
		}
	}
}
