package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testConfig is a small, fast run against the fake server.
func testConfig(target string) Config {
	return Config{
		Target:       target,
		Token:        "secret",
		N:            120,
		C:            []int{2, 4},
		Seed:         9,
		Duration:     200 * time.Millisecond,
		w3PerKind:    8,
		w4Count:      15,
		w4Interval:   2 * time.Millisecond,
		w4Settle:     3 * time.Second,
		drainTimeout: 10 * time.Second,
	}
}

func TestRunEndToEnd(t *testing.T) {
	f := newFakeServer(t, "secret", nil)
	cfg := testConfig(f.srv.URL)
	cfg.OutFile = filepath.Join(t.TempDir(), "report.json")
	var out bytes.Buffer
	rep, err := Run(context.Background(), cfg, &out)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	t.Log("\n" + out.String())

	byPhase := map[string][]PhaseResult{}
	for _, p := range rep.Phases {
		byPhase[p.Phase] = append(byPhase[p.Phase], p)
		if p.Errors != 0 {
			t.Errorf("%s C=%d %s: %d errors: %q", p.Phase, p.C, p.Label, p.Errors, p.ErrorSamples)
		}
	}
	for phase, want := range map[string]int{"W1": 2, "W2": 2, "W3": 2, "W4": 2} {
		if got := len(byPhase[phase]); got != want {
			t.Errorf("%s results = %d, want %d", phase, got, want)
		}
	}

	for k, p := range byPhase["W1"] {
		n := cfg.N
		for op, want := range map[string]int{"create": n, "incoming": 2 * n, "reply": 2 * n} {
			if got := p.Ops[op].Count; got != want {
				t.Errorf("W1 C=%d %s count = %d, want %d", p.C, op, got, want)
			}
		}
		if p.MessagesPerS <= 0 || p.Requests != 5*n {
			t.Errorf("W1 C=%d: %d requests at %v msg/s, want %d at > 0", p.C, p.Requests, p.MessagesPerS, 5*n)
		}
		wantReplies := 2 * n * (k + 1) // cumulative over levels
		if p.OutboxDrainMS == nil || p.RepliesDelivered != wantReplies || p.RepliesExpected != wantReplies {
			t.Errorf("W1 C=%d outbox: drain %v, delivered %d/%d, want %d/%d",
				p.C, p.OutboxDrainMS, p.RepliesDelivered, p.RepliesExpected, wantReplies, wantReplies)
		}
	}

	for _, p := range byPhase["W2"] {
		if p.Ops["list"].Count == 0 || p.Ops["open"].Count == 0 || p.RequestsPS <= 0 {
			t.Errorf("W2 C=%d: list %d, open %d, %v req/s: want all > 0", p.C, p.Ops["list"].Count, p.Ops["open"].Count, p.RequestsPS)
		}
	}

	for _, p := range byPhase["W3"] {
		if len(p.Checks) != len(w3Kinds) {
			t.Fatalf("W3 C=%d checks = %+v, want one per kind", p.C, p.Checks)
		}
		for _, ck := range p.Checks {
			if ck.Mismatches != 0 {
				t.Errorf("W3 C=%d %s: %d mismatches (expected %s, got %s)", p.C, ck.Kind, ck.Mismatches, ck.Expected, ck.Got)
			}
			if got := p.Ops[ck.Kind].Count; got != cfg.w3PerKind {
				t.Errorf("W3 C=%d %s: %d queries, want %d", p.C, ck.Kind, got, cfg.w3PerKind)
			}
			switch ck.Kind {
			case "common", "rare":
				if ck.Expected == "0" {
					t.Errorf("W3 %s probe expects 0 results: the check proves nothing", ck.Kind)
				}
			case "absent":
				if ck.Expected != "0" {
					t.Errorf("W3 absent probe expects %s, want 0", ck.Expected)
				}
			}
		}
	}

	for _, p := range byPhase["W4"] {
		if got := p.Ops["arrival"].Count; got != cfg.w4Count {
			t.Errorf("W4 %s: %d arrivals, want %d", p.Label, got, cfg.w4Count)
		}
	}
	if loaded := byPhase["W4"][1]; loaded.Label != "under_load" || loaded.BackgroundMessagesPerS <= 0 {
		t.Errorf("W4 second run = %q at %v background msg/s, want under_load with load", loaded.Label, loaded.BackgroundMessagesPerS)
	}

	b, err := os.ReadFile(cfg.OutFile)
	if err != nil {
		t.Fatal(err)
	}
	var js struct {
		Phases []struct {
			Phase string                        `json:"phase"`
			C     int                           `json:"c"`
			Ops   map[string]map[string]float64 `json:"ops"`
		} `json:"phases"`
		Target string `json:"target"`
		Note   string `json:"note"`
		N      int    `json:"n"`
	}
	if err := json.Unmarshal(b, &js); err != nil {
		t.Fatalf("report JSON: %v", err)
	}
	if len(js.Phases) != len(rep.Phases) || js.Note != sharedCoresNote || js.N != cfg.N || js.Target != cfg.Target {
		t.Errorf("report JSON = %d phases, note %q, n %d, target %q", len(js.Phases), js.Note, js.N, js.Target)
	}
	if _, ok := js.Phases[0].Ops["create"]["p99_ms"]; !ok {
		t.Errorf("report JSON W1 ops lack create.p99_ms: %v", js.Phases[0].Ops)
	}
	for _, want := range []string{"outbox drained", "check rare", "total msg", "p99 ms"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q", want)
		}
	}
}

