package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/front"
)

// The digital front line in the workspace: the conversation page shows the
// category (and lets any agent correct it, which trains the classifier),
// the language, what the bot did before it handed over, and suggested
// replies; admins edit the categories, business hours and training
// examples under /admin/front and each inbox's bot; saved replies live
// under /app/replies.

// frontRoutes registers the front line's pages.
func (h *Handler) frontRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /app/conversations/{id}/category", h.frontGuard(desk.RoleAgent, h.postCategory))
	mux.HandleFunc("GET /admin/front", h.frontGuard(desk.RoleAdmin, h.frontAdmin))
	mux.HandleFunc("POST /admin/front/categories", h.frontGuard(desk.RoleAdmin, h.frontSetCategories))
	mux.HandleFunc("POST /admin/front/hours", h.frontGuard(desk.RoleAdmin, h.frontSetHours))
	mux.HandleFunc("POST /admin/front/examples", h.frontGuard(desk.RoleAdmin, h.frontImport))
	mux.HandleFunc("POST /admin/inboxes/{id}/bot", h.frontGuard(desk.RoleAdmin, h.adminInboxBot))

	mux.HandleFunc("GET /app/replies", h.frontGuard(desk.RoleAgent, h.replies))
	mux.HandleFunc("POST /app/replies", h.frontGuard(desk.RoleSupervisor, h.createReply))
	mux.HandleFunc("GET /app/replies/{id}", h.frontGuard(desk.RoleSupervisor, h.editReply))
	mux.HandleFunc("POST /app/replies/{id}", h.frontGuard(desk.RoleSupervisor, h.updateReply))
	mux.HandleFunc("POST /app/replies/{id}/delete", h.frontGuard(desk.RoleSupervisor, h.deleteReply))
	h.aiRoutes(mux)
}

// frontGuard admits agents of at least role min, and answers 404 when the
// handler has no front line.
func (h *Handler) frontGuard(min desk.Role, fn func(*req)) http.HandlerFunc {
	return h.guard(func(r desk.Role) bool { return r.AtLeast(min) }, maxForm, func(q *req) {
		if h.d.Front == nil {
			h.errorPage(q.w, q.r, q.locale, q, http.StatusNotFound)
			return
		}
		fn(q)
	})
}

// --- the conversation page

// frontData is the front line's part of the conversation page.
type frontData struct {
	On         bool
	Categories []front.Category
	// Category is the conversation's category in the agent's language.
	Category string
	// Bot is what the bot did before a person took over (nil: nothing).
	Bot         *front.BotSummary
	Suggestions []front.Suggestion
	// Draft fills the reply box with a suggestion to edit (?use=kind:ref);
	// DraftKind and DraftRef go along so that sending it is recorded.
	Draft, DraftKind, DraftRef string
	// AI shows "Draft with AI" and "Summarise": a provider is configured.
	AI bool
	// DraftOriginal is a drafted reply as the AI wrote it, sent along so
	// that the reply is recorded as edited when the agent changed it;
	// Citations are the articles the draft cites.
	DraftOriginal string
	Citations     []front.Cited
	// Summary is the AI's summary of the conversation, once asked for.
	Summary string
}

// frontPanel fills what the facts line and the manage panel show of the
// front line.
func (h *Handler) frontPanel(ctx context.Context, locale string, c *desk.Conversation, d *frontData) error {
	if h.d.Front == nil {
		return nil
	}
	cats, err := h.d.Front.Categories(ctx)
	if err != nil {
		return err
	}
	d.On, d.Categories, d.Category = true, cats, c.Category
	if i := slices.IndexFunc(cats, func(k front.Category) bool { return k.Key == c.Category }); i >= 0 {
		d.Category = cats[i].Name(locale)
	}
	return nil
}

