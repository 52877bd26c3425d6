package sqlite

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/lang"
)

// maxScan bounds how many matching messages one search reads while looking
// for distinct conversations, so that a word in every message of a few huge
// conversations cannot make a search slow.
const maxScan = 5000

// SearchConversations finds conversations whose contact matches the text
// (all name words, the email address, the phone number) and conversations
// with a message or note containing every word of the text. Contact matches
// come first, newest activity first; then message matches, newest message
// first. One hit per conversation.
func (o ops) SearchConversations(ctx context.Context, sq desk.SearchQuery) ([]desk.SearchHit, error) {
	text := strings.TrimSpace(sq.Text)
	if text == "" {
		return nil, nil
	}
	limit := sq.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 100)

	var hits []desk.SearchHit
	seen := map[int64]bool{}
	if m := contactMatch(text); !m.empty() {
		// The unary + keeps SQLite from walking the whole activity index in
		// order and testing each row: few contacts match, so looking their
		// conversations up by contact and sorting those few is far cheaper.
		cs, err := o.conversations(ctx, "search conversations", `SELECT `+convCols+` FROM conversations
			WHERE contact_id IN (`+m.sql+`) ORDER BY +last_activity_at DESC, id DESC LIMIT ?`, append(m.args, limit)...)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			seen[c.ID] = true
			hits = append(hits, desk.SearchHit{Conversation: c})
		}
	}
	if len(hits) >= limit {
		return hits, nil
	}

	groups := lang.QueryTerms(text)
	fq := ftsQuery(groups)
	if fq == "" {
		return hits, nil
	}
	type msgHit struct {
		id, conv int64
		body     string
	}
	var found []msgHit
	// CROSS JOIN keeps the FTS table as the outer loop: matches stream in
	// rowid (message id) order, newest first, and reading stops early.
	rows, err := o.read.QueryContext(ctx, `SELECT m.id, m.conversation_id, m.body
		FROM message_fts CROSS JOIN messages m ON m.id = message_fts.rowid
		WHERE message_fts MATCH ? ORDER BY message_fts.rowid DESC LIMIT ?`, fq, maxScan)
	if err != nil {
		return nil, wrap("search conversations", err)
	}
	for rows.Next() && len(hits)+len(found) < limit {
		var h msgHit
		if err := rows.Scan(&h.id, &h.conv, &h.body); err != nil {
			rows.Close()
			return nil, wrap("search conversations", err)
		}
		if seen[h.conv] {
			continue
		}
		seen[h.conv] = true
		found = append(found, h)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, wrap("search conversations", err)
	}
	if len(found) == 0 {
		return hits, nil
	}

	ids := make([]int64, len(found))
	for i, h := range found {
		ids[i] = h.conv
	}
	cs, err := o.conversations(ctx, "search conversations", `SELECT `+convCols+` FROM conversations
		WHERE id IN (SELECT value FROM json_each(?))`, idsJSON(ids))
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]desk.Conversation, len(cs))
	for _, c := range cs {
		byID[c.ID] = c
	}
	for _, h := range found {
		c, ok := byID[h.conv]
		if !ok {
			continue
		}
		hits = append(hits, desk.SearchHit{Conversation: c, MessageID: h.id, Snippet: snippet(h.body, groups)})
	}
	return hits, nil
}

// snippet cuts about 160 characters of body around the first place where a
// query term appears (terms are often stems, so a substring search finds
// the word they came from), on word boundaries.
func snippet(body string, groups [][]string) string {
	const before, width = 50, 160
	body = strings.Join(strings.Fields(body), " ")
	if utf8.RuneCountInString(body) <= width {
		return body
	}
	lower := strings.ToLower(body)
	at := -1
	for _, alts := range groups {
		for _, t := range alts {
			if i := strings.Index(lower, t); i >= 0 && (at < 0 || i < at) && len(lower) == len(body) {
				at = i
			}
		}
	}
	runes := []rune(body)
	start := 0
	if at > 0 {
		start = max(0, utf8.RuneCountInString(body[:at])-before)
	}
	end := min(len(runes), start+width)
	// Do not cut words in half.
	for start > 0 && start < end && !unicode.IsSpace(runes[start-1]) {
		start++
	}
	for end < len(runes) && end > start && !unicode.IsSpace(runes[end]) {
		end--
	}
	out := strings.TrimSpace(string(runes[start:end]))
	if start > 0 {
		out = "…" + out
	}
	if end < len(runes) {
		out += "…"
	}
	return out
}
