package kb

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb/kbfile"
)

// Limits of what an author can write.
const (
	MaxTitle       = 200
	MaxDescription = 300
	MaxBody        = 200 << 10
	MaxQuestions   = 30
	MaxQuestion    = 200
	MaxContexts    = 20
	MaxRelated     = 10
)

// Locales the knowledge base is written in.
var Locales = []string{"nl", "en"}

var slugRe = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ValidSlug reports whether s can be a URL slug: lower-case ASCII letters
// and digits in words joined by single dashes, at most 80 bytes.
func ValidSlug(s string) bool { return len(s) <= 80 && slugRe.MatchString(s) }

// ValidLocale reports whether l is a knowledge-base locale.
func ValidLocale(l string) bool { return slices.Contains(Locales, l) }

// ArticleInput is what an author writes. An update replaces every field.
type ArticleInput struct {
	Locale      string
	Slug        string // "": made from the title
	Title       string
	Description string
	Questions   []string
	Body        string // Markdown
	CategoryID  int64
	Status      desk.ArticleStatus // "": draft
	Internal    bool
	Related     []int64 // GroupIDs
	Contexts    []string
	Position    int
	// TranslationOf links a new article as a translation of this one
	// (any article of the group).
	TranslationOf int64
	// Reviewed marks the content as checked now.
	Reviewed bool
	// ReviewedAt sets the review date explicitly (import); it wins over
	// Reviewed.
	ReviewedAt *time.Time
	// Note says what changed, for the revision history.
	Note string
	// BaseRevision, when set on an update, is the revision the author
	// started from: saving over a newer one is ErrConflict, so that one
	// author does not silently undo another's edit.
	BaseRevision int
}

func (in *ArticleInput) clean() error {
	in.Title = strings.TrimSpace(in.Title)
	in.Description = strings.TrimSpace(in.Description)
	in.Slug = strings.TrimSpace(in.Slug)
	if in.Status == "" {
		in.Status = desk.ArticleDraft
	}
	switch {
	case !ValidLocale(in.Locale):
		return fmt.Errorf("kb: locale %q: want nl or en: %w", in.Locale, desk.ErrInvalid)
	case in.Title == "":
		return fmt.Errorf("kb: an article needs a title: %w", desk.ErrInvalid)
	case utf8.RuneCountInString(in.Title) > MaxTitle:
		return fmt.Errorf("kb: title longer than %d characters: %w", MaxTitle, desk.ErrInvalid)
	case utf8.RuneCountInString(in.Description) > MaxDescription:
		return fmt.Errorf("kb: description longer than %d characters: %w", MaxDescription, desk.ErrInvalid)
	case len(in.Body) > MaxBody:
		return fmt.Errorf("kb: body larger than %d KiB: %w", MaxBody>>10, desk.ErrInvalid)
	case !utf8.ValidString(in.Title + in.Description + in.Body):
		return fmt.Errorf("kb: text is not valid UTF-8: %w", desk.ErrInvalid)
	case !in.Status.Valid():
		return fmt.Errorf("kb: status %q: %w", in.Status, desk.ErrInvalid)
	}
	if in.Slug == "" {
		in.Slug = kbfile.Slugify(in.Title)
	}
	if !ValidSlug(in.Slug) {
		return fmt.Errorf("kb: slug %q: use lower-case letters, digits and dashes: %w", in.Slug, desk.ErrInvalid)
	}
	var err error
	if in.Questions, err = cleanList(in.Questions, MaxQuestions, MaxQuestion, "question"); err != nil {
		return err
	}
	if in.Contexts, err = cleanList(in.Contexts, MaxContexts, 200, "context"); err != nil {
		return err
	}
	for i, c := range in.Contexts {
		in.Contexts[i] = NormContext(c)
	}
	if len(in.Related) > MaxRelated {
		return fmt.Errorf("kb: more than %d related articles: %w", MaxRelated, desk.ErrInvalid)
	}
	return nil
}

// cleanList trims items, drops empty ones and duplicates, and checks limits.
func cleanList(items []string, maxN, maxLen int, what string) ([]string, error) {
	var out []string
	for _, it := range items {
		it = strings.TrimSpace(it)
		if it == "" || slices.Contains(out, it) {
			continue
		}
		if utf8.RuneCountInString(it) > maxLen || !utf8.ValidString(it) {
			return nil, fmt.Errorf("kb: %s %.40q… is too long: %w", what, it, desk.ErrInvalid)
		}
		out = append(out, it)
	}
	if len(out) > maxN {
		return nil, fmt.Errorf("kb: more than %d %ss: %w", maxN, what, desk.ErrInvalid)
	}
	return out, nil
}

