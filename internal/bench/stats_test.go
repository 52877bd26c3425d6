package bench

import (
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"single p50", []time.Duration{7}, 50, 7},
		{"single p99", []time.Duration{7}, 99, 7},
		{"p50 of 1..100", hundred, 50, 50 * time.Millisecond},
		{"p90 of 1..100", hundred, 90, 90 * time.Millisecond},
		{"p99 of 1..100", hundred, 99, 99 * time.Millisecond},
		{"p100 of 1..100", hundred, 100, 100 * time.Millisecond},
		// Nearest rank never interpolates: rank ceil(0.5*4)=2.
		{"p50 of four", []time.Duration{10, 20, 30, 40}, 50, 20},
		// rank ceil(0.99*4)=4: the maximum.
		{"p99 of four", []time.Duration{10, 20, 30, 40}, 99, 40},
		{"p25 of four", []time.Duration{10, 20, 30, 40}, 25, 10},
		{"p26 of four", []time.Duration{10, 20, 30, 40}, 26, 20},
		{"p0 clamps to the minimum", []time.Duration{10, 20}, 0, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestRecorderSummary(t *testing.T) {
	r := newRecorder()
	for i := 1; i <= 10; i++ {
		r.ok("create", time.Duration(i)*time.Millisecond)
	}
	r.fail("create", errTest)
	r.ok("reply", 3*time.Millisecond)
	ops, okTotal, errTotal, samples := r.summary(2 * time.Second)
	if okTotal != 11 || errTotal != 1 {
		t.Errorf("totals = %d ok, %d errors, want 11, 1", okTotal, errTotal)
	}
	want := OpStats{Count: 10, Errors: 1, P50MS: 5, P90MS: 9, P99MS: 10, PerS: 5}
	if got := ops["create"]; got != want {
		t.Errorf("create = %+v, want %+v", got, want)
	}
	if len(samples) != 1 {
		t.Errorf("error samples = %q, want one", samples)
	}
}

type testError string

func (e testError) Error() string { return string(e) }

const errTest = testError("boom")
