package helpcenter

import (
	"net/netip"
	"sync"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// limiter is a token bucket per key: burst requests at once, refilled
// evenly over window. It remembers at most max keys; past that it forgets
// the keys whose buckets are full again, and all of them if that is not
// enough: a flood from many addresses then costs a little leniency, never
// memory.
type limiter struct {
	clock  desk.Clock
	burst  float64
	window time.Duration
	max    int

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(clock desk.Clock, burst int, window time.Duration, max int) *limiter {
	return &limiter{clock: clock, burst: float64(burst), window: window, max: max, buckets: map[string]*bucket{}}
}

// allow takes a token from key's bucket and reports whether there was one.
func (l *limiter) allow(key string) bool {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.max {
			l.prune(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = l.refilled(b, now)
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (l *limiter) refilled(b *bucket, now time.Time) float64 {
	elapsed := now.Sub(b.at)
	if elapsed <= 0 {
		return b.tokens
	}
	return min(l.burst, b.tokens+elapsed.Seconds()*l.burst/l.window.Seconds())
}

func (l *limiter) prune(now time.Time) {
	for k, b := range l.buckets {
		if l.refilled(b, now) >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= l.max {
		clear(l.buckets)
	}
}

// limitKey is the bucket of a client address: IPv6 clients get a /64
// each, since one subscriber usually has a whole /64 to hop around in.
func limitKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap()
	if addr.Is6() {
		if p, err := addr.Prefix(64); err == nil {
			return p.String()
		}
	}
	return addr.String()
}