// CreateArticle writes a new article and its first revision. by is the
// author; nil for an import.
func (s *Service) CreateArticle(ctx context.Context, by *desk.Agent, in ArticleInput) (*desk.Article, error) {
	if err := in.clean(); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	a := &desk.Article{CreatedAt: now}
	if by != nil {
		a.AuthorID = by.ID
	}
	if in.TranslationOf != 0 {
		orig, err := s.st.ArticleByID(ctx, in.TranslationOf)
		if err != nil {
			return nil, fmt.Errorf("kb: translation of %d: %w", in.TranslationOf, err)
		}
		a.GroupID = orig.GroupID
		sibs, err := s.st.ListArticles(ctx, desk.ArticleQuery{GroupID: orig.GroupID})
		if err != nil {
			return nil, fmt.Errorf("kb: translations: %w", err)
		}
		for _, t := range sibs {
			if t.Locale == in.Locale {
				return nil, fmt.Errorf("kb: %q already has a %s translation (%s): %w", orig.Title, in.Locale, t.Slug, desk.ErrConflict)
			}
		}
	}
	if err := s.apply(ctx, a, in, now); err != nil {
		return nil, err
	}
	if in.Note == "" {
		in.Note = "created"
	}
	a.Revision, a.UpdatedBy = 1, a.AuthorID
	err := s.inTx(ctx, func(st desk.KBStore) error {
		if err := st.CreateArticle(ctx, a); err != nil {
			return err
		}
		return st.AddArticleRevision(ctx, revisionOf(a, by, in.Note, now))
	})
	if err != nil {
		return nil, fmt.Errorf("kb: create article: %w", err)
	}
	s.changed(ctx, a.ID)
	return a, nil
}

// UpdateArticle replaces an article's content and adds a revision.
func (s *Service) UpdateArticle(ctx context.Context, by *desk.Agent, id int64, in ArticleInput) (*desk.Article, error) {
	if err := in.clean(); err != nil {
		return nil, err
	}
	a, err := s.st.ArticleByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("kb: update article: %w", err)
	}
	if in.Locale != a.Locale {
		return nil, fmt.Errorf("kb: an article's locale cannot change; add a translation instead: %w", desk.ErrInvalid)
	}
	if in.BaseRevision != 0 && in.BaseRevision != a.Revision {
		return nil, fmt.Errorf("kb: %q was changed (revision %d) after you opened revision %d: %w",
			a.Title, a.Revision, in.BaseRevision, desk.ErrConflict)
	}
	old := *a
	now := s.clock.Now()
	if err := s.apply(ctx, a, in, now); err != nil {
		return nil, err
	}
	if in.Note == "" {
		in.Note = describeChange(&old, a)
	}
	// The revision number doubles as an optimistic lock: of two authors
	// saving the same version, the second gets ErrConflict.
	a.Revision++
	a.UpdatedBy = 0
	if by != nil {
		a.UpdatedBy = by.ID
	}
	err = s.inTx(ctx, func(st desk.KBStore) error {
		if err := st.UpdateArticle(ctx, a); err != nil {
			return err
		}
		return st.AddArticleRevision(ctx, revisionOf(a, by, in.Note, now))
	})
	if err != nil {
		return nil, fmt.Errorf("kb: update article: %w", err)
	}
	s.changed(ctx, a.ID)
	return a, nil
}

