package webchat

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb"
)

// The help view: customers help themselves before they chat. The widget
// shows the contextual FAQ of the page it is on, suggests articles as the
// visitor types, searches, and shows articles (sanitised HTML) inside the
// widget with "was this helpful?".
//
// These routes work for a visitor without a session: a token is optional
// and only tells who the contact is, when they have written before. GET
// requests take the token as a query parameter, as attachments do: a
// custom header would cost a CORS preflight for every distinct URL, and
// search-as-you-type makes many. Only public, published articles are ever
// shown; anything else is "not found".

// Limits of the help view's input.
const (
	maxHelpQuery = 300 // runes; kb's own limit
	maxContext   = 512 // bytes of a page path
	faqLimit     = 5
	suggestLimit = 5
	searchLimit  = 10
)

func (h *Handler) helpRoutes(mux *http.ServeMux) {
	mux.Handle("GET /widget/api/kb/faq", cors(http.HandlerFunc(h.helpFAQ)))
	mux.Handle("GET /widget/api/kb/suggest", cors(http.HandlerFunc(h.helpSuggest)))
	mux.Handle("GET /widget/api/kb/search", cors(http.HandlerFunc(h.helpSearch)))
	mux.Handle("GET /widget/api/kb/articles/{id}", cors(http.HandlerFunc(h.helpArticle)))
	mux.Handle("POST /widget/api/kb/feedback", cors(http.HandlerFunc(h.helpFeedback)))
	mux.Handle("POST /widget/api/kb/click", cors(http.HandlerFunc(h.helpClick)))
}

// admitHelp checks the client's and the inbox's help limits, loads the inbox
// and, when the token is a known visitor's, their contact. A missing or
// malformed token is an anonymous visitor, not an error.
func (h *Handler) admitHelp(r *http.Request, client *limiter, inboxKey, token string) (*visitor, error) {
	if err := h.check(client, clientKey(r.RemoteAddr), "requests from this address"); err != nil {
		return nil, err
	}
	if err := h.check(h.inboxHelp, inboxKey, "help requests for this inbox"); err != nil {
		return nil, err
	}
	if !validToken(token) {
		inbox, err := h.inbox(r.Context(), inboxKey)
		if err != nil {
			return nil, err
		}
		return &visitor{inbox: inbox}, nil
	}
	return h.identify(r.Context(), inboxKey, token)
}

// admitHelpGet is admitHelp for the GET routes: inbox and token come from
// the query (the token also from the header).
func (h *Handler) admitHelpGet(r *http.Request) (*visitor, error) {
	q := r.URL.Query()
	token, _ := visitorToken(r, q.Get("token"))
	return h.admitHelp(r, h.clientReads, q.Get("inbox"), token)
}

// kbVisitor is who is searching, as kb learns from it: the client's address
// (kb keeps only a salted hash of its network) and the contact, if known.
func kbVisitor(r *http.Request, v *visitor) kb.Visitor {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	out := kb.Visitor{IP: host}
	if v.contact != nil {
		out.ContactID = v.contact.ID
	}
	return out
}

// helpQuery cleans a typed query.
func helpQuery(q string) (string, error) {
	q = strings.TrimSpace(q)
	if !utf8.ValidString(q) || utf8.RuneCountInString(q) > maxHelpQuery {
		return "", desk.Invalid("q", fmt.Sprintf("at most %d characters of text", maxHelpQuery))
	}
	return q, nil
}

// pageContext checks the page path the widget reports: "" or an absolute
// path. Other context kinds (product:, segment:, label:) are not the
// visitor's to choose.
func pageContext(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	if len(c) > maxContext || c[0] != '/' || !utf8.ValidString(c) ||
		strings.IndexFunc(c, unicode.IsControl) >= 0 {
		return "", desk.Invalid("context", fmt.Sprintf("a page path of at most %d bytes", maxContext))
	}
	return c, nil
}

