package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/lang"
)

func TestOpenConcurrentlyMigratesOnce(t *testing.T) {
	dsn := freshSchema(t, testDSN(t))
	const nodes = 6
	var wg sync.WaitGroup
	errs := make([]error, nodes)
	for i := range nodes {
		wg.Go(func() {
			s, err := Open(t.Context(), dsn)
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: Open: %v", i, err)
		}
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	c, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var n, top int
	if err := c.QueryRow(t.Context(), `SELECT count(*), max(version) FROM schema_migrations`).Scan(&n, &top); err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	if n != len(ms) || top != ms[len(ms)-1].version {
		t.Errorf("schema_migrations has %d rows up to %d, want %d up to %d", n, top, len(ms), ms[len(ms)-1].version)
	}
}

func TestClaimOutboxAcrossNodes(t *testing.T) {
	first, dsn := openFresh(t)
	defer first.Close()
	ctx := t.Context()
	base := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	const items = 120
	var batch []*desk.OutboxItem
	for i := range items {
		batch = append(batch, &desk.OutboxItem{Kind: desk.OutboxWebhook, Target: int64(i),
			Payload: []byte(`{}`), IdempotencyKey: fmt.Sprint("k", i), NextAttemptAt: base})
	}
	if err := first.EnqueueOutbox(ctx, batch...); err != nil {
		t.Fatalf("EnqueueOutbox: %v", err)
	}

	// Four nodes, each with its own pool, claim until nothing is left.
	const nodes = 4
	claimed := make([][]int64, nodes)
	var wg sync.WaitGroup
	for n := range nodes {
		s, err := Open(ctx, dsn)
		if err != nil {
			t.Fatalf("Open node %d: %v", n, err)
		}
		defer s.Close()
		wg.Go(func() {
			for {
				got, err := s.ClaimOutbox(ctx, base, base.Add(time.Hour), 7)
				if err != nil {
					t.Errorf("node %d: ClaimOutbox: %v", n, err)
					return
				}
				if len(got) == 0 {
					return
				}
				for _, it := range got {
					claimed[n] = append(claimed[n], it.ID)
				}
			}
		})
	}
	wg.Wait()
	seen := map[int64]int{}
	for n, ids := range claimed {
		for _, id := range ids {
			if m, dup := seen[id]; dup {
				t.Errorf("item %d claimed by node %d and node %d", id, m, n)
			}
			seen[id] = n
		}
	}
	if len(seen) != items {
		t.Errorf("%d items claimed, want %d", len(seen), items)
	}
}

func TestTxRollsBackAndNests(t *testing.T) {
	s, _ := openFresh(t)
	defer s.Close()
	ctx := t.Context()
	boom := errors.New("boom")
	err := s.InTx(ctx, func(tx desk.Store) error {
		if err := tx.SetSetting(ctx, "outer", "1"); err != nil {
			return err
		}
		// A failed inner transaction undoes only its own writes.
		inner := tx.InTx(ctx, func(tx desk.Store) error {
			if err := tx.SetSetting(ctx, "inner", "1"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(inner, boom) {
			return fmt.Errorf("inner InTx = %v, want boom", inner)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("InTx: %v", err)
	}
	for _, tc := range []struct {
		key  string
		want error
	}{{"outer", nil}, {"inner", desk.ErrNotFound}} {
		if _, err := s.Setting(ctx, tc.key); !errors.Is(err, tc.want) {
			t.Errorf("Setting(%q) err = %v, want %v", tc.key, err, tc.want)
		}
	}
	if err := s.InTx(ctx, func(tx desk.Store) error {
		if err := tx.SetSetting(ctx, "gone", "1"); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Errorf("InTx = %v, want boom", err)
	}
	if _, err := s.Setting(ctx, "gone"); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("Setting after rollback: err = %v, want ErrNotFound", err)
	}
}

func TestQueryTermsAreLexemes(t *testing.T) {
	s, _ := openFresh(t)
	defer s.Close()
	// Terms the analyzer might one day produce that mean something in
	// tsquery syntax must match themselves, literally, and nothing else.
	terms := []string{`o'neil`, `back\slash`, `a:*`, `x&y`, `!not`, `(paren)`, `<->`, `''`, `\`, `café`}
	for _, term := range terms {
		t.Run(term, func(t *testing.T) {
			var self, other bool
			err := s.q.QueryRow(t.Context(), `SELECT
				array_to_tsvector(ARRAY[$1::text]) @@ $2::tsquery,
				array_to_tsvector(ARRAY['a', 'x', 'y', 'not', 'neil', 'o', 'paren']) @@ $2::tsquery`,
				term, quoteLexeme(term)).Scan(&self, &other)
			if err != nil {
				t.Fatalf("query with %s: %v", quoteLexeme(term), err)
			}
			if !self || other {
				t.Errorf("%s: matches itself %v (want true), other words %v (want false)", quoteLexeme(term), self, other)
			}
		})
	}
}

func TestTSQuery(t *testing.T) {
	s, _ := openFresh(t)
	defer s.Close()
	for _, tc := range []struct {
		name, text string
		empty      bool
	}{
		{"empty", "", true},
		{"punctuation only", " ?! ", true},
		{"one word", "Pakket", false},
		{"words", "tracking page bestellingen", false},
		{"quotes and prefix syntax", `"factuur" (99817*`, false},
		{"operators", "pakket & !zoek | weg:* <-> (x)", false},
		{"quote and backslash", `o'neil \ café`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := tsQuery(tc.text)
			if (q == "") != tc.empty {
				t.Fatalf("tsQuery(%q) = %q, want empty %v", tc.text, q, tc.empty)
			}
			if tc.empty {
				return
			}
			// The query parses and finds the text it was made from.
			var match bool
			err := s.q.QueryRow(t.Context(), `SELECT array_to_tsvector($1::text[]) @@ $2::tsquery`,
				indexTerms(tc.text), q).Scan(&match)
			if err != nil {
				t.Fatalf("tsQuery(%q) = %q: %v", tc.text, q, err)
			}
			if !match {
				t.Errorf("tsQuery(%q) = %q does not match the text itself", tc.text, q)
			}
		})
	}
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("woord ", 60) + "bestelling 4711 is zoek " + strings.Repeat("tekst ", 60)
	for _, tc := range []struct {
		name, body, query string
		want              func(string) bool
	}{
		{"short body whole", "Hallo,  mijn\npakket", "pakket",
			func(s string) bool { return s == "Hallo, mijn pakket" }},
		{"long body around the match", long, "bestelling",
			func(s string) bool {
				return strings.Contains(s, "bestelling 4711") && strings.HasPrefix(s, "…") && strings.HasSuffix(s, "…")
			}},
		{"no match starts at the start", long, "xylofoon",
			func(s string) bool { return strings.HasPrefix(s, "woord woord") && strings.HasSuffix(s, "…") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := snippet(tc.body, lang.QueryTerms(tc.query), 80)
			if !tc.want(got) {
				t.Errorf("snippet = %q", got)
			}
			if n := len([]rune(got)); n > 82 {
				t.Errorf("snippet is %d runes, want at most 80 and two ellipses", n)
			}
		})
	}
}

func TestPoolSize(t *testing.T) {
	for _, tc := range []struct {
		name, dsn, wantDSN string
		wantN              int
		wantErr            bool
	}{
		{"url default", "postgres://u@h/db?sslmode=disable", "postgres://u@h/db?sslmode=disable", DefaultMaxConns, false},
		{"url set", "postgres://u@h/db?pool_max_conns=25&sslmode=disable", "postgres://u@h/db?sslmode=disable", 25, false},
		{"keywords set", "host=h pool_max_conns=3 dbname=db", "host=h dbname=db", 3, false},
		{"keywords default", "host=h dbname=db", "host=h dbname=db", DefaultMaxConns, false},
		{"bad number", "postgres://h/db?pool_max_conns=zero", "", 0, true},
		{"zero", "host=h pool_max_conns=0", "", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, dsn, err := poolSize(tc.dsn)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if n != tc.wantN || dsn != tc.wantDSN {
				t.Errorf("poolSize(%q) = %d, %q; want %d, %q", tc.dsn, n, dsn, tc.wantN, tc.wantDSN)
			}
		})
	}
}
