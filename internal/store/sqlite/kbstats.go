package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// What customers do with the knowledge base: searches, views, feedback and
// search signals, the analytics over them, and the pinned questions.

// defaultLimit is the default number of rows of an analytics list.
const defaultLimit = 50

func limitOr(limit, def int) int {
	if limit <= 0 {
		return def
	}
	return limit
}

// period turns a StatsQuery period into bounds on millisecond columns:
// since inclusive, until exclusive, a zero Until meaning no end.
func period(q desk.StatsQuery) (since, until int64) {
	until = math.MaxInt64
	if !q.Until.IsZero() {
		until = ms(q.Until)
	}
	return ms(q.Since), until
}

// Searches.

func (o ops) RecordSearch(ctx context.Context, s *desk.SearchLog) error {
	s.CreatedAt = nowOr(s.CreatedAt)
	return o.write(ctx, func(q *txQuerier) error {
		// A zero id becomes NULL, which SQLite numbers itself.
		err := q.QueryRowContext(ctx, `INSERT INTO kb_search_logs(id, query, norm, locale, source, context, results,
			top_article_id, clicked_article_id, visitor_key, contact_id, created_at) VALUES (NULLIF(?, 0),?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
			s.ID, s.Query, s.Norm, s.Locale, s.Source, s.Context, s.Results, s.TopArticleID, s.ClickedArticleID, s.VisitorKey,
			s.ContactID, ms(s.CreatedAt)).Scan(&s.ID)
		return wrap("record search", err)
	})
}

func (o ops) SearchLogByID(ctx context.Context, id int64) (*desk.SearchLog, error) {
	var s desk.SearchLog
	var created int64
	err := o.read.QueryRowContext(ctx, `SELECT id, query, norm, locale, source, context, results, top_article_id,
		clicked_article_id, visitor_key, contact_id, created_at FROM kb_search_logs WHERE id = ?`, id).Scan(
		&s.ID, &s.Query, &s.Norm, &s.Locale, &s.Source, &s.Context, &s.Results, &s.TopArticleID, &s.ClickedArticleID,
		&s.VisitorKey, &s.ContactID, &created)
	if err != nil {
		return nil, wrap("search log by id", err)
	}
	s.CreatedAt = fromMS(created)
	return &s, nil
}

// RecordSearchClick keeps the first click: later ones change nothing.
func (o ops) RecordSearchClick(ctx context.Context, searchID, articleID int64) error {
	const op = "record search click"
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE kb_search_logs SET clicked_article_id = ?
			WHERE id = ? AND clicked_article_id = 0`, articleID, searchID)
		err = affected(op, res, err)
		if !errors.Is(err, desk.ErrNotFound) {
			return err
		}
		var one int
		return wrap(op, q.QueryRowContext(ctx, `SELECT 1 FROM kb_search_logs WHERE id = ?`, searchID).Scan(&one))
	})
}

// Views and feedback.

func (o ops) RecordArticleView(ctx context.Context, v *desk.ArticleView) error {
	v.At = nowOr(v.At)
	return o.write(ctx, func(q *txQuerier) error {
		_, err := q.ExecContext(ctx, `INSERT INTO kb_views(article_id, context, locale, visitor_key, contact_id, at)
			VALUES (?,?,?,?,?,?)`, v.ArticleID, v.Context, v.Locale, v.VisitorKey, v.ContactID, ms(v.At))
		return wrap("record article view", err)
	})
}

func (o ops) AddArticleFeedback(ctx context.Context, f *desk.ArticleFeedback) error {
	f.CreatedAt = nowOr(f.CreatedAt)
	return o.write(ctx, func(q *txQuerier) error {
		err := q.QueryRowContext(ctx, `INSERT INTO kb_feedback(article_id, helpful, comment, search_id, visitor_key,
			contact_id, created_at) VALUES (?,?,?,?,?,?,?) RETURNING id`, f.ArticleID, boolInt(f.Helpful), f.Comment,
			f.SearchID, f.VisitorKey, f.ContactID, ms(f.CreatedAt)).Scan(&f.ID)
		return wrap("add article feedback", err)
	})
}

// ListArticleFeedback lists newest first; limit 0 is 50.
func (o ops) ListArticleFeedback(ctx context.Context, articleID int64, limit int) ([]desk.ArticleFeedback, error) {
	const op = "list article feedback"
	rows, err := o.read.QueryContext(ctx, `SELECT id, article_id, helpful, comment, search_id, visitor_key, contact_id,
		created_at FROM kb_feedback WHERE article_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`,
		articleID, limitOr(limit, defaultLimit))
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.ArticleFeedback
	for rows.Next() {
		var f desk.ArticleFeedback
		var helpful int
		var created int64
		if err := rows.Scan(&f.ID, &f.ArticleID, &helpful, &f.Comment, &f.SearchID, &f.VisitorKey, &f.ContactID,
			&created); err != nil {
			return nil, wrap(op, err)
		}
		f.Helpful, f.CreatedAt = helpful != 0, fromMS(created)
		out = append(out, f)
	}
	return out, wrap(op, rows.Err())
}

