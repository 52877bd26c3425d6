package personal

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
)

// Column is a column the residue scan checks, as the driver read it from
// its schema.
type Column struct {
	Table, Name string
	// Integer is set for an integer column: it is checked for the probe's
	// ids when IDColumns names it, and never for values.
	Integer bool
	// Text is the column as text (an SQL expression), "" when it holds no
	// text to search.
	Text string
}

// Quote quotes an identifier, table or table and column, in standard SQL.
func Quote(parts ...string) string {
	quoted := make([]string, len(parts))
	for i, p := range parts {
		quoted[i] = `"` + strings.ReplaceAll(p, `"`, `""`) + `"`
	}
	return strings.Join(quoted, ".")
}

// Index is a full-text index whose entries are keyed by the ids of Key
// (the row id of its table); erasure purges it.
type Index struct {
	Table string
	Key   Key
}

// FindResidue checks columns (every column of the database, from the
// driver's schema) for the probe: the id columns IDColumns names for its
// ids, text columns for its values; then the outbox's sends of its
// messages, the indexes by row id and the webhook payloads naming its
// conversations or messages. The tables of Unscanned are skipped.
func FindResidue(ctx context.Context, db DB, p desk.ResidueProbe, columns []Column, indexes []Index) ([]desk.Residue, error) {
	var values []string
	for _, v := range p.Values {
		if len(v) >= MinValueLen {
			values = append(values, strings.ToLower(v))
		}
	}
	sc := &Scope{Contacts: p.ContactIDs, Conversations: p.ConversationIDs, Messages: p.MessageIDs}
	var out []desk.Residue
	check := func(table, column, where string, args []any) error {
		n, err := Scalars[int64](ctx, db, `SELECT count(*) FROM `+Quote(table)+` WHERE `+where, args...)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", table, column, err)
		}
		if len(n) == 1 && n[0] > 0 {
			out = append(out, desk.Residue{Table: table, Column: column, Rows: int(n[0])})
		}
		return nil
	}
	skip := Unscanned()
	idCols := IDColumns()
	for _, c := range columns {
		if slices.Contains(skip, c.Table) {
			continue
		}
		if k, ok := idCols[c.Name]; ok && c.Integer {
			if ids := sc.IDs(k); len(ids) > 0 {
				cond, args := in(db, nil, Quote(c.Table, c.Name), ids)
				if err := check(c.Table, c.Name, cond, args); err != nil {
					return nil, err
				}
			}
			continue
		}
		if len(values) > 0 && c.Text != "" {
			where := db.Contains(c.Text, 1)
			if err := check(c.Table, c.Name, where, []any{db.List(values)}); err != nil {
				return nil, err
			}
		}
	}
	if len(p.MessageIDs) > 0 {
		cond, args := in(db, nil, "target", p.MessageIDs)
		if err := check("outbox", "target", `kind = 'channel_send' AND `+cond, args); err != nil {
			return nil, err
		}
	}
	for _, ix := range indexes {
		if ids := sc.IDs(ix.Key); len(ids) > 0 {
			cond, args := in(db, nil, "rowid", ids)
			if err := check(ix.Table, "rowid", cond, args); err != nil {
				return nil, err
			}
		}
	}
	if len(p.ConversationIDs) > 0 {
		hooks, err := sc.Webhooks(ctx, db)
		if err != nil {
			return nil, err
		}
		if len(hooks) > 0 {
			out = append(out, desk.Residue{Table: "outbox", Column: "payload", Rows: len(hooks)})
		}
	}
	return out, nil
}
