package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
)

// One customer across channels: merging profiles (recorded in
// contact_merges, so that a merge can be undone), moving identities and
// conversations between profiles, and finding merge candidates.

var _ desk.IdentityStore = (*Store)(nil)

// mergedJSON is the merged profile as contact_merges.merged keeps it.
type mergedJSON struct {
	Name       string            `json:"name"`
	Email      string            `json:"email"`
	Phone      string            `json:"phone"`
	Locale     string            `json:"locale"`
	Attributes map[string]string `json:"attributes,omitempty"`
	OwnerID    int64             `json:"owner_id,omitempty"`
	CreatedAt  int64             `json:"created_at"`
	UpdatedAt  int64             `json:"updated_at"`
}

// mergedIdentityJSON is one identity in contact_merges.identities.
type mergedIdentityJSON struct {
	ID        int64             `json:"id"`
	Kind      desk.IdentityKind `json:"kind"`
	Value     string            `json:"value"`
	Verified  bool              `json:"verified"`
	CreatedAt int64             `json:"created_at"`
}

const mergeColumns = `id, kept_id, merged_id, agent_id, merged, identities, conversations, reason,
	created_at, undone_at`

func scanMerge(row pgx.Row) (desk.ContactMerge, error) {
	var m desk.ContactMerge
	var merged, idents []byte
	var undone *time.Time
	if err := row.Scan(&m.ID, &m.KeptID, &m.MergedID, &m.AgentID, &merged, &idents, &m.Conversations,
		&m.Reason, &m.CreatedAt, &undone); err != nil {
		return m, err
	}
	m.UndoneAt = timeOf(undone)
	if len(m.Conversations) == 0 {
		m.Conversations = nil
	}
	var c mergedJSON
	if err := json.Unmarshal(merged, &c); err != nil {
		return m, fmt.Errorf("merged contact: %w", err)
	}
	m.Merged = desk.Contact{ID: m.MergedID, Name: c.Name, Email: c.Email, Phone: c.Phone, Locale: c.Locale,
		Attributes: c.Attributes, OwnerID: c.OwnerID, CreatedAt: fromMillis(c.CreatedAt), UpdatedAt: fromMillis(c.UpdatedAt)}
	var ids []mergedIdentityJSON
	if err := json.Unmarshal(idents, &ids); err != nil {
		return m, fmt.Errorf("merged identities: %w", err)
	}
	for _, d := range ids {
		m.Identities = append(m.Identities, desk.Identity{ID: d.ID, ContactID: m.MergedID, Kind: d.Kind,
			Value: d.Value, Verified: d.Verified, CreatedAt: fromMillis(d.CreatedAt)})
	}
	return m, nil
}

