package classify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/lang"
)

// This file keeps the prediction path as it was before it was made faster
// (extract, encode, weigh, probs and the full sort, verbatim but renamed
// ref*), as the reference the fast path must match bit for bit, and checks
// that training still builds exactly the model it built then.

var update = flag.Bool("update", false, "rewrite testdata/golden_models.txt from the current code")

func refExtract(text string) []rawFeature {
	toks := lang.Tokens(text)
	if len(toks) > maxTokens {
		toks = toks[:maxTokens]
	}
	counts := make(map[string]float32, 16*len(toks)+1)
	prev, prev2 := "^", "^^"
	var sb strings.Builder
	for _, t := range toks {
		if hasDigit(t) {
			if isDigits(t) {
				counts[featureNum]++
				prev, prev2 = "#num", prev
			} else {
				counts[featureCode]++
				prev, prev2 = "#code", prev
			}
			continue
		}
		en := lang.Stem("en", t)
		nl := lang.Stem("nl", t)
		counts[prefixWord+en]++
		if nl != en {
			counts[prefixWord+nl]++
		}
		counts[prefixBigram+prev+" "+en]++
		counts[prefixSkip+prev2+" "+en]++
		prev, prev2 = en, prev
		refAddCharGrams(counts, &sb, t)
	}
	counts[prefixBigram+prev+" $"]++

	out := make([]rawFeature, 0, len(counts)+1)
	var norm float64
	for name, n := range counts {
		v := 1 + math.Log(float64(n))
		if strings.HasPrefix(name, prefixChar) {
			v *= charWeight
		}
		norm += v * v
		out = append(out, rawFeature{name, float32(v)})
	}
	if norm > 0 {
		s := float32(1 / math.Sqrt(norm))
		for i := range out {
			out[i].v *= s
		}
	}
	out = append(out, rawFeature{featureBias, 1})
	slices.SortFunc(out, func(a, b rawFeature) int { return strings.Compare(a.name, b.name) })
	return out
}

func refAddCharGrams(counts map[string]float32, sb *strings.Builder, word string) {
	w := "<" + word + ">"
	for n := 3; n <= 5; n++ {
		for i := 0; i+n <= len(w); i++ {
			sb.Reset()
			sb.WriteString(prefixChar)
			sb.WriteString(w[i : i+n])
			counts[sb.String()]++
		}
	}
}

func refEncode(c *Classifier, text string) []feature {
	raw := refExtract(text)
	out := make([]feature, 0, len(raw))
	for _, f := range raw {
		row, ok := c.vocab[f.name]
		if !ok {
			continue
		}
		out = append(out, feature{row, f.v})
	}
	return out
}

func refWeigh(c *Classifier, x []feature) []feature {
	out := make([]feature, len(x))
	var norm float64
	bias := -1
	for i, f := range x {
		if c.names[f.row] == featureBias {
			bias = i
			out[i] = f
			continue
		}
		var df int32
		if int(f.row) < len(c.df) {
			df = c.df[f.row]
		}
		v := float64(f.v) * (1 + math.Log(float64(1+c.docs)/float64(1+df)))
		out[i] = feature{f.row, float32(v)}
		norm += v * v
	}
	if norm > 0 {
		s := 1 / math.Sqrt(norm)
		for i := range out {
			if i != bias {
				out[i].v = float32(float64(out[i].v) * s)
			}
		}
	}
	return out
}

func refProbs(c *Classifier, x []feature, p []float64) {
	clear(p)
	for _, f := range x {
		row := c.w[f.row]
		v := float64(f.v)
		for k, wk := range row {
			p[k] += float64(wk) * v
		}
	}
	if len(p) == 0 {
		return
	}
	m := slices.Max(p)
	var sum float64
	for k := range p {
		p[k] = math.Exp(p[k] - m)
		sum += p[k]
	}
	for k := range p {
		p[k] /= sum
	}
}

