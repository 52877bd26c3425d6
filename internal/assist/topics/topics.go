// Package topics finds recurring problems in customer messages: it groups
// texts (typically the first customer message of each conversation) into
// topics by their words, and flags topics that grow unusually fast ("20
// customers about failed payments in the last hour"), so that a problem can
// be fixed at its source and answered in the FAQ.
//
// Texts are analysed with package lang, like search and the classifier:
// each meaningful word counts as its Dutch and its English stem, and
// adjacent words also as a bigram. Words are weighted by TF-IDF over the
// clustered set. Cluster needs no number of topics up front: a single
// leader pass opens a topic whenever a text is not similar enough to any
// existing one, a few k-means passes then move each text to its best topic,
// topics whose centres are close are merged, and topics that stay tiny are
// gathered in one "other" topic. Surges compares each topic's count in a
// recent window with what its share of earlier traffic predicts (see
// Surges for the rule).
//
// Everything is deterministic for the same input. The package is pure: no
// store, no clock; it imports only the standard library and internal/lang.
package topics

import "time"

// OtherID is the ID of the topic that holds the texts that fit no real
// topic. Cluster returns it last, and only when it is not empty; Surges
// never flags it.
const OtherID = "other"

// Doc is one text to cluster, usually the first customer message of a
// conversation.
type Doc struct {
	ID   int64
	Text string
	// Lang is the text's language if known ("nl", "en"). Clustering does
	// not need it: every word counts as both its Dutch and English stem,
	// as in lang's search index.
	Lang string
	At   time.Time
}

// Topic is a group of similar texts.
type Topic struct {
	// ID is derived from the topic's top terms, so the same problem keeps
	// its ID from one run to the next as long as its top terms stay.
	ID string
	// Label is a short human-readable name: up to three of the words
	// customers use most for this topic, in their own spelling.
	Label string
	// Terms are the topic's heaviest features, best first: stems, and
	// bigrams of English stems written "a b". With Weights they are the
	// topic's prototype, which Match compares a new text with.
	Terms   []string
	Weights []float64
	// Size is the number of texts in the topic.
	Size int
	// DocIDs are the IDs of the topic's texts in ascending order, at most
	// Options.MaxDocIDs of them.
	DocIDs []int64
	// Examples are up to three texts closest to the topic's centre,
	// shortened.
	Examples []string
}

// Options tune Cluster. The zero value means the defaults; out-of-range
// values are replaced by the defaults too.
type Options struct {
	// Threshold is the cosine similarity a text needs with a topic's centre
	// to join it during the leader pass (default 0.2). Higher gives more,
	// tighter topics.
	Threshold float64
	// MergeThreshold is the cosine similarity between two topic centres
	// above which they are merged (default 0.35).
	MergeThreshold float64
	// MinSize is the smallest topic kept; texts of smaller topics go to
	// the best remaining topic if similar enough, otherwise to "other"
	// (default 3).
	MinSize int
	// Passes is the number of k-means passes after the leader pass
	// (default 2; more rarely moves a text).
	Passes int
	// MaxTerms is the number of Terms kept per topic (default 20).
	MaxTerms int
	// MaxDocIDs caps Topic.DocIDs; 0 keeps them all, which Surges needs to
	// count exactly.
	MaxDocIDs int
}

func (o Options) withDefaults() Options {
	if !(o.Threshold > 0 && o.Threshold < 1) {
		o.Threshold = 0.2
	}
	if !(o.MergeThreshold > 0 && o.MergeThreshold < 1) {
		o.MergeThreshold = 0.35
	}
	if o.MinSize < 1 {
		o.MinSize = 3
	}
	if o.Passes < 1 || o.Passes > 20 {
		o.Passes = 2
	}
	if o.MaxTerms < 1 {
		o.MaxTerms = 20
	}
	if o.MaxDocIDs < 0 {
		o.MaxDocIDs = 0
	}
	return o
}
