package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/store/personal"
)

// Privacy (desk.PrivacyStore): export, erasure, retention, the residue scan
// and the access log. Id lists are bound as one JSON array argument
// (json_each), so that each statement's text stays fixed and is prepared
// once.

var (
	_ desk.PrivacyStore = (*Store)(nil)
	_ desk.PrivacyStore = (*txStore)(nil)
)

// scope is the set of ids and values a customer's rows are found by.
type scope struct {
	contacts, conversations, messages []int64
	emails                            []string // lower case
}

func (sc *scope) ids(k personal.Key) []int64 {
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

// where builds t's condition for sc: "" when no match applies.
func (sc *scope) where(t personal.Table) (string, []any) {
	var parts []string
	var args []any
	for _, m := range t.Match {
		var cond string
		switch m.Key {
		case personal.Email:
			if len(sc.emails) == 0 {
				continue
			}
			cond = `lower(` + m.Column + `) IN (SELECT value FROM json_each(?))`
			args = append(args, jsonText(sc.emails))
		default:
			ids := sc.ids(m.Key)
			if len(ids) == 0 {
				continue
			}
			cond = m.Column + ` IN (SELECT value FROM json_each(?))`
			args = append(args, jsonText(ids))
		}
		if m.Cond != "" {
			cond = "(" + cond + " AND " + m.Cond + ")"
		}
		parts = append(parts, cond)
	}
	return strings.Join(parts, " OR "), args
}

// tableSet lists the database's ordinary tables.
func tableSet(ctx context.Context, q querier) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	names, err := collect("tables", rows, err, func(sc rowScanner, v *string) error { return sc.Scan(v) })
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	return set, nil
}

func int64s(ctx context.Context, q querier, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	return collect("ids", rows, err, func(sc rowScanner, v *int64) error { return sc.Scan(v) })
}