func refPredict(c *Classifier, text string) []Scored {
	if len(c.labels) == 0 {
		return nil
	}
	p := make([]float64, len(c.labels))
	refProbs(c, refWeigh(c, refEncode(c, text)), p)
	out := make([]Scored, len(p))
	for k, pk := range p {
		out[k] = Scored{c.labels[k], pk}
	}
	slices.SortFunc(out, func(a, b Scored) int {
		if a.P != b.P {
			if a.P > b.P {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Label, b.Label)
	})
	return out
}

// edgeTexts are texts the fixtures lack: empty, numbers and codes only,
// repeats, non-Latin script, words longer than a token, more words than
// maxTokens, punctuation.
func edgeTexts() []string {
	return []string{
		"",
		"   ",
		"?!",
		"12345",
		"NL-2024-0001 jan@example.nl 06-12345678",
		"order order order order order",
		"refund refund refund geld terug terug",
		"Привет, где мой заказ?",
		"我的包裹在哪里",
		"ÉÉN café, één crème brûlée s'il vous plaît",
		strings.Repeat("supercalifragilisticexpialidocious", 4),
		strings.Repeat("where is my parcel please help ", 40),
		"a b c d e f g h",
		"I'm can't won't don't",
		"bezorging bezorgd bezorger bezorgen",
		"<script>alert(1)</script> mijn factuur",
	}
}

// goldenCase is one classifier the golden tests train.
type goldenCase struct {
	name string
	exs  []Example
	// corrections are Learn calls after the batch.
	corrections []Example
	texts       []string
}

func goldenCases(t *testing.T) []goldenCase {
	fix := loadFixture(t)
	var fixTexts []string
	for _, ex := range fix {
		fixTexts = append(fixTexts, ex.Text)
	}
	fixTexts = append(fixTexts, edgeTexts()...)
	cases := []goldenCase{
		{name: "fixture", exs: fix, texts: fixTexts},
		{
			name: "fixture with corrections",
			exs:  fix,
			corrections: []Example{
				{"mijn pakket is kapot aangekomen", "returns"},
				{"the invoice app crashes", "billing"},
				{"hoe zeg ik mijn abonnement op", "cancel"},
			},
			texts: fixTexts,
		},
	}
	if raceEnabled {
		t.Log("race detector on: fixture only, clinc150 trains too slowly under it")
		return cases
	}
	raw, err := os.ReadFile(clincPath)
	if err != nil {
		t.Logf("clinc150 not found (see SOURCES.md), fixture only: %v", err)
		return cases
	}
	var tv map[string][][2]string
	if err := json.Unmarshal(raw, &tv); err != nil {
		t.Fatal(err)
	}
	// One in five of the training split, to keep the test quick, and the
	// validation split and out-of-scope texts to classify.
	var exs []Example
	for i, p := range tv["train"] {
		if i%5 == 0 {
			exs = append(exs, Example{Text: p[0], Label: p[1]})
		}
	}
	var texts []string
	for _, part := range []string{"val", "oos_val"} {
		for _, p := range tv[part] {
			texts = append(texts, p[0])
		}
	}
	texts = append(texts, edgeTexts()...)
	return append(cases, goldenCase{name: "clinc150 fifth", exs: exs, texts: texts})
}

func (gc goldenCase) train(t *testing.T) *Classifier {
	t.Helper()
	c := trained(t, Options{}, gc.exs)
	for _, ex := range gc.corrections {
		if err := c.Learn(ex.Text, ex.Label); err != nil {
			t.Fatalf("Learn: %v", err)
		}
	}
	return c
}

// TestPredictMatchesReference checks that Predict and Classify give what
// the reference gives: the same labels in the same order with the same
// probabilities to the last bit.
func TestPredictMatchesReference(t *testing.T) {
	for _, gc := range goldenCases(t) {
		t.Run(gc.name, func(t *testing.T) {
			trained := gc.train(t)
			var buf bytes.Buffer
			if err := trained.Save(&buf); err != nil {
				t.Fatalf("Save: %v", err)
			}
			loaded, err := Load(&buf)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			for _, c := range []*Classifier{trained, loaded} {
				checkAgainstReference(t, c, gc.texts)
			}
		})
	}
}

// checkAgainstReference fails unless Predict and Classify on c give for
// every text what refPredict gives, to the last bit.
func checkAgainstReference(t *testing.T, c *Classifier, texts []string) {
	t.Helper()
	for _, text := range texts {
		want := refPredict(c, text)
		got := c.Predict(text)
		if len(got) != len(want) {
			t.Fatalf("Predict(%q): got %d scores, want %d", text, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("Predict(%q)[%d] = %+v, want %+v", text, i, got[i], want[i])
				break
			}
		}
		if len(want) == 0 {
			continue
		}
		best, ok := c.Classify(text)
		if best != want[0] || ok != (want[0].P >= c.Threshold()) {
			t.Errorf("Classify(%q) = %+v, %v; want %+v, %v", text, best, ok, want[0], want[0].P >= c.Threshold())
		}
	}
}

// TestTrainingGolden checks that training builds the very model it built
// before the prediction path changed: the SHA-256 of each saved model is in
// testdata/golden_models.txt (rewrite with -update, only on purpose and
// with clinc150 at hand and without -race, so that every case is written).
func TestTrainingGolden(t *testing.T) {
	const path = "testdata/golden_models.txt"
	got := map[string]string{}
	var lines []string
	for _, gc := range goldenCases(t) {
		c := gc.train(t)
		var buf bytes.Buffer
		if err := c.Save(&buf); err != nil {
			t.Fatalf("Save: %v", err)
		}
		sum := sha256.Sum256(buf.Bytes())
		got[gc.name] = hex.EncodeToString(sum[:])
		lines = append(lines, gc.name+"\t"+got[gc.name])
	}
	if *update {
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for line := range strings.Lines(string(raw)) {
		name, sum, _ := strings.Cut(strings.TrimSpace(line), "\t")
		want[name] = sum
	}
	for name, sum := range got {
		if want[name] != sum {
			t.Errorf("model %q: got SHA-256 %s, want %s (from %s)", name, sum, want[name], path)
		}
	}
}
