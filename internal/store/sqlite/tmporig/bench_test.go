package sqlite_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/store/sqlite/tmporig"
)

// benchFixture is an inbox with conversations to write into.
type benchFixture struct {
	inbox *desk.Inbox
	convs []*desk.Conversation
}

func newBenchFixture(b testing.TB, s desk.Store, conversations int) *benchFixture {
	ctx := context.Background()
	f := &benchFixture{inbox: &desk.Inbox{Name: "web", Channel: desk.ChannelWebChat, PublicKey: "web"}}
	if err := s.CreateInbox(ctx, f.inbox); err != nil {
		b.Fatal(err)
	}
	err := s.InTx(ctx, func(tx desk.Store) error {
		for i := range conversations {
			c := &desk.Contact{Name: fmt.Sprintf("Klant %d", i), Email: fmt.Sprintf("klant%d@example.nl", i)}
			if err := tx.CreateContact(ctx, c); err != nil {
				return err
			}
			cv := &desk.Conversation{InboxID: f.inbox.ID, Channel: f.inbox.Channel, ContactID: c.ID,
				Status: desk.StatusOpen, Priority: desk.PriorityNone}
			if err := tx.CreateConversation(ctx, cv); err != nil {
				return err
			}
			f.convs = append(f.convs, cv)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return f
}

// ingest is what conversation.Ingest asks of the store for one inbound
// message: dedupe by external id, store the message, bump the conversation,
// queue a webhook.
func ingest(ctx context.Context, tx desk.Store, cv *desk.Conversation, n int64) error {
	ext := "ext-" + strconv.FormatInt(n, 10)
	if _, err := tx.MessageByExternalID(ctx, cv.InboxID, ext); err == nil {
		return nil
	}
	now := time.Now()
	m := &desk.Message{ConversationID: cv.ID, Kind: desk.KindMessage, Sender: desk.SenderContact, SenderID: cv.ContactID,
		Body:       "Hallo, mijn bestelling " + strconv.FormatInt(100000+n, 10) + " is nog niet binnen. Kunt u kijken waar het pakket is?",
		ExternalID: ext, CreatedAt: now}
	if err := tx.CreateMessage(ctx, m); err != nil {
		return err
	}
	c := *cv
	c.LastActivityAt, c.LastMessage, c.UpdatedAt = now, m.Body[:40], now
	if err := tx.UpdateConversation(ctx, &c); err != nil {
		return err
	}
	return tx.EnqueueOutbox(ctx, &desk.OutboxItem{Kind: desk.OutboxWebhook, Target: 1, Payload: []byte(`{"message":1}`),
		IdempotencyKey: "wh-" + ext})
}

// BenchmarkInTxConcurrent measures ingest throughput with many concurrent
// callers, which group commit folds into few transactions.
func BenchmarkInTxConcurrent(b *testing.B) {
	s := openTemp(b)
	defer s.Close()
	f := newBenchFixture(b, s, 1000)
	var seq atomic.Int64
	b.SetParallelism(64) // HTTP handlers: many more goroutines than cores
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			n := seq.Add(1)
			cv := f.convs[n%int64(len(f.convs))]
			if err := s.InTx(ctx, func(tx desk.Store) error { return ingest(ctx, tx, cv, n) }); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
	txs, commits := s.Stats()
	b.ReportMetric(float64(txs)/float64(max(commits, 1)), "tx/commit")
}

// BenchmarkCreateMessage measures one caller writing messages one by one:
// every message is its own commit.
func BenchmarkCreateMessage(b *testing.B) {
	s := openTemp(b)
	defer s.Close()
	f := newBenchFixture(b, s, 10)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		cv := f.convs[i%len(f.convs)]
		m := &desk.Message{ConversationID: cv.ID, Kind: desk.KindMessage, Sender: desk.SenderContact,
			SenderID: cv.ContactID, Body: "Waar blijft mijn bestelling " + strconv.Itoa(i) + "?"}
		if err := s.CreateMessage(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// Search and list over a large database. The size comes from
// BALIE_BENCH_MESSAGES (default 100000); building it takes a while, so the
// database is kept in BALIE_BENCH_DB when that is set.
func bigStore(b *testing.B) (*sqlite.Store, int) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("BALIE_BENCH_MESSAGES")); err == nil && v > 0 {
		n = v
	}
	path := os.Getenv("BALIE_BENCH_DB")
	if path == "" {
		path = b.TempDir() + "/big.db"
	}
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	have, err := s.CountConversations(context.Background(), desk.ConversationQuery{})
	if err != nil {
		b.Fatal(err)
	}
	if have == 0 {
		start := time.Now()
		fill(b, s, n)
		b.Logf("filled %d messages in %v", n, time.Since(start))
	}
	return s, n
}

var words = strings.Fields(`bestelling pakket levering factuur retour betaling rekening adres klacht
	account wachtwoord inloggen printer scherm kapot garantie abonnement opzeggen korting bon winkel
	order parcel delivery invoice refund payment address complaint password login broken warranty
	vandaag morgen gisteren week maand graag snel nog niet wel waar wanneer hoe waarom`)

func fill(b *testing.B, s desk.Store, messages int) {
	ctx := context.Background()
	in := &desk.Inbox{Name: "web", Channel: desk.ChannelWebChat, PublicKey: "web"}
	if err := s.CreateInbox(ctx, in); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const perConv = 10
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	statuses := []desk.Status{desk.StatusOpen, desk.StatusResolved, desk.StatusResolved, desk.StatusPending}
	for done := 0; done < messages; {
		err := s.InTx(ctx, func(tx desk.Store) error {
			for range 500 {
				c := &desk.Contact{Name: fmt.Sprintf("Klant %d", done)}
				if err := tx.CreateContact(ctx, c); err != nil {
					return err
				}
				at := base.Add(time.Duration(done) * time.Minute)
				cv := &desk.Conversation{InboxID: in.ID, Channel: in.Channel, ContactID: c.ID,
					Status: statuses[rng.IntN(len(statuses))], Priority: desk.PriorityNone,
					AssigneeID: int64(rng.IntN(20)), TeamID: int64(rng.IntN(5)), LastActivityAt: at, CreatedAt: at}
				if err := tx.CreateConversation(ctx, cv); err != nil {
					return err
				}
				for range perConv {
					var sb strings.Builder
					for range 8 + rng.IntN(12) {
						sb.WriteString(words[int(float64(len(words))*rng.Float64()*rng.Float64())])
						sb.WriteByte(' ')
					}
					sb.WriteString("ORD-" + strconv.Itoa(1_000_000+done))
					m := &desk.Message{ConversationID: cv.ID, Kind: desk.KindMessage, Sender: desk.SenderContact,
						SenderID: c.ID, Body: sb.String(), CreatedAt: at}
					if err := tx.CreateMessage(ctx, m); err != nil {
						return err
					}
					done++
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSearch(b *testing.B) {
	s, n := bigStore(b)
	defer s.Close()
	for _, q := range []string{"bestelling", "printer kapot", "xylofoon", "ORD-" + strconv.Itoa(1_000_000+n/2), "klant 77", "waarom garantie opzeggen"} {
		b.Run(q, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				if _, err := s.SearchConversations(ctx, desk.SearchQuery{Text: q}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkListConversations(b *testing.B) {
	s, _ := bigStore(b)
	defer s.Close()
	for _, tc := range []struct {
		name string
		q    desk.ConversationQuery
	}{
		{"all", desk.ConversationQuery{}},
		{"open", desk.ConversationQuery{Status: desk.StatusOpen}},
		{"mine open", desk.ConversationQuery{View: desk.ViewMine, AgentID: 3, Status: desk.StatusOpen}},
		{"unassigned open", desk.ConversationQuery{View: desk.ViewUnassigned, Status: desk.StatusOpen}},
		{"teams open", desk.ConversationQuery{View: desk.ViewMyTeams, TeamIDs: []int64{1, 2}, Status: desk.StatusOpen}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				page, err := s.ListConversations(ctx, tc.q)
				if err != nil {
					b.Fatal(err)
				}
				// The second page is what infinite scrolling asks next.
				q := tc.q
				q.After = page.Next
				if _, err := s.ListConversations(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
