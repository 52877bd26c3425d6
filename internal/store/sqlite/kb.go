package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// The knowledge base: categories, articles, revisions and files. What
// customers do with it is in kbstats.go.

var (
	_ desk.KBStore = (*Store)(nil)
	_ desk.KBStore = (*txStore)(nil)
)

// Categories.

const categoryCols = `id, group_id, parent_id, locale, slug, name, description, icon, position, created_at, updated_at`

func scanCategory(sc interface{ Scan(...any) error }, c *desk.KBCategory) error {
	var created, updated int64
	err := sc.Scan(&c.ID, &c.GroupID, &c.ParentID, &c.Locale, &c.Slug, &c.Name, &c.Description, &c.Icon, &c.Position,
		&created, &updated)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	return err
}

// checkCategory reports ErrInvalid when id (0: none) is not a category.
func checkCategory(ctx context.Context, q *txQuerier, op string, id int64) error {
	if id == 0 {
		return nil
	}
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM kb_categories WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %s: no category %d: %w", op, id, desk.ErrInvalid)
	}
	return wrap(op, err)
}

func (o ops) CreateKBCategory(ctx context.Context, c *desk.KBCategory) error {
	c.CreatedAt = nowOr(c.CreatedAt)
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	return o.write(ctx, func(q *txQuerier) error {
		if err := checkCategory(ctx, q, "create kb category", c.ParentID); err != nil {
			return err
		}
		// The group defaults to the row's own id, which only the insert knows.
		err := q.QueryRowContext(ctx, `INSERT INTO kb_categories(group_id, parent_id, locale, slug, name, description,
			icon, position, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id`,
			c.GroupID, c.ParentID, c.Locale, c.Slug, c.Name, c.Description, c.Icon, c.Position,
			ms(c.CreatedAt), ms(c.UpdatedAt)).Scan(&c.ID)
		if err != nil {
			return wrap("create kb category", err)
		}
		if c.GroupID == 0 {
			c.GroupID = c.ID
			_, err = q.ExecContext(ctx, `UPDATE kb_categories SET group_id = id WHERE id = ?`, c.ID)
		}
		return wrap("create kb category", err)
	})
}

// UpdateKBCategory writes every field but ID, GroupID and CreatedAt, and
// sets UpdatedAt to now.
func (o ops) UpdateKBCategory(ctx context.Context, c *desk.KBCategory) error {
	c.UpdatedAt = nowOr(time.Time{})
	return o.write(ctx, func(q *txQuerier) error {
		if err := checkCategory(ctx, q, "update kb category", c.ParentID); err != nil {
			return err
		}
		res, err := q.ExecContext(ctx, `UPDATE kb_categories SET parent_id = ?, locale = ?, slug = ?, name = ?,
			description = ?, icon = ?, position = ?, updated_at = ? WHERE id = ?`,
			c.ParentID, c.Locale, c.Slug, c.Name, c.Description, c.Icon, c.Position, ms(c.UpdatedAt), c.ID)
		return affected("update kb category", res, err)
	})
}

