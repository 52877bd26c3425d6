package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// W4 realtime: an agent WebSocket is subscribed while cfg.w4Count customer
// messages arrive cfg.w4Interval apart, first on an idle server, then while a
// W1-shaped ingest load runs in the background. "api" is the POST's latency;
// "arrival" runs from when the POST's answer was read (the message is then
// accepted) to when the reader goroutine received its message.created event.
// An event that beats the answer counts as 0 ms.

// arrivals records when each message id was first seen on the WebSocket.
type arrivals struct {
	mu sync.Mutex
	at map[int64]time.Time
}

func (a *arrivals) record(id int64, t time.Time) {
	a.mu.Lock()
	if _, ok := a.at[id]; !ok {
		a.at[id] = t
	}
	a.mu.Unlock()
}

func (a *arrivals) get(id int64) (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, ok := a.at[id]
	return t, ok
}

// realtimeEvent is the part of a WebSocket event the bench reads.
type realtimeEvent struct {
	Type    string `json:"type"`
	Message struct {
		ID int64 `json:"id"`
	} `json:"message"`
}

// w4ProbeBody is the text of the probe messages: vocabulary words only, so
// W3's expected counts stay true when W3 runs after W4 on the same server.
const w4ProbeBody = "hallo ik wacht nog op mijn pakket kunt u even kijken waar het is thanks"

func (st *state) runW4(ctx context.Context) ([]PhaseResult, error) {
	ids, err := st.w4Conversations(ctx)
	if err != nil {
		return nil, err
	}
	arr := &arrivals{at: map[int64]time.Time{}}
	conn, err := st.dialRealtime(ctx)
	if err != nil {
		return nil, err
	}
	readCtx, stopRead := context.WithCancel(ctx)
	var readers sync.WaitGroup
	readers.Go(func() { readEvents(readCtx, conn, arr) })
	defer func() {
		stopRead()
		conn.CloseNow()
		readers.Wait()
	}()

	// The server registers the socket just after the handshake: a message
	// posted in between would never arrive. One unmeasured message whose
	// event comes back proves the subscription is live.
	if err := st.w4WarmUp(ctx, ids[0], arr); err != nil {
		return nil, err
	}
	idle := st.w4Probe(ctx, "idle", ids, arr)
	printResult(st.out, idle)
	results := []PhaseResult{idle}
	if err := ctx.Err(); err != nil {
		return results, err
	}

	loaded := st.w4UnderLoad(ctx, ids, arr)
	printResult(st.out, loaded)
	return append(results, loaded), ctx.Err()
}

// w4Conversations picks the conversations the probe messages go to: W1's, or
// the newest ones on the server, or one the bench opens itself.
func (st *state) w4Conversations(ctx context.Context) ([]int64, error) {
	if ids := st.createdIDs(); len(ids) > 0 {
		return ids, nil
	}
	ids, err := st.cl.listConversationIDs(ctx, 100)
	if err != nil || len(ids) > 0 {
		return ids, err
	}
	// Far past the background load's numbering, so nothing collides.
	g := newGenerator(st.cfg.Seed, 3, len(st.data.Convs)+50_000_000)
	conv, _, _ := g.next()
	var created createConvResp
	if _, err := st.cl.do(ctx, http.MethodPost, "/conversations", createConvReq{
		InboxID: st.inboxID,
		Contact: contactIn{Name: conv.Contact.Name, Email: conv.Contact.Email, Phone: conv.Contact.Phone},
		Message: messageIn{Body: w4ProbeBody},
	}, &created); err != nil {
		return nil, fmt.Errorf("open a conversation: %w", err)
	}
	return []int64{created.Conversation.ID}, nil
}

func (st *state) dialRealtime(ctx context.Context) (*websocket.Conn, error) {
	u := "ws" + strings.TrimPrefix(st.cl.base, "http") + "/realtime"
	dialCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(dialCtx, u, &websocket.DialOptions{
		HTTPClient: st.cl.hc,
		HTTPHeader: http.Header{"Authorization": {"Bearer " + st.cl.token}},
	})
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", u, err)
	}
	// Events carry a conversation and a message; 4 MiB is ample.
	conn.SetReadLimit(4 << 20)
	return conn, nil
}

// readEvents stamps every message.created event on arrival, before decoding
// anything else, until the connection or ctx ends.
func readEvents(ctx context.Context, conn *websocket.Conn, arr *arrivals) {
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			return
		}
		now := time.Now()
		var ev realtimeEvent
		if json.Unmarshal(data, &ev) != nil || ev.Type != "message.created" || ev.Message.ID == 0 {
			continue
		}
		arr.record(ev.Message.ID, now)
	}
}

