package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

func TestLogin(t *testing.T) {
	for _, tc := range []struct {
		name     string
		setup    func(st *fakeStore)
		email    string
		password string
		wantErr  error
	}{
		{name: "right password", email: "ann@example.com", password: testPassword},
		{name: "email case and spaces ignored", email: "  Ann@Example.COM ", password: testPassword},
		{name: "wrong password", email: "ann@example.com", password: "wrong password 1", wantErr: desk.ErrUnauthorized},
		{name: "unknown email", email: "bob@example.com", password: testPassword, wantErr: desk.ErrUnauthorized},
		{name: "empty password", email: "ann@example.com", password: "", wantErr: desk.ErrUnauthorized},
		{name: "overlong password", email: "ann@example.com", password: strings.Repeat("x", 257), wantErr: desk.ErrUnauthorized},
		{
			name:  "disabled agent",
			setup: func(st *fakeStore) { st.setDisabled(1, true) },
			email: "ann@example.com", password: testPassword, wantErr: desk.ErrUnauthorized,
		},
		{
			name: "agent without password",
			setup: func(st *fakeStore) {
				st.addAgent(desk.Agent{Email: "invited@example.com", Role: desk.RoleAgent})
			},
			email: "invited@example.com", password: testPassword, wantErr: desk.ErrUnauthorized,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, st, clock, ann := newTestService(t, Options{})
			if tc.setup != nil {
				tc.setup(st)
			}
			agent, sess, cookie, err := s.Login(context.Background(), tc.email, tc.password, "192.0.2.1:5555")
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Login error = %v, want %v", err, tc.wantErr)
				}
				if err.Error() != "auth: login: unauthorized" {
					t.Errorf("error text %q reveals why the login failed", err)
				}
				if agent != nil || sess != nil || cookie != "" {
					t.Errorf("Login returned %v, %v, %q with an error", agent, sess, cookie)
				}
				return
			}
			if err != nil {
				t.Fatalf("Login: %v", err)
			}
			if agent.ID != ann.ID {
				t.Errorf("agent = %d, want %d", agent.ID, ann.ID)
			}
			if len(cookie) != 43 {
				t.Errorf("cookie %q has %d characters, want 43", cookie, len(cookie))
			}
			if sess.ID == cookie || sess.ID != sessionID(cookie) {
				t.Errorf("session id %q is not the SHA-256 of the cookie", sess.ID)
			}
			if len(sess.CSRFToken) < 32 {
				t.Errorf("CSRF token %q too short", sess.CSRFToken)
			}
			if want := clock.Now().Add(12 * time.Hour); !sess.ExpiresAt.Equal(want) {
				t.Errorf("ExpiresAt = %v, want %v", sess.ExpiresAt, want)
			}
			if _, ok := st.sessions[sess.ID]; !ok {
				t.Errorf("session not stored under its hash")
			}
		})
	}
}

// Every failed login must do the same argon2 work, whatever the reason:
// unknown addresses are checked against the dummy hash.
func TestLoginChecksDummyHash(t *testing.T) {
	for _, tc := range []struct {
		name      string
		email     string
		wantDummy bool
	}{
		{"unknown email", "nobody@example.com", true},
		{"agent without password", "invited@example.com", true},
		{"agent with corrupt hash", "corrupt@example.com", true},
		{"known email", "ann@example.com", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, st, _, ann := newTestService(t, Options{})
			st.addAgent(desk.Agent{Email: "invited@example.com", Role: desk.RoleAgent})
			st.addAgent(desk.Agent{Email: "corrupt@example.com", Role: desk.RoleAgent, PasswordHash: "$argon2id$garbage"})
			var checked []string
			s.verify = func(encoded, password string) (bool, error) {
				checked = append(checked, encoded)
				return CheckPassword(encoded, password)
			}
			_, _, _, err := s.Login(context.Background(), tc.email, "wrong password 1", "192.0.2.1")
			if !errors.Is(err, desk.ErrUnauthorized) {
				t.Fatalf("Login error = %v, want ErrUnauthorized", err)
			}
			if len(checked) == 0 {
				t.Fatal("no hash was checked")
			}
			last := checked[len(checked)-1]
			if gotDummy := last == s.dummyHash(); gotDummy != tc.wantDummy {
				t.Errorf("checked the dummy hash = %v, want %v (checked %q)", gotDummy, tc.wantDummy, checked)
			}
			if !tc.wantDummy && last != ann.PasswordHash {
				t.Errorf("checked %q, want the agent's hash", last)
			}
			if NeedsRehash(s.dummyHash(), cheapParams) {
				t.Errorf("dummy hash %q does not use the service's params", s.dummyHash())
			}
		})
	}
}

