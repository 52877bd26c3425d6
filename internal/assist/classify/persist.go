package classify

import (
	"encoding/gob"
	"fmt"
	"io"
)

// formatVersion is bumped whenever the features or the saved layout change:
// a model saved with other features would load and silently predict badly.
const formatVersion = 2

// saved is the persisted form of a Classifier. Gob keeps the float weights
// compact and exact, which JSON would not.
type saved struct {
	Version int
	Options Options
	Labels  []string
	Names   []string
	W       [][]float32
	DF      []int32
	Docs    int
}

// Save writes the model to w. Loading it gives a classifier that predicts
// exactly the same.
func (c *Classifier) Save(w io.Writer) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s := saved{
		Version: formatVersion,
		Options: c.opts,
		Labels:  c.labels,
		Names:   c.names,
		W:       c.w,
		DF:      c.df,
		Docs:    c.docs,
	}
	if err := gob.NewEncoder(w).Encode(&s); err != nil {
		return fmt.Errorf("classify: save: %w", err)
	}
	return nil
}

// Load reads a model written by Save.
func Load(r io.Reader) (*Classifier, error) {
	var s saved
	if err := gob.NewDecoder(r).Decode(&s); err != nil {
		return nil, fmt.Errorf("classify: load: %w", err)
	}
	if s.Version != formatVersion {
		return nil, fmt.Errorf("classify: load: model format %d, want %d: %w", s.Version, formatVersion, ErrInvalid)
	}
	if len(s.Names) != len(s.W) || len(s.DF) > len(s.Names) || s.Docs < 0 {
		return nil, fmt.Errorf("classify: load: %d features, %d weight rows, %d frequencies: %w", len(s.Names), len(s.W), len(s.DF), ErrInvalid)
	}
	// The saved options were completed by New: taken as they are, so that
	// a threshold set to 0 stays 0.
	if err := s.Options.validate(); err != nil {
		return nil, fmt.Errorf("classify: load: %w", err)
	}
	c := &Classifier{
		opts:   s.Options,
		labels: s.Labels,
		lindex: make(map[string]int, len(s.Labels)),
		vocab:  make(map[string]int32, len(s.Names)),
		names:  s.Names,
		w:      s.W,
		df:     s.DF,
		docs:   s.Docs,
	}
	for k, l := range s.Labels {
		if _, dup := c.lindex[l]; dup || l == "" {
			return nil, fmt.Errorf("classify: load: bad label %q: %w", l, ErrInvalid)
		}
		c.lindex[l] = k
	}
	for i, n := range s.Names {
		if _, dup := c.vocab[n]; dup {
			return nil, fmt.Errorf("classify: load: duplicate feature %q: %w", n, ErrInvalid)
		}
		if len(s.W[i]) > len(s.Labels) {
			return nil, fmt.Errorf("classify: load: feature %q has %d weights for %d labels: %w", n, len(s.W[i]), len(s.Labels), ErrInvalid)
		}
		c.vocab[n] = int32(i)
	}
	c.reindex()
	return c, nil
}
