// Package bench is the load generator behind `balie bench`: it plays the
// project's standard workload, BENCHMARK.md (W1 ingest, W2 read, W3 search,
// W4 realtime) against a running server over HTTP and WebSocket on loopback,
// exactly as a client would, and reports latency percentiles and throughput.
//
// It talks to the server only through the public API (docs/api.md), so it
// imports nothing from balie but the standard library and coder/websocket.
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sync/atomic"
	"time"
)

// Report is the outcome of one bench run; it is also the JSON written to
// Config.OutFile.
type Report struct {
	StartedAt time.Time     `json:"started_at"`
	Target    string        `json:"target"`
	N         int           `json:"n"`
	Seed      int64         `json:"seed"`
	Note      string        `json:"note"`
	Phases    []PhaseResult `json:"phases"`
}

// PhaseResult is one phase at one concurrency level.
type PhaseResult struct {
	Phase string `json:"phase"`
	// Label distinguishes runs of one phase at one level (W4: idle, under_load).
	Label      string  `json:"label,omitempty"`
	C          int     `json:"c"`
	WallMS     float64 `json:"wall_ms"`
	Requests   int     `json:"requests"`
	RequestsPS float64 `json:"requests_per_s"`
	// MessagesPerS is W1's figure: successful message requests per second.
	MessagesPerS float64 `json:"messages_per_s,omitempty"`
	Errors       int     `json:"errors"`
	// OutboxDrainMS is W1's time from the last answer until the sink had every
	// reply; nil with OutboxDrainTimedOut when it did not happen in time.
	OutboxDrainMS       *float64 `json:"outbox_drain_ms,omitempty"`
	OutboxDrainTimedOut bool     `json:"outbox_drain_timed_out,omitempty"`
	RepliesDelivered    int      `json:"replies_delivered,omitempty"`
	RepliesExpected     int      `json:"replies_expected,omitempty"`
	// BackgroundMessagesPerS is the ingest rate W4 ran under (under_load).
	BackgroundMessagesPerS float64            `json:"background_messages_per_s,omitempty"`
	Ops                    map[string]OpStats `json:"ops"`
	// Checks are W3's expected-versus-got result counts.
	Checks       []Check  `json:"checks,omitempty"`
	ErrorSamples []string `json:"error_samples,omitempty"`
}

// Check is one W3 query kind's result-count verification.
type Check struct {
	Kind       string `json:"kind"`
	Query      string `json:"query,omitempty"`
	Expected   string `json:"expected"`
	Got        string `json:"got"`
	Mismatches int    `json:"mismatches"`
}

const sharedCoresNote = "load client shares the machine's cores with the server"

// state is what phases hand on to later phases of one run.
type state struct {
	cfg  Config
	cl   *client
	out  io.Writer
	data *Dataset

	sink    *sink
	inboxID int64

	// convIDs[i] is the server id of data set conversation i (0: not created);
	// posted[i] has bit s set when step s was accepted. Each entry is written
	// by the one W1 client that plays that conversation.
	convIDs []int64
	posted  []uint8
	w1Ran   bool
	// repliesOK counts accepted agent replies, all of which must reach the sink.
	repliesOK atomic.Int64
}

// Run plays the configured phases against cfg.Target, printing a table to
// out as phases finish. The returned report holds whatever completed, also
// when the error is non-nil.
func Run(ctx context.Context, cfg Config, out io.Writer) (*Report, error) {
	cfg, err := cfg.normalized()
	if err != nil {
		return nil, err
	}
	rep := &Report{
		StartedAt: time.Now().UTC(),
		Target:    cfg.Target,
		N:         cfg.N,
		Seed:      cfg.Seed,
		Note:      sharedCoresNote,
	}
	maxC := w4BackgroundC
	for _, p := range allPhases {
		maxC = max(maxC, slices.Max(append([]int{1}, cfg.levels(p)...)))
	}
	st := &state{cfg: cfg, out: out, cl: newClient(cfg.Target, cfg.Token, maxC)}
	defer st.cl.close()

	// The data set covers every W1 level: level k plays conversations
	// [k*N, (k+1)*N), so levels never repeat an order number.
	total := cfg.N * len(cfg.levels("W1"))
	st.data = newDataset(cfg.Seed, total)
	st.convIDs = make([]int64, total)
	st.posted = make([]uint8, total)

	fmt.Fprintf(out, "balie bench: target %s, n %d per level, seed %d (%s)\n", cfg.Target, cfg.N, cfg.Seed, sharedCoresNote)
	printHeader(out)
	err = st.run(ctx, rep)
	if st.sink != nil {
		st.sink.close()
	}
	if cfg.OutFile != "" {
		if werr := writeJSON(cfg.OutFile, rep); werr != nil && err == nil {
			err = werr
		}
	}
	return rep, err
}

func (st *state) run(ctx context.Context, rep *Report) error {
	needInbox := slices.Contains(st.cfg.Phases, "W1") || slices.Contains(st.cfg.Phases, "W4")
	if needInbox {
		if err := st.setup(ctx); err != nil {
			return err
		}
	}
	for _, p := range st.cfg.Phases {
		var results []PhaseResult
		var err error
		switch p {
		case "W1":
			results, err = st.runW1(ctx)
		case "W2":
			results, err = st.runW2(ctx)
		case "W3":
			results, err = st.runW3(ctx)
		case "W4":
			results, err = st.runW4(ctx)
		}
		rep.Phases = append(rep.Phases, results...)
		if err != nil {
			return fmt.Errorf("bench: %s: %w", p, err)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("bench: %s: %w", p, err)
		}
	}
	return nil
}

// setup starts the reply sink and creates the api inbox that sends agent
// replies to it.
func (st *state) setup(ctx context.Context) error {
	s, err := startSink()
	if err != nil {
		return err
	}
	st.sink = s
	name := fmt.Sprintf("bench %s %s", st.data.Tag, time.Now().UTC().Format("2006-01-02T15:04:05Z"))
	st.inboxID, err = st.cl.createInbox(ctx, name, s.url)
	return err
}

func writeJSON(path string, rep *Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("bench: write report: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("bench: write report: %w", err)
	}
	return nil
}

// createdIDs returns the server ids of conversations W1 created in this run.
func (st *state) createdIDs() []int64 {
	var ids []int64
	for _, id := range st.convIDs {
		if id != 0 {
			ids = append(ids, id)
		}
	}
	return ids
}
