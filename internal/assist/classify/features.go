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
//
// Training uses extract; prediction uses Classifier.features, which counts
// the same features without building their names as strings. Change the two
// together: TestPredictMatchesReference holds them to the same results.
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

// scratch holds the buffers of one prediction, so that classifying a text
// allocates next to nothing beyond what package lang returns. A Classifier
// keeps spares in a sync.Pool.
type scratch struct {
	keys  []byte    // the names of the text's features, back to back
	word  []byte    // a word inside its boundary marks, for n-grams
	ents  []entry   // distinct features, in order of first appearance
	slots []int32   // open-addressing table over ents: index+1, 0 is free
	known []uint64  // rank<<32 | value bits of the features in the vocabulary
	x     []feature // the weighed features, in name order
	p     []float64 // class probabilities
}

// entry is one distinct feature of a text: its name in scratch.keys and
// how often it occurs.
type entry struct {
	start, end int32
	hash       uint64
	n          float32
	char       bool // a character n-gram, weighed by charWeight
	v          float32
}

// reset empties s for the next text, keeping its memory.
func (s *scratch) reset() {
	s.keys = s.keys[:0]
	s.ents = s.ents[:0]
	clear(s.slots)
	s.known = s.known[:0]
	s.x = s.x[:0]
}

// commit counts the feature whose name was appended to s.keys from start
// on: a new entry, or one more of an entry with the same name (the name is
// then dropped again from keys). Names are compared byte for byte, so a
// hash collision costs a probe and never merges two features.
func (s *scratch) commit(start int, char bool) {
	name := s.keys[start:]
	// FNV-1a: short names, no allocation, no seed to keep.
	h := uint64(14695981039346656037)
	for _, b := range name {
		h ^= uint64(b)
		h *= 1099511628211
	}
	if 2*(len(s.ents)+1) > len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		e := s.slots[i]
		if e == 0 {
			s.ents = append(s.ents, entry{start: int32(start), end: int32(len(s.keys)), hash: h, n: 1, char: char})
			s.slots[i] = int32(len(s.ents))
			return
		}
		if en := &s.ents[e-1]; en.hash == h && string(s.keys[en.start:en.end]) == string(name) {
			en.n++
			s.keys = s.keys[:start]
			return
		}
	}
}

// grow doubles the slot table (at least 256) and re-inserts the entries.
func (s *scratch) grow() {
	n := max(256, 2*len(s.slots))
	if cap(s.slots) >= n {
		s.slots = s.slots[:n]
		clear(s.slots)
	} else {
		s.slots = make([]int32, n)
	}
	mask := uint64(n - 1)
	for k, en := range s.ents {
		i := en.hash & mask
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = int32(k + 1)
	}
}

// add counts the feature named by the concatenation of parts.
func (s *scratch) add(parts ...string) {
	start := len(s.keys)
	for _, p := range parts {
		s.keys = append(s.keys, p...)
	}
	s.commit(start, false)
}

// addCharGrams counts the character n-grams of word, as addCharGrams does.
func (s *scratch) addCharGrams(word string) {
	s.word = append(append(append(s.word[:0], '<'), word...), '>')
	w := s.word
	for n := 3; n <= 5; n++ {
		for i := 0; i+n <= len(w); i++ {
			start := len(s.keys)
			s.keys = append(append(s.keys, prefixChar...), w[i:i+n]...)
			s.commit(start, true)
		}
	}
}

// features is encode (without growing) followed by weigh, for prediction:
// the same features with the same values in the same order as
// c.weigh(c.encode(text, false)), without building a string per feature,
// a map, or sorting names. It counts the features as extract does, into s;
// keeps those in the vocabulary; orders them by the rank of their name
// (c.rank, kept by reindex), which is the order extract's sort gives; and
// weighs them with the inverse document frequencies reindex computed.
// Caller holds the lock.
func (c *Classifier) features(s *scratch, text string) []feature {
	s.reset()
	toks := lang.Tokens(text)
	if len(toks) > maxTokens {
		toks = toks[:maxTokens]
	}
	prev, prev2 := "^", "^^"
	for _, t := range toks {
		if hasDigit(t) {
			if isDigits(t) {
				s.add(featureNum)
				prev, prev2 = "#num", prev
			} else {
				s.add(featureCode)
				prev, prev2 = "#code", prev
			}
			continue
		}
		en := lang.Stem("en", t)
		nl := lang.Stem("nl", t)
		s.add(prefixWord, en)
		if nl != en {
			s.add(prefixWord, nl)
		}
		s.add(prefixBigram, prev, " ", en)
		s.add(prefixSkip, prev2, " ", en)
		prev, prev2 = en, prev
		s.addCharGrams(t)
	}
	s.add(prefixBigram, prev, " $")

	// The norm covers every feature of the text, known or not. extract sums
	// it in map order, which varies from run to run; any order gives the
	// same float32 scale but for a rare last-bit rounding, and this one
	// is at least fixed.
	var norm float64
	for i := range s.ents {
		e := &s.ents[i]
		v := 1.0 // 1 + ln 1, most features occur once
		if e.n != 1 {
			v = 1 + math.Log(float64(e.n))
		}
		if e.char {
			v *= charWeight
		}
		norm += v * v
		e.v = float32(v)
	}
	var scale float32 = 1
	if norm > 0 {
		scale = float32(1 / math.Sqrt(norm))
	}
	for _, e := range s.ents {
		row, ok := c.vocab[string(s.keys[e.start:e.end])]
		if !ok {
			continue
		}
		v := e.v
		if norm > 0 {
			v *= scale
		}
		s.known = append(s.known, uint64(c.rank[row])<<32|uint64(math.Float32bits(v)))
	}
	if c.biasRow >= 0 {
		s.known = append(s.known, uint64(c.rank[c.biasRow])<<32|uint64(math.Float32bits(1)))
	}
	// Ranks are distinct, so sorting the packed pairs sorts by rank alone.
	slices.Sort(s.known)

	// weigh, over the known features in name order.
	norm = 0
	bias := -1
	for i, k := range s.known {
		row := c.byRank[k>>32]
		v := math.Float32frombits(uint32(k))
		if row == c.biasRow {
			bias = i
			s.x = append(s.x, feature{row, v})
			continue
		}
		w := float64(v) * c.idf[row]
		s.x = append(s.x, feature{row, float32(w)})
		norm += w * w
	}
	if norm > 0 {
		sc := 1 / math.Sqrt(norm)
		for i := range s.x {
			if i != bias {
				s.x[i].v = float32(float64(s.x[i].v) * sc)
			}
		}
	}
	return s.x
}
