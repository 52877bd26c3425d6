package front

import (
	"bufio"
	"context"
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/balie-dev/balie/internal/assist/classify"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/lang"
)

// Categorising at first contact. The classifier learns from three sources:
// built-in examples for the default categories (seed.tsv, so a new
// installation categorises from its first conversation), examples an admin
// imports, and the category agents set or correct on conversations (their
// first customer message becomes a training example; a correction replaces
// the conversation's earlier example). It is retrained from all of them on
// start and whenever enough new examples came in; a single correction is
// learnt at once.

//go:embed seed.tsv
var seedTSV string

// seedExamples parses seed.tsv.
func seedExamples() []desk.IntentExample {
	var out []desk.IntentExample
	sc := bufio.NewScanner(strings.NewReader(seedTSV))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "\t", 3)
		if len(parts) == 3 {
			out = append(out, desk.IntentExample{Category: parts[0], Locale: parts[1], Text: parts[2], Source: "seed"})
		}
	}
	return out
}

// retrainAfter is how many new examples trigger a full retrain.
const retrainAfter = 50

type classifier struct {
	mu      sync.RWMutex
	clf     *classify.Classifier
	trained int // examples in the last full training
	pending int // examples learnt one by one since
	built   time.Time
}

// Classification is the classifier's view of a text.
type Classification struct {
	Category string  // best guess ("" when it knows nothing)
	P        float64 // its probability
	OK       bool    // confident enough to act on
	Language string  // "nl", "en" or ""
}

// Retrain builds a new model from the seed and every stored example, and
// swaps it in when done. Categories no longer in the company's list are
// left out.
func (s *Service) Retrain(ctx context.Context) error {
	cats, err := s.Categories(ctx)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, c := range cats {
		known[c.Key] = true
	}
	var examples []classify.Example
	for _, e := range seedExamples() {
		if known[e.Category] {
			examples = append(examples, classify.Example{Text: e.Text, Label: e.Category})
		}
	}
	seeded := len(examples)
	var after int64
	for {
		page, err := s.st.ListIntentExamples(ctx, after, 5000)
		if err != nil {
			return fmt.Errorf("front: retrain: %w", err)
		}
		for _, e := range page {
			if known[e.Category] {
				examples = append(examples, classify.Example{Text: e.Text, Label: e.Category})
			}
			after = e.ID
		}
		if len(page) < 5000 {
			break
		}
	}
	clf, err := classify.New(classify.Options{Threshold: s.opts.Threshold})
	if err != nil {
		return fmt.Errorf("front: retrain: %w", err)
	}
	if err := clf.Train(examples); err != nil {
		return fmt.Errorf("front: retrain: %w", err)
	}
	s.clf.mu.Lock()
	s.clf.clf, s.clf.trained, s.clf.pending, s.clf.built = clf, len(examples), 0, s.clock.Now()
	s.clf.mu.Unlock()
	s.log.Info("front: classifier trained", "examples", len(examples), "seed", seeded)
	return nil
}

// Classify says what a customer's text is about.
func (s *Service) Classify(text string) Classification {
	out := Classification{Language: lang.Detect(text)}
	s.clf.mu.RLock()
	clf := s.clf.clf
	s.clf.mu.RUnlock()
	if clf == nil {
		return out
	}
	best, ok := clf.Classify(text)
	out.Category, out.P, out.OK = best.Label, best.P, ok
	return out
}

// learn stores an example and teaches the model at once; after enough of
// them it retrains in the background.
func (s *Service) learn(ctx context.Context, e *desk.IntentExample) error {
	if err := s.st.PutIntentExample(ctx, e); err != nil {
		return fmt.Errorf("front: learn: %w", err)
	}
	s.clf.mu.Lock()
	clf := s.clf.clf
	s.clf.pending++
	due := s.clf.pending >= retrainAfter
	s.clf.mu.Unlock()
	if clf != nil {
		if err := clf.Learn(e.Text, e.Category); err != nil {
			return fmt.Errorf("front: learn: %w", err)
		}
	}
	if due {
		go func() {
			if err := s.Retrain(context.WithoutCancel(ctx)); err != nil {
				s.log.Warn("front: retrain", "err", err)
			}
		}()
	}
	return nil
}

// ImportExamples adds labelled examples an admin brings (source "import").
func (s *Service) ImportExamples(ctx context.Context, examples []desk.IntentExample) (int, error) {
	n := 0
	for i := range examples {
		e := &examples[i]
		e.Text = strings.TrimSpace(e.Text)
		if e.Text == "" || e.Category == "" {
			continue
		}
		if _, ok := s.Category(ctx, e.Category); !ok {
			return n, fmt.Errorf("front: import: line %d: unknown category %q: %w", i+1, e.Category, desk.ErrInvalid)
		}
		e.Source, e.ConversationID, e.CreatedAt = "import", 0, s.clock.Now()
		if e.Locale == "" {
			e.Locale = lang.Detect(e.Text)
		}
		if err := s.st.PutIntentExample(ctx, e); err != nil {
			return n, fmt.Errorf("front: import: %w", err)
		}
		n++
	}
	return n, s.Retrain(ctx)
}
