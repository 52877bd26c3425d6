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
//	balie eval intent ... (see cmdEvalIntent)
func cmdEval(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "intent" {
		return cmdEvalIntent(args[1:], stdout)
	}
	if len(args) > 0 && args[0] == "forecast" {
		return cmdEvalForecast(args[1:], stdout)
	}
	if len(args) == 0 || args[0] != "faq" {
		return errors.New("usage: balie eval faq|intent|search [--data-dir ../shared/data] [--set NAME|all]")
	}
	fs := flag.NewFlagSet("eval faq", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "../shared/data", "folder with the public data sets")
	set := fs.String("set", "all", "which data set")
	feedback := fs.Bool("feedback", false, "also measure ranking that learned from other queries (3-fold)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if _, err := os.Stat(*dataDir); err != nil {
		return fmt.Errorf("eval: data folder: %w", err)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	sets := []string{*set}
	if *set == "all" {
		sets = eval.FAQSets()
	}
	for _, s := range sets {
		out, err := eval.RunFAQ(*dataDir, s)
		if err == nil && *feedback {
			if err = enc.Encode(out); err != nil {
				return err
			}
			out, err = eval.RunFAQFeedback(*dataDir, s, 3)
		}
		if err != nil {
			return fmt.Errorf("eval faq %s: %w", s, err)
		}
		if err := enc.Encode(out); err != nil {
			return err
		}
	}
	return nil
}

// cmdEvalIntent trains the product's intent classifier on a labelled set
// and measures it on examples it did not train on (see eval.RunIntentFiles
// and eval.RunIntent).
//
//	balie eval intent --train F [--test F] --format banking77|clinc150|bitext|xsid [--json]
//	balie eval intent [--data-dir DIR] [--set banking77|clinc150|bitext|xsid_nl_en|xsid_en_nl|all] [--json]
//
// Without --test a stratified 20% of --train is held out ("held_out": true).
// With --json each result is one JSON line; otherwise it is indented.
func cmdEvalIntent(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("eval intent", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "../shared/data", "folder with the public data sets")
	set := fs.String("set", "", "a data set under --data-dir/intent, or all (the default without --train)")
	train := fs.String("train", "", "training file (clinc150: JSON with train, val, oos_train, oos_val)")
	test := fs.String("test", "", "test file (clinc150: JSON with test, oos_test); default: hold out 20% of --train")
	format := fs.String("format", "", "format of --train and --test: banking77, clinc150, bitext or xsid")
	compact := fs.Bool("json", false, "print one JSON line per result")
	if err := parse(fs, args); err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	if !*compact {
		enc.SetIndent("", "  ")
	}
	if *train != "" || *test != "" || *format != "" {
		if *train == "" || *format == "" || *set != "" {
			return errors.New("usage: balie eval intent --train F [--test F] --format banking77|clinc150|bitext|xsid [--json]")
		}
		r, err := eval.RunIntentFiles(*format, *train, *test)
		if err != nil {
			return err
		}
		return enc.Encode(r)
	}
	if _, err := os.Stat(*dataDir); err != nil {
		return fmt.Errorf("eval: data folder: %w", err)
	}
	sets := []string{*set}
	if *set == "" || *set == "all" {
		sets = []string{"banking77", "clinc150", "bitext", "xsid_nl_en", "xsid_en_nl"}
	}
	for _, s := range sets {
		r, err := eval.RunIntent(*dataDir, s)
		if err != nil {
			return fmt.Errorf("eval intent %s: %w", s, err)
		}
		if err := enc.Encode(r); err != nil {
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
