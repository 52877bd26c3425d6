package postgres

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// BenchmarkSearch measures SearchConversations and ListConversations on a
// synthetic data set: BALIE_BENCH_MESSAGES messages (default 100000) over a
// tenth as many conversations, words drawn from a skewed vocabulary of 20000.
// Seeding a million messages takes a minute or so.
func BenchmarkSearch(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("BALIE_BENCH_MESSAGES")); err == nil && v > 0 {
		n = v
	}
	s, _ := openFresh(b)
	defer s.Close()
	ctx := b.Context()
	start := time.Now()
	seed := []string{
		`INSERT INTO inboxes (name, channel, public_key, created_at) VALUES ('web', 'webchat', 'web', now())`,
		`INSERT INTO contacts (name, email, phone, name_terms, created_at, updated_at)
			SELECT 'Klant ' || g, 'klant' || g || '@example.com', '+316' || lpad(g::text, 8, '0'),
				array_to_tsvector(ARRAY['klant', g::text]), now(), now()
			FROM generate_series(1, $1::int / 100) g`,
		`INSERT INTO conversations (inbox_id, channel, contact_id, status, last_activity_at, created_at, updated_at)
			SELECT 1, 'webchat', 1 + g % ($1::int / 100),
				(ARRAY['open', 'pending', 'resolved', 'resolved'])[1 + g % 4],
				now() - g * interval '1 minute', now(), now()
			FROM generate_series(1, $1::int / 10) g`,
		`INSERT INTO messages (conversation_id, inbox_id, kind, sender, body, terms, created_at)
			SELECT 1 + g % ($1::int / 10), 1, 'message', 'contact', array_to_string(w, ' '), array_to_tsvector(w), now()
			FROM generate_series(1, $1::int) g,
			LATERAL (SELECT array_agg(DISTINCT 'w' || floor(power(random(), 3) * 20000)::int) AS w
				FROM generate_series(1, 12 + g * 0)) x`,
		`ANALYZE`,
	}
	for _, q := range seed {
		var args []any
		if strings.Contains(q, "$1") {
			args = []any{n}
		}
		if _, err := s.q.Exec(ctx, q, args...); err != nil {
			b.Fatalf("seed: %v\n%s", err, q)
		}
	}
	b.Logf("seeded %d messages in %v", n, time.Since(start).Round(time.Millisecond))

	for _, tc := range []struct{ name, text string }{
		{"absent word", "xylofoon"},
		{"rare word", "w19999"},
		{"common word", "w0"},
		{"two words", "w0 w1"},
		{"email", "klant77@example.com"},
		{"phone", "+31600000077"},
	} {
		b.Run("search "+tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.SearchConversations(ctx, desk.SearchQuery{Text: tc.text}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, tc := range []struct {
		name string
		q    desk.ConversationQuery
	}{
		{"all", desk.ConversationQuery{}},
		{"open", desk.ConversationQuery{Status: desk.StatusOpen}},
		{"unassigned open", desk.ConversationQuery{View: desk.ViewUnassigned, Status: desk.StatusOpen}},
		{"deep cursor", desk.ConversationQuery{Status: desk.StatusOpen,
			After: &desk.Cursor{At: time.Now().Add(-time.Duration(n/20) * time.Minute), ID: int64(n / 20)}}},
	} {
		b.Run("list "+tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.ListConversations(ctx, tc.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
