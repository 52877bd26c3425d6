package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/flow"
	"github.com/balie-dev/balie/internal/front"
	"github.com/balie-dev/balie/internal/wire"
)

// The front line: categories, suggestions, saved replies, AI drafts,
// flows (public runs), business hours.

type topicJSON struct {
	Key            string `json:"key"`
	NameNL         string `json:"name_nl"`
	NameEN         string `json:"name_en"`
	TeamID         int64  `json:"team_id"`
	FlowGroupID    int64  `json:"flow_group_id"`
	ArticleGroupID int64  `json:"article_group_id"`
	HumanOnly      bool   `json:"human_only"`
}

type topicsJSON struct {
	Items []topicJSON `json:"items"`
}

type setCategoryIn struct {
	Category string `json:"category"`
}

type classifyOut struct {
	Category    string  `json:"category"`
	Probability float64 `json:"probability"`
	Confident   bool    `json:"confident"`
	Language    string  `json:"language"`
}

type classifyIn struct {
	Text string `json:"text"`
}

type suggestionOut struct {
	Kind  string  `json:"kind" enum:"saved,article,reply"`
	Ref   string  `json:"ref"`
	Title string  `json:"title"`
	Body  string  `json:"body"`
	Score float64 `json:"score"`
}

type usedIn struct {
	Kind   string `json:"kind" enum:"saved,article,reply,draft"`
	Ref    string `json:"ref"`
	Edited bool   `json:"edited"`
}

type savedReplyJSON struct {
	ID       int64  `json:"id"`
	TeamID   int64  `json:"team_id"`
	Locale   string `json:"locale"`
	Title    string `json:"title"`
	Body     string `json:"body"`
	Shortcut string `json:"shortcut"`
	Category string `json:"category"`
	Uses     int    `json:"uses"`
}

type draftOut struct {
	Text      string      `json:"text"`
	Citations []citedJSON `json:"citations"`
}