// apply copies the input onto a, checking references.
func (s *Service) apply(ctx context.Context, a *desk.Article, in ArticleInput, now time.Time) error {
	if in.CategoryID != 0 {
		c, err := s.st.KBCategoryByID(ctx, in.CategoryID)
		if errors.Is(err, desk.ErrNotFound) {
			return fmt.Errorf("kb: category %d does not exist: %w", in.CategoryID, desk.ErrInvalid)
		}
		if err != nil {
			return fmt.Errorf("kb: category: %w", err)
		}
		if c.Locale != in.Locale {
			return fmt.Errorf("kb: category %q is for %s, the article is %s: %w", c.Name, c.Locale, in.Locale, desk.ErrInvalid)
		}
	}
	related := make([]int64, 0, len(in.Related))
	for _, g := range in.Related {
		if g == a.GroupID && g != 0 || slices.Contains(related, g) {
			continue
		}
		related = append(related, g)
	}
	a.Locale, a.Slug, a.Title, a.Description = in.Locale, in.Slug, in.Title, in.Description
	a.Questions, a.Body, a.CategoryID, a.Status = in.Questions, in.Body, in.CategoryID, in.Status
	a.Internal, a.Related, a.Contexts, a.Position = in.Internal, nilIfEmpty(related), in.Contexts, in.Position
	a.UpdatedAt = now
	switch {
	case in.ReviewedAt != nil:
		t := in.ReviewedAt.UTC()
		a.ReviewedAt = &t
	case in.Reviewed:
		a.ReviewedAt = &now
	}
	if a.Status == desk.ArticlePublished && a.PublishedAt == nil {
		a.PublishedAt = &now
	}
	return nil
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func revisionOf(a *desk.Article, by *desk.Agent, note string, now time.Time) *desk.ArticleRevision {
	r := &desk.ArticleRevision{ArticleID: a.ID, Number: a.Revision, Title: a.Title, Body: a.Body,
		Questions: a.Questions, Status: a.Status, Note: note, CreatedAt: now}
	if by != nil {
		r.AgentID = by.ID
	}
	return r
}

// describeChange says in a few words what an edit changed, for the
// revision history when the author wrote no note.
func describeChange(old, cur *desk.Article) string {
	var parts []string
	if old.Title != cur.Title {
		parts = append(parts, "title")
	}
	if old.Body != cur.Body {
		parts = append(parts, "body")
	}
	if old.Description != cur.Description {
		parts = append(parts, "description")
	}
	if !slices.Equal(old.Questions, cur.Questions) {
		parts = append(parts, "questions")
	}
	if old.CategoryID != cur.CategoryID {
		parts = append(parts, "category")
	}
	if old.Slug != cur.Slug {
		parts = append(parts, "slug")
	}
	if old.Internal != cur.Internal {
		parts = append(parts, "visibility")
	}
	if !slices.Equal(old.Related, cur.Related) {
		parts = append(parts, "related")
	}
	if !slices.Equal(old.Contexts, cur.Contexts) {
		parts = append(parts, "contexts")
	}
	if !timeEqual(old.ReviewedAt, cur.ReviewedAt) {
		parts = append(parts, "reviewed")
	}
	note := "edited " + strings.Join(parts, ", ")
	if len(parts) == 0 {
		note = "saved without changes"
	}
	if old.Status != cur.Status {
		note = string(cur.Status)
		if len(parts) > 0 {
			note += "; edited " + strings.Join(parts, ", ")
		}
	}
	return note
}

func timeEqual(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// inputOf is the input that reproduces a.
func inputOf(a *desk.Article) ArticleInput {
	return ArticleInput{Locale: a.Locale, Slug: a.Slug, Title: a.Title, Description: a.Description,
		Questions: a.Questions, Body: a.Body, CategoryID: a.CategoryID, Status: a.Status, Internal: a.Internal,
		Related: a.Related, Contexts: a.Contexts, Position: a.Position, ReviewedAt: a.ReviewedAt}
}

// SetStatus publishes, archives or returns an article to draft.
func (s *Service) SetStatus(ctx context.Context, by *desk.Agent, id int64, status desk.ArticleStatus) (*desk.Article, error) {
	a, err := s.st.ArticleByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("kb: set status: %w", err)
	}
	in := inputOf(a)
	in.Status = status
	return s.UpdateArticle(ctx, by, id, in)
}

// MarkReviewed records that an author checked the article is still right.
func (s *Service) MarkReviewed(ctx context.Context, by *desk.Agent, id int64) (*desk.Article, error) {
	a, err := s.st.ArticleByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("kb: mark reviewed: %w", err)
	}
	in := inputOf(a)
	in.ReviewedAt, in.Reviewed, in.Note = nil, true, "reviewed"
	return s.UpdateArticle(ctx, by, id, in)
}

// RestoreRevision makes an earlier revision's title, body and questions
// current again, as a new revision.
func (s *Service) RestoreRevision(ctx context.Context, by *desk.Agent, id int64, number int) (*desk.Article, error) {
	a, err := s.st.ArticleByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("kb: restore revision: %w", err)
	}
	revs, err := s.st.ArticleRevisions(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("kb: restore revision: %w", err)
	}
	for _, r := range revs {
		if r.Number == number {
			in := inputOf(a)
			in.Title, in.Body, in.Questions = r.Title, r.Body, r.Questions
			in.Note = fmt.Sprintf("restored revision %d", number)
			return s.UpdateArticle(ctx, by, id, in)
		}
	}
	return nil, fmt.Errorf("kb: article %d has no revision %d: %w", id, number, desk.ErrNotFound)
}

