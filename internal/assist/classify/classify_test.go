package classify

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
)

// loadFixture reads testdata/contact.tsv: label<TAB>text, # comments.
func loadFixture(t testing.TB) []Example {
	t.Helper()
	f, err := os.Open("testdata/contact.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Example
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		label, text, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("fixture line %q has no tab", line)
		}
		out = append(out, Example{Text: text, Label: label})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func trained(t testing.TB, opts Options, exs []Example) *Classifier {
	t.Helper()
	c, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := c.Train(exs); err != nil {
		t.Fatalf("Train: %v", err)
	}
	return c
}

// checkDistribution fails unless ps holds each label once, sorted by
// falling probability, with probabilities summing to 1.
func checkDistribution(t *testing.T, ps []Scored, labels int) {
	t.Helper()
	if len(ps) != labels {
		t.Fatalf("got %d scores, want %d", len(ps), labels)
	}
	var sum float64
	for i, s := range ps {
		sum += s.P
		if s.P < 0 || s.P > 1 {
			t.Errorf("P(%s) = %v, want within [0, 1]", s.Label, s.P)
		}
		if i > 0 && ps[i-1].P < s.P {
			t.Errorf("scores not sorted: %v before %v", ps[i-1], s)
		}
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("probabilities sum to %v, want 1", sum)
	}
}

func TestLearnsTwoClasses(t *testing.T) {
	c := trained(t, Options{}, []Example{
		{"where is my parcel", "delivery"},
		{"my package has not arrived", "delivery"},
		{"waar blijft mijn pakket", "delivery"},
		{"het pakket is nog niet bezorgd", "delivery"},
		{"I was charged twice", "billing"},
		{"my invoice is wrong", "billing"},
		{"ik heb twee keer betaald", "billing"},
		{"de factuur klopt niet", "billing"},
	})
	tests := []struct {
		name, text, want string
	}{
		{"english delivery", "the parcel has still not arrived", "delivery"},
		{"english billing", "why was I charged twice?", "billing"},
		{"dutch delivery", "Mijn pakket is niet bezorgd", "delivery"},
		{"dutch billing", "Klopt mijn factuur wel?", "billing"},
		{"typo", "my pakage hasnt arived", "delivery"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps := c.Predict(tc.text)
			checkDistribution(t, ps, 2)
			if got := ps[0].Label; got != tc.want {
				t.Errorf("Predict(%q) top = %q (%v), want %q", tc.text, got, ps, tc.want)
			}
		})
	}
}

func TestFixtureCategories(t *testing.T) {
	c := trained(t, Options{}, loadFixture(t))
	tests := []struct {
		name, text, want string
	}{
		{"en billing", "There are two charges on my credit card for one subscription", "billing"},
		{"nl billing", "Mijn factuur is te hoog", "billing"},
		{"en returns", "I'd like to send these trousers back", "returns"},
		{"nl returns", "Kan ik de broek retour sturen? Hij is te groot", "returns"},
		{"en order", "My order still hasn't been delivered", "order"},
		{"nl order", "Wanneer wordt mijn bestelling 98765 bezorgd?", "order"},
		{"en technical", "I cannot log in to the app", "technical"},
		{"nl technical", "Ik kan niet inloggen, wachtwoord vergeten", "technical"},
		{"nl typo", "ik kan niet inlogen in de ap", "technical"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps := c.Predict(tc.text)
			checkDistribution(t, ps, 4)
			if got := ps[0].Label; got != tc.want {
				t.Errorf("Predict(%q) top = %q (%v), want %q", tc.text, got, ps, tc.want)
			}
		})
	}
}

func TestLearnCorrectionShiftsPrediction(t *testing.T) {
	tests := []struct {
		name, text, from, to string
	}{
		{"existing label", "My parcel arrived damaged", "order", "returns"},
		{"new label", "Your courier was rude to me, I want to complain", "", "complaint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := trained(t, Options{}, loadFixture(t))
			before := c.Predict(tc.text)
			if tc.from != "" && before[0].Label != tc.from {
				t.Fatalf("before correction: top = %q, want %q (the fixture changed?)", before[0].Label, tc.from)
			}
			if err := c.Learn(tc.text, tc.to); err != nil {
				t.Fatalf("Learn: %v", err)
			}
			after := c.Predict(tc.text)
			if after[0].Label != tc.to {
				t.Errorf("after Learn(%q, %q): top = %v, want %q", tc.text, tc.to, after[0], tc.to)
			}
			// One correction must not undo the rest of what was learnt.
			if got, _ := c.Classify("Waar blijft mijn bestelling?"); got.Label != "order" {
				t.Errorf("after correction, unrelated text: top = %q, want %q", got.Label, "order")
			}
		})
	}
}

func TestClassifyUnknown(t *testing.T) {
	exs := loadFixture(t)
	tests := []struct {
		name      string
		threshold float64
		text      string
		wantOK    bool
		wantLabel string // checked when wantOK
	}{
		{"clear message clears the threshold", 0.4, "Ik wil mijn factuur van maart", true, "billing"},
		{"nothing known in the text", 0.5, "xyzzy plugh", false, ""},
		{"empty text", 0.5, "", false, ""},
		{"threshold above any probability", 1, "Where is my order?", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := trained(t, Options{Threshold: tc.threshold}, exs)
			got, ok := c.Classify(tc.text)
			if ok != tc.wantOK {
				t.Fatalf("Classify(%q) = %v, ok %v; want ok %v (threshold %v)", tc.text, got, ok, tc.wantOK, tc.threshold)
			}
			if ok && got.Label != tc.wantLabel {
				t.Errorf("Classify(%q) = %q, want %q", tc.text, got.Label, tc.wantLabel)
			}
			if !ok && got.P >= tc.threshold {
				t.Errorf("unknown with P %v at threshold %v", got.P, tc.threshold)
			}
		})
	}
}

