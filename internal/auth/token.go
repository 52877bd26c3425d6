package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/desk"
)

// API tokens are "balie_" and 40 base62 characters (238 bits). The prefix
// lets secret scanners and people recognise them.
const (
	TokenPrefix     = "balie_"
	tokenRandomLen  = 40
	tokenLen        = len(TokenPrefix) + tokenRandomLen
	tokenShownLen   = len(TokenPrefix) + 6 // desk.APIToken.Prefix
	maxTokenNameLen = 100
	base62          = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// newToken returns a fresh token. Bytes of 248 and above are skipped so
// that every character is equally likely.
func newToken() string {
	var b strings.Builder
	b.Grow(tokenLen)
	b.WriteString(TokenPrefix)
	buf := make([]byte, 64)
	for n := 0; n < tokenRandomLen; {
		rand.Read(buf)
		for _, c := range buf {
			if c >= 248 || n == tokenRandomLen {
				continue
			}
			b.WriteByte(base62[c%62])
			n++
		}
	}
	return b.String()
}

func validToken(t string) bool {
	rest, ok := strings.CutPrefix(t, TokenPrefix)
	if !ok || len(rest) != tokenRandomLen {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if strings.IndexByte(base62, rest[i]) < 0 {
			return false
		}
	}
	return true
}

// TokenHash is the stored form of a token: its SHA-256 in hex. The api
// package needs it to Invalidate a token it deleted.
func TokenHash(plaintext string) string {
	sum := sha256.Sum256([]byte(plaintext))
	return hex.EncodeToString(sum[:])
}

// CreateToken makes an API token for an agent. The plaintext is returned
// once and never stored.
func (s *Service) CreateToken(ctx context.Context, agentID int64, name string) (string, *desk.APIToken, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", nil, fmt.Errorf("auth: create token: %w", desk.Invalid("name", "is required"))
	}
	if utf8.RuneCountInString(name) > maxTokenNameLen {
		return "", nil, fmt.Errorf("auth: create token: %w",
			desk.Invalid("name", fmt.Sprintf("must be at most %d characters", maxTokenNameLen)))
	}
	agent, err := s.store.AgentByID(ctx, agentID)
	if err != nil {
		return "", nil, fmt.Errorf("auth: create token: %w", err)
	}
	if agent.Disabled {
		return "", nil, fmt.Errorf("auth: create token: %w", desk.ErrForbidden)
	}
	plain := newToken()
	t := &desk.APIToken{
		AgentID:   agentID,
		Name:      name,
		Hash:      TokenHash(plain),
		Prefix:    plain[:tokenShownLen],
		CreatedAt: s.clock.Now(),
	}
	if err := s.store.CreateAPIToken(ctx, t); err != nil {
		return "", nil, fmt.Errorf("auth: create token: %w", err)
	}
	return plain, t, nil
}

// RevokeToken deletes one of an agent's tokens and forgets it on this node
// at once (other nodes within TokenCacheTTL). A token of another agent is
// desk.ErrNotFound.
func (s *Service) RevokeToken(ctx context.Context, agentID, tokenID int64) error {
	list, err := s.store.ListAPITokens(ctx, agentID)
	if err != nil {
		return fmt.Errorf("auth: revoke token: %w", err)
	}
	for _, t := range list {
		if t.ID != tokenID {
			continue
		}
		if err := s.store.DeleteAPIToken(ctx, t.ID); err != nil {
			return fmt.Errorf("auth: revoke token: %w", err)
		}
		s.Invalidate(t.Hash)
		return nil
	}
	return fmt.Errorf("auth: revoke token: %w", desk.ErrNotFound)
}

// TokenAgent returns the agent an API token acts for. Unknown and malformed
// tokens, and tokens of disabled agents, are desk.ErrUnauthorized.
//
// It is on the path of every API call: the agent is cached per token for
// TokenCacheTTL, so a revoked token, or a change to its agent made on
// another node, takes effect within that time (at once on this node after
// Invalidate or InvalidateAgent). LastUsedAt is written at most once per
// TokenTouchEvery per token.
func (s *Service) TokenAgent(ctx context.Context, plaintext string) (*desk.Agent, error) {
	if !validToken(plaintext) {
		return nil, fmt.Errorf("auth: token: %w", desk.ErrUnauthorized)
	}
	h := TokenHash(plaintext)
	now := s.clock.Now()
	e, ok := s.tokens.get(h, now)
	if !ok {
		var err error
		e, err = s.tokens.load(h, now, func() (*tokenEntry, error) { return s.loadToken(ctx, h, now) })
		if err != nil {
			return nil, err
		}
	}
	if id, touch := s.tokens.dueTouch(h, e, now, s.opts.TokenTouchEvery); touch {
		// Synchronous but rare: one request per token per TokenTouchEvery
		// pays for one small write. A failure only delays the next touch.
		if err := s.store.TouchAPIToken(ctx, id, now); err != nil {
			s.opts.Logger.Warn("auth: touch token", "token", id, "err", err)
		}
	}
	return cloneAgent(e.agent), nil
}

