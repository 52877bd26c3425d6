package eval

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/assist/classify"
)

// Intent evaluation: train the product's classifier (package classify) on a
// public intent data set and measure it on examples it did not train on.
// The data sets live outside the repository (../shared/data/intent, see
// SOURCES.md there) and are read by path.

// Intent data set formats, as named by `balie eval intent --format`.
const (
	FormatBanking77 = "banking77" // CSV text,category
	FormatClinc150  = "clinc150"  // JSON {"train": [[text, intent]...], "val": ..., "oos_val": ...}
	FormatBitext    = "bitext"    // CSV utterance,intent,...
	FormatXSID      = "xsid"      // JSON lines {"text": ..., "intent": ...}
)

// clincOOS is the label clinc150 gives out-of-scope queries.
const clincOOS = "oos"

// holdoutFolds is the number of stratified folds a training file is cut
// into when no test file is given: one fold (20%) is held out.
const holdoutFolds = 5

// IntentResult is the outcome of one intent evaluation.
type IntentResult struct {
	Set string `json:"set"`
	// Accuracy is the share of test examples whose top label is right; for
	// clinc150 the in-scope accuracy, where a right label below the
	// threshold counts as wrong.
	Accuracy float64 `json:"accuracy"`
	// MacroF1 is the unweighted mean F1 over the test set's labels (for
	// clinc150 the in-scope labels, with "unknown" as a wrong prediction).
	MacroF1 float64 `json:"macro_f1"`
	// OOSRecall is, for clinc150 only, the share of out-of-scope queries
	// answered "unknown".
	OOSRecall float64 `json:"oos_recall,omitempty"`
	// TopAccuracy is, for clinc150 only, the in-scope accuracy with no
	// threshold (the top label always taken, unless it is "oos"): the
	// ceiling that Accuracy trades for OOSRecall.
	TopAccuracy float64 `json:"top_accuracy,omitempty"`
	// Threshold is the confidence threshold used (clinc150: chosen on the
	// validation split); 0 means the top label was always taken.
	Threshold float64 `json:"threshold"`
	Train     int     `json:"train"`
	Test      int     `json:"test"`
	// TrainSeconds is the wall time of training (summed over folds).
	TrainSeconds float64 `json:"train_seconds"`
	// HeldOut is true when no test file was given and the measured
	// examples were held out of the training file.
	HeldOut bool `json:"held_out"`
	// Split says what was trained on and what was measured.
	Split string `json:"split"`
}

// RunIntent evaluates the classifier on one of the data sets under dataDir
// (the shared data folder holding intent/...): set is "banking77",
// "clinc150", "bitext" or "xsid_nl_en" (Dutch), or "xsid_en_nl" (trained on
// the English sentences, measured on their Dutch translations).
//
// banking77 has only a training split in our copy: a stratified 20% of it
// is held out. clinc150 has no test split in our copy: a stratified 20% of
// train is held out, and the threshold is chosen on val with half of
// oos_val, measured on the other half (see runClincHeldOut). bitext
// trains on its training file and reports on its validation file. xsid has
// 300 Dutch sentences: it is measured by 5-fold stratified cross-validation.
func RunIntent(dataDir, set string) (IntentResult, error) {
	dir := filepath.Join(dataDir, "intent")
	var (
		r   IntentResult
		err error
	)
	switch set {
	case "banking77":
		r, err = RunIntentFiles(FormatBanking77, filepath.Join(dir, "banking77", "train.csv"), "")
	case "clinc150":
		r, err = RunIntentFiles(FormatClinc150, filepath.Join(dir, "clinc150", "train_val.json"), "")
	case "bitext":
		bt := filepath.Join(dir, "bitext_customer_service")
		r, err = RunIntentFiles(FormatBitext,
			filepath.Join(bt, "Bitext_Sample_Customer_Service_Training_Dataset.csv"),
			filepath.Join(bt, "Bitext_Sample_Customer_Service_Validation_Dataset.csv"))
	case "xsid_nl_en":
		r, err = crossValidateIntent(FormatXSID, filepath.Join(dir, "xsid_nl_en", "nl.valid.intents.jsonl"))
	case "xsid_en_nl":
		r, err = RunIntentFiles(FormatXSID,
			filepath.Join(dir, "xsid_nl_en", "en.valid.intents.jsonl"),
			filepath.Join(dir, "xsid_nl_en", "nl.valid.intents.jsonl"))
	default:
		return IntentResult{}, fmt.Errorf("eval: intent: unknown set %q", set)
	}
	if err != nil {
		return IntentResult{}, err
	}
	r.Set = set
	return r, nil
}

