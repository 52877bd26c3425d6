package auth

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

func TestCreateToken(t *testing.T) {
	s, st, clock, ann := newTestService(t, Options{})
	ctx := context.Background()
	plain, tok, err := s.CreateToken(ctx, ann.ID, "  CRM sync ")
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	if !regexp.MustCompile(`^balie_[0-9A-Za-z]{40}$`).MatchString(plain) {
		t.Errorf("token %q does not look like balie_ + 40 base62", plain)
	}
	if tok.Hash != TokenHash(plain) || len(tok.Hash) != 64 || strings.Contains(tok.Hash, plain) {
		t.Errorf("stored hash %q is not the SHA-256 hex of the token", tok.Hash)
	}
	if tok.Prefix != plain[:12] {
		t.Errorf("prefix = %q, want %q", tok.Prefix, plain[:12])
	}
	if tok.Name != "CRM sync" || tok.AgentID != ann.ID || !tok.CreatedAt.Equal(clock.Now()) {
		t.Errorf("token = %+v", tok)
	}
	if _, ok := st.tokens[tok.ID]; !ok {
		t.Errorf("token not stored")
	}
	other, _, _ := s.CreateToken(ctx, ann.ID, "second")
	if other == plain {
		t.Errorf("two tokens are equal")
	}

	for _, tc := range []struct {
		name    string
		agentID int64
		tname   string
		wantErr error
	}{
		{"empty name", ann.ID, "  ", desk.ErrInvalid},
		{"long name", ann.ID, strings.Repeat("n", 101), desk.ErrInvalid},
		{"unknown agent", 999, "x", desk.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := s.CreateToken(ctx, tc.agentID, tc.tname); !errors.Is(err, tc.wantErr) {
				t.Errorf("error = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestTokenAgent(t *testing.T) {
	ctx := context.Background()
	s, _, _, ann := newTestService(t, Options{})
	plain, _, err := s.CreateToken(ctx, ann.ID, "ci")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		token   string
		wantErr error
	}{
		{"valid", plain, nil},
		{"unknown", "balie_" + strings.Repeat("a", 40), desk.ErrUnauthorized},
		{"wrong prefix", "other_" + plain[6:], desk.ErrUnauthorized},
		{"too short", plain[:45], desk.ErrUnauthorized},
		{"bad character", plain[:45] + "-", desk.ErrUnauthorized},
		{"its hash", TokenHash(plain), desk.ErrUnauthorized},
		{"empty", "", desk.ErrUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := s.TokenAgent(ctx, tc.token)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			if err == nil && a.ID != ann.ID {
				t.Errorf("agent = %d, want %d", a.ID, ann.ID)
			}
		})
	}
}

func TestTokenCache(t *testing.T) {
	ctx := context.Background()

	t.Run("served from memory within the TTL", func(t *testing.T) {
		s, st, clock, ann := newTestService(t, Options{TokenCacheTTL: 30 * time.Second})
		plain, _, _ := s.CreateToken(ctx, ann.ID, "ci")
		for range 5 {
			if _, err := s.TokenAgent(ctx, plain); err != nil {
				t.Fatal(err)
			}
		}
		if n := st.count("APITokenByHash"); n != 1 {
			t.Errorf("%d store lookups for 5 calls, want 1", n)
		}
		clock.Advance(30 * time.Second)
		s.TokenAgent(ctx, plain)
		if n := st.count("APITokenByHash"); n != 2 {
			t.Errorf("%d store lookups after the TTL, want 2", n)
		}
	})

	t.Run("revoked elsewhere: works until the TTL ends", func(t *testing.T) {
		s, st, clock, ann := newTestService(t, Options{TokenCacheTTL: 30 * time.Second})
		plain, tok, _ := s.CreateToken(ctx, ann.ID, "ci")
		s.TokenAgent(ctx, plain)
		st.DeleteAPIToken(ctx, tok.ID) // as another node would
		clock.Advance(29 * time.Second)
		if _, err := s.TokenAgent(ctx, plain); err != nil {
			t.Errorf("within TTL: %v (documented to keep working)", err)
		}
		clock.Advance(time.Second)
		if _, err := s.TokenAgent(ctx, plain); !errors.Is(err, desk.ErrUnauthorized) {
			t.Errorf("after TTL: error = %v, want ErrUnauthorized", err)
		}
	})

	t.Run("Invalidate takes effect at once", func(t *testing.T) {
		s, st, _, ann := newTestService(t, Options{})
		plain, tok, _ := s.CreateToken(ctx, ann.ID, "ci")
		s.TokenAgent(ctx, plain)
		st.DeleteAPIToken(ctx, tok.ID)
		s.Invalidate(tok.Hash)
		if _, err := s.TokenAgent(ctx, plain); !errors.Is(err, desk.ErrUnauthorized) {
			t.Errorf("error = %v, want ErrUnauthorized", err)
		}
	})

	t.Run("RevokeToken", func(t *testing.T) {
		s, _, _, ann := newTestService(t, Options{})
		plain, tok, _ := s.CreateToken(ctx, ann.ID, "ci")
		s.TokenAgent(ctx, plain)
		if err := s.RevokeToken(ctx, ann.ID+1, tok.ID); !errors.Is(err, desk.ErrNotFound) {
			t.Errorf("revoking another agent's token: error = %v, want ErrNotFound", err)
		}
		if err := s.RevokeToken(ctx, ann.ID, tok.ID); err != nil {
			t.Fatalf("RevokeToken: %v", err)
		}
		if _, err := s.TokenAgent(ctx, plain); !errors.Is(err, desk.ErrUnauthorized) {
			t.Errorf("after revoke: error = %v, want ErrUnauthorized", err)
		}
	})

	t.Run("InvalidateAgent after disabling", func(t *testing.T) {
		s, st, _, ann := newTestService(t, Options{})
		plain, _, _ := s.CreateToken(ctx, ann.ID, "ci")
		s.TokenAgent(ctx, plain)
		st.setDisabled(ann.ID, true)
		if _, err := s.TokenAgent(ctx, plain); err != nil {
			t.Fatalf("cached, before InvalidateAgent: %v", err)
		}
		s.InvalidateAgent(ann.ID)
		if _, err := s.TokenAgent(ctx, plain); !errors.Is(err, desk.ErrUnauthorized) {
			t.Errorf("after InvalidateAgent: error = %v, want ErrUnauthorized", err)
		}
	})

	t.Run("callers cannot change the cached agent", func(t *testing.T) {
		s, _, _, ann := newTestService(t, Options{})
		plain, _, _ := s.CreateToken(ctx, ann.ID, "ci")
		a, _ := s.TokenAgent(ctx, plain)
		a.Role = desk.RoleAdmin
		b, _ := s.TokenAgent(ctx, plain)
		if b.Role != desk.RoleAgent {
			t.Errorf("cached role changed to %q", b.Role)
		}
	})

	t.Run("bounded size", func(t *testing.T) {
		s, _, _, ann := newTestService(t, Options{TokenCacheSize: 8})
		for range 30 {
			plain, _, _ := s.CreateToken(ctx, ann.ID, "t")
			if _, err := s.TokenAgent(ctx, plain); err != nil {
				t.Fatal(err)
			}
		}
		if n := s.tokens.len(); n > 8 {
			t.Errorf("cache holds %d tokens, want at most 8", n)
		}
	})

	t.Run("concurrent misses share one lookup", func(t *testing.T) {
		s, st, _, ann := newTestService(t, Options{})
		plain, _, _ := s.CreateToken(ctx, ann.ID, "ci")
		entered := make(chan struct{}, 100)
		release := make(chan struct{})
		st.beforeTokenLookup = func() { entered <- struct{}{}; <-release }
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				if _, err := s.TokenAgent(ctx, plain); err != nil {
					t.Error(err)
				}
			})
		}
		<-entered
		// Give the other goroutines time to arrive while the first lookup
		// is held; without sharing, each of them would start its own.
		time.Sleep(20 * time.Millisecond)
		close(release)
		wg.Wait()
		if n := st.count("APITokenByHash"); n != 1 {
			t.Errorf("%d store lookups for 50 concurrent calls, want 1", n)
		}
	})
}

