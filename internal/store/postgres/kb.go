package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
)

var _ desk.KBStore = (*Store)(nil)

// The knowledge base: categories, articles, revisions and files. What
// customers do with it (searches, views, feedback, signals, pins) is in
// kb_activity.go.

// strs keeps a nil slice from being stored as NULL.
func strs(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ids keeps a nil slice from being stored as NULL.
func ids(s []int64) []int64 {
	if s == nil {
		return []int64{}
	}
	return s
}

// tsPtr is t normalised, as a new pointer so that the caller's time is not
// changed under another holder of it.
func tsPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := ts(*t)
	return &v
}

// args collects query arguments and hands out their placeholders.
type args []any

// add appends v and returns its placeholder ($n).
func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// --- categories ---

const kbCategoryColumns = `id, group_id, COALESCE(parent_id, 0), locale, slug, name, description, icon,
	position, created_at, updated_at`

func scanKBCategory(row pgx.Row) (desk.KBCategory, error) {
	var c desk.KBCategory
	err := row.Scan(&c.ID, &c.GroupID, &c.ParentID, &c.Locale, &c.Slug, &c.Name, &c.Description, &c.Icon,
		&c.Position, &c.CreatedAt, &c.UpdatedAt)
	return c, err
}

// CreateKBCategory stores a category or section and sets ID, GroupID (its
// own ID when 0) and the times. A slug in use in the locale is ErrConflict;
// an unknown ParentID ErrInvalid.
func (s *Store) CreateKBCategory(ctx context.Context, c *desk.KBCategory) error {
	c.CreatedAt = orNow(c.CreatedAt)
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	c.UpdatedAt = ts(c.UpdatedAt)
	err := s.guarded(ctx, func(s *Store) error {
		// The id is drawn first so that a new group can take it as its
		// GroupID in the same statement.
		return s.q.QueryRow(ctx, `WITH n AS (SELECT nextval(pg_get_serial_sequence('kb_categories', 'id')) AS id)
			INSERT INTO kb_categories (id, group_id, parent_id, locale, slug, name, description, icon,
				position, created_at, updated_at)
			SELECT n.id, COALESCE(NULLIF($1::bigint, 0), n.id), $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM n
			RETURNING id, group_id`,
			c.GroupID, nullID(c.ParentID), c.Locale, c.Slug, c.Name, c.Description, c.Icon,
			c.Position, c.CreatedAt, c.UpdatedAt).Scan(&c.ID, &c.GroupID)
	})
	return wrap("create kb category", err)
}

// UpdateKBCategory writes parent, locale, slug, name, description, icon and
// position, and sets UpdatedAt.
func (s *Store) UpdateKBCategory(ctx context.Context, c *desk.KBCategory) error {
	c.UpdatedAt = now()
	err := s.guarded(ctx, func(s *Store) error {
		return affected(s.q.Exec(ctx, `UPDATE kb_categories SET parent_id = $2, locale = $3, slug = $4,
			name = $5, description = $6, icon = $7, position = $8, updated_at = $9 WHERE id = $1`,
			c.ID, nullID(c.ParentID), c.Locale, c.Slug, c.Name, c.Description, c.Icon, c.Position, c.UpdatedAt))
	})
	return wrap("update kb category", err)
}

// DeleteKBCategory removes a category without sections or articles; one
// with either is ErrConflict.
func (s *Store) DeleteKBCategory(ctx context.Context, id int64) error {
	var deleted, exists bool
	err := s.guarded(ctx, func(s *Store) error {
		// One statement: the delete, and whether the category is there
		// at all (the snapshot before the delete) to tell a missing one
		// from one in use.
		return s.q.QueryRow(ctx, `WITH d AS (
				DELETE FROM kb_categories c WHERE c.id = $1
				AND NOT EXISTS (SELECT 1 FROM kb_categories s WHERE s.parent_id = c.id)
				AND NOT EXISTS (SELECT 1 FROM kb_articles a WHERE a.category_id = c.id)
				RETURNING 1)
			SELECT EXISTS (SELECT 1 FROM d), EXISTS (SELECT 1 FROM kb_categories WHERE id = $1)`,
			id).Scan(&deleted, &exists)
	})
	switch {
	case isForeignKey(err):
		// A section or article was added under it meanwhile.
		return wrap("delete kb category", fmt.Errorf("%w: category %d is in use", desk.ErrConflict, id))
	case err != nil:
		return wrap("delete kb category", err)
	case deleted:
		return nil
	case exists:
		return wrap("delete kb category", fmt.Errorf("%w: category %d has sections or articles", desk.ErrConflict, id))
	default:
		return wrap("delete kb category", desk.ErrNotFound)
	}
}