// Search signals.

// PutSearchSignal stores s, replacing the visitor's earlier signal for the
// same article and query.
func (o ops) PutSearchSignal(ctx context.Context, s *desk.SearchSignal) error {
	s.At = nowOr(s.At)
	return o.write(ctx, func(q *txQuerier) error {
		_, err := q.ExecContext(ctx, `INSERT INTO kb_signals(article_id, norm, query, visitor_key, weight, at)
			VALUES (?,?,?,?,?,?) ON CONFLICT (article_id, norm, visitor_key)
			DO UPDATE SET query = excluded.query, weight = excluded.weight, at = excluded.at`,
			s.ArticleID, s.Norm, s.Query, s.VisitorKey, s.Weight, ms(s.At))
		return wrap("put search signal", err)
	})
}

// LearnedQueries lists by article, heaviest first, then by norm.
func (o ops) LearnedQueries(ctx context.Context, articleID int64) ([]desk.LearnedQuery, error) {
	const op = "learned queries"
	const cols = `SELECT article_id, MAX(query), SUM(weight), COUNT(*) FROM kb_signals`
	const group = ` GROUP BY article_id, norm HAVING SUM(weight) > 0 ORDER BY article_id, 3 DESC, norm`
	query, args := cols+group, []any(nil)
	if articleID != 0 {
		query, args = cols+` WHERE article_id = ?`+group, []any{articleID}
	}
	rows, err := o.read.QueryContext(ctx, query, args...)
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

// Search analytics.

// queryStats groups the period's searches by norm, shows each norm's most
// common typed form, keeps the norms whose measure is positive and orders
// them by it. measure is a column of the ranked set: searches, no_result or
// unopened (searches with results none of which was opened).
func (o ops) queryStats(ctx context.Context, op, measure string, q desk.StatsQuery) ([]desk.QueryStat, error) {
	since, until := period(q)
	rows, err := o.read.QueryContext(ctx, queryStatsSQL(measure), since, until, q.Locale, q.Locale, limitOr(q.Limit, defaultLimit))
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.QueryStat
	for rows.Next() {
		var s desk.QueryStat
		if err := rows.Scan(&s.Query, &s.Searches, &s.NoResult, &s.Clicked); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, s)
	}
	return out, wrap(op, rows.Err())
}

func queryStatsSQL(measure string) string {
	return `WITH forms AS (
			SELECT norm, query, COUNT(*) AS n, SUM(results = 0) AS no_result, SUM(clicked_article_id <> 0) AS clicked,
				SUM(results > 0 AND clicked_article_id = 0) AS unopened
			FROM kb_search_logs
			WHERE created_at >= ? AND created_at < ? AND (? = '' OR locale = ?)
			GROUP BY norm, query
		), ranked AS (
			SELECT query, SUM(n) OVER w AS searches, SUM(no_result) OVER w AS no_result, SUM(clicked) OVER w AS clicked,
				SUM(unopened) OVER w AS unopened, ROW_NUMBER() OVER (PARTITION BY norm ORDER BY n DESC, query) AS rn
			FROM forms WINDOW w AS (PARTITION BY norm)
		)
		SELECT query, searches, no_result, clicked FROM ranked
		WHERE rn = 1 AND ` + measure + ` > 0 ORDER BY ` + measure + ` DESC, query LIMIT ?`
}

func (o ops) TopQueries(ctx context.Context, q desk.StatsQuery) ([]desk.QueryStat, error) {
	return o.queryStats(ctx, "top queries", "searches", q)
}

func (o ops) NoResultQueries(ctx context.Context, q desk.StatsQuery) ([]desk.QueryStat, error) {
	return o.queryStats(ctx, "no-result queries", "no_result", q)
}

func (o ops) NoClickQueries(ctx context.Context, q desk.StatsQuery) ([]desk.QueryStat, error) {
	return o.queryStats(ctx, "no-click queries", "unopened", q)
}