// DeleteKBCategory removes a category without sections or articles.
func (o ops) DeleteKBCategory(ctx context.Context, id int64) error {
	return o.write(ctx, func(q *txQuerier) error {
		var used int
		err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM kb_categories WHERE parent_id = ?)
			OR EXISTS (SELECT 1 FROM kb_articles WHERE category_id = ?)`, id, id).Scan(&used)
		if err != nil {
			return wrap("delete kb category", err)
		}
		if used != 0 {
			return fmt.Errorf("sqlite: delete kb category %d: has sections or articles: %w", id, desk.ErrConflict)
		}
		res, err := q.ExecContext(ctx, `DELETE FROM kb_categories WHERE id = ?`, id)
		return affected("delete kb category", res, err)
	})
}

func (o ops) KBCategoryByID(ctx context.Context, id int64) (*desk.KBCategory, error) {
	var c desk.KBCategory
	if err := scanCategory(o.read.QueryRowContext(ctx, `SELECT `+categoryCols+` FROM kb_categories WHERE id = ?`, id), &c); err != nil {
		return nil, wrap("kb category by id", err)
	}
	return &c, nil
}

func (o ops) KBCategoryBySlug(ctx context.Context, locale, slug string) (*desk.KBCategory, error) {
	var c desk.KBCategory
	err := scanCategory(o.read.QueryRowContext(ctx, `SELECT `+categoryCols+` FROM kb_categories
		WHERE locale = ? AND slug = ?`, locale, slug), &c)
	if err != nil {
		return nil, wrap("kb category by slug", err)
	}
	return &c, nil
}

func (o ops) ListKBCategories(ctx context.Context, locale string) ([]desk.KBCategory, error) {
	const op = "list kb categories"
	query, args := `SELECT `+categoryCols+` FROM kb_categories ORDER BY position, name, id`, []any(nil)
	if locale != "" {
		query, args = `SELECT `+categoryCols+` FROM kb_categories WHERE locale = ? ORDER BY position, name, id`, []any{locale}
	}
	rows, err := o.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.KBCategory
	for rows.Next() {
		var c desk.KBCategory
		if err := scanCategory(rows, &c); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, c)
	}
	return out, wrap(op, rows.Err())
}

// Articles.

const articleCols = `id, group_id, locale, category_id, slug, title, description, questions, body, status, internal,
	related, contexts, position, author_id, updated_by, revision, reviewed_at, published_at, created_at, updated_at`

func scanArticle(sc interface{ Scan(...any) error }, a *desk.Article) error {
	var questions, related, contexts string
	var internal int
	var reviewed, published, created, updated int64
	if err := sc.Scan(&a.ID, &a.GroupID, &a.Locale, &a.CategoryID, &a.Slug, &a.Title, &a.Description, &questions,
		&a.Body, &a.Status, &internal, &related, &contexts, &a.Position, &a.AuthorID, &a.UpdatedBy, &a.Revision,
		&reviewed, &published, &created, &updated); err != nil {
		return err
	}
	a.Internal = internal != 0
	a.ReviewedAt, a.PublishedAt = optTime(reviewed), optTime(published)
	a.CreatedAt, a.UpdatedAt = fromMS(created), fromMS(updated)
	var err error
	if a.Questions, err = parseStrings(questions); err != nil {
		return err
	}
	if a.Contexts, err = parseStrings(contexts); err != nil {
		return err
	}
	a.Related, err = parseInts(related)
	return err
}

// optTime is fromMS for an optional time: 0 is nil.
func optTime(v int64) *time.Time {
	if v == 0 {
		return nil
	}
	t := fromMS(v)
	return &t
}

// optMS is ms for an optional time.
func optMS(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return ms(*t)
}

func intsText(ids []int64) string {
	if len(ids) == 0 {
		return "[]"
	}
	return idsJSON(ids)
}

func parseInts(s string) ([]int64, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var out []int64
	err := json.Unmarshal([]byte(s), &out)
	return out, err
}

func (o ops) CreateArticle(ctx context.Context, a *desk.Article) error {
	a.CreatedAt = nowOr(a.CreatedAt)
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = a.CreatedAt
	}
	return o.write(ctx, func(q *txQuerier) error {
		if err := checkCategory(ctx, q, "create article", a.CategoryID); err != nil {
			return err
		}
		err := q.QueryRowContext(ctx, `INSERT INTO kb_articles(group_id, locale, category_id, slug, title, description,
			questions, body, status, internal, related, contexts, position, author_id, updated_by, revision, reviewed_at,
			published_at, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
			a.GroupID, a.Locale, a.CategoryID, a.Slug, a.Title, a.Description, labelsText(a.Questions), a.Body, a.Status,
			boolInt(a.Internal), intsText(a.Related), labelsText(a.Contexts), a.Position, a.AuthorID, a.UpdatedBy,
			a.Revision, optMS(a.ReviewedAt), optMS(a.PublishedAt), ms(a.CreatedAt), ms(a.UpdatedAt)).Scan(&a.ID)
		if err != nil {
			return wrap("create article", err)
		}
		if a.GroupID == 0 {
			a.GroupID = a.ID
			_, err = q.ExecContext(ctx, `UPDATE kb_articles SET group_id = id WHERE id = ?`, a.ID)
		}
		return wrap("create article", err)
	})
}

