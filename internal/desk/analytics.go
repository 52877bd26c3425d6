package desk

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Analytics: what the supervisor dashboard counts. Conversations are rolled
// up per UTC hour of their creation and per (channel, team, category,
// assignee) into StatsRows, so that a year of reports reads a few hundred
// thousand small rows instead of every conversation. The metric definitions
// live here, in AddFact, so both store drivers count the same way.

// ConversationFact is what analytics knows of one conversation: the fields
// the rollups and the CSV export are made of.
type ConversationFact struct {
	ID           int64
	Channel      ChannelKind
	TeamID       int64
	Category     string
	AssigneeID   int64
	Status       Status
	Priority     Priority
	Reopens      int
	SLAPolicyID  int64
	SLAState     SLAState
	CreatedAt    time.Time
	FirstReplyAt time.Time
	HandedOverAt time.Time
	ResolvedAt   time.Time
}

// Resolved reports whether the conversation is resolved now.
func (f ConversationFact) Resolved() bool {
	return f.Status == StatusResolved && !f.ResolvedAt.IsZero()
}

// FirstResponse is how long the customer waited for the first agent reply;
// false when no agent replied.
func (f ConversationFact) FirstResponse() (time.Duration, bool) {
	if f.FirstReplyAt.IsZero() {
		return 0, false
	}
	return max(0, f.FirstReplyAt.Sub(f.CreatedAt)), true
}

// Resolution is how long the conversation took from creation to its
// (latest) resolution; false while it is not resolved.
func (f ConversationFact) Resolution() (time.Duration, bool) {
	if !f.Resolved() {
		return 0, false
	}
	return max(0, f.ResolvedAt.Sub(f.CreatedAt)), true
}

// StatsKey is the grain of the rollups.
type StatsKey struct {
	Hour       time.Time // UTC, whole hour of CreatedAt
	Channel    ChannelKind
	TeamID     int64
	Category   string
	AssigneeID int64
}

// StatsCounts are the counters of a rollup row; they add up.
type StatsCounts struct {
	Created      int64
	Resolved     int64
	FirstReplied int64
	// FCR counts first-contact resolutions: resolved and never reopened.
	FCR int64
	// BotResolved counts conversations resolved without an agent reply and
	// without a hand-over: the bot (or self-service) settled them.
	BotResolved int64
	HandedOver  int64
	// SLABreached counts conversations whose policy's target was missed;
	// SLAMet resolved ones with a policy that were never breached.
	SLABreached int64
	SLAMet      int64
	// FirstResponse and Resolution are the distributions of those times.
	FirstResponse Histogram
	Resolution    Histogram
}

// Add adds o to c.
func (c *StatsCounts) Add(o *StatsCounts) {
	c.Created += o.Created
	c.Resolved += o.Resolved
	c.FirstReplied += o.FirstReplied
	c.FCR += o.FCR
	c.BotResolved += o.BotResolved
	c.HandedOver += o.HandedOver
	c.SLABreached += o.SLABreached
	c.SLAMet += o.SLAMet
	c.FirstResponse.Merge(&o.FirstResponse)
	c.Resolution.Merge(&o.Resolution)
}

// Sub takes o away from c, exactly: what is left is what c counted besides
// o, as long as c's count includes o's (a month's rows minus some of its
// days').
func (c *StatsCounts) Sub(o *StatsCounts) {
	c.Created -= o.Created
	c.Resolved -= o.Resolved
	c.FirstReplied -= o.FirstReplied
	c.FCR -= o.FCR
	c.BotResolved -= o.BotResolved
	c.HandedOver -= o.HandedOver
	c.SLABreached -= o.SLABreached
	c.SLAMet -= o.SLAMet
	c.FirstResponse.Sub(&o.FirstResponse)
	c.Resolution.Sub(&o.Resolution)
}

