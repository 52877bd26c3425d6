// Package classify is the first-contact intent and category classifier: it
// learns from labelled example texts (admin imports, the categories agents
// set and correct on conversations) and predicts a probability per label for
// a new message, in Dutch or English. When no label is probable enough it
// says so, so that the caller can hand the conversation to a person.
//
// The model is multinomial logistic regression trained by stochastic
// gradient descent over sparse features from package lang (Dutch and English
// stems, stem bigrams and skip-bigrams, character n-grams for typos). It learns
// incrementally: Train runs a few passes over a batch on top of what the
// model already knows, and Learn takes one correction at a time. Features
// are weighted by inverse document frequency, counted over everything the
// model has learnt. Training is deterministic given the same examples in
// the same order.
//
// The package imports only the standard library and internal/lang.
package classify

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
)

// ErrInvalid reports an unusable example (an empty label) or options out of
// range. Services translate it into desk.ErrInvalid.
var ErrInvalid = errors.New("invalid")

// Example is one labelled text.
type Example struct {
	Text  string
	Label string
}

// Scored is a label with its predicted probability.
type Scored struct {
	Label string
	P     float64
}

// Options tune training. The zero value means the defaults.
type Options struct {
	// Epochs is the number of passes Train makes over its batch (default 10).
	Epochs int
	// LearningRate is the initial SGD step (default 3); it decays per pass.
	LearningRate float64
	// Threshold is the lowest top probability Classify accepts (default
	// 0.5; use SetThreshold for 0); below it the answer is "unknown".
	Threshold float64
	// Seed fixes the shuffle order of training passes (default 1).
	Seed uint64
}

func (o Options) validate() error {
	if o.Epochs < 0 || o.LearningRate < 0 || math.IsNaN(o.LearningRate) ||
		!(o.Threshold >= 0 && o.Threshold <= 1) {
		return fmt.Errorf("classify: options %+v: %w", o, ErrInvalid)
	}
	return nil
}

