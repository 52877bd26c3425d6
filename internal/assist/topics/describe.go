package topics

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/lang"
)

const (
	// maxExamples is the number of example texts per topic.
	maxExamples = 3
	// exampleRunes is the length an example is shortened to.
	exampleRunes = 120
	// labelWords is the number of words in a label (a bigram may add one).
	labelWords = 3
	// idTerms is the number of top terms a topic's ID is derived from.
	idTerms = 3
)

// describe turns an assignment into topics: centre terms, label, ID,
// members and examples.
func describe(c *corpus, docs []Doc, assign []int32, opt Options) []Topic {
	groups := members(assign)
	scratch := make([]float64, len(c.terms))
	topics := make([]Topic, 0, len(groups)+1)
	for _, m := range groups {
		if len(m) == 0 {
			continue
		}
		cen := centre(c, m, scratch, max(opt.MaxTerms, maxCentroidTerms))
		topics = append(topics, describeOne(c, docs, m, cen, opt))
	}
	slices.SortFunc(topics, func(a, b Topic) int {
		if r := cmp.Compare(b.Size, a.Size); r != 0 {
			return r
		}
		return strings.Compare(a.ID, b.ID)
	})
	uniqueIDs(topics)

	var other []int32
	for d, k := range assign {
		if k < 0 {
			other = append(other, int32(d))
		}
	}
	if len(other) > 0 {
		t := Topic{ID: OtherID, Label: OtherID, Size: len(other), DocIDs: docIDs(docs, other, opt.MaxDocIDs)}
		for _, d := range other {
			if len(t.Examples) == maxExamples {
				break
			}
			t.Examples = addExample(t.Examples, docs[d].Text)
		}
		topics = append(topics, t)
	}
	return topics
}

func describeOne(c *corpus, docs []Doc, m []int32, cen vec, opt Options) Topic {
	type term struct {
		id int32
		w  float32
	}
	ts := make([]term, len(cen.idx))
	for i, id := range cen.idx {
		ts[i] = term{id, cen.w[i]}
	}
	slices.SortFunc(ts, func(a, b term) int {
		if r := cmp.Compare(b.w, a.w); r != 0 {
			return r
		}
		return strings.Compare(c.terms[a.id], c.terms[b.id])
	})
	if len(ts) > opt.MaxTerms {
		ts = ts[:opt.MaxTerms]
	}
	t := Topic{Size: len(m), Terms: make([]string, len(ts)), Weights: make([]float64, len(ts))}
	for i, x := range ts {
		t.Terms[i], t.Weights[i] = c.terms[x.id], float64(x.w)
	}
	t.ID = topicID(t.Terms, idTerms)
	t.Label = label(t.Terms, docs, m)
	t.DocIDs = docIDs(docs, m, opt.MaxDocIDs)

	// Examples: the texts closest to the centre, ties by ID.
	byCloseness := slices.Clone(m)
	sims := make(map[int32]float64, len(m))
	for _, d := range m {
		sims[d] = c.vecs[d].dot(cen)
	}
	slices.SortStableFunc(byCloseness, func(a, b int32) int {
		if r := cmp.Compare(sims[b], sims[a]); r != 0 {
			return r
		}
		return cmp.Compare(docs[a].ID, docs[b].ID)
	})
	for _, d := range byCloseness {
		if len(t.Examples) == maxExamples {
			break
		}
		t.Examples = addExample(t.Examples, docs[d].Text)
	}
	return t
}

// topicID hashes the first n terms, sorted so that two runs whose top
// terms only swap places give the same ID.
func topicID(terms []string, n int) string {
	top := slices.Clone(terms[:min(n, len(terms))])
	slices.Sort(top)
	h := fnv.New64a()
	for _, s := range top {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return fmt.Sprintf("t%012x", h.Sum64()>>16)
}

// uniqueIDs gives a topic whose ID an earlier (bigger) topic already has
// an ID from more of its terms, or failing that a numbered suffix.
func uniqueIDs(topics []Topic) {
	seen := make(map[string]bool, len(topics))
	for i := range topics {
		t := &topics[i]
		for n := idTerms + 1; seen[t.ID] && n <= len(t.Terms); n++ {
			t.ID = topicID(t.Terms, n)
		}
		base := t.ID
		for n := 2; seen[t.ID]; n++ {
			t.ID = fmt.Sprintf("%s-%d", base, n)
		}
		seen[t.ID] = true
	}
}

// label names a topic by its heaviest terms, each written as the word
// customers used most for it; a bigram gives both its words in order.
func label(terms []string, docs []Doc, m []int32) string {
	want := make(map[string]bool)
	for _, t := range terms {
		for _, s := range strings.Fields(t) {
			want[s] = true
		}
	}
	// surface counts, per stem, the tokens that produced it.
	surface := make(map[string]map[string]int)
	for _, d := range m {
		for _, tok := range lang.Tokens(docs[d].Text) {
			for _, l := range [...]string{"nl", "en"} {
				s := lang.Stem(l, tok)
				if !want[s] {
					continue
				}
				if surface[s] == nil {
					surface[s] = make(map[string]int)
				}
				surface[s][tok]++
			}
		}
	}
	word := func(stem string) string {
		best, n := stem, 0
		for w, k := range surface[stem] {
			if k > n || (k == n && w < best) {
				best, n = w, k
			}
		}
		return best
	}
	// used holds the stems of the words in the label, so that a word's
	// other stem ("using" next to "use") does not name it twice.
	used := make(map[string]bool)
	var words []string
	for _, t := range terms {
		if len(words) >= labelWords {
			break
		}
		for _, s := range strings.Fields(t) {
			if used[s] {
				continue
			}
			w := word(s)
			words = append(words, w)
			used[s] = true
			used[lang.Stem("nl", w)] = true
			used[lang.Stem("en", w)] = true
		}
	}
	return strings.Join(words, " ")
}

// docIDs returns the IDs of the given texts in ascending order; past limit
// (if not 0) only the highest, usually the most recent.
func docIDs(docs []Doc, m []int32, limit int) []int64 {
	ids := make([]int64, len(m))
	for i, d := range m {
		ids[i] = docs[d].ID
	}
	slices.Sort(ids)
	if limit > 0 && len(ids) > limit {
		ids = ids[len(ids)-limit:]
	}
	return ids
}

// addExample appends text, shortened and with its spaces collapsed, unless
// an equal example (ignoring case) is already there.
func addExample(examples []string, text string) []string {
	text = strings.Join(strings.Fields(text), " ")
	if text == "" {
		return examples
	}
	if utf8.RuneCountInString(text) > exampleRunes {
		r := []rune(text)[:exampleRunes]
		cut := string(r)
		if i := strings.LastIndexByte(cut, ' '); i > exampleRunes/2 {
			cut = cut[:i]
		}
		text = cut + "…"
	}
	for _, e := range examples {
		if strings.EqualFold(e, text) {
			return examples
		}
	}
	return append(examples, text)
}
