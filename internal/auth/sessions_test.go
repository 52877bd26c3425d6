package auth

import (
	"context"
	"errors"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

func TestCredentialChangesEndSessions(t *testing.T) {
	const newPassword = "a brand new passphrase"
	yes, no := true, false
	pw := newPassword
	name := "Ann B."
	tests := []struct {
		name string
		// as is who makes the change: "self" (Ann's first session), "admin"
		// (another agent's session) or "" (no request, as the CLI).
		as     string
		change func(ctx context.Context, s *Service, m *Agents, ann int64) error
		// kept is whether Ann's first and second sessions survive.
		keptFirst, keptSecond bool
	}{
		{"own password change keeps the current session", "self",
			func(ctx context.Context, s *Service, _ *Agents, ann int64) error {
				return s.SetPassword(ctx, ann, newPassword)
			}, true, false},
		{"password set by an admin ends all", "admin",
			func(ctx context.Context, s *Service, _ *Agents, ann int64) error {
				return s.SetPassword(ctx, ann, newPassword)
			}, false, false},
		{"password set without a request ends all", "",
			func(ctx context.Context, s *Service, _ *Agents, ann int64) error {
				return s.SetPassword(ctx, ann, newPassword)
			}, false, false},
		{"update with own password keeps the current session", "self",
			func(ctx context.Context, _ *Service, m *Agents, ann int64) error {
				_, err := m.Update(ctx, ann, AgentChange{Password: &pw})
				return err
			}, true, false},
		{"update with password by an admin ends all", "admin",
			func(ctx context.Context, _ *Service, m *Agents, ann int64) error {
				_, err := m.Update(ctx, ann, AgentChange{Password: &pw})
				return err
			}, false, false},
		{"disabling ends all, even the current one", "self",
			func(ctx context.Context, _ *Service, m *Agents, ann int64) error {
				_, err := m.Update(ctx, ann, AgentChange{Disabled: &yes})
				return err
			}, false, false},
		{"other changes end nothing", "admin",
			func(ctx context.Context, _ *Service, m *Agents, ann int64) error {
				_, err := m.Update(ctx, ann, AgentChange{Name: &name, Disabled: &no})
				return err
			}, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, st, _, ann := newTestService(t, Options{})
			h, err := HashPasswordWith(testPassword, cheapParams)
			if err != nil {
				t.Fatal(err)
			}
			st.addAgent(desk.Agent{Email: "bob@example.com", Name: "Bob", Role: desk.RoleAdmin, PasswordHash: h})
			m := NewAgents(st, s)
			ctx := context.Background()
			login := func(email string) (*desk.Agent, *desk.Session, string) {
				t.Helper()
				a, sess, cookie, err := s.Login(ctx, email, testPassword, "")
				if err != nil {
					t.Fatalf("Login %s: %v", email, err)
				}
				return a, sess, cookie
			}
			annAgent, first, firstCookie := login("ann@example.com")
			_, _, secondCookie := login("ann@example.com")
			bobAgent, bobSess, bobCookie := login("bob@example.com")

			reqCtx := ctx
			switch tc.as {
			case "self":
				reqCtx = WithPrincipal(ctx, &Principal{Agent: annAgent, Session: first})
			case "admin":
				reqCtx = WithPrincipal(ctx, &Principal{Agent: bobAgent, Session: bobSess})
			}
			if err := tc.change(reqCtx, s, m, ann.ID); err != nil {
				t.Fatalf("change: %v", err)
			}
			s.InvalidateAgent(ann.ID)
			for _, c := range []struct {
				what   string
				cookie string
				want   bool
			}{
				{"Ann's first session", firstCookie, tc.keptFirst},
				{"Ann's second session", secondCookie, tc.keptSecond},
				{"Bob's session", bobCookie, true},
			} {
				_, _, err := s.SessionAgent(ctx, c.cookie)
				switch {
				case c.want && err != nil:
					t.Errorf("%s: %v, want it to go on", c.what, err)
				case !c.want && !errors.Is(err, desk.ErrUnauthorized):
					t.Errorf("%s: error %v, want ErrUnauthorized", c.what, err)
				}
			}
			if got := len(st.sessionsOf(ann.ID)); got != btoi(tc.keptFirst)+btoi(tc.keptSecond) {
				t.Errorf("Ann has %d stored sessions, want %d", got, btoi(tc.keptFirst)+btoi(tc.keptSecond))
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
