package eval

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/assist/classify"
)

func TestHoldoutStratified(t *testing.T) {
	var exs []classify.Example
	for i := range 10 {
		exs = append(exs, classify.Example{Text: string(rune('a' + i)), Label: "x"})
	}
	for i := range 5 {
		exs = append(exs, classify.Example{Text: string(rune('A' + i)), Label: "y"})
	}
	train, test := intentFold(exs, holdoutFolds-1)
	if got, want := len(test), 3; got != want { // 2 of x, 1 of y
		t.Fatalf("test size = %d, want %d", got, want)
	}
	if got, want := len(train)+len(test), len(exs); got != want {
		t.Errorf("train+test = %d, want %d", got, want)
	}
	var gotTest []string
	for _, ex := range test {
		gotTest = append(gotTest, ex.Text)
	}
	if got, want := strings.Join(gotTest, ","), "e,j,E"; got != want {
		t.Errorf("held out %s, want %s (every 5th of each label)", got, want)
	}
	// Every example is tested in exactly one fold.
	seen := map[string]int{}
	for f := range holdoutFolds {
		_, test := intentFold(exs, f)
		for _, ex := range test {
			seen[ex.Text]++
		}
	}
	for _, ex := range exs {
		if seen[ex.Text] != 1 {
			t.Errorf("%q tested in %d folds, want 1", ex.Text, seen[ex.Text])
		}
	}
}

func TestMacroF1(t *testing.T) {
	tests := []struct {
		name       string
		gold, pred []string
		skip       string
		want       float64
	}{
		{"perfect", []string{"a", "b"}, []string{"a", "b"}, "", 1},
		{"all wrong", []string{"a", "b"}, []string{"b", "a"}, "", 0},
		// a: tp 1, fn 1 → 2/3; b: tp 1, fp 1 → 2/3.
		{"one confusion", []string{"a", "a", "b"}, []string{"a", "b", "b"}, "", 2.0 / 3},
		// a: tp 1, fp 1 (an oos predicted a) → 2/3; oos skipped.
		{"oos skipped but counted as false positive", []string{"a", "oos"}, []string{"a", "a"}, "oos", 2.0 / 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := intentMacroF1(tc.gold, tc.pred, tc.skip); math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("macroF1 = %v, want %v", got, tc.want)
			}
		})
	}
}

// writeIntentFile writes content to name in dir and returns the path.
func writeIntentFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// intentSmallSet is a tiny two-intent set of our own, five examples per intent so
// that the 20% holdout tests one of each.
var intentSmallSet = []classify.Example{
	{Text: "where is my parcel", Label: "delivery"}, {Text: "my package did not arrive", Label: "delivery"},
	{Text: "waar blijft mijn pakket", Label: "delivery"}, {Text: "het pakket is niet bezorgd", Label: "delivery"},
	{Text: "has my parcel been sent", Label: "delivery"},
	{Text: "I was charged twice", Label: "billing"}, {Text: "my invoice is wrong", Label: "billing"},
	{Text: "ik heb dubbel betaald", Label: "billing"}, {Text: "de factuur klopt niet", Label: "billing"},
	{Text: "why was I charged twice", Label: "billing"},
}

func TestRunIntentFiles(t *testing.T) {
	dir := t.TempDir()
	var csvb, bitext, jsonl strings.Builder
	csvb.WriteString("text,category\n")
	bitext.WriteString("utterance,intent,category\n")
	for _, ex := range intentSmallSet {
		csvb.WriteString(`"` + ex.Text + `",` + ex.Label + "\n")
		bitext.WriteString(ex.Text + "," + ex.Label + ",X\n")
		b, _ := json.Marshal(map[string]string{"text": ex.Text, "intent": ex.Label})
		jsonl.Write(append(b, '\n'))
	}
	banking := writeIntentFile(t, dir, "banking.csv", csvb.String())
	bt := writeIntentFile(t, dir, "bitext.csv", bitext.String())
	xsid := writeIntentFile(t, dir, "xsid.jsonl", jsonl.String())

	pairs := func(exs []classify.Example) [][2]string {
		var out [][2]string
		for _, ex := range exs {
			out = append(out, [2]string{ex.Text, ex.Label})
		}
		return out
	}
	oos := []classify.Example{
		{Text: "what is the weather on mars", Label: "oos"}, {Text: "tell me a joke", Label: "oos"},
		{Text: "who won the match yesterday", Label: "oos"},
	}
	tv, _ := json.Marshal(map[string][][2]string{
		"train": pairs(intentSmallSet), "oos_train": pairs(oos[:1]),
		"val": pairs(intentSmallSet[:2]), "oos_val": pairs(oos[1:]),
	})
	clinc := writeIntentFile(t, dir, "clinc.json", string(tv))
	ct, _ := json.Marshal(map[string][][2]string{
		"test": pairs(intentSmallSet[2:5]), "oos_test": pairs(oos[:2]),
	})
	clincTest := writeIntentFile(t, dir, "clinc_test.json", string(ct))

	tests := []struct {
		name                string
		format, train, test string
		wantTrain, wantTest int
		wantHeldOut         bool
	}{
		{"banking77 holdout", FormatBanking77, banking, "", 8, 2, true},
		{"bitext train and test", FormatBitext, bt, bt, 10, 10, false},
		{"xsid holdout", FormatXSID, xsid, "", 8, 2, true},
		// 8 of 10 in-scope + 1 oos_train; 2 held out + 2 oos_val.
		{"clinc150 holdout", FormatClinc150, clinc, "", 9, 4, true},
		{"clinc150 with test file", FormatClinc150, clinc, clincTest, 11, 5, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := RunIntentFiles(tc.format, tc.train, tc.test)
			if err != nil {
				t.Fatalf("RunIntentFiles: %v", err)
			}
			if r.Train != tc.wantTrain || r.Test != tc.wantTest {
				t.Errorf("train %d test %d, want %d and %d", r.Train, r.Test, tc.wantTrain, tc.wantTest)
			}
			if r.HeldOut != tc.wantHeldOut {
				t.Errorf("held out = %v, want %v", r.HeldOut, tc.wantHeldOut)
			}
			if r.Accuracy < 0 || r.Accuracy > 1 || r.MacroF1 < 0 || r.MacroF1 > 1 {
				t.Errorf("accuracy %v macro-F1 %v, want within [0, 1]", r.Accuracy, r.MacroF1)
			}
		})
	}
	// Trained and tested on the same examples, a model must get them right.
	r, err := RunIntentFiles(FormatBitext, bt, bt)
	if err != nil {
		t.Fatal(err)
	}
	if r.Accuracy != 1 {
		t.Errorf("accuracy on its own training set = %v, want 1", r.Accuracy)
	}
}

func TestRunIntentErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, format, content string
	}{
		{"unknown format", "nope", "text,category\na,b\n"},
		{"missing column", FormatBanking77, "utterance,intent\na,b\n"},
		{"no examples", FormatBanking77, "text,category\n"},
		{"bad json line", FormatXSID, "{\"text\": 1}\n"},
		{"clinc without val", FormatClinc150, `{"train": [["a", "b"]]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeIntentFile(t, dir, "in", tc.content)
			if _, err := RunIntentFiles(tc.format, p, ""); err == nil {
				t.Error("RunIntentFiles succeeded, want an error")
			}
		})
	}
	if _, err := RunIntentFiles(FormatBanking77, filepath.Join(dir, "missing.csv"), ""); err == nil {
		t.Error("missing file: no error")
	}
	if _, err := RunIntent(dir, "nope"); err == nil {
		t.Error("RunIntent with an unknown set: no error")
	}
}
