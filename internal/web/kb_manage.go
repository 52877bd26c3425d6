package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb"
)

// --- categories

type kbCategoriesData struct {
	Locales []kbLocaleTree
	// Edit is the category being edited (GET /app/kb/categories/{id}).
	Edit *desk.KBCategory
	// New fills the add form: empty, or a translation to make.
	New       categoryForm
	Parents   []desk.KBCategory // top-level categories, for the section choice
	Languages []string
	CanEdit   bool
	CanDelete bool
}

type kbLocaleTree struct {
	Locale string
	Tree   []kbTreeNode
}

type kbTreeNode struct {
	C            desk.KBCategory
	Translations []desk.KBCategory
	Missing      []string
	Sections     []kbTreeNode
}

type categoryForm struct {
	Locale        string
	Name          string
	Slug          string
	Description   string
	Icon          string
	Position      int
	ParentID      int64
	TranslationOf int64
	Of            string // the original's name, for a translation
}

func (h *Handler) kbCategories(q *req) {
	ctx := q.r.Context()
	d := kbCategoriesData{Languages: kb.Locales, CanEdit: q.author(), CanDelete: q.kbAdmin()}
	if q.r.PathValue("id") != "" {
		id, err := pathID(q.r)
		if err != nil {
			h.fail(q, err)
			return
		}
		if d.Edit, err = h.d.KB.Category(ctx, id); err != nil {
			h.fail(q, err)
			return
		}
	}
	all, err := h.d.KB.Categories(ctx, "")
	if err != nil {
		h.fail(q, err)
		return
	}
	byGroup := map[int64][]desk.KBCategory{}
	for _, c := range all {
		byGroup[c.GroupID] = append(byGroup[c.GroupID], c)
		if c.ParentID == 0 {
			d.Parents = append(d.Parents, c)
		}
	}
	node := func(c desk.KBCategory) kbTreeNode {
		n := kbTreeNode{C: c}
		for _, t := range byGroup[c.GroupID] {
			if t.ID != c.ID {
				n.Translations = append(n.Translations, t)
			}
		}
		for _, l := range kb.Locales {
			if l != c.Locale && !slices.ContainsFunc(n.Translations, func(t desk.KBCategory) bool { return t.Locale == l }) {
				n.Missing = append(n.Missing, l)
			}
		}
		return n
	}
	for _, l := range kb.Locales {
		tree, err := h.d.KB.Tree(ctx, l)
		if err != nil {
			h.fail(q, err)
			return
		}
		lt := kbLocaleTree{Locale: l}
		for _, c := range tree {
			n := node(c.KBCategory)
			for _, s := range c.Sections {
				n.Sections = append(n.Sections, node(s))
			}
			lt.Tree = append(lt.Tree, n)
		}
		d.Locales = append(d.Locales, lt)
	}
	v := q.r.URL.Query()
	d.New.Locale = v.Get("locale")
	if !kb.ValidLocale(d.New.Locale) {
		d.New.Locale = kb.Locales[0]
	}
	if id, _ := strconv.ParseInt(v.Get("translation_of"), 10, 64); id > 0 {
		if orig, err := h.d.KB.Category(ctx, id); err == nil {
			d.New.TranslationOf, d.New.Of, d.New.Icon, d.New.Position = orig.ID, orig.Name, orig.Icon, orig.Position
		}
	}
	h.render(q.w, q, http.StatusOK, "kb_categories", "kb/categories", d)
}

func readCategory(r *http.Request) (kb.CategoryInput, error) {
	f := r.PostForm
	in := kb.CategoryInput{Locale: f.Get("locale"), Name: f.Get("name"), Slug: f.Get("slug"),
		Description: f.Get("description"), Icon: strings.TrimSpace(f.Get("icon"))}
	var err error
	if p := strings.TrimSpace(f.Get("position")); p != "" {
		if in.Position, err = strconv.Atoi(p); err != nil {
			return in, desk.Invalid("position", "a whole number")
		}
	}
	if in.ParentID, err = formID(r, "parent_id"); err != nil {
		return in, err
	}
	if in.TranslationOf, err = formID(r, "translation_of"); err != nil {
		return in, err
	}
	return in, nil
}

func categoryPath(id int64) string { return "/app/kb/categories/" + strconv.FormatInt(id, 10) }

