package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// W3 search: conversation search by contact email and by order number, and
// message search for the three probe words, each result count checked. Every
// level runs the same fixed list of queries (cfg.w3PerKind per kind,
// interleaved) so that levels compare like with like; a level that takes
// longer than cfg.w3MaxWall stops early (the counts show it) so a slow search
// cannot stall the run.

const searchLimit = 100

var w3Kinds = []string{"email", "order", "common", "rare", "absent"}

// w3Expect is what the queries of one kind must return.
type w3Expect struct {
	word  string // probes only
	count int    // probes: distinct conversations, capped at searchLimit
}

// w3Tally accumulates one kind's check over a level.
type w3Tally struct {
	mu         sync.Mutex
	mismatches int
	got        map[int]int // result count -> times seen
}

func (st *state) runW3(ctx context.Context) ([]PhaseResult, error) {
	// Candidates for email/order queries: conversations whose first message
	// (carrying the order number) the server accepted. Without W1 in this run,
	// assume an earlier run with the same seed and N filled the server.
	var candidates []int
	for i := range st.data.Convs {
		if !st.w1Ran || (st.convIDs[i] != 0 && st.posted[i]&1 != 0) {
			candidates = append(candidates, i)
		}
	}
	if len(candidates) == 0 {
		return nil, errors.New("no conversations to search for: W1 created none")
	}
	posted := func(conv, step int) bool { return !st.w1Ran || st.posted[conv]&(1<<step) != 0 }
	expect := map[string]w3Expect{"email": {}, "order": {}}
	for kind, word := range map[string]string{
		"common": st.data.Probes.Common,
		"rare":   st.data.Probes.Rare,
		"absent": st.data.Probes.Absent,
	} {
		expect[kind] = w3Expect{word: word, count: min(searchLimit, st.data.ExpectedConversations(word, posted))}
	}
	var results []PhaseResult
	for _, c := range st.cfg.levels("W3") {
		res := st.runW3Level(ctx, c, candidates, expect)
		results = append(results, res)
		printResult(st.out, res)
		if err := ctx.Err(); err != nil {
			return results, err
		}
	}
	return results, nil
}

func (st *state) runW3Level(ctx context.Context, c int, candidates []int, expect map[string]w3Expect) PhaseResult {
	rec := newRecorder()
	tallies := map[string]*w3Tally{}
	for _, k := range w3Kinds {
		tallies[k] = &w3Tally{got: map[int]int{}}
	}
	jobs := st.cfg.w3PerKind * len(w3Kinds)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(st.cfg.w3MaxWall)
	for range c {
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) {
				j := int(next.Add(1) - 1)
				if j >= jobs {
					return
				}
				kind := w3Kinds[j%len(w3Kinds)]
				// The conversation a job asks for depends on the job only, so
				// every level sends the same queries.
				rng := rand.New(rand.NewPCG(uint64(st.cfg.Seed), uint64(j)))
				st.searchOnce(ctx, rec, tallies[kind], kind, candidates[rng.IntN(len(candidates))], expect[kind])
			}
		})
	}
	wg.Wait()
	res := newResult("W3", "", c, rec, time.Since(start))
	for _, kind := range w3Kinds {
		t := tallies[kind]
		ck := Check{Kind: kind, Mismatches: t.mismatches, Got: formatCounts(t.got)}
		switch kind {
		case "email", "order":
			ck.Expected = ">=1"
			if st.w1Ran {
				ck.Expected += ", including the conversation"
			}
		default:
			ck.Query = expect[kind].word
			ck.Expected = strconv.Itoa(expect[kind].count)
		}
		res.Checks = append(res.Checks, ck)
	}
	return res
}

func (st *state) searchOnce(ctx context.Context, rec *recorder, t *w3Tally, kind string, conv int, exp w3Expect) {
	q := exp.word
	switch kind {
	case "email":
		q = st.data.Convs[conv].Contact.Email
	case "order":
		q = st.data.Convs[conv].Order
	}
	var sr searchResp
	path := "/search?q=" + url.QueryEscape(q) + "&limit=" + strconv.Itoa(searchLimit)
	lat, err := st.cl.do(ctx, http.MethodGet, path, nil, &sr)
	if err != nil {
		if ctx.Err() == nil {
			rec.fail(kind, err)
		}
		return
	}
	// Count distinct conversations: that is what the expectation is about,
	// whether the server answers one item per conversation or per message.
	convs := map[int64]bool{}
	for _, it := range sr.Items {
		convs[it.Conversation.ID] = true
	}
	got := len(convs)
	var bad error
	switch kind {
	case "email", "order":
		want := st.convIDs[conv]
		switch {
		case got == 0:
			bad = fmt.Errorf("search %q: no results, want at least 1", q)
		case st.w1Ran && !convs[want]:
			bad = fmt.Errorf("search %q: conversation %d missing from %d results", q, want, got)
		}
	default:
		if got != exp.count {
			bad = fmt.Errorf("search %q: %d conversations, want %d", q, got, exp.count)
		}
	}
	t.mu.Lock()
	t.got[got]++
	if bad != nil {
		t.mismatches++
	}
	t.mu.Unlock()
	// A wrong answer is an error, but its latency is still a real sample.
	rec.ok(kind, lat)
	if bad != nil {
		rec.fail(kind, bad)
	}
}

// formatCounts renders result counts seen as "5" or "0 (3x), 5 (97x)".
func formatCounts(m map[int]int) string {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) == 1 {
		return strconv.Itoa(keys[0])
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d (%dx)", k, m[k])
	}
	return strings.Join(parts, ", ")
}
