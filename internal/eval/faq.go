// Package eval measures balie against public third-party data sets (see
// ../shared/data/SOURCES.md). The data is read by path at run time and never
// copied into the repository.
//
// It may import the standard library and balie's own packages.
package eval

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb/index"
)

// FAQSets returns the names of the FAQ-retrieval sets RunFAQ knows.
func FAQSets() []string { return []string{"stackfaq", "covidfaq"} }

// Result holds retrieval metrics over a query set.
//
// A query may have several relevant entries (covidfaq lists duplicates of
// the same question): it counts as found at k when any of them is among the
// first k hits, and its reciprocal rank is that of the first relevant hit.
type Result struct {
	Set       string  `json:"set"`
	RecallAt1 float64 `json:"recall_at_1"`
	RecallAt5 float64 `json:"recall_at_5"`
	MRRAt10   float64 `json:"mrr_at_10"`
	Queries   int     `json:"queries"`
}

// faqLocale is the locale of both FAQ sets.
const faqLocale = "en"

// RunFAQ imports the corpus of the FAQ-retrieval set (title = question,
// body = answer) into a fresh index.Index with default options, runs every
// dev query through Search (locale "en", top 10) and scores the ranking
// against the qrels. dataDir is the shared data folder (../shared/data from
// the project root). It backs `balie eval faq`.
func RunFAQ(dataDir, set string) (Result, error) {
	return RunFAQWith(dataDir, set, index.Options{})
}

// RunFAQWith is RunFAQ with the given ranking options, for tuning.
func RunFAQWith(dataDir, set string, opts index.Options) (Result, error) {
	dir, err := faqDir(dataDir, set)
	if err != nil {
		return Result{}, err
	}
	res, err := RunSearchFiles(filepath.Join(dir, "corpus.jsonl"), filepath.Join(dir, "queries_dev.jsonl"),
		filepath.Join(dir, "qrels_dev.tsv"), opts)
	res.Set = set
	return res, err
}

func faqDir(dataDir, set string) (string, error) {
	if !slices.Contains(FAQSets(), set) {
		return "", fmt.Errorf("eval: faq: unknown set %q (want one of %v): %w", set, FAQSets(), desk.ErrInvalid)
	}
	return filepath.Join(dataDir, "faq_retrieval", set), nil
}

// RunSearchFiles evaluates search on any corpus in the same formats as the FAQ
// sets: corpus JSONL ({"_id", "title", "text"}), queries JSONL ({"_id",
// "text"}) and a qrels TSV with a header (query-id, corpus-id, score). It
// backs `balie eval search --corpus --queries --qrels`.
func RunSearchFiles(corpusPath, queriesPath, qrelsPath string, opts index.Options) (Result, error) {
	d, err := loadFAQFiles(corpusPath, queriesPath, qrelsPath)
	if err != nil {
		return Result{}, err
	}
	ix, err := d.index(opts)
	if err != nil {
		return Result{}, err
	}
	return d.measure(ix, d.queries)
}

// RunFAQFeedback measures how much search learns from behaviour, by
// k-fold cross-validation over the dev queries: for each fold, the queries
// of the other folds are replayed as customers who searched and opened the
// right entry, which adds the query to that entry's alternative questions;
// then the fold's own, unseen queries are measured. The result pools all
// folds. Queries are dealt round-robin, so each FAQ entry's paraphrases
// spread over the folds.
func RunFAQFeedback(dataDir, set string, folds int) (Result, error) {
	if folds < 2 {
		return Result{}, fmt.Errorf("eval: faq feedback: %d folds, want at least 2: %w", folds, desk.ErrInvalid)
	}
	dir, err := faqDir(dataDir, set)
	if err != nil {
		return Result{}, err
	}
	d, err := loadFAQFiles(filepath.Join(dir, "corpus.jsonl"), filepath.Join(dir, "queries_dev.jsonl"),
		filepath.Join(dir, "qrels_dev.tsv"))
	if err != nil {
		return Result{}, err
	}
	var sum Result
	for k := range folds {
		var train, test []faqQuery
		for i, q := range d.queries {
			if i%folds == k {
				test = append(test, q)
			} else {
				train = append(train, q)
			}
		}
		learned := make(map[string][]string) // entry → queries that led to it
		for _, q := range train {
			for id := range d.qrels[q.ID] {
				learned[id] = append(learned[id], q.Text)
			}
		}
		ix := index.New(index.Options{})
		for _, c := range d.corpus {
			doc := index.Doc{ID: c.ID, Locale: faqLocale, Title: c.Title, Body: c.Text, Question: learned[c.ID]}
			if err := ix.Add(doc); err != nil {
				return Result{}, fmt.Errorf("eval: faq feedback: corpus %s: %w", c.ID, err)
			}
		}
		r, err := d.measure(ix, test)
		if err != nil {
			return Result{}, err
		}
		n := float64(r.Queries)
		sum.RecallAt1 += r.RecallAt1 * n
		sum.RecallAt5 += r.RecallAt5 * n
		sum.MRRAt10 += r.MRRAt10 * n
		sum.Queries += r.Queries
	}
	n := float64(sum.Queries)
	sum.RecallAt1 /= n
	sum.RecallAt5 /= n
	sum.MRRAt10 /= n
	sum.Set = set
	return sum, nil
}

