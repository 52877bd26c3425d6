package classify

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
	"time"
)

// clincPath is clinc150's train/val file in the shared data folder (see
// ../shared/data/SOURCES.md), read by path and never copied here.
const clincPath = "../../../../shared/data/intent/clinc150/train_val.json"

// clinc10k returns 10,000 of clinc150's 15,000 training examples, two in
// every three, so that all 150 intents are in it: the largest label set we
// have data for, and so the slowest training.
func clinc10k(b *testing.B) []Example {
	raw, err := os.ReadFile(clincPath)
	if err != nil {
		b.Skipf("clinc150 not found (see SOURCES.md): %v", err)
	}
	var tv map[string][][2]string
	if err := json.Unmarshal(raw, &tv); err != nil {
		b.Fatal(err)
	}
	var exs []Example
	for i, p := range tv["train"] {
		if i%3 != 2 {
			exs = append(exs, Example{Text: p[0], Label: p[1]})
		}
	}
	if len(exs) != 10000 {
		b.Fatalf("got %d clinc150 examples, want 10000", len(exs))
	}
	return exs
}

// BenchmarkTrain10k times training a new classifier on 10,000 examples
// with the default options. The target is under 10 s on a small server.
func BenchmarkTrain10k(b *testing.B) {
	bench := func(b *testing.B, exs []Example) {
		b.Logf("%d examples", len(exs))
		for b.Loop() {
			c, err := New(Options{})
			if err != nil {
				b.Fatal(err)
			}
			if err := c.Train(exs); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/train")
	}
	b.Run("banking77", func(b *testing.B) {
		exs, set := bankingOrFixture(b)
		if set != "banking77" {
			b.Skip("banking77 not found (see SOURCES.md)")
		}
		bench(b, exs[:10000])
	})
	b.Run("clinc150", func(b *testing.B) { bench(b, clinc10k(b)) })
}

// BenchmarkClassify times Classify on a model trained on clinc150 (10,000
// examples, 150 labels), cycling through held-out texts, and reports the
// 99th percentile of a single call besides the mean. The target is under
// 1 ms.
func BenchmarkClassify(b *testing.B) {
	exs := clinc10k(b)
	c := trained(b, Options{}, exs)
	// The held-out third, as the texts to classify.
	raw, _ := os.ReadFile(clincPath)
	var tv map[string][][2]string
	if err := json.Unmarshal(raw, &tv); err != nil {
		b.Fatal(err)
	}
	var texts []string
	for i, p := range tv["train"] {
		if i%3 == 2 {
			texts = append(texts, p[0])
		}
	}
	var durs []time.Duration
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		start := time.Now()
		c.Classify(texts[i%len(texts)])
		durs = append(durs, time.Since(start))
		i++
	}
	slices.Sort(durs)
	p99 := durs[len(durs)*99/100]
	b.ReportMetric(float64(p99.Nanoseconds())/1e3, "µs-p99")
}