// ArticleStats lists articles of the locale (the article's own) with views
// or feedback in the period, most viewed first, ties by id.
func (o ops) ArticleStats(ctx context.Context, q desk.StatsQuery) ([]desk.ArticleStat, error) {
	const op = "article stats"
	since, until := period(q)
	rows, err := o.read.QueryContext(ctx, `WITH v AS (
			SELECT article_id, COUNT(*) AS views FROM kb_views INDEXED BY kb_views_at
			WHERE at >= ? AND at < ? GROUP BY article_id
		), f AS (
			SELECT article_id, SUM(helpful) AS helpful, SUM(1 - helpful) AS not_helpful
			FROM kb_feedback WHERE created_at >= ? AND created_at < ? GROUP BY article_id
		), ids AS (
			SELECT article_id FROM v UNION SELECT article_id FROM f
		)
		SELECT ids.article_id, COALESCE(v.views, 0) AS views, COALESCE(f.helpful, 0), COALESCE(f.not_helpful, 0)
		FROM ids JOIN kb_articles a ON a.id = ids.article_id
		LEFT JOIN v ON v.article_id = ids.article_id LEFT JOIN f ON f.article_id = ids.article_id
		WHERE ? = '' OR a.locale = ?
		ORDER BY views DESC, ids.article_id LIMIT ?`,
		since, until, since, until, q.Locale, q.Locale, limitOr(q.Limit, defaultLimit))
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.ArticleStat
	for rows.Next() {
		var s desk.ArticleStat
		if err := rows.Scan(&s.ArticleID, &s.Views, &s.Helpful, &s.NotHelpful); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, s)
	}
	return out, wrap(op, rows.Err())
}

// ContextViews counts views since a time per article, in a context and
// locale of the view ("" for either: all), most viewed first; limit 0 is 50.
func (o ops) ContextViews(ctx context.Context, scope, locale string, since time.Time, limit int) ([]desk.ContextCount, error) {
	const op = "context views"
	query, args := contextViews(scope, locale, since)
	rows, err := o.read.QueryContext(ctx, query, append(args, limitOr(limit, defaultLimit))...)
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

// contextViews is the query of ContextViews but for its LIMIT argument.
// Only the filters given become conditions, so kb_views_context serves a
// context's counts.
// Without statistics SQLite would rather scan every view in article order
// (to group without sorting) than the period's range: INDEXED BY says
// which is cheaper, as views pile up over the years.
func contextViews(scope, locale string, since time.Time) (string, []any) {
	from, where, args := `kb_views INDEXED BY kb_views_at`, `at >= ?`, []any{ms(since)}
	if scope != "" {
		from, where, args = `kb_views`, `context = ? AND `+where, append([]any{scope}, args...)
	}
	if locale != "" {
		where, args = where+` AND locale = ?`, append(args, locale)
	}
	return `SELECT article_id, COUNT(*) AS views FROM ` + from + ` WHERE ` + where +
		` GROUP BY article_id ORDER BY views DESC, article_id LIMIT ?`, args
}

// Pinned questions.

// SetFAQPins replaces a context's pins; a repeated group keeps its first
// place.
func (o ops) SetFAQPins(ctx context.Context, scope, locale string, groupIDs []int64) error {
	const op = "set faq pins"
	var pins []int64
	for _, id := range groupIDs {
		if !slices.Contains(pins, id) {
			pins = append(pins, id)
		}
	}
	return o.write(ctx, func(q *txQuerier) error {
		if _, err := q.ExecContext(ctx, `DELETE FROM kb_faq_pins WHERE context = ? AND locale = ?`, scope, locale); err != nil {
			return wrap(op, err)
		}
		for i, id := range pins {
			if _, err := q.ExecContext(ctx, `INSERT INTO kb_faq_pins(context, locale, position, group_id) VALUES (?,?,?,?)`,
				scope, locale, i, id); err != nil {
				return wrap(op, err)
			}
		}
		return nil
	})
}

func (o ops) FAQPins(ctx context.Context, scope, locale string) ([]int64, error) {
	const op = "faq pins"
	rows, err := o.read.QueryContext(ctx, `SELECT group_id FROM kb_faq_pins WHERE context = ? AND locale = ?
		ORDER BY position`, scope, locale)
	if err != nil {
		return nil, wrap(op, err)
	}
	return scanAll[int64](op, rows)
}

func (o ops) FAQPinContexts(ctx context.Context) ([]string, error) {
	const op = "faq pin contexts"
	rows, err := o.read.QueryContext(ctx, `SELECT DISTINCT context FROM kb_faq_pins ORDER BY context`)
	if err != nil {
		return nil, wrap(op, err)
	}
	return scanAll[string](op, rows)
}

// scanAll reads a one-column result and closes rows.
func scanAll[T any](op string, rows *sql.Rows) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, v)
	}
	return out, wrap(op, rows.Err())
}