func (s *Service) loadToken(ctx context.Context, h string, now time.Time) (*tokenEntry, error) {
	t, err := s.store.APITokenByHash(ctx, h)
	if errors.Is(err, desk.ErrNotFound) {
		return nil, fmt.Errorf("auth: token: %w", desk.ErrUnauthorized)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: token: %w", err)
	}
	agent, err := s.store.AgentByID(ctx, t.AgentID)
	if errors.Is(err, desk.ErrNotFound) {
		return nil, fmt.Errorf("auth: token: %w", desk.ErrUnauthorized)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: token: %w", err)
	}
	if agent.Disabled {
		return nil, fmt.Errorf("auth: token: %w", desk.ErrUnauthorized)
	}
	return &tokenEntry{tokenID: t.ID, agent: agent, expires: now.Add(s.opts.TokenCacheTTL), touched: t.LastUsedAt}, nil
}

// Invalidate forgets a cached token (by TokenHash) on this node, so that a
// token deleted here stops working at once.
func (s *Service) Invalidate(tokenHash string) { s.tokens.remove(tokenHash) }

// InvalidateAgent forgets every cached token of an agent on this node; call
// it after disabling an agent or changing its role.
func (s *Service) InvalidateAgent(agentID int64) { s.tokens.removeAgent(agentID) }

// cloneAgent copies a cached agent so that callers cannot change the cache.
func cloneAgent(a *desk.Agent) *desk.Agent {
	c := *a
	c.TeamIDs = append([]int64(nil), a.TeamIDs...)
	return &c
}

// tokenCache maps token hashes to their agents, bounded in size. Concurrent
// misses for one token share a single store lookup.
type tokenCache struct {
	mu       sync.Mutex
	capacity int
	entries  map[string]*tokenEntry
	loading  map[string]*tokenLoad
	gen      uint64 // counts invalidations
}

type tokenEntry struct {
	tokenID int64
	agent   *desk.Agent // never modified once cached
	expires time.Time
	touched time.Time // LastUsedAt as last written
}

type tokenLoad struct {
	done  chan struct{}
	entry *tokenEntry
	err   error
}

func newTokenCache(capacity int) *tokenCache {
	return &tokenCache{capacity: capacity, entries: make(map[string]*tokenEntry), loading: make(map[string]*tokenLoad)}
}

func (c *tokenCache) get(h string, now time.Time) (*tokenEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[h]
	if !ok || !now.Before(e.expires) {
		return nil, false
	}
	return e, true
}

// load runs fn once for concurrent callers asking for the same hash and
// caches its result, unless an invalidation happened meanwhile (the result
// may then be stale; it is returned to these callers but not kept).
func (c *tokenCache) load(h string, now time.Time, fn func() (*tokenEntry, error)) (*tokenEntry, error) {
	c.mu.Lock()
	if l, ok := c.loading[h]; ok {
		c.mu.Unlock()
		<-l.done
		return l.entry, l.err
	}
	l := &tokenLoad{done: make(chan struct{})}
	c.loading[h] = l
	gen := c.gen
	c.mu.Unlock()

	l.entry, l.err = fn()

	c.mu.Lock()
	delete(c.loading, h)
	if l.err == nil && gen == c.gen {
		if _, ok := c.entries[h]; !ok && len(c.entries) >= c.capacity {
			c.evict(now)
		}
		c.entries[h] = l.entry
	}
	c.mu.Unlock()
	close(l.done)
	return l.entry, l.err
}

// evict frees at least a quarter of the capacity, expired entries first,
// so that its O(n) sweep is paid once per many insertions; callers hold mu.
func (c *tokenCache) evict(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	target := c.capacity * 3 / 4
	for k := range c.entries {
		if len(c.entries) <= target {
			return
		}
		delete(c.entries, k)
	}
}

// dueTouch reports whether LastUsedAt should be written now, and claims the
// write so that concurrent requests do not repeat it.
func (c *tokenCache) dueTouch(h string, e *tokenEntry, now time.Time, every time.Duration) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(e.touched) < every {
		return 0, false
	}
	e.touched = now
	return e.tokenID, true
}

func (c *tokenCache) remove(h string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, h)
	c.gen++
}

func (c *tokenCache) removeAgent(agentID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if e.agent.ID == agentID {
			delete(c.entries, k)
		}
	}
	c.gen++
}

func (c *tokenCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
