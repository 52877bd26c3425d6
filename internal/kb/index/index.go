// Package index is the in-process full-text index of the knowledge base:
// BM25F ranking over an article's title, alternative questions and body,
// with balie's Dutch and English analysis (internal/lang), typo tolerance,
// admin-defined synonyms and search-as-you-type suggestions.
//
// It is a pure in-memory library: every node builds its own index from the
// store and keeps it current from article events. It imports only the
// standard library, internal/lang and internal/desk.
//
// # Ranking
//
// A query is cut into words; stop words are dropped. Each remaining word is
// a group of alternative terms: its Dutch and English stems, the stems of
// its synonyms, and, when neither stem occurs in the index at all, the stems
// of vocabulary words within a small edit distance (1 for words of 5 to 8
// letters, 2 from 9 letters). A document's score for a group is the best
// weighted BM25F score of any alternative (synonyms and typo corrections
// weigh less than the word itself); its score for the query is the sum over
// groups, times the document's Boost.
package index

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/balie-dev/balie/internal/desk"
)

// Doc is one knowledge-base article as the index sees it.
type Doc struct {
	ID     string
	Locale string // "nl" or "en"; "" means the article matches every locale
	Title  string
	// Question holds alternative phrasings of the question the article
	// answers; they rank like the title.
	Question []string
	// Body is the article's plain text (render Markdown to text first):
	// snippets are cut from it.
	Body string
	// Boost multiplies the article's score (e.g. from helpfulness
	// signals); 0 or less means 1.
	Boost float64
	// Internal documents are found only by searches that ask for them
	// (agents), never by Search and Suggest.
	Internal bool
}

// Filter says which documents a search may find.
type Filter struct {
	// Locale keeps documents of that locale and those without one; ""
	// keeps every locale.
	Locale string
	// Internal includes internal documents.
	Internal bool
}

// Hit is one search result.
type Hit struct {
	ID    string
	Title string
	Score float64
	// Snippet is a short passage of the body around the matched words,
	// with "…" where it was cut.
	Snippet string
	// Highlights are the byte ranges [start, end) in Snippet of words
	// that matched the query, in order.
	Highlights [][2]int
	// Coverage is the share of the query the document matched, each word
	// weighted by its rarity (idf; a word no document has weighs most), in
	// 0..1. "bike insurance" matching only "bike" is a guess (low
	// coverage); a paraphrase sharing the rare words is not.
	Coverage float64
}

// Options tunes ranking; zero fields take the defaults in parentheses.
type Options struct {
	K1             float64 // BM25 term-frequency saturation (3)
	TitleWeight    float64 // BM25F weight of the title (8)
	QuestionWeight float64 // weight of the alternative questions (8)
	BodyWeight     float64 // weight of the body (1)
	TitleB         float64 // length normalisation of title and questions (0.75)
	BodyB          float64 // length normalisation of the body (0.75)
	// TypoWeight scales the score of a word matched with one typo (0.7);
	// two typos count its square.
	TypoWeight float64
	// SynonymWeight scales the score of a word matched through a
	// synonym (0.9).
	SynonymWeight float64
	// PrefixWeight scales the score of a completion of the last word in
	// Suggest (0.8).
	PrefixWeight float64
	// MinCoverage drops documents whose Coverage is below it (0: keep
	// every match). Filtering on coverage costs recall on real queries,
	// which are full of words no article uses (see internal/eval), so
	// callers rather use Hit.Coverage to tell a confident answer from a
	// guess.
	MinCoverage float64
	// AlwaysFuzzy also looks for typo corrections of words that do occur
	// in the index (normally only unknown words are corrected).
	AlwaysFuzzy bool
}

