package wire

import (
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Article is a knowledge-base article. Body is Markdown; HTML is the
// sanitised rendering, when the caller asked for it.
type Article struct {
	ID          int64    `json:"id"`
	GroupID     int64    `json:"group_id"`
	Locale      string   `json:"locale"`
	CategoryID  int64    `json:"category_id"`
	Slug        string   `json:"slug"`
	URL         string   `json:"url"` // path on the help center
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Questions   []string `json:"questions"`
	Body        string   `json:"body,omitempty"`
	HTML        string   `json:"html,omitempty"`
	Status      string   `json:"status" enum:"draft,published,archived"`
	Internal    bool     `json:"internal"`
	Related     []int64  `json:"related"`
	Contexts    []string `json:"contexts"`
	Position    int      `json:"position"`
	Revision    int      `json:"revision"`
	ReviewedAt  Time     `json:"reviewed_at"`
	PublishedAt Time     `json:"published_at"`
	CreatedAt   Time     `json:"created_at"`
	UpdatedAt   Time     `json:"updated_at"`
}

// ArticlePath is where an article is on the help center.
func ArticlePath(a *desk.Article) string { return "/help/" + a.Locale + "/a/" + a.Slug }

// FromArticle converts an article; withBody includes the Markdown.
func FromArticle(a *desk.Article, withBody bool) Article {
	out := Article{ID: a.ID, GroupID: a.GroupID, Locale: a.Locale, CategoryID: a.CategoryID, Slug: a.Slug,
		URL: ArticlePath(a), Title: a.Title, Description: a.Description, Questions: orEmpty(a.Questions),
		Status: string(a.Status), Internal: a.Internal, Related: orEmpty(a.Related), Contexts: orEmpty(a.Contexts),
		Position: a.Position, Revision: a.Revision, ReviewedAt: timePtr(a.ReviewedAt), PublishedAt: timePtr(a.PublishedAt),
		CreatedAt: Time{a.CreatedAt}, UpdatedAt: Time{a.UpdatedAt}}
	if withBody {
		out.Body = a.Body
	}
	return out
}

// Category is a knowledge-base category or section.
type Category struct {
	ID          int64  `json:"id"`
	GroupID     int64  `json:"group_id"`
	ParentID    int64  `json:"parent_id"`
	Locale      string `json:"locale"`
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Icon        string `json:"icon"`
	Position    int    `json:"position"`
}

// FromCategory converts a category.
func FromCategory(c *desk.KBCategory) Category {
	return Category{ID: c.ID, GroupID: c.GroupID, ParentID: c.ParentID, Locale: c.Locale, Slug: c.Slug,
		Name: c.Name, Description: c.Description, Icon: c.Icon, Position: c.Position}
}

// ArticleHit is a search result: the article without its body, and a
// snippet with the matched words marked by byte ranges.
type ArticleHit struct {
	Article    Article  `json:"article"`
	Score      float64  `json:"score"`
	Snippet    string   `json:"snippet"`
	Highlights [][2]int `json:"highlights"`
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func timePtr(t *time.Time) Time {
	if t == nil {
		return Time{}
	}
	return Time{*t}
}