// customerScope reads the contact, the contacts merged into it (merges not
// undone), their conversations, messages and email addresses, and the
// values a residue scan looks for.
func customerScope(ctx context.Context, q querier, contactID int64) (*scope, []string, error) {
	var one int
	if err := q.QueryRowContext(ctx, `SELECT 1 FROM contacts WHERE id = ?`, contactID).Scan(&one); err != nil {
		return nil, nil, err
	}
	sc := &scope{}
	var err error
	sc.contacts, err = int64s(ctx, q, `WITH RECURSIVE owners(id) AS (
		SELECT ? UNION SELECT m.merged_id FROM contact_merges m JOIN owners w ON m.kept_id = w.id WHERE m.undone_at = 0)
		SELECT id FROM owners ORDER BY id`, contactID)
	if err != nil {
		return nil, nil, err
	}
	if err := sc.fill(ctx, q); err != nil {
		return nil, nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT email FROM contacts WHERE id IN (SELECT value FROM json_each(?)) AND email <> ''
		UNION SELECT phone FROM contacts WHERE id IN (SELECT value FROM json_each(?)) AND phone <> ''
		UNION SELECT value FROM identities WHERE contact_id IN (SELECT value FROM json_each(?))`,
		jsonText(sc.contacts), jsonText(sc.contacts), jsonText(sc.contacts))
	values, err := collect("values", rows, err, func(s rowScanner, v *string) error { return s.Scan(v) })
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

// fill reads the conversations of sc.contacts and the messages of
// sc.conversations.
func (sc *scope) fill(ctx context.Context, q querier) error {
	if len(sc.contacts) > 0 {
		convs, err := int64s(ctx, q, `SELECT id FROM conversations
			WHERE contact_id IN (SELECT value FROM json_each(?)) ORDER BY id`, jsonText(sc.contacts))
		if err != nil {
			return err
		}
		sc.conversations = convs
	}
	if len(sc.conversations) == 0 {
		return nil
	}
	msgs, err := int64s(ctx, q, `SELECT id FROM messages
		WHERE conversation_id IN (SELECT value FROM json_each(?)) ORDER BY id`, jsonText(sc.conversations))
	sc.messages = msgs
	return err
}

// webhookRows finds the outbox's webhook rows whose payload carries one of
// the conversations or messages.
func webhookRows(ctx context.Context, q querier, sc *scope) ([]int64, error) {
	if len(sc.conversations) == 0 {
		return nil, nil
	}
	type item struct {
		id      int64
		payload []byte
	}
	rows, err := q.QueryContext(ctx, `SELECT id, payload FROM outbox WHERE kind = 'webhook'`)
	items, err := collect("webhook rows", rows, err, func(s rowScanner, v *item) error { return s.Scan(&v.id, &v.payload) })
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, it := range items {
		if payloadMentions(it.payload, sc) {
			out = append(out, it.id)
		}
	}
	return out, nil
}

// payloadMentions reports whether a webhook body (wire.WebhookBody) is about
// one of sc's conversations or messages.
func payloadMentions(payload []byte, sc *scope) bool {
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

// genericRows reads every column of every row as JSON-friendly values.
func genericRows(rows *sql.Rows) ([]map[string]any, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make(map[string]any, len(cols))
		for i, c := range cols {
			if b, ok := vals[i].([]byte); ok {
				vals[i] = string(b)
			}
			row[c] = vals[i]
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// files lists the blobs of sc's messages: attachments, thumbnails and the
// HTML versions of mails.
func scopeFiles(ctx context.Context, q querier, sc *scope) ([]desk.PersonalFile, error) {
	if len(sc.messages) == 0 {
		return nil, nil
	}
	var out []desk.PersonalFile
	rows, err := q.QueryContext(ctx, `SELECT message_id, name, content_type, blob_key, thumb_key FROM attachments
		WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY id`, jsonText(sc.messages))
	type att struct {
		msg              int64
		name, ct, bk, tk string
	}
	atts, err := collect("attachments", rows, err, func(s rowScanner, a *att) error {
		return s.Scan(&a.msg, &a.name, &a.ct, &a.bk, &a.tk)
	})
	if err != nil {
		return nil, err
	}
	for _, a := range atts {
		if a.bk != "" {
			out = append(out, desk.PersonalFile{Key: a.bk, Name: a.name, ContentType: a.ct, Kind: "attachment", MessageID: a.msg})
		}
		if a.tk != "" {
			out = append(out, desk.PersonalFile{Key: a.tk, Name: a.name, ContentType: "image/jpeg", Kind: "thumbnail", MessageID: a.msg})
		}
	}
	rows, err = q.QueryContext(ctx, `SELECT id, meta FROM messages
		WHERE id IN (SELECT value FROM json_each(?)) AND meta <> '' ORDER BY id`, jsonText(sc.messages))
	type metaRow struct {
		id   int64
		meta string
	}
	metas, err := collect("meta", rows, err, func(s rowScanner, m *metaRow) error { return s.Scan(&m.id, &m.meta) })
	if err != nil {
		return nil, err
	}
	for _, m := range metas {
		meta, err := parseMeta(m.meta)
		if err != nil {
			return nil, err
		}
		if k := meta[desk.MetaEmailHTML]; k != "" {
			out = append(out, desk.PersonalFile{Key: k, Name: fmt.Sprintf("message-%d.html", m.id),
				ContentType: "text/html", Kind: "email_html", MessageID: m.id})
		}
	}
	return out, nil
}

func (o ops) PersonalData(ctx context.Context, contactID int64) (*desk.PersonalData, error) {
	const op = "personal data"
	sc, _, err := customerScope(ctx, o.read, contactID)
	if err != nil {
		return nil, wrap(op, err)
	}
	tables, err := tableSet(ctx, o.read)
	if err != nil {
		return nil, wrap(op, err)
	}
	out := &desk.PersonalData{ContactIDs: sc.contacts}
	for _, t := range personal.Tables() {
		if !tables[t.Name] {
			continue
		}
		where, args := sc.where(t)
		if t.Name == "outbox" {
			hooks, err := webhookRows(ctx, o.read, sc)
			if err != nil {
				return nil, wrap(op, err)
			}
			if len(hooks) > 0 {
				where = strings.TrimPrefix(where+" OR id IN (SELECT value FROM json_each(?))", " OR ")
				args = append(args, jsonText(hooks))
			}
		}
		if where == "" {
			continue
		}
		// Raw rows as stored, every column: the archive holds what the
		// database holds, not a selection of it.
		rows, err := o.read.QueryContext(ctx, `SELECT * FROM `+t.Name+` WHERE `+where, args...)
		if err != nil {
			return nil, wrap(op+": "+t.Name, err)
		}
		got, err := genericRows(rows)
		if err != nil {
			return nil, wrap(op+": "+t.Name, err)
		}
		if len(got) > 0 {
			out.Tables = append(out.Tables, desk.PersonalTable{Name: t.Name, Rows: got})
		}
	}
	if out.Files, err = scopeFiles(ctx, o.read, sc); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// EraseContact on the store (not inside InTx) also checkpoints the WAL
// once the erasure is committed, so that the customer's data is gone from
// the database's files too, not only from its tables (see purge).
func (s *Store) EraseContact(ctx context.Context, contactID int64) (*desk.Erasure, error) {
	e, err := s.ops.EraseContact(ctx, contactID)
	if err != nil {
		return nil, err
	}
	// The erasure is committed: a checkpoint that fails is reported, not
	// an error, so the caller still deletes the files and reports.
	e.Unpurged = s.checkpoint(ctx) != nil
	return e, nil
}

// EraseConversations on the store checkpoints like EraseContact.
func (s *Store) EraseConversations(ctx context.Context, ids []int64, keepShell bool) (*desk.Erasure, error) {
	e, err := s.ops.EraseConversations(ctx, ids, keepShell)
	if err != nil {
		return nil, err
	}
	e.Unpurged = s.checkpoint(ctx) != nil
	return e, nil
}

// checkpoint copies the WAL into the database and truncates it: the WAL
// keeps earlier versions of the erased pages until it is rewritten. A
// reader may hold it up for a moment (busy_timeout); a checkpoint that
// could not finish is an error, so the erasure report says so.
func (s *Store) checkpoint(ctx context.Context) error {
	var busy, logged, done int
	if err := s.rdb.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logged, &done); err != nil {
		return fmt.Errorf("sqlite: checkpoint: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("sqlite: checkpoint: database busy: %w", desk.ErrConflict)
	}
	return nil
}

func (o ops) EraseContact(ctx context.Context, contactID int64) (*desk.Erasure, error) {
	var e *desk.Erasure
	err := o.write(ctx, func(q *txQuerier) error {
		sc, values, err := customerScope(ctx, q, contactID)
		if err != nil {
			return err
		}
		e, err = erase(ctx, q, sc, false, false)
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

func (o ops) EraseConversations(ctx context.Context, ids []int64, keepShell bool) (*desk.Erasure, error) {
	var e *desk.Erasure
	err := o.write(ctx, func(q *txQuerier) error {
		sc := &scope{}
		var err error
		sc.conversations, err = int64s(ctx, q, `SELECT id FROM conversations
			WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`, jsonText(ids))
		if err != nil {
			return err
		}
		if err := sc.fill(ctx, q); err != nil {
			return err
		}
		e, err = erase(ctx, q, sc, true, keepShell)
		return err
	})
	if err != nil {
		return nil, wrap("erase conversations", err)
	}
	return e, nil
}

// erase deletes sc's rows in catalogue order. onlyConversations limits it
// to the per-conversation content and the conversations themselves.
func erase(ctx context.Context, q *txQuerier, sc *scope, onlyConversations, keepShell bool) (*desk.Erasure, error) {
	e := &desk.Erasure{ContactIDs: sc.contacts, ConversationIDs: sc.conversations, MessageIDs: sc.messages,
		Removed: map[string]int{}}
	// Zero deleted content in the pages instead of leaving it in free
	// space; for this transaction's statements (the writer's batch).
	if _, err := q.ExecContext(ctx, `PRAGMA secure_delete = ON`); err != nil {
		return nil, err
	}
	defer q.ExecContext(ctx, `PRAGMA secure_delete = OFF`)
	tables, err := tableSet(ctx, q)
	if err != nil {
		return nil, err
	}
	files, err := scopeFiles(ctx, q, sc)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		e.BlobKeys = append(e.BlobKeys, f.Key)
	}
	hooks, err := webhookRows(ctx, q, sc)
	if err != nil {
		return nil, err
	}
	if len(hooks) > 0 {
		res, err := q.ExecContext(ctx, `DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?))`, jsonText(hooks))
		if err := count(e, "outbox", res, err); err != nil {
			return nil, err
		}
	}
	if err := purgeFTS(ctx, q, ftsMessage, sc.messages, e); err != nil {
		return nil, err
	}
	for _, t := range personal.Tables() {
		if !tables[t.Name] || (onlyConversations && !t.Conversation && t.Name != "conversations") {
			continue
		}
		if t.Name == "conversations" {
			if err := eraseConversationRows(ctx, q, sc, keepShell, e); err != nil {
				return nil, err
			}
			continue
		}
		where, args := sc.where(t)
		if where == "" {
			continue
		}
		res, err := q.ExecContext(ctx, `DELETE FROM `+t.Name+` WHERE `+where, args...)
		if err := count(e, t.Name, res, err); err != nil {
			return nil, err
		}
	}
	if err := purgeFTS(ctx, q, ftsContact, sc.contacts, e); err != nil {
		return nil, err
	}
	return e, nil
}

// purgeFTS deletes rowids from a full-text table now (not queued like
// other index changes) and then rewrites the index: a deletion in FTS5
// only adds a tombstone, and the words stay in the older segments until
// they are merged. 'optimize' merges them all; it rewrites the whole
// index, which takes a while on a large one, a price an erasure pays.
func purgeFTS(ctx context.Context, q *txQuerier, table string, ids []int64, e *desk.Erasure) error {
	if len(ids) == 0 {
		return nil
	}
	res, err := q.ExecContext(ctx, `DELETE FROM `+table+` WHERE rowid IN (SELECT value FROM json_each(?))`, jsonText(ids))
	if err := count(e, "index:"+table, res, err); err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO `+table+`(`+table+`) VALUES ('optimize')`); err != nil {
		return fmt.Errorf("optimize %s: %w", table, err)
	}
	return nil
}