func (o Options) withDefaults() Options {
	def := func(v *float64, d float64) {
		if *v <= 0 {
			*v = d
		}
	}
	// Tuned on the FAQ-retrieval sets (internal/eval): the question an
	// article answers says far more than its body. With a title weight of
	// 8 one title match already counts as tf 8; a high K1 keeps that from
	// saturating, so that further matches still separate documents.
	def(&o.K1, 3)
	def(&o.TitleWeight, 8)
	def(&o.QuestionWeight, 8)
	def(&o.BodyWeight, 1)
	def(&o.TitleB, 0.75)
	def(&o.BodyB, 0.75)
	def(&o.TypoWeight, 0.7)
	def(&o.SynonymWeight, 0.9)
	def(&o.PrefixWeight, 0.8)
	o.MinCoverage = max(o.MinCoverage, 0)
	return o
}

// Fields of a document, in posting order.
const (
	fieldTitle = iota
	fieldQuestion
	fieldBody
	numFields
)

// posting is one document's occurrences of one term.
type posting struct {
	doc int32 // slot in Index.docs
	tf  [numFields]uint16
}

// entry is what the index keeps per document.
type entry struct {
	doc    Doc
	locale string // normalised
	intern bool
	boost  float64
	len    [numFields]int32 // field lengths in words (stop words excluded)
	terms  []string         // distinct terms, to undo postings on Remove
	words  []string         // distinct vocabulary words, to undo vocab
}

// word is a vocabulary entry: a folded surface word, the stems it is
// indexed as, and how many documents contain it.
type word struct {
	stems []string
	df    int
}

// Index is a concurrency-safe BM25F index. The zero value is not usable;
// call New.
type Index struct {
	opts Options

	mu       sync.RWMutex
	docs     []*entry // by slot; nil for a free slot
	free     []int32
	slots    map[string]int32
	postings map[string][]posting
	totalLen [numFields]int64
	ndocs    int

	vocab   map[string]*word
	forms   map[string][]string // stem → vocabulary words with that stem, for highlighting
	deletes map[string][]string // deletion neighbour → vocabulary words
	sorted  []string            // vocabulary in order, for prefixes; nil when stale

	synonyms map[string][][]string // term → stem groups of its synonyms

	scratch sync.Pool // of *scratch
}

// New returns an empty index.
func New(opts Options) *Index {
	ix := &Index{
		opts:     opts.withDefaults(),
		slots:    make(map[string]int32),
		postings: make(map[string][]posting),
		vocab:    make(map[string]*word),
		forms:    make(map[string][]string),
		deletes:  make(map[string][]string),
	}
	ix.scratch.New = func() any { return new(scratch) }
	return ix
}

// Len returns the number of documents in the index.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.ndocs
}

// Add indexes doc, replacing any document with the same ID.
func (ix *Index) Add(doc Doc) error {
	if doc.ID == "" {
		return fmt.Errorf("index: add: empty id: %w", desk.ErrInvalid)
	}
	// Analysis is the expensive part and needs no lock.
	a := analyzeDoc(doc)

	ix.mu.Lock()
	defer ix.mu.Unlock()
	if slot, ok := ix.slots[doc.ID]; ok {
		ix.removeSlot(slot)
	}
	var slot int32
	if n := len(ix.free); n > 0 {
		slot = ix.free[n-1]
		ix.free = ix.free[:n-1]
	} else {
		slot = int32(len(ix.docs))
		ix.docs = append(ix.docs, nil)
	}
	e := &entry{doc: doc, locale: normLocale(doc.Locale), intern: doc.Internal, boost: doc.Boost, len: a.len}
	if e.boost <= 0 {
		e.boost = 1
	}
	e.terms = make([]string, 0, len(a.tf))
	for t, tf := range a.tf {
		ix.postings[t] = append(ix.postings[t], posting{doc: slot, tf: tf})
		e.terms = append(e.terms, t)
	}
	e.words = make([]string, 0, len(a.words))
	for w, stems := range a.words {
		ix.addWord(w, stems)
		e.words = append(e.words, w)
	}
	for f := range numFields {
		ix.totalLen[f] += int64(a.len[f])
	}
	ix.docs[slot] = e
	ix.slots[doc.ID] = slot
	ix.ndocs++
	return nil
}