// millis and fromMillis store a time in a JSON snapshot as Unix
// milliseconds; the zero time is 0.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// MergeContacts folds merged into kept in one transaction. Both contacts
// are locked first, in id order, so that two merges of the same profiles
// run one after the other: the second finds its contact gone.
func (s *Store) MergeContacts(ctx context.Context, keptID, mergedID, agentID int64, reason string) (*desk.ContactMerge, error) {
	const op = "merge contacts"
	if keptID == mergedID {
		return nil, wrap(op, desk.Invalid("merged", "a contact cannot be merged into itself"))
	}
	var m *desk.ContactMerge
	err := s.atomically(ctx, func(s *Store) error {
		both, err := s.lockContacts(ctx, keptID, mergedID)
		if err != nil {
			return err
		}
		kept, merged := both[keptID], both[mergedID]
		if kept == nil {
			return fmt.Errorf("kept contact %d: %w", keptID, desk.ErrNotFound)
		}
		if merged == nil {
			return fmt.Errorf("merged contact %d: %w", mergedID, desk.ErrNotFound)
		}
		now := now()
		rec := &desk.ContactMerge{KeptID: keptID, MergedID: mergedID, AgentID: agentID, Merged: *merged,
			Reason: reason, CreatedAt: now}

		// Moving returns what moved: the snapshot is exactly that.
		rows, err := s.q.Query(ctx, `UPDATE identities SET contact_id = $1 WHERE contact_id = $2
			RETURNING id, kind, value, verified, created_at`, keptID, mergedID)
		if err != nil {
			return err
		}
		idents, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (desk.Identity, error) {
			id := desk.Identity{ContactID: mergedID}
			err := row.Scan(&id.ID, &id.Kind, &id.Value, &id.Verified, &id.CreatedAt)
			return id, err
		})
		if err != nil {
			return err
		}
		slices.SortFunc(idents, func(a, b desk.Identity) int { return cmp.Compare(a.ID, b.ID) })
		rec.Identities = idents
		snapIdents := make([]mergedIdentityJSON, len(idents))
		for i, d := range idents {
			snapIdents[i] = mergedIdentityJSON{ID: d.ID, Kind: d.Kind, Value: d.Value, Verified: d.Verified,
				CreatedAt: millis(d.CreatedAt)}
		}

		rows, err = s.q.Query(ctx, `UPDATE conversations SET contact_id = $1 WHERE contact_id = $2 RETURNING id`,
			keptID, mergedID)
		if err != nil {
			return err
		}
		convs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		slices.Sort(convs)
		if convs == nil {
			convs = []int64{} // a NULL array would break NOT NULL
		}
		if len(convs) > 0 {
			rec.Conversations = convs
			// The customer's messages follow their conversations, so
			// that they keep a sender (the merged contact is deleted).
			if _, err := s.q.Exec(ctx, `UPDATE messages SET sender_id = $1
				WHERE conversation_id = ANY($2) AND sender = 'contact' AND sender_id = $3`,
				keptID, convs, mergedID); err != nil {
				return err
			}
		}
		if _, err := s.q.Exec(ctx, `DELETE FROM contacts WHERE id = $1`, mergedID); err != nil {
			return err
		}
		filled := fillContact(kept, merged)
		if _, err := s.q.Exec(ctx, `UPDATE contacts SET name = $2, email = $3, phone = $4, locale = $5,
			attributes = $6, name_terms = array_to_tsvector($7::text[]), updated_at = $8, owner_id = $9 WHERE id = $1`,
			keptID, filled.Name, filled.Email, filled.Phone, filled.Locale, nonNil(filled.Attributes),
			indexTerms(filled.Name), now, nullID(filled.OwnerID)); err != nil {
			return err
		}

		snapshot := mergedJSON{Name: merged.Name, Email: merged.Email, Phone: merged.Phone, Locale: merged.Locale,
			Attributes: merged.Attributes, OwnerID: merged.OwnerID, CreatedAt: millis(merged.CreatedAt),
			UpdatedAt: millis(merged.UpdatedAt)}
		if err := s.q.QueryRow(ctx, `INSERT INTO contact_merges (kept_id, merged_id, agent_id, merged, identities,
				conversations, reason, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			keptID, mergedID, agentID, snapshot, snapIdents, convs, reason, now).Scan(&rec.ID); err != nil {
			return err
		}
		m = rec
		return nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return m, nil
}

// lockContacts reads and locks the contacts with the given ids, in id
// order; missing ones are absent from the map.
func (s *Store) lockContacts(ctx context.Context, ids ...int64) (map[int64]*desk.Contact, error) {
	rows, err := s.q.Query(ctx, `SELECT `+contactColumns("c")+` FROM contacts c
		WHERE c.id = ANY($1) ORDER BY c.id FOR UPDATE`, ids)
	if err != nil {
		return nil, err
	}
	cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (desk.Contact, error) { return scanContact(row) })
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*desk.Contact, len(cs))
	for i := range cs {
		out[cs[i].ID] = &cs[i]
	}
	return out, nil
}

// fillContact returns kept with its empty fields (the owner too) taken from
// merged and the attributes it has not added.
func fillContact(kept, merged *desk.Contact) desk.Contact {
	out := *kept
	if out.OwnerID == 0 {
		out.OwnerID = merged.OwnerID
	}
	for _, f := range []struct {
		dst *string
		src string
	}{
		{&out.Name, merged.Name}, {&out.Email, merged.Email}, {&out.Phone, merged.Phone}, {&out.Locale, merged.Locale},
	} {
		if *f.dst == "" {
			*f.dst = f.src
		}
	}
	out.Attributes = maps.Clone(kept.Attributes)
	for k, v := range merged.Attributes {
		if _, ok := out.Attributes[k]; !ok {
			if out.Attributes == nil {
				out.Attributes = map[string]string{}
			}
			out.Attributes[k] = v
		}
	}
	return out
}

// UndoMerge restores the merged profile in one transaction, with the
// merge record locked so that two undos cannot both succeed.
func (s *Store) UndoMerge(ctx context.Context, mergeID int64, at time.Time) (*desk.ContactMerge, error) {
	const op = "undo merge"
	at = orNow(at)
	var m desk.ContactMerge
	err := s.atomically(ctx, func(s *Store) error {
		var err error
		m, err = scanMerge(s.q.QueryRow(ctx, `SELECT `+mergeColumns+` FROM contact_merges WHERE id = $1 FOR UPDATE`, mergeID))
		if err != nil {
			return err
		}
		if !m.UndoneAt.IsZero() {
			return fmt.Errorf("undone already: %w", desk.ErrConflict)
		}
		kept, err := s.lockContacts(ctx, m.KeptID)
		if err != nil {
			return err
		}
		if kept[m.KeptID] == nil {
			return fmt.Errorf("contact %d has been merged away since (undo that first): %w", m.KeptID, desk.ErrConflict)
		}
		c := &m.Merged
		// The owner may have been deleted since the merge: then none.
		if _, err := s.q.Exec(ctx, `INSERT INTO contacts
				(id, name, email, phone, locale, attributes, name_terms, created_at, updated_at, owner_id)
			OVERRIDING SYSTEM VALUE
			VALUES ($1, $2, $3, $4, $5, $6, array_to_tsvector($7::text[]), $8, $9,
				(SELECT id FROM agents WHERE id = $10))`,
			c.ID, c.Name, c.Email, c.Phone, c.Locale, nonNil(c.Attributes), indexTerms(c.Name),
			ts(c.CreatedAt), ts(c.UpdatedAt), c.OwnerID); err != nil {
			return err
		}
		// An identity goes back only while it is still the one recorded
		// (id, kind and value; values never change), as in the SQLite
		// driver, where a deleted highest id is handed out again.
		n := len(m.Identities)
		identIDs, kinds, values := make([]int64, n), make([]string, n), make([]string, n)
		for i, id := range m.Identities {
			identIDs[i], kinds[i], values[i] = id.ID, string(id.Kind), id.Value
		}
		if _, err := s.q.Exec(ctx, `UPDATE identities i SET contact_id = $1
			FROM unnest($3::bigint[], $4::text[], $5::text[]) AS r(id, kind, value)
			WHERE i.contact_id = $2 AND i.id = r.id AND i.kind = r.kind AND i.value = r.value`,
			m.MergedID, m.KeptID, identIDs, kinds, values); err != nil {
			return err
		}
		// Only the conversations still with kept go back, with the
		// customer's messages in them.
		if convs := m.Conversations; len(convs) > 0 {
			rows, err := s.q.Query(ctx, `UPDATE conversations SET contact_id = $1
				WHERE contact_id = $2 AND id = ANY($3) RETURNING id`, m.MergedID, m.KeptID, convs)
			if err != nil {
				return err
			}
			back, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil {
				return err
			}
			if len(back) > 0 {
				if _, err := s.q.Exec(ctx, `UPDATE messages SET sender_id = $1
					WHERE conversation_id = ANY($2) AND sender = 'contact' AND sender_id = $3`,
					m.MergedID, back, m.KeptID); err != nil {
					return err
				}
			}
		}
		if _, err := s.q.Exec(ctx, `UPDATE contact_merges SET undone_at = $2 WHERE id = $1`, mergeID, at); err != nil {
			return err
		}
		m.UndoneAt = at
		return nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return &m, nil
}

// ContactMerges lists the merges into a contact, newest first.
func (s *Store) ContactMerges(ctx context.Context, keptID int64) ([]desk.ContactMerge, error) {
	rows, err := s.q.Query(ctx, `SELECT `+mergeColumns+` FROM contact_merges
		WHERE kept_id = $1 ORDER BY created_at DESC, id DESC`, keptID)
	if err != nil {
		return nil, wrap("contact merges", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (desk.ContactMerge, error) { return scanMerge(row) })
	if err != nil {
		return nil, wrap("contact merges", err)
	}
	return out, nil
}

// MoveIdentity gives an identity to another contact. A missing contact is
// a foreign key violation, which matches ErrNotFound.
func (s *Store) MoveIdentity(ctx context.Context, identityID, toContactID int64) error {
	err := s.guarded(ctx, func(s *Store) error {
		return affected(s.q.Exec(ctx, `UPDATE identities SET contact_id = $2 WHERE id = $1`, identityID, toContactID))
	})
	return wrap("move identity", err)
}

// scrubMergedIdentitySQL takes an identity out of the merge records in
// force of a contact and of the contacts merged into it, recursively
// (contact_merges_kept_idx): the records an undo could act on, which
// should neither bring back nor keep a value that was deleted.
const scrubMergedIdentitySQL = `WITH RECURSIVE tree(id) AS (
		SELECT $1::bigint UNION SELECT m.merged_id FROM contact_merges m JOIN tree t ON m.kept_id = t.id
		WHERE m.undone_at IS NULL)
	UPDATE contact_merges SET identities = COALESCE((SELECT jsonb_agg(e ORDER BY n)
		FROM jsonb_array_elements(identities) WITH ORDINALITY AS x(e, n) WHERE (e->>'id')::bigint <> $2), '[]')
	WHERE undone_at IS NULL AND kept_id IN (SELECT id FROM tree)
		AND identities @> jsonb_build_array(jsonb_build_object('id', $2::bigint))`

// DeleteIdentity unlinks an identity from its contact for good. Nothing
// indexes identity values (name_terms holds names), so the row and the
// merge records are all there is.
func (s *Store) DeleteIdentity(ctx context.Context, contactID, identityID int64) error {
	err := s.atomically(ctx, func(s *Store) error {
		if err := affected(s.q.Exec(ctx, `DELETE FROM identities WHERE id = $1 AND contact_id = $2`,
			identityID, contactID)); err != nil {
			return err
		}
		_, err := s.q.Exec(ctx, scrubMergedIdentitySQL, contactID, identityID)
		return err
	})
	return wrap("delete identity", err)
}

// MoveConversation gives a conversation to another contact, with the
// customer's messages in it.
func (s *Store) MoveConversation(ctx context.Context, conversationID, toContactID int64) error {
	err := s.atomically(ctx, func(s *Store) error {
		var from int64
		if err := s.q.QueryRow(ctx, `SELECT contact_id FROM conversations WHERE id = $1 FOR UPDATE`,
			conversationID).Scan(&from); err != nil {
			return err
		}
		if from == toContactID {
			return nil
		}
		if _, err := s.q.Exec(ctx, `UPDATE conversations SET contact_id = $2 WHERE id = $1`,
			conversationID, toContactID); err != nil {
			return err
		}
		_, err := s.q.Exec(ctx, `UPDATE messages SET sender_id = $2
			WHERE conversation_id = $1 AND sender = 'contact' AND sender_id = $3`, conversationID, toContactID, from)
		return err
	})
	return wrap("move conversation", err)
}

// ContactsWithPhone finds the contacts whose primary phone has the digits
// of e164, or that have it as a phone identity.
func (s *Store) ContactsWithPhone(ctx context.Context, e164 string) ([]desk.Contact, error) {
	e164 = strings.TrimSpace(e164)
	if e164 == "" {
		return nil, nil
	}
	return s.contactsWhere(ctx, "contacts with phone", `SELECT id FROM contacts
			WHERE phone_digits = $1 AND phone_digits <> ''
		UNION SELECT contact_id FROM identities WHERE kind = 'phone' AND value = $2`, digits(e164), e164)
}

// ContactsWithEmail finds the contacts whose primary email or an email
// identity is email, in any case.
func (s *Store) ContactsWithEmail(ctx context.Context, email string) ([]desk.Contact, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return nil, nil
	}
	// lower() as in contacts_email_idx and identities_email_lower_idx.
	return s.contactsWhere(ctx, "contacts with email", `SELECT id FROM contacts
			WHERE lower(email) = lower($1) AND email <> ''
		UNION SELECT contact_id FROM identities WHERE kind = 'email' AND lower(value) = lower($1)`, email)
}

// contactsWhere lists, by id, the contacts whose ids ids selects.
func (s *Store) contactsWhere(ctx context.Context, op, ids string, args ...any) ([]desk.Contact, error) {
	rows, err := s.q.Query(ctx, `SELECT `+contactColumns("c")+` FROM contacts c WHERE c.id IN (`+ids+`)
		ORDER BY c.id`, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (desk.Contact, error) { return scanContact(row) })
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// digits keeps the digits of a phone number, as contacts.phone_digits does.
func digits(phone string) string {
	var b strings.Builder
	for _, r := range phone {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
