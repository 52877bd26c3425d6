package kb

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// The contextual FAQ: the questions shown on a page, in the widget and on the
// help-center home depend on where the customer is (page path, product),
// their locale, and, when the customer is known, their segment and the
// labels of their recent conversations. Pinned questions come first (an
// admin's choice per context); then articles tagged with one of the
// contexts, ranked by how often customers in those contexts opened them;
// then what is popular in the locale.

// faqWindow is how far back views count for ranking.
const faqWindow = 90 * 24 * time.Hour

// FAQRequest says where the customer is.
type FAQRequest struct {
	Locale    string
	Context   string // page path ("/checkout") or a context key ("product:fiets-x")
	ContactID int64  // 0 for an anonymous visitor
	Limit     int    // default 6, at most 20
}

// Contexts returns the context keys that apply to a request, most specific
// first: the page and its parent paths, then what is known of the contact.
func (s *Service) Contexts(ctx context.Context, req FAQRequest) []string {
	var out []string
	add := func(c string) {
		if c != "" && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	c := NormContext(req.Context)
	add(c)
	if path, ok := strings.CutPrefix(c, "url:"); ok {
		for i := strings.LastIndexByte(path, '/'); i > 0; i = strings.LastIndexByte(path, '/') {
			path = path[:i]
			add("url:" + path)
		}
	}
	if req.ContactID != 0 {
		if ct, err := s.st.ContactByID(ctx, req.ContactID); err == nil {
			if seg := ct.Attributes["segment"]; seg != "" {
				add(NormContext("segment:" + seg))
			}
			if p := ct.Attributes["product"]; p != "" {
				add(NormContext("product:" + p))
			}
		}
		if convs, err := s.st.ConversationsOfContact(ctx, req.ContactID, 5); err == nil {
			for _, cv := range convs {
				for _, l := range cv.Labels {
					add(NormContext("label:" + l))
				}
			}
		}
	}
	return out
}

// FAQ returns the questions to show for a request: public, published
// articles, one per translation group.
func (s *Service) FAQ(ctx context.Context, req FAQRequest) ([]desk.Article, error) {
	limit := req.Limit
	if limit <= 0 {
		limit = 6
	}
	limit = min(limit, 20)
	contexts := s.Contexts(ctx, req)
	var out []desk.Article
	seen := map[int64]bool{}
	take := func(a *desk.Article) bool {
		if len(out) >= limit || seen[a.GroupID] || a.Status != desk.ArticlePublished || a.Internal ||
			req.Locale != "" && a.Locale != req.Locale {
			return len(out) < limit
		}
		seen[a.GroupID] = true
		out = append(out, *a)
		return len(out) < limit
	}
	// 1. Pins, most specific context first; the home's pins when the
	// request has no context.
	pinCtx := contexts
	if len(pinCtx) == 0 {
		pinCtx = []string{""}
	}
	for _, c := range pinCtx {
		groups, err := s.st.FAQPins(ctx, c, req.Locale)
		if err != nil {
			return nil, fmt.Errorf("kb: faq pins: %w", err)
		}
		for _, g := range groups {
			arts, err := s.st.ListArticles(ctx, desk.ArticleQuery{GroupID: g, Locale: req.Locale, Public: true})
			if err != nil {
				return nil, fmt.Errorf("kb: faq: %w", err)
			}
			for i := range arts {
				if !take(&arts[i]) {
					return out, nil
				}
			}
		}
	}
	// 2. Articles tagged with a context, most viewed in those contexts first.
	since := s.clock.Now().Add(-faqWindow)
	if len(contexts) > 0 {
		tagged := s.tagged(contexts, req.Locale)
		views := map[int64]int{}
		for _, c := range contexts {
			counts, err := s.st.ContextViews(ctx, c, req.Locale, since, 50)
			if err != nil {
				return nil, fmt.Errorf("kb: faq views: %w", err)
			}
			for _, cc := range counts {
				views[cc.ArticleID] += cc.Views
			}
		}
		// Articles customers opened in these contexts count too, even when
		// nobody tagged them.
		for id := range views {
			if !slices.Contains(tagged, id) {
				tagged = append(tagged, id)
			}
		}
		slices.SortStableFunc(tagged, func(a, b int64) int { return views[b] - views[a] })
		for _, id := range tagged {
			a, err := s.st.ArticleByID(ctx, id)
			if err != nil {
				continue
			}
			if !take(a) {
				return out, nil
			}
		}
	}
	// 3. Popular in the locale.
	pop, err := s.Popular(ctx, req.Locale, limit+len(out))
	if err != nil {
		return nil, err
	}
	for i := range pop {
		if !take(&pop[i]) {
			break
		}
	}
	return out, nil
}

// tagged lists the indexed articles that carry one of the contexts, in
// the order of the contexts.
func (s *Service) tagged(contexts []string, locale string) []int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []int64
	for _, c := range contexts {
		for _, id := range s.byContext[c] {
			if m, ok := s.meta[docID(id)]; ok && (locale == "" || m.locale == locale) && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// Popular returns the most viewed public articles of a locale in the last
// 90 days, then the rest in the authors' order.
func (s *Service) Popular(ctx context.Context, locale string, n int) ([]desk.Article, error) {
	counts, err := s.st.ContextViews(ctx, "", locale, s.clock.Now().Add(-faqWindow), n*2)
	if err != nil {
		return nil, fmt.Errorf("kb: popular: %w", err)
	}
	var out []desk.Article
	seen := map[int64]bool{}
	for _, c := range counts {
		a, err := s.st.ArticleByID(ctx, c.ArticleID)
		if err != nil || a.Status != desk.ArticlePublished || a.Internal || seen[a.ID] {
			continue
		}
		seen[a.ID] = true
		out = append(out, *a)
		if len(out) == n {
			return out, nil
		}
	}
	rest, err := s.st.ListArticles(ctx, desk.ArticleQuery{Locale: locale, Public: true, Limit: n + len(out)})
	if err != nil {
		return nil, fmt.Errorf("kb: popular: %w", err)
	}
	for _, a := range rest {
		if !seen[a.ID] && len(out) < n {
			seen[a.ID] = true
			out = append(out, a)
		}
	}
	return out, nil
}

// Pins returns the pinned articles' groups of a context and locale.
func (s *Service) Pins(ctx context.Context, context, locale string) ([]int64, error) {
	return s.st.FAQPins(ctx, NormContext(context), locale)
}

// SetPins pins articles (by GroupID, in order) for a context ("" is the
// help-center home) and locale.
func (s *Service) SetPins(ctx context.Context, context, locale string, groups []int64) error {
	if locale != "" && !ValidLocale(locale) {
		return fmt.Errorf("kb: pins: locale %q: %w", locale, desk.ErrInvalid)
	}
	if len(groups) > 20 {
		return fmt.Errorf("kb: pins: at most 20 per context: %w", desk.ErrInvalid)
	}
	var clean []int64
	for _, g := range groups {
		if slices.Contains(clean, g) {
			continue
		}
		arts, err := s.st.ListArticles(ctx, desk.ArticleQuery{GroupID: g, Limit: 1})
		if err != nil {
			return fmt.Errorf("kb: pins: %w", err)
		}
		if len(arts) == 0 {
			return fmt.Errorf("kb: pins: no article %d: %w", g, desk.ErrInvalid)
		}
		clean = append(clean, g)
	}
	if err := s.st.SetFAQPins(ctx, NormContext(context), locale, clean); err != nil {
		return fmt.Errorf("kb: pins: %w", err)
	}
	return nil
}

// PinContexts lists the contexts that have pins.
func (s *Service) PinContexts(ctx context.Context) ([]string, error) {
	return s.st.FAQPinContexts(ctx)
}