func (o Options) withDefaults() (Options, error) {
	if err := o.validate(); err != nil {
		return o, err
	}
	if o.Epochs == 0 {
		o.Epochs = 10
	}
	if o.LearningRate == 0 {
		// With the skip-bigrams, 3 measured a little better than 2 on
		// clinc150's validation split and no worse on banking77 (5-fold
		// cross-validation inside its training part).
		o.LearningRate = 3
	}
	if o.Threshold == 0 {
		o.Threshold = 0.5
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	return o, nil
}

// gradFloor is the smallest gradient of a class score that a training
// step applies. After the first pass softmax gives most classes a
// probability near 0 for most texts: updating every class for every
// feature was most of the training time (150 classes in clinc150), and
// skipping the ones below a thousandth measured no change in accuracy.
const gradFloor = 1e-3

// learnSteps bounds the gradient steps Learn takes on one correction: it
// stops as soon as the corrected label comes out on top.
const learnSteps = 10

// Classifier is a trainable text classifier. It is safe for concurrent use:
// predictions share a read lock, training takes the write lock.
type Classifier struct {
	mu     sync.RWMutex
	opts   Options
	labels []string         // class index → label
	lindex map[string]int   // label → class index
	vocab  map[string]int32 // feature name → row in w
	names  []string         // row → feature name, for Save
	// w[f][k] is the weight of feature f for class k. Rows are as long as
	// the number of classes when the feature was last updated: a shorter
	// row has zero weights for the classes added since.
	w [][]float32
	// df[f] is the number of training texts with feature f, of docs: rare
	// features weigh more (inverse document frequency).
	df   []int32
	docs int

	// Derived by reindex after every change of the vocabulary or of the
	// counts, so that a prediction neither sorts names nor takes logs:
	// rank[f] is the place of names[f] in sorted order and byRank its
	// inverse; idf[f] is the inverse document frequency weigh applies;
	// biasRow is the row of featureBias, or -1.
	rank    []int32
	byRank  []int32
	idf     []float64
	biasRow int32
	// scratch holds spare *scratch buffers for predictions.
	scratch sync.Pool
}

// reindex brings rank, byRank, idf and biasRow up to date with names, df and
// docs. New names are sorted and merged into the ranking, so that a Learn
// that adds a handful of features costs one pass over the vocabulary, not a
// sort of it. Caller holds the write lock.
func (c *Classifier) reindex() {
	if n0 := len(c.byRank); n0 < len(c.names) {
		fresh := make([]int32, 0, len(c.names)-n0)
		for f := n0; f < len(c.names); f++ {
			fresh = append(fresh, int32(f))
		}
		byName := func(a, b int32) int { return strings.Compare(c.names[a], c.names[b]) }
		slices.SortFunc(fresh, byName)
		merged := make([]int32, 0, len(c.names))
		old := c.byRank
		for len(old) > 0 && len(fresh) > 0 {
			if byName(old[0], fresh[0]) < 0 {
				merged, old = append(merged, old[0]), old[1:]
			} else {
				merged, fresh = append(merged, fresh[0]), fresh[1:]
			}
		}
		merged = append(append(merged, old...), fresh...)
		c.byRank = merged
		c.rank = slices.Grow(c.rank[:0], len(merged))[:len(merged)]
		for r, f := range merged {
			c.rank[f] = int32(r)
		}
	}
	c.idf = slices.Grow(c.idf[:0], len(c.names))[:len(c.names)]
	for f := range c.idf {
		var df int32
		if f < len(c.df) {
			df = c.df[f]
		}
		// The very expression weigh uses, so that the product is the same.
		c.idf[f] = 1 + math.Log(float64(1+c.docs)/float64(1+df))
	}
	c.biasRow = -1
	if row, ok := c.vocab[featureBias]; ok {
		c.biasRow = row
	}
}

// count records the features of one training text for document frequency.
func (c *Classifier) count(x []feature) {
	for _, f := range x {
		for int(f.row) >= len(c.df) {
			c.df = append(c.df, 0)
		}
		c.df[f.row]++
	}
	c.docs++
}

// weigh scales x by inverse document frequency, 1 + ln((1+docs)/(1+df)),
// and normalises it to unit length again (the bias stays 1): "card" or
// "mijn" in every other message says less than "pin" or "retour". It
// measured about one point of accuracy on banking77. Caller holds the lock.
func (c *Classifier) weigh(x []feature) []feature {
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

// New returns an empty classifier.
func New(opts Options) (*Classifier, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Classifier{
		opts:    o,
		lindex:  make(map[string]int),
		vocab:   make(map[string]int32),
		biasRow: -1,
	}, nil
}

// Labels returns the labels the classifier knows, in the order it met them.
func (c *Classifier) Labels() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return slices.Clone(c.labels)
}

// Threshold returns the lowest top probability Classify accepts.
func (c *Classifier) Threshold() float64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.opts.Threshold
}

