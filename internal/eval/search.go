package eval

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb"
	"github.com/balie-dev/balie/internal/kb/index"
	"github.com/balie-dev/balie/internal/kb/kbfile"
)

// SearchOptions configure RunSearch. Corpus, Queries and Qrels are the
// BEIR-style files (corpus.jsonl with _id/title/text, queries.jsonl with
// _id/text, qrels.tsv with query-id, corpus-id, score).
type SearchOptions struct {
	Corpus, Queries, Qrels string
	// FeedbackQueries and FeedbackQrels, when set, are replayed before
	// measuring: each query is searched by a different customer who then
	// opens the right article.
	FeedbackQueries, FeedbackQrels string
	// Folds > 1 cross-validates instead: the queries are dealt round-robin
	// into folds; for each fold a fresh store learns from the other folds'
	// queries and is measured on the fold's own. The result pools all folds.
	Folds int
	// Locale of the corpus and queries (default "en").
	Locale string
	// Open returns a fresh, empty store; RunSearch closes it.
	Open func(ctx context.Context) (desk.Store, error)
	// Index tunes ranking (zero: the defaults the help center uses).
	Index index.Options
	// Progress, when set, is told how many of the articles are imported.
	Progress func(done, total int)
}

// RunSearch measures the knowledge base's search exactly as the help center
// runs it: the corpus is imported as published articles into a fresh store
// through kb.Service, feedback is replayed as customers who searched and
// clicked, and every query goes through kb.Service.Search. It backs `balie
// eval search`.
func RunSearch(ctx context.Context, o SearchOptions) (Result, error) {
	if o.Locale == "" {
		o.Locale = faqLocale
	}
	d, err := loadFAQFiles(o.Corpus, o.Queries, o.Qrels)
	if err != nil {
		return Result{}, err
	}
	if o.Folds > 1 {
		var sum Result
		for k := range o.Folds {
			var train, test []faqQuery
			for i, q := range d.queries {
				if i%o.Folds == k {
					test = append(test, q)
				} else {
					train = append(train, q)
				}
			}
			r, err := runSearchOnce(ctx, o, d, train, d.qrels, test)
			if err != nil {
				return Result{}, fmt.Errorf("eval: fold %d: %w", k+1, err)
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
		return sum, nil
	}
	var fbQueries []faqQuery
	var fbQrels map[string]map[string]bool
	if o.FeedbackQueries != "" {
		if o.FeedbackQrels == "" {
			return Result{}, fmt.Errorf("eval: --feedback-queries needs --feedback-qrels: %w", desk.ErrInvalid)
		}
		if fbQueries, err = readFAQJSONL[faqQuery](o.FeedbackQueries); err != nil {
			return Result{}, fmt.Errorf("eval: feedback queries: %w", err)
		}
		if fbQrels, err = readFAQQrels(o.FeedbackQrels); err != nil {
			return Result{}, fmt.Errorf("eval: feedback qrels: %w", err)
		}
	}
	return runSearchOnce(ctx, o, d, fbQueries, fbQrels, d.queries)
}

// runSearchOnce builds one store, replays feedback and measures.
func runSearchOnce(ctx context.Context, o SearchOptions, d *faqData, feedback []faqQuery,
	fbQrels map[string]map[string]bool, test []faqQuery) (Result, error) {
	st, err := o.Open(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("eval: open store: %w", err)
	}
	defer st.Close()
	kst, ok := st.(kb.Store)
	if !ok {
		return Result{}, fmt.Errorf("eval: the store has no knowledge base: %w", desk.ErrInvalid)
	}
	svc := kb.New(kst, bus.NewLocal(0), desk.SystemClock{}, slog.New(slog.DiscardHandler), kb.Options{Index: o.Index})
	ids := make(map[string]int64, len(d.corpus)) // corpus id → article id
	for i, c := range d.corpus {
		in := kb.ArticleInput{Locale: o.Locale, Slug: kbfile.Slugify("faq " + c.ID), Title: c.Title, Body: c.Text,
			Status: desk.ArticlePublished}
		a, err := svc.CreateArticle(ctx, nil, in)
		if err != nil {
			return Result{}, fmt.Errorf("eval: import %s: %w", c.ID, err)
		}
		ids[c.ID] = a.ID
		if o.Progress != nil {
			o.Progress(i+1, len(d.corpus))
		}
	}
	if err := svc.Load(ctx); err != nil {
		return Result{}, err
	}
	// Each feedback query is a different customer (a different network).
	for i, q := range feedback {
		v := kb.Visitor{IP: fmt.Sprintf("10.%d.%d.1", i/250%250, i%250)}
		res, err := svc.Search(ctx, kb.SearchRequest{Query: q.Text, Locale: o.Locale, Source: desk.SourceHelpCenter, Visitor: v})
		if err != nil {
			return Result{}, fmt.Errorf("eval: feedback %s: %w", q.ID, err)
		}
		for cid := range fbQrels[q.ID] {
			if err := svc.Click(ctx, res.SearchID, ids[cid], v); err != nil {
				return Result{}, fmt.Errorf("eval: feedback %s: %w", q.ID, err)
			}
		}
	}
	var res Result
	for _, q := range test {
		relevant := d.qrels[q.ID]
		if len(relevant) == 0 {
			continue
		}
		res.Queries++
		sr, err := svc.Search(ctx, kb.SearchRequest{Query: q.Text, Locale: o.Locale, Source: desk.SourceHelpCenter,
			Visitor: kb.Visitor{IP: "192.0.2.1"}, Limit: 10, NoLog: true})
		if err != nil {
			return Result{}, fmt.Errorf("eval: query %s: %w", q.ID, err)
		}
		for rank, h := range sr.Hits {
			if !relevantArticle(relevant, ids, h.Article.ID) {
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

func relevantArticle(relevant map[string]bool, ids map[string]int64, articleID int64) bool {
	for cid := range relevant {
		if ids[cid] == articleID {
			return true
		}
	}
	return false
}