// isForeignKey reports whether err is a foreign-key violation.
func isForeignKey(err error) bool {
	return errors.Is(translate(err), errMissingRef)
}

// KBCategoryByID returns one category or section.
func (s *Store) KBCategoryByID(ctx context.Context, id int64) (*desk.KBCategory, error) {
	c, err := scanKBCategory(s.q.QueryRow(ctx, `SELECT `+kbCategoryColumns+` FROM kb_categories WHERE id = $1`, id))
	if err != nil {
		return nil, wrap("kb category by id", err)
	}
	return &c, nil
}

// KBCategoryBySlug finds a category by locale and slug.
func (s *Store) KBCategoryBySlug(ctx context.Context, locale, slug string) (*desk.KBCategory, error) {
	c, err := scanKBCategory(s.q.QueryRow(ctx, `SELECT `+kbCategoryColumns+` FROM kb_categories
		WHERE locale = $1 AND slug = $2`, locale, slug))
	if err != nil {
		return nil, wrap("kb category by slug", err)
	}
	return &c, nil
}

// ListKBCategories lists a locale's ("" every locale's) categories and
// sections by position then name.
func (s *Store) ListKBCategories(ctx context.Context, locale string) ([]desk.KBCategory, error) {
	const op = "list kb categories"
	var a args
	sql := `SELECT ` + kbCategoryColumns + ` FROM kb_categories`
	if locale != "" {
		sql += ` WHERE locale = ` + a.add(locale)
	}
	sql += ` ORDER BY position, name COLLATE "C", id`
	rows, err := s.q.Query(ctx, sql, a...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.KBCategory
	for rows.Next() {
		c, err := scanKBCategory(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, c)
	}
	return out, wrap(op, rows.Err())
}

// --- articles ---

const articleColumns = `id, group_id, locale, COALESCE(category_id, 0), slug, title, description,
	questions, body, status, internal, related, contexts, position, author_id, updated_by, revision,
	reviewed_at, published_at, created_at, updated_at`

func scanArticle(row pgx.Row) (desk.Article, error) {
	var a desk.Article
	err := row.Scan(&a.ID, &a.GroupID, &a.Locale, &a.CategoryID, &a.Slug, &a.Title, &a.Description,
		&a.Questions, &a.Body, &a.Status, &a.Internal, &a.Related, &a.Contexts, &a.Position, &a.AuthorID,
		&a.UpdatedBy, &a.Revision, &a.ReviewedAt, &a.PublishedAt, &a.CreatedAt, &a.UpdatedAt)
	if len(a.Questions) == 0 {
		a.Questions = nil
	}
	if len(a.Related) == 0 {
		a.Related = nil
	}
	if len(a.Contexts) == 0 {
		a.Contexts = nil
	}
	return a, err
}

// CreateArticle stores an article and sets ID, GroupID (its own ID when 0),
// CreatedAt and UpdatedAt. A slug in use in the locale is ErrConflict; an
// unknown CategoryID ErrInvalid.
func (s *Store) CreateArticle(ctx context.Context, a *desk.Article) error {
	a.CreatedAt = orNow(a.CreatedAt)
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = a.CreatedAt
	}
	a.UpdatedAt = ts(a.UpdatedAt)
	a.ReviewedAt, a.PublishedAt = tsPtr(a.ReviewedAt), tsPtr(a.PublishedAt)
	err := s.guarded(ctx, func(s *Store) error {
		return s.q.QueryRow(ctx, `WITH n AS (SELECT nextval(pg_get_serial_sequence('kb_articles', 'id')) AS id)
			INSERT INTO kb_articles (id, group_id, locale, category_id, slug, title, description, questions,
				body, status, internal, related, contexts, position, author_id, updated_by, revision,
				reviewed_at, published_at, created_at, updated_at)
			SELECT n.id, COALESCE(NULLIF($1::bigint, 0), n.id), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
				$12, $13, $14, $15, $16, $17, $18, $19, $20 FROM n
			RETURNING id, group_id`,
			a.GroupID, a.Locale, nullID(a.CategoryID), a.Slug, a.Title, a.Description, strs(a.Questions),
			a.Body, a.Status, a.Internal, ids(a.Related), strs(a.Contexts), a.Position, a.AuthorID,
			a.UpdatedBy, a.Revision, a.ReviewedAt, a.PublishedAt, a.CreatedAt, a.UpdatedAt,
		).Scan(&a.ID, &a.GroupID)
	})
	return wrap("create article", err)
}

