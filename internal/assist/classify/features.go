package classify

import (
	"math"
	"slices"
	"strings"

	"github.com/balie-dev/balie/internal/lang"
)

// maxTokens bounds the words read from one text: the first sentences of a
// message say what it is about, and the bound keeps hostile input cheap.
const maxTokens = 96

// Feature groups, kept apart by a prefix so that a word never collides with
// a character n-gram or a bigram that happens to spell the same.
const (
	prefixWord   = "w:"
	prefixBigram = "b:"
	prefixSkip   = "s:"
	prefixChar   = "c:"
	featureBias  = "bias"
	featureNum   = "w:#num"
	featureCode  = "w:#code"
)

// rawFeature is a named feature with its weight before vocabulary lookup.
type rawFeature struct {
	name string
	v    float32
}

// extract turns text into its weighted, L2-normalised features:
//   - every word as its Dutch and its English stem (stop words kept: "how",
//     "why", "waar" carry intent even though search drops them);
//   - bigrams of adjacent English stems, with a start marker, for word order
//     ("card arrive" vs "arrive card", "^ can");
//   - skip-bigrams of English stems two apart, which keep a pair across a
//     filler word ("pay my bill" and "pay the bill" both give "pay bill"):
//     they measured about a third of a point on clinc150's validation
//     split;
//   - character 3- to 5-grams of each word inside boundary marks, so that a
//     typo ("recieve", "bestelingen") still shares most of its features with
//     the word it misspells;
//   - numbers and codes as two placeholder features: an order number says
//     "this is about an order", its digits say nothing.
//
// Repeated features add up with sublinear weight (1 + ln tf); each group is
// scaled so that words and bigrams outweigh the many character n-grams. The
// result is sorted by name so that sums are taken in one fixed order.
func extract(text string) []rawFeature {
	toks := lang.Tokens(text)
	if len(toks) > maxTokens {
		toks = toks[:maxTokens]
	}
	counts := make(map[string]float32, 16*len(toks)+1)
	prev, prev2 := "^", "^^"
	var sb strings.Builder
	for _, t := range toks {
		if hasDigit(t) {
			if isDigits(t) {
				counts[featureNum]++
				prev, prev2 = "#num", prev
			} else {
				counts[featureCode]++
				prev, prev2 = "#code", prev
			}
			continue
		}
		en := lang.Stem("en", t)
		nl := lang.Stem("nl", t)
		counts[prefixWord+en]++
		if nl != en {
			counts[prefixWord+nl]++
		}
		counts[prefixBigram+prev+" "+en]++
		counts[prefixSkip+prev2+" "+en]++
		prev, prev2 = en, prev
		addCharGrams(counts, &sb, t)
	}
	counts[prefixBigram+prev+" $"]++

	out := make([]rawFeature, 0, len(counts)+1)
	var norm float64
	for name, n := range counts {
		v := 1 + math.Log(float64(n))
		if strings.HasPrefix(name, prefixChar) {
			v *= charWeight
		}
		norm += v * v
		out = append(out, rawFeature{name, float32(v)})
	}
	if norm > 0 {
		s := float32(1 / math.Sqrt(norm))
		for i := range out {
			out[i].v *= s
		}
	}
	// The bias is outside the norm: every text has it with the same weight.
	out = append(out, rawFeature{featureBias, 1})
	slices.SortFunc(out, func(a, b rawFeature) int { return strings.Compare(a.name, b.name) })
	return out
}

// charWeight scales character n-grams against words: a word yields about a
// dozen n-grams, which would otherwise drown its stem.
const charWeight = 0.75

func addCharGrams(counts map[string]float32, sb *strings.Builder, word string) {
	w := "<" + word + ">"
	// Byte n-grams are fine here: lang folds text to lower-case ASCII for
	// Latin scripts, and other scripts still produce consistent n-grams.
	for n := 3; n <= 5; n++ {
		for i := 0; i+n <= len(w); i++ {
			sb.Reset()
			sb.WriteString(prefixChar)
			sb.WriteString(w[i : i+n])
			counts[sb.String()]++
		}
	}
}

func hasDigit(s string) bool {
	return strings.ContainsAny(s, "0123456789")
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