func TestLoginRateLimit(t *testing.T) {
	ctx := context.Background()
	wrong := "wrong password 1"

	t.Run("per email, then the window refills", func(t *testing.T) {
		s, _, clock, _ := newTestService(t, Options{LoginAttempts: 3, LoginWindow: 15 * time.Minute})
		for i := range 3 {
			// Different addresses, so only the email limit applies.
			ip := "192.0.2." + string(rune('1'+i))
			if _, _, _, err := s.Login(ctx, "ann@example.com", wrong, ip); !errors.Is(err, desk.ErrUnauthorized) {
				t.Fatalf("attempt %d: error = %v, want ErrUnauthorized", i+1, err)
			}
		}
		_, _, _, err := s.Login(ctx, "ANN@example.com", testPassword, "198.51.100.9")
		if !errors.Is(err, desk.ErrRateLimited) {
			t.Fatalf("4th attempt (right password): error = %v, want ErrRateLimited", err)
		}
		clock.Advance(5 * time.Minute) // one third of the window: one attempt back
		if _, _, _, err := s.Login(ctx, "ann@example.com", wrong, "198.51.100.9"); !errors.Is(err, desk.ErrUnauthorized) {
			t.Fatalf("after 5 min: error = %v, want ErrUnauthorized", err)
		}
		if _, _, _, err := s.Login(ctx, "ann@example.com", testPassword, "198.51.100.9"); !errors.Is(err, desk.ErrRateLimited) {
			t.Fatalf("right after: error = %v, want ErrRateLimited", err)
		}
		clock.Advance(15 * time.Minute)
		if _, _, _, err := s.Login(ctx, "ann@example.com", testPassword, "198.51.100.9"); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})

	t.Run("per address across emails", func(t *testing.T) {
		s, _, _, _ := newTestService(t, Options{LoginAttemptsPerIP: 2})
		for _, email := range []string{"x@example.com", "y@example.com"} {
			if _, _, _, err := s.Login(ctx, email, wrong, "203.0.113.7:1000"); !errors.Is(err, desk.ErrUnauthorized) {
				t.Fatalf("%s: error = %v, want ErrUnauthorized", email, err)
			}
		}
		if _, _, _, err := s.Login(ctx, "ann@example.com", testPassword, "203.0.113.7:2000"); !errors.Is(err, desk.ErrRateLimited) {
			t.Errorf("same address, other port: error = %v, want ErrRateLimited", err)
		}
		if _, _, _, err := s.Login(ctx, "ann@example.com", testPassword, "203.0.113.8"); err != nil {
			t.Errorf("other address: %v", err)
		}
	})

	t.Run("success clears the email count", func(t *testing.T) {
		s, _, _, _ := newTestService(t, Options{LoginAttempts: 2})
		for range 3 {
			s.Login(ctx, "ann@example.com", wrong, "192.0.2.1")
			if _, _, _, err := s.Login(ctx, "ann@example.com", testPassword, "192.0.2.1"); err != nil {
				t.Fatalf("login after one failure: %v", err)
			}
		}
	})

	t.Run("limited attempts do no hashing", func(t *testing.T) {
		s, _, _, _ := newTestService(t, Options{LoginAttempts: 1})
		s.Login(ctx, "ann@example.com", wrong, "192.0.2.1")
		checks := 0
		s.verify = func(string, string) (bool, error) { checks++; return false, nil }
		s.Login(ctx, "ann@example.com", wrong, "192.0.2.1")
		if checks != 0 {
			t.Errorf("%d hash checks while limited, want 0", checks)
		}
	})
}

