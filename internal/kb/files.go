package kb

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb/kbfile"
)

// ImportReport says what an import did.
type ImportReport struct {
	Created, Updated, Unchanged int
	Categories                  int // created
	Errors                      []error
}

// Import writes articles read from Markdown files: an article with the
// same locale and slug is updated (a new revision) when it differs, else
// created; a missing category (by slug, "category/section" for a section)
// is created with a name made from its slug; files with the same
// translation key become translations of each other; related slugs are
// resolved after every file is in. A file that fails is reported and the
// rest go on. progress, when set, is told after each file.
func (s *Service) Import(ctx context.Context, by *desk.Agent, files []kbfile.File, progress func(done, total int)) ImportReport {
	var rep ImportReport
	groups := map[string]int64{} // translation key → an article of the group
	type pending struct {
		id      int64
		locale  string
		related []string
	}
	var rel []pending
	for i, f := range files {
		id, outcome, err := s.importOne(ctx, by, f, groups, &rep)
		switch {
		case err != nil:
			rep.Errors = append(rep.Errors, fmt.Errorf("%s/%s: %w", f.Locale, f.Slug, err))
		case outcome == "created":
			rep.Created++
		case outcome == "updated":
			rep.Updated++
		default:
			rep.Unchanged++
		}
		if err == nil && len(f.Related) > 0 {
			rel = append(rel, pending{id: id, locale: f.Locale, related: f.Related})
		}
		if progress != nil {
			progress(i+1, len(files))
		}
	}
	for _, p := range rel {
		if err := s.linkRelated(ctx, by, p.id, p.locale, p.related); err != nil {
			rep.Errors = append(rep.Errors, err)
		}
	}
	return rep
}

func (s *Service) importOne(ctx context.Context, by *desk.Agent, f kbfile.File, groups map[string]int64, rep *ImportReport) (int64, string, error) {
	in := ArticleInput{Locale: f.Locale, Slug: f.Slug, Title: f.Title, Description: f.Description,
		Questions: f.Questions, Body: f.Body, Status: desk.ArticleStatus(f.Status), Internal: f.Internal,
		Contexts: f.Contexts, Position: f.Position, ReviewedAt: f.Reviewed, Note: "imported"}
	if f.Category != "" {
		c, err := s.ensureCategory(ctx, f.Locale, f.Category, rep)
		if err != nil {
			return 0, "", err
		}
		in.CategoryID = c
	}
	existing, err := s.st.ArticleBySlug(ctx, f.Locale, in.Slug)
	switch {
	case errors.Is(err, desk.ErrNotFound):
		if f.Translation != "" {
			in.TranslationOf = groups[f.Translation]
		}
		a, err := s.CreateArticle(ctx, by, in)
		if err != nil {
			return 0, "", err
		}
		if f.Translation != "" && groups[f.Translation] == 0 {
			groups[f.Translation] = a.ID
		}
		return a.ID, "created", nil
	case err != nil:
		return 0, "", err
	}
	if f.Translation != "" && groups[f.Translation] == 0 {
		groups[f.Translation] = existing.ID
	}
	in.Related = existing.Related // resolved after all files
	cur := inputOf(existing)
	if sameContent(cur, in) {
		return existing.ID, "unchanged", nil
	}
	a, err := s.UpdateArticle(ctx, by, existing.ID, in)
	if err != nil {
		return 0, "", err
	}
	return a.ID, "updated", nil
}

// sameContent reports whether an update would change nothing.
func sameContent(a, b ArticleInput) bool {
	return a.Title == b.Title && a.Slug == b.Slug && a.Description == b.Description && a.Body == b.Body &&
		a.CategoryID == b.CategoryID && a.Status == b.Status && a.Internal == b.Internal && a.Position == b.Position &&
		strings.Join(a.Questions, "\n") == strings.Join(b.Questions, "\n") &&
		strings.Join(a.Contexts, "\n") == strings.Join(b.Contexts, "\n") &&
		(b.ReviewedAt == nil || timeEqual(a.ReviewedAt, b.ReviewedAt))
}

