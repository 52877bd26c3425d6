package worker

import (
	"testing"
	"time"
)

func TestBackoffGrowsWithJitterAndIsCapped(t *testing.T) {
	tests := []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 1600 * time.Millisecond, 2400 * time.Millisecond},
		{2, 3200 * time.Millisecond, 4800 * time.Millisecond},
		{5, 25600 * time.Millisecond, 38400 * time.Millisecond},
		{30, 96 * time.Minute, 144 * time.Minute},
	}
	for _, tc := range tests {
		for i := 0; i < 50; i++ {
			if d := Backoff(tc.attempt); d < tc.min || d > tc.max {
				t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", tc.attempt, d, tc.min, tc.max)
			}
		}
	}
	// Jitter: fifty draws are not all the same.
	seen := map[time.Duration]bool{}
	for i := 0; i < 50; i++ {
		seen[Backoff(3)] = true
	}
	if len(seen) < 2 {
		t.Fatalf("Backoff(3) drew the same value 50 times: no jitter")
	}
}
