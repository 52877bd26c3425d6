package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a running balie on a fresh store, with one agent of each role.
type env struct {
	t      *testing.T
	app    *App
	srv    *httptest.Server
	clock  *clock
	tokens map[desk.Role]string
	agents map[desk.Role]*desk.Agent
}

func newEnv(t *testing.T, open func(testing.TB) desk.Store) *env {
	t.Helper()
	st := open(t)
	clk := &clock{t: time.Now().UTC().Truncate(time.Millisecond)}
	a, err := Assemble(st, Config{DataDir: t.TempDir(), Clock: clk, AllowPrivateTargets: true})
	if err != nil {
		t.Fatalf("Assemble: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.Start(ctx)
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(func() { srv.Close(); cancel() })
	e := &env{t: t, app: a, srv: srv, clock: clk, tokens: map[desk.Role]string{}, agents: map[desk.Role]*desk.Agent{}}
	for _, r := range []desk.Role{desk.RoleAdmin, desk.RoleSupervisor, desk.RoleAgent} {
		ag, err := a.Agents.Create(ctx, string(r)+"@example.com", "The "+string(r), r, "en", "correct horse battery")
		if err != nil {
			t.Fatalf("create %s: %v", r, err)
		}
		tok, _, err := a.Auth.CreateToken(ctx, ag.ID, "test")
		if err != nil {
			t.Fatalf("token for %s: %v", r, err)
		}
		e.tokens[r], e.agents[r] = tok, ag
	}
	return e
}

// forEachStore runs a scenario on SQLite and, when configured, PostgreSQL.
func forEachStore(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, o := range testenv.Stores() {
		t.Run(o.Name, func(t *testing.T) { fn(t, newEnv(t, o.Open)) })
	}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

// do sends a request as role (empty: anonymous). body may be nil, a string
// (sent raw) or a value (sent as JSON).
func (e *env) do(role desk.Role, method, path string, body any) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[role])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// must sends a request and fails the test unless the status is want.
func (e *env) must(role desk.Role, method, path string, body any, want int) map[string]any {
	e.t.Helper()
	r := e.do(role, method, path, body)
	if r.status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	if len(r.body) == 0 {
		return nil
	}
	return r.json(e.t)
}

// eventually polls cond until it holds or a generous deadline passes. It
// waits for asynchronous work (the outbox); it asserts nothing about speed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func num(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}
