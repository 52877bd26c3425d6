package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

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
