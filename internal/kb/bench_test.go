package kb_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb"
	"github.com/balie-dev/balie/internal/testenv"
)

// BenchmarkSearch10k measures a help-center search end to end (index,
// reading the hit articles from the store, logging the search) in a
// knowledge base of 10,000 articles, and reports the 99th percentile.
// The target is p99 < 5 ms.
func BenchmarkSearch10k(b *testing.B) {
	for _, o := range testenv.Stores() {
		b.Run(o.Name, func(b *testing.B) {
			st := o.Open(b)
			svc := kb.New(st, bus.NewLocal(0), desk.SystemClock{}, nil, kb.Options{})
			vocab := synthArticles(b, st, 10_000)
			if err := svc.Load(context.Background()); err != nil {
				b.Fatal(err)
			}
			r := rand.New(rand.NewPCG(5, 6))
			queries := make([]string, 500)
			for i := range queries {
				ws := make([]string, 2+r.IntN(4))
				for j := range ws {
					ws[j] = vocab[r.IntN(len(vocab)/4)]
				}
				queries[i] = strings.Join(ws, " ")
			}
			for _, logged := range []bool{false, true} {
				b.Run(fmt.Sprintf("logged=%v", logged), func(b *testing.B) {
					lat := make([]time.Duration, 0, 4096)
					ctx := context.Background()
					for i := 0; b.Loop(); i++ {
						t0 := time.Now()
						_, err := svc.Search(ctx, kb.SearchRequest{Query: queries[i%len(queries)], Locale: "nl",
							Source: desk.SourceHelpCenter, Visitor: kb.Visitor{IP: "192.0.2.1"}, NoLog: !logged})
						if err != nil {
							b.Fatal(err)
						}
						lat = append(lat, time.Since(t0))
					}
					slices.Sort(lat)
					b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
					b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
				})
			}
		})
	}
}

// synthArticles writes n published articles of made-up Dutch-like words
// with a skewed word distribution straight to the store, and returns the
// vocabulary.
func synthArticles(b *testing.B, st desk.Store, n int) []string {
	b.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	syll := []string{"ba", "ber", "co", "de", "dor", "en", "fa", "ge", "han", "ik", "jo", "ka", "lin",
		"mo", "nor", "pa", "que", "ri", "sto", "tu", "ver", "wa", "zen", "bes", "tel", "gen"}
	vocab := make([]string, 20000)
	for i := range vocab {
		var sb strings.Builder
		for range 2 + r.IntN(3) {
			sb.WriteString(syll[r.IntN(len(syll))])
		}
		vocab[i] = sb.String()
	}
	zipf := rand.NewZipf(r, 1.1, 2, uint64(len(vocab)-1))
	words := func(k int) string {
		ws := make([]string, k)
		for i := range ws {
			ws[i] = vocab[zipf.Uint64()]
		}
		return strings.Join(ws, " ")
	}
	ctx := context.Background()
	const batch = 500
	for start := 0; start < n; start += batch {
		err := st.InTx(ctx, func(tx desk.Store) error {
			for i := start; i < min(start+batch, n); i++ {
				a := &desk.Article{Locale: "nl", Slug: fmt.Sprintf("artikel-%d", i), Title: words(4 + r.IntN(6)),
					Questions: []string{words(6)}, Body: words(80 + r.IntN(300)), Status: desk.ArticlePublished, Revision: 1}
				if i%2 == 1 {
					a.Locale = "en"
				}
				if err := tx.CreateArticle(ctx, a); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return vocab
}