func (h *Handler) kbCreateCategory(q *req) {
	const to = "/app/kb/categories"
	in, err := readCategory(q.r)
	if err != nil {
		h.failed(q, to, err)
		return
	}
	c, err := h.d.KB.CreateCategory(q.r.Context(), in)
	if err != nil {
		h.failed(q, to, err)
		return
	}
	h.back(q, categoryPath(c.ID), flash{Kind: "ok", Key: "flash.created"})
}

func (h *Handler) kbUpdateCategory(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	to := categoryPath(id)
	in, err := readCategory(q.r)
	if err != nil {
		h.failed(q, to, err)
		return
	}
	if _, err := h.d.KB.UpdateCategory(q.r.Context(), id, in); err != nil {
		h.failed(q, to, err)
		return
	}
	h.back(q, to, flash{Kind: "ok", Key: "flash.saved"})
}

func (h *Handler) kbDeleteCategory(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	if err := h.d.KB.DeleteCategory(q.r.Context(), id); err != nil {
		// A category with sections or articles is a conflict: say so.
		h.failed(q, categoryPath(id), err)
		return
	}
	h.back(q, "/app/kb/categories", flash{Kind: "ok", Key: "flash.deleted"})
}

// --- analytics

// analyticsPeriods are the periods the page offers, in days.
var analyticsPeriods = []int{7, 30, 90}

type kbAnalyticsData struct {
	Days    int
	Locale  string
	Periods []int
	Locales []string
	A       kb.Analytics
	// Deflection is the contact page per topic, most visits first, and
	// DeflectionTotal the sum.
	Deflection      []deflectionRow
	DeflectionTotal deflectionRow
}

// deflectionRow is one topic of the contact page. Name is the category's
// name in the agent's language ("" for visits no topic was found for).
type deflectionRow struct {
	Name string
	desk.DeflectionStat
}

// Share is the part of the visits that found an answer and did not
// contact the company.
func (r deflectionRow) Share() float64 {
	if r.Visits == 0 {
		return 0
	}
	return float64(r.Deflected) / float64(r.Visits)
}

func (h *Handler) kbAnalytics(q *req) {
	v := q.r.URL.Query()
	d := kbAnalyticsData{Days: 30, Locale: v.Get("locale"), Periods: analyticsPeriods, Locales: kb.Locales}
	if n, err := strconv.Atoi(v.Get("days")); err == nil && slices.Contains(analyticsPeriods, n) {
		d.Days = n
	}
	if !kb.ValidLocale(d.Locale) {
		d.Locale = ""
	}
	ctx := q.r.Context()
	now := h.d.Clock.Now()
	since := now.Add(-time.Duration(d.Days) * 24 * time.Hour)
	var err error
	d.A, err = h.d.KB.Analytics(ctx, desk.StatsQuery{Locale: d.Locale, Since: since})
	if err != nil {
		h.fail(q, err)
		return
	}
	if d.Deflection, d.DeflectionTotal, err = h.deflection(ctx, q.locale, since, now); err != nil {
		h.fail(q, err)
		return
	}
	h.render(q.w, q, http.StatusOK, "kb_analytics", "kb/analytics", d)
}

// deflection reads the contact page's visits per topic in [since, until),
// with the topics' names, and their sum.
func (h *Handler) deflection(ctx context.Context, locale string, since, until time.Time) ([]deflectionRow, deflectionRow, error) {
	stats, err := h.d.Store.DeflectionStats(ctx, since, until)
	if err != nil {
		return nil, deflectionRow{}, err
	}
	names := map[string]string{}
	if h.d.Front != nil {
		cats, err := h.d.Front.Categories(ctx)
		if err != nil {
			return nil, deflectionRow{}, err
		}
		for _, c := range cats {
			names[c.Key] = c.Name(locale)
		}
	}
	var rows []deflectionRow
	var total deflectionRow
	for _, s := range stats {
		name, ok := names[s.Topic]
		if !ok {
			// A category removed since, or no front line: its key.
			name = s.Topic
		}
		rows = append(rows, deflectionRow{Name: name, DeflectionStat: s})
		total.Visits += s.Visits
		total.Answered += s.Answered
		total.Contacted += s.Contacted
		total.Deflected += s.Deflected
	}
	return rows, total, nil
}

