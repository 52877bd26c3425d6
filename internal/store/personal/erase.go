package personal

import (
	"context"
	"fmt"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
)

// RowsFunc reads every row of table matching where (with its args) as
// column name to value: the driver's own, since what "as stored" means
// differs (SQLite scans the columns, PostgreSQL leaves out derived search
// vectors).
type RowsFunc func(ctx context.Context, table, where string, args []any) ([]map[string]any, error)

// Export reads what the database holds about sc's customer: the rows of
// each of the catalogue's tables that the database has (tables), in
// catalogue order, and the files they point at.
func Export(ctx context.Context, db DB, sc *Scope, tables map[string]bool, rows RowsFunc) (*desk.PersonalData, error) {
	out := &desk.PersonalData{ContactIDs: sc.Contacts}
	for _, t := range Tables() {
		if !tables[t.Name] {
			continue
		}
		where, args := sc.Where(db, t, nil)
		if t.Name == "outbox" {
			hooks, err := sc.Webhooks(ctx, db)
			if err != nil {
				return nil, err
			}
			if len(hooks) > 0 {
				var cond string
				cond, args = in(db, args, "id", hooks)
				where = strings.TrimPrefix(where+" OR "+cond, " OR ")
			}
		}
		if where == "" {
			continue
		}
		got, err := rows(ctx, t.Name, where, args)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.Name, err)
		}
		if len(got) > 0 {
			out.Tables = append(out.Tables, desk.PersonalTable{Name: t.Name, Rows: got})
		}
	}
	files, err := sc.Files(ctx, db)
	if err != nil {
		return nil, err
	}
	out.Files = files
	return out, nil
}

// Eraser deletes a scope's rows, in the catalogue's order, inside the
// caller's transaction. Its fields are what the drivers do their own way.
type Eraser struct {
	DB DB
	// Tables are the database's tables (TableSet): the catalogue's others
	// are skipped.
	Tables map[string]bool
	// EmptyLabels is the labels value of a stripped conversation, as SQL.
	EmptyLabels string
	// PurgeIndex, if set, deletes sc's full-text entries that are not
	// columns of the deleted rows, counting them in e.Removed as
	// "index:<name>". It runs after the catalogue's rows are gone.
	PurgeIndex func(ctx context.Context, sc *Scope, e *desk.Erasure) error
}

// Erase deletes sc's rows: the webhook sends that carry them, then the
// catalogue's tables children first. onlyConversations limits it to the
// per-conversation content and the conversations themselves; keepShell
// strips the conversation rows instead of deleting them. The files are
// listed in BlobKeys, not deleted.
func (er Eraser) Erase(ctx context.Context, sc *Scope, onlyConversations, keepShell bool) (*desk.Erasure, error) {
	e := &desk.Erasure{ContactIDs: sc.Contacts, ConversationIDs: sc.Conversations, MessageIDs: sc.Messages,
		Values: sc.Values, Removed: map[string]int{}}
	files, err := sc.Files(ctx, er.DB)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		e.BlobKeys = append(e.BlobKeys, f.Key)
	}
	hooks, err := sc.Webhooks(ctx, er.DB)
	if err != nil {
		return nil, err
	}
	if len(hooks) > 0 {
		cond, args := in(er.DB, nil, "id", hooks)
		if err := er.delete(ctx, e, "outbox", cond, args); err != nil {
			return nil, err
		}
	}
	for _, t := range Tables() {
		if !er.Tables[t.Name] || (onlyConversations && !t.Conversation && t.Name != "conversations") {
			continue
		}
		if t.Name == "conversations" {
			if err := er.conversations(ctx, sc, keepShell, e); err != nil {
				return nil, err
			}
			continue
		}
		where, args := sc.Where(er.DB, t, nil)
		if where == "" {
			continue
		}
		if err := er.delete(ctx, e, t.Name, where, args); err != nil {
			return nil, err
		}
	}
	if er.PurgeIndex != nil {
		if err := er.PurgeIndex(ctx, sc, e); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// delete deletes table's rows matching where and counts them.
func (er Eraser) delete(ctx context.Context, e *desk.Erasure, table, where string, args []any) error {
	n, err := er.DB.Exec(ctx, `DELETE FROM `+table+` WHERE `+where, args...)
	if err != nil {
		return fmt.Errorf("delete %s: %w", table, err)
	}
	if n > 0 {
		e.Removed[table] += int(n)
	}
	return nil
}

// conversations keeps each conversation's anonymous facts and deletes it,
// or strips it to a shell.
func (er Eraser) conversations(ctx context.Context, sc *Scope, keepShell bool, e *desk.Erasure) error {
	if len(sc.Conversations) == 0 {
		return nil
	}
	cond, args := in(er.DB, nil, "id", sc.Conversations)
	if keepShell {
		n, err := er.DB.Exec(ctx, `UPDATE conversations SET subject = '', last_message = '', labels = `+
			er.EmptyLabels+` WHERE `+cond, args...)
		if err != nil {
			return fmt.Errorf("strip conversations: %w", err)
		}
		e.Removed["conversations (stripped)"] += int(n)
		return nil
	}
	// No team or assignee is 0 in SQLite and NULL in PostgreSQL.
	if _, err := er.DB.Exec(ctx, `INSERT INTO erased_facts (channel, team_id, category, assignee_id, status, priority,
			reopens, sla_policy_id, sla_state, created_at, first_reply_at, handed_over_at, resolved_at)
		SELECT channel, COALESCE(team_id, 0), category, COALESCE(assignee_id, 0), status, priority, reopens,
			sla_policy_id, sla_state, created_at, first_reply_at, handed_over_at, resolved_at
		FROM conversations WHERE `+cond, args...); err != nil {
		return fmt.Errorf("keep facts: %w", err)
	}
	return er.delete(ctx, e, "conversations", cond, args)
}