type citedJSON struct {
	N     int    `json:"n"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

type summaryOut struct {
	Summary string `json:"summary"`
}

type aiJSON struct {
	Enabled    bool   `json:"enabled"`
	BaseURL    string `json:"base_url"`
	Model      string `json:"model"`
	APIKey     string `json:"api_key,omitempty"` // write only
	HasKey     bool   `json:"has_key"`
	AllowLocal bool   `json:"allow_local"`
}

type flowRunIn struct {
	Answer string `json:"answer"`
}

type flowRunOut struct {
	RunID   int64     `json:"run_id"`
	Outcome string    `json:"outcome"`
	View    flow.View `json:"view"`
	Text    string    `json:"text"` // the view as plain text with numbered choices
}

func (h *Handler) frontRoutes(r func(method, path string, role desk.Role, summary string, fn func(http.ResponseWriter, *http.Request) error) Route) []Route {
	A, S, X := desk.RoleAgent, desk.RoleSupervisor, desk.RoleAdmin
	return []Route{
		r("GET", "/categories", A, "The company's conversation categories", h.listCategories).io(nil, topicsJSON{}),
		r("PUT", "/categories", X, "Replace the category list", h.setCategories).io(topicsJSON{}, topicsJSON{}),
		r("POST", "/classify", A, "What a text is about, by the classifier", h.classify).io(classifyIn{}, classifyOut{}),
		r("PUT", "/conversations/{id}/category", A, "Set or correct a conversation's category (teaches the classifier)", h.setConversationCategory).io(setCategoryIn{}, wire.Conversation{}),
		r("GET", "/conversations/{id}/suggestions", A, "Ranked ready answers for a conversation", h.suggestions).io(nil, list[suggestionOut]{}),
		r("POST", "/conversations/{id}/suggestions/used", A, "Record that a suggestion was sent (as is or edited)", h.suggestionUsed).io(usedIn{}, nil),
		r("POST", "/conversations/{id}/messages/{n}/retry", A, "Send a failed message again", h.retryMessage).io(nil, wire.Message{}),
		r("POST", "/conversations/{id}/draft", A, "Draft an answer from the knowledge base with generative AI", h.aiDraft).io(nil, draftOut{}),
		r("POST", "/conversations/{id}/summary", A, "Summarise a conversation with generative AI", h.aiSummary).io(nil, summaryOut{}),
		r("GET", "/replies", A, "Saved replies the caller may use", h.listReplies).io(nil, list[savedReplyJSON]{}).query("locale"),
		r("POST", "/replies", S, "Create a saved reply", h.createReply).io(savedReplyJSON{}, savedReplyJSON{}),
		r("PUT", "/replies/{id}", S, "Change a saved reply", h.updateReply).io(savedReplyJSON{}, savedReplyJSON{}),
		r("DELETE", "/replies/{id}", S, "Delete a saved reply", h.deleteReply),
		r("GET", "/ai", X, "The generative-AI provider (the key is never shown)", h.getAI).io(nil, aiJSON{}),
		r("PUT", "/ai", X, "Configure the generative-AI provider", h.setAI).io(aiJSON{}, aiJSON{}),
		r("POST", "/flows/{id}/runs", "", "Start a published flow", h.startFlowRun).io(nil, flowRunOut{}),
		r("POST", "/flow-runs/{id}", "", "Answer the current step of a flow run", h.answerFlowRun).io(flowRunIn{}, flowRunOut{}),
	}
}

func categoryOut(c front.Category) topicJSON {
	return topicJSON{Key: c.Key, NameNL: c.NameNL, NameEN: c.NameEN, TeamID: c.TeamID, FlowGroupID: c.FlowGroupID,
		ArticleGroupID: c.ArticleGroupID, HumanOnly: c.HumanOnly}
}

func (h *Handler) listCategories(w http.ResponseWriter, r *http.Request) error {
	cs, err := h.Front.Categories(r.Context())
	if err != nil {
		return err
	}
	out := topicsJSON{Items: make([]topicJSON, len(cs))}
	for i, c := range cs {
		out.Items[i] = categoryOut(c)
	}
	return write(w, http.StatusOK, out)
}

func (h *Handler) setCategories(w http.ResponseWriter, r *http.Request) error {
	var in topicsJSON
	if err := decode(w, r, &in); err != nil {
		return err
	}
	cs := make([]front.Category, len(in.Items))
	for i, c := range in.Items {
		cs[i] = front.Category{Key: c.Key, NameNL: c.NameNL, NameEN: c.NameEN, TeamID: c.TeamID, FlowGroupID: c.FlowGroupID,
			ArticleGroupID: c.ArticleGroupID, HumanOnly: c.HumanOnly}
	}
	if err := h.Front.SetCategories(r.Context(), cs); err != nil {
		return err
	}
	if err := h.Front.Retrain(r.Context()); err != nil {
		return err
	}
	return h.listCategories(w, r)
}

func (h *Handler) classify(w http.ResponseWriter, r *http.Request) error {
	var in classifyIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	c := h.Front.Classify(in.Text)
	return write(w, http.StatusOK, classifyOut{Category: c.Category, Probability: c.P, Confident: c.OK, Language: c.Language})
}

func (h *Handler) setConversationCategory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in setCategoryIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	c, err := h.Front.SetCategory(r.Context(), principal(r).Agent, id, in.Category)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, wire.FromConversation(c))
}

func (h *Handler) suggestions(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ss, err := h.Front.Suggest(r.Context(), principal(r).Agent, id)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, listOf(ss, func(s *front.Suggestion) suggestionOut {
		return suggestionOut{Kind: s.Kind, Ref: s.Ref, Title: s.Title, Body: s.Body, Score: s.Score}
	}))
}

func (h *Handler) suggestionUsed(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in usedIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := h.Front.UsedSuggestion(r.Context(), principal(r).Agent, id, in.Kind, in.Ref, in.Edited); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) aiDraft(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := h.Front.DraftReply(r.Context(), id)
	if err != nil {
		return err
	}
	out := draftOut{Text: d.Text, Citations: []citedJSON{}}
	for _, c := range d.Citations {
		out.Citations = append(out.Citations, citedJSON{N: c.N, Title: c.Title, URL: c.URL})
	}
	return write(w, http.StatusOK, out)
}

func (h *Handler) aiSummary(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	locale := principal(r).Agent.Locale
	s, err := h.Front.Summarise(r.Context(), id, locale)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, summaryOut{Summary: s})
}

func replyOut(r *desk.SavedReply) savedReplyJSON {
	return savedReplyJSON{ID: r.ID, TeamID: r.TeamID, Locale: r.Locale, Title: r.Title, Body: r.Body,
		Shortcut: r.Shortcut, Category: r.Category, Uses: r.Uses}
}

func (h *Handler) listReplies(w http.ResponseWriter, r *http.Request) error {
	locale, err := queryLocale(r)
	if err != nil {
		return err
	}
	rs, err := h.Front.Replies(r.Context(), principal(r).Agent, locale)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, listOf(rs, replyOut))
}

func (h *Handler) createReply(w http.ResponseWriter, r *http.Request) error {
	var in savedReplyJSON
	if err := decode(w, r, &in); err != nil {
		return err
	}
	rep := &desk.SavedReply{TeamID: in.TeamID, Locale: in.Locale, Title: in.Title, Body: in.Body, Shortcut: in.Shortcut, Category: in.Category}
	if err := h.Front.SaveReply(r.Context(), principal(r).Agent, rep); err != nil {
		return err
	}
	return write(w, http.StatusCreated, replyOut(rep))
}

func (h *Handler) updateReply(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in savedReplyJSON
	if err := decode(w, r, &in); err != nil {
		return err
	}
	rep, err := h.Front.Reply(r.Context(), id)
	if err != nil {
		return fmt.Errorf("saved reply %d: %w", id, err)
	}
	rep.TeamID, rep.Locale, rep.Title, rep.Body, rep.Shortcut, rep.Category = in.TeamID, in.Locale, in.Title, in.Body, in.Shortcut, in.Category
	if err := h.Front.SaveReply(r.Context(), principal(r).Agent, rep); err != nil {
		return err
	}
	return write(w, http.StatusOK, replyOut(rep))
}

func (h *Handler) deleteReply(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.Front.DeleteReply(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) getAI(w http.ResponseWriter, r *http.Request) error {
	a, hasKey, err := h.Front.AISettings(r.Context())
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, aiJSON{Enabled: a.Enabled, BaseURL: a.BaseURL, Model: a.Model, HasKey: hasKey, AllowLocal: a.AllowLocal})
}

func (h *Handler) setAI(w http.ResponseWriter, r *http.Request) error {
	var in aiJSON
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := h.Front.SetAISettings(r.Context(), front.AISettings{Enabled: in.Enabled, BaseURL: in.BaseURL, Model: in.Model,
		APIKey: in.APIKey, AllowLocal: in.AllowLocal}); err != nil {
		return err
	}
	return h.getAI(w, r)
}

// flowVisitor is the key of an API caller's runs: the signed-in agent, or
// the caller's address.
func flowVisitor(r *http.Request) string {
	if p := principal(r); p != nil && p.Agent != nil {
		return "agent-" + strconv.FormatInt(p.Agent.ID, 10)
	}
	return "api-" + visitor(r).IP
}

func (h *Handler) startFlowRun(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := h.Flows.Flow(r.Context(), id)
	if err != nil || f.Status != desk.ArticlePublished {
		return fmt.Errorf("flow %d: %w", id, desk.ErrNotFound)
	}
	run, view, err := h.Flows.StartRun(r.Context(), flow.RunInput{FlowID: id, Source: desk.SourceAPI, VisitorKey: flowVisitor(r)})
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, flowRunOut{RunID: run.ID, Outcome: string(run.Outcome), View: view, Text: view.Plain()})
}

func (h *Handler) answerFlowRun(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in flowRunIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	run, view, err := h.Flows.AnswerRun(r.Context(), id, in.Answer, flowVisitor(r))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, flowRunOut{RunID: run.ID, Outcome: string(run.Outcome), View: view, Text: view.Plain()})
}

func (h *Handler) retryMessage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	mid, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
	if err != nil {
		return fmt.Errorf("message %q: %w", r.PathValue("n"), desk.ErrNotFound)
	}
	m, err := h.Store.MessageByID(r.Context(), mid)
	if err != nil || m.ConversationID != id {
		return fmt.Errorf("message %d: %w", mid, desk.ErrNotFound)
	}
	m, err = h.Conversations.Retry(r.Context(), mid)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, wire.FromMessage(m))
}
