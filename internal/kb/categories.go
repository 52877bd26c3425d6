package kb

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb/kbfile"
)

// CategoryInput is a category or section as an author writes it.
type CategoryInput struct {
	Locale      string
	Slug        string // "": made from the name
	Name        string
	Description string
	Icon        string
	Position    int
	ParentID    int64 // set for a section
	// TranslationOf links a new category as a translation of this one.
	TranslationOf int64
}

func (s *Service) cleanCategory(ctx context.Context, in *CategoryInput, self int64) error {
	in.Name = strings.TrimSpace(in.Name)
	in.Description = strings.TrimSpace(in.Description)
	in.Slug = strings.TrimSpace(in.Slug)
	switch {
	case !ValidLocale(in.Locale):
		return fmt.Errorf("kb: locale %q: want nl or en: %w", in.Locale, desk.ErrInvalid)
	case in.Name == "":
		return fmt.Errorf("kb: a category needs a name: %w", desk.ErrInvalid)
	case utf8.RuneCountInString(in.Name) > 100 || utf8.RuneCountInString(in.Description) > MaxDescription:
		return fmt.Errorf("kb: category name or description too long: %w", desk.ErrInvalid)
	case len(in.Icon) > 40:
		return fmt.Errorf("kb: icon name too long: %w", desk.ErrInvalid)
	}
	if in.Slug == "" {
		in.Slug = kbfile.Slugify(in.Name)
	}
	if !ValidSlug(in.Slug) {
		return fmt.Errorf("kb: slug %q: use lower-case letters, digits and dashes: %w", in.Slug, desk.ErrInvalid)
	}
	if in.ParentID != 0 {
		if in.ParentID == self {
			return fmt.Errorf("kb: a category cannot be its own section: %w", desk.ErrInvalid)
		}
		p, err := s.st.KBCategoryByID(ctx, in.ParentID)
		if err != nil {
			return fmt.Errorf("kb: parent category %d: %w", in.ParentID, desk.ErrInvalid)
		}
		if p.ParentID != 0 {
			return fmt.Errorf("kb: sections cannot have sections: %w", desk.ErrInvalid)
		}
		if p.Locale != in.Locale {
			return fmt.Errorf("kb: parent category is %s, the section %s: %w", p.Locale, in.Locale, desk.ErrInvalid)
		}
	}
	return nil
}

// CreateCategory adds a category or section.
func (s *Service) CreateCategory(ctx context.Context, in CategoryInput) (*desk.KBCategory, error) {
	if err := s.cleanCategory(ctx, &in, 0); err != nil {
		return nil, err
	}
	c := &desk.KBCategory{Locale: in.Locale, Slug: in.Slug, Name: in.Name, Description: in.Description,
		Icon: in.Icon, Position: in.Position, ParentID: in.ParentID, CreatedAt: s.clock.Now()}
	if in.TranslationOf != 0 {
		orig, err := s.st.KBCategoryByID(ctx, in.TranslationOf)
		if err != nil {
			return nil, fmt.Errorf("kb: translation of category %d: %w", in.TranslationOf, err)
		}
		c.GroupID = orig.GroupID
	}
	if err := s.st.CreateKBCategory(ctx, c); err != nil {
		return nil, fmt.Errorf("kb: create category: %w", err)
	}
	return c, nil
}

// UpdateCategory changes a category; its locale stays.
func (s *Service) UpdateCategory(ctx context.Context, id int64, in CategoryInput) (*desk.KBCategory, error) {
	c, err := s.st.KBCategoryByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("kb: update category: %w", err)
	}
	in.Locale = c.Locale
	if err := s.cleanCategory(ctx, &in, id); err != nil {
		return nil, err
	}
	c.Slug, c.Name, c.Description, c.Icon, c.Position, c.ParentID = in.Slug, in.Name, in.Description, in.Icon, in.Position, in.ParentID
	c.UpdatedAt = s.clock.Now()
	if err := s.st.UpdateKBCategory(ctx, c); err != nil {
		return nil, fmt.Errorf("kb: update category: %w", err)
	}
	return c, nil
}

// DeleteCategory removes an empty category (ErrConflict when it is not).
func (s *Service) DeleteCategory(ctx context.Context, id int64) error {
	if err := s.st.DeleteKBCategory(ctx, id); err != nil {
		return fmt.Errorf("kb: delete category: %w", err)
	}
	return nil
}

// Category returns one category.
func (s *Service) Category(ctx context.Context, id int64) (*desk.KBCategory, error) {
	return s.st.KBCategoryByID(ctx, id)
}

// CategoryBySlug finds a locale's category or section by slug.
func (s *Service) CategoryBySlug(ctx context.Context, locale, slug string) (*desk.KBCategory, error) {
	return s.st.KBCategoryBySlug(ctx, locale, slug)
}

// Categories lists a locale's ("" all) categories and sections.
func (s *Service) Categories(ctx context.Context, locale string) ([]desk.KBCategory, error) {
	return s.st.ListKBCategories(ctx, locale)
}

// CategoryTree is a category with its sections.
type CategoryTree struct {
	desk.KBCategory
	Sections []desk.KBCategory
}

// Tree returns a locale's categories with their sections, in order.
func (s *Service) Tree(ctx context.Context, locale string) ([]CategoryTree, error) {
	all, err := s.st.ListKBCategories(ctx, locale)
	if err != nil {
		return nil, fmt.Errorf("kb: categories: %w", err)
	}
	var out []CategoryTree
	pos := map[int64]int{}
	for _, c := range all {
		if c.ParentID == 0 {
			pos[c.ID] = len(out)
			out = append(out, CategoryTree{KBCategory: c})
		}
	}
	for _, c := range all {
		if i, ok := pos[c.ParentID]; ok && c.ParentID != 0 {
			out[i].Sections = append(out[i].Sections, c)
		}
	}
	return out, nil
}
