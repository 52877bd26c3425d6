package postgres

import (
	"context"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// What customers do with the knowledge base: searches, views, feedback,
// search signals and their analytics; and the pinned FAQ of each context.

// --- searches, views, feedback ---

const searchLogColumns = `id, query, norm, locale, source, context, results, top_article_id,
	clicked_article_id, visitor_key, contact_id, created_at`

// RecordSearch stores a search and sets ID (and CreatedAt when zero).
func (s *Store) RecordSearch(ctx context.Context, l *desk.SearchLog) error {
	l.CreatedAt = orNow(l.CreatedAt)
	if l.ID == 0 {
		err := s.q.QueryRow(ctx, `INSERT INTO kb_search_logs (query, norm, locale, source, context, results,
				top_article_id, clicked_article_id, visitor_key, contact_id, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			l.Query, l.Norm, l.Locale, l.Source, l.Context, l.Results, l.TopArticleID, l.ClickedArticleID,
			l.VisitorKey, l.ContactID, l.CreatedAt).Scan(&l.ID)
		return wrap("record search", err)
	}
	// A given id may be taken: a unique violation must not spoil the
	// caller's transaction.
	return s.guarded(ctx, func(s *Store) error {
		_, err := s.q.Exec(ctx, `INSERT INTO kb_search_logs (id, query, norm, locale, source, context, results,
				top_article_id, clicked_article_id, visitor_key, contact_id, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			l.ID, l.Query, l.Norm, l.Locale, l.Source, l.Context, l.Results, l.TopArticleID, l.ClickedArticleID,
			l.VisitorKey, l.ContactID, l.CreatedAt)
		return wrap("record search", err)
	})
}

// SearchLogByID returns one search.
func (s *Store) SearchLogByID(ctx context.Context, id int64) (*desk.SearchLog, error) {
	var l desk.SearchLog
	err := s.q.QueryRow(ctx, `SELECT `+searchLogColumns+` FROM kb_search_logs WHERE id = $1`, id).
		Scan(&l.ID, &l.Query, &l.Norm, &l.Locale, &l.Source, &l.Context, &l.Results, &l.TopArticleID,
			&l.ClickedArticleID, &l.VisitorKey, &l.ContactID, &l.CreatedAt)
	if err != nil {
		return nil, wrap("search log by id", err)
	}
	return &l, nil
}

// RecordSearchClick sets the search's ClickedArticleID if none was set; a
// later click changes nothing. A missing search is ErrNotFound.
func (s *Store) RecordSearchClick(ctx context.Context, searchID, articleID int64) error {
	var exists bool
	// The EXISTS sees the row as it was before the update: it tells a
	// missing search from one clicked already, in the same round trip.
	err := s.q.QueryRow(ctx, `WITH u AS (
			UPDATE kb_search_logs SET clicked_article_id = $2 WHERE id = $1 AND clicked_article_id = 0
			RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM kb_search_logs WHERE id = $1)`, searchID, articleID).Scan(&exists)
	if err == nil && !exists {
		err = desk.ErrNotFound
	}
	return wrap("record search click", err)
}

// RecordArticleView stores one view (At is set when zero); a missing
// article is ErrNotFound.
func (s *Store) RecordArticleView(ctx context.Context, v *desk.ArticleView) error {
	v.At = orNow(v.At)
	err := s.guarded(ctx, func(s *Store) error {
		_, err := s.q.Exec(ctx, `INSERT INTO kb_article_views (article_id, context, locale, visitor_key,
			contact_id, at) VALUES ($1, $2, $3, $4, $5, $6)`,
			v.ArticleID, v.Context, v.Locale, v.VisitorKey, v.ContactID, v.At)
		return err
	})
	return wrap("record article view", err)
}

// AddArticleFeedback stores feedback and sets ID (and CreatedAt when zero);
// a missing article is ErrNotFound.
func (s *Store) AddArticleFeedback(ctx context.Context, f *desk.ArticleFeedback) error {
	f.CreatedAt = orNow(f.CreatedAt)
	err := s.guarded(ctx, func(s *Store) error {
		return s.q.QueryRow(ctx, `INSERT INTO kb_article_feedback (article_id, helpful, comment, search_id,
			visitor_key, contact_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			f.ArticleID, f.Helpful, f.Comment, f.SearchID, f.VisitorKey, f.ContactID, f.CreatedAt).Scan(&f.ID)
	})
	return wrap("add article feedback", err)
}

// defaultFeedbackLimit is ListArticleFeedback's limit when none is given.
const defaultFeedbackLimit = 50

// ListArticleFeedback lists an article's feedback, newest first.
func (s *Store) ListArticleFeedback(ctx context.Context, articleID int64, limit int) ([]desk.ArticleFeedback, error) {
	const op = "list article feedback"
	if limit <= 0 {
		limit = defaultFeedbackLimit
	}
	rows, err := s.q.Query(ctx, `SELECT id, article_id, helpful, comment, search_id, visitor_key, contact_id,
			created_at
		FROM kb_article_feedback WHERE article_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
		articleID, limit)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.ArticleFeedback
	for rows.Next() {
		var f desk.ArticleFeedback
		if err := rows.Scan(&f.ID, &f.ArticleID, &f.Helpful, &f.Comment, &f.SearchID, &f.VisitorKey,
			&f.ContactID, &f.CreatedAt); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, f)
	}
	return out, wrap(op, rows.Err())
}

// --- learning from searches ---

// PutSearchSignal stores s (At set when zero), replacing the visitor's
// earlier signal for the same article and Norm. A missing article is
// ErrNotFound.
func (s *Store) PutSearchSignal(ctx context.Context, sig *desk.SearchSignal) error {
	sig.At = orNow(sig.At)
	err := s.guarded(ctx, func(s *Store) error {
		_, err := s.q.Exec(ctx, `INSERT INTO kb_search_signals (article_id, norm, query, visitor_key, weight, at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (article_id, norm, visitor_key)
			DO UPDATE SET query = excluded.query, weight = excluded.weight, at = excluded.at`,
			sig.ArticleID, sig.Norm, sig.Query, sig.VisitorKey, sig.Weight, sig.At)
		return err
	})
	return wrap("put search signal", err)
}

// LearnedQueries adds up the signals per article and Norm, keeping those
// with a positive Weight; articleID 0 means every article. Query is the
// most common typed form (ties: the smallest). Ordered by article, then
// Weight, highest first, then Norm. Voters counts every visitor with a
// signal, negative ones too.
func (s *Store) LearnedQueries(ctx context.Context, articleID int64) ([]desk.LearnedQuery, error) {
	const op = "learned queries"
	var a args
	where := ""
	if articleID != 0 {
		where = ` WHERE article_id = ` + a.add(articleID)
	}
	// mode() keeps the first of equally frequent values in its order: the
	// smallest text, compared bytewise like SQLite does.
	rows, err := s.q.Query(ctx, `SELECT article_id, query, weight, voters FROM (
			SELECT article_id, norm, mode() WITHIN GROUP (ORDER BY query COLLATE "C") AS query,
				sum(weight)::bigint AS weight, count(DISTINCT visitor_key) AS voters
			FROM kb_search_signals`+where+`
			GROUP BY article_id, norm) g
		WHERE weight > 0
		ORDER BY article_id, weight DESC, norm COLLATE "C"`, a...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.LearnedQuery
	for rows.Next() {
		var l desk.LearnedQuery
		if err := rows.Scan(&l.ArticleID, &l.Query, &l.Weight, &l.Voters); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, l)
	}
	return out, wrap(op, rows.Err())
}

// --- analytics ---

// defaultStatsLimit is a StatsQuery's Limit when none is given.
const defaultStatsLimit = 50

// statsPeriod returns the condition on column (a time) for q's period,
// adding its arguments to a. A zero Until is now: no upper bound, so that a
// row written in the current millisecond counts too.
func statsPeriod(q desk.StatsQuery, column string, a *args) string {
	cond := column + ` >= ` + a.add(ts(q.Since))
	if !q.Until.IsZero() {
		cond += ` AND ` + column + ` < ` + a.add(ts(q.Until))
	}
	return cond
}

// statsLimit is q's Limit or its default.
func statsLimit(q desk.StatsQuery) int {
	if q.Limit <= 0 {
		return defaultStatsLimit
	}
	return q.Limit
}

// queryStats groups the searches of q's period by Norm and returns those
// where the count named by measure ("searches", "no_result" or "no_click")
// is positive, highest first, then by Query.
func (s *Store) queryStats(ctx context.Context, op, measure string, q desk.StatsQuery) ([]desk.QueryStat, error) {
	var a args
	where := ` WHERE ` + statsPeriod(q, "created_at", &a)
	if q.Locale != "" {
		where += ` AND locale = ` + a.add(q.Locale)
	}
	rows, err := s.q.Query(ctx, `SELECT query, searches, no_result, clicked FROM (
			SELECT norm, mode() WITHIN GROUP (ORDER BY query COLLATE "C") AS query,
				count(*) AS searches,
				count(*) FILTER (WHERE results = 0) AS no_result,
				count(*) FILTER (WHERE clicked_article_id <> 0) AS clicked,
				count(*) FILTER (WHERE results > 0 AND clicked_article_id = 0) AS no_click
			FROM kb_search_logs`+where+`
			GROUP BY norm) g
		WHERE `+measure+` > 0
		ORDER BY `+measure+` DESC, query COLLATE "C", norm COLLATE "C"
		LIMIT `+a.add(statsLimit(q)), a...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.QueryStat
	for rows.Next() {
		var st desk.QueryStat
		if err := rows.Scan(&st.Query, &st.Searches, &st.NoResult, &st.Clicked); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, st)
	}
	return out, wrap(op, rows.Err())
}

// TopQueries are the most searched queries of the period.
func (s *Store) TopQueries(ctx context.Context, q desk.StatsQuery) ([]desk.QueryStat, error) {
	return s.queryStats(ctx, "top queries", "searches", q)
}

// NoResultQueries are the queries that most often found nothing.
func (s *Store) NoResultQueries(ctx context.Context, q desk.StatsQuery) ([]desk.QueryStat, error) {
	return s.queryStats(ctx, "no-result queries", "no_result", q)
}

// NoClickQueries are the queries whose results were most often left
// unopened (searches with results and no click).
func (s *Store) NoClickQueries(ctx context.Context, q desk.StatsQuery) ([]desk.QueryStat, error) {
	return s.queryStats(ctx, "no-click queries", "no_click", q)
}

// ArticleStats lists the articles with views or feedback in the period,
// most viewed first, then by ID. Locale is the article's.
func (s *Store) ArticleStats(ctx context.Context, q desk.StatsQuery) ([]desk.ArticleStat, error) {
	const op = "article stats"
	var a args
	viewWhere := ` WHERE ` + statsPeriod(q, "x.at", &a)
	feedbackWhere := ` WHERE ` + statsPeriod(q, "x.created_at", &a)
	join := ""
	if q.Locale != "" {
		join = ` JOIN kb_articles r ON r.id = x.article_id AND r.locale = ` + a.add(q.Locale)
	}
	rows, err := s.q.Query(ctx, `WITH v AS (
			SELECT x.article_id, count(*) AS views
			FROM kb_article_views x`+join+viewWhere+` GROUP BY x.article_id),
		f AS (
			SELECT x.article_id, count(*) FILTER (WHERE x.helpful) AS helpful,
				count(*) FILTER (WHERE NOT x.helpful) AS not_helpful
			FROM kb_article_feedback x`+join+feedbackWhere+` GROUP BY x.article_id)
		SELECT article_id, COALESCE(v.views, 0) AS views, COALESCE(f.helpful, 0), COALESCE(f.not_helpful, 0)
		FROM v FULL JOIN f USING (article_id)
		ORDER BY views DESC, article_id
		LIMIT `+a.add(statsLimit(q)), a...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.ArticleStat
	for rows.Next() {
		var st desk.ArticleStat
		if err := rows.Scan(&st.ArticleID, &st.Views, &st.Helpful, &st.NotHelpful); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, st)
	}
	return out, wrap(op, rows.Err())
}

// ContextViews counts views per article in a context ("" all contexts) and
// the locale they were made in ("" all locales) since a time, most viewed
// first, then by ID.
func (s *Store) ContextViews(ctx context.Context, viewContext, locale string, since time.Time, limit int) ([]desk.ContextCount, error) {
	const op = "context views"
	if limit <= 0 {
		limit = defaultStatsLimit
	}
	var a args
	where := ` WHERE at >= ` + a.add(ts(since))
	if viewContext != "" {
		where += ` AND context = ` + a.add(viewContext)
	}
	if locale != "" {
		where += ` AND locale = ` + a.add(locale)
	}
	rows, err := s.q.Query(ctx, `SELECT article_id, count(*) AS views FROM kb_article_views`+where+`
		GROUP BY article_id ORDER BY views DESC, article_id LIMIT `+a.add(limit), a...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.ContextCount
	for rows.Next() {
		var c desk.ContextCount
		if err := rows.Scan(&c.ArticleID, &c.Views); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, c)
	}
	return out, wrap(op, rows.Err())
}

// --- FAQ pins ---

// SetFAQPins makes groupIDs, in order, the pinned questions of a context
// and locale; none clears them. A duplicate keeps its first place.
func (s *Store) SetFAQPins(ctx context.Context, pinContext, locale string, groupIDs []int64) error {
	err := s.atomically(ctx, func(s *Store) error {
		if _, err := s.q.Exec(ctx, `DELETE FROM kb_faq_pins WHERE context = $1 AND locale = $2`,
			pinContext, locale); err != nil {
			return err
		}
		if len(groupIDs) == 0 {
			return nil
		}
		_, err := s.q.Exec(ctx, `INSERT INTO kb_faq_pins (context, locale, position, group_id)
			SELECT $1, $2, min(p.n), p.g FROM unnest($3::bigint[]) WITH ORDINALITY AS p (g, n) GROUP BY p.g`,
			pinContext, locale, groupIDs)
		return err
	})
	return wrap("set faq pins", err)
}

// FAQPins returns the pinned GroupIDs of a context and locale, in order.
func (s *Store) FAQPins(ctx context.Context, pinContext, locale string) ([]int64, error) {
	const op = "faq pins"
	rows, err := s.q.Query(ctx, `SELECT group_id FROM kb_faq_pins WHERE context = $1 AND locale = $2
		ORDER BY position`, pinContext, locale)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, id)
	}
	return out, wrap(op, rows.Err())
}

// FAQPinContexts lists every context with pins in any locale, sorted
// bytewise.
func (s *Store) FAQPinContexts(ctx context.Context) ([]string, error) {
	const op = "faq pin contexts"
	rows, err := s.q.Query(ctx, `SELECT context FROM kb_faq_pins GROUP BY context ORDER BY context COLLATE "C"`)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, c)
	}
	return out, wrap(op, rows.Err())
}
