package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/balie-dev/balie/internal/app"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/eval"
)

// cmdEval measures balie's language features on public data sets (see
// ../shared/data/SOURCES.md) and prints the figures as JSON.
//
//	balie eval faq    [--data-dir DIR] [--set stackfaq|covidfaq|all] [--feedback]
//	balie eval intent [--data-dir DIR] [--set banking77|clinc150|bitext|xsid_nl_en|xsid_en_nl|all]
func cmdEval(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "faq" && args[0] != "intent") {
		return errors.New("usage: balie eval faq|intent [--data-dir ../shared/data] [--set NAME|all]")
	}
	what := args[0]
	fs := flag.NewFlagSet("eval "+what, flag.ContinueOnError)
	dataDir := fs.String("data-dir", "../shared/data", "folder with the public data sets")
	set := fs.String("set", "all", "which data set")
	feedback := fs.Bool("feedback", false, "faq: also measure ranking that learned from other queries (3-fold)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if _, err := os.Stat(*dataDir); err != nil {
		return fmt.Errorf("eval: data folder: %w", err)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	sets := []string{*set}
	switch {
	case *set == "all" && what == "faq":
		sets = eval.FAQSets()
	case *set == "all":
		sets = []string{"banking77", "clinc150", "bitext", "xsid_nl_en", "xsid_en_nl"}
	}
	for _, s := range sets {
		var out any
		var err error
		if what == "faq" {
			out, err = eval.RunFAQ(*dataDir, s)
			if err == nil && *feedback {
				if err = enc.Encode(out); err != nil {
					return err
				}
				out, err = eval.RunFAQFeedback(*dataDir, s, 3)
			}
		} else {
			out, err = eval.RunIntent(*dataDir, s)
		}
		if err != nil {
			return fmt.Errorf("eval %s %s: %w", what, s, err)
		}
		if err := enc.Encode(out); err != nil {
			return err
		}
	}
	return nil
}

// cmdEvalSearch measures the help center's search end to end on a fresh
// temporary store (see eval.RunSearch).
//
//	balie eval search --corpus F --queries F --qrels F [--feedback-queries F --feedback-qrels F] [--folds K] --json
//	balie eval search --set stackfaq [--data-dir DIR] [--folds K]
func cmdEvalSearch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval search", flag.ContinueOnError)
	var o eval.SearchOptions
	fs.StringVar(&o.Corpus, "corpus", "", "corpus.jsonl (_id, title, text)")
	fs.StringVar(&o.Queries, "queries", "", "queries.jsonl (_id, text)")
	fs.StringVar(&o.Qrels, "qrels", "", "qrels.tsv (query-id, corpus-id, score)")
	fs.StringVar(&o.FeedbackQueries, "feedback-queries", "", "queries replayed as customers who searched and opened the right article")
	fs.StringVar(&o.FeedbackQrels, "feedback-qrels", "", "the right articles of the feedback queries")
	fs.IntVar(&o.Folds, "folds", 0, "cross-validate: learn from the other folds' queries, measure on each fold")
	fs.StringVar(&o.Locale, "locale", "en", "locale of corpus and queries")
	set := fs.String("set", "", "shortcut: a set under --data-dir/faq_retrieval (stackfaq, covidfaq)")
	dataDir := fs.String("data-dir", "../shared/data", "folder with the public data sets")
	fs.Bool("json", true, "print JSON (the only format)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *set != "" {
		dir := filepath.Join(*dataDir, "faq_retrieval", *set)
		o.Corpus, o.Queries, o.Qrels = filepath.Join(dir, "corpus.jsonl"), filepath.Join(dir, "queries_dev.jsonl"), filepath.Join(dir, "qrels_dev.tsv")
	}
	if o.Corpus == "" || o.Queries == "" || o.Qrels == "" {
		return errors.New("usage: balie eval search --corpus F --queries F --qrels F [--feedback-queries F --feedback-qrels F] [--folds K]")
	}
	tmp, err := os.MkdirTemp("", "balie-eval-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	n := 0
	o.Open = func(ctx context.Context) (desk.Store, error) {
		n++
		st, _, err := app.OpenStore(ctx, app.Config{DataDir: filepath.Join(tmp, strconv.Itoa(n))})
		return st, err
	}
	res, err := eval.RunSearch(ctx, o)
	if err != nil {
		return err
	}
	res.Set = *set
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}
