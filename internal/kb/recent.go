package kb

import (
	"sync"
	"time"
)

// recentSet remembers keys for a while, bounded in size: when full, the
// oldest half is forgotten.
type recentSet struct {
	mu   sync.Mutex
	ttl  time.Duration
	max  int
	seen map[string]time.Time
}

func newRecentSet(max int, ttl time.Duration) *recentSet {
	return &recentSet{ttl: ttl, max: max, seen: make(map[string]time.Time)}
}

// add records key at now and reports whether it was new (or expired).
func (r *recentSet) add(key string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t, ok := r.seen[key]; ok && now.Sub(t) < r.ttl {
		return false
	}
	if len(r.seen) >= r.max {
		r.prune(now)
	}
	r.seen[key] = now
	return true
}

// prune drops expired keys, and the older half when that is not enough.
func (r *recentSet) prune(now time.Time) {
	var sum time.Duration
	for k, t := range r.seen {
		if now.Sub(t) >= r.ttl {
			delete(r.seen, k)
			continue
		}
		sum += now.Sub(t)
	}
	if len(r.seen) < r.max*3/4 || len(r.seen) == 0 {
		return
	}
	avg := sum / time.Duration(len(r.seen))
	for k, t := range r.seen {
		if now.Sub(t) >= avg {
			delete(r.seen, k)
		}
	}
}
