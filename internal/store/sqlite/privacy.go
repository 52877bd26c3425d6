package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
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

// privacyDB is q as personal.DB.
type privacyDB struct{ q querier }

func (d privacyDB) Query(ctx context.Context, scan func(personal.Row) error, query string, args ...any) error {
	rows, err := d.q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (d privacyDB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := d.q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (privacyDB) In(column string, _ int) string {
	return column + ` IN (SELECT value FROM json_each(?))`
}

func (privacyDB) List(v any) any { return jsonText(v) }

func (privacyDB) Contains(text string, _ int) string {
	return `EXISTS (SELECT 1 FROM json_each(?) v WHERE instr(lower(` + text + `), v.value) > 0)`
}

const (
	tablesQuery = `SELECT name FROM sqlite_master WHERE type = 'table'`
	ownersQuery = `WITH RECURSIVE owners(id) AS (
		SELECT ? UNION SELECT m.merged_id FROM contact_merges m JOIN owners w ON m.kept_id = w.id WHERE m.undone_at = 0)
		SELECT id FROM owners ORDER BY id`
)

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

func (o ops) PersonalData(ctx context.Context, contactID int64) (*desk.PersonalData, error) {
	const op = "personal data"
	db := privacyDB{o.read}
	sc, err := personal.CustomerScope(ctx, db, ownersQuery, contactID)
	if err != nil {
		return nil, wrap(op, err)
	}
	tables, err := personal.TableSet(ctx, db, tablesQuery)
	if err != nil {
		return nil, wrap(op, err)
	}
	// Raw rows as stored, every column: the archive holds what the
	// database holds, not a selection of it.
	pd, err := personal.Export(ctx, db, sc, tables, func(ctx context.Context, table, where string, args []any) ([]map[string]any, error) {
		rows, err := o.read.QueryContext(ctx, `SELECT * FROM `+table+` WHERE `+where, args...)
		if err != nil {
			return nil, err
		}
		return genericRows(rows)
	})
	return pd, wrap(op, err)
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
		sc, err := personal.CustomerScope(ctx, privacyDB{q}, ownersQuery, contactID)
		if err != nil {
			return err
		}
		e, err = erase(ctx, q, sc, false, false)
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
		sc, err := personal.ConversationScope(ctx, privacyDB{q}, ids)
		if err != nil {
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

// erase deletes sc's rows (personal.Eraser) with secure_delete on, and
// their full-text entries.
func erase(ctx context.Context, q *txQuerier, sc *personal.Scope, onlyConversations, keepShell bool) (*desk.Erasure, error) {
	// Zero deleted content in the pages instead of leaving it in free
	// space; for this transaction's statements (the writer's batch).
	if _, err := q.ExecContext(ctx, `PRAGMA secure_delete = ON`); err != nil {
		return nil, err
	}
	defer q.ExecContext(ctx, `PRAGMA secure_delete = OFF`)
	db := privacyDB{q}
	tables, err := personal.TableSet(ctx, db, tablesQuery)
	if err != nil {
		return nil, err
	}
	er := personal.Eraser{DB: db, Tables: tables, EmptyLabels: `'[]'`,
		PurgeIndex: func(ctx context.Context, sc *personal.Scope, e *desk.Erasure) error {
			if err := purgeFTS(ctx, q, ftsMessage, sc.Messages, e); err != nil {
				return err
			}
			return purgeFTS(ctx, q, ftsContact, sc.Contacts, e)
		}}
	return er.Erase(ctx, sc, onlyConversations, keepShell)
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
	if err != nil {
		return fmt.Errorf("delete %s: %w", table, err)
	}
	if n, err := res.RowsAffected(); err == nil && n > 0 {
		e.Removed["index:"+table] += int(n)
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO `+table+`(`+table+`) VALUES ('optimize')`); err != nil {
		return fmt.Errorf("optimize %s: %w", table, err)
	}
	return nil
}

func (o ops) ExpiredConversations(ctx context.Context, channel desk.ChannelKind, before time.Time, limit int) ([]int64, error) {
	if limit <= 0 {
		limit = 100
	}
	ids, err := personal.Scalars[int64](ctx, privacyDB{o.read}, `SELECT c.id FROM conversations c
		WHERE c.channel = ? AND c.status = 'resolved' AND c.last_activity_at < ?
			AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id)
		ORDER BY c.last_activity_at, c.id LIMIT ?`, string(channel), ms(before), limit)
	return ids, wrap("expired conversations", err)
}

func (o ops) FindResidue(ctx context.Context, p desk.ResidueProbe) ([]desk.Residue, error) {
	const op = "find residue"
	rows, err := o.read.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name`)
	names, err := collect(op, rows, err, func(s rowScanner, v *string) error { return s.Scan(v) })
	if err != nil {
		return nil, err
	}
	var cols []personal.Column
	for _, t := range names {
		// FTS5 shadow tables hold the index in its binary form; the
		// index is checked by rowid (indexes below).
		if isFTSShadow(t) {
			continue
		}
		rows, err := o.read.QueryContext(ctx, `SELECT name, type FROM pragma_table_info(?)`, t)
		tc, err := collect(op, rows, err, func(s rowScanner, c *personal.Column) error {
			var typ string
			if err := s.Scan(&c.Name, &typ); err != nil {
				return err
			}
			c.Table = t
			typ = strings.ToUpper(typ)
			c.Integer = strings.Contains(typ, "INT")
			if typ == "TEXT" || typ == "BLOB" || typ == "" {
				c.Text = `CAST(` + personal.Quote(t, c.Name) + ` AS TEXT)`
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		cols = append(cols, tc...)
	}
	indexes := []personal.Index{{Table: ftsMessage, Key: personal.Message}, {Table: ftsContact, Key: personal.Contact}}
	out, err := personal.FindResidue(ctx, privacyDB{o.read}, p, cols, indexes)
	return out, wrap(op, err)
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
