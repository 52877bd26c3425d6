package front

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb"
	"github.com/balie-dev/balie/internal/lang"
)

// Saved replies and suggested replies. In the conversation view an agent
// gets a short ranked list of ready answers for this conversation: the
// team's saved replies, knowledge-base articles, and what colleagues
// replied to similar questions before. Variables ({{contact.first_name}},
// {{order.number}}, ...) are filled in. What agents pick, and whether they
// edit it first, moves a suggestion up or down for conversations of the
// same category.

// Limits of a saved reply.
const (
	maxReplyTitle = 120
	maxReplyBody  = 8000
)

var shortcutRe = regexp.MustCompile(`^/[a-z0-9][a-z0-9_-]{0,29}$`)

// SaveReply creates (ID 0) or updates a saved reply.
func (s *Service) SaveReply(ctx context.Context, by *desk.Agent, r *desk.SavedReply) error {
	r.Title, r.Body, r.Shortcut = strings.TrimSpace(r.Title), strings.TrimSpace(r.Body), strings.TrimSpace(r.Shortcut)
	switch {
	case r.Title == "" || utf8.RuneCountInString(r.Title) > maxReplyTitle:
		return desk.Invalid("title", fmt.Sprintf("1 to %d characters", maxReplyTitle))
	case r.Body == "" || utf8.RuneCountInString(r.Body) > maxReplyBody:
		return desk.Invalid("body", fmt.Sprintf("1 to %d characters", maxReplyBody))
	case r.Locale != "nl" && r.Locale != "en":
		return desk.Invalid("locale", "nl or en")
	case r.Shortcut != "" && !shortcutRe.MatchString(r.Shortcut):
		return desk.Invalid("shortcut", "a slash and lower-case letters, digits, - or _ (\"/retour\")")
	}
	if r.Category != "" {
		if _, ok := s.Category(ctx, r.Category); !ok {
			return desk.Invalid("category", fmt.Sprintf("unknown category %q", r.Category))
		}
	}
	if r.TeamID != 0 {
		if _, err := s.st.TeamByID(ctx, r.TeamID); err != nil {
			return desk.Invalid("team_id", "unknown team")
		}
	}
	if r.ID == 0 {
		r.AgentID, r.CreatedAt = by.ID, s.clock.Now()
		return s.st.CreateSavedReply(ctx, r)
	}
	return s.st.UpdateSavedReply(ctx, r)
}

// DeleteReply removes a saved reply.
func (s *Service) DeleteReply(ctx context.Context, id int64) error {
	return s.st.DeleteSavedReply(ctx, id)
}

// Reply returns one saved reply.
func (s *Service) Reply(ctx context.Context, id int64) (*desk.SavedReply, error) {
	return s.st.SavedReplyByID(ctx, id)
}

// Replies lists the saved replies an agent may use: their teams' and the
// shared ones (every team's for supervisors and admins, who manage them).
func (s *Service) Replies(ctx context.Context, by *desk.Agent, locale string) ([]desk.SavedReply, error) {
	return s.st.ListSavedReplies(ctx, desk.SavedReplyQuery{TeamIDs: by.TeamIDs,
		AllTeams: by.Role.AtLeast(desk.RoleSupervisor), Locale: locale})
}

// Suggestion is a ready answer for a conversation.
type Suggestion struct {
	Kind  string // "saved", "article", "reply"
	Ref   string // the saved reply's, article's or message's id
	Title string
	Body  string // variables filled in
	Score float64
}

// SuggestionLimit is how many suggestions the conversation view shows.
const SuggestionLimit = 5