func TestTokenLastUsed(t *testing.T) {
	ctx := context.Background()
	s, st, clock, ann := newTestService(t, Options{TokenCacheTTL: 30 * time.Second, TokenTouchEvery: time.Minute})
	plain, _, _ := s.CreateToken(ctx, ann.ID, "ci")
	start := clock.Now()
	// Two calls every 10 seconds for 3 minutes: 36 calls.
	for range 18 {
		s.TokenAgent(ctx, plain)
		s.TokenAgent(ctx, plain)
		clock.Advance(10 * time.Second)
	}
	want := []time.Time{start, start.Add(time.Minute), start.Add(2 * time.Minute)}
	if len(st.touches) != len(want) {
		t.Fatalf("touches at %v, want %v", st.touches, want)
	}
	for i := range want {
		if !st.touches[i].Equal(want[i]) {
			t.Errorf("touch %d at %v, want %v", i, st.touches[i], want[i])
		}
	}
}

func TestNewTokenAlphabet(t *testing.T) {
	seen := make(map[byte]bool)
	for range 200 {
		tok := newToken()
		if !validToken(tok) {
			t.Fatalf("newToken() = %q is not valid", tok)
		}
		for i := len(TokenPrefix); i < len(tok); i++ {
			seen[tok[i]] = true
		}
	}
	// 8000 draws from 62 characters: all appear unless the mapping is skewed.
	if len(seen) != 62 {
		t.Errorf("saw %d distinct characters, want 62", len(seen))
	}
}
