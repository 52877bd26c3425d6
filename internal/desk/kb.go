package desk

import (
	"context"
	"time"
)

// The knowledge base: articles that answer customers' questions, grouped in
// categories and sections, per locale, with translations linked by a shared
// GroupID. The public help center shows published, non-internal articles;
// agents see internal ones too.

// ArticleStatus is where an article is in its life.
type ArticleStatus string

const (
	ArticleDraft     ArticleStatus = "draft"
	ArticlePublished ArticleStatus = "published"
	ArticleArchived  ArticleStatus = "archived"
)

// Valid reports whether s is a known status.
func (s ArticleStatus) Valid() bool {
	return s == ArticleDraft || s == ArticlePublished || s == ArticleArchived
}

// KBCategory is a category of the help center, or a section within one
// (ParentID set). Each has one locale; translations share a GroupID.
type KBCategory struct {
	ID          int64
	GroupID     int64 // translations share it; the first one's ID
	ParentID    int64 // 0: a top-level category; else the category this section is in
	Locale      string
	Slug        string // unique per locale
	Name        string
	Description string
	Icon        string // a short name of an icon the help center knows
	Position    int
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Article is one knowledge-base article in one locale.
type Article struct {
	ID         int64
	GroupID    int64 // translations share it; the first one's ID
	Locale     string
	CategoryID int64 // a category or section; 0 for none
	Slug       string
	Title      string
	// Description is the summary shown in lists and as meta description.
	Description string
	// Questions are other ways customers ask what the article answers.
	Questions []string
	Body      string // Markdown
	Status    ArticleStatus
	// Internal articles are for agents only, never on the public help center.
	Internal bool
	// Related are the GroupIDs of related articles, in order.
	Related []int64
	// Contexts are where the article is relevant ("url:/checkout",
	// "product:fiets-x", "segment:zakelijk", "label:retour").
	Contexts   []string
	Position   int
	AuthorID   int64
	UpdatedBy  int64
	Revision   int // number of the newest revision
	ReviewedAt *time.Time
	// PublishedAt is when the article was first published.
	PublishedAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ArticleRevision is the state of an article after one change.
type ArticleRevision struct {
	ID        int64
	ArticleID int64
	Number    int // 1, 2, ... per article
	AgentID   int64
	AgentName string // filled on read
	Title     string
	Body      string
	Questions []string
	Status    ArticleStatus
	Note      string // what changed, in the author's words or generated
	CreatedAt time.Time
}

// ArticleQuery filters the article list, ordered by position then title.
type ArticleQuery struct {
	Locale     string // "" every locale
	CategoryID int64  // 0 any; matches the category and its sections
	GroupID    int64  // the translations of one article
	Status     ArticleStatus
	// Public keeps only published, non-internal articles.
	Public bool
	// ChangedSince keeps articles updated at or after this time (nil: all).
	ChangedSince *time.Time
	Limit        int // default 100, at most 10000
	Offset       int
}

// KBFile is an image or file uploaded for use in articles.
type KBFile struct {
	ID          int64
	Name        string
	ContentType string
	Size        int64
	BlobKey     string
	AgentID     int64
	CreatedAt   time.Time
}

// SearchSource is where a knowledge-base search was made.
type SearchSource string

const (
	SourceHelpCenter SearchSource = "help"
	SourceWidget     SearchSource = "widget"
	SourceAgent      SearchSource = "agent"
	SourceAPI        SearchSource = "api"
	SourceBot        SearchSource = "bot"
)

// SearchLog is one search made by a customer or agent, for analytics and
// learning.
type SearchLog struct {
	ID     int64
	Query  string // as typed
	Norm   string // normalised, groups equal queries
	Locale string
	Source SearchSource
	// Context is where the customer was (a page path or product).
	Context string
	// Results counts the results that answer the query (not those that
	// merely share a word with it); 0 marks a content gap.
	Results int
	// TopArticleID is the first result's article (0 without results).
	TopArticleID int64
	// ClickedArticleID is the first result opened (0 until then).
	ClickedArticleID int64
	VisitorKey       string // a salted hash identifying the visitor; never an IP
	ContactID        int64
	CreatedAt        time.Time
}

// ArticleView is one opening of an article on the help center or widget.
type ArticleView struct {
	ArticleID  int64
	Context    string
	Locale     string
	VisitorKey string
	ContactID  int64
	At         time.Time
}

// ArticleFeedback is a customer's "was this helpful?".
type ArticleFeedback struct {
	ID         int64
	ArticleID  int64
	Helpful    bool
	Comment    string
	SearchID   int64 // the search that led to the article, if known
	VisitorKey string
	ContactID  int64
	CreatedAt  time.Time
}

// SearchSignal is one visitor's evidence that an article answers a query:
// opened from the results (weight 1), marked helpful after the search
// (weight 2) or unhelpful (-1). One visitor has one signal per query and
// article: a later one replaces the earlier, so nobody can vote twice.
type SearchSignal struct {
	ArticleID  int64
	Norm       string // normalised query
	Query      string // as typed
	VisitorKey string
	Weight     int
	At         time.Time
}

// LearnedQuery is what every visitor's signals for one query and article add
// up to.
type LearnedQuery struct {
	ArticleID int64
	Query     string // one of the typed forms
	Weight    int    // sum of the signals
	Voters    int    // distinct visitors
}

// QueryStat is one normalised query in search analytics.
type QueryStat struct {
	Query    string // the most common typed form
	Searches int
	NoResult int // searches without any result
	Clicked  int // searches after which a result was opened
}

// ArticleStat is one article's reach and helpfulness over a period.
type ArticleStat struct {
	ArticleID  int64
	Views      int
	Helpful    int
	NotHelpful int
}

// ContextCount is how often an article was viewed in a context.
type ContextCount struct {
	ArticleID int64
	Views     int
}

// StatsQuery limits analytics to a locale ("" all) and period.
type StatsQuery struct {
	Locale string
	Since  time.Time
	Until  time.Time // zero: now
	Limit  int       // default 50
}

// KBStore keeps the knowledge base, its files, and what customers do with
// it. Slugs are unique per locale (ErrConflict).
type KBStore interface {
	CreateKBCategory(ctx context.Context, c *KBCategory) error // sets ID, GroupID when 0, times
	UpdateKBCategory(ctx context.Context, c *KBCategory) error
	// DeleteKBCategory removes an empty category: one with sections or
	// articles is ErrConflict.
	DeleteKBCategory(ctx context.Context, id int64) error
	KBCategoryByID(ctx context.Context, id int64) (*KBCategory, error)
	KBCategoryBySlug(ctx context.Context, locale, slug string) (*KBCategory, error)
	// ListKBCategories lists a locale's ("" every locale's) categories and
	// sections by position then name.
	ListKBCategories(ctx context.Context, locale string) ([]KBCategory, error)

	// CreateArticle sets ID, GroupID (its own ID when 0), CreatedAt and
	// UpdatedAt. An unknown CategoryID is ErrInvalid.
	CreateArticle(ctx context.Context, a *Article) error
	// UpdateArticle writes every field but ID, GroupID, AuthorID and
	// CreatedAt, and sets UpdatedAt.
	UpdateArticle(ctx context.Context, a *Article) error
	// DeleteArticle removes an article with its revisions, feedback,
	// views and signals.
	DeleteArticle(ctx context.Context, id int64) error
	ArticleByID(ctx context.Context, id int64) (*Article, error)
	ArticleBySlug(ctx context.Context, locale, slug string) (*Article, error)
	ListArticles(ctx context.Context, q ArticleQuery) ([]Article, error)
	CountArticles(ctx context.Context, q ArticleQuery) (int, error)
	// AddArticleRevision stores r (setting ID, CreatedAt); Number must be
	// new for the article (ErrConflict).
	AddArticleRevision(ctx context.Context, r *ArticleRevision) error
	// ArticleRevisions lists an article's revisions, newest first, with
	// AgentName.
	ArticleRevisions(ctx context.Context, articleID int64) ([]ArticleRevision, error)

	CreateKBFile(ctx context.Context, f *KBFile) error
	KBFileByID(ctx context.Context, id int64) (*KBFile, error)

	// RecordSearch stores a search. A zero ID is set by the store; a given
	// one is kept, and ErrConflict when taken.
	RecordSearch(ctx context.Context, s *SearchLog) error
	SearchLogByID(ctx context.Context, id int64) (*SearchLog, error)
	// RecordSearchClick sets the search's ClickedArticleID if none was set.
	RecordSearchClick(ctx context.Context, searchID, articleID int64) error
	RecordArticleView(ctx context.Context, v *ArticleView) error
	AddArticleFeedback(ctx context.Context, f *ArticleFeedback) error // sets ID
	// ListArticleFeedback lists an article's feedback, newest first.
	ListArticleFeedback(ctx context.Context, articleID int64, limit int) ([]ArticleFeedback, error)

	// PutSearchSignal stores s, replacing the visitor's earlier signal for
	// the same article and Norm.
	PutSearchSignal(ctx context.Context, s *SearchSignal) error
	// LearnedQueries adds up the signals per article and Norm, keeping
	// those with a positive Weight; articleID 0 means every article.
	LearnedQueries(ctx context.Context, articleID int64) ([]LearnedQuery, error)

	// TopQueries are the most searched queries; NoResultQueries those that
	// most often found nothing; NoClickQueries those whose results were
	// most often left unopened. All grouped by Norm.
	TopQueries(ctx context.Context, q StatsQuery) ([]QueryStat, error)
	NoResultQueries(ctx context.Context, q StatsQuery) ([]QueryStat, error)
	NoClickQueries(ctx context.Context, q StatsQuery) ([]QueryStat, error)
	// ArticleStats lists the articles with views or feedback in the
	// period, most viewed first.
	ArticleStats(ctx context.Context, q StatsQuery) ([]ArticleStat, error)
	// ContextViews counts views per article in a context ("" all contexts)
	// and locale since a time, most viewed first.
	ContextViews(ctx context.Context, context, locale string, since time.Time, limit int) ([]ContextCount, error)

	// SetFAQPins makes groupIDs, in order, the pinned questions of a
	// context ("" is the help-center home) and locale.
	SetFAQPins(ctx context.Context, context, locale string, groupIDs []int64) error
	FAQPins(ctx context.Context, context, locale string) ([]int64, error)
	// FAQPinContexts lists every context with pins, sorted.
	FAQPinContexts(ctx context.Context) ([]string, error)
}
