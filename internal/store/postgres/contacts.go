package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
)

const inboxColumns = `id, name, channel, public_key, COALESCE(team_id, 0), settings, created_at`

func scanInbox(row pgx.Row) (desk.Inbox, error) {
	var in desk.Inbox
	err := row.Scan(&in.ID, &in.Name, &in.Channel, &in.PublicKey, &in.TeamID, &in.Settings, &in.CreatedAt)
	if len(in.Settings) == 0 {
		in.Settings = nil
	}
	return in, err
}

// nonNil keeps a nil map from being stored as JSON null.
func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// CreateInbox stores a new inbox and sets ID and CreatedAt. A public key in
// use is ErrConflict.
func (s *Store) CreateInbox(ctx context.Context, in *desk.Inbox) error {
	in.CreatedAt = orNow(in.CreatedAt)
	err := s.guarded(ctx, func(s *Store) error {
		return s.q.QueryRow(ctx, `INSERT INTO inboxes (name, channel, public_key, team_id, settings, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			in.Name, in.Channel, in.PublicKey, nullID(in.TeamID), nonNil(in.Settings), in.CreatedAt).Scan(&in.ID)
	})
	return wrap("create inbox", err)
}

// UpdateInbox writes name, channel, public key, team and settings.
func (s *Store) UpdateInbox(ctx context.Context, in *desk.Inbox) error {
	err := s.guarded(ctx, func(s *Store) error {
		return affected(s.q.Exec(ctx, `UPDATE inboxes SET name = $2, channel = $3, public_key = $4,
			team_id = $5, settings = $6 WHERE id = $1`,
			in.ID, in.Name, in.Channel, in.PublicKey, nullID(in.TeamID), nonNil(in.Settings)))
	})
	return wrap("update inbox", err)
}

// InboxByID returns one inbox.
func (s *Store) InboxByID(ctx context.Context, id int64) (*desk.Inbox, error) {
	in, err := scanInbox(s.q.QueryRow(ctx, `SELECT `+inboxColumns+` FROM inboxes WHERE id = $1`, id))
	if err != nil {
		return nil, wrap("inbox by id", err)
	}
	return &in, nil
}

// InboxByKey finds an inbox by its public key.
func (s *Store) InboxByKey(ctx context.Context, publicKey string) (*desk.Inbox, error) {
	if publicKey == "" {
		return nil, wrap("inbox by key", desk.ErrNotFound)
	}
	in, err := scanInbox(s.q.QueryRow(ctx, `SELECT `+inboxColumns+` FROM inboxes WHERE public_key = $1`, publicKey))
	if err != nil {
		return nil, wrap("inbox by key", err)
	}
	return &in, nil
}

// ListInboxes returns all inboxes by id.
func (s *Store) ListInboxes(ctx context.Context) ([]desk.Inbox, error) {
	rows, err := s.q.Query(ctx, `SELECT `+inboxColumns+` FROM inboxes ORDER BY id`)
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
		out = append(out, in)
	}
	return out, wrap("list inboxes", rows.Err())
}

// contactColumns lists a contact's columns under the table alias a.
func contactColumns(a string) string {
	return strings.NewReplacer("$", a).Replace(
		`$.id, $.name, $.email, $.phone, $.locale, $.attributes, $.created_at, $.updated_at, COALESCE($.owner_id, 0)`)
}

// contactDest is where contactColumns scan to.
func contactDest(c *desk.Contact) []any {
	return []any{&c.ID, &c.Name, &c.Email, &c.Phone, &c.Locale, &c.Attributes, &c.CreatedAt, &c.UpdatedAt, &c.OwnerID}
}

func scanContact(row pgx.Row) (desk.Contact, error) {
	var c desk.Contact
	err := row.Scan(contactDest(&c)...)
	if len(c.Attributes) == 0 {
		c.Attributes = nil
	}
	return c, err
}

// CreateContact stores a new contact and sets ID and CreatedAt. Identities
// are added with AddIdentity.
func (s *Store) CreateContact(ctx context.Context, c *desk.Contact) error {
	c.CreatedAt = orNow(c.CreatedAt)
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	c.UpdatedAt = ts(c.UpdatedAt)
	// An unknown owner breaks the foreign key: guarded keeps a caller's
	// transaction usable.
	err := s.guarded(ctx, func(s *Store) error {
		return s.q.QueryRow(ctx, `INSERT INTO contacts
			(name, email, phone, locale, attributes, name_terms, created_at, updated_at, owner_id)
			VALUES ($1, $2, $3, $4, $5, array_to_tsvector($6::text[]), $7, $8, $9) RETURNING id`,
			c.Name, c.Email, c.Phone, c.Locale, nonNil(c.Attributes), indexTerms(c.Name), c.CreatedAt, c.UpdatedAt,
			nullID(c.OwnerID),
		).Scan(&c.ID)
	})
	return wrap("create contact", err)
}

// UpdateContact writes name, email, phone, locale, attributes and owner.
func (s *Store) UpdateContact(ctx context.Context, c *desk.Contact) error {
	c.UpdatedAt = orNow(c.UpdatedAt)
	err := s.guarded(ctx, func(s *Store) error {
		return affected(s.q.Exec(ctx, `UPDATE contacts SET name = $2, email = $3, phone = $4, locale = $5,
			attributes = $6, name_terms = array_to_tsvector($7::text[]), updated_at = $8, owner_id = $9 WHERE id = $1`,
			c.ID, c.Name, c.Email, c.Phone, c.Locale, nonNil(c.Attributes), indexTerms(c.Name), c.UpdatedAt,
			nullID(c.OwnerID)))
	})
	return wrap("update contact", err)
}

// ContactByID returns a contact with its identities.
func (s *Store) ContactByID(ctx context.Context, id int64) (*desk.Contact, error) {
	c, err := s.contactWithIdentities(ctx, `SELECT `+contactColumns("k")+`, `+identitiesJSON+`
		FROM contacts k WHERE k.id = $1`, id)
	return c, wrap("contact by id", err)
}

// ContactByIdentity finds the contact owning (kind, value), with its
// identities.
func (s *Store) ContactByIdentity(ctx context.Context, kind desk.IdentityKind, value string) (*desk.Contact, error) {
	c, err := s.contactWithIdentities(ctx, `SELECT `+contactColumns("k")+`, `+identitiesJSON+`
		FROM contacts k JOIN identities i ON i.contact_id = k.id WHERE i.kind = $1 AND i.value = $2`, kind, value)
	return c, wrap("contact by identity", err)
}

// contactWithIdentities reads one contact, its identities coming along in
// the same row (identitiesJSON): one round trip, not two.
func (s *Store) contactWithIdentities(ctx context.Context, sql string, args ...any) (*desk.Contact, error) {
	var c desk.Contact
	var idents []byte
	if err := s.q.QueryRow(ctx, sql, args...).Scan(append(contactDest(&c), &idents)...); err != nil {
		return nil, err
	}
	if len(c.Attributes) == 0 {
		c.Attributes = nil
	}
	var err error
	if c.Identities, err = parseIdentities(c.ID, idents); err != nil {
		return nil, err
	}
	return &c, nil
}

// identitiesJSON selects the identities of contact k as a JSON array, oldest
// first, times as Unix milliseconds (stored times have no finer precision).
const identitiesJSON = `COALESCE((SELECT json_agg(json_build_object('id', d.id, 'kind', d.kind,
		'value', d.value, 'verified', d.verified, 'at', (extract(epoch FROM d.created_at) * 1000)::bigint)
		ORDER BY d.id)
	FROM identities d WHERE d.contact_id = k.id), '[]')`

// identityJSON is the shape identitiesJSON builds.
type identityJSON struct {
	ID       int64             `json:"id"`
	Kind     desk.IdentityKind `json:"kind"`
	Value    string            `json:"value"`
	Verified bool              `json:"verified"`
	At       int64             `json:"at"`
}

// parseIdentities reads what identitiesJSON selected; none is nil.
func parseIdentities(contactID int64, b []byte) ([]desk.Identity, error) {
	var in []identityJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("identities: %w", err)
	}
	var out []desk.Identity
	for _, d := range in {
		out = append(out, desk.Identity{ID: d.ID, ContactID: contactID, Kind: d.Kind, Value: d.Value,
			Verified: d.Verified, CreatedAt: time.UnixMilli(d.At).UTC()})
	}
	return out, nil
}

// AddIdentity links an identity to its contact and sets ID. Adding one the
// contact already has is a no-op; one that belongs to another contact is
// ErrConflict.
func (s *Store) AddIdentity(ctx context.Context, id *desk.Identity) error {
	id.CreatedAt = orNow(id.CreatedAt)
	err := s.guarded(ctx, func(s *Store) error {
		return s.q.QueryRow(ctx, `INSERT INTO identities (contact_id, kind, value, verified, created_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, value) DO NOTHING RETURNING id`,
			id.ContactID, id.Kind, id.Value, id.Verified, id.CreatedAt).Scan(&id.ID)
	})
	if err == nil || !errors.Is(err, pgx.ErrNoRows) {
		return wrap("add identity", err)
	}
	// It exists: fine if it is this contact's.
	var owner int64
	err = s.q.QueryRow(ctx, `SELECT id, contact_id FROM identities WHERE kind = $1 AND value = $2`,
		id.Kind, id.Value).Scan(&id.ID, &owner)
	if err != nil {
		return wrap("add identity", err)
	}
	if owner != id.ContactID {
		id.ID = 0
		return wrap("add identity", fmt.Errorf("%w: %s %q belongs to another contact", desk.ErrConflict, id.Kind, id.Value))
	}
	if id.Verified {
		// The contact proved a handle it had unverified (a signed login).
		if _, err := s.q.Exec(ctx, `UPDATE identities SET verified = true WHERE id = $1 AND NOT verified`, id.ID); err != nil {
			return wrap("add identity", err)
		}
	}
	return nil
}

// ListContacts returns contacts newest first. Search matches every word of
// the name, the whole email address (any case) or the phone number.
func (s *Store) ListContacts(ctx context.Context, q desk.ContactQuery) ([]desk.Contact, error) {
	limit := q.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	offset := max(q.Offset, 0)
	sql := `SELECT ` + contactColumns("c") + ` FROM contacts c`
	args := []any{limit, offset}
	if text := strings.TrimSpace(q.Search); text != "" {
		tsq, email, phone := contactMatch(text)
		args = append(args, tsq, email, phone)
		sql += ` WHERE ` + contactWhere("c", "$3", "$4", "$5")
	}
	sql += ` ORDER BY c.created_at DESC, c.id DESC LIMIT $1 OFFSET $2`
	rows, err := s.q.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrap("list contacts", err)
	}
	defer rows.Close()
	var out []desk.Contact
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, wrap("list contacts", err)
		}
		out = append(out, c)
	}
	return out, wrap("list contacts", rows.Err())
}

// contactMatch turns search text into the arguments of contactWhere: a
// tsquery over name words (nil when there are none), the text as an email
// address and its digits as a phone number (empty when it does not look
// like one).
func contactMatch(text string) (tsq any, email, phone string) {
	if t := tsQuery(text); t != "" {
		tsq = t
	}
	if strings.Contains(text, "@") {
		email = text
	}
	phone = phoneDigits(text)
	return tsq, email, phone
}

// contactWhere is the condition matching contacts of alias a against the
// parameters holding contactMatch's results. Each branch has its index.
func contactWhere(a, tsq, email, phone string) string {
	return `(` + a + `.name_terms @@ ` + tsq + `::tsquery
		OR (` + email + ` <> '' AND lower(` + a + `.email) = lower(` + email + `) AND ` + a + `.email <> '')
		OR (` + phone + ` <> '' AND ` + a + `.phone_digits = ` + phone + ` AND ` + a + `.phone_digits <> ''))`
}

// phoneDigits returns the digits of text when it reads as a phone number
// (digits, spaces, + - ( ) . and at least six digits), else "".
func phoneDigits(text string) string {
	var b strings.Builder
	for _, r := range text {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case strings.ContainsRune(" +-().", r):
		default:
			return ""
		}
	}
	if b.Len() < 6 {
		return ""
	}
	return b.String()
}