// Remove drops the document with the given ID; removing an unknown ID is
// not an error, so that replayed delete events are harmless.
func (ix *Index) Remove(id string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if slot, ok := ix.slots[id]; ok {
		ix.removeSlot(slot)
	}
}

func (ix *Index) removeSlot(slot int32) {
	e := ix.docs[slot]
	for _, t := range e.terms {
		ps := ix.postings[t]
		i := slices.IndexFunc(ps, func(p posting) bool { return p.doc == slot })
		if i < 0 {
			continue
		}
		ps[i] = ps[len(ps)-1]
		ps = ps[:len(ps)-1]
		if len(ps) == 0 {
			delete(ix.postings, t)
		} else {
			ix.postings[t] = ps
		}
	}
	for _, w := range e.words {
		ix.removeWord(w)
	}
	for f := range numFields {
		ix.totalLen[f] -= int64(e.len[f])
	}
	delete(ix.slots, e.doc.ID)
	ix.docs[slot] = nil
	ix.free = append(ix.free, slot)
	ix.ndocs--
}

func (ix *Index) addWord(w string, stems []string) {
	if v, ok := ix.vocab[w]; ok {
		v.df++
		return
	}
	ix.vocab[w] = &word{stems: stems, df: 1}
	for _, s := range stems {
		ix.forms[s] = append(ix.forms[s], w)
	}
	for _, d := range deletions(w, indexEdits(len(w))) {
		ix.deletes[d] = append(ix.deletes[d], w)
	}
	ix.sorted = nil
}

func (ix *Index) removeWord(w string) {
	v, ok := ix.vocab[w]
	if !ok {
		return
	}
	if v.df--; v.df > 0 {
		return
	}
	delete(ix.vocab, w)
	for _, s := range v.stems {
		fs := ix.forms[s]
		if i := slices.Index(fs, w); i >= 0 {
			fs = slices.Delete(fs, i, i+1)
		}
		if len(fs) == 0 {
			delete(ix.forms, s)
		} else {
			ix.forms[s] = fs
		}
	}
	for _, d := range deletions(w, indexEdits(len(w))) {
		ws := ix.deletes[d]
		if i := slices.Index(ws, w); i >= 0 {
			ws = slices.Delete(ws, i, i+1)
		}
		if len(ws) == 0 {
			delete(ix.deletes, d)
		} else {
			ix.deletes[d] = ws
		}
	}
	ix.sorted = nil
}

// SetSynonyms replaces the synonym list. Each group lists words that mean
// the same ("retour", "terugsturen", "return"): a query word matching any of
// them also finds the others. Entries are single words; an entry that is
// empty, a stop word or several words is rejected with desk.ErrInvalid and
// the old list stays.
func (ix *Index) SetSynonyms(groups [][]string) error {
	syn := make(map[string][][]string)
	for _, g := range groups {
		stems := make([][]string, 0, len(g))
		for _, member := range g {
			q := analyzeQuery(member)
			if len(q) != 1 {
				return fmt.Errorf("index: set synonyms: %q is not one searchable word: %w", member, desk.ErrInvalid)
			}
			stems = append(stems, q[0].stems)
		}
		for i, own := range stems {
			for _, t := range own {
				for j, other := range stems {
					if j != i && !slices.Equal(other, own) {
						syn[t] = appendGroup(syn[t], other)
					}
				}
			}
		}
	}
	ix.mu.Lock()
	ix.synonyms = syn
	ix.mu.Unlock()
	return nil
}

func appendGroup(groups [][]string, g []string) [][]string {
	for _, have := range groups {
		if slices.Equal(have, g) {
			return groups
		}
	}
	return append(groups, g)
}

// normLocale lower-cases a locale and keeps its language ("nl-BE" → "nl").
func normLocale(l string) string {
	l = strings.ToLower(l)
	if i := strings.IndexAny(l, "-_"); i >= 0 {
		l = l[:i]
	}
	return l
}
