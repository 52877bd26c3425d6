package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/lang"
)

const inboxCols = `id, name, channel, public_key, team_id, settings, created_at`

func scanInbox(sc interface{ Scan(...any) error }) (*desk.Inbox, error) {
	var in desk.Inbox
	var settings string
	var created int64
	if err := sc.Scan(&in.ID, &in.Name, &in.Channel, &in.PublicKey, &in.TeamID, &settings, &created); err != nil {
		return nil, err
	}
	in.CreatedAt = fromMS(created)
	var err error
	if in.Settings, err = parseMap(settings); err != nil {
		return nil, err
	}
	return &in, nil
}

func (o ops) CreateInbox(ctx context.Context, in *desk.Inbox) error {
	in.CreatedAt = nowOr(in.CreatedAt)
	return o.write(ctx, func(q *txQuerier) error {
		err := q.QueryRowContext(ctx, `INSERT INTO inboxes(name, channel, public_key, team_id, settings, created_at)
			VALUES (?,?,?,?,?,?) RETURNING id`,
			in.Name, in.Channel, in.PublicKey, in.TeamID, mapText(in.Settings), ms(in.CreatedAt)).Scan(&in.ID)
		return wrap("create inbox", err)
	})
}

func (o ops) UpdateInbox(ctx context.Context, in *desk.Inbox) error {
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE inboxes SET name = ?, channel = ?, public_key = ?, team_id = ?, settings = ?
			WHERE id = ?`, in.Name, in.Channel, in.PublicKey, in.TeamID, mapText(in.Settings), in.ID)
		return affected("update inbox", res, err)
	})
}

func (o ops) InboxByID(ctx context.Context, id int64) (*desk.Inbox, error) {
	in, err := scanInbox(o.read.QueryRowContext(ctx, `SELECT `+inboxCols+` FROM inboxes WHERE id = ?`, id))
	if err != nil {
		return nil, wrap("inbox by id", err)
	}
	return in, nil
}

func (o ops) InboxByKey(ctx context.Context, publicKey string) (*desk.Inbox, error) {
	in, err := scanInbox(o.read.QueryRowContext(ctx, `SELECT `+inboxCols+` FROM inboxes WHERE public_key = ?`, publicKey))
	if err != nil {
		return nil, wrap("inbox by key", err)
	}
	return in, nil
}

func (o ops) ListInboxes(ctx context.Context) ([]desk.Inbox, error) {
	rows, err := o.read.QueryContext(ctx, `SELECT `+inboxCols+` FROM inboxes ORDER BY id`)
	if err != nil {
		return nil, wrap("list inboxes", err)
	}
	defer rows.Close()
	var out []desk.Inbox
	for rows.Next() {
		in, err := scanInbox(rows)
		if err != nil {
			return nil, wrap("list inboxes", err)
		}
		out = append(out, *in)
	}
	return out, wrap("list inboxes", rows.Err())
}

const contactCols = `id, name, email, phone, locale, attributes, created_at, updated_at, owner_id`

// contactRow holds the columns of contactCols that need converting.
type contactRow struct {
	attrs            string
	created, updated int64
}

// dest lists where contactCols scan to.
func (r *contactRow) dest(c *desk.Contact) []any {
	return []any{&c.ID, &c.Name, &c.Email, &c.Phone, &c.Locale, &r.attrs, &r.created, &r.updated, &c.OwnerID}
}

// fill converts what dest scanned into c.
func (r *contactRow) fill(c *desk.Contact) error {
	c.CreatedAt, c.UpdatedAt = fromMS(r.created), fromMS(r.updated)
	var err error
	c.Attributes, err = parseMap(r.attrs)
	return err
}

func scanContact(sc interface{ Scan(...any) error }, c *desk.Contact) error {
	var r contactRow
	if err := sc.Scan(r.dest(c)...); err != nil {
		return err
	}
	return r.fill(c)
}

// contactDoc is what contact_fts holds for a contact: the words of its name.
func contactDoc(c *desk.Contact) string { return ftsDoc(lang.Tokens(c.Name)) }

func (o ops) CreateContact(ctx context.Context, c *desk.Contact) error {
	c.CreatedAt = nowOr(c.CreatedAt)
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	return o.write(ctx, func(q *txQuerier) error {
		// The id is above every contact's and every merged contact's
		// (both one index probe): SQLite would otherwise give a deleted
		// newest rowid out again, and an undone merge must get its
		// contact's id back.
		err := q.QueryRowContext(ctx, `INSERT INTO contacts(id, name, email, email_key, phone, phone_key, locale,
			attributes, created_at, updated_at, owner_id)
			VALUES (1 + max(COALESCE((SELECT max(id) FROM contacts), 0),
				COALESCE((SELECT max(merged_id) FROM contact_merges), 0)), ?,?,?,?,?,?,?,?,?,?) RETURNING id`,
			c.Name, c.Email, emailKey(c.Email), c.Phone, phoneKey(c.Phone), c.Locale, mapText(c.Attributes),
			ms(c.CreatedAt), ms(c.UpdatedAt), c.OwnerID).Scan(&c.ID)
		if err != nil {
			return wrap("create contact", err)
		}
		q.index(ftsContact, c.ID, contactDoc(c))
		return nil
	})
}

func (o ops) UpdateContact(ctx context.Context, c *desk.Contact) error {
	c.UpdatedAt = nowOr(c.UpdatedAt)
	return o.write(ctx, func(q *txQuerier) error {
		var oldName string
		if err := q.QueryRowContext(ctx, `SELECT name FROM contacts WHERE id = ?`, c.ID).Scan(&oldName); err != nil {
			return wrap("update contact", err)
		}
		_, err := q.ExecContext(ctx, `UPDATE contacts SET name = ?, email = ?, email_key = ?, phone = ?, phone_key = ?,
			locale = ?, attributes = ?, updated_at = ?, owner_id = ? WHERE id = ?`,
			c.Name, c.Email, emailKey(c.Email), c.Phone, phoneKey(c.Phone), c.Locale, mapText(c.Attributes), ms(c.UpdatedAt),
			c.OwnerID, c.ID)
		if err != nil {
			return wrap("update contact", err)
		}
		if oldName == c.Name {
			return nil
		}
		q.unindex(ftsContact, c.ID)
		q.index(ftsContact, c.ID, contactDoc(c))
		return nil
	})
}

func (o ops) ContactByID(ctx context.Context, id int64) (*desk.Contact, error) {
	return o.contactWhere(ctx, "contact by id", `c.id = ?`, id)
}

func (o ops) ContactByIdentity(ctx context.Context, kind desk.IdentityKind, value string) (*desk.Contact, error) {
	return o.contactWhere(ctx, "contact by identity",
		`c.id = (SELECT contact_id FROM identities WHERE kind = ? AND value = ?)`, kind, value)
}

// contactWithIdentities reads a contact and its identities in one query,
// one row per identity (or one row of zeros when it has none): one
// statement and one read transaction instead of two.
const contactWithIdentities = `SELECT c.id, c.name, c.email, c.phone, c.locale, c.attributes, c.created_at, c.updated_at,
	c.owner_id, COALESCE(i.id, 0), COALESCE(i.kind, ''), COALESCE(i.value, ''), COALESCE(i.verified, 0), COALESCE(i.created_at, 0)
	FROM contacts c LEFT JOIN identities i ON i.contact_id = c.id WHERE `

func (o ops) contactWhere(ctx context.Context, op, where string, args ...any) (*desk.Contact, error) {
	// A lookup by key: not worth a cancellable context (see QueryRowContext).
	rows, err := o.read.QueryContext(context.WithoutCancel(ctx), contactWithIdentities+where+` ORDER BY i.id`, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var c *desk.Contact
	for rows.Next() {
		var row desk.Contact
		var cr contactRow
		var id desk.Identity
		var verified int
		var idCreated int64
		if err := rows.Scan(append(cr.dest(&row), &id.ID, &id.Kind, &id.Value, &verified, &idCreated)...); err != nil {
			return nil, wrap(op, err)
		}
		if c == nil {
			if err := cr.fill(&row); err != nil {
				return nil, wrap(op, err)
			}
			c = &row
		}
		if id.ID != 0 {
			id.ContactID, id.Verified, id.CreatedAt = c.ID, verified != 0, fromMS(idCreated)
			c.Identities = append(c.Identities, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	if c == nil {
		return nil, wrap(op, sql.ErrNoRows)
	}
	return c, nil
}

// AddIdentity links (kind, value) to the contact. Linking it again to the
// same contact is a no-op; to another contact it is ErrConflict.
func (o ops) AddIdentity(ctx context.Context, id *desk.Identity) error {
	id.CreatedAt = nowOr(id.CreatedAt)
	return o.write(ctx, func(q *txQuerier) error {
		err := q.QueryRowContext(ctx, `INSERT INTO identities(contact_id, kind, value, verified, created_at)
			VALUES (?,?,?,?,?) ON CONFLICT (kind, value) DO NOTHING RETURNING id`,
			id.ContactID, id.Kind, id.Value, boolInt(id.Verified), ms(id.CreatedAt)).Scan(&id.ID)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return wrap("add identity", err)
		}
		var owner int64
		if err := q.QueryRowContext(ctx, `SELECT id, contact_id FROM identities WHERE kind = ? AND value = ?`,
			id.Kind, id.Value).Scan(&id.ID, &owner); err != nil {
			return wrap("add identity", err)
		}
		if owner != id.ContactID {
			return fmt.Errorf("sqlite: add identity: belongs to contact %d: %w", owner, desk.ErrConflict)
		}
		if id.Verified {
			// The contact proved a handle it had unverified (a signed login).
			if _, err := q.ExecContext(ctx, `UPDATE identities SET verified = 1 WHERE id = ? AND verified = 0`, id.ID); err != nil {
				return wrap("add identity", err)
			}
		}
		return nil
	})
}

// ListContacts lists contacts newest first. Search matches whole words of
// the name, the exact email (any case) or the phone number (digits).
func (o ops) ListContacts(ctx context.Context, q desk.ContactQuery) ([]desk.Contact, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 200)
	offset := max(q.Offset, 0)
	var rows *sql.Rows
	var err error
	if strings.TrimSpace(q.Search) == "" {
		rows, err = o.read.QueryContext(ctx, `SELECT `+contactCols+` FROM contacts ORDER BY id DESC LIMIT ? OFFSET ?`, limit, offset)
	} else {
		m := contactMatch(q.Search)
		if m.empty() {
			return nil, nil
		}
		rows, err = o.read.QueryContext(ctx, `SELECT `+contactCols+` FROM contacts WHERE id IN (`+m.sql+`)
			ORDER BY id DESC LIMIT ? OFFSET ?`, append(m.args, limit, offset)...)
	}
	if err != nil {
		return nil, wrap("list contacts", err)
	}
	defer rows.Close()
	var out []desk.Contact
	for rows.Next() {
		var c desk.Contact
		if err := scanContact(rows, &c); err != nil {
			return nil, wrap("list contacts", err)
		}
		out = append(out, c)
	}
	return out, wrap("list contacts", rows.Err())
}

// contactMatcher is a subquery yielding the ids of contacts that match a
// search text, with its arguments.
type contactMatcher struct {
	sql  string
	args []any
}

func (m contactMatcher) empty() bool { return m.sql == "" }

// contactMatch builds the contact part of a search: all words of the text
// in the name, or the text as an email address, or as a phone number.
func contactMatch(text string) contactMatcher {
	text = strings.TrimSpace(text)
	var parts []string
	var args []any
	var words [][]string
	for _, t := range lang.Tokens(text) {
		words = append(words, []string{t})
	}
	if fq := ftsQuery(words); fq != "" {
		parts = append(parts, `SELECT rowid FROM contact_fts WHERE contact_fts MATCH ?`)
		args = append(args, fq)
	}
	if strings.Contains(text, "@") && !strings.ContainsAny(text, " \t") {
		key := emailKey(text)
		// "<> ''" lets SQLite use the partial index (it must see that the
		// query implies the index's condition).
		parts = append(parts, `SELECT id FROM contacts WHERE email_key = ? AND email_key <> ''`,
			`SELECT contact_id FROM identities WHERE kind = 'email' AND value IN (?, ?)`)
		args = append(args, key, text, key)
	}
	if p := phoneKey(text); looksLikePhone(text) {
		parts = append(parts, `SELECT id FROM contacts WHERE phone_key = ? AND phone_key <> ''`,
			`SELECT contact_id FROM identities WHERE kind = 'phone' AND value IN (?, ?)`)
		args = append(args, p, text, p)
	}
	return contactMatcher{sql: strings.Join(parts, " UNION "), args: args}
}

// looksLikePhone: at least six digits and nothing but digits, spaces and
// the usual phone punctuation.
func looksLikePhone(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("+-() ./", r):
		default:
			return false
		}
	}
	return digits >= 6
}