// Suggest ranks ready answers for a conversation's latest customer
// question.
func (s *Service) Suggest(ctx context.Context, by *desk.Agent, convID int64) ([]Suggestion, error) {
	conv, err := s.st.ConversationByID(ctx, convID)
	if err != nil {
		return nil, err
	}
	msgs, err := s.st.ListMessages(ctx, convID, 0, 200)
	if err != nil {
		return nil, err
	}
	question := ""
	var customerText []string
	for _, m := range msgs {
		if m.Sender == desk.SenderContact && m.Kind == desk.KindMessage {
			question = m.Body
			customerText = append(customerText, m.Body)
		}
	}
	locale := conv.Language
	if locale != "en" {
		locale = "nl"
	}
	vars := s.variables(ctx, conv, by, customerText)
	learned := s.learnedPicks(ctx, conv.Category)
	qTerms := termSet(question)
	var out []Suggestion

	replies, err := s.Replies(ctx, by, locale)
	if err != nil {
		return nil, err
	}
	for _, r := range replies {
		score := 0.2 * similarity(qTerms, termSet(r.Title+" "+r.Body))
		if r.Category != "" && r.Category == conv.Category {
			score += 0.5
		} else if r.Category != "" && conv.Category != "" {
			score -= 0.2
		}
		score += 0.05 * math.Log1p(float64(r.Uses))
		score += learned["saved/"+strconv.FormatInt(r.ID, 10)]
		if score <= 0.05 {
			continue
		}
		out = append(out, Suggestion{Kind: "saved", Ref: strconv.FormatInt(r.ID, 10), Title: r.Title,
			Body: fill(r.Body, vars), Score: score})
	}
	if s.bot != nil && s.bot.kb != nil && question != "" {
		res, err := s.bot.kb.Search(ctx, kb.SearchRequest{Query: question, Locale: locale, Source: desk.SourceAgent,
			Internal: true, NoLog: true, Limit: 3})
		if err == nil {
			for _, h := range res.Hits {
				if !h.Confident() {
					continue
				}
				a := h.Article
				body := a.Title
				if !a.Internal {
					body = fmt.Sprintf(articleLine(locale), a.Title, s.bot.baseURL+"/help/"+a.Locale+"/a/"+a.Slug)
				}
				ref := strconv.FormatInt(a.ID, 10)
				out = append(out, Suggestion{Kind: "article", Ref: ref, Title: a.Title, Body: body,
					Score: 0.3*h.Coverage + learned["article/"+ref]})
			}
		}
	}
	out = append(out, s.earlierReplies(ctx, conv, question, qTerms, learned)...)
	slices.SortStableFunc(out, func(a, b Suggestion) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	if len(out) > SuggestionLimit {
		out = out[:SuggestionLimit]
	}
	for _, sg := range out {
		s.st.AddSuggestionEvent(ctx, &desk.SuggestionEvent{ConversationID: convID, AgentID: by.ID, Kind: sg.Kind,
			Ref: sg.Ref, Category: conv.Category, Action: "shown", At: s.clock.Now()})
	}
	return out, nil
}

func articleLine(locale string) string {
	if locale == "en" {
		return "This article explains it: %s\n%s"
	}
	return "In dit artikel lees je hoe het zit: %s\n%s"
}

// earlierReplies finds what agents answered to similar customer messages
// in other conversations.
func (s *Service) earlierReplies(ctx context.Context, conv *desk.Conversation, question string, qTerms map[string]bool,
	learned map[string]float64) []Suggestion {
	if question == "" || len(qTerms) == 0 {
		return nil
	}
	hits, err := s.search(ctx, question)
	if err != nil {
		return nil
	}
	var out []Suggestion
	for _, h := range hits {
		if h.Conversation.ID == conv.ID || h.MessageID == 0 || len(out) >= 3 {
			continue
		}
		msgs, err := s.st.ListMessages(ctx, h.Conversation.ID, 0, 100)
		if err != nil {
			continue
		}
		for i, m := range msgs {
			if m.ID != h.MessageID || m.Sender != desk.SenderContact {
				continue
			}
			sim := similarity(qTerms, termSet(m.Body))
			if sim < 0.3 {
				break
			}
			for _, r := range msgs[i+1:] {
				if r.Sender == desk.SenderAgent && r.Kind == desk.KindMessage && r.Body != "" {
					ref := strconv.FormatInt(r.ID, 10)
					out = append(out, Suggestion{Kind: "reply", Ref: ref, Title: clip(r.Body, 60), Body: r.Body,
						Score: 0.25*sim + learned["reply/"+ref]})
					break
				}
			}
			break
		}
	}
	return out
}

// search finds conversations with messages like the question.
func (s *Service) search(ctx context.Context, question string) ([]desk.SearchHit, error) {
	// The rarest few words make the query: every word must be in one
	// message, so a whole sentence would find nothing.
	words := lang.Tokens(question)
	var keep []string
	for _, w := range words {
		if len(w) >= 4 && !slices.Contains(keep, w) {
			keep = append(keep, w)
		}
	}
	slices.SortFunc(keep, func(a, b string) int { return len(b) - len(a) })
	if len(keep) > 2 {
		keep = keep[:2]
	}
	// Each word alone: a similar question need not share both.
	var out []desk.SearchHit
	seen := map[int64]bool{}
	for _, w := range keep {
		hits, err := s.st.SearchConversations(ctx, desk.SearchQuery{Text: w, Limit: 10})
		if err != nil {
			return nil, err
		}
		for _, h := range hits {
			if !seen[h.Conversation.ID] {
				seen[h.Conversation.ID] = true
				out = append(out, h)
			}
		}
	}
	return out, nil
}

// learnedPicks turns what agents did with suggestions in a category (the
// last 90 days) into score adjustments: picked as is counts most, edited
// less, shown and ignored a little against.
func (s *Service) learnedPicks(ctx context.Context, category string) map[string]float64 {
	stats, err := s.st.SuggestionStats(ctx, s.clock.Now().Add(-90*24*time.Hour))
	if err != nil {
		return nil
	}
	out := map[string]float64{}
	for _, st := range stats {
		if st.Category != category || st.Shown == 0 {
			continue
		}
		rate := (float64(st.Picked) + 0.5*float64(st.Edited)) / float64(st.Shown+2)
		out[st.Kind+"/"+st.Ref] = 0.6*rate - 0.05
	}
	return out
}

// UsedSuggestion records that an agent sent (edited: after changing) a
// suggestion.
func (s *Service) UsedSuggestion(ctx context.Context, by *desk.Agent, convID int64, kind, ref string, edited bool) error {
	conv, err := s.st.ConversationByID(ctx, convID)
	if err != nil {
		return err
	}
	switch kind {
	case "saved", "article", "reply", "draft":
	default:
		return desk.Invalid("kind", "saved, article, reply or draft")
	}
	action := "picked"
	if edited {
		action = "edited"
	}
	if err := s.st.AddSuggestionEvent(ctx, &desk.SuggestionEvent{ConversationID: convID, AgentID: by.ID, Kind: kind,
		Ref: ref, Category: conv.Category, Action: action, At: s.clock.Now()}); err != nil {
		return err
	}
	if kind == "saved" {
		if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
			return s.st.IncSavedReplyUses(ctx, id)
		}
	}
	return nil
}

