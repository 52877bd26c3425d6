package topics

import (
	"cmp"
	"container/heap"
	"math"
	"slices"
)

// maxCentroidTerms bounds a topic centre's terms during clustering: a big
// topic collects hundreds of rare words whose weights are tiny, and
// dropping them keeps the inverted index short without moving any text.
const maxCentroidTerms = 128

// Cluster groups docs into topics, biggest first, with the "other" topic
// (OtherID) last when some texts fit no topic. Texts without any meaningful
// word (only stop words, numbers or codes) always go to "other".
//
// The steps: texts are visited in ascending ID order and each joins the
// most similar topic if its cosine similarity with the topic's centre
// reaches opt.Threshold, or opens a new topic; opt.Passes k-means passes
// move every text to its most similar centre; centres closer than
// opt.MergeThreshold are merged, closest pair first, with the merged
// centre recomputed each time; one last pass reassigns; and topics under
// opt.MinSize give their texts to the best remaining topic above
// opt.Threshold, or to "other".
func Cluster(docs []Doc, opt Options) []Topic {
	opt = opt.withDefaults()
	if len(docs) == 0 {
		return nil
	}
	// Work in ID order, so that the result does not depend on the order
	// of docs (when IDs are unique): term numbering and sums follow it.
	docs = slices.Clone(docs)
	slices.SortStableFunc(docs, func(a, b Doc) int { return cmp.Compare(a.ID, b.ID) })
	texts := make([]string, len(docs))
	for i, d := range docs {
		texts[i] = d.Text
	}
	c := newCorpus(texts)

	assign := leaderPass(c, opt.Threshold)
	for range opt.Passes {
		assign = reassign(c, assign, 0)
	}
	assign = merge(c, assign, opt.MergeThreshold)
	assign = reassign(c, assign, 0)
	assign = dropSmall(c, assign, opt.MinSize, opt.Threshold)
	return describe(c, docs, assign, opt)
}

// leaderPass assigns each text, in order, to the existing topic
// whose centre is most similar if the similarity reaches threshold, and
// otherwise opens a new topic with it. A topic's centre is the plain sum
// of its texts' vectors; its squared length is kept up to date so that
// cosines stay exact as topics grow.
func leaderPass(c *corpus, threshold float64) []int32 {
	assign := make([]int32, len(c.vecs))
	post := make([][]posting, len(c.terms))
	// slot[k] maps a term of topic k to its posting's position in post.
	var slot []map[int32]int32
	var norm2 []float64
	var acc []float64
	var touched []int32
	for d, v := range c.vecs {
		if len(v.idx) == 0 {
			assign[d] = -1
			continue
		}
		touched = touched[:0]
		for k, t := range v.idx {
			for _, p := range post[t] {
				if acc[p.topic] == 0 {
					touched = append(touched, p.topic)
				}
				acc[p.topic] += float64(v.w[k]) * float64(p.w)
			}
		}
		best, bestSim, bestDot := int32(-1), 0.0, 0.0
		for _, k := range touched {
			sim := acc[k] / math.Sqrt(norm2[k])
			if sim >= threshold && (best < 0 || sim > bestSim || (sim == bestSim && k < best)) {
				best, bestSim, bestDot = k, sim, acc[k]
			}
			acc[k] = 0
		}
		if best < 0 {
			best = int32(len(slot))
			slot = append(slot, make(map[int32]int32, len(v.idx)))
			norm2 = append(norm2, 0)
			acc = append(acc, 0)
		}
		s := slot[best]
		for k, t := range v.idx {
			if i, ok := s[t]; ok {
				post[t][i].w += v.w[k]
				continue
			}
			s[t] = int32(len(post[t]))
			post[t] = append(post[t], posting{best, v.w[k]})
		}
		norm2[best] += 2*bestDot + c.norm2[d]
		assign[d] = best
	}
	return assign
}

// posting is one topic's weight for a term in an inverted index.
type posting struct {
	topic int32
	w     float32
}

// index finds the centre most similar to a vector among unit-length
// centres, through an inverted index from term to topics.
type index struct {
	post    [][]posting
	alive   []bool
	acc     []float64
	touched []int32
}

func newIndex(nTerms int) *index {
	return &index{post: make([][]posting, nTerms)}
}

// add puts a centre in the index as topic number len(ix.alive).
func (ix *index) add(cen vec) int32 {
	k := int32(len(ix.alive))
	for i, t := range cen.idx {
		ix.post[t] = append(ix.post[t], posting{k, cen.w[i]})
	}
	ix.alive = append(ix.alive, true)
	ix.acc = append(ix.acc, 0)
	return k
}

// scores calls fn with each live topic that shares a term with v and its
// dot product with v, in the order topics were first touched.
func (ix *index) scores(v vec, fn func(k int32, dot float64)) {
	ix.touched = ix.touched[:0]
	for i, t := range v.idx {
		for _, p := range ix.post[t] {
			if !ix.alive[p.topic] {
				continue
			}
			if ix.acc[p.topic] == 0 {
				ix.touched = append(ix.touched, p.topic)
			}
			ix.acc[p.topic] += float64(v.w[i]) * float64(p.w)
		}
	}
	for _, k := range ix.touched {
		fn(k, ix.acc[k])
		ix.acc[k] = 0
	}
}

// best returns the most similar live topic and its similarity, or -1 when
// none reaches minSim. Ties go to the lower topic number.
func (ix *index) best(v vec, minSim float64) (int32, float64) {
	best, bestSim := int32(-1), 0.0
	ix.scores(v, func(k int32, dot float64) {
		if dot < minSim {
			return
		}
		if best < 0 || dot > bestSim || (dot == bestSim && k < best) {
			best, bestSim = k, dot
		}
	})
	return best, bestSim
}