// ensureCategory finds or creates "category" or "category/section".
func (s *Service) ensureCategory(ctx context.Context, locale, path string, rep *ImportReport) (int64, error) {
	var parent int64
	for part := range strings.SplitSeq(path, "/") {
		c, err := s.st.KBCategoryBySlug(ctx, locale, part)
		if errors.Is(err, desk.ErrNotFound) {
			name := strings.ReplaceAll(part, "-", " ")
			c, err = s.CreateCategory(ctx, CategoryInput{Locale: locale, Slug: part, Name: capitalise(name), ParentID: parent})
			if err == nil {
				rep.Categories++
			}
		}
		if err != nil {
			return 0, fmt.Errorf("category %q: %w", path, err)
		}
		parent = c.ID
	}
	return parent, nil
}

// linkRelated sets an article's related articles from slugs.
func (s *Service) linkRelated(ctx context.Context, by *desk.Agent, id int64, locale string, slugs []string) error {
	a, err := s.st.ArticleByID(ctx, id)
	if err != nil {
		return err
	}
	var groups []int64
	for _, slug := range slugs {
		r, err := s.st.ArticleBySlug(ctx, locale, slug)
		if err != nil {
			return fmt.Errorf("%s/%s: related %q: %w", locale, a.Slug, slug, err)
		}
		groups = append(groups, r.GroupID)
	}
	if fmt.Sprint(groups) == fmt.Sprint(a.Related) {
		return nil
	}
	in := inputOf(a)
	in.Related, in.Note = groups, "imported related articles"
	_, err = s.UpdateArticle(ctx, by, id, in)
	return err
}

// Export returns every article as a file: translations share the slug of
// their group's first article as translation key; related articles are
// written as slugs of the same locale.
func (s *Service) Export(ctx context.Context) ([]kbfile.File, error) {
	cats, err := s.st.ListKBCategories(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("kb: export: %w", err)
	}
	byID := map[int64]desk.KBCategory{}
	for _, c := range cats {
		byID[c.ID] = c
	}
	catPath := func(id int64) string {
		c, ok := byID[id]
		if !ok {
			return ""
		}
		if p, ok := byID[c.ParentID]; ok {
			return p.Slug + "/" + c.Slug
		}
		return c.Slug
	}
	var all []desk.Article
	for offset := 0; ; offset += 1000 {
		page, err := s.st.ListArticles(ctx, desk.ArticleQuery{Limit: 1000, Offset: offset})
		if err != nil {
			return nil, fmt.Errorf("kb: export: %w", err)
		}
		all = append(all, page...)
		if len(page) < 1000 {
			break
		}
	}
	byArticle := map[int64]*desk.Article{}
	groupSize := map[int64]int{}
	slugOf := map[[2]string]string{} // (group, locale) → slug
	for i := range all {
		a := &all[i]
		byArticle[a.ID] = a
		groupSize[a.GroupID]++
		slugOf[[2]string{fmt.Sprint(a.GroupID), a.Locale}] = a.Slug
	}
	files := make([]kbfile.File, 0, len(all))
	for _, a := range all {
		f := kbfile.File{Title: a.Title, Slug: a.Slug, Locale: a.Locale, Category: catPath(a.CategoryID),
			Status: string(a.Status), Description: a.Description, Internal: a.Internal, Questions: a.Questions,
			Contexts: a.Contexts, Position: a.Position, Reviewed: a.ReviewedAt, Body: a.Body}
		if groupSize[a.GroupID] > 1 {
			if first, ok := byArticle[a.GroupID]; ok {
				f.Translation = first.Slug
			} else {
				f.Translation = fmt.Sprintf("group-%d", a.GroupID)
			}
		}
		for _, g := range a.Related {
			if slug, ok := slugOf[[2]string{fmt.Sprint(g), a.Locale}]; ok {
				f.Related = append(f.Related, slug)
			}
		}
		files = append(files, f)
	}
	return files, nil
}