// UpdateArticle writes every field but ID, GroupID, AuthorID and
// CreatedAt, and sets UpdatedAt.
func (s *Store) UpdateArticle(ctx context.Context, a *desk.Article) error {
	a.UpdatedAt = now()
	a.ReviewedAt, a.PublishedAt = tsPtr(a.ReviewedAt), tsPtr(a.PublishedAt)
	err := s.guarded(ctx, func(s *Store) error {
		return affected(s.q.Exec(ctx, `UPDATE kb_articles SET locale = $2, category_id = $3, slug = $4,
			title = $5, description = $6, questions = $7, body = $8, status = $9, internal = $10,
			related = $11, contexts = $12, position = $13, updated_by = $14, revision = $15,
			reviewed_at = $16, published_at = $17, updated_at = $18 WHERE id = $1`,
			a.ID, a.Locale, nullID(a.CategoryID), a.Slug, a.Title, a.Description, strs(a.Questions),
			a.Body, a.Status, a.Internal, ids(a.Related), strs(a.Contexts), a.Position, a.UpdatedBy,
			a.Revision, a.ReviewedAt, a.PublishedAt, a.UpdatedAt))
	})
	return wrap("update article", err)
}

// DeleteArticle removes an article; its revisions, feedback, views and
// signals go with it (ON DELETE CASCADE). Searches that found it stay.
func (s *Store) DeleteArticle(ctx context.Context, id int64) error {
	return wrap("delete article", affected(s.q.Exec(ctx, `DELETE FROM kb_articles WHERE id = $1`, id)))
}

// ArticleByID returns one article.
func (s *Store) ArticleByID(ctx context.Context, id int64) (*desk.Article, error) {
	a, err := scanArticle(s.q.QueryRow(ctx, `SELECT `+articleColumns+` FROM kb_articles WHERE id = $1`, id))
	if err != nil {
		return nil, wrap("article by id", err)
	}
	return &a, nil
}

// ArticleBySlug finds an article by locale and slug, whatever its status.
func (s *Store) ArticleBySlug(ctx context.Context, locale, slug string) (*desk.Article, error) {
	a, err := scanArticle(s.q.QueryRow(ctx, `SELECT `+articleColumns+` FROM kb_articles
		WHERE locale = $1 AND slug = $2`, locale, slug))
	if err != nil {
		return nil, wrap("article by slug", err)
	}
	return &a, nil
}

// articleWhere turns the filters of q into a WHERE clause (or "") over
// kb_articles, adding its arguments to a.
func articleWhere(q desk.ArticleQuery, a *args) string {
	var conds []string
	if q.Locale != "" {
		conds = append(conds, `locale = `+a.add(q.Locale))
	}
	if q.CategoryID != 0 {
		p := a.add(q.CategoryID)
		conds = append(conds, `(category_id = `+p+` OR category_id IN
			(SELECT id FROM kb_categories WHERE parent_id = `+p+`))`)
	}
	if q.GroupID != 0 {
		conds = append(conds, `group_id = `+a.add(q.GroupID))
	}
	if q.Status != "" {
		conds = append(conds, `status = `+a.add(q.Status))
	}
	if q.Public {
		conds = append(conds, `status = `+a.add(desk.ArticlePublished)+` AND NOT internal`)
	}
	if q.ChangedSince != nil {
		conds = append(conds, `updated_at >= `+a.add(ts(*q.ChangedSince)))
	}
	if len(conds) == 0 {
		return ""
	}
	return ` WHERE ` + strings.Join(conds, ` AND `)
}

