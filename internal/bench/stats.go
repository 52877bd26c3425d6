package bench

import (
	"math"
	"slices"
	"sync"
	"time"
)

// percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest sample such that at least p % of all
// samples are less than or equal to it. An empty slice yields 0.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// p*n/100 rather than p/100*n keeps integer inputs exact in float64.
	rank := int(math.Ceil(p * float64(n) / 100))
	rank = max(1, min(rank, n))
	return sorted[rank-1]
}

// recorder collects latency samples and error counts per operation. It is
// safe for concurrent use; the lock is negligible next to an HTTP round trip.
type recorder struct {
	mu      sync.Mutex
	samples map[string][]time.Duration
	errors  map[string]int
	// errSamples keeps the first few error texts so a report says why.
	errSamples []string
}

func newRecorder() *recorder {
	return &recorder{samples: map[string][]time.Duration{}, errors: map[string]int{}}
}

const maxErrSamples = 5

// ok records one successful operation.
func (r *recorder) ok(op string, d time.Duration) {
	r.mu.Lock()
	r.samples[op] = append(r.samples[op], d)
	r.mu.Unlock()
}

// fail records one failed operation. d is kept out of the latency samples:
// percentiles describe answered requests only.
func (r *recorder) fail(op string, err error) {
	r.mu.Lock()
	r.errors[op]++
	if len(r.errSamples) < maxErrSamples {
		r.errSamples = append(r.errSamples, op+": "+err.Error())
	}
	r.mu.Unlock()
}

// OpStats summarises one operation of one phase run.
type OpStats struct {
	Count  int     `json:"count"`
	Errors int     `json:"errors"`
	P50MS  float64 `json:"p50_ms"`
	P90MS  float64 `json:"p90_ms"`
	P99MS  float64 `json:"p99_ms"`
	// PerS is successful operations per second of phase wall time.
	PerS float64 `json:"per_s"`
}

// summary turns the samples into per-operation statistics; wall is the
// phase's wall time used for the rate.
func (r *recorder) summary(wall time.Duration) (ops map[string]OpStats, okTotal, errTotal int, errSamples []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ops = map[string]OpStats{}
	names := map[string]bool{}
	for op := range r.samples {
		names[op] = true
	}
	for op := range r.errors {
		names[op] = true
	}
	for op := range names {
		s := slices.Clone(r.samples[op])
		slices.Sort(s)
		st := OpStats{
			Count:  len(s),
			Errors: r.errors[op],
			P50MS:  ms(percentile(s, 50)),
			P90MS:  ms(percentile(s, 90)),
			P99MS:  ms(percentile(s, 99)),
		}
		if wall > 0 {
			st.PerS = round3(float64(len(s)) / wall.Seconds())
		}
		ops[op] = st
		okTotal += len(s)
		errTotal += r.errors[op]
	}
	return ops, okTotal, errTotal, slices.Clone(r.errSamples)
}

func ms(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
