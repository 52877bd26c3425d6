package index

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// synthCorpus builds n articles from a made-up vocabulary with a Zipf-like
// word distribution, so that posting lists have realistic skew. It is
// deterministic.
func synthCorpus(n int) (docs []Doc, vocab []string) {
	r := rand.New(rand.NewPCG(1, 2))
	syll := []string{"ba", "ber", "co", "de", "dor", "en", "fa", "ge", "han", "ik", "jo", "ka", "lin",
		"mo", "nor", "pa", "que", "ri", "sto", "tu", "ver", "wa", "zen", "bes", "tel", "lin", "gen"}
	vocab = make([]string, 20000)
	for i := range vocab {
		var b strings.Builder
		for range 2 + r.IntN(3) {
			b.WriteString(syll[r.IntN(len(syll))])
		}
		vocab[i] = b.String()
	}
	zipf := rand.NewZipf(r, 1.1, 2, uint64(len(vocab)-1))
	words := func(k int) string {
		ws := make([]string, k)
		for i := range ws {
			ws[i] = vocab[zipf.Uint64()]
		}
		return strings.Join(ws, " ")
	}
	docs = make([]Doc, n)
	for i := range docs {
		locale := "nl"
		if i%2 == 1 {
			locale = "en"
		}
		docs[i] = Doc{
			ID:       fmt.Sprintf("a%05d", i),
			Locale:   locale,
			Title:    words(4 + r.IntN(6)),
			Question: []string{words(6), words(8)},
			Body:     words(80 + r.IntN(300)),
		}
	}
	return docs, vocab
}

func buildIndex(b *testing.B, n int) (*Index, []Doc, []string) {
	b.Helper()
	docs, vocab := synthCorpus(n)
	ix := New(Options{})
	for _, d := range docs {
		if err := ix.Add(d); err != nil {
			b.Fatal(err)
		}
	}
	return ix, docs, vocab
}

// queries are taken from the documents' titles (what customers ask looks
// like the questions), half of them with a typo in the longest word.
func benchQueries(docs []Doc) []string {
	r := rand.New(rand.NewPCG(3, 4))
	qs := make([]string, 200)
	for i := range qs {
		ws := strings.Fields(docs[r.IntN(len(docs))].Title)
		q := ws[:min(len(ws), 2+r.IntN(4))]
		if i%2 == 1 {
			j := 0
			for k := range q {
				if len(q[k]) > len(q[j]) {
					j = k
				}
			}
			w := []byte(q[j])
			w[len(w)/2] = 'x'
			q[j] = string(w)
		}
		qs[i] = strings.Join(q, " ")
	}
	return qs
}

func benchSearch(b *testing.B, n int) {
	ix, docs, _ := buildIndex(b, n)
	qs := benchQueries(docs)
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		ix.Search(qs[i%len(qs)], "nl", 10)
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	reportP99(b, lat)
}

func reportP99(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

func BenchmarkSearch5k(b *testing.B)  { benchSearch(b, 5000) }
func BenchmarkSearch10k(b *testing.B) { benchSearch(b, 10000) }

func BenchmarkSuggest5k(b *testing.B) {
	ix, docs, _ := buildIndex(b, 5000)
	qs := benchQueries(docs)
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		q := qs[i%len(qs)]
		q = q[:len(q)-len(q)/4] // cut the last word short
		t0 := time.Now()
		ix.Suggest(q, "", 8)
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	reportP99(b, lat)
}

func BenchmarkAdd(b *testing.B) {
	docs, _ := synthCorpus(5000)
	ix := New(Options{})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ix.Add(docs[i%len(docs)]) // later rounds replace: Remove + Add
	}
}