// frontPage adds the bot's summary and the suggested replies.
func (h *Handler) frontPage(q *req, c *desk.Conversation, d *frontData) error {
	if h.d.Front == nil {
		return nil
	}
	ctx := q.r.Context()
	if sum, ok := h.d.Front.State(ctx, c.ID); ok {
		d.Bot = &sum
	}
	// A provider that cannot be read hides the buttons; the page stands.
	if ai, _, err := h.d.Front.AISettings(ctx); err != nil {
		h.log.Warn("web: ai settings", "err", err)
	} else {
		d.AI = ai.Enabled
	}
	var err error
	if d.Suggestions, err = h.d.Front.Suggest(ctx, q.agent, c.ID); err != nil {
		return err
	}
	// "Edit" without the script: the page again, with the suggestion in
	// the reply box.
	if use := q.r.URL.Query().Get("use"); use != "" {
		kind, ref, _ := strings.Cut(use, ":")
		for _, s := range d.Suggestions {
			if s.Kind == kind && s.Ref == ref {
				d.Draft, d.DraftKind, d.DraftRef = s.Body, s.Kind, s.Ref
			}
		}
	}
	return nil
}

// usedSuggestion records that a reply was a suggestion (edited or not),
// so that the ranking learns. The reply is sent already: a failure here is
// logged, not shown.
func (h *Handler) usedSuggestion(q *req, convID int64) {
	kind := q.r.PostFormValue("suggestion_kind")
	if kind == "" || h.d.Front == nil {
		return
	}
	edited := q.r.PostFormValue("suggestion_edited") == "1"
	if kind == "draft" {
		edited = draftEdited(q.r.PostFormValue("body"), q.r.PostFormValue("draft_original"))
	}
	if err := h.d.Front.UsedSuggestion(q.r.Context(), q.agent, convID, kind, q.r.PostFormValue("suggestion_ref"), edited); err != nil {
		h.log.Warn("web: record suggestion", "conversation", convID, "err", err)
	}
}

// postCategory is an agent setting or correcting a conversation's
// category; the front line learns from it.
func (h *Handler) postCategory(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	to := convURL(id)
	if _, err := h.d.Front.SetCategory(q.r.Context(), q.agent, id, q.r.PostFormValue("category")); err != nil {
		h.failed(q, to, err)
		return
	}
	h.back(q, to, flash{Kind: "ok", Key: "flash.category_saved"})
}

// --- admin: categories, business hours, training examples

type frontAdminData struct {
	Rows  []categoryRow // the categories, then an empty row to add one
	Teams []desk.Team
	Flows []desk.Flow // published flows, for a category's flow
	Zone  string
	Days  []dayRow
	// Test is the classifier test box's text; Result its answer.
	Test       string
	Result     *front.Classification
	ResultName string
	// AI is the generative-AI provider's section.
	AI aiForm
}

type categoryRow struct {
	N int
	C front.Category
}

type dayRow struct {
	N           int // 0 Sunday .. 6 Saturday
	Open, Close string
}

// weekdays lists the days Monday first, as people in the Netherlands read a
// week.
var weekdays = []int{1, 2, 3, 4, 5, 6, 0}

func (h *Handler) frontAdmin(q *req) { h.frontAdminPage(q, http.StatusOK, nil) }

