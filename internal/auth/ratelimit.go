package auth

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// limiter counts failures per key with a token bucket: a key holds up to max
// tokens, each failure takes one, and tokens flow back at max per window. A
// key with less than one token is limited. A full window without failures
// therefore restores the whole allowance.
//
// Memory is bounded: a key whose bucket has refilled carries no information
// and is dropped when the map reaches capacity; if that is not enough (a
// spray from very many addresses), arbitrary keys are forgotten too, which
// loosens the limit for them but never blocks innocent keys.
type limiter struct {
	mu       sync.Mutex
	max      float64
	window   time.Duration
	capacity int
	buckets  map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was computed
}

func newLimiter(max int, window time.Duration, capacity int) *limiter {
	return &limiter{max: float64(max), window: window, capacity: capacity, buckets: make(map[string]*bucket)}
}

// level returns the key's tokens at now; callers hold mu.
func (l *limiter) level(b *bucket, now time.Time) float64 {
	elapsed := now.Sub(b.at)
	if elapsed <= 0 {
		return b.tokens
	}
	t := b.tokens + l.max*float64(elapsed)/float64(l.window)
	return min(t, l.max)
}

// allowed reports whether key may make another attempt.
func (l *limiter) allowed(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	return !ok || l.level(b, now) >= 1
}

// fail records a failed attempt for key.
func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.capacity {
			l.evict(now)
		}
		b = &bucket{tokens: l.max, at: now}
		l.buckets[key] = b
	}
	b.tokens = max(l.level(b, now)-1, 0)
	b.at = now
}

// reset forgets key, after a successful login.
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.buckets, key)
}

// evict makes room; callers hold mu. It frees at least a quarter of the
// capacity so that its O(n) sweep is paid once per many insertions.
func (l *limiter) evict(now time.Time) {
	for k, b := range l.buckets {
		if l.level(b, now) >= l.max {
			delete(l.buckets, k)
		}
	}
	target := l.capacity * 3 / 4
	for k := range l.buckets {
		if len(l.buckets) <= target {
			break
		}
		delete(l.buckets, k)
	}
}

func (l *limiter) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// ipKey turns a remote address ("ip" or "ip:port") into a limiter key. IPv6
// clients usually control a whole /64, so they are counted per /64.
func ipKey(remote string) string {
	host := remote
	if h, _, err := net.SplitHostPort(remote); err == nil {
		host = h
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}