// kbDraft turns a query customers asked into a draft and opens it.
func (h *Handler) kbDraft(q *req) {
	back := "/app/kb/analytics"
	if l := q.r.PostFormValue("locale"); kb.ValidLocale(l) {
		back += "?locale=" + l
	}
	a, err := h.d.KB.DraftFromQuery(q.r.Context(), q.agent, q.r.PostFormValue("query"), q.r.PostFormValue("locale"))
	if err != nil {
		h.failed(q, back, err)
		return
	}
	h.back(q, articlePath(a.ID)+"/edit", flash{Kind: "ok", Key: "flash.kb_drafted"})
}

// --- settings

type kbSettingsData struct {
	Synonyms string
	Pins     []kbPinRow
	Theme    kb.Theme
	Links    string // one "Label | URL" a line
	Locales  []string
}

type kbPinRow struct {
	Context  string
	Locale   string
	Articles []desk.Article // one of each pinned group, in order
}

func (h *Handler) kbSettings(q *req) {
	ctx := q.r.Context()
	d := kbSettingsData{Locales: kb.Locales}
	syn, err := h.d.KB.Synonyms(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	d.Synonyms = kb.FormatSynonyms(syn)
	contexts, err := h.d.KB.PinContexts(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	for _, c := range contexts {
		for _, l := range kb.Locales {
			groups, err := h.d.KB.Pins(ctx, c, l)
			if err != nil {
				h.fail(q, err)
				return
			}
			if len(groups) == 0 {
				continue
			}
			row := kbPinRow{Context: c, Locale: l}
			for _, g := range groups {
				arts, err := h.d.KB.Articles(ctx, desk.ArticleQuery{GroupID: g})
				if err != nil {
					h.fail(q, err)
					return
				}
				if i := slices.IndexFunc(arts, func(a desk.Article) bool { return a.Locale == l }); i >= 0 {
					row.Articles = append(row.Articles, arts[i])
				} else if len(arts) > 0 {
					row.Articles = append(row.Articles, arts[0])
				}
			}
			d.Pins = append(d.Pins, row)
		}
	}
	if d.Theme, err = h.d.KB.Theme(ctx); err != nil {
		h.fail(q, err)
		return
	}
	var links []string
	for _, l := range d.Theme.Links {
		links = append(links, l.Label+" | "+l.URL)
	}
	d.Links = strings.Join(links, "\n")
	h.render(q.w, q, http.StatusOK, "kb_settings", "kb/settings", d)
}

const settingsPath = "/app/kb/settings"

func (h *Handler) kbSetSynonyms(q *req) {
	groups := kb.ParseSynonyms(q.r.PostFormValue("synonyms"))
	if err := h.d.KB.SetSynonyms(q.r.Context(), groups); err != nil {
		h.failed(q, settingsPath, err)
		return
	}
	h.back(q, settingsPath, flash{Kind: "ok", Key: "flash.saved"})
}

func (h *Handler) kbSetPins(q *req) {
	ctx := q.r.Context()
	f := q.r.PostForm
	locale := f.Get("locale")
	groups, err := h.groupsOf(ctx, "articles", f.Get("articles"))
	if err != nil {
		h.failed(q, settingsPath, err)
		return
	}
	if err := h.d.KB.SetPins(ctx, strings.TrimSpace(f.Get("context")), locale, groups); err != nil {
		h.failed(q, settingsPath, err)
		return
	}
	h.back(q, settingsPath, flash{Kind: "ok", Key: "flash.saved"})
}

func (h *Handler) kbSetTheme(q *req) {
	f := q.r.PostForm
	t := kb.Theme{Name: f.Get("name"), LogoURL: strings.TrimSpace(f.Get("logo_url")),
		PrimaryColor: strings.TrimSpace(f.Get("primary_color")), ContactURL: strings.TrimSpace(f.Get("contact_url")),
		Footer: strings.TrimSpace(f.Get("footer"))}
	for _, l := range lines(f.Get("links")) {
		label, u, ok := strings.Cut(l, "|")
		if !ok {
			h.failed(q, settingsPath, desk.Invalid("links", "one link a line: label | URL"))
			return
		}
		t.Links = append(t.Links, kb.Link{Label: strings.TrimSpace(label), URL: strings.TrimSpace(u)})
	}
	if err := h.d.KB.SetTheme(q.r.Context(), t); err != nil {
		h.failed(q, settingsPath, err)
		return
	}
	h.back(q, settingsPath, flash{Kind: "ok", Key: "flash.saved"})
}