var orderRe = regexp.MustCompile(`\b\d{5,10}\b`)

// variables are what {{...}} in a saved reply stands for.
func (s *Service) variables(ctx context.Context, conv *desk.Conversation, by *desk.Agent, customerText []string) map[string]string {
	v := map[string]string{"agent.name": by.Name, "agent.first_name": firstName(by.Name)}
	if c, err := s.st.ContactByID(ctx, conv.ContactID); err == nil {
		v["contact.name"], v["contact.first_name"], v["contact.email"] = c.Name, firstName(c.Name), c.Email
	}
	for i := len(customerText) - 1; i >= 0; i-- {
		if m := orderRe.FindString(customerText[i]); m != "" {
			v["order.number"] = m
			break
		}
	}
	return v
}

var varRe = regexp.MustCompile(`\{\{\s*([a-z_.]+)\s*\}\}`)

// fill replaces known variables; unknown or empty ones stay visible so the
// agent notices before sending.
func fill(body string, vars map[string]string) string {
	return varRe.ReplaceAllStringFunc(body, func(m string) string {
		name := varRe.FindStringSubmatch(m)[1]
		if v := vars[name]; v != "" {
			return v
		}
		return m
	})
}

func firstName(name string) string {
	f, _, _ := strings.Cut(strings.TrimSpace(name), " ")
	return f
}

func termSet(text string) map[string]bool {
	out := map[string]bool{}
	for _, t := range lang.IndexTerms(text) {
		out[t] = true
	}
	return out
}

// similarity is the share of a's terms that b has.
func similarity(a, b map[string]bool) float64 {
	if len(a) == 0 {
		return 0
	}
	n := 0
	for t := range a {
		if b[t] {
			n++
		}
	}
	return float64(n) / float64(len(a))
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
