package postgres

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/lang"
)

// maxTermBytes bounds an indexed term: longer "words" (base64 blobs, long
// URLs) are never searched for and tsvector lexemes have a hard limit.
const maxTermBytes = 200

// indexTerms returns the terms lang indexes for text, fit for
// array_to_tsvector: never nil, no empty or oversized terms.
//
// Terms go into the tsvector as they are (array_to_tsvector, no text search
// configuration), and queries are built from lexemes too, so PostgreSQL's
// parser and dictionaries never disagree with lang.
func indexTerms(text string) []string { return fitTerms(lang.IndexTerms(text)) }

// fitTerms drops terms a tsvector cannot hold.
func fitTerms(terms []string) []string {
	out := make([]string, 0, len(terms))
	for _, t := range terms {
		if t != "" && len(t) <= maxTermBytes && utf8.ValidString(t) {
			out = append(out, t)
		}
	}
	return out
}

// tsQuery builds tsquery text from lang.QueryTerms(text): every word must
// match (&), by any of its alternatives (|). Each term is a quoted lexeme, so
// nothing in the text is read as tsquery syntax. "" when there is nothing to
// search for.
func tsQuery(text string) string {
	var groups []string
	for _, alts := range lang.QueryTerms(text) {
		var quoted []string
		for _, a := range alts {
			if a == "" || len(a) > maxTermBytes || !utf8.ValidString(a) {
				continue
			}
			quoted = append(quoted, quoteLexeme(a))
		}
		if len(quoted) == 0 {
			// A word that cannot be indexed cannot match.
			return ""
		}
		groups = append(groups, "("+strings.Join(quoted, " | ")+")")
	}
	return strings.Join(groups, " & ")
}

// quoteLexeme quotes a term as a tsquery lexeme: within single quotes, a
// quote is doubled and a backslash escaped.
func quoteLexeme(t string) string {
	t = strings.ReplaceAll(t, `\`, `\\`)
	t = strings.ReplaceAll(t, `'`, `''`)
	return "'" + t + "'"
}

// searchCandidates bounds how many matching messages one search looks at
// (at least twice the page): the newest come first, so a common word still
// finds recent conversations, and the work stays bounded however common it
// is.
const searchCandidates = 200

// SearchConversations finds conversations whose messages or notes contain
// every word of the text, or whose contact matches by name words, email or
// phone. One hit per conversation, most recent activity first; a message hit
// carries the newest matching message and a snippet of it.
func (s *Store) SearchConversations(ctx context.Context, q desk.SearchQuery) ([]desk.SearchHit, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 100)
	text := strings.TrimSpace(q.Text)
	tsq, email, phone := contactMatch(text)
	if tsq == nil && email == "" && phone == "" {
		return nil, nil
	}
	// Every step is bounded: at most searchCandidates messages from the GIN
	// index (newest first), 100 contacts, then conversations by primary key,
	// and message bodies only for the page. QueryExecModeExec plans with the
	// actual query: a generic plan cannot tell an absent word from a common
	// one.
	rows, err := s.q.Query(ctx, `WITH
		matched AS MATERIALIZED (
			SELECT m.id, m.conversation_id FROM messages m
			WHERE m.terms @@ $1::tsquery
			ORDER BY m.id DESC LIMIT $5),
		best AS MATERIALIZED (
			SELECT DISTINCT ON (conversation_id) conversation_id, id FROM matched
			ORDER BY conversation_id, id DESC),
		who AS MATERIALIZED (
			SELECT c.id FROM contacts c WHERE `+contactWhere("c", "$1", "$2", "$3")+`
			LIMIT 100),
		found AS (
			SELECT c.*, b.id AS hit_id FROM conversations c
			LEFT JOIN best b ON b.conversation_id = c.id
			WHERE c.id = ANY (ARRAY(
				SELECT conversation_id FROM best
				UNION
				SELECT cv.id FROM conversations cv JOIN who ON cv.contact_id = who.id))
			ORDER BY c.last_activity_at DESC, c.id DESC
			LIMIT $4)
		SELECT `+conversationColumns+`, COALESCE(c.hit_id, 0), COALESCE(m.body, '')
		FROM found c LEFT JOIN messages m ON m.id = c.hit_id
		ORDER BY c.last_activity_at DESC, c.id DESC`,
		pgx.QueryExecModeExec, tsq, email, phone, limit, max(searchCandidates, 2*limit))
	if err != nil {
		return nil, wrap("search conversations", err)
	}
	defer rows.Close()
	words := lang.QueryTerms(text)
	var out []desk.SearchHit
	for rows.Next() {
		var h desk.SearchHit
		var body string
		if h.Conversation, err = scanConversation(rows, &h.MessageID, &body); err != nil {
			return nil, wrap("search conversations", err)
		}
		if h.MessageID != 0 {
			h.Snippet = snippet(body, words, 160)
		}
		out = append(out, h)
	}
	return out, wrap("search conversations", rows.Err())
}

// snippet returns about width runes of body around the first word that
// matches one of the query's terms, or the start of body.
func snippet(body string, words [][]string, width int) string {
	want := map[string]bool{}
	for _, alts := range words {
		for _, a := range alts {
			want[a] = true
		}
	}
	start := 0 // byte offset of the matching word
	inWord := false
	wordStart := 0
	check := func(end int) bool {
		for _, t := range lang.IndexTerms(body[wordStart:end]) {
			if want[t] {
				start = wordStart
				return true
			}
		}
		return false
	}
	found := false
	for i, r := range body {
		letter := unicode.IsLetter(r) || unicode.IsDigit(r)
		switch {
		case letter && !inWord:
			inWord, wordStart = true, i
		case !letter && inWord:
			inWord = false
			found = check(i)
		}
		if found {
			break
		}
	}
	if !found && inWord {
		check(len(body))
	}
	runes := []rune(body)
	if len(runes) <= width {
		return strings.Join(strings.Fields(body), " ")
	}
	// A window around the match, a third of it before; partial words at
	// the cut edges are dropped.
	at := utf8.RuneCountInString(body[:start])
	from := max(0, at-width/3)
	to := min(len(runes), from+width)
	from = max(0, to-width)
	seg := runes[from:to]
	if from > 0 {
		if i := indexSpace(seg); i >= 0 && i < at-from {
			seg = seg[i+1:]
		}
	}
	if to < len(runes) {
		if i := lastSpace(seg); i > len(seg)/2 {
			seg = seg[:i]
		}
	}
	out := strings.Join(strings.Fields(string(seg)), " ")
	if from > 0 {
		out = "…" + out
	}
	if to < len(runes) {
		out += "…"
	}
	return out
}

func indexSpace(rs []rune) int {
	for i, r := range rs {
		if unicode.IsSpace(r) {
			return i
		}
	}
	return -1
}

func lastSpace(rs []rune) int {
	for i := len(rs) - 1; i >= 0; i-- {
		if unicode.IsSpace(rs[i]) {
			return i
		}
	}
	return -1
}