func count(e *desk.Erasure, table string, res sql.Result, err error) error {
	if err != nil {
		return fmt.Errorf("delete %s: %w", table, err)
	}
	if n, err := res.RowsAffected(); err == nil && n > 0 {
		e.Removed[table] += int(n)
	}
	return nil
}

// eraseConversationRows keeps each conversation's anonymous facts and
// deletes it, or strips it to a shell.
func eraseConversationRows(ctx context.Context, q *txQuerier, sc *scope, keepShell bool, e *desk.Erasure) error {
	if len(sc.conversations) == 0 {
		return nil
	}
	list := jsonText(sc.conversations)
	if keepShell {
		res, err := q.ExecContext(ctx, `UPDATE conversations SET subject = '', last_message = '', labels = '[]'
			WHERE id IN (SELECT value FROM json_each(?))`, list)
		if err != nil {
			return fmt.Errorf("strip conversations: %w", err)
		}
		if n, err := res.RowsAffected(); err == nil {
			e.Removed["conversations (stripped)"] += int(n)
		}
		return nil
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO erased_facts(channel, team_id, category, assignee_id, status, priority,
			reopens, sla_policy_id, sla_state, created_at, first_reply_at, handed_over_at, resolved_at)
		SELECT channel, team_id, category, assignee_id, status, priority, reopens, sla_policy_id, sla_state,
			created_at, first_reply_at, handed_over_at, resolved_at
		FROM conversations WHERE id IN (SELECT value FROM json_each(?))`, list); err != nil {
		return fmt.Errorf("keep facts: %w", err)
	}
	res, err := q.ExecContext(ctx, `DELETE FROM conversations WHERE id IN (SELECT value FROM json_each(?))`, list)
	return count(e, "conversations", res, err)
}

func (o ops) ExpiredConversations(ctx context.Context, channel desk.ChannelKind, before time.Time, limit int) ([]int64, error) {
	if limit <= 0 {
		limit = 100
	}
	ids, err := int64s(ctx, o.read, `SELECT c.id FROM conversations c
		WHERE c.channel = ? AND c.status = 'resolved' AND c.last_activity_at < ?
			AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id)
		ORDER BY c.last_activity_at, c.id LIMIT ?`, string(channel), ms(before), limit)
	return ids, wrap("expired conversations", err)
}

type column struct{ name, typ string }

func tableColumns(ctx context.Context, q querier, table string) ([]column, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, type FROM pragma_table_info(?)`, table)
	return collect("columns", rows, err, func(s rowScanner, c *column) error { return s.Scan(&c.name, &c.typ) })
}

