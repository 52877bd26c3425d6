package front

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/desk"
)

// Category is one entry of the company's list of what conversations are
// about. Each may send its conversations to a team, offer a flow or an
// article first, or be one the bot never handles itself.
type Category struct {
	Key    string `json:"key"`
	NameNL string `json:"name_nl"`
	NameEN string `json:"name_en"`
	// TeamID is where a hand-over of this category goes (0: the inbox's
	// team).
	TeamID int64 `json:"team_id,omitempty"`
	// FlowGroupID is the flow the bot offers for this category.
	FlowGroupID int64 `json:"flow_group_id,omitempty"`
	// ArticleGroupID is the article the bot shows first.
	ArticleGroupID int64 `json:"article_group_id,omitempty"`
	// HumanOnly categories go to a person at once (complaints, say).
	HumanOnly bool `json:"human_only,omitempty"`
}

// Name is the category's name in a locale.
func (c Category) Name(locale string) string {
	if locale == "en" && c.NameEN != "" {
		return c.NameEN
	}
	if c.NameNL != "" {
		return c.NameNL
	}
	return c.Key
}

// DefaultCategories is the list a new installation starts with.
var DefaultCategories = []Category{
	{Key: "order", NameNL: "Bestelling en levering", NameEN: "Orders and delivery"},
	{Key: "returns", NameNL: "Retour en terugbetaling", NameEN: "Returns and refunds"},
	{Key: "billing", NameNL: "Betaling en facturen", NameEN: "Payment and invoices"},
	{Key: "technical", NameNL: "Technische vraag", NameEN: "Technical question"},
	{Key: "complaint", NameNL: "Klacht", NameEN: "Complaint", HumanOnly: true},
	{Key: "other", NameNL: "Overig", NameEN: "Other"},
}

const settingCategories = "front.categories"

var keyRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// Categories returns the company's category list.
func (s *Service) Categories(ctx context.Context) ([]Category, error) {
	v, err := s.st.Setting(ctx, settingCategories)
	if errors.Is(err, desk.ErrNotFound) {
		return append([]Category(nil), DefaultCategories...), nil
	}
	if err != nil {
		return nil, fmt.Errorf("front: categories: %w", err)
	}
	var cs []Category
	if err := json.Unmarshal([]byte(v), &cs); err != nil {
		return nil, fmt.Errorf("front: categories: stored value: %w", err)
	}
	return cs, nil
}

// Category returns one category by key.
func (s *Service) Category(ctx context.Context, key string) (Category, bool) {
	cs, err := s.Categories(ctx)
	if err != nil {
		return Category{}, false
	}
	for _, c := range cs {
		if c.Key == key {
			return c, true
		}
	}
	return Category{}, false
}

// SetCategories replaces the category list. Keys are lower-case letters,
// digits, dashes and underscores, unique.
func (s *Service) SetCategories(ctx context.Context, cs []Category) error {
	if len(cs) > 100 {
		return fmt.Errorf("front: at most 100 categories: %w", desk.ErrInvalid)
	}
	seen := map[string]bool{}
	for i := range cs {
		c := &cs[i]
		c.Key = strings.TrimSpace(c.Key)
		c.NameNL, c.NameEN = strings.TrimSpace(c.NameNL), strings.TrimSpace(c.NameEN)
		switch {
		case !keyRe.MatchString(c.Key):
			return fmt.Errorf("front: category key %q: lower-case letters, digits, - and _: %w", c.Key, desk.ErrInvalid)
		case seen[c.Key]:
			return fmt.Errorf("front: category %q twice: %w", c.Key, desk.ErrInvalid)
		case utf8.RuneCountInString(c.NameNL) > 60 || utf8.RuneCountInString(c.NameEN) > 60:
			return fmt.Errorf("front: category names of at most 60 characters: %w", desk.ErrInvalid)
		}
		seen[c.Key] = true
		if c.TeamID != 0 {
			if _, err := s.st.TeamByID(ctx, c.TeamID); err != nil {
				return fmt.Errorf("front: category %q: team %d: %w", c.Key, c.TeamID, desk.ErrInvalid)
			}
		}
	}
	b, err := json.Marshal(cs)
	if err != nil {
		return fmt.Errorf("front: categories: %w", err)
	}
	if err := s.st.SetSetting(ctx, settingCategories, string(b)); err != nil {
		return fmt.Errorf("front: categories: %w", err)
	}
	return nil
}
