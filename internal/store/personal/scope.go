package personal

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
)

// DB is a driver's database handle (the store's or a transaction's) as the
// shared privacy code uses it: a querier, and the two conditions whose SQL
// differs between the dialects. Placeholders are numbered from 1 in the
// order of the arguments; a dialect with "?" ignores the number.
type DB interface {
	// Query runs query and calls scan on each row in turn.
	Query(ctx context.Context, scan func(Row) error, query string, args ...any) error
	// Exec runs a statement and returns how many rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	// In is the condition that column is in the list bound as argument n.
	In(column string, n int) string
	// List turns a []int64 or []string into the argument In binds.
	List(v any) any
	// Contains is the condition that text (an SQL expression) holds, as a
	// substring, one of the lower-case strings bound as argument n.
	Contains(text string, n int) string
}

// Row is one row of a Query.
type Row interface{ Scan(dest ...any) error }

// in appends list to args and returns column's condition on it.
func in(db DB, args []any, column string, list any) (string, []any) {
	args = append(args, db.List(list))
	return db.In(column, len(args)), args
}

// Scalars runs a query of one column.
func Scalars[T any](ctx context.Context, db DB, query string, args ...any) ([]T, error) {
	var out []T
	err := db.Query(ctx, func(r Row) error {
		var v T
		err := r.Scan(&v)
		out = append(out, v)
		return err
	}, query, args...)
	return out, err
}

// TableSet runs query, which lists table names, as a set: export and
// erasure skip the catalogue's tables a database does not have.
func TableSet(ctx context.Context, db DB, query string) (map[string]bool, error) {
	names, err := Scalars[string](ctx, db, query)
	if err != nil {
		return nil, fmt.Errorf("tables: %w", err)
	}
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	return set, nil
}

// Scope is the set of ids and values a customer's rows are found by.
type Scope struct {
	Contacts, Conversations, Messages []int64
	Emails                            []string // lower case
	// Values are the contacts' email addresses, phone numbers and identity
	// values as stored: what a residue scan looks for. Only CustomerScope
	// sets them.
	Values []string
}

// IDs returns the scope's ids of kind k (none for Email).
func (sc *Scope) IDs(k Key) []int64 {
	switch k {
	case Contact:
		return sc.Contacts
	case Conversation:
		return sc.Conversations
	case Message:
		return sc.Messages
	}
	return nil
}

// Where builds t's condition for sc, its placeholders numbered after args:
// "" when no match applies (the scope has no ids of the kinds t needs).
func (sc *Scope) Where(db DB, t Table, args []any) (string, []any) {
	var parts []string
	for _, m := range t.Match {
		var cond string
		switch m.Key {
		case Email:
			if len(sc.Emails) == 0 {
				continue
			}
			cond, args = in(db, args, `lower(`+m.Column+`)`, sc.Emails)
		default:
			ids := sc.IDs(m.Key)
			if len(ids) == 0 {
				continue
			}
			cond, args = in(db, args, m.Column, ids)
		}
		if m.Cond != "" {
			cond = "(" + cond + " AND " + m.Cond + ")"
		}
		parts = append(parts, cond)
	}
	return strings.Join(parts, " OR "), args
}

// CustomerScope reads the contact, the contacts merged into it, their
// conversations, messages, email addresses and the values a residue scan
// looks for. owners is the driver's query listing a contact (its one
// argument) and the contacts merged into it, merges not undone, by id. A
// missing contact is desk.ErrNotFound.
func CustomerScope(ctx context.Context, db DB, owners string, contactID int64) (*Scope, error) {
	cond, args := in(db, nil, "id", []int64{contactID})
	found, err := Scalars[int64](ctx, db, `SELECT id FROM contacts WHERE `+cond, args...)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("contact %d: %w", contactID, desk.ErrNotFound)
	}
	sc := &Scope{}
	if sc.Contacts, err = Scalars[int64](ctx, db, owners, contactID); err != nil {
		return nil, err
	}
	if err := sc.fill(ctx, db); err != nil {
		return nil, err
	}
	emails, args := in(db, nil, "id", sc.Contacts)
	phones, args := in(db, args, "id", sc.Contacts)
	idents, args := in(db, args, "contact_id", sc.Contacts)
	sc.Values, err = Scalars[string](ctx, db, `SELECT email FROM contacts WHERE `+emails+` AND email <> ''
		UNION SELECT phone FROM contacts WHERE `+phones+` AND phone <> ''
		UNION SELECT value FROM identities WHERE `+idents, args...)
	if err != nil {
		return nil, err
	}
	for _, v := range sc.Values {
		if strings.Contains(v, "@") {
			sc.Emails = append(sc.Emails, strings.ToLower(v))
		}
	}
	return sc, nil
}