// UpdateArticle writes every field but ID, GroupID, AuthorID and CreatedAt,
// and sets UpdatedAt to now whatever a held, so that ChangedSince sees it.
func (o ops) UpdateArticle(ctx context.Context, a *desk.Article) error {
	a.UpdatedAt = nowOr(time.Time{})
	return o.write(ctx, func(q *txQuerier) error {
		if err := checkCategory(ctx, q, "update article", a.CategoryID); err != nil {
			return err
		}
		res, err := q.ExecContext(ctx, `UPDATE kb_articles SET locale = ?, category_id = ?, slug = ?, title = ?,
			description = ?, questions = ?, body = ?, status = ?, internal = ?, related = ?, contexts = ?, position = ?,
			updated_by = ?, revision = ?, reviewed_at = ?, published_at = ?, updated_at = ? WHERE id = ?`,
			a.Locale, a.CategoryID, a.Slug, a.Title, a.Description, labelsText(a.Questions), a.Body, a.Status,
			boolInt(a.Internal), intsText(a.Related), labelsText(a.Contexts), a.Position, a.UpdatedBy, a.Revision,
			optMS(a.ReviewedAt), optMS(a.PublishedAt), ms(a.UpdatedAt), a.ID)
		return affected("update article", res, err)
	})
}

// DeleteArticle removes the article; its revisions, feedback, views and
// signals go with it by cascade.
func (o ops) DeleteArticle(ctx context.Context, id int64) error {
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `DELETE FROM kb_articles WHERE id = ?`, id)
		return affected("delete article", res, err)
	})
}

func (o ops) ArticleByID(ctx context.Context, id int64) (*desk.Article, error) {
	var a desk.Article
	if err := scanArticle(o.read.QueryRowContext(ctx, `SELECT `+articleCols+` FROM kb_articles WHERE id = ?`, id), &a); err != nil {
		return nil, wrap("article by id", err)
	}
	return &a, nil
}

func (o ops) ArticleBySlug(ctx context.Context, locale, slug string) (*desk.Article, error) {
	var a desk.Article
	err := scanArticle(o.read.QueryRowContext(ctx, `SELECT `+articleCols+` FROM kb_articles
		WHERE locale = ? AND slug = ?`, locale, slug), &a)
	if err != nil {
		return nil, wrap("article by slug", err)
	}
	return &a, nil
}