// RunIntentFiles is `balie eval intent --format F --train T --test S`: it
// trains a new classifier on trainPath and measures it on testPath. With
// testPath empty, a stratified 20% of trainPath is held out instead (for
// clinc150, see runClincHeldOut).
//
// For clinc150, trainPath is a JSON object with "train", "oos_train", "val"
// and "oos_val" lists of [text, intent]; the model trains on "train" and
// "oos_train" (out-of-scope as one more class, "oos"), and the threshold
// is chosen on "val"/"oos_val" only. testPath, if given, is a
// JSON object with "test" and "oos_test".
func RunIntentFiles(format, trainPath, testPath string) (IntentResult, error) {
	if format == FormatClinc150 {
		return runClinc(trainPath, testPath)
	}
	train, err := readIntentFile(format, trainPath)
	if err != nil {
		return IntentResult{}, err
	}
	var test []classify.Example
	heldOut := false
	split := "train " + filepath.Base(trainPath) + ", test " + filepath.Base(testPath)
	if testPath == "" {
		train, test = intentFold(train, holdoutFolds-1)
		split = "train 80% of " + filepath.Base(trainPath) + ", test the stratified 20% held out"
		heldOut = true
	} else if test, err = readIntentFile(format, testPath); err != nil {
		return IntentResult{}, err
	}
	c, secs, err := trainIntent(train)
	if err != nil {
		return IntentResult{}, err
	}
	gold, pred := predictIntents(c, test, 0)
	return IntentResult{
		Set:          format,
		Accuracy:     intentAccuracy(gold, pred),
		MacroF1:      intentMacroF1(gold, pred, ""),
		Train:        len(train),
		Test:         len(test),
		TrainSeconds: secs,
		HeldOut:      heldOut,
		Split:        split,
	}, nil
}

// crossValidateIntent measures by stratified k-fold cross-validation: each
// example is predicted once, by a model that did not train on it. For
// small sets, where one 20% holdout would be too noisy to read.
func crossValidateIntent(format, path string) (IntentResult, error) {
	all, err := readIntentFile(format, path)
	if err != nil {
		return IntentResult{}, err
	}
	var gold, pred []string
	var secs float64
	for f := range holdoutFolds {
		train, test := intentFold(all, f)
		c, s, err := trainIntent(train)
		if err != nil {
			return IntentResult{}, err
		}
		secs += s
		g, p := predictIntents(c, test, 0)
		gold, pred = append(gold, g...), append(pred, p...)
	}
	return IntentResult{
		Set:          format,
		Accuracy:     intentAccuracy(gold, pred),
		MacroF1:      intentMacroF1(gold, pred, ""),
		Train:        len(all) * (holdoutFolds - 1) / holdoutFolds,
		Test:         len(gold),
		TrainSeconds: secs,
		HeldOut:      true,
		Split:        fmt.Sprintf("%d-fold stratified cross-validation over %s", holdoutFolds, filepath.Base(path)),
	}, nil
}

func runClinc(trainPath, testPath string) (IntentResult, error) {
	tv, err := readClinc(trainPath)
	if err != nil {
		return IntentResult{}, err
	}
	inTrain, oosTrain := tv["train"], tv["oos_train"]
	val, oosVal := tv["val"], tv["oos_val"]
	if len(inTrain) == 0 || len(val) == 0 || len(oosVal) == 0 {
		return IntentResult{}, fmt.Errorf("eval: intent: %s: want non-empty train, val and oos_val", trainPath)
	}
	if testPath == "" {
		return runClincHeldOut(inTrain, oosTrain, val, oosVal)
	}
	t, err := readClinc(testPath)
	if err != nil {
		return IntentResult{}, err
	}
	test, oosTest := t["test"], t["oos_test"]
	if len(test) == 0 || len(oosTest) == 0 {
		return IntentResult{}, fmt.Errorf("eval: intent: %s: want non-empty test and oos_test", testPath)
	}
	// Out-of-scope training examples become one more class, "oos": a
	// prediction of it counts as "unknown", like one below the threshold.
	train := append(slices.Clone(inTrain), oosTrain...)
	c, secs, err := trainIntent(train)
	if err != nil {
		return IntentResult{}, err
	}
	thr := chooseThreshold(c, val, oosVal)
	m := clincMeasure(c, test, oosTest, thr)
	top := clincMeasure(c, test, oosTest, 0)
	return IntentResult{
		Set:          FormatClinc150,
		Accuracy:     m.inScope,
		MacroF1:      m.macroF1,
		OOSRecall:    m.oosRecall,
		TopAccuracy:  top.inScope,
		Threshold:    thr,
		Train:        len(train),
		Test:         len(test) + len(oosTest),
		TrainSeconds: secs,
		Split:        "train on train+oos_train; threshold chosen on val+oos_val; reported on test+oos_test",
	}, nil
}