func TestLimiterBounded(t *testing.T) {
	l := newLimiter(5, time.Minute, 100)
	now := time.Now()
	for i := range 1000 {
		l.fail(strings.Repeat("k", i%7)+string(rune(i)), now)
	}
	if n := l.len(); n > 100 {
		t.Errorf("limiter holds %d keys, want at most 100", n)
	}
}

func TestIPKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"192.0.2.1:443", "192.0.2.1"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"fe80::1%eth0", "fe80::/64"},
		{"", ""},
		{"not-an-ip", "not-an-ip"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := ipKey(tc.in); got != tc.want {
				t.Errorf("ipKey(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestLoginRehashesOldParams(t *testing.T) {
	s, st, _, ann := newTestService(t, Options{})
	newer := Params{Memory: 128, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	s.opts.Params = newer
	if _, _, _, err := s.Login(context.Background(), "ann@example.com", testPassword, ""); err != nil {
		t.Fatalf("Login: %v", err)
	}
	stored := st.agents[ann.ID].PasswordHash
	if stored == ann.PasswordHash || NeedsRehash(stored, newer) {
		t.Errorf("stored hash %q not upgraded to %+v", stored, newer)
	}
	if ok, _ := CheckPassword(stored, testPassword); !ok {
		t.Errorf("upgraded hash does not match the password")
	}
}

func TestSetPassword(t *testing.T) {
	s, st, _, ann := newTestService(t, Options{})
	ctx := context.Background()
	if err := s.SetPassword(ctx, ann.ID, "short"); !errors.Is(err, desk.ErrInvalid) {
		t.Errorf("short password: error = %v, want ErrInvalid", err)
	}
	if err := s.SetPassword(ctx, 999, "long enough password"); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("unknown agent: error = %v, want ErrNotFound", err)
	}
	if err := s.SetPassword(ctx, ann.ID, "a brand new password"); err != nil {
		t.Fatalf("SetPassword: %v", err)
	}
	if ok, _ := CheckPassword(st.agents[ann.ID].PasswordHash, "a brand new password"); !ok {
		t.Errorf("stored hash does not match the new password")
	}
}

func TestSessionAgent(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		act     func(s *Service, st *fakeStore, clock *fakeClock, cookie string) string
		wantErr error
	}{
		{name: "fresh session", act: func(_ *Service, _ *fakeStore, _ *fakeClock, c string) string { return c }},
		{
			name: "just before idle expiry",
			act: func(_ *Service, _ *fakeStore, clock *fakeClock, c string) string {
				clock.Advance(12*time.Hour - time.Second)
				return c
			},
		},
		{
			name: "idle expired",
			act: func(_ *Service, _ *fakeStore, clock *fakeClock, c string) string {
				clock.Advance(12 * time.Hour)
				return c
			},
			wantErr: desk.ErrUnauthorized,
		},
		{
			name: "past the absolute limit even if the store extended it",
			act: func(_ *Service, st *fakeStore, clock *fakeClock, c string) string {
				s := st.sessions[sessionID(c)]
				s.ExpiresAt = s.CreatedAt.Add(30 * 24 * time.Hour)
				st.sessions[s.ID] = s
				clock.Advance(7 * 24 * time.Hour)
				return c
			},
			wantErr: desk.ErrUnauthorized,
		},
		{
			name: "logged out",
			act: func(s *Service, _ *fakeStore, _ *fakeClock, c string) string {
				if err := s.Logout(ctx, c); err != nil {
					t.Fatalf("Logout: %v", err)
				}
				return c
			},
			wantErr: desk.ErrUnauthorized,
		},
		{
			name: "agent disabled since",
			act: func(_ *Service, st *fakeStore, _ *fakeClock, c string) string {
				st.setDisabled(1, true)
				return c
			},
			wantErr: desk.ErrUnauthorized,
		},
		{
			name:    "unknown cookie",
			act:     func(*Service, *fakeStore, *fakeClock, string) string { return strings.Repeat("A", 43) },
			wantErr: desk.ErrUnauthorized,
		},
		{
			name:    "malformed cookie",
			act:     func(_ *Service, _ *fakeStore, _ *fakeClock, c string) string { return c + "!" },
			wantErr: desk.ErrUnauthorized,
		},
		{
			name: "the stored id used as cookie",
			act: func(_ *Service, _ *fakeStore, _ *fakeClock, c string) string {
				return sessionID(c)
			},
			wantErr: desk.ErrUnauthorized,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, st, clock, ann := newTestService(t, Options{})
			_, _, cookie, err := s.Login(ctx, "ann@example.com", testPassword, "")
			if err != nil {
				t.Fatalf("Login: %v", err)
			}
			cookie = tc.act(s, st, clock, cookie)
			agent, sess, err := s.SessionAgent(ctx, cookie)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("SessionAgent error = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("SessionAgent: %v", err)
			}
			if agent.ID != ann.ID || sess.AgentID != ann.ID {
				t.Errorf("got agent %d, session of %d; want %d", agent.ID, sess.AgentID, ann.ID)
			}
		})
	}
}

