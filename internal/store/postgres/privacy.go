package postgres

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/store/personal"
)

// Privacy (desk.PrivacyStore): export, erasure, retention, the residue scan
// and the access log.

var _ desk.PrivacyStore = (*Store)(nil)

// privacyDB is q as personal.DB.
type privacyDB struct{ q querier }

func (d privacyDB) Query(ctx context.Context, scan func(personal.Row) error, query string, args ...any) error {
	rows, err := d.q.Query(ctx, query, args...)
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
	tag, err := d.q.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (privacyDB) In(column string, n int) string {
	return column + ` = ANY($` + strconv.Itoa(n) + `)`
}

func (privacyDB) List(v any) any { return v }

func (privacyDB) Contains(text string, n int) string {
	return `EXISTS (SELECT 1 FROM unnest($` + strconv.Itoa(n) + `::text[]) v WHERE strpos(lower(` + text + `), v) > 0)`
}

const tablesQuery = `SELECT table_name::text FROM information_schema.tables
	WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`

// derivedColumns are left out of exports: search vectors computed from
// columns that are exported themselves.
var derivedColumns = []string{"terms", "name_terms", "phone_digits"}

func (s *Store) PersonalData(ctx context.Context, contactID int64) (*desk.PersonalData, error) {
	const op = "personal data"
	db := privacyDB{s.q}
	sc, err := personal.CustomerScope(ctx, db, ownersCTE+` SELECT id FROM owners ORDER BY id`, contactID)
	if err != nil {
		return nil, wrap(op, err)
	}
	tables, err := personal.TableSet(ctx, db, tablesQuery)
	if err != nil {
		return nil, wrap(op, err)
	}
	// Raw rows as stored, every column but derived search vectors.
	strip := ""
	for _, c := range derivedColumns {
		strip += " - '" + c + "'"
	}
	pd, err := personal.Export(ctx, db, sc, tables, func(ctx context.Context, table, where string, args []any) ([]map[string]any, error) {
		rows, err := s.q.Query(ctx, `SELECT to_jsonb(t)`+strip+` FROM `+table+` t WHERE `+where, args...)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, pgx.RowTo[map[string]any])
	})
	return pd, wrap(op, err)
}

func (s *Store) EraseContact(ctx context.Context, contactID int64) (*desk.Erasure, error) {
	var e *desk.Erasure
	err := s.atomically(ctx, func(s *Store) error {
		sc, err := personal.CustomerScope(ctx, privacyDB{s.q}, ownersCTE+` SELECT id FROM owners ORDER BY id`, contactID)
		if err != nil {
			return err
		}
		e, err = s.erase(ctx, sc, false, false)
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
		sc, err := personal.ConversationScope(ctx, privacyDB{s.q}, ids)
		if err != nil {
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

// erase deletes sc's rows (personal.Eraser).
func (s *Store) erase(ctx context.Context, sc *personal.Scope, onlyConversations, keepShell bool) (*desk.Erasure, error) {
	db := privacyDB{s.q}
	tables, err := personal.TableSet(ctx, db, tablesQuery)
	if err != nil {
		return nil, err
	}
	er := personal.Eraser{DB: db, Tables: tables, EmptyLabels: `'{}'`,
		PurgeIndex: func(_ context.Context, _ *personal.Scope, e *desk.Erasure) error {
			// The search vector is a column of the row.
			if n := e.Removed["messages"]; n > 0 {
				e.Removed["index:messages.terms"] = n
			}
			return nil
		}}
	return er.Erase(ctx, sc, onlyConversations, keepShell)
}

func (s *Store) ExpiredConversations(ctx context.Context, channel desk.ChannelKind, before time.Time, limit int) ([]int64, error) {
	if limit <= 0 {
		limit = 100
	}
	ids, err := personal.Scalars[int64](ctx, privacyDB{s.q}, `SELECT c.id FROM conversations c
		WHERE c.channel = $1 AND c.status = 'resolved' AND c.last_activity_at < $2
			AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id)
		ORDER BY c.last_activity_at, c.id LIMIT $3`, string(channel), before, limit)
	return ids, wrap("expired conversations", err)
}

func (s *Store) FindResidue(ctx context.Context, p desk.ResidueProbe) ([]desk.Residue, error) {
	const op = "find residue"
	rows, err := s.q.Query(ctx, `SELECT c.table_name::text, c.column_name::text, c.data_type::text
		FROM information_schema.columns c JOIN information_schema.tables t
			ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
		ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		return nil, wrap(op, err)
	}
	cols, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (personal.Column, error) {
		var c personal.Column
		var typ string
		if err := row.Scan(&c.Table, &c.Name, &typ); err != nil {
			return c, err
		}
		ident := personal.Quote(c.Table, c.Name)
		switch typ {
		case "bigint", "integer":
			c.Integer = true
		case "text", "character varying", "character", "jsonb", "json", "tsvector", "ARRAY":
			c.Text = ident + `::text`
		case "bytea":
			c.Text = `encode(` + ident + `, 'escape')`
		}
		return c, nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	out, err := personal.FindResidue(ctx, privacyDB{s.q}, p, cols, nil)
	return out, wrap(op, err)
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
