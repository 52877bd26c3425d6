package index

import (
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/balie-dev/balie/internal/lang"
)

// alt is one alternative term of a query group with the weight of a match.
type alt struct {
	term   string
	weight float64
}

// group is the set of alternatives of one query word: a document scores
// the best of them.
type group []alt

func (g group) add(term string, w float64) group {
	for i := range g {
		if g[i].term == term {
			g[i].weight = max(g[i].weight, w)
			return g
		}
	}
	return append(g, alt{term, w})
}

// Search returns up to limit documents matching query, best first. A
// non-empty locale keeps documents of that locale (and those without one).
// A query of only stop words finds nothing.
func (ix *Index) Search(query, locale string, limit int) []Hit {
	return ix.search(query, Filter{Locale: locale}, limit, false)
}

// SearchIn is Search over the documents f allows.
func (ix *Index) SearchIn(f Filter, query string, limit int) []Hit {
	return ix.search(query, f, limit, false)
}

// Suggest is Search for a query still being typed: the last word also
// matches the words it is a prefix of ("bezorga" finds "bezorgadres").
// Its hits have no snippets: a suggestion list shows titles.
func (ix *Index) Suggest(prefix, locale string, n int) []Hit {
	return ix.search(prefix, Filter{Locale: locale}, n, true)
}

// SuggestIn is Suggest over the documents f allows.
func (ix *Index) SuggestIn(f Filter, prefix string, n int) []Hit {
	return ix.search(prefix, f, n, true)
}

