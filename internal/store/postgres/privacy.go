package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/store/personal"
)

// Privacy (desk.PrivacyStore): export, erasure, retention, the residue scan
// and the access log.

var _ desk.PrivacyStore = (*Store)(nil)

// privScope is the set of ids and values a customer's rows are found by.
type privScope struct {
	contacts, conversations, messages []int64
	emails                            []string // lower case
}

func (sc *privScope) ids(k personal.Key) []int64 {
	switch k {
	case personal.Contact:
		return sc.contacts
	case personal.Conversation:
		return sc.conversations
	case personal.Message:
		return sc.messages
	}
	return nil
}

// where builds t's condition for sc, its placeholders numbered from
// len(args)+1: "" when no match applies.
func (sc *privScope) where(t personal.Table, args []any) (string, []any) {
	var parts []string
	for _, m := range t.Match {
		var cond string
		switch m.Key {
		case personal.Email:
			if len(sc.emails) == 0 {
				continue
			}
			args = append(args, sc.emails)
			cond = `lower(` + m.Column + `) = ANY($` + strconv.Itoa(len(args)) + `)`
		default:
			ids := sc.ids(m.Key)
			if len(ids) == 0 {
				continue
			}
			args = append(args, ids)
			cond = m.Column + ` = ANY($` + strconv.Itoa(len(args)) + `)`
		}
		if m.Cond != "" {
			cond = "(" + cond + " AND " + m.Cond + ")"
		}
		parts = append(parts, cond)
	}
	return strings.Join(parts, " OR "), args
}