// runClincHeldOut measures clinc150 without a test file, on examples used
// neither for training nor for choosing the threshold. In-scope: a
// stratified 20% of train (every fifth example of each intent) is held out
// and the model trains on the rest plus oos_train. Out-of-scope: oos_val is
// cut in two halves (even and odd positions); the threshold is chosen on
// val plus one half and measured on the other half, then the other way
// round (two-fold cross-fitting), so that every out-of-scope example is
// measured once, by a threshold that did not see it. The in-scope numbers
// are the mean over the two thresholds.
func runClincHeldOut(inTrain, oosTrain, val, oosVal []classify.Example) (IntentResult, error) {
	train, test := intentFold(inTrain, holdoutFolds-1)
	train = append(train, oosTrain...)
	c, secs, err := trainIntent(train)
	if err != nil {
		return IntentResult{}, err
	}
	var halves [2][]classify.Example
	for i, ex := range oosVal {
		halves[i%2] = append(halves[i%2], ex)
	}
	var (
		inScope, macroF1, thrSum float64
		oosFound                 int
	)
	for h := range halves {
		tune, measure := halves[h], halves[1-h]
		if len(tune) == 0 || len(measure) == 0 {
			return IntentResult{}, fmt.Errorf("eval: intent: clinc150: want at least two oos_val examples")
		}
		thr := chooseThreshold(c, val, tune)
		m := clincMeasure(c, test, measure, thr)
		inScope += m.inScope / 2
		macroF1 += m.macroF1 / 2
		thrSum += thr / 2
		oosFound += int(math.Round(m.oosRecall * float64(len(measure))))
	}
	top := clincMeasure(c, test, nil, 0)
	return IntentResult{
		Set:          FormatClinc150,
		Accuracy:     inScope,
		MacroF1:      macroF1,
		OOSRecall:    float64(oosFound) / float64(len(oosVal)),
		TopAccuracy:  top.inScope,
		Threshold:    thrSum,
		Train:        len(train),
		Test:         len(test) + len(oosVal),
		TrainSeconds: secs,
		HeldOut:      true,
		Split: "train on 80% of train + oos_train; measured on the stratified 20% of train held out " +
			"and on oos_val, cut in two halves: threshold chosen on val + one half, measured on the other, " +
			"both ways (threshold shown is the mean of the two)",
	}, nil
}

type clincMetrics struct{ inScope, oosRecall, macroF1 float64 }

// clincMeasure scores in-scope and out-of-scope examples at threshold thr:
// a prediction below it is "oos".
func clincMeasure(c *classify.Classifier, in, oos []classify.Example, thr float64) clincMetrics {
	gold, pred := predictIntents(c, in, thr)
	og, op := predictIntents(c, oos, thr)
	var m clincMetrics
	m.inScope = intentAccuracy(gold, pred)
	m.oosRecall = intentAccuracy(og, op)
	m.macroF1 = intentMacroF1(append(gold, og...), append(pred, op...), clincOOS)
	return m
}

// oosShare is the share of out-of-scope messages the threshold is tuned
// for: we expect about one first message in five to be about something the
// classifier was not taught (clinc150's own test mix is 1,000 in 5,500).
// Weighting by it, rather than by the split's 100 in 3,100, keeps the
// threshold from ignoring out-of-scope queries; weighting both kinds
// equally would hand many answerable questions to a person for each
// out-of-scope one caught.
const oosShare = 0.2

// chooseThreshold picks the threshold that maximises the expected accuracy
// on validation data, (1-oosShare)·in-scope accuracy + oosShare·OOS recall,
// trying thresholds in steps of 0.01.
func chooseThreshold(c *classify.Classifier, val, oosVal []classify.Example) float64 {
	top := func(exs []classify.Example) []classify.Scored {
		out := make([]classify.Scored, len(exs))
		for i, ex := range exs {
			out[i], _ = c.Classify(ex.Text)
		}
		return out
	}
	vs, os := top(val), top(oosVal)
	best, bestScore := 0.0, -1.0
	for i := range 100 {
		thr := float64(i) / 100
		var in, out int
		for j, s := range vs {
			if s.Label == val[j].Label && s.P >= thr {
				in++
			}
		}
		for _, s := range os {
			if s.Label == clincOOS || s.P < thr {
				out++
			}
		}
		score := (1-oosShare)*float64(in)/float64(len(vs)) + oosShare*float64(out)/float64(len(os))
		if score > bestScore {
			best, bestScore = thr, score
		}
	}
	return best
}

// trainIntent trains a fresh classifier with the product's default options
// and returns it with the training wall time in seconds.
func trainIntent(train []classify.Example) (*classify.Classifier, float64, error) {
	c, err := classify.New(classify.Options{})
	if err != nil {
		return nil, 0, fmt.Errorf("eval: intent: %w", err)
	}
	start := time.Now()
	if err := c.Train(train); err != nil {
		return nil, 0, fmt.Errorf("eval: intent: %w", err)
	}
	return c, time.Since(start).Seconds(), nil
}