// articleWhere builds the filter of q. Each filter adds a fixed clause, so
// the statement cache holds at most one query per combination.
func articleWhere(q desk.ArticleQuery) (string, []any) {
	var conds []string
	var args []any
	if q.Locale != "" {
		conds, args = append(conds, `locale = ?`), append(args, q.Locale)
	}
	if q.CategoryID != 0 {
		conds = append(conds, `(category_id = ? OR category_id IN (SELECT id FROM kb_categories WHERE parent_id = ?))`)
		args = append(args, q.CategoryID, q.CategoryID)
	}
	if q.GroupID != 0 {
		conds, args = append(conds, `group_id = ?`), append(args, q.GroupID)
	}
	if q.Status != "" {
		conds, args = append(conds, `status = ?`), append(args, q.Status)
	}
	if q.Public {
		conds, args = append(conds, `status = ? AND internal = 0`), append(args, desk.ArticlePublished)
	}
	if q.ChangedSince != nil {
		conds, args = append(conds, `updated_at >= ?`), append(args, ms(*q.ChangedSince))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return ` WHERE ` + strings.Join(conds, ` AND `), args
}

// articleList is the query of ListArticles but for its LIMIT and OFFSET
// arguments.
func articleList(q desk.ArticleQuery) (string, []any) {
	where, args := articleWhere(q)
	return `SELECT ` + articleCols + ` FROM kb_articles` + where + ` ORDER BY position, title, id LIMIT ? OFFSET ?`, args
}

func (o ops) ListArticles(ctx context.Context, q desk.ArticleQuery) ([]desk.Article, error) {
	const op = "list articles"
	limit := q.Limit
	switch {
	case limit <= 0:
		limit = 100
	case limit > 10000:
		limit = 10000
	}
	query, args := articleList(q)
	rows, err := o.read.QueryContext(ctx, query, append(args, limit, max(q.Offset, 0))...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.Article
	for rows.Next() {
		var a desk.Article
		if err := scanArticle(rows, &a); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, a)
	}
	return out, wrap(op, rows.Err())
}

// CountArticles counts what ListArticles would list without paging.
func (o ops) CountArticles(ctx context.Context, q desk.ArticleQuery) (int, error) {
	where, args := articleWhere(q)
	return o.count(ctx, "count articles", `SELECT COUNT(*) FROM kb_articles`+where, args...)
}

// Revisions.

func (o ops) AddArticleRevision(ctx context.Context, r *desk.ArticleRevision) error {
	r.CreatedAt = nowOr(r.CreatedAt)
	return o.write(ctx, func(q *txQuerier) error {
		err := q.QueryRowContext(ctx, `INSERT INTO kb_revisions(article_id, number, agent_id, title, body, questions,
			status, note, created_at) VALUES (?,?,?,?,?,?,?,?,?) RETURNING id`,
			r.ArticleID, r.Number, r.AgentID, r.Title, r.Body, labelsText(r.Questions), r.Status, r.Note,
			ms(r.CreatedAt)).Scan(&r.ID)
		return wrap("add article revision", err)
	})
}

// ArticleRevisions lists the revisions newest first, with the name of their
// agent ("" when the agent is gone or there was none).
func (o ops) ArticleRevisions(ctx context.Context, articleID int64) ([]desk.ArticleRevision, error) {
	const op = "article revisions"
	rows, err := o.read.QueryContext(ctx, `SELECT r.id, r.article_id, r.number, r.agent_id, COALESCE(a.name, ''),
		r.title, r.body, r.questions, r.status, r.note, r.created_at
		FROM kb_revisions r LEFT JOIN agents a ON a.id = r.agent_id
		WHERE r.article_id = ? ORDER BY r.number DESC`, articleID)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.ArticleRevision
	for rows.Next() {
		var r desk.ArticleRevision
		var questions string
		var created int64
		if err := rows.Scan(&r.ID, &r.ArticleID, &r.Number, &r.AgentID, &r.AgentName, &r.Title, &r.Body, &questions,
			&r.Status, &r.Note, &created); err != nil {
			return nil, wrap(op, err)
		}
		r.CreatedAt = fromMS(created)
		if r.Questions, err = parseStrings(questions); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, r)
	}
	return out, wrap(op, rows.Err())
}

// Files.

func (o ops) CreateKBFile(ctx context.Context, f *desk.KBFile) error {
	f.CreatedAt = nowOr(f.CreatedAt)
	return o.write(ctx, func(q *txQuerier) error {
		err := q.QueryRowContext(ctx, `INSERT INTO kb_files(name, content_type, size, blob_key, agent_id, created_at)
			VALUES (?,?,?,?,?,?) RETURNING id`, f.Name, f.ContentType, f.Size, f.BlobKey, f.AgentID, ms(f.CreatedAt)).Scan(&f.ID)
		return wrap("create kb file", err)
	})
}

func (o ops) KBFileByID(ctx context.Context, id int64) (*desk.KBFile, error) {
	var f desk.KBFile
	var created int64
	err := o.read.QueryRowContext(ctx, `SELECT id, name, content_type, size, blob_key, agent_id, created_at
		FROM kb_files WHERE id = ?`, id).Scan(&f.ID, &f.Name, &f.ContentType, &f.Size, &f.BlobKey, &f.AgentID, &created)
	if err != nil {
		return nil, wrap("kb file by id", err)
	}
	f.CreatedAt = fromMS(created)
	return &f, nil
}
