package kb

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb/index"
	"github.com/balie-dev/balie/internal/lang"
)

// Learning from behaviour.
//
// A customer who searched and then opened an article (weight 1), or marked
// it helpful after that search (weight 2), is evidence that the article
// answers the query; marking it unhelpful (-1) takes that back. The
// evidence is stored per visitor, query and article, and a later signal
// replaces an earlier one: one visitor counts once, however often they
// click or vote. A visitor is a salted hash of their network (IPv4 /24,
// IPv6 /48), not of a cookie, so clearing cookies does not make a new
// voter. Queries with a positive sum become extra questions of the article
// in the index (at most maxLearned per article, strongest first), so that
// similar queries find it.
//
// Helpfulness votes also move an article's rank a little (at most ±10%,
// from the Wilson lower bound of its helpful share), and a visitor's votes
// on one article count once a day.
const (
	weightClick     = 1
	weightHelpful   = 2
	weightUnhelpful = -1
	maxLearned      = 40
	maxQueryLen     = 300
)

// Visitor is who is searching: their address (turned into a key, never
// stored) and, when known, the contact.
type Visitor struct {
	IP        string
	ContactID int64
}

// visitorKey turns a visitor into the key their signals are stored under.
func (s *Service) visitorKey(ctx context.Context, v Visitor) string {
	network := v.IP
	if addr, err := netip.ParseAddr(v.IP); err == nil {
		addr = addr.Unmap()
		bits := 24
		if addr.Is6() {
			bits = 48
		}
		if p, err := addr.Prefix(bits); err == nil {
			network = p.String()
		}
	}
	if network == "" {
		network = "unknown"
	}
	m := hmac.New(sha256.New, s.visitorSalt(ctx))
	m.Write([]byte(network))
	return hex.EncodeToString(m.Sum(nil)[:12])
}

// Norm groups queries that are the same for analytics and learning:
// lower-cased, diacritics folded, punctuation and extra spaces dropped.
func Norm(q string) string { return strings.Join(lang.Tokens(q), " ") }

// NormContext cleans a context key: "URL:/Checkout/ " → "url:/checkout".
// A bare path is a page context.
func NormContext(c string) string {
	c = strings.ToLower(strings.TrimSpace(c))
	if strings.HasPrefix(c, "/") {
		c = "url:" + c
	}
	if kind, v, ok := strings.Cut(c, ":"); ok && kind == "url" {
		if i := strings.IndexAny(v, "?#"); i >= 0 {
			v = v[:i]
		}
		if len(v) > 1 {
			v = strings.TrimRight(v, "/")
		}
		c = "url:" + v
	}
	return c
}

// SearchRequest is one search.
type SearchRequest struct {
	Query   string
	Locale  string // "" every locale
	Source  desk.SearchSource
	Context string // where the customer is: a page path or product
	Visitor Visitor
	// Internal includes internal articles (agents only).
	Internal bool
	Limit    int // default 10, at most 50
	// NoLog leaves the search out of analytics (agents' own searches,
	// benchmarks).
	NoLog bool
}

// ConfidentCoverage is the coverage from which a hit counts as an answer
// rather than a guess (see index.Hit.Coverage). A search without a
// confident hit is a content gap in the analytics, and the help center
// says it found no exact answer.
const ConfidentCoverage = 0.5

// Hit is an article found.
type Hit struct {
	Article    *desk.Article
	Score      float64
	Coverage   float64 // share of the query matched, by word rarity, 0..1
	Snippet    string
	Highlights [][2]int // byte ranges in Snippet
}

// Confident reports whether the hit answers the query rather than shares a
// word with it.
func (h Hit) Confident() bool { return h.Coverage >= ConfidentCoverage }

// SearchResult is what a search found. SearchID identifies the search for
// the click and feedback that may follow (0 when not logged).
type SearchResult struct {
	SearchID int64
	Query    string
	Hits     []Hit
}

// Confident reports whether the best hit answers the query.
func (r SearchResult) Confident() bool { return len(r.Hits) > 0 && r.Hits[0].Confident() }

