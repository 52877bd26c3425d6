package kb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb/kbfile"
)

// Analytics is what authors learn from searches and votes over a period.
type Analytics struct {
	TopQueries []desk.QueryStat
	// NoResult are content gaps: questions the knowledge base has no
	// answer for.
	NoResult []desk.QueryStat
	// NoClick are queries whose results customers did not open: the
	// answer may exist but is not recognisable.
	NoClick []desk.QueryStat
	// Articles are the most viewed articles, LowHelpful those customers
	// found least helpful (at least minVotes votes), worst first.
	Articles   []ArticleReport
	LowHelpful []ArticleReport
}

// ArticleReport is an article with its numbers.
type ArticleReport struct {
	Article    desk.Article
	Views      int
	Helpful    int
	NotHelpful int
}

// HelpfulShare is the share of helpful votes in 0..1 (0 without votes).
func (r ArticleReport) HelpfulShare() float64 {
	if n := r.Helpful + r.NotHelpful; n > 0 {
		return float64(r.Helpful) / float64(n)
	}
	return 0
}

const minVotes = 3

// Analytics reports a period's searches and article numbers.
func (s *Service) Analytics(ctx context.Context, q desk.StatsQuery) (Analytics, error) {
	if q.Limit <= 0 {
		q.Limit = 25
	}
	var a Analytics
	if err := s.Flush(ctx); err != nil {
		return a, err
	}
	var err error
	if a.TopQueries, err = s.st.TopQueries(ctx, q); err != nil {
		return a, fmt.Errorf("kb: analytics: %w", err)
	}
	if a.NoResult, err = s.st.NoResultQueries(ctx, q); err != nil {
		return a, fmt.Errorf("kb: analytics: %w", err)
	}
	if a.NoClick, err = s.st.NoClickQueries(ctx, q); err != nil {
		return a, fmt.Errorf("kb: analytics: %w", err)
	}
	wide := q
	wide.Limit = 1000
	stats, err := s.st.ArticleStats(ctx, wide)
	if err != nil {
		return a, fmt.Errorf("kb: analytics: %w", err)
	}
	var reports []ArticleReport
	for _, st := range stats {
		art, err := s.st.ArticleByID(ctx, st.ArticleID)
		if errors.Is(err, desk.ErrNotFound) {
			continue
		}
		if err != nil {
			return a, fmt.Errorf("kb: analytics: %w", err)
		}
		if q.Locale != "" && art.Locale != q.Locale {
			continue
		}
		reports = append(reports, ArticleReport{Article: *art, Views: st.Views, Helpful: st.Helpful, NotHelpful: st.NotHelpful})
	}
	for _, r := range reports {
		if r.Helpful+r.NotHelpful >= minVotes && r.HelpfulShare() < 0.7 {
			a.LowHelpful = append(a.LowHelpful, r)
		}
	}
	slices.SortStableFunc(a.LowHelpful, func(x, y ArticleReport) int {
		if d := x.HelpfulShare() - y.HelpfulShare(); d != 0 {
			if d < 0 {
				return -1
			}
			return 1
		}
		return (y.Helpful + y.NotHelpful) - (x.Helpful + x.NotHelpful)
	})
	a.Articles = reports[:min(len(reports), q.Limit)]
	a.LowHelpful = a.LowHelpful[:min(len(a.LowHelpful), q.Limit)]
	return a, nil
}

// DraftFromQuery turns a query customers asked into a new draft article
// that answers it: the query becomes the title and the first question.
func (s *Service) DraftFromQuery(ctx context.Context, by *desk.Agent, query, locale string) (*desk.Article, error) {
	query = strings.TrimSpace(query)
	if query == "" {
		return nil, fmt.Errorf("kb: draft: empty query: %w", desk.ErrInvalid)
	}
	if !ValidLocale(locale) {
		locale = by.Locale
		if !ValidLocale(locale) {
			locale = "nl"
		}
	}
	title := capitalise(query)
	in := ArticleInput{Locale: locale, Title: title, Questions: []string{query}, Status: desk.ArticleDraft,
		Note: "drafted from search analytics"}
	slug := kbfile.Slugify(title)
	for i := 1; i <= 20; i++ {
		in.Slug = slug
		if i > 1 {
			in.Slug = slug + "-" + strconv.Itoa(i) // the slug is taken: number it
		}
		a, err := s.CreateArticle(ctx, by, in)
		if !errors.Is(err, desk.ErrConflict) {
			return a, err
		}
	}
	return nil, fmt.Errorf("kb: draft: no free slug for %q: %w", query, desk.ErrConflict)
}

func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