// w4Probe sends the probe messages on a fixed schedule (a slow answer delays
// only the next send, never the schedule after it) and matches their events.
func (st *state) w4WarmUp(ctx context.Context, conv int64, arr *arrivals) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		var msg idOnly
		_, err := st.cl.do(ctx, http.MethodPost, fmt.Sprintf("/conversations/%d/messages", conv),
			postMessageReq{Type: "incoming", Body: w4ProbeBody}, &msg)
		if err != nil {
			return fmt.Errorf("bench: W4 warm-up: %w", err)
		}
		for wait := time.Now().Add(time.Second); time.Now().Before(wait); time.Sleep(5 * time.Millisecond) {
			if _, ok := arr.get(msg.ID); ok {
				return nil
			}
		}
	}
	return fmt.Errorf("bench: W4 warm-up: no message.created event on the WebSocket within 30s")
}

func (st *state) w4Probe(ctx context.Context, label string, ids []int64, arr *arrivals) PhaseResult {
	rec := newRecorder()
	type sent struct {
		id       int64
		accepted time.Time
	}
	var sentMsgs []sent
	start := time.Now()
	for i := range st.cfg.w4Count {
		wait := time.Until(start.Add(time.Duration(i) * st.cfg.w4Interval))
		if wait > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		}
		if ctx.Err() != nil {
			break
		}
		conv := ids[i%len(ids)]
		var msg idOnly
		lat, err := st.cl.do(ctx, http.MethodPost, fmt.Sprintf("/conversations/%d/messages", conv),
			postMessageReq{Type: "incoming", Body: w4ProbeBody}, &msg)
		accepted := time.Now()
		if err == nil && msg.ID == 0 {
			err = errors.New("answer has no message id")
		}
		if err != nil {
			if ctx.Err() == nil {
				rec.fail("api", err)
			}
			continue
		}
		rec.ok("api", lat)
		sentMsgs = append(sentMsgs, sent{id: msg.ID, accepted: accepted})
	}
	sendWall := time.Since(start)
	// Give late events a moment, then score every accepted message.
	deadline := time.Now().Add(st.cfg.w4Settle)
	for _, s := range sentMsgs {
		for {
			at, ok := arr.get(s.id)
			if ok {
				rec.ok("arrival", max(0, at.Sub(s.accepted)))
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				rec.fail("arrival", fmt.Errorf("message %d: no message.created event within %s", s.id, st.cfg.w4Settle))
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	// Requests and rates cover the POSTs only; arrivals are not requests.
	res := newResult("W4", label, 1, rec, sendWall)
	res.Requests = res.Ops["api"].Count
	res.RequestsPS = res.Ops["api"].PerS
	if a, ok := res.Ops["arrival"]; ok {
		a.PerS = 0
		res.Ops["arrival"] = a
	}
	return res
}

// w4UnderLoad runs the probe while closed-loop clients ingest W1-shaped
// conversations (no probe words) until the probe is done.
func (st *state) w4UnderLoad(ctx context.Context, ids []int64, arr *arrivals) PhaseResult {
	bgCtx, stop := context.WithCancel(ctx)
	bgRec := newRecorder()
	g := backgroundGenerator(st.cfg.Seed, len(st.data.Convs))
	var genMu sync.Mutex
	var bgMsgs atomic.Int64
	var wg sync.WaitGroup
	bgStart := time.Now()
	for range w4BackgroundC {
		wg.Go(func() {
			for bgCtx.Err() == nil {
				genMu.Lock()
				conv, _, _ := g.next()
				genMu.Unlock()
				_, posted := st.playConversation(bgCtx, bgRec, &conv)
				for s := range stepsPerConversation {
					if posted&(1<<s) != 0 {
						bgMsgs.Add(1)
					}
				}
			}
		})
	}
	// Let the load reach a steady state before probing.
	select {
	case <-ctx.Done():
	case <-time.After(time.Second):
	}
	res := st.w4Probe(ctx, "under_load", ids, arr)
	stop()
	wg.Wait()
	bgWall := time.Since(bgStart)
	res.BackgroundMessagesPerS = round3(float64(bgMsgs.Load()) / bgWall.Seconds())
	bgOps, _, bgErrs, bgSamples := bgRec.summary(bgWall)
	for op, s := range bgOps {
		res.Ops["bg_"+op] = s
	}
	res.Errors += bgErrs
	res.ErrorSamples = append(res.ErrorSamples, bgSamples...)
	return res
}