// Search finds articles for a question as customers type it, with the
// same ranking everywhere (help center, widget, workspace, API, bot). The
// hits' articles come without their Body.
func (s *Service) Search(ctx context.Context, req SearchRequest) (SearchResult, error) {
	q := strings.TrimSpace(req.Query)
	if utf8.RuneCountInString(q) > maxQueryLen {
		return SearchResult{}, fmt.Errorf("kb: search: query longer than %d characters: %w", maxQueryLen, desk.ErrInvalid)
	}
	if !utf8.ValidString(q) {
		return SearchResult{}, fmt.Errorf("kb: search: query is not valid UTF-8: %w", desk.ErrInvalid)
	}
	if req.Locale != "" && !ValidLocale(req.Locale) {
		return SearchResult{}, fmt.Errorf("kb: search: locale %q: %w", req.Locale, desk.ErrInvalid)
	}
	limit := req.Limit
	if limit <= 0 {
		limit = 10
	}
	limit = min(limit, 50)
	res := SearchResult{Query: q}
	if q == "" {
		return res, nil
	}
	raw := s.index().SearchIn(index.Filter{Locale: req.Locale, Internal: req.Internal}, q, limit)
	hits, err := s.hydrate(ctx, raw, req.Internal)
	if err != nil {
		return SearchResult{}, err
	}
	res.Hits = hits
	if req.NoLog {
		return res, nil
	}
	// Results counts the answers, not the guesses: a search that only
	// shared a common word with some articles is a content gap.
	confident := 0
	for _, h := range hits {
		if h.Confident() {
			confident++
		}
	}
	log := &desk.SearchLog{Query: q, Norm: Norm(q), Locale: req.Locale, Source: req.Source,
		Context: NormContext(req.Context), Results: confident, VisitorKey: s.visitorKey(ctx, req.Visitor),
		ContactID: req.Visitor.ContactID, CreatedAt: s.clock.Now()}
	if log.Source == "" {
		log.Source = desk.SourceAPI
	}
	if len(hits) > 0 {
		log.TopArticleID = hits[0].Article.ID
	}
	res.SearchID = s.queueSearch(ctx, log)
	return res, nil
}

// hydrate turns index hits into articles (without their bodies) from what
// the service keeps beside the index; an article the index still has but
// the service no longer knows as published is skipped.
func (s *Service) hydrate(_ context.Context, raw []index.Hit, internal bool) ([]Hit, error) {
	hits := make([]Hit, 0, len(raw))
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, h := range raw {
		m, ok := s.meta[h.ID]
		if !ok || m.article.Status != desk.ArticlePublished || m.article.Internal && !internal {
			continue
		}
		a := m.article
		hits = append(hits, Hit{Article: &a, Score: h.Score, Coverage: h.Coverage, Snippet: h.Snippet, Highlights: h.Highlights})
	}
	return hits, nil
}

// Suggestion is a search-as-you-type completion.
type Suggestion struct {
	ID     int64
	Title  string
	Slug   string
	Locale string
}

// Suggest completes a query being typed with article titles. It reads only
// the index, so it is cheap enough for every keystroke, and is not logged.
func (s *Service) Suggest(prefix, locale string, internal bool, n int) []Suggestion {
	if n <= 0 || n > 20 {
		n = 8
	}
	if utf8.RuneCountInString(prefix) > maxQueryLen {
		return nil
	}
	raw := s.index().SuggestIn(index.Filter{Locale: locale, Internal: internal}, prefix, n)
	out := make([]Suggestion, 0, len(raw))
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, h := range raw {
		id, _ := strconv.ParseInt(h.ID, 10, 64)
		sg := Suggestion{ID: id, Title: h.Title}
		if d, ok := s.meta[h.ID]; ok {
			sg.Slug, sg.Locale = d.slug, d.locale
		}
		out = append(out, sg)
	}
	return out
}

// Click records that a search result was opened.
func (s *Service) Click(ctx context.Context, searchID, articleID int64, v Visitor) error {
	return s.signal(ctx, searchID, articleID, v, weightClick, true)
}

// signal stores one visitor's evidence for a search and article. The
// search must be the visitor's own.
func (s *Service) signal(ctx context.Context, searchID, articleID int64, v Visitor, weight int, click bool) error {
	if searchID <= 0 {
		return nil
	}
	if s.pendingSearch(searchID) {
		if err := s.Flush(ctx); err != nil {
			return err
		}
	}
	log, err := s.st.SearchLogByID(ctx, searchID)
	if errors.Is(err, desk.ErrNotFound) {
		return nil // a stale or made-up id: nothing to learn
	}
	if err != nil {
		return fmt.Errorf("kb: signal: %w", err)
	}
	key := s.visitorKey(ctx, v)
	if log.VisitorKey != key || log.Norm == "" {
		return nil
	}
	if click {
		if err := s.st.RecordSearchClick(ctx, searchID, articleID); err != nil && !errors.Is(err, desk.ErrNotFound) {
			return fmt.Errorf("kb: click: %w", err)
		}
	}
	sig := &desk.SearchSignal{ArticleID: articleID, Norm: log.Norm, Query: log.Query, VisitorKey: key,
		Weight: weight, At: s.clock.Now()}
	if err := s.st.PutSearchSignal(ctx, sig); err != nil {
		if errors.Is(err, desk.ErrNotFound) || errors.Is(err, desk.ErrInvalid) {
			return nil // the article is gone
		}
		return fmt.Errorf("kb: signal: %w", err)
	}
	s.changed(ctx, articleID)
	return nil
}