// ConversationScope reads the scope of the conversations with the given
// ids (unknown ones are skipped) and their messages; it has no contacts.
func ConversationScope(ctx context.Context, db DB, ids []int64) (*Scope, error) {
	cond, args := in(db, nil, "id", ids)
	convs, err := Scalars[int64](ctx, db, `SELECT id FROM conversations WHERE `+cond+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	sc := &Scope{Conversations: convs}
	return sc, sc.fill(ctx, db)
}

// fill reads the conversations of sc.Contacts and the messages of
// sc.Conversations.
func (sc *Scope) fill(ctx context.Context, db DB) error {
	if len(sc.Contacts) > 0 {
		cond, args := in(db, nil, "contact_id", sc.Contacts)
		convs, err := Scalars[int64](ctx, db, `SELECT id FROM conversations WHERE `+cond+` ORDER BY id`, args...)
		if err != nil {
			return err
		}
		sc.Conversations = convs
	}
	if len(sc.Conversations) == 0 {
		return nil
	}
	cond, args := in(db, nil, "conversation_id", sc.Conversations)
	msgs, err := Scalars[int64](ctx, db, `SELECT id FROM messages WHERE `+cond+` ORDER BY id`, args...)
	sc.Messages = msgs
	return err
}

// Webhooks finds the outbox's webhook rows whose payload carries one of
// sc's conversations or messages: the payload is JSON, which the
// catalogue's conditions cannot match in both dialects.
func (sc *Scope) Webhooks(ctx context.Context, db DB) ([]int64, error) {
	if len(sc.Conversations) == 0 {
		return nil, nil
	}
	var out []int64
	err := db.Query(ctx, func(r Row) error {
		var id int64
		var payload []byte
		if err := r.Scan(&id, &payload); err != nil {
			return err
		}
		if PayloadMentions(payload, sc) {
			out = append(out, id)
		}
		return nil
	}, `SELECT id, payload FROM outbox WHERE kind = 'webhook'`)
	if err != nil {
		return nil, fmt.Errorf("webhook rows: %w", err)
	}
	return out, nil
}

// PayloadMentions reports whether a webhook body (wire.WebhookBody) is about
// one of sc's conversations or messages. A body that is not JSON is not.
func PayloadMentions(payload []byte, sc *Scope) bool {
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
	if c := body.Data.Conversation; c != nil && slices.Contains(sc.Conversations, c.ID) {
		return true
	}
	if m := body.Data.Message; m != nil &&
		(slices.Contains(sc.Messages, m.ID) || slices.Contains(sc.Conversations, m.ConversationID)) {
		return true
	}
	return false
}

// Files lists the blobs of sc's messages: attachments, thumbnails and the
// HTML versions of mails.
func (sc *Scope) Files(ctx context.Context, db DB) ([]desk.PersonalFile, error) {
	if len(sc.Messages) == 0 {
		return nil, nil
	}
	var out []desk.PersonalFile
	cond, args := in(db, nil, "message_id", sc.Messages)
	err := db.Query(ctx, func(r Row) error {
		var msg int64
		var name, ct, blob, thumb string
		if err := r.Scan(&msg, &name, &ct, &blob, &thumb); err != nil {
			return err
		}
		if blob != "" {
			out = append(out, desk.PersonalFile{Key: blob, Name: name, ContentType: ct, Kind: "attachment", MessageID: msg})
		}
		if thumb != "" {
			out = append(out, desk.PersonalFile{Key: thumb, Name: name, ContentType: "image/jpeg", Kind: "thumbnail", MessageID: msg})
		}
		return nil
	}, `SELECT message_id, name, content_type, blob_key, thumb_key FROM attachments WHERE `+cond+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("attachments: %w", err)
	}
	cond, args = in(db, nil, "id", sc.Messages)
	err = db.Query(ctx, func(r Row) error {
		var id int64
		var raw string
		if err := r.Scan(&id, &raw); err != nil {
			return err
		}
		var meta map[string]string
		if err := json.Unmarshal([]byte(raw), &meta); err != nil {
			return fmt.Errorf("message %d: %w", id, err)
		}
		if k := meta[desk.MetaEmailHTML]; k != "" {
			out = append(out, desk.PersonalFile{Key: k, Name: fmt.Sprintf("message-%d.html", id),
				ContentType: "text/html", Kind: "email_html", MessageID: id})
		}
		return nil
	}, `SELECT id, meta FROM messages WHERE `+cond+` AND meta <> '' ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	return out, nil
}