func (o ops) FindResidue(ctx context.Context, p desk.ResidueProbe) ([]desk.Residue, error) {
	const op = "find residue"
	var values []string
	for _, v := range p.Values {
		if len(v) >= personal.MinValueLen {
			values = append(values, strings.ToLower(v))
		}
	}
	sc := &scope{contacts: p.ContactIDs, conversations: p.ConversationIDs, messages: p.MessageIDs}
	rows, err := o.read.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name`)
	names, err := collect(op, rows, err, func(s rowScanner, v *string) error { return s.Scan(v) })
	if err != nil {
		return nil, err
	}
	skip := personal.Unscanned()
	idCols := personal.IDColumns()
	var out []desk.Residue
	check := func(table, col, query string, args ...any) error {
		var n int
		if err := o.read.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
			return wrap(op+": "+table+"."+col, err)
		}
		if n > 0 {
			out = append(out, desk.Residue{Table: table, Column: col, Rows: n})
		}
		return nil
	}
	for _, t := range names {
		// FTS5 shadow tables hold the index in its binary form; the
		// index is checked by rowid below.
		if slices.Contains(skip, t) || isFTSShadow(t) {
			continue
		}
		cols, err := tableColumns(ctx, o.read, t)
		if err != nil {
			return nil, wrap(op, err)
		}
		for _, c := range cols {
			typ := strings.ToUpper(c.typ)
			if k, ok := idCols[c.name]; ok && strings.Contains(typ, "INT") {
				if ids := sc.ids(k); len(ids) > 0 {
					if err := check(t, c.name, `SELECT count(*) FROM `+t+` WHERE `+c.name+
						` IN (SELECT value FROM json_each(?))`, jsonText(ids)); err != nil {
						return nil, err
					}
				}
				continue
			}
			if len(values) > 0 && (typ == "TEXT" || typ == "BLOB" || typ == "") {
				// Qualified: json_each has columns named value, id, path...
				col := `"` + t + `"."` + c.name + `"`
				if err := check(t, c.name, `SELECT count(*) FROM "`+t+`" WHERE EXISTS (SELECT 1 FROM json_each(?) v
					WHERE instr(lower(CAST(`+col+` AS TEXT)), v.value) > 0)`, jsonText(values)); err != nil {
					return nil, err
				}
			}
		}
	}
	if len(p.MessageIDs) > 0 {
		if err := check("outbox", "target", `SELECT count(*) FROM outbox WHERE kind = 'channel_send'
			AND target IN (SELECT value FROM json_each(?))`, jsonText(p.MessageIDs)); err != nil {
			return nil, err
		}
		if err := check(ftsMessage, "rowid", `SELECT count(*) FROM `+ftsMessage+`
			WHERE rowid IN (SELECT value FROM json_each(?))`, jsonText(p.MessageIDs)); err != nil {
			return nil, err
		}
	}
	if len(p.ContactIDs) > 0 {
		if err := check(ftsContact, "rowid", `SELECT count(*) FROM `+ftsContact+`
			WHERE rowid IN (SELECT value FROM json_each(?))`, jsonText(p.ContactIDs)); err != nil {
			return nil, err
		}
	}
	if len(p.ConversationIDs) > 0 {
		hooks, err := webhookRows(ctx, o.read, sc)
		if err != nil {
			return nil, wrap(op, err)
		}
		if len(hooks) > 0 {
			out = append(out, desk.Residue{Table: "outbox", Column: "payload", Rows: len(hooks)})
		}
	}
	return out, nil
}

func isFTSShadow(name string) bool {
	for _, fts := range []string{ftsMessage, ftsContact} {
		if strings.HasPrefix(name, fts+"_") {
			return true
		}
	}
	return false
}

func (o ops) RecordAccess(ctx context.Context, entries ...desk.AccessEntry) error {
	if len(entries) == 0 {
		return nil
	}
	return wrap("record access", o.write(ctx, func(q *txQuerier) error {
		for _, e := range entries {
			if _, err := q.ExecContext(ctx, `INSERT INTO personal_data_access(agent_id, action, contact_id,
				conversation_id, at) VALUES (?, ?, ?, ?, ?)`,
				e.AgentID, string(e.Action), e.ContactID, e.ConversationID, ms(nowOr(e.At))); err != nil {
				return err
			}
		}
		return nil
	}))
}

func (o ops) ListAccess(ctx context.Context, f desk.AccessQuery) ([]desk.AccessEntry, error) {
	switch {
	case f.Limit <= 0:
		f.Limit = 100
	case f.Limit > 1000:
		f.Limit = 1000
	}
	until := int64(1<<63 - 1)
	if !f.Until.IsZero() {
		until = ms(f.Until)
	}
	before := int64(1<<63 - 1)
	if f.BeforeID > 0 {
		before = f.BeforeID
	}
	rows, err := o.read.QueryContext(ctx, `SELECT id, agent_id, action, contact_id, conversation_id, at
		FROM personal_data_access
		WHERE (? = 0 OR agent_id = ?) AND (? = 0 OR contact_id = ?) AND (? = '' OR action = ?)
			AND at >= ? AND at < ? AND id < ?
		ORDER BY at DESC, id DESC LIMIT ?`,
		f.AgentID, f.AgentID, f.ContactID, f.ContactID, string(f.Action), string(f.Action),
		ms(f.Since), until, before, f.Limit)
	return collect("list access", rows, err, func(s rowScanner, e *desk.AccessEntry) error {
		var at int64
		if err := s.Scan(&e.ID, &e.AgentID, &e.Action, &e.ContactID, &e.ConversationID, &at); err != nil {
			return err
		}
		e.At = fromMS(at)
		return nil
	})
}

func (o ops) CreateErasureReport(ctx context.Context, r *desk.ErasureReport) error {
	r.At = nowOr(r.At)
	removed := r.Removed
	if removed == nil {
		removed = map[string]int{}
	}
	residue := r.Residue
	if residue == nil {
		residue = []desk.Residue{}
	}
	return wrap("create erasure report", o.write(ctx, func(q *txQuerier) error {
		return q.QueryRowContext(ctx, `INSERT INTO erasure_reports(contact_id, agent_id, reason, conversations,
			messages, removed, files, files_failed, residue, complete, at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			r.ContactID, r.AgentID, r.Reason, r.Conversations, r.Messages, jsonText(removed), r.Files,
			r.FilesFailed, jsonText(residue), r.Complete, ms(r.At)).Scan(&r.ID)
	}))
}

func (o ops) ErasureReports(ctx context.Context, limit int) ([]desk.ErasureReport, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := o.read.QueryContext(ctx, `SELECT id, contact_id, agent_id, reason, conversations, messages,
		removed, files, files_failed, residue, complete, at FROM erasure_reports ORDER BY at DESC, id DESC LIMIT ?`, limit)
	return collect("erasure reports", rows, err, func(s rowScanner, r *desk.ErasureReport) error {
		var removed, residue string
		var at int64
		if err := s.Scan(&r.ID, &r.ContactID, &r.AgentID, &r.Reason, &r.Conversations, &r.Messages, &removed,
			&r.Files, &r.FilesFailed, &residue, &r.Complete, &at); err != nil {
			return err
		}
		r.At = fromMS(at)
		if err := json.Unmarshal([]byte(removed), &r.Removed); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(residue), &r.Residue); err != nil {
			return err
		}
		if len(r.Residue) == 0 {
			r.Residue = nil
		}
		return nil
	})
}
