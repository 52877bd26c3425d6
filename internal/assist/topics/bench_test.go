package topics

import (
	"testing"
	"time"
)

// benchDocs is 20,000 real customer-style texts: clinc150's train split and
// the first 5,000 of banking77.
func benchDocs(b *testing.B) []Doc {
	b.Helper()
	data := append(loadClinc150(b, true), loadBanking77(b)[:5000]...)
	docs := docsOf(data)
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range docs {
		docs[i].At = start.Add(time.Duration(i) * 30 * time.Second)
	}
	return docs
}

func BenchmarkCluster20k(b *testing.B) {
	docs := benchDocs(b)
	b.ResetTimer()
	for b.Loop() {
		Cluster(docs, Options{})
	}
}

func BenchmarkSurges20k(b *testing.B) {
	docs := benchDocs(b)
	topics := Cluster(docs, Options{MaxDocIDs: 100})
	now := docs[len(docs)-1].At
	b.ResetTimer()
	for b.Loop() {
		Surges(topics, docs, now, time.Hour, SurgeOptions{})
	}
}