// members lists the texts of each topic, topics numbered as in assign
// (which may have gaps), texts in ascending index order.
func members(assign []int32) [][]int32 {
	var out [][]int32
	for d, k := range assign {
		if k < 0 {
			continue
		}
		for int(k) >= len(out) {
			out = append(out, nil)
		}
		out[k] = append(out[k], int32(d))
	}
	return out
}

// centre returns the unit-length mean direction of the given texts, cut to
// its limit heaviest terms (ties by term id) but scaled by the length of
// the whole sum, so that similarities with it never overstate.
func centre(c *corpus, docs []int32, scratch []float64, limit int) vec {
	var terms []int32
	for _, d := range docs {
		v := c.vecs[d]
		for i, t := range v.idx {
			if scratch[t] == 0 {
				terms = append(terms, t)
			}
			scratch[t] += float64(v.w[i])
		}
	}
	var norm float64
	for _, t := range terms {
		norm += scratch[t] * scratch[t]
	}
	if len(terms) > limit {
		slices.SortFunc(terms, func(a, b int32) int {
			if r := cmp.Compare(scratch[b], scratch[a]); r != 0 {
				return r
			}
			return cmp.Compare(a, b)
		})
		for _, t := range terms[limit:] {
			scratch[t] = 0
		}
		terms = terms[:limit]
	}
	slices.Sort(terms)
	cen := vec{idx: terms, w: make([]float32, len(terms))}
	s := 1 / math.Sqrt(norm)
	for i, t := range terms {
		cen.w[i] = float32(scratch[t] * s)
		scratch[t] = 0
	}
	return cen
}

// centres builds the index of the centres of the non-empty topics of
// assign; the returned slice maps index topic numbers to their members.
func centres(c *corpus, assign []int32) (*index, [][]int32) {
	ix := newIndex(len(c.terms))
	scratch := make([]float64, len(c.terms))
	var groups [][]int32
	for _, m := range members(assign) {
		if len(m) == 0 {
			continue
		}
		ix.add(centre(c, m, scratch, maxCentroidTerms))
		groups = append(groups, m)
	}
	return ix, groups
}

// reassign is one k-means pass: every text moves to the most similar
// centre of the current topics (at least minSim similar; texts that share no
// term with any centre go to "other"). Topics are renumbered densely.
func reassign(c *corpus, assign []int32, minSim float64) []int32 {
	ix, _ := centres(c, assign)
	out := make([]int32, len(assign))
	for d, v := range c.vecs {
		out[d], _ = ix.best(v, minSim)
	}
	return out
}

// merge joins topics whose centres are at least threshold similar, the
// most similar pair first, recomputing the merged centre and its
// similarities before the next merge, so that a chain of topics each
// close to the next is not joined in one go.
func merge(c *corpus, assign []int32, threshold float64) []int32 {
	ix, groups := centres(c, assign)
	scratch := make([]float64, len(c.terms))
	cens := make([]vec, len(groups))
	for k, m := range groups {
		cens[k] = centre(c, m, scratch, maxCentroidTerms)
	}
	h := &pairHeap{}
	for a := range groups {
		ix.scores(cens[a], func(b int32, dot float64) {
			if int(b) > a && dot >= threshold {
				*h = append(*h, simPair{dot, int32(a), b})
			}
		})
	}
	heap.Init(h)
	for h.Len() > 0 {
		p := heap.Pop(h).(simPair)
		if !ix.alive[p.a] || !ix.alive[p.b] {
			continue
		}
		m := append(slices.Clone(groups[p.a]), groups[p.b]...)
		slices.Sort(m)
		ix.alive[p.a], ix.alive[p.b] = false, false
		groups[p.a], groups[p.b] = nil, nil
		cen := centre(c, m, scratch, maxCentroidTerms)
		k := ix.add(cen)
		groups = append(groups, m)
		ix.scores(cen, func(b int32, dot float64) {
			if b != k && dot >= threshold {
				heap.Push(h, simPair{dot, b, k})
			}
		})
	}
	out := make([]int32, len(assign))
	for i := range out {
		out[i] = -1
	}
	for k, m := range groups {
		for _, d := range m {
			out[d] = int32(k)
		}
	}
	return out
}

// simPair is a candidate merge; pairHeap pops the most similar first, ties
// by lower topic numbers, so merges happen in one fixed order.
type simPair struct {
	sim  float64
	a, b int32
}

type pairHeap []simPair

func (h pairHeap) Len() int { return len(h) }
func (h pairHeap) Less(i, j int) bool {
	if h[i].sim != h[j].sim {
		return h[i].sim > h[j].sim
	}
	if h[i].a != h[j].a {
		return h[i].a < h[j].a
	}
	return h[i].b < h[j].b
}
func (h pairHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pairHeap) Push(x any)   { *h = append(*h, x.(simPair)) }
func (h *pairHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// dropSmall dissolves topics with fewer than minSize texts: each of their
// texts joins the most similar remaining topic if at least threshold
// similar, and "other" otherwise.
func dropSmall(c *corpus, assign []int32, minSize int, threshold float64) []int32 {
	// Number the kept topics densely, in their current order, as centres
	// will.
	kept := make([]int32, len(assign))
	next := int32(0)
	for _, m := range members(assign) {
		if len(m) == 0 {
			continue
		}
		k := int32(-1)
		if len(m) >= minSize {
			k = next
			next++
		}
		for _, d := range m {
			kept[d] = k
		}
	}
	for d, k := range assign {
		if k < 0 {
			kept[d] = -1
		}
	}
	ix, _ := centres(c, kept)
	out := slices.Clone(kept)
	for d, k := range kept {
		if k < 0 && assign[d] >= 0 {
			out[d], _ = ix.best(c.vecs[d], threshold)
		}
	}
	return out
}