// SetThreshold changes the confidence threshold (for example to the value
// an evaluation chose, or an admin's per-inbox setting).
func (c *Classifier) SetThreshold(t float64) error {
	if t < 0 || t > 1 || math.IsNaN(t) {
		return fmt.Errorf("classify: set threshold %v: %w", t, ErrInvalid)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.opts.Threshold = t
	return nil
}

// feature is a vocabulary row with its value in one text.
type feature struct {
	row int32
	v   float32
}

// encode maps text to known features; with grow, unknown features are
// added to the vocabulary, otherwise dropped. Caller holds the lock (write
// lock when grow).
func (c *Classifier) encode(text string, grow bool) []feature {
	raw := extract(text)
	out := make([]feature, 0, len(raw))
	for _, f := range raw {
		row, ok := c.vocab[f.name]
		if !ok {
			if !grow {
				continue
			}
			row = int32(len(c.w))
			c.vocab[f.name] = row
			c.names = append(c.names, f.name)
			c.w = append(c.w, nil)
		}
		out = append(out, feature{row, f.v})
	}
	return out
}

// classIndex returns the index of label, adding it when new.
func (c *Classifier) classIndex(label string) int {
	k, ok := c.lindex[label]
	if !ok {
		k = len(c.labels)
		c.labels = append(c.labels, label)
		c.lindex[label] = k
	}
	return k
}

// probs writes the softmax probabilities of the classes for x into p
// (len(p) == number of classes).
func (c *Classifier) probs(x []feature, p []float64) {
	clear(p)
	for _, f := range x {
		row := c.w[f.row]
		v := float64(f.v)
		p := p[:len(row)] // one bounds check per row, not per class
		// Four classes at a time: the sums are independent, so the CPU can
		// overlap them; each is still taken in feature order.
		k := 0
		for ; k+4 <= len(row); k += 4 {
			w4, p4 := row[k:k+4:k+4], p[k:k+4:k+4]
			p4[0] += float64(w4[0]) * v
			p4[1] += float64(w4[1]) * v
			p4[2] += float64(w4[2]) * v
			p4[3] += float64(w4[3]) * v
		}
		for ; k < len(row); k++ {
			p[k] += float64(row[k]) * v
		}
	}
	softmax(p)
}

func softmax(p []float64) {
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

// step takes one gradient step of the log loss on (x, y) with rate lr,
// using p as scratch space and ks for the classes it updates. It returns
// whether y was already on top, and ks for reuse. When avg is not nil, it
// also records the step for averaging (see Train).
func (c *Classifier) step(x []feature, y int, lr float64, p []float64, ks []int, avg *averager) (bool, []int) {
	c.probs(x, p)
	top := argmax(p)
	p[y] -= 1 // p is now the gradient of the loss with respect to the scores
	ks = ks[:0]
	for k, g := range p {
		if g > gradFloor || g < -gradFloor {
			ks = append(ks, k)
		}
	}
	nk := len(c.labels)
	for _, f := range x {
		row := c.w[f.row]
		if len(row) < nk {
			row = append(row, make([]float32, nk-len(row))...)
			c.w[f.row] = row
		}
		g := lr * float64(f.v)
		for _, k := range ks {
			row[k] -= float32(g * p[k])
		}
		if avg != nil {
			avg.add(f.row, nk, g, p, ks)
		}
	}
	if avg != nil {
		avg.n++
	}
	return top == y, ks
}

// averager keeps what is needed to average the weights over all the steps
// of a Train call (averaged SGD), which generalises better than the last
// weights: u accumulates each update times the step number, and the
// average is w - u/n (Daumé's trick, so a step stays sparse).
type averager struct {
	u [][]float64
	n float64
}

func (a *averager) add(row int32, nk int, g float64, grad []float64, ks []int) {
	for int(row) >= len(a.u) {
		a.u = append(a.u, nil)
	}
	u := a.u[row]
	if len(u) < nk {
		u = append(u, make([]float64, nk-len(u))...)
		a.u[row] = u
	}
	t := a.n + 1
	for _, k := range ks {
		u[k] -= t * g * grad[k]
	}
}

// apply replaces the weights by their average over the recorded steps.
func (a *averager) apply(w [][]float32) {
	if a.n == 0 {
		return
	}
	for f, u := range a.u {
		row := w[f]
		for k := range u {
			row[k] -= float32(u[k] / (a.n + 1))
		}
	}
}

func argmax(p []float64) int {
	best := 0
	for k := range p {
		if p[k] > p[best] {
			best = k
		}
	}
	return best
}

// Train learns from a batch of examples, on top of what the classifier
// already knows: it makes Options.Epochs passes over the batch in an order
// shuffled deterministically, with a decaying learning rate, and ends with
// the weights averaged over all its steps. An example with an empty label
// is rejected before anything is learnt; empty texts are learnt as they
// are (they teach the label's prior).
//
// To retrain from scratch (say nightly, from all categorised
// conversations), train a New classifier and swap it in.
func (c *Classifier) Train(examples []Example) error {
	for i, ex := range examples {
		if strings.TrimSpace(ex.Label) == "" {
			return fmt.Errorf("classify: train: example %d: empty label: %w", i, ErrInvalid)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	xs := make([][]feature, len(examples))
	ys := make([]int, len(examples))
	for i, ex := range examples {
		ys[i] = c.classIndex(ex.Label)
		xs[i] = c.encode(ex.Text, true)
		c.count(xs[i])
	}
	for i := range xs {
		xs[i] = c.weigh(xs[i])
	}
	p := make([]float64, len(c.labels))
	order := make([]int, len(examples))
	for i := range order {
		order[i] = i
	}
	var (
		avg averager
		ks  []int
	)
	rng := rand.New(rand.NewPCG(c.opts.Seed, uint64(len(examples))))
	for e := range c.opts.Epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		lr := c.opts.LearningRate / (1 + float64(e)/2)
		for _, i := range order {
			_, ks = c.step(xs[i], ys[i], lr, p, ks, &avg)
		}
	}
	avg.apply(c.w)
	c.reindex()
	return nil
}

// Learn takes one correction (an agent set label on a conversation whose
// first message is text): it steps towards label until label comes out on
// top, at most a few steps, so that one correction is felt at once without
// erasing what the batch taught.
func (c *Classifier) Learn(text, label string) error {
	if strings.TrimSpace(label) == "" {
		return fmt.Errorf("classify: learn: empty label: %w", ErrInvalid)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	y := c.classIndex(label)
	x := c.encode(text, true)
	c.count(x)
	x = c.weigh(x)
	p := make([]float64, len(c.labels))
	lr := c.opts.LearningRate / 2
	var ks []int
	for range learnSteps {
		var ok bool
		if ok, ks = c.step(x, y, lr, p, ks, nil); ok {
			break
		}
	}
	c.reindex()
	return nil
}

// Predict returns every known label with its probability for text, most
// probable first (ties by label). The probabilities sum to 1. It returns nil
// when the classifier has learnt nothing yet.
func (c *Classifier) Predict(text string) []Scored {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(c.labels) == 0 {
		return nil
	}
	s := c.getScratch()
	defer c.scratch.Put(s)
	return c.sorted(c.probsOf(s, text))
}

// getScratch returns spare prediction buffers.
func (c *Classifier) getScratch() *scratch {
	if s, ok := c.scratch.Get().(*scratch); ok {
		return s
	}
	return new(scratch)
}

// probsOf returns the class probabilities for text, in s.p. Caller holds
// the lock.
func (c *Classifier) probsOf(s *scratch, text string) []float64 {
	x := c.features(s, text)
	s.p = slices.Grow(s.p[:0], len(c.labels))[:len(c.labels)]
	c.probs(x, s.p)
	return s.p
}

// sorted pairs p with the labels, most probable first, ties by label.
func (c *Classifier) sorted(p []float64) []Scored {
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

// Classify returns the most probable label for text and whether it clears
// the confidence threshold. When ok is false the caller should treat the
// text as unknown ("I don't know, let me get a human"); best still holds
// the top guess, for showing to an agent as a suggestion. best is what
// Predict would put first.
func (c *Classifier) Classify(text string) (best Scored, ok bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(c.labels) == 0 {
		return Scored{}, false
	}
	s := c.getScratch()
	defer c.scratch.Put(s)
	p := c.probsOf(s, text)
	top := 0
	for k, pk := range p {
		if pk != pk {
			// A NaN (diverged weights) leaves no order to select in: take
			// whatever Predict's sort makes of it.
			best = c.sorted(p)[0]
			return best, best.P >= c.opts.Threshold
		}
		if pk > p[top] || pk == p[top] && c.labels[k] < c.labels[top] {
			top = k
		}
	}
	best = Scored{c.labels[top], p[top]}
	return best, best.P >= c.opts.Threshold
}
