package webchat

import (
	"container/list"
	"crypto/rand"
	"fmt"
	"math"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Rate is Burst requests at once, refilled evenly over Window.
type Rate struct {
	Burst  int
	Window time.Duration
}

// Limits bound what anonymous widget traffic may cost. Zero fields take the
// defaults.
type Limits struct {
	// Visitor bounds messages, uploads and contact details per visitor
	// token (default 20 per 10 seconds).
	Visitor Rate
	// ClientSessions bounds session requests per client address (default
	// 30 per minute): new tokens are free, so without it one script could
	// mint a token per message and never meet the Visitor limit.
	ClientSessions Rate
	// ClientPosts bounds messages, uploads and contact details per client
	// address (default 60 per minute).
	ClientPosts Rate
	// Inbox bounds sessions, messages and uploads per inbox (default 1200
	// per minute): the backstop against traffic from many addresses.
	Inbox Rate
	// ClientReads bounds the help view's reads (FAQ, suggestions,
	// search, articles) per client address (default 120 per minute):
	// search-as-you-type asks more often than anyone writes.
	ClientReads Rate
	// InboxHelp bounds all help requests per inbox (default 6000 per
	// minute), apart from Inbox so that people reading the help articles
	// never use up what chatting customers need.
	InboxHelp Rate
	// Keys is how many keys (tokens, addresses, inboxes) each limiter
	// remembers (default 20000); beyond it the least recently seen is
	// forgotten.
	Keys int
}

func (l Limits) withDefaults() Limits {
	def := func(r *Rate, burst int, window time.Duration) {
		if r.Burst <= 0 || r.Window <= 0 {
			*r = Rate{Burst: burst, Window: window}
		}
	}
	def(&l.Visitor, 20, 10*time.Second)
	def(&l.ClientSessions, 30, time.Minute)
	def(&l.ClientPosts, 60, time.Minute)
	def(&l.Inbox, 1200, time.Minute)
	def(&l.ClientReads, 120, time.Minute)
	def(&l.InboxHelp, 6000, time.Minute)
	if l.Keys <= 0 {
		l.Keys = 20000
	}
	return l
}

// limiter is a token bucket per key with a bounded number of keys. Buckets
// are kept in least-recently-used order: full buckets hold no state and are
// dropped from the cold end, and when the limiter is at capacity the
// coldest bucket is forgotten. Forgetting only ever lets a key start afresh,
// so memory stays bounded at the price of some leniency under a flood of
// distinct keys (which the per-inbox limit then catches).
type limiter struct {
	burst    float64
	rate     float64 // tokens per second
	capacity int

	mu    sync.Mutex
	keys  map[string]*list.Element
	order list.List // of *bucket; front: most recently used
}

type bucket struct {
	key    string
	tokens float64
	last   time.Time
}

func newLimiter(r Rate, capacity int) *limiter {
	return &limiter{burst: float64(r.Burst), rate: float64(r.Burst) / r.Window.Seconds(),
		capacity: max(capacity, 1), keys: map[string]*list.Element{}}
}

// allow takes a token for key at now. When there is none it reports how long
// until there will be.
func (l *limiter) allow(key string, now time.Time) (ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	var b *bucket
	if e := l.keys[key]; e != nil {
		b = e.Value.(*bucket)
		l.order.MoveToFront(e)
		b.tokens = min(l.burst, b.tokens+max(0, now.Sub(b.last).Seconds())*l.rate)
	} else {
		if len(l.keys) >= l.capacity {
			l.drop(l.order.Back())
		}
		b = &bucket{key: key, tokens: l.burst}
		l.keys[key] = l.order.PushFront(b)
	}
	b.last = now
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	}
	b.tokens--
	return true, 0
}

// sweep drops buckets, coldest first, that have refilled completely.
func (l *limiter) sweep(now time.Time) {
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	for e := l.order.Back(); e != nil && now.Sub(e.Value.(*bucket).last) >= full; e = l.order.Back() {
		l.drop(e)
	}
}

func (l *limiter) drop(e *list.Element) {
	delete(l.keys, e.Value.(*bucket).key)
	l.order.Remove(e)
}

// rateLimited is a refused request and how long the client should wait.
type rateLimited struct {
	what string
	wait time.Duration
}

func (e *rateLimited) Error() string { return "webchat: too many " + e.what }

func (e *rateLimited) Is(target error) bool { return target == desk.ErrRateLimited }

// retryAfter is the Retry-After value in whole seconds, at least one.
func (e *rateLimited) retryAfter() string {
	return strconv.Itoa(max(1, int(math.Ceil(e.wait.Seconds()))))
}

// check takes a token from l for key, or returns a *rateLimited.
func (h *Handler) check(l *limiter, key, what string) error {
	if ok, wait := l.allow(key, h.d.Clock.Now()); !ok {
		return &rateLimited{what: what, wait: wait}
	}
	return nil
}

// clientKey is the limiter key of the request's client: its IP address, and
// for IPv6 its /64, since one subscriber usually holds a whole /64. The
// address is r.RemoteAddr; a trusted-proxy middleware may have rewritten it
// from X-Forwarded-For before the request gets here.
func clientKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

func mustRandom(b []byte) {
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("webchat: crypto/rand: %v", err)) // does not fail on supported platforms
	}
}