// frontAdminPage renders /admin/front; ai, when not nil, is the provider
// form as an admin typed it, with the reason it was refused.
func (h *Handler) frontAdminPage(q *req, status int, ai *aiForm) {
	ctx := q.r.Context()
	cats, err := h.d.Front.Categories(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	d := frontAdminData{}
	for i, c := range cats {
		d.Rows = append(d.Rows, categoryRow{N: i, C: c})
	}
	d.Rows = append(d.Rows, categoryRow{N: len(cats)})
	if d.Teams, err = h.d.Store.ListTeams(ctx); err != nil {
		h.fail(q, err)
		return
	}
	if h.d.Flows != nil {
		if d.Flows, err = h.d.Flows.List(ctx, "", desk.ArticlePublished); err != nil {
			h.fail(q, err)
			return
		}
	}
	hours := h.d.Front.Hours(ctx)
	d.Zone = hours.Zone
	for _, n := range weekdays {
		span := hours.Days[strconv.Itoa(n)]
		d.Days = append(d.Days, dayRow{N: n, Open: span[0], Close: span[1]})
	}
	if t := strings.TrimSpace(q.r.URL.Query().Get("test")); t != "" {
		res := h.d.Front.Classify(t)
		d.Test, d.Result, d.ResultName = t, &res, res.Category
		if c, ok := h.d.Front.Category(ctx, res.Category); ok {
			d.ResultName = c.Name(q.locale)
		}
	}
	stored, hasKey, err := h.d.Front.AISettings(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	d.AI = aiForm{S: stored}
	if ai != nil {
		d.AI = *ai
	}
	d.AI.HasKey = hasKey
	h.render(q.w, q, status, "front_admin", "admin/front", d)
}

const frontPath = "/admin/front"

// maxCategoryRows bounds the editor's rows: front keeps at most 100
// categories, and the form has one empty row more.
const maxCategoryRows = 101

// readCategories reads the category editor: rows key_N, name_nl_N,
// name_en_N, team_N, flow_N, article_N, human_N and delete_N; a row without
// a key is left out.
func readCategories(f url.Values) ([]front.Category, error) {
	n, err := strconv.Atoi(f.Get("rows"))
	if err != nil || n < 0 || n > maxCategoryRows {
		return nil, desk.Invalid("categories", "the form is incomplete")
	}
	cats := []front.Category{}
	for i := range n {
		p := "_" + strconv.Itoa(i)
		key := strings.TrimSpace(f.Get("key" + p))
		if key == "" || f.Get("delete"+p) == "1" {
			continue
		}
		c := front.Category{Key: key, NameNL: f.Get("name_nl" + p), NameEN: f.Get("name_en" + p),
			HumanOnly: f.Get("human"+p) == "1"}
		for _, fld := range []struct {
			name string
			dst  *int64
		}{{"team", &c.TeamID}, {"flow", &c.FlowGroupID}, {"article", &c.ArticleGroupID}} {
			v := strings.TrimSpace(f.Get(fld.name + p))
			if v == "" {
				continue
			}
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id < 0 {
				return nil, desk.Invalid(fld.name+"_id", "not an id")
			}
			*fld.dst = id
		}
		cats = append(cats, c)
	}
	return cats, nil
}

func (h *Handler) frontSetCategories(q *req) {
	ctx := q.r.Context()
	cats, err := readCategories(q.r.PostForm)
	if err == nil {
		err = h.d.Front.SetCategories(ctx, cats)
	}
	if err != nil {
		h.failed(q, frontPath, err)
		return
	}
	// The classifier knows only the categories in the list: a new or
	// removed one changes what it can say.
	if err := h.d.Front.Retrain(ctx); err != nil {
		h.failed(q, frontPath, err)
		return
	}
	h.back(q, frontPath, flash{Kind: "ok", Key: "flash.saved"})
}

func (h *Handler) frontSetHours(q *req) {
	f := q.r.PostForm
	hours := front.BusinessHours{Zone: strings.TrimSpace(f.Get("zone")), Days: map[string][2]string{}}
	for n := range 7 {
		d := strconv.Itoa(n)
		o, c := strings.TrimSpace(f.Get("open_"+d)), strings.TrimSpace(f.Get("close_"+d))
		if o == "" && c == "" {
			continue // closed
		}
		hours.Days[d] = [2]string{o, c}
	}
	if err := h.d.Front.SetHours(q.r.Context(), hours); err != nil {
		h.failed(q, frontPath, err)
		return
	}
	h.back(q, frontPath, flash{Kind: "ok", Key: "flash.saved"})
}

// maxExamples bounds one import; a bigger set is for the command line.
const maxExamples = 5000

// readExamples reads "category<TAB>text" lines.
func readExamples(s string) ([]desk.IntentExample, error) {
	var out []desk.IntentExample
	for i, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		cat, text, ok := strings.Cut(l, "\t")
		if !ok || strings.TrimSpace(cat) == "" || strings.TrimSpace(text) == "" {
			return nil, desk.Invalid("examples", fmt.Sprintf("line %d: category, a tab, then the text", i+1))
		}
		out = append(out, desk.IntentExample{Category: strings.TrimSpace(cat), Text: strings.TrimSpace(text)})
		if len(out) > maxExamples {
			return nil, desk.Invalid("examples", fmt.Sprintf("at most %d examples at once", maxExamples))
		}
	}
	if len(out) == 0 {
		return nil, desk.Invalid("examples", "no examples")
	}
	return out, nil
}

func (h *Handler) frontImport(q *req) {
	ex, err := readExamples(q.r.PostFormValue("examples"))
	if err == nil {
		_, err = h.d.Front.ImportExamples(q.r.Context(), ex)
	}
	if err != nil {
		h.failed(q, frontPath, err)
		return
	}
	h.back(q, frontPath, flash{Kind: "ok", Key: "flash.examples_imported"})
}

// --- an inbox's bot and proactive chat

// Inbox settings of the bot (front.BotConfigOf reads them) and of the
// widget's proactive chat.
const (
	settingBot          = "bot"
	settingBotGreetNL   = "bot_greeting_nl"
	settingBotGreetEN   = "bot_greeting_en"
	settingBotThreshold = "bot_threshold"
	settingBotHumanOnly = "bot_human_only"
	settingBotTone      = "bot_tone"
	settingProactive    = "proactive"
)

// botForm is an inbox's bot section.
type botForm struct {
	Enabled    bool
	GreetingNL string
	GreetingEN string
	Threshold  string
	HumanOnly  []string
	Formal     bool
	Proactive  string
	Categories []front.Category
}

func (h *Handler) botFormOf(ctx context.Context, in *desk.Inbox) (*botForm, error) {
	if h.d.Front == nil {
		return nil, nil
	}
	cats, err := h.d.Front.Categories(ctx)
	if err != nil {
		return nil, err
	}
	s := in.Settings
	cfg := front.BotConfigOf(in)
	b := &botForm{Enabled: cfg.Enabled, GreetingNL: s[settingBotGreetNL], GreetingEN: s[settingBotGreetEN],
		Threshold: s[settingBotThreshold], HumanOnly: cfg.HumanOnly, Formal: cfg.Formal, Categories: cats}
	if p := s[settingProactive]; p != "" {
		// Shown indented, for people to read and edit.
		var buf bytes.Buffer
		if json.Indent(&buf, []byte(p), "", "  ") == nil {
			p = buf.String()
		}
		b.Proactive = p
	}
	return b, nil
}

// proactiveTrigger is one rule that opens the widget with a message.
type proactiveTrigger struct {
	URL          string `json:"url"` // a path glob: "/checkout*"
	AfterSeconds int    `json:"after_seconds"`
	Returning    bool   `json:"returning"`
	FailedSearch bool   `json:"failed_search"`
	MessageNL    string `json:"message_nl"`
	MessageEN    string `json:"message_en"`
}

// Limits of the proactive triggers.
const (
	maxTriggers       = 20
	maxTriggerMessage = 500
	maxTriggerWait    = 3600
)

// parseProactive checks an admin's triggers and returns them compact, as
// the widget reads them; "" means none.
func parseProactive(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	var ts []proactiveTrigger
	if err := dec.Decode(&ts); err != nil {
		return "", desk.Invalid("proactive", "a JSON list of triggers: "+err.Error())
	}
	if dec.More() {
		return "", desk.Invalid("proactive", "data after the list")
	}
	if len(ts) > maxTriggers {
		return "", desk.Invalid("proactive", fmt.Sprintf("at most %d triggers", maxTriggers))
	}
	for i, t := range ts {
		n := i + 1
		switch {
		case !strings.HasPrefix(t.URL, "/") || len(t.URL) > 200 || strings.ContainsAny(t.URL, " \t\n"):
			return "", desk.Invalid("proactive", fmt.Sprintf("trigger %d: url must be a path starting with /", n))
		case strings.TrimSpace(t.MessageNL) == "" && strings.TrimSpace(t.MessageEN) == "":
			return "", desk.Invalid("proactive", fmt.Sprintf("trigger %d: a message in Dutch or English", n))
		case utf8.RuneCountInString(t.MessageNL) > maxTriggerMessage || utf8.RuneCountInString(t.MessageEN) > maxTriggerMessage:
			return "", desk.Invalid("proactive", fmt.Sprintf("trigger %d: messages of at most %d characters", n, maxTriggerMessage))
		case t.AfterSeconds < 0 || t.AfterSeconds > maxTriggerWait:
			return "", desk.Invalid("proactive", fmt.Sprintf("trigger %d: after_seconds from 0 to %d", n, maxTriggerWait))
		}
	}
	b, err := json.Marshal(ts)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// readBot reads the bot section into the inbox's settings.
func readBot(f url.Values, in *desk.Inbox, cats []front.Category) error {
	set := func(k, v string) {
		if v == "" {
			delete(in.Settings, k)
		} else {
			in.Settings[k] = v
		}
	}
	if in.Settings == nil {
		in.Settings = map[string]string{}
	}
	nl, en := strings.TrimSpace(f.Get("greeting_nl")), strings.TrimSpace(f.Get("greeting_en"))
	if len(nl) > 500 || len(en) > 500 {
		return desk.Invalid("greeting", "at most 500 bytes")
	}
	threshold := strings.TrimSpace(f.Get("threshold"))
	if threshold != "" {
		t, err := strconv.ParseFloat(strings.ReplaceAll(threshold, ",", "."), 64)
		if err != nil || t <= 0 || t > 1 {
			return desk.Invalid("threshold", "a number above 0 and at most 1")
		}
		threshold = strconv.FormatFloat(t, 'f', -1, 64)
	}
	var human []string
	for _, k := range f["human_only"] {
		if !slices.ContainsFunc(cats, func(c front.Category) bool { return c.Key == k }) {
			return desk.Invalid("category", fmt.Sprintf("unknown category %q", k))
		}
		if !slices.Contains(human, k) {
			human = append(human, k)
		}
	}
	tone := f.Get("tone")
	if tone != "formal" && tone != "informal" {
		tone = "informal"
	}
	proactive, err := parseProactive(f.Get("proactive"))
	if err != nil {
		return err
	}
	bot := "off"
	if f.Get("bot") == "on" {
		bot = "on"
	}
	set(settingBot, bot)
	set(settingBotGreetNL, nl)
	set(settingBotGreetEN, en)
	set(settingBotThreshold, threshold)
	set(settingBotHumanOnly, strings.Join(human, ","))
	set(settingBotTone, tone)
	set(settingProactive, proactive)
	return nil
}

func (h *Handler) adminInboxBot(q *req) {
	if !q.may(auth.InboxesManage) {
		h.refuse(q)
		return
	}
	ctx := q.r.Context()
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	to := "/admin/inboxes/" + strconv.FormatInt(id, 10) + "#bot"
	in, err := h.d.Store.InboxByID(ctx, id)
	if err != nil {
		h.failed(q, to, err)
		return
	}
	cats, err := h.d.Front.Categories(ctx)
	if err != nil {
		h.failed(q, to, err)
		return
	}
	if err := readBot(q.r.PostForm, in, cats); err != nil {
		h.failed(q, to, err)
		return
	}
	if err := h.d.Store.UpdateInbox(ctx, in); err != nil {
		h.failed(q, to, err)
		return
	}
	h.adminChanged()
	h.back(q, to, flash{Kind: "ok", Key: "flash.saved"})
}

// --- error texts on re-rendered forms

// errorText describes a refused save in the agent's language, for forms
// that are shown again with what was typed.
func (h *Handler) errorText(locale string, err error) string {
	c := h.cats[locale]
	var ve *desk.ValidationError
	switch {
	case errors.As(err, &ve):
		label, ok := c["field."+ve.Field]
		if !ok {
			label = c["field.unknown"]
		}
		return c.T("flash.invalid", label) + " " + ve.Reason
	case errors.Is(err, desk.ErrInvalid):
		return c.T("flash.invalid_plain") + " " + reasonOf(err)
	case errors.Is(err, desk.ErrConflict):
		return c.T("flash.conflict")
	case errors.Is(err, desk.ErrNotFound):
		return c.T("flash.not_found")
	}
	return c.T("flash.error")
}

// reasonOf is a service's reason without its package prefix and the
// sentinel's text: "flow: a flow needs a title: invalid" → "a flow needs a
// title".
func reasonOf(err error) string {
	s := err.Error()
	if _, rest, ok := strings.Cut(s, ": "); ok && !strings.Contains(s[:len(s)-len(rest)-2], " ") {
		s = rest
	}
	s = strings.TrimSuffix(s, ": "+desk.ErrInvalid.Error())
	return s
}