// AddFact counts one conversation: the definition of every metric.
func (c *StatsCounts) AddFact(f *ConversationFact) {
	c.Created++
	resolved := f.Resolved()
	if resolved {
		c.Resolved++
		if f.Reopens == 0 {
			c.FCR++
		}
		if f.FirstReplyAt.IsZero() && f.HandedOverAt.IsZero() {
			c.BotResolved++
		}
	}
	if d, ok := f.FirstResponse(); ok {
		c.FirstReplied++
		c.FirstResponse.Add(d)
	}
	if d, ok := f.Resolution(); ok {
		c.Resolution.Add(d)
	}
	if !f.HandedOverAt.IsZero() {
		c.HandedOver++
	}
	switch {
	case f.SLAState == SLABreached:
		c.SLABreached++
	case f.SLAPolicyID != 0 && resolved:
		c.SLAMet++
	}
}

// StatsRow is one rollup row, or a sum of rows grouped by some of the key's
// dimensions (the others are zero then).
type StatsRow struct {
	StatsKey
	StatsCounts
}

// KeyOf returns the rollup key of a fact.
func KeyOf(f *ConversationFact) StatsKey {
	return StatsKey{Hour: f.CreatedAt.UTC().Truncate(time.Hour), Channel: f.Channel, TeamID: f.TeamID,
		Category: f.Category, AssigneeID: f.AssigneeID}
}

// Rollup counts facts into rows, one per key, in the order keys first appear.
func Rollup(facts []ConversationFact) []StatsRow {
	idx := map[StatsKey]int{}
	var out []StatsRow
	for i := range facts {
		k := KeyOf(&facts[i])
		j, ok := idx[k]
		if !ok {
			j = len(out)
			idx[k] = j
			out = append(out, StatsRow{StatsKey: k})
		}
		out[j].AddFact(&facts[i])
	}
	return out
}

// StatsDim is a dimension rollup rows can be grouped by.
type StatsDim string

const (
	DimHour     StatsDim = "hour"
	DimChannel  StatsDim = "channel"
	DimTeam     StatsDim = "team"
	DimCategory StatsDim = "category"
	DimAgent    StatsDim = "agent"
)

// StatsFilter selects conversations created in [From, To) (zero: no bound)
// of a channel, team, category and assignee ("" and 0: any). TeamID -1 and
// AssigneeID -1 select conversations without one.
type StatsFilter struct {
	From, To   time.Time
	Channel    ChannelKind
	TeamID     int64
	Category   string
	AssigneeID int64
	// CountsOnly leaves the histograms (FirstResponse, Resolution) of the
	// result empty: a chart of volumes needs only the counters, and on a
	// year of hours the distributions are most of what a store reads and
	// decodes.
	CountsOnly bool
}

// AnalyticsStore keeps the conversation rollups.
type AnalyticsStore interface {
	// RebuildStats recomputes, completely, the rollups of every UTC hour
	// that holds a conversation updated at or after since (zero: all
	// hours), and returns how many hours it recomputed. Each batch of
	// hours is replaced in one transaction, so running it twice, or on two
	// nodes at once, gives the same rows.
	RebuildStats(ctx context.Context, since time.Time) (hours int, err error)
	// StatsRows sums the rollups matching f, grouped by the dimensions
	// given (none: one row of totals; no rows match: no row), ordered by
	// those dimensions. Dimensions not grouped by are zero in the result.
	StatsRows(ctx context.Context, f StatsFilter, by ...StatsDim) ([]StatsRow, error)
	// ExportConversations calls fn for every conversation matching f, by
	// CreatedAt then ID, streaming; an error from fn stops it and is
	// returned.
	ExportConversations(ctx context.Context, f StatsFilter, fn func(ConversationFact) error) error
}

// Histogram counts durations in fixed log-scale buckets, four per power of
// two seconds (a bucket spans 19%), in 98 numbers whatever the count.
// Quantiles are interpolated inside their bucket: within a few percent for
// times spread over several buckets, as response times are, and never more
// than one bucket off. Bucket 0 holds everything under a second; the last one
// everything from 2^24 s (194 days) on.
type Histogram struct {
	N [HistBuckets]int64
}

// HistBuckets is the number of buckets of a Histogram.
const HistBuckets = 98

const bucketsPerOctave = 4

// HistBucket returns the bucket of d.
func HistBucket(d time.Duration) int {
	s := d.Seconds()
	if s < 1 {
		return 0
	}
	b := 1 + int(math.Floor(bucketsPerOctave*math.Log2(s)))
	return min(b, HistBuckets-1)
}

