package lang

import "testing"

// A typical customer chat message of about 30 words.
const benchMessage = "Hallo, ik heb vorige week twee pakketten besteld (ordernummer NL-2024-0001) " +
	"maar de bezorging is nog steeds niet aangekomen. Kunnen jullie kijken waar mijn " +
	"bestelling blijft? Alvast bedankt, Jan"

func BenchmarkIndexTerms(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchMessage)))
	for b.Loop() {
		IndexTerms(benchMessage)
	}
}

func BenchmarkQueryTerms(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		QueryTerms("hoe wijzig ik mijn bezorgadres")
	}
}

func BenchmarkDetect(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Detect(benchMessage)
	}
}