func (s *Store) tableSet(ctx context.Context) (map[string]bool, error) {
	rows, err := s.q.Query(ctx, `SELECT table_name::text FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	return set, nil
}

func (s *Store) int64s(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := s.q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// customerScope reads the contact, the contacts merged into it (merges not
// undone), their conversations, messages and email addresses, and the
// values a residue scan looks for.
func (s *Store) customerScope(ctx context.Context, contactID int64) (*privScope, []string, error) {
	var one int
	if err := s.q.QueryRow(ctx, `SELECT 1 FROM contacts WHERE id = $1`, contactID).Scan(&one); err != nil {
		return nil, nil, err
	}
	sc := &privScope{}
	var err error
	sc.contacts, err = s.int64s(ctx, ownersCTE+` SELECT id FROM owners ORDER BY id`, contactID)
	if err != nil {
		return nil, nil, err
	}
	if err := s.fill(ctx, sc); err != nil {
		return nil, nil, err
	}
	rows, err := s.q.Query(ctx, `SELECT email FROM contacts WHERE id = ANY($1) AND email <> ''
		UNION SELECT phone FROM contacts WHERE id = ANY($1) AND phone <> ''
		UNION SELECT value FROM identities WHERE contact_id = ANY($1)`, sc.contacts)
	if err != nil {
		return nil, nil, err
	}
	values, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, nil, err
	}
	for _, v := range values {
		if strings.Contains(v, "@") {
			sc.emails = append(sc.emails, strings.ToLower(v))
		}
	}
	return sc, values, nil
}

func (s *Store) fill(ctx context.Context, sc *privScope) error {
	if len(sc.contacts) > 0 {
		convs, err := s.int64s(ctx, `SELECT id FROM conversations WHERE contact_id = ANY($1) ORDER BY id`, sc.contacts)
		if err != nil {
			return err
		}
		sc.conversations = convs
	}
	if len(sc.conversations) == 0 {
		return nil
	}
	msgs, err := s.int64s(ctx, `SELECT id FROM messages WHERE conversation_id = ANY($1) ORDER BY id`, sc.conversations)
	sc.messages = msgs
	return err
}

// webhookRows finds the outbox's webhook rows whose payload carries one of
// sc's conversations or messages.
func (s *Store) webhookRows(ctx context.Context, sc *privScope) ([]int64, error) {
	if len(sc.conversations) == 0 {
		return nil, nil
	}
	rows, err := s.q.Query(ctx, `SELECT id, payload FROM outbox WHERE kind = 'webhook'`)
	if err != nil {
		return nil, err
	}
	type item struct {
		ID      int64
		Payload []byte
	}
	items, err := pgx.CollectRows(rows, pgx.RowToStructByPos[item])
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, it := range items {
		if payloadMentions(it.Payload, sc) {
			out = append(out, it.ID)
		}
	}
	return out, nil
}

// payloadMentions reports whether a webhook body (wire.WebhookBody) is about
// one of sc's conversations or messages.
func payloadMentions(payload []byte, sc *privScope) bool {
	var body struct {
		Data struct {
			Conversation *struct {
				ID int64 `json:"id"`
			} `json:"conversation"`
			Message *struct {
				ID             int64 `json:"id"`
				ConversationID int64 `json:"conversation_id"`
			} `json:"message"`
		} `json:"data"`
	}
	if json.Unmarshal(payload, &body) != nil {
		return false
	}
	if c := body.Data.Conversation; c != nil && slices.Contains(sc.conversations, c.ID) {
		return true
	}
	if m := body.Data.Message; m != nil &&
		(slices.Contains(sc.messages, m.ID) || slices.Contains(sc.conversations, m.ConversationID)) {
		return true
	}
	return false
}

func (s *Store) scopeFiles(ctx context.Context, sc *privScope) ([]desk.PersonalFile, error) {
	if len(sc.messages) == 0 {
		return nil, nil
	}
	rows, err := s.q.Query(ctx, `SELECT message_id, name, content_type, blob_key, thumb_key FROM attachments
		WHERE message_id = ANY($1) ORDER BY id`, sc.messages)
	if err != nil {
		return nil, err
	}
	type att struct {
		Msg                   int64
		Name, CT, Blob, Thumb string
	}
	atts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[att])
	if err != nil {
		return nil, err
	}
	var out []desk.PersonalFile
	for _, a := range atts {
		if a.Blob != "" {
			out = append(out, desk.PersonalFile{Key: a.Blob, Name: a.Name, ContentType: a.CT, Kind: "attachment", MessageID: a.Msg})
		}
		if a.Thumb != "" {
			out = append(out, desk.PersonalFile{Key: a.Thumb, Name: a.Name, ContentType: "image/jpeg", Kind: "thumbnail", MessageID: a.Msg})
		}
	}
	rows, err = s.q.Query(ctx, `SELECT id, meta FROM messages WHERE id = ANY($1) AND meta <> '' ORDER BY id`, sc.messages)
	if err != nil {
		return nil, err
	}
	type metaRow struct {
		ID   int64
		Meta string
	}
	metas, err := pgx.CollectRows(rows, pgx.RowToStructByPos[metaRow])
	if err != nil {
		return nil, err
	}
	for _, m := range metas {
		meta, err := parseMeta(m.Meta)
		if err != nil {
			return nil, err
		}
		if k := meta[desk.MetaEmailHTML]; k != "" {
			out = append(out, desk.PersonalFile{Key: k, Name: fmt.Sprintf("message-%d.html", m.ID),
				ContentType: "text/html", Kind: "email_html", MessageID: m.ID})
		}
	}
	return out, nil
}

// derivedColumns are left out of exports: search vectors computed from
// columns that are exported themselves.
var derivedColumns = []string{"terms", "name_terms", "phone_digits"}

func (s *Store) PersonalData(ctx context.Context, contactID int64) (*desk.PersonalData, error) {
	const op = "personal data"
	sc, _, err := s.customerScope(ctx, contactID)
	if err != nil {
		return nil, wrap(op, err)
	}
	tables, err := s.tableSet(ctx)
	if err != nil {
		return nil, wrap(op, err)
	}
	out := &desk.PersonalData{ContactIDs: sc.contacts}
	for _, t := range personal.Tables() {
		if !tables[t.Name] {
			continue
		}
		where, args := sc.where(t, nil)
		if t.Name == "outbox" {
			hooks, err := s.webhookRows(ctx, sc)
			if err != nil {
				return nil, wrap(op, err)
			}
			if len(hooks) > 0 {
				args = append(args, hooks)
				where = strings.TrimPrefix(where+" OR id = ANY($"+strconv.Itoa(len(args))+")", " OR ")
			}
		}
		if where == "" {
			continue
		}
		// Raw rows as stored, every column but derived search vectors.
		strip := ""
		for _, c := range derivedColumns {
			strip += " - '" + c + "'"
		}
		rows, err := s.q.Query(ctx, `SELECT to_jsonb(t)`+strip+` FROM `+t.Name+` t WHERE `+where, args...)
		if err != nil {
			return nil, wrap(op+": "+t.Name, err)
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[map[string]any])
		if err != nil {
			return nil, wrap(op+": "+t.Name, err)
		}
		if len(got) > 0 {
			out.Tables = append(out.Tables, desk.PersonalTable{Name: t.Name, Rows: got})
		}
	}
	if out.Files, err = s.scopeFiles(ctx, sc); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

func (s *Store) EraseContact(ctx context.Context, contactID int64) (*desk.Erasure, error) {
	var e *desk.Erasure
	err := s.atomically(ctx, func(s *Store) error {
		sc, values, err := s.customerScope(ctx, contactID)
		if err != nil {
			return err
		}
		e, err = s.erase(ctx, sc, false, false)
		if e != nil {
			e.Values = values
		}
		return err
	})
	if err != nil {
		return nil, wrap("erase contact", err)
	}
	return e, nil
}

func (s *Store) EraseConversations(ctx context.Context, ids []int64, keepShell bool) (*desk.Erasure, error) {
	var e *desk.Erasure
	err := s.atomically(ctx, func(s *Store) error {
		sc := &privScope{}
		var err error
		sc.conversations, err = s.int64s(ctx, `SELECT id FROM conversations WHERE id = ANY($1) ORDER BY id`, ids)
		if err != nil {
			return err
		}
		if err := s.fill(ctx, sc); err != nil {
			return err
		}
		e, err = s.erase(ctx, sc, true, keepShell)
		return err
	})
	if err != nil {
		return nil, wrap("erase conversations", err)
	}
	return e, nil
}

// erase deletes sc's rows in catalogue order. onlyConversations limits it
// to the per-conversation content and the conversations themselves.
func (s *Store) erase(ctx context.Context, sc *privScope, onlyConversations, keepShell bool) (*desk.Erasure, error) {
	e := &desk.Erasure{ContactIDs: sc.contacts, ConversationIDs: sc.conversations, MessageIDs: sc.messages,
		Removed: map[string]int{}}
	tables, err := s.tableSet(ctx)
	if err != nil {
		return nil, err
	}
	files, err := s.scopeFiles(ctx, sc)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		e.BlobKeys = append(e.BlobKeys, f.Key)
	}
	hooks, err := s.webhookRows(ctx, sc)
	if err != nil {
		return nil, err
	}
	if len(hooks) > 0 {
		tag, err := s.q.Exec(ctx, `DELETE FROM outbox WHERE id = ANY($1)`, hooks)
		if err != nil {
			return nil, fmt.Errorf("delete outbox: %w", err)
		}
		e.Removed["outbox"] += int(tag.RowsAffected())
	}
	for _, t := range personal.Tables() {
		if !tables[t.Name] || (onlyConversations && !t.Conversation && t.Name != "conversations") {
			continue
		}
		if t.Name == "conversations" {
			if err := s.eraseConversationRows(ctx, sc, keepShell, e); err != nil {
				return nil, err
			}
			continue
		}
		where, args := sc.where(t, nil)
		if where == "" {
			continue
		}
		tag, err := s.q.Exec(ctx, `DELETE FROM `+t.Name+` WHERE `+where, args...)
		if err != nil {
			return nil, fmt.Errorf("delete %s: %w", t.Name, err)
		}
		if n := int(tag.RowsAffected()); n > 0 {
			e.Removed[t.Name] += n
			if t.Name == "messages" {
				// The search vector is a column of the row.
				e.Removed["index:messages.terms"] = n
			}
		}
	}
	return e, nil
}

func (s *Store) eraseConversationRows(ctx context.Context, sc *privScope, keepShell bool, e *desk.Erasure) error {
	if len(sc.conversations) == 0 {
		return nil
	}
	if keepShell {
		tag, err := s.q.Exec(ctx, `UPDATE conversations SET subject = '', last_message = '', labels = '{}'
			WHERE id = ANY($1)`, sc.conversations)
		if err != nil {
			return fmt.Errorf("strip conversations: %w", err)
		}
		e.Removed["conversations (stripped)"] += int(tag.RowsAffected())
		return nil
	}
	if _, err := s.q.Exec(ctx, `INSERT INTO erased_facts (channel, team_id, category, assignee_id, status, priority,
			reopens, sla_policy_id, sla_state, created_at, first_reply_at, handed_over_at, resolved_at)
		SELECT channel, COALESCE(team_id, 0), category, COALESCE(assignee_id, 0), status, priority, reopens,
			sla_policy_id, sla_state, created_at, first_reply_at, handed_over_at, resolved_at
		FROM conversations WHERE id = ANY($1)`, sc.conversations); err != nil {
		return fmt.Errorf("keep facts: %w", err)
	}
	tag, err := s.q.Exec(ctx, `DELETE FROM conversations WHERE id = ANY($1)`, sc.conversations)
	if err != nil {
		return fmt.Errorf("delete conversations: %w", err)
	}
	e.Removed["conversations"] += int(tag.RowsAffected())
	return nil
}

func (s *Store) ExpiredConversations(ctx context.Context, channel desk.ChannelKind, before time.Time, limit int) ([]int64, error) {
	if limit <= 0 {
		limit = 100
	}
	ids, err := s.int64s(ctx, `SELECT c.id FROM conversations c
		WHERE c.channel = $1 AND c.status = 'resolved' AND c.last_activity_at < $2
			AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id)
		ORDER BY c.last_activity_at, c.id LIMIT $3`, string(channel), before, limit)
	return ids, wrap("expired conversations", err)
}

func (s *Store) FindResidue(ctx context.Context, p desk.ResidueProbe) ([]desk.Residue, error) {
	const op = "find residue"
	var values []string
	for _, v := range p.Values {
		if len(v) >= personal.MinValueLen {
			values = append(values, strings.ToLower(v))
		}
	}
	sc := &privScope{contacts: p.ContactIDs, conversations: p.ConversationIDs, messages: p.MessageIDs}
	rows, err := s.q.Query(ctx, `SELECT c.table_name::text, c.column_name::text, c.data_type::text
		FROM information_schema.columns c JOIN information_schema.tables t
			ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
		ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		return nil, wrap(op, err)
	}
	type col struct{ Table, Name, Type string }
	cols, err := pgx.CollectRows(rows, pgx.RowToStructByPos[col])
	if err != nil {
		return nil, wrap(op, err)
	}
	skip := personal.Unscanned()
	idCols := personal.IDColumns()
	var out []desk.Residue
	check := func(table, column, query string, args ...any) error {
		var n int
		if err := s.q.QueryRow(ctx, query, args...).Scan(&n); err != nil {
			return wrap(op+": "+table+"."+column, err)
		}
		if n > 0 {
			out = append(out, desk.Residue{Table: table, Column: column, Rows: n})
		}
		return nil
	}
	for _, c := range cols {
		if slices.Contains(skip, c.Table) {
			continue
		}
		table := pgx.Identifier{c.Table}.Sanitize()
		ident := pgx.Identifier{c.Table, c.Name}.Sanitize()
		if k, ok := idCols[c.Name]; ok && (c.Type == "bigint" || c.Type == "integer") {
			if ids := sc.ids(k); len(ids) > 0 {
				if err := check(c.Table, c.Name, `SELECT count(*) FROM `+table+` WHERE `+ident+` = ANY($1)`, ids); err != nil {
					return nil, err
				}
			}
			continue
		}
		if len(values) == 0 {
			continue
		}
		var text string
		switch c.Type {
		case "text", "character varying", "character", "jsonb", "json", "tsvector", "ARRAY":
			text = ident + `::text`
		case "bytea":
			text = `encode(` + ident + `, 'escape')`
		default:
			continue
		}
		if err := check(c.Table, c.Name, `SELECT count(*) FROM `+table+` WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) v
			WHERE strpos(lower(`+text+`), v) > 0)`, values); err != nil {
			return nil, err
		}
	}
	if len(p.MessageIDs) > 0 {
		if err := check("outbox", "target", `SELECT count(*) FROM outbox WHERE kind = 'channel_send'
			AND target = ANY($1)`, p.MessageIDs); err != nil {
			return nil, err
		}
	}
	if len(p.ConversationIDs) > 0 {
		hooks, err := s.webhookRows(ctx, sc)
		if err != nil {
			return nil, wrap(op, err)
		}
		if len(hooks) > 0 {
			out = append(out, desk.Residue{Table: "outbox", Column: "payload", Rows: len(hooks)})
		}
	}
	return out, nil
}