// predictIntents returns gold and predicted labels for exs; a top probability
// below thr is predicted as clincOOS.
func predictIntents(c *classify.Classifier, exs []classify.Example, thr float64) (gold, pred []string) {
	for _, ex := range exs {
		s, _ := c.Classify(ex.Text)
		label := s.Label
		if s.P < thr {
			label = clincOOS
		}
		gold = append(gold, ex.Label)
		pred = append(pred, label)
	}
	return gold, pred
}

// intentFold splits examples by label, stratified and deterministic: the i-th
// example of each label (in file order) is in fold i mod holdoutFolds, and
// fold is the test part.
func intentFold(exs []classify.Example, fold int) (train, test []classify.Example) {
	seen := make(map[string]int)
	for _, ex := range exs {
		i := seen[ex.Label]
		seen[ex.Label]++
		if i%holdoutFolds == fold {
			test = append(test, ex)
		} else {
			train = append(train, ex)
		}
	}
	return train, test
}

func intentAccuracy(gold, pred []string) float64 {
	if len(gold) == 0 {
		return 0
	}
	var ok int
	for i := range gold {
		if gold[i] == pred[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(gold))
}

// intentMacroF1 averages F1 over the labels that occur in gold, except skip (the
// out-of-scope label, whose quality OOSRecall reports).
func intentMacroF1(gold, pred []string, skip string) float64 {
	tp, fp, fn := map[string]int{}, map[string]int{}, map[string]int{}
	labels := map[string]bool{}
	for i := range gold {
		labels[gold[i]] = true
		if gold[i] == pred[i] {
			tp[gold[i]]++
		} else {
			fn[gold[i]]++
			fp[pred[i]]++
		}
	}
	delete(labels, skip)
	if len(labels) == 0 {
		return 0
	}
	var sum float64
	// In label order: a sum over a map's order differs in the last digit
	// from run to run.
	for _, l := range slices.Sorted(maps.Keys(labels)) {
		if d := 2*tp[l] + fp[l] + fn[l]; d > 0 {
			sum += float64(2*tp[l]) / float64(d)
		}
	}
	return sum / float64(len(labels))
}

// readIntentFile reads the labelled examples of a CSV or JSON lines file.
func readIntentFile(format, path string) ([]classify.Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("eval: intent: %w", err)
	}
	defer f.Close()
	var exs []classify.Example
	switch format {
	case FormatBanking77:
		exs, err = readIntentCSV(f, "text", "category")
	case FormatBitext:
		exs, err = readIntentCSV(f, "utterance", "intent")
	case FormatXSID:
		exs, err = readIntentJSONL(f)
	default:
		err = fmt.Errorf("unknown format %q", format)
	}
	if err != nil {
		return nil, fmt.Errorf("eval: intent: %s: %w", path, err)
	}
	if len(exs) == 0 {
		return nil, fmt.Errorf("eval: intent: %s: no examples", path)
	}
	return exs, nil
}

// readIntentCSV reads a CSV with a header row, taking the named text and label
// columns.
func readIntentCSV(r io.Reader, textCol, labelCol string) ([]classify.Example, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	ti, li := -1, -1
	for i, h := range head {
		switch strings.TrimSpace(h) {
		case textCol:
			ti = i
		case labelCol:
			li = i
		}
	}
	if ti < 0 || li < 0 {
		return nil, fmt.Errorf("header %q lacks %q or %q", head, textCol, labelCol)
	}
	var out []classify.Example
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if max(ti, li) >= len(rec) {
			return nil, fmt.Errorf("line %d: %d fields", len(out)+2, len(rec))
		}
		out = append(out, classify.Example{Text: rec[ti], Label: rec[li]})
	}
}

func readIntentJSONL(r io.Reader) ([]classify.Example, error) {
	dec := json.NewDecoder(r)
	var out []classify.Example
	for {
		var line struct {
			Text   string `json:"text"`
			Intent string `json:"intent"`
		}
		err := dec.Decode(&line)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", len(out)+1, err)
		}
		out = append(out, classify.Example{Text: line.Text, Label: line.Intent})
	}
}

// readClinc reads a clinc150 JSON object of named lists of [text, intent].
func readClinc(path string) (map[string][]classify.Example, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("eval: intent: %w", err)
	}
	var raw map[string][][2]string
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("eval: intent: %s: %w", path, err)
	}
	out := make(map[string][]classify.Example, len(raw))
	for k, pairs := range raw {
		exs := make([]classify.Example, len(pairs))
		for i, p := range pairs {
			exs[i] = classify.Example{Text: p[0], Label: p[1]}
		}
		out[k] = exs
	}
	return out, nil
}