// ListArticles lists the articles q selects by position then title.
func (s *Store) ListArticles(ctx context.Context, q desk.ArticleQuery) ([]desk.Article, error) {
	const op = "list articles"
	limit := q.Limit
	switch {
	case limit <= 0:
		limit = 100
	case limit > 10000:
		limit = 10000
	}
	var a args
	sql := `SELECT ` + articleColumns + ` FROM kb_articles` + articleWhere(q, &a) +
		` ORDER BY position, title COLLATE "C", id LIMIT ` + a.add(limit) + ` OFFSET ` + a.add(max(q.Offset, 0))
	rows, err := s.q.Query(ctx, sql, a...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.Article
	for rows.Next() {
		ar, err := scanArticle(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, ar)
	}
	return out, wrap(op, rows.Err())
}

// CountArticles counts the articles q selects, ignoring its Limit and
// Offset.
func (s *Store) CountArticles(ctx context.Context, q desk.ArticleQuery) (int, error) {
	var a args
	var n int
	err := s.q.QueryRow(ctx, `SELECT count(*) FROM kb_articles`+articleWhere(q, &a), a...).Scan(&n)
	return n, wrap("count articles", err)
}

// AddArticleRevision stores r and sets ID and CreatedAt; a Number the
// article already has is ErrConflict, a missing article ErrNotFound.
func (s *Store) AddArticleRevision(ctx context.Context, r *desk.ArticleRevision) error {
	r.CreatedAt = orNow(r.CreatedAt)
	err := s.guarded(ctx, func(s *Store) error {
		return s.q.QueryRow(ctx, `INSERT INTO kb_article_revisions (article_id, number, agent_id, title, body,
			questions, status, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			r.ArticleID, r.Number, r.AgentID, r.Title, r.Body, strs(r.Questions), r.Status, r.Note, r.CreatedAt,
		).Scan(&r.ID)
	})
	return wrap("add article revision", err)
}

// ArticleRevisions lists an article's revisions, newest first, with the
// name of the agent who made each ("" for an unknown agent).
func (s *Store) ArticleRevisions(ctx context.Context, articleID int64) ([]desk.ArticleRevision, error) {
	const op = "article revisions"
	rows, err := s.q.Query(ctx, `SELECT r.id, r.article_id, r.number, r.agent_id, COALESCE(g.name, ''),
			r.title, r.body, r.questions, r.status, r.note, r.created_at
		FROM kb_article_revisions r LEFT JOIN agents g ON g.id = r.agent_id
		WHERE r.article_id = $1 ORDER BY r.number DESC`, articleID)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.ArticleRevision
	for rows.Next() {
		var r desk.ArticleRevision
		if err := rows.Scan(&r.ID, &r.ArticleID, &r.Number, &r.AgentID, &r.AgentName, &r.Title, &r.Body,
			&r.Questions, &r.Status, &r.Note, &r.CreatedAt); err != nil {
			return nil, wrap(op, err)
		}
		if len(r.Questions) == 0 {
			r.Questions = nil
		}
		out = append(out, r)
	}
	return out, wrap(op, rows.Err())
}

// --- files ---

// CreateKBFile stores a file's record and sets ID and CreatedAt.
func (s *Store) CreateKBFile(ctx context.Context, f *desk.KBFile) error {
	f.CreatedAt = orNow(f.CreatedAt)
	err := s.q.QueryRow(ctx, `INSERT INTO kb_files (name, content_type, size, blob_key, agent_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		f.Name, f.ContentType, f.Size, f.BlobKey, f.AgentID, f.CreatedAt).Scan(&f.ID)
	return wrap("create kb file", err)
}

// KBFileByID returns one file's record.
func (s *Store) KBFileByID(ctx context.Context, id int64) (*desk.KBFile, error) {
	var f desk.KBFile
	err := s.q.QueryRow(ctx, `SELECT id, name, content_type, size, blob_key, agent_id, created_at
		FROM kb_files WHERE id = $1`, id).
		Scan(&f.ID, &f.Name, &f.ContentType, &f.Size, &f.BlobKey, &f.AgentID, &f.CreatedAt)
	if err != nil {
		return nil, wrap("kb file by id", err)
	}
	return &f, nil
}