func TestSessionSlidingExpiry(t *testing.T) {
	st := newFakeStore()
	h, _ := HashPasswordWith(testPassword, cheapParams)
	st.addAgent(desk.Agent{Email: "ann@example.com", Role: desk.RoleAgent, PasswordHash: h})
	clock := newFakeClock()
	s := New(st, clock, Options{Params: cheapParams})
	ctx := context.Background()
	_, sess, cookie, err := s.Login(ctx, "ann@example.com", testPassword, "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.CookieExpires(sess), clock.Now().Add(7*24*time.Hour); !got.Equal(want) {
		t.Errorf("CookieExpires = %v, want %v", got, want)
	}

	// Used every 10 hours, the session outlives its 12h idle limit...
	for i := range 16 {
		clock.Advance(10 * time.Hour)
		if _, _, err := s.SessionAgent(ctx, cookie); err != nil {
			t.Fatalf("use %d after %v: %v", i+1, time.Duration(i+1)*10*time.Hour, err)
		}
	}
	// ...right up to its absolute end (7 days after login), then stops.
	clock.Advance(8*time.Hour - time.Second)
	if _, _, err := s.SessionAgent(ctx, cookie); err != nil {
		t.Fatalf("just before 7 days: %v", err)
	}
	clock.Advance(time.Second)
	if _, _, err := s.SessionAgent(ctx, cookie); !errors.Is(err, desk.ErrUnauthorized) {
		t.Fatalf("at 7 days: error = %v, want ErrUnauthorized", err)
	}

	// Requests close together do not each write.
	_, _, cookie, _ = s.Login(ctx, "ann@example.com", testPassword, "")
	before := st.count("TouchSession")
	for range 10 {
		clock.Advance(time.Minute)
		s.SessionAgent(ctx, cookie)
	}
	if n := st.count("TouchSession") - before; n != 0 {
		t.Errorf("%d session writes for 10 requests within 10 minutes, want 0", n)
	}
}

func TestLogoutUnknown(t *testing.T) {
	s, _, _, _ := newTestService(t, Options{})
	for _, v := range []string{"", "garbage", strings.Repeat("A", 43)} {
		if err := s.Logout(context.Background(), v); err != nil {
			t.Errorf("Logout(%q) = %v, want nil", v, err)
		}
	}
}
