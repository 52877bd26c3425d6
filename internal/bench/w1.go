package bench

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// W1 ingest: each closed-loop client takes the next conversation of the data
// set and plays its five steps in order. Every level gets its own N
// conversations (not a share of N), so levels are comparable.

// playConversation opens conv and posts its remaining steps. It returns the
// server's conversation id (0 if opening failed) and a bit mask of the steps
// the server accepted. After a failed step the conversation goes on: later
// messages still make sense to the server.
func (st *state) playConversation(ctx context.Context, rec *recorder, conv *Conversation) (int64, uint8) {
	var created createConvResp
	lat, err := st.cl.do(ctx, http.MethodPost, "/conversations", createConvReq{
		InboxID: st.inboxID,
		Contact: contactIn{Name: conv.Contact.Name, Email: conv.Contact.Email, Phone: conv.Contact.Phone},
		Message: messageIn{Body: conv.Bodies[0]},
	}, &created)
	if err == nil && created.Conversation.ID == 0 {
		err = fmt.Errorf("POST /conversations: answer has no conversation id")
	}
	if err != nil {
		if ctx.Err() == nil {
			rec.fail("create", err)
		}
		return 0, 0
	}
	rec.ok("create", lat)
	posted := uint8(1)
	path := fmt.Sprintf("/conversations/%d/messages", created.Conversation.ID)
	for s := 1; s < stepsPerConversation; s++ {
		op, typ := "incoming", "incoming"
		if agentStep(s) {
			op, typ = "reply", "reply"
		}
		var msg idOnly
		lat, err := st.cl.do(ctx, http.MethodPost, path, postMessageReq{Type: typ, Body: conv.Bodies[s]}, &msg)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			rec.fail(op, err)
			continue
		}
		rec.ok(op, lat)
		posted |= 1 << s
		if agentStep(s) {
			st.repliesOK.Add(1)
		}
	}
	return created.Conversation.ID, posted
}

func (st *state) runW1(ctx context.Context) ([]PhaseResult, error) {
	var results []PhaseResult
	for k, c := range st.cfg.levels("W1") {
		lo, hi := k*st.cfg.N, (k+1)*st.cfg.N
		res := st.runW1Level(ctx, c, lo, hi)
		results = append(results, res)
		printResult(st.out, res)
		if err := ctx.Err(); err != nil {
			return results, err
		}
	}
	st.w1Ran = true
	return results, nil
}

func (st *state) runW1Level(ctx context.Context, c, lo, hi int) PhaseResult {
	rec := newRecorder()
	var next atomic.Int64
	next.Store(int64(lo))
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= hi {
					return
				}
				st.convIDs[i], st.posted[i] = st.playConversation(ctx, rec, &st.data.Convs[i])
			}
		})
	}
	wg.Wait()
	// The last answer has been read: the outbox drain runs from here.
	end := time.Now()
	// Every accepted reply so far (cumulative over levels) must reach the sink.
	want := int(st.repliesOK.Load())
	drained := st.sink.waitFor(ctx, want, st.cfg.drainTimeout)
	drainTime := time.Since(end)

	res := newResult("W1", "", c, rec, end.Sub(start))
	res.MessagesPerS = res.RequestsPS
	res.RepliesExpected = want
	if drained {
		d := ms(drainTime)
		res.OutboxDrainMS = &d
	} else {
		res.OutboxDrainTimedOut = true
	}
	res.RepliesDelivered = st.sink.received()
	return res
}

// newResult fills the common fields of a phase result from a recorder.
func newResult(phase, label string, c int, rec *recorder, wall time.Duration) PhaseResult {
	ops, okTotal, errTotal, samples := rec.summary(wall)
	res := PhaseResult{
		Phase:        phase,
		Label:        label,
		C:            c,
		WallMS:       ms(wall),
		Requests:     okTotal,
		Errors:       errTotal,
		Ops:          ops,
		ErrorSamples: samples,
	}
	if wall > 0 {
		res.RequestsPS = round3(float64(okTotal) / wall.Seconds())
	}
	return res
}
