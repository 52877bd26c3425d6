package webchat

import (
	"crypto/rand"
	"sync"
	"time"
)

// limiter is a token bucket per visitor: burst requests at once, refilled
// evenly over window. Buckets of visitors idle for a while are forgotten.
type limiter struct {
	burst  float64
	rate   float64 // tokens per second
	mu     sync.Mutex
	bucket map[string]*bucket
	swept  time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(burst int, window time.Duration) *limiter {
	return &limiter{burst: float64(burst), rate: float64(burst) / window.Seconds(), bucket: map[string]*bucket{}}
}

// allow takes a token for key at now, reporting whether there was one.
func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		l.sweep(now)
	}
	b := l.bucket[key]
	if b == nil {
		b = &bucket{tokens: l.burst, last: now}
		l.bucket[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sweep drops buckets that have refilled completely: they hold no state.
func (l *limiter) sweep(now time.Time) {
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	for k, b := range l.bucket {
		if now.Sub(b.last) > full {
			delete(l.bucket, k)
		}
	}
	l.swept = now
}

func mustRandom(b []byte) {
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
}
