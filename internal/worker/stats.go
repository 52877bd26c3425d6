package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// StatsWatermarkKey is the setting holding when the analytics rollups were
// last brought up to date (RFC 3339).
const StatsWatermarkKey = "analytics.stats_watermark"

// statsOverlap is how far before the watermark each run looks again: a
// conversation written just before the last run, by a transaction that
// committed just after it (or on a node whose clock is a little behind),
// still gets counted. Rebuilding an hour twice is harmless.
const statsOverlap = 2 * time.Minute

// StatsStore is what the rollup job needs.
type StatsStore interface {
	desk.AnalyticsStore
	desk.SettingStore
}

// StatsRollup keeps the analytics rollups up to date: each run recomputes
// the hours of conversations changed since the previous run. The first run
// (no watermark yet) rebuilds everything, which also fills the rollups of a
// database that had conversations before the rollups existed.
func StatsRollup(st StatsStore, clock desk.Clock) Job {
	return Job{Name: "analytics rollups", Run: func(ctx context.Context) error {
		_, err := RefreshStats(ctx, st, clock.Now())
		return err
	}}
}

// RefreshStats runs the rollup job once at now and returns how many hours
// it recomputed.
func RefreshStats(ctx context.Context, st StatsStore, now time.Time) (int, error) {
	var since time.Time
	switch raw, err := st.Setting(ctx, StatsWatermarkKey); {
	case errors.Is(err, desk.ErrNotFound):
	case err != nil:
		return 0, fmt.Errorf("worker: stats: %w", err)
	default:
		w, err := time.Parse(time.RFC3339Nano, raw)
		if err != nil {
			// A mangled watermark costs one full rebuild, nothing more.
			w = time.Time{}
		}
		if !w.IsZero() {
			since = w.Add(-statsOverlap)
		}
	}
	hours, err := st.RebuildStats(ctx, since)
	if err != nil {
		return 0, fmt.Errorf("worker: stats: %w", err)
	}
	if err := st.SetSetting(ctx, StatsWatermarkKey, now.UTC().Format(time.RFC3339Nano)); err != nil {
		return hours, fmt.Errorf("worker: stats: %w", err)
	}
	return hours, nil
}
