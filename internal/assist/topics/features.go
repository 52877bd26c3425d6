package topics

import (
	"math"
	"slices"
	"strings"

	"github.com/balie-dev/balie/internal/lang"
)

// bigramWeight scales a bigram against a single word: a pair of words
// ("card arrive") says more about a problem than either word alone, but a
// text with few words should not be ruled by its word order.
const bigramWeight = 0.7

// halfWeight is the weight of each stem of a word whose Dutch and English
// stems differ, so that every word carries the same total weight (its
// stems' squares add up to one) whether it has one stem or two.
var halfWeight = float32(1 / math.Sqrt2)

// rawTerm is a named feature with its weight before IDF.
type rawTerm struct {
	name string
	w    float32
}

// features returns the weighted features of text, sorted by name with
// repeats added up: each meaningful word (lang drops stop words and keeps
// at most lang.MaxQueryGroups distinct words) as its Dutch and English
// stems, and each pair of adjacent words as the bigram of their English
// stems. Numbers and codes are left out: an order number says nothing
// about the problem, and it breaks the word sequence for bigrams.
func features(text string) []rawTerm {
	groups := lang.QueryTerms(text)
	out := make([]rawTerm, 0, 3*len(groups))
	prev := ""
	for _, g := range groups {
		if hasDigit(g[0]) {
			prev = ""
			continue
		}
		if len(g) == 1 {
			out = append(out, rawTerm{g[0], 1})
		} else {
			out = append(out, rawTerm{g[0], halfWeight}, rawTerm{g[1], halfWeight})
		}
		en := g[len(g)-1]
		if prev != "" {
			out = append(out, rawTerm{prev + " " + en, bigramWeight})
		}
		prev = en
	}
	slices.SortFunc(out, func(a, b rawTerm) int { return strings.Compare(a.name, b.name) })
	// Add up repeats: a Dutch stem of one word can equal the English stem
	// of another.
	n := 0
	for i, t := range out {
		if i > 0 && t.name == out[n-1].name {
			out[n-1].w += t.w
			continue
		}
		out[n] = t
		n++
	}
	return out[:n]
}

func hasDigit(s string) bool {
	return strings.ContainsAny(s, "0123456789")
}

// vec is a sparse vector: term ids ascending, with their weights.
type vec struct {
	idx []int32
	w   []float32
}

func (v vec) dot(u vec) float64 {
	var s float64
	i, j := 0, 0
	for i < len(v.idx) && j < len(u.idx) {
		switch {
		case v.idx[i] < u.idx[j]:
			i++
		case v.idx[i] > u.idx[j]:
			j++
		default:
			s += float64(v.w[i]) * float64(u.w[j])
			i++
			j++
		}
	}
	return s
}

// corpus is the clustered texts as TF-IDF vectors.
type corpus struct {
	terms []string // by term id
	df    []int32
	vecs  []vec // by doc index
	// norm2 is each vector's squared length after rare terms were dropped;
	// it is below 1 when the text had words no other text has.
	norm2 []float64
}

// newCorpus vectorises texts. Weights are feature weight times IDF,
// ln((N+1)/(df+1)) + 1, and each vector is scaled to unit length. Terms
// that occur in only one text are then dropped from the vectors: they
// cannot make two texts similar, but they still count in the length, so
// that a text mostly made of unique words is not pulled into a topic by the
// one common word it has.
func newCorpus(texts []string) *corpus {
	c := &corpus{vecs: make([]vec, len(texts)), norm2: make([]float64, len(texts))}
	ids := make(map[string]int32)
	raw := make([][]rawTerm, len(texts))
	for i, text := range texts {
		fs := features(text)
		raw[i] = fs
		v := vec{idx: make([]int32, len(fs)), w: make([]float32, len(fs))}
		for k, f := range fs {
			id, ok := ids[f.name]
			if !ok {
				id = int32(len(c.terms))
				ids[f.name] = id
				c.terms = append(c.terms, f.name)
				c.df = append(c.df, 0)
			}
			c.df[id]++
			v.idx[k], v.w[k] = id, f.w
		}
		c.vecs[i] = v
	}
	n := float64(len(texts))
	idf := make([]float32, len(c.terms))
	for id, df := range c.df {
		idf[id] = float32(math.Log((n+1)/(float64(df)+1)) + 1)
	}
	for i := range c.vecs {
		v := &c.vecs[i]
		var norm float64
		for k, id := range v.idx {
			v.w[k] *= idf[id]
			norm += float64(v.w[k]) * float64(v.w[k])
		}
		if norm == 0 {
			continue
		}
		s := float32(1 / math.Sqrt(norm))
		kept := 0
		var kept2 float64
		for k, id := range v.idx {
			if c.df[id] < 2 {
				continue
			}
			w := v.w[k] * s
			v.idx[kept], v.w[kept] = id, w
			kept2 += float64(w) * float64(w)
			kept++
		}
		v.idx, v.w = v.idx[:kept], v.w[:kept]
		sortVec(v)
		c.norm2[i] = kept2
	}
	return c
}

// sortVec sorts v's entries by term id.
func sortVec(v *vec) {
	type pair struct {
		id int32
		w  float32
	}
	ps := make([]pair, len(v.idx))
	for k := range v.idx {
		ps[k] = pair{v.idx[k], v.w[k]}
	}
	slices.SortFunc(ps, func(a, b pair) int { return int(a.id - b.id) })
	for k, p := range ps {
		v.idx[k], v.w[k] = p.id, p.w
	}
}