// View records that an article was opened on the help center or widget.
func (s *Service) View(ctx context.Context, articleID int64, context, locale string, v Visitor) {
	err := s.st.RecordArticleView(ctx, &desk.ArticleView{ArticleID: articleID, Context: NormContext(context),
		Locale: locale, VisitorKey: s.visitorKey(ctx, v), ContactID: v.ContactID, At: s.clock.Now()})
	if err != nil {
		s.log.Warn("kb: recording a view", "err", err)
	}
}

// FeedbackInput is a customer's answer to "was this helpful?".
type FeedbackInput struct {
	ArticleID int64
	Helpful   bool
	Comment   string
	SearchID  int64 // the search that led here, if any
	Visitor   Visitor
}

// MaxComment is the longest feedback comment.
const MaxComment = 2000

// Feedback stores a helpfulness vote. A visitor's repeated votes on one
// article within a day are accepted but count once (the first).
func (s *Service) Feedback(ctx context.Context, in FeedbackInput) error {
	in.Comment = strings.TrimSpace(in.Comment)
	if utf8.RuneCountInString(in.Comment) > MaxComment || !utf8.ValidString(in.Comment) {
		return fmt.Errorf("kb: feedback: comment longer than %d characters: %w", MaxComment, desk.ErrInvalid)
	}
	a, err := s.st.ArticleByID(ctx, in.ArticleID)
	if err != nil {
		return fmt.Errorf("kb: feedback: %w", err)
	}
	if a.Status != desk.ArticlePublished {
		return fmt.Errorf("kb: feedback on an unpublished article: %w", desk.ErrNotFound)
	}
	key := s.visitorKey(ctx, in.Visitor)
	if !s.votes.add(key+"/"+strconv.FormatInt(a.ID, 10), s.clock.Now()) && in.Comment == "" {
		return nil
	}
	f := &desk.ArticleFeedback{ArticleID: a.ID, Helpful: in.Helpful, Comment: in.Comment, SearchID: in.SearchID,
		VisitorKey: key, ContactID: in.Visitor.ContactID, CreatedAt: s.clock.Now()}
	if err := s.st.AddArticleFeedback(ctx, f); err != nil {
		return fmt.Errorf("kb: feedback: %w", err)
	}
	s.mu.Lock()
	v := s.helpful[a.ID]
	if in.Helpful {
		v[0]++
	} else {
		v[1]++
	}
	s.helpful[a.ID] = v
	s.mu.Unlock()
	if in.SearchID == 0 {
		// No search to learn from; the new boost reaches the index here
		// (other nodes take it on their next rebuild).
		s.changed(ctx, a.ID)
		return nil
	}
	w := weightUnhelpful
	if in.Helpful {
		w = weightHelpful
	}
	return s.signal(ctx, in.SearchID, a.ID, in.Visitor, w, false)
}

// learnedByArticle reads the learned queries of one article (0: all),
// strongest first, at most maxLearned each.
func (s *Service) learnedByArticle(ctx context.Context, articleID int64) (map[int64][]string, error) {
	lq, err := s.st.LearnedQueries(ctx, articleID)
	if err != nil {
		return nil, fmt.Errorf("kb: learned queries: %w", err)
	}
	slices.SortStableFunc(lq, func(a, b desk.LearnedQuery) int {
		if a.Weight != b.Weight {
			return b.Weight - a.Weight
		}
		return b.Voters - a.Voters
	})
	out := map[int64][]string{}
	for _, q := range lq {
		if len(out[q.ArticleID]) < maxLearned {
			out[q.ArticleID] = append(out[q.ArticleID], q.Query)
		}
	}
	return out, nil
}

// loadHelpful reads every article's helpfulness votes.
func (s *Service) loadHelpful(ctx context.Context) (map[int64][2]int, error) {
	stats, err := s.st.ArticleStats(ctx, desk.StatsQuery{Since: time.Unix(0, 0), Limit: 1_000_000})
	if err != nil {
		return nil, fmt.Errorf("kb: article stats: %w", err)
	}
	out := make(map[int64][2]int, len(stats))
	for _, st := range stats {
		if st.Helpful+st.NotHelpful > 0 {
			out[st.ArticleID] = [2]int{st.Helpful, st.NotHelpful}
		}
	}
	return out, nil
}

// boost turns helpfulness votes into a rank multiplier in [0.9, 1.1]: the
// Wilson lower bound of the helpful share, so that a few votes move little.
func boost(votes [2]int) float64 {
	n := votes[0] + votes[1]
	if n == 0 {
		return 1
	}
	return 0.9 + 0.2*wilsonLower(votes[0], n)
}

// wilsonLower is the lower bound of the 95% Wilson interval of k in n.
func wilsonLower(k, n int) float64 {
	const z = 1.96
	p := float64(k) / float64(n)
	nn := float64(n)
	centre := p + z*z/(2*nn)
	spread := z * math.Sqrt(p*(1-p)/nn+z*z/(4*nn*nn))
	return (centre - spread) / (1 + z*z/nn)
}