func (ix *Index) search(query string, f Filter, limit int, prefix bool) []Hit {
	if limit <= 0 {
		return nil
	}
	words := analyzeQuery(query)
	var last string
	if prefix {
		// The last token may be a stop word or cut short ("hoe wijzig ik
		// mijn bez"): take it from the raw tokens.
		if toks := lang.Tokens(query); len(toks) > 0 && !endsWithSpace(query) {
			last = toks[len(toks)-1]
		}
	}
	if len(words) == 0 && last == "" {
		return nil
	}
	f.Locale = normLocale(f.Locale)

	if prefix && last != "" {
		ix.ensureSorted()
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()

	groups := make([]group, 0, len(words)+1)
	for i, w := range words {
		if prefix && i == len(words)-1 && w.surface == last {
			continue // handled as a prefix below
		}
		groups = append(groups, ix.expand(w))
	}
	if prefix && last != "" {
		if g := ix.prefixGroup(last); len(g) > 0 {
			groups = append(groups, g)
		}
	}
	if len(groups) == 0 {
		return nil
	}
	sc := ix.scratch.Get().(*scratch)
	defer ix.scratch.Put(sc)
	scores := ix.score(sc, groups, f)
	hits := topK(scores, limit)
	out := make([]Hit, len(hits))
	for i, h := range hits {
		out[i].Coverage = min(sc.cover[h.slot], 1)
	}
	for d, s := range scores {
		if s > 0 {
			sc.cover[d] = 0
		}
	}
	var forms map[string]int
	if !prefix {
		forms = ix.matchingForms(groups)
	}
	for i, h := range hits {
		e := ix.docs[h.slot]
		out[i].ID, out[i].Title, out[i].Score = e.doc.ID, e.doc.Title, h.score
		if !prefix {
			out[i].Snippet, out[i].Highlights = snippet(e.doc.Body, forms)
		}
	}
	return out
}

func endsWithSpace(s string) bool {
	return s != "" && strings.ContainsRune(" \t\n", rune(s[len(s)-1]))
}

// expand turns a query word into its group: its stems, its synonyms' stems
// and, for words the index does not know, typo corrections.
func (ix *Index) expand(w queryWord) group {
	var g group
	known := false
	for _, t := range w.stems {
		g = g.add(t, 1)
		if len(ix.postings[t]) > 0 {
			known = true
		}
	}
	for _, t := range w.stems {
		for _, syn := range ix.synonyms[t] {
			for _, s := range syn {
				g = g.add(s, ix.opts.SynonymWeight)
			}
		}
	}
	if known && !ix.opts.AlwaysFuzzy {
		return g
	}
	for c, d := range ix.typoCandidates(w.surface) {
		wt := math.Pow(ix.opts.TypoWeight, float64(d))
		for _, s := range ix.vocab[c].stems {
			g = g.add(s, wt)
		}
	}
	return g
}

// maxCompletions bounds how many vocabulary words a prefix expands to (the
// most frequent ones win): each adds a posting list to walk on every
// keystroke.
const maxCompletions = 16

// prefixGroup is the group of the word being typed: the word itself if it
// is one, and the words it begins.
func (ix *Index) prefixGroup(p string) group {
	var g group
	if ws := analyzeQuery(p); len(ws) == 1 {
		g = ix.expand(ws[0])
	}
	// ix.sorted may have gone stale between ensureSorted and RLock; a
	// missing completion for one keystroke is harmless.
	lo := sort.SearchStrings(ix.sorted, p)
	var cands []string
	for i := lo; i < len(ix.sorted) && strings.HasPrefix(ix.sorted[i], p); i++ {
		if ix.sorted[i] != p {
			cands = append(cands, ix.sorted[i])
		}
	}
	if len(cands) > maxCompletions {
		slices.SortStableFunc(cands, func(a, b string) int { return ix.df(b) - ix.df(a) })
		cands = cands[:maxCompletions]
	}
	for _, c := range cands {
		if v, ok := ix.vocab[c]; ok {
			for _, s := range v.stems {
				g = g.add(s, ix.opts.PrefixWeight)
			}
		}
	}
	return g
}

func (ix *Index) df(w string) int {
	if v, ok := ix.vocab[w]; ok {
		return v.df
	}
	return 0
}

// ensureSorted rebuilds the sorted vocabulary after changes. It is done
// lazily, on the first Suggest after an update, so that bulk imports do not
// pay for keeping it in order.
func (ix *Index) ensureSorted() {
	ix.mu.RLock()
	ok := ix.sorted != nil
	ix.mu.RUnlock()
	if ok {
		return
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.sorted != nil {
		return
	}
	s := make([]string, 0, len(ix.vocab))
	for w := range ix.vocab {
		s = append(s, w)
	}
	slices.Sort(s)
	ix.sorted = s
}

// score returns the BM25F score of every document slot (0 for no match).
func (ix *Index) score(sc *scratch, groups []group, f Filter) []float64 {
	o := &ix.opts
	n := float64(ix.ndocs)
	var avg [numFields]float64
	for f := range numFields {
		avg[f] = max(float64(ix.totalLen[f])/max(n, 1), 1)
	}
	weight := [numFields]float64{o.TitleWeight, o.QuestionWeight, o.BodyWeight}
	bs := [numFields]float64{o.TitleB, o.TitleB, o.BodyB}

	total, best, touched := sc.reset(len(ix.docs))
	cover := sc.cover
	// Every group's weight for coverage: the rarest of its terms in the
	// index, or the weight of a term no document has.
	var queryIDF float64
	unknownIDF := math.Log(1 + (n+0.5)/0.5)
	allowed := func(e *entry) bool {
		if e.intern && !f.Internal {
			return false
		}
		return f.Locale == "" || e.locale == "" || e.locale == f.Locale
	}
	for _, g := range groups {
		touched = touched[:0]
		groupIDF := 0.0
		for _, a := range g {
			ps := ix.postings[a.term]
			if len(ps) == 0 {
				continue
			}
			df := float64(len(ps))
			idf := math.Log(1 + (n-df+0.5)/(df+0.5))
			groupIDF = max(groupIDF, idf)
			for _, p := range ps {
				e := ix.docs[p.doc]
				if !allowed(e) {
					continue
				}
				var tf float64
				for f := range numFields {
					if p.tf[f] == 0 {
						continue
					}
					norm := 1 - bs[f] + bs[f]*float64(e.len[f])/avg[f]
					tf += weight[f] * float64(p.tf[f]) / norm
				}
				s := a.weight * idf * tf / (o.K1 + tf)
				if s > best[p.doc] {
					if best[p.doc] == 0 {
						touched = append(touched, p.doc)
					}
					best[p.doc] = s
				}
			}
		}
		if groupIDF == 0 {
			groupIDF = unknownIDF
		}
		queryIDF += groupIDF
		for _, d := range touched {
			total[d] += best[d]
			cover[d] += groupIDF
			best[d] = 0
		}
	}
	sc.touched = touched
	minCover := o.MinCoverage * queryIDF
	for d, s := range total {
		if s > 0 {
			if cover[d] < minCover {
				total[d] = 0
				cover[d] = 0
			} else {
				total[d] = s * ix.docs[d].boost
				cover[d] /= queryIDF
			}
		}
	}
	return total
}

type scored struct {
	slot  int32
	score float64
}

// topK returns the k best positive scores, best first; ties keep slot
// order so that results are stable.
func topK(scores []float64, k int) []scored {
	// A min-heap of the k best so far: most documents are rejected with
	// one comparison against its root.
	h := make([]scored, 0, min(k, 256))
	for d, s := range scores {
		if s <= 0 {
			continue
		}
		c := scored{int32(d), s}
		if len(h) < k {
			h = append(h, c)
			for i := len(h) - 1; i > 0; {
				p := (i - 1) / 2
				if !better(h[p], h[i]) {
					break
				}
				h[p], h[i] = h[i], h[p]
				i = p
			}
			continue
		}
		if !better(c, h[0]) {
			continue
		}
		h[0] = c
		for i := 0; ; {
			l, r, m := 2*i+1, 2*i+2, i
			if l < len(h) && better(h[m], h[l]) {
				m = l
			}
			if r < len(h) && better(h[m], h[r]) {
				m = r
			}
			if m == i {
				break
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	slices.SortFunc(h, func(a, b scored) int {
		if better(a, b) {
			return -1
		}
		return 1
	})
	return h
}

// better orders hits: higher score first, ties by slot so that results
// are stable.
func better(a, b scored) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.slot < b.slot
}

// matchingForms maps the folded words that match the query to the index of
// the group they match: the vocabulary words with a matching stem, and the
// terms themselves (codes are not in the vocabulary). Looking words up in
// it is much cheaper than stemming every word of a body.
func (ix *Index) matchingForms(groups []group) map[string]int {
	m := make(map[string]int)
	for gi, g := range groups {
		for _, a := range g {
			m[a.term] = gi
			for _, f := range ix.forms[a.term] {
				m[f] = gi
			}
		}
	}
	return m
}

// scratch holds the per-query score arrays, reused through Index.scratch so
// that a search does not allocate two arrays the size of the index.
type scratch struct {
	total, best []float64
	cover       []float64 // idf of the query groups each document matched
	touched     []int32
}

// reset returns zeroed score arrays for n slots.
func (sc *scratch) reset(n int) (total, best []float64, touched []int32) {
	if cap(sc.total) < n {
		sc.total = make([]float64, n)
		sc.best = make([]float64, n)
		sc.cover = make([]float64, n)
	}
	sc.total = sc.total[:n]
	sc.best = sc.best[:n]
	sc.cover = sc.cover[:n] // left zeroed by score, like best
	clear(sc.total)         // best is left zeroed by score
	return sc.total, sc.best, sc.touched[:0]
}