// faqData is a loaded corpus with its queries and judgements.
type faqData struct {
	corpus  []faqCorpusLine
	queries []faqQuery
	qrels   map[string]map[string]bool
}

func loadFAQFiles(corpusPath, queriesPath, qrelsPath string) (*faqData, error) {
	var d faqData
	var err error
	if d.corpus, err = readFAQJSONL[faqCorpusLine](corpusPath); err != nil {
		return nil, fmt.Errorf("eval: load: %w", err)
	}
	if d.queries, err = readFAQJSONL[faqQuery](queriesPath); err != nil {
		return nil, fmt.Errorf("eval: load: %w", err)
	}
	if d.qrels, err = readFAQQrels(qrelsPath); err != nil {
		return nil, fmt.Errorf("eval: load: %w", err)
	}
	return &d, nil
}

// index imports the corpus: title = question, body = answer.
func (d *faqData) index(opts index.Options) (*index.Index, error) {
	ix := index.New(opts)
	for _, c := range d.corpus {
		if err := ix.Add(index.Doc{ID: c.ID, Locale: faqLocale, Title: c.Title, Body: c.Text}); err != nil {
			return nil, fmt.Errorf("eval: import corpus %s: %w", c.ID, err)
		}
	}
	return ix, nil
}

// measure runs the judged queries and averages the metrics.
func (d *faqData) measure(ix *index.Index, queries []faqQuery) (Result, error) {
	var res Result
	for _, q := range queries {
		relevant := d.qrels[q.ID]
		if len(relevant) == 0 {
			continue // a query without judgement cannot be scored
		}
		res.Queries++
		for rank, h := range ix.Search(q.Text, faqLocale, 10) {
			if !relevant[h.ID] {
				continue
			}
			if rank < 1 {
				res.RecallAt1++
			}
			if rank < 5 {
				res.RecallAt5++
			}
			res.MRRAt10 += 1 / float64(rank+1)
			break
		}
	}
	if res.Queries == 0 {
		return Result{}, fmt.Errorf("eval: no judged queries: %w", desk.ErrInvalid)
	}
	n := float64(res.Queries)
	res.RecallAt1 /= n
	res.RecallAt5 /= n
	res.MRRAt10 /= n
	return res, nil
}

type faqCorpusLine struct {
	ID    string `json:"_id"`
	Title string `json:"title"`
	Text  string `json:"text"`
}

type faqQuery struct {
	ID   string `json:"_id"`
	Text string `json:"text"`
}

// readFAQJSONL decodes one JSON object per line.
func readFAQJSONL[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []T
	dec := json.NewDecoder(bufio.NewReader(f))
	for {
		var v T
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: record %d: %w", path, len(out)+1, err)
		}
		out = append(out, v)
	}
}

// readFAQQrels reads a TREC-style tab-separated judgement file with a header
// (query-id, corpus-id, score) into query → relevant corpus ids; rows with
// a score of 0 are not relevant.
func readFAQQrels(path string) (map[string]map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = '\t'
	r.FieldsPerRecord = 3
	r.LazyQuotes = true
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) == 0 || rows[0][0] != "query-id" {
		return nil, fmt.Errorf("%s: missing header: %w", path, desk.ErrInvalid)
	}
	out := make(map[string]map[string]bool)
	for _, row := range rows[1:] {
		if row[2] == "0" {
			continue
		}
		if out[row[0]] == nil {
			out[row[0]] = make(map[string]bool)
		}
		out[row[0]][row[1]] = true
	}
	return out, nil
}
