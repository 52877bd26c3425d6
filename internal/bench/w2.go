package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// W2 read: for Duration per level, every client alternates (a) the first page
// of open conversations ("list") and (b) opening a random conversation: the
// conversation and its messages, timed together as "open". Requests/s counts
// HTTP requests (an open is two).

const listFirstPage = "/conversations?view=all&status=open&limit=50"

// w2MaxIDs bounds the ids fetched when W1 did not run in this invocation.
const w2MaxIDs = 10_000

func (st *state) runW2(ctx context.Context) ([]PhaseResult, error) {
	ids := st.createdIDs()
	if len(ids) == 0 {
		var err error
		if ids, err = st.cl.listConversationIDs(ctx, w2MaxIDs); err != nil {
			return nil, err
		}
	}
	if len(ids) == 0 {
		return nil, errors.New("no conversations to read: run W1 first")
	}
	var results []PhaseResult
	for _, c := range st.cfg.levels("W2") {
		res := st.runW2Level(ctx, c, ids)
		results = append(results, res)
		printResult(st.out, res)
		if err := ctx.Err(); err != nil {
			return results, err
		}
	}
	return results, nil
}

func (st *state) runW2Level(ctx context.Context, c int, ids []int64) PhaseResult {
	rec := newRecorder()
	runCtx, cancel := context.WithTimeout(ctx, st.cfg.Duration)
	defer cancel()
	var mu sync.Mutex
	requests := 0
	var wg sync.WaitGroup
	start := time.Now()
	for w := range c {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(st.cfg.Seed), uint64(1000+w)))
			n := 0
			for runCtx.Err() == nil {
				n += st.readList(runCtx, rec)
				if runCtx.Err() != nil {
					break
				}
				n += st.readConversation(runCtx, rec, ids[rng.IntN(len(ids))])
			}
			mu.Lock()
			requests += n
			mu.Unlock()
		})
	}
	wg.Wait()
	wall := time.Since(start)
	res := newResult("W2", "", c, rec, wall)
	// Count HTTP requests rather than operations: "open" is two of them.
	res.Requests = requests
	res.RequestsPS = round3(float64(requests) / wall.Seconds())
	return res
}

// readList fetches the first page of open conversations and returns the
// number of successful requests. Requests cut off by the end of the phase
// are not counted as errors.
func (st *state) readList(ctx context.Context, rec *recorder) int {
	var page convList
	lat, err := st.cl.do(ctx, http.MethodGet, listFirstPage, nil, &page)
	switch {
	case ctx.Err() != nil:
		return 0
	case err != nil:
		rec.fail("list", err)
		return 0
	}
	rec.ok("list", lat)
	return 1
}

func (st *state) readConversation(ctx context.Context, rec *recorder, id int64) int {
	var conv idOnly
	lat1, err := st.cl.do(ctx, http.MethodGet, fmt.Sprintf("/conversations/%d", id), nil, &conv)
	if ctx.Err() != nil {
		return 0
	}
	if err == nil && conv.ID != id {
		err = fmt.Errorf("GET /conversations/%d: answered conversation %d", id, conv.ID)
	}
	if err != nil {
		rec.fail("open", err)
		return 0
	}
	var msgs struct {
		Items []idOnly `json:"items"`
	}
	lat2, err := st.cl.do(ctx, http.MethodGet, fmt.Sprintf("/conversations/%d/messages", id), nil, &msgs)
	if ctx.Err() != nil {
		return 1
	}
	if err == nil && len(msgs.Items) == 0 {
		err = fmt.Errorf("GET /conversations/%d/messages: no messages", id)
	}
	if err != nil {
		rec.fail("open", err)
		return 1
	}
	rec.ok("open", lat1+lat2)
	return 2
}