// bucketBounds returns the seconds bucket b covers: [lo, hi).
func bucketBounds(b int) (lo, hi float64) {
	if b == 0 {
		return 0, 1
	}
	return math.Exp2(float64(b-1) / bucketsPerOctave), math.Exp2(float64(b) / bucketsPerOctave)
}

// Add counts d.
func (h *Histogram) Add(d time.Duration) { h.N[HistBucket(d)]++ }

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	for i, n := range o.N {
		h.N[i] += n
	}
}

// Sub takes o's counts away from h: exact, as the counts are integers, so
// h minus o is what h holds besides o when h holds all of o.
func (h *Histogram) Sub(o *Histogram) {
	for i, n := range o.N {
		h.N[i] -= n
	}
}

// Count returns how many durations h holds.
func (h *Histogram) Count() int64 {
	var t int64
	for _, n := range h.N {
		t += n
	}
	return t
}

// Quantile returns the q-quantile (0.5 the median, 0.9 p90), interpolated
// geometrically inside its bucket; false when h is empty.
func (h *Histogram) Quantile(q float64) (time.Duration, bool) {
	total := h.Count()
	if total == 0 {
		return 0, false
	}
	q = min(max(q, 0), 1)
	rank := q * float64(total)
	var seen float64
	for b, n := range h.N {
		if n == 0 {
			continue
		}
		if seen+float64(n) >= rank {
			frac := (rank - seen) / float64(n)
			lo, hi := bucketBounds(b)
			var s float64
			if b == 0 {
				s = frac * hi
			} else {
				s = lo * math.Pow(hi/lo, frac)
			}
			return time.Duration(s * float64(time.Second)), true
		}
		seen += float64(n)
	}
	lo, _ := bucketBounds(HistBuckets - 1)
	return time.Duration(lo * float64(time.Second)), true
}

// String encodes h sparsely as "bucket:count" pairs joined by spaces, e.g.
// "12:3 14:1"; the empty histogram is "". Stores keep this text.
func (h *Histogram) String() string {
	var b strings.Builder
	for i, n := range h.N {
		if n == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(i))
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(n, 10))
	}
	return b.String()
}

// AddText adds the counts of String's encoding to h. Several encodings may
// be concatenated with spaces (or commas), so that a store can merge
// histograms with its string aggregate.
func (h *Histogram) AddText(s string) error {
	// A report over a year decodes hundreds of thousands of pairs: the
	// separators and plain digits are read by hand, anything else goes
	// through the strict parser.
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != ' ' && s[i] != ',' {
			i++
		}
		pair := s[:i]
		s = s[min(i+1, len(s)):]
		if pair == "" {
			continue
		}
		b, n, ok := digitPair(pair)
		if !ok {
			var err error
			if b, n, err = parsePair(pair); err != nil {
				return err
			}
		}
		h.N[b] += n
	}
	return nil
}

// digitPair reads "bucket:count" made of decimal digits only, small enough
// not to overflow; false for anything else.
func digitPair(p string) (b int, n int64, ok bool) {
	i := 0
	for ; i < len(p) && i < 3 && '0' <= p[i] && p[i] <= '9'; i++ {
		b = b*10 + int(p[i]-'0')
	}
	if i == 0 || i >= len(p) || p[i] != ':' || b >= HistBuckets {
		return 0, 0, false
	}
	digits := p[i+1:]
	if len(digits) == 0 || len(digits) > 18 {
		return 0, 0, false
	}
	for j := 0; j < len(digits); j++ {
		c := digits[j]
		if c < '0' || c > '9' {
			return 0, 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return b, n, true
}

func parsePair(pair string) (int, int64, error) {
	bs, ns, ok := strings.Cut(pair, ":")
	b, err1 := strconv.Atoi(bs)
	n, err2 := strconv.ParseInt(ns, 10, 64)
	if !ok || err1 != nil || err2 != nil || b < 0 || b >= HistBuckets || n < 0 {
		return 0, 0, fmt.Errorf("histogram: %w", Invalid("histogram", fmt.Sprintf("bad pair %q", pair)))
	}
	return b, n, nil
}