// A later invocation without W1 must find conversations by paging the list
// and still check the same data set.
func TestRunWithoutW1UsesEarlierData(t *testing.T) {
	f := newFakeServer(t, "secret", nil)
	cfg := testConfig(f.srv.URL)
	cfg.Phases = []string{"W1"}
	if _, err := Run(context.Background(), cfg, &bytes.Buffer{}); err != nil {
		t.Fatalf("Run W1: %v", err)
	}
	cfg.Phases = []string{"W2", "W3"}
	var out bytes.Buffer
	rep, err := Run(context.Background(), cfg, &out)
	if err != nil {
		t.Fatalf("Run W2,W3: %v", err)
	}
	for _, p := range rep.Phases {
		if p.Errors != 0 {
			t.Errorf("%s C=%d: %d errors %q\n%s", p.Phase, p.C, p.Errors, p.ErrorSamples, out.String())
		}
	}
	if len(rep.Phases) != 4 {
		t.Errorf("got %d results, want 4", len(rep.Phases))
	}
}

// W3 must report wrong result counts as errors, and W1 a stuck outbox as a
// timed-out drain without failing the run.
func TestRunReportsFailures(t *testing.T) {
	var hidden string
	f := newFakeServer(t, "secret", func(f *fakeServer) {
		hidden = newDataset(9, 60).Probes.Rare
		f.hide = hidden
		f.noOutbox = true
	})
	cfg := testConfig(f.srv.URL)
	cfg.N = 60
	cfg.C = []int{3}
	cfg.Phases = []string{"W1", "W3"}
	cfg.drainTimeout = 100 * time.Millisecond
	var out bytes.Buffer
	rep, err := Run(context.Background(), cfg, &out)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	w1, w3 := rep.Phases[0], rep.Phases[1]
	if !w1.OutboxDrainTimedOut || w1.OutboxDrainMS != nil || w1.RepliesDelivered != 0 {
		t.Errorf("W1 drain: timed out %v, drain %v, delivered %d; want a timeout with 0 delivered",
			w1.OutboxDrainTimedOut, w1.OutboxDrainMS, w1.RepliesDelivered)
	}
	var rare Check
	for _, ck := range w3.Checks {
		if ck.Kind == "rare" {
			rare = ck
		} else if ck.Mismatches != 0 {
			t.Errorf("W3 %s: %d mismatches, want 0", ck.Kind, ck.Mismatches)
		}
	}
	if rare.Query != hidden || rare.Mismatches != cfg.w3PerKind || rare.Got != "0" {
		t.Errorf("W3 rare check = %+v, want %d mismatches for %q with 0 results", rare, cfg.w3PerKind, hidden)
	}
	if w3.Ops["rare"].Errors != cfg.w3PerKind || w3.Errors != cfg.w3PerKind {
		t.Errorf("W3 errors = %d (rare %d), want %d", w3.Errors, w3.Ops["rare"].Errors, cfg.w3PerKind)
	}
	if !strings.Contains(out.String(), "MISMATCH") || !strings.Contains(out.String(), "NOT drained") {
		t.Errorf("table does not flag the failures:\n%s", out.String())
	}
}

func TestRunRefusesBadTokenAndRemoteTarget(t *testing.T) {
	f := newFakeServer(t, "secret", nil)
	cfg := testConfig(f.srv.URL)
	cfg.Token = "wrong"
	if _, err := Run(context.Background(), cfg, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("Run with a bad token: error %v, want a 401", err)
	}
	cfg = testConfig("http://example.com:8080")
	if _, err := Run(context.Background(), cfg, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("Run against a remote target: error %v, want a loopback refusal", err)
	}
}