// DeleteArticle removes an article for good; archiving keeps it.
func (s *Service) DeleteArticle(ctx context.Context, id int64) error {
	if err := s.st.DeleteArticle(ctx, id); err != nil {
		return fmt.Errorf("kb: delete article: %w", err)
	}
	s.changed(ctx, id)
	return nil
}

// Article returns an article by id.
func (s *Service) Article(ctx context.Context, id int64) (*desk.Article, error) {
	return s.st.ArticleByID(ctx, id)
}

// PublicArticle returns a published, public article by slug: what the help
// center may show. Anything else is ErrNotFound.
func (s *Service) PublicArticle(ctx context.Context, locale, slug string) (*desk.Article, error) {
	a, err := s.st.ArticleBySlug(ctx, locale, slug)
	if err != nil {
		return nil, err
	}
	if a.Status != desk.ArticlePublished || a.Internal {
		return nil, fmt.Errorf("kb: article %s/%s is not public: %w", locale, slug, desk.ErrNotFound)
	}
	return a, nil
}

// Articles lists articles.
func (s *Service) Articles(ctx context.Context, q desk.ArticleQuery) ([]desk.Article, error) {
	return s.st.ListArticles(ctx, q)
}

// CountArticles counts articles.
func (s *Service) CountArticles(ctx context.Context, q desk.ArticleQuery) (int, error) {
	return s.st.CountArticles(ctx, q)
}

// Translations returns the other locales' versions of an article; public
// limits them to what the help center shows.
func (s *Service) Translations(ctx context.Context, a *desk.Article, public bool) ([]desk.Article, error) {
	all, err := s.st.ListArticles(ctx, desk.ArticleQuery{GroupID: a.GroupID, Public: public})
	if err != nil {
		return nil, fmt.Errorf("kb: translations: %w", err)
	}
	out := all[:0]
	for _, t := range all {
		if t.ID != a.ID {
			out = append(out, t)
		}
	}
	return out, nil
}

// Related returns the related articles in a's locale, in the author's order;
// public keeps only what the help center shows.
func (s *Service) Related(ctx context.Context, a *desk.Article, public bool) ([]desk.Article, error) {
	var out []desk.Article
	for _, g := range a.Related {
		all, err := s.st.ListArticles(ctx, desk.ArticleQuery{GroupID: g, Locale: a.Locale, Public: public})
		if err != nil {
			return nil, fmt.Errorf("kb: related: %w", err)
		}
		out = append(out, all...)
	}
	return out, nil
}

// FilePath is where an uploaded knowledge-base file is served.
func FilePath(id int64) string { return "/kbfiles/" + strconv.FormatInt(id, 10) }

// AddFile records an image (already in the blob store) for use in
// articles; Markdown refers to it as file:<id>.
func (s *Service) AddFile(ctx context.Context, by *desk.Agent, f *desk.KBFile) error {
	if !strings.HasPrefix(f.ContentType, "image/") {
		return fmt.Errorf("kb: %q is not an image: %w", f.Name, desk.ErrInvalid)
	}
	if by != nil {
		f.AgentID = by.ID
	}
	f.CreatedAt = s.clock.Now()
	if err := s.st.CreateKBFile(ctx, f); err != nil {
		return fmt.Errorf("kb: add file: %w", err)
	}
	return nil
}

// File returns an uploaded file's record.
func (s *Service) File(ctx context.Context, id int64) (*desk.KBFile, error) {
	return s.st.KBFileByID(ctx, id)
}

// ArticleFeedback lists what customers said about an article, newest first.
func (s *Service) ArticleFeedback(ctx context.Context, id int64, limit int) ([]desk.ArticleFeedback, error) {
	return s.st.ListArticleFeedback(ctx, id, limit)
}

// Helpfulness returns every article's helpful and unhelpful votes of all
// time, as the index weighs them.
func (s *Service) Helpfulness() map[int64][2]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[int64][2]int, len(s.helpful))
	for id, v := range s.helpful {
		out[id] = v
	}
	return out
}

// Revisions lists an article's history, newest first.
func (s *Service) Revisions(ctx context.Context, id int64) ([]desk.ArticleRevision, error) {
	return s.st.ArticleRevisions(ctx, id)
}

// inTx runs fn in one transaction when the store supports it.
func (s *Service) inTx(ctx context.Context, fn func(st desk.KBStore) error) error {
	tx, ok := s.st.(desk.Transactor)
	if !ok {
		return fn(s.st)
	}
	return tx.InTx(ctx, func(st desk.Store) error {
		kst, ok := st.(desk.KBStore)
		if !ok {
			return fmt.Errorf("kb: the store has no knowledge base: %w", desk.ErrInvalid)
		}
		return fn(kst)
	})
}