// articleRef is an article in a list: the FAQ, suggestions, results.
type articleRef struct {
	ID          int64  `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	// Snippet is the matching text of a search result, in parts: the
	// widget marks the parts that matched (h) without parsing HTML.
	Snippet []snippetPart `json:"snippet,omitempty"`
}

type snippetPart struct {
	Text string `json:"t"`
	Hit  bool   `json:"h,omitempty"`
}

type articleList struct {
	Items []articleRef `json:"items"`
}

type searchResponse struct {
	// SearchID goes with a click and feedback, so search learns which
	// article answered the query (0: the search was not logged).
	SearchID int64        `json:"search_id"`
	Query    string       `json:"query"`
	Items    []articleRef `json:"items"`
}

type articleResponse struct {
	ID     int64  `json:"id"`
	Title  string `json:"title"`
	Locale string `json:"locale"`
	// HTML is sanitised by kb's renderer.
	HTML      string    `json:"html"`
	UpdatedAt time.Time `json:"updated_at"`
}

// helpFAQ answers the questions to show on the visitor's page.
func (h *Handler) helpFAQ(w http.ResponseWriter, r *http.Request) {
	v, err := h.admitHelpGet(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	page, err := pageContext(q.Get("context"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	req := kb.FAQRequest{Locale: locale(q.Get("locale")), Context: page, Limit: faqLimit}
	if v.contact != nil {
		req.ContactID = v.contact.ID
	}
	arts, err := h.d.KB.FAQ(r.Context(), req)
	if err != nil {
		h.writeError(w, r, fmt.Errorf("webchat: faq: %w", err))
		return
	}
	out := articleList{Items: make([]articleRef, 0, len(arts))}
	for _, a := range arts {
		out.Items = append(out.Items, articleRef{ID: a.ID, Title: a.Title, Description: a.Description})
	}
	writeJSON(w, http.StatusOK, out)
}

// helpSuggest completes a query being typed with article titles.
func (h *Handler) helpSuggest(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	// Suggestions are the same for everyone: no need to look up the
	// visitor on every keystroke.
	if _, err := h.admitHelp(r, h.clientReads, q.Get("inbox"), ""); err != nil {
		h.writeError(w, r, err)
		return
	}
	prefix, err := helpQuery(q.Get("q"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := articleList{Items: []articleRef{}}
	if prefix != "" {
		for _, s := range h.d.KB.Suggest(prefix, locale(q.Get("locale")), false, suggestLimit) {
			out.Items = append(out.Items, articleRef{ID: s.ID, Title: s.Title})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// helpSearch searches the public articles, logged as a widget search.
func (h *Handler) helpSearch(w http.ResponseWriter, r *http.Request) {
	v, err := h.admitHelpGet(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	query, err := helpQuery(q.Get("q"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	page, err := pageContext(q.Get("context"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	res, err := h.d.KB.Search(r.Context(), kb.SearchRequest{Query: query, Locale: locale(q.Get("locale")),
		Source: desk.SourceWidget, Context: page, Visitor: kbVisitor(r, v), Limit: searchLimit})
	if err != nil {
		h.writeError(w, r, fmt.Errorf("webchat: search: %w", err))
		return
	}
	out := searchResponse{SearchID: res.SearchID, Query: res.Query, Items: make([]articleRef, 0, len(res.Hits))}
	for _, hit := range res.Hits {
		out.Items = append(out.Items, articleRef{ID: hit.Article.ID, Title: hit.Article.Title,
			Snippet: snippetParts(hit.Snippet, hit.Highlights)})
	}
	writeJSON(w, http.StatusOK, out)
}

// snippetParts splits a snippet at its highlights (byte ranges). Ranges
// out of order, overlapping or out of bounds are skipped rather than
// trusted.
func snippetParts(s string, marks [][2]int) []snippetPart {
	var out []snippetPart
	at := 0
	for _, m := range marks {
		if m[0] < at || m[1] <= m[0] || m[1] > len(s) {
			continue
		}
		if m[0] > at {
			out = append(out, snippetPart{Text: s[at:m[0]]})
		}
		out = append(out, snippetPart{Text: s[m[0]:m[1]], Hit: true})
		at = m[1]
	}
	if at < len(s) {
		out = append(out, snippetPart{Text: s[at:]})
	}
	return out
}

// publicArticle returns an article a visitor may read: published and not
// internal. Anything else is not found, so that ids cannot be probed for
// drafts or internal articles.
func (h *Handler) publicArticle(ctx context.Context, id int64) (*desk.Article, error) {
	notFound := fmt.Errorf("webchat: article %d: %w", id, desk.ErrNotFound)
	if id <= 0 {
		return nil, notFound
	}
	a, err := h.d.KB.Article(ctx, id)
	if errors.Is(err, desk.ErrNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, fmt.Errorf("webchat: article %d: %w", id, err)
	}
	if a.Status != desk.ArticlePublished || a.Internal {
		return nil, notFound
	}
	return a, nil
}

// helpArticle shows an article in the widget and records the view.
func (h *Handler) helpArticle(w http.ResponseWriter, r *http.Request) {
	v, err := h.admitHelpGet(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	page, err := pageContext(r.URL.Query().Get("context"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	a, err := h.publicArticle(r.Context(), id)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.d.KB.View(r.Context(), a.ID, page, a.Locale, kbVisitor(r, v))
	writeJSON(w, http.StatusOK, articleResponse{ID: a.ID, Title: a.Title, Locale: a.Locale,
		HTML: string(h.d.KB.Render(a).HTML), UpdatedAt: a.UpdatedAt})
}

type feedbackRequest struct {
	Inbox     string `json:"inbox"`
	Token     string `json:"token"`
	ArticleID int64  `json:"article_id"`
	// Helpful is required: a pointer tells false from missing.
	Helpful  *bool  `json:"helpful"`
	Comment  string `json:"comment"`
	SearchID int64  `json:"search_id"`
}

// helpFeedback stores a visitor's answer to "was this helpful?".
func (h *Handler) helpFeedback(w http.ResponseWriter, r *http.Request) {
	var req feedbackRequest
	if err := decode(w, r, &req); err != nil {
		h.writeError(w, r, err)
		return
	}
	token, _ := visitorToken(r, req.Token)
	v, err := h.admitHelp(r, h.clientPosts, req.Inbox, token)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if req.Helpful == nil {
		h.writeError(w, r, desk.Invalid("helpful", "true or false"))
		return
	}
	if req.SearchID < 0 {
		h.writeError(w, r, desk.Invalid("search_id", "a search id or 0"))
		return
	}
	a, err := h.publicArticle(r.Context(), req.ArticleID)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if err := h.d.KB.Feedback(r.Context(), kb.FeedbackInput{ArticleID: a.ID, Helpful: *req.Helpful,
		Comment: req.Comment, SearchID: req.SearchID, Visitor: kbVisitor(r, v)}); err != nil {
		h.writeError(w, r, fmt.Errorf("webchat: feedback: %w", err))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

type clickRequest struct {
	Inbox     string `json:"inbox"`
	Token     string `json:"token"`
	SearchID  int64  `json:"search_id"`
	ArticleID int64  `json:"article_id"`
}

// helpClick records that a search result was opened.
func (h *Handler) helpClick(w http.ResponseWriter, r *http.Request) {
	var req clickRequest
	if err := decode(w, r, &req); err != nil {
		h.writeError(w, r, err)
		return
	}
	token, _ := visitorToken(r, req.Token)
	v, err := h.admitHelp(r, h.clientPosts, req.Inbox, token)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if req.SearchID <= 0 {
		h.writeError(w, r, desk.Invalid("search_id", "the id of the search the article was found by"))
		return
	}
	a, err := h.publicArticle(r.Context(), req.ArticleID)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if err := h.d.KB.Click(r.Context(), req.SearchID, a.ID, kbVisitor(r, v)); err != nil {
		h.writeError(w, r, fmt.Errorf("webchat: click: %w", err))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}