func (s *Store) RecordAccess(ctx context.Context, entries ...desk.AccessEntry) error {
	if len(entries) == 0 {
		return nil
	}
	agents, actions, contacts, convs, ats := make([]int64, len(entries)), make([]string, len(entries)),
		make([]int64, len(entries)), make([]int64, len(entries)), make([]time.Time, len(entries))
	for i, e := range entries {
		agents[i], actions[i], contacts[i], convs[i], ats[i] = e.AgentID, string(e.Action), e.ContactID, e.ConversationID, orNow(e.At)
	}
	_, err := s.q.Exec(ctx, `INSERT INTO personal_data_access (agent_id, action, contact_id, conversation_id, at)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::timestamptz[])`,
		agents, actions, contacts, convs, ats)
	return wrap("record access", err)
}

func (s *Store) ListAccess(ctx context.Context, f desk.AccessQuery) ([]desk.AccessEntry, error) {
	switch {
	case f.Limit <= 0:
		f.Limit = 100
	case f.Limit > 1000:
		f.Limit = 1000
	}
	rows, err := s.q.Query(ctx, `SELECT id, agent_id, action, contact_id, conversation_id, at
		FROM personal_data_access
		WHERE ($1 = 0 OR agent_id = $1) AND ($2 = 0 OR contact_id = $2) AND ($3 = '' OR action = $3)
			AND ($4::timestamptz IS NULL OR at >= $4) AND ($5::timestamptz IS NULL OR at < $5)
			AND ($6 = 0 OR id < $6)
		ORDER BY at DESC, id DESC LIMIT $7`,
		f.AgentID, f.ContactID, string(f.Action), nullTime(f.Since), nullTime(f.Until), f.BeforeID, f.Limit)
	if err != nil {
		return nil, wrap("list access", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (desk.AccessEntry, error) {
		var e desk.AccessEntry
		err := row.Scan(&e.ID, &e.AgentID, &e.Action, &e.ContactID, &e.ConversationID, &e.At)
		e.At = e.At.UTC()
		return e, err
	})
	return out, wrap("list access", err)
}

func (s *Store) CreateErasureReport(ctx context.Context, r *desk.ErasureReport) error {
	r.At = orNow(r.At)
	removed := r.Removed
	if removed == nil {
		removed = map[string]int{}
	}
	residue := r.Residue
	if residue == nil {
		residue = []desk.Residue{}
	}
	err := s.q.QueryRow(ctx, `INSERT INTO erasure_reports (contact_id, agent_id, reason, conversations, messages,
			removed, files, files_failed, residue, complete, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		r.ContactID, r.AgentID, r.Reason, r.Conversations, r.Messages, removed, r.Files, r.FilesFailed,
		residue, r.Complete, r.At).Scan(&r.ID)
	return wrap("create erasure report", err)
}

func (s *Store) ErasureReports(ctx context.Context, limit int) ([]desk.ErasureReport, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.q.Query(ctx, `SELECT id, contact_id, agent_id, reason, conversations, messages, removed, files,
		files_failed, residue, complete, at FROM erasure_reports ORDER BY at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, wrap("erasure reports", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (desk.ErasureReport, error) {
		var r desk.ErasureReport
		err := row.Scan(&r.ID, &r.ContactID, &r.AgentID, &r.Reason, &r.Conversations, &r.Messages, &r.Removed,
			&r.Files, &r.FilesFailed, &r.Residue, &r.Complete, &r.At)
		r.At = r.At.UTC()
		if len(r.Residue) == 0 {
			r.Residue = nil
		}
		return r, err
	})
	return out, wrap("erasure reports", err)
}
