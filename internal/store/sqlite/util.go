package sqlite

import (
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/balie-dev/balie/internal/desk"
)

// wrap turns a driver error into a desk sentinel where one applies and adds
// the operation: "sqlite: op: ...".
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %s: %w", op, desk.ErrNotFound)
	}
	var se *msqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("sqlite: %s: %w", op, desk.ErrConflict)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, sqlite3.SQLITE_CONSTRAINT_TRIGGER:
			// A row refers to one that does not exist (the triggers of
			// migration 0002 check team references).
			return fmt.Errorf("sqlite: %s: %w", op, desk.ErrNotFound)
		}
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// affected reports ErrNotFound when a statement touched no row.
func affected(op string, res sql.Result, err error) error {
	if err != nil {
		return wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: %s: %w", op, desk.ErrNotFound)
	}
	return nil
}

// insertedID returns the rowid of a one-row insert; no row inserted is
// ErrNotFound (an INSERT ... SELECT whose source row is missing).
func insertedID(op string, res sql.Result, err error) (int64, error) {
	if err := affected(op, res, err); err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, wrap(op, err)
	}
	return id, nil
}

// ms stores a time as Unix milliseconds; the zero time is 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS is the inverse of ms, in UTC.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// nowOr returns t, or the current time when t is zero, at millisecond
// precision in UTC (what reading it back gives).
func nowOr(t time.Time) time.Time {
	if t.IsZero() {
		t = time.Now()
	}
	return t.UTC().Truncate(time.Millisecond)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only maps and slices of strings are stored; they always marshal.
		panic(fmt.Sprintf("sqlite: marshal %T: %v", v, err))
	}
	return string(b)
}

func labelsText(labels []string) string {
	if len(labels) == 0 {
		return "[]"
	}
	return jsonText(labels)
}

func mapText(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	return jsonText(m)
}

func parseStrings(s string) ([]string, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var out []string
	err := json.Unmarshal([]byte(s), &out)
	return out, err
}

func parseMap(s string) (map[string]string, error) {
	if s == "" || s == "{}" {
		return nil, nil
	}
	var out map[string]string
	err := json.Unmarshal([]byte(s), &out)
	return out, err
}

// emailKey is the case-insensitive form of an email address.
func emailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// phoneKey keeps the digits of a phone number, so that "+31 6-1234 5678"
// and "+31612345678" are the same number.
func phoneKey(phone string) string {
	var b strings.Builder
	for _, r := range phone {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ftsToken maps an analysed term to exactly one FTS5 token. The tables use
// detail=none (smaller and faster, but no phrase queries), so a term the
// tokenizer might split must not reach it: anything but ASCII letters and
// digits (which unicode61 always keeps together) is hex encoded into one
// token. lang already folds diacritics, so that is rare, and it is lossless.
// Indexing and querying both use it.
func ftsToken(term string) string {
	if term == "" {
		return ""
	}
	for i := 0; i < len(term); i++ {
		c := term[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return "x0" + hex.EncodeToString([]byte(strings.ToLower(term)))
		}
	}
	return term
}

// ftsDoc joins terms into the text stored in an FTS table.
func ftsDoc(terms []string) string {
	var b strings.Builder
	for _, t := range terms {
		if t = ftsToken(t); t == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t)
	}
	return b.String()
}

// ftsQuery builds a MATCH expression: every group must match, any
// alternative of a group will do. Each term is quoted, so user text is
// never FTS syntax. It returns "" when nothing is left to search for.
func ftsQuery(groups [][]string) string {
	var b strings.Builder
	for _, alts := range groups {
		var g []string
		for _, a := range alts {
			if t := ftsToken(a); t != "" {
				g = append(g, `"`+strings.ReplaceAll(t, `"`, `""`)+`"`)
			}
		}
		if len(g) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(" AND ")
		}
		if len(g) == 1 {
			b.WriteString(g[0])
		} else {
			b.WriteString("(" + strings.Join(g, " OR ") + ")")
		}
	}
	return b.String()
}