func TestSetThreshold(t *testing.T) {
	c := trained(t, Options{}, loadFixture(t))
	text := "the parcel" // vague: some evidence, not much
	best, _ := c.Classify(text)
	if err := c.SetThreshold(best.P + 0.01); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Classify(text); ok {
		t.Errorf("threshold just above P %v: ok = true, want false", best.P)
	}
	if err := c.SetThreshold(best.P); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Classify(text); !ok {
		t.Errorf("threshold equal to P %v: ok = false, want true", best.P)
	}
	for _, bad := range []float64{-0.1, 1.1, math.NaN()} {
		if err := c.SetThreshold(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("SetThreshold(%v) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	c := trained(t, Options{}, loadFixture(t))
	if err := c.Learn("de koerier was onbeleefd", "complaint"); err != nil {
		t.Fatal(err)
	}
	// 0 is also the zero value of Options.Threshold: it must survive.
	if err := c.SetThreshold(0); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := c.Save(&buf); err != nil {
		t.Fatalf("Save: %v", err)
	}
	d, err := Load(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got, want := d.Threshold(), c.Threshold(); got != want {
		t.Errorf("loaded threshold = %v, want %v", got, want)
	}
	texts := []string{"Where is my order?", "factuur te hoog", "", "xyzzy", "de koerier was onbeleefd", "ORDER-2024-17 is kapot"}
	samePredictions(t, c, d, texts)

	// Both go on learning the same way.
	for _, m := range []*Classifier{c, d} {
		if err := m.Learn("my parcel arrived damaged", "returns"); err != nil {
			t.Fatal(err)
		}
	}
	samePredictions(t, c, d, texts)
}

func samePredictions(t *testing.T, a, b *Classifier, texts []string) {
	t.Helper()
	for _, text := range texts {
		pa, pb := a.Predict(text), b.Predict(text)
		if len(pa) != len(pb) {
			t.Fatalf("Predict(%q): %d vs %d scores", text, len(pa), len(pb))
		}
		for i := range pa {
			if pa[i] != pb[i] {
				t.Errorf("Predict(%q)[%d] = %v vs %v, want identical", text, i, pa[i], pb[i])
			}
		}
	}
}

func TestLoadRejectsBadInput(t *testing.T) {
	var buf bytes.Buffer
	if err := trained(t, Options{}, loadFixture(t)).Save(&buf); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"garbage", []byte("not a model")},
		{"truncated", buf.Bytes()[:buf.Len()/2]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Load(bytes.NewReader(tc.data)); err == nil {
				t.Errorf("Load(%s) succeeded, want an error", tc.name)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	exs := loadFixture(t)
	save := func() []byte {
		var buf bytes.Buffer
		if err := trained(t, Options{}, exs).Save(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	if a, b := save(), save(); !bytes.Equal(a, b) {
		t.Errorf("two trainings on the same examples saved different models (%d vs %d bytes)", len(a), len(b))
	}
}

func TestRejectsInvalid(t *testing.T) {
	c, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Train([]Example{{"fine", "ok"}, {"no label", " "}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Train with an empty label = %v, want ErrInvalid", err)
	}
	if got := c.Labels(); len(got) != 0 {
		t.Errorf("after a rejected Train, labels = %q, want none", got)
	}
	if err := c.Learn("text", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("Learn with an empty label = %v, want ErrInvalid", err)
	}
	if got := c.Predict("anything"); got != nil {
		t.Errorf("Predict on an untrained classifier = %v, want nil", got)
	}
	if _, ok := c.Classify("anything"); ok {
		t.Error("Classify on an untrained classifier: ok = true, want false")
	}
	for _, o := range []Options{{Epochs: -1}, {LearningRate: -1}, {Threshold: 2}} {
		if _, err := New(o); !errors.Is(err, ErrInvalid) {
			t.Errorf("New(%+v) = %v, want ErrInvalid", o, err)
		}
	}
}

// TestConcurrentUse is for the race detector: predictions while corrections
// come in.
func TestConcurrentUse(t *testing.T) {
	c := trained(t, Options{}, loadFixture(t))
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 50 {
				if i == 0 {
					if err := c.Learn("klacht over de bezorger", "complaint"); err != nil {
						t.Error(err)
					}
					continue
				}
				if ps := c.Predict("waar is mijn pakket"); len(ps) == 0 {
					t.Errorf("prediction %d: no scores", j)
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkPredict(b *testing.B) {
	exs, set := bankingOrFixture(b)
	c := trained(b, Options{}, exs)
	text := "I still have not received my new card, what should I do? Ik wacht al twee weken."
	b.ReportAllocs()
	b.Logf("model: %s, %d labels", set, len(c.Labels()))
	for b.Loop() {
		c.Predict(text)
	}
}

// bankingOrFixture returns banking77's 10,003 examples (77 labels) when the
// shared data is there, for a realistic model size, else the fixture.
func bankingOrFixture(b *testing.B) ([]Example, string) {
	f, err := os.Open("../../../../shared/data/intent/banking77/train.csv")
	if err != nil {
		return loadFixture(b), "fixture"
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) < 2 {
		return loadFixture(b), "fixture"
	}
	exs := make([]Example, 0, len(recs)-1)
	for _, r := range recs[1:] {
		exs = append(exs, Example{Text: r[0], Label: r[1]})
	}
	return exs, "banking77"
}
