package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// One customer across channels: merging profiles (recorded in
// contact_merges, so that a merge can be undone), moving identities and
// conversations between profiles, and finding merge candidates.

var (
	_ desk.IdentityStore = (*Store)(nil)
	_ desk.IdentityStore = (*txStore)(nil)
)

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

const mergeCols = `id, kept_id, merged_id, agent_id, merged, identities, conversations, reason, created_at, undone_at`

func scanMerge(sc rowScanner, m *desk.ContactMerge) error {
	var merged, idents, convs string
	var created, undone int64
	if err := sc.Scan(&m.ID, &m.KeptID, &m.MergedID, &m.AgentID, &merged, &idents, &convs, &m.Reason,
		&created, &undone); err != nil {
		return err
	}
	m.CreatedAt, m.UndoneAt = fromMS(created), fromMS(undone)
	var c mergedJSON
	if err := json.Unmarshal([]byte(merged), &c); err != nil {
		return fmt.Errorf("merged contact: %w", err)
	}
	m.Merged = desk.Contact{ID: m.MergedID, Name: c.Name, Email: c.Email, Phone: c.Phone, Locale: c.Locale,
		Attributes: c.Attributes, OwnerID: c.OwnerID, CreatedAt: fromMS(c.CreatedAt), UpdatedAt: fromMS(c.UpdatedAt)}
	var ids []mergedIdentityJSON
	if err := json.Unmarshal([]byte(idents), &ids); err != nil {
		return fmt.Errorf("merged identities: %w", err)
	}
	m.Identities = nil
	for _, d := range ids {
		m.Identities = append(m.Identities, desk.Identity{ID: d.ID, ContactID: m.MergedID, Kind: d.Kind,
			Value: d.Value, Verified: d.Verified, CreatedAt: fromMS(d.CreatedAt)})
	}
	m.Conversations = nil
	if err := json.Unmarshal([]byte(convs), &m.Conversations); err != nil {
		return fmt.Errorf("merged conversations: %w", err)
	}
	if len(m.Conversations) == 0 {
		m.Conversations = nil
	}
	return nil
}

// contactIn reads one contact, without identities, through q (the
// writer's transaction).
func contactIn(ctx context.Context, q querier, id int64) (*desk.Contact, error) {
	var c desk.Contact
	if err := scanContact(q.QueryRowContext(ctx, `SELECT `+contactCols+` FROM contacts WHERE id = ?`, id), &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// MergeContacts folds merged into kept in one transaction. Everything that
// can fail for a reason of the caller's (a missing contact) is checked
// before the first write, so that inside InTx a failed merge leaves
// nothing behind.
func (o ops) MergeContacts(ctx context.Context, keptID, mergedID, agentID int64, reason string) (*desk.ContactMerge, error) {
	const op = "merge contacts"
	if keptID == mergedID {
		return nil, fmt.Errorf("sqlite: %s: %w", op, desk.Invalid("merged", "a contact cannot be merged into itself"))
	}
	var m *desk.ContactMerge
	err := o.write(ctx, func(q *txQuerier) error {
		kept, err := contactIn(ctx, q, keptID)
		if err != nil {
			return wrap(op+": kept", err)
		}
		merged, err := contactIn(ctx, q, mergedID)
		if err != nil {
			return wrap(op+": merged", err)
		}
		rows, err := q.QueryContext(ctx, `SELECT id, kind, value, verified, created_at
			FROM identities WHERE contact_id = ? ORDER BY id`, mergedID)
		idents, err := collect(op, rows, err, scanMergedIdentity)
		if err != nil {
			return err
		}
		rows, err = q.QueryContext(ctx, `SELECT id FROM conversations WHERE contact_id = ? ORDER BY id`, mergedID)
		convs, err := collect(op, rows, err, func(sc rowScanner, id *int64) error { return sc.Scan(id) })
		if err != nil {
			return err
		}
		now := nowOr(time.Time{})
		rec := &desk.ContactMerge{KeptID: keptID, MergedID: mergedID, AgentID: agentID, Merged: *merged,
			Conversations: convs, Reason: reason, CreatedAt: now}
		for _, d := range idents {
			rec.Identities = append(rec.Identities, desk.Identity{ID: d.ID, ContactID: mergedID, Kind: d.Kind,
				Value: d.Value, Verified: d.Verified, CreatedAt: fromMS(d.CreatedAt)})
		}
		snapshot := mergedJSON{Name: merged.Name, Email: merged.Email, Phone: merged.Phone, Locale: merged.Locale,
			Attributes: merged.Attributes, OwnerID: merged.OwnerID, CreatedAt: ms(merged.CreatedAt),
			UpdatedAt: ms(merged.UpdatedAt)}
		identsText := "[]"
		if len(idents) > 0 {
			identsText = jsonText(idents)
		}
		convsText := idsJSON(convs)

		// The customer's messages follow their conversations, so that
		// they keep a sender (the merged contact is deleted).
		if _, err := q.ExecContext(ctx, `UPDATE messages SET sender_id = ?
			WHERE conversation_id IN (SELECT value FROM json_each(?)) AND sender = 'contact' AND sender_id = ?`,
			keptID, convsText, mergedID); err != nil {
			return wrap(op, err)
		}
		if _, err := q.ExecContext(ctx, `UPDATE conversations SET contact_id = ? WHERE contact_id = ?`,
			keptID, mergedID); err != nil {
			return wrap(op, err)
		}
		if _, err := q.ExecContext(ctx, `UPDATE identities SET contact_id = ? WHERE contact_id = ?`,
			keptID, mergedID); err != nil {
			return wrap(op, err)
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM contacts WHERE id = ?`, mergedID); err != nil {
			return wrap(op, err)
		}
		q.unindex(ftsContact, mergedID)

		filled := fillContact(kept, merged)
		if _, err := q.ExecContext(ctx, `UPDATE contacts SET name = ?, email = ?, email_key = ?, phone = ?,
			phone_key = ?, locale = ?, attributes = ?, owner_id = ?, updated_at = ? WHERE id = ?`,
			filled.Name, filled.Email, emailKey(filled.Email), filled.Phone, phoneKey(filled.Phone), filled.Locale,
			mapText(filled.Attributes), filled.OwnerID, ms(now), keptID); err != nil {
			return wrap(op, err)
		}
		if filled.Name != kept.Name {
			q.unindex(ftsContact, keptID)
			q.index(ftsContact, keptID, contactDoc(&filled))
		}

		if err := q.QueryRowContext(ctx, `INSERT INTO contact_merges(kept_id, merged_id, agent_id, merged, identities,
			conversations, reason, created_at) VALUES (?,?,?,?,?,?,?,?) RETURNING id`,
			keptID, mergedID, agentID, jsonText(snapshot), identsText, convsText, reason, ms(now)).Scan(&rec.ID); err != nil {
			return wrap(op, err)
		}
		m = rec
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func scanMergedIdentity(sc rowScanner, d *mergedIdentityJSON) error {
	var verified int
	if err := sc.Scan(&d.ID, &d.Kind, &d.Value, &verified, &d.CreatedAt); err != nil {
		return err
	}
	d.Verified = verified != 0
	return nil
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

// UndoMerge restores the merged profile. The checks come first and then
// the insert that gives back its ID, the only write that could conflict.
func (o ops) UndoMerge(ctx context.Context, mergeID int64, at time.Time) (*desk.ContactMerge, error) {
	const op = "undo merge"
	at = nowOr(at)
	var m desk.ContactMerge
	err := o.write(ctx, func(q *txQuerier) error {
		if err := scanMerge(q.QueryRowContext(ctx, `SELECT `+mergeCols+` FROM contact_merges WHERE id = ?`, mergeID), &m); err != nil {
			return wrap(op, err)
		}
		if !m.UndoneAt.IsZero() {
			return fmt.Errorf("sqlite: %s: undone already: %w", op, desk.ErrConflict)
		}
		var one int
		err := q.QueryRowContext(ctx, `SELECT 1 FROM contacts WHERE id = ?`, m.KeptID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("sqlite: %s: contact %d has been merged away since (undo that first): %w",
				op, m.KeptID, desk.ErrConflict)
		}
		if err != nil {
			return wrap(op, err)
		}
		c := &m.Merged
		if _, err := q.ExecContext(ctx, `INSERT INTO contacts(id, name, email, email_key, phone, phone_key, locale,
			attributes, owner_id, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
			c.ID, c.Name, c.Email, emailKey(c.Email), c.Phone, phoneKey(c.Phone), c.Locale, mapText(c.Attributes),
			c.OwnerID, ms(c.CreatedAt), ms(c.UpdatedAt)); err != nil {
			return wrap(op, err)
		}
		q.index(ftsContact, c.ID, contactDoc(c))

		// An identity goes back only while it is still the one recorded
		// (id, kind and value; values never change): SQLite hands a
		// deleted highest id out again, and an identity that got it later
		// is someone else's.
		recorded := make([]mergedIdentityJSON, len(m.Identities))
		for i, id := range m.Identities {
			recorded[i] = mergedIdentityJSON{ID: id.ID, Kind: id.Kind, Value: id.Value}
		}
		if _, err := q.ExecContext(ctx, `UPDATE identities SET contact_id = ?
			WHERE contact_id = ? AND (id, kind, value) IN (SELECT json_extract(j.value, '$.id'),
				json_extract(j.value, '$.kind'), json_extract(j.value, '$.value') FROM json_each(?) j)`,
			m.MergedID, m.KeptID, jsonText(recorded)); err != nil {
			return wrap(op, err)
		}
		// Only the conversations still with kept go back; messages first,
		// while the conversations still say which those are.
		convs := idsJSON(m.Conversations)
		if _, err := q.ExecContext(ctx, `UPDATE messages SET sender_id = ?
			WHERE conversation_id IN (SELECT id FROM conversations
				WHERE contact_id = ? AND id IN (SELECT value FROM json_each(?)))
			AND sender = 'contact' AND sender_id = ?`,
			m.MergedID, m.KeptID, convs, m.KeptID); err != nil {
			return wrap(op, err)
		}
		if _, err := q.ExecContext(ctx, `UPDATE conversations SET contact_id = ?
			WHERE contact_id = ? AND id IN (SELECT value FROM json_each(?))`,
			m.MergedID, m.KeptID, convs); err != nil {
			return wrap(op, err)
		}
		if _, err := q.ExecContext(ctx, `UPDATE contact_merges SET undone_at = ? WHERE id = ?`, ms(at), mergeID); err != nil {
			return wrap(op, err)
		}
		m.UndoneAt = at
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

const contactMergesSQL = `SELECT ` + mergeCols + ` FROM contact_merges
	WHERE kept_id = ? ORDER BY created_at DESC, id DESC`

// ContactMerges lists the merges into a contact, newest first.
func (o ops) ContactMerges(ctx context.Context, keptID int64) ([]desk.ContactMerge, error) {
	rows, err := o.read.QueryContext(ctx, contactMergesSQL, keptID)
	return collect("contact merges", rows, err, scanMerge)
}

// MoveIdentity gives an identity to another contact. A missing contact is
// a foreign key violation: ErrNotFound.
func (o ops) MoveIdentity(ctx context.Context, identityID, toContactID int64) error {
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE identities SET contact_id = ? WHERE id = ?`, toContactID, identityID)
		return affected("move identity", res, err)
	})
}

// scrubMergedIdentitySQL takes an identity out of the merge records in
// force of a contact and of the contacts merged into it, recursively
// (contact_merges_kept): the records an undo could act on. SQLite hands
// out a deleted highest rowid again, so a record that kept the id would
// have an undo move a later, unrelated identity.
const scrubMergedIdentitySQL = `WITH RECURSIVE tree(id) AS (
		SELECT ? UNION SELECT m.merged_id FROM contact_merges m JOIN tree t ON m.kept_id = t.id WHERE m.undone_at = 0)
	UPDATE contact_merges SET identities = (SELECT json_group_array(json(j.value))
		FROM json_each(contact_merges.identities) j WHERE json_extract(j.value, '$.id') <> ?)
	WHERE undone_at = 0 AND kept_id IN (SELECT id FROM tree)
		AND EXISTS (SELECT 1 FROM json_each(contact_merges.identities) j WHERE json_extract(j.value, '$.id') = ?)`

// DeleteIdentity unlinks an identity from its contact for good. Nothing
// indexes identity values (contact_fts holds names), so the row and the
// merge records are all there is.
func (o ops) DeleteIdentity(ctx context.Context, contactID, identityID int64) error {
	const op = "delete identity"
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `DELETE FROM identities WHERE id = ? AND contact_id = ?`, identityID, contactID)
		if err := affected(op, res, err); err != nil {
			return err
		}
		_, err = q.ExecContext(ctx, scrubMergedIdentitySQL, contactID, identityID, identityID)
		return wrap(op, err)
	})
}

// MoveConversation gives a conversation to another contact, with the
// customer's messages in it.
func (o ops) MoveConversation(ctx context.Context, conversationID, toContactID int64) error {
	const op = "move conversation"
	return o.write(ctx, func(q *txQuerier) error {
		var from int64
		if err := q.QueryRowContext(ctx, `SELECT contact_id FROM conversations WHERE id = ?`, conversationID).Scan(&from); err != nil {
			return wrap(op, err)
		}
		if from == toContactID {
			return nil
		}
		// The one write that can fail (a missing contact) comes first.
		if _, err := q.ExecContext(ctx, `UPDATE conversations SET contact_id = ? WHERE id = ?`,
			toContactID, conversationID); err != nil {
			return wrap(op, err)
		}
		_, err := q.ExecContext(ctx, `UPDATE messages SET sender_id = ?
			WHERE conversation_id = ? AND sender = 'contact' AND sender_id = ?`, toContactID, conversationID, from)
		return wrap(op, err)
	})
}

// The candidate queries; "<> ”" lets SQLite use the partial indexes, and
// lower(value) is the expression of identities_email_lower.
const (
	contactsWithPhoneSQL = `SELECT ` + contactCols + ` FROM contacts
	WHERE id IN (SELECT id FROM contacts WHERE phone_key = ? AND phone_key <> ''
		UNION SELECT contact_id FROM identities WHERE kind = 'phone' AND value = ?)
	ORDER BY id`
	contactsWithEmailSQL = `SELECT ` + contactCols + ` FROM contacts
	WHERE id IN (SELECT id FROM contacts WHERE email_key = ? AND email_key <> ''
		UNION SELECT contact_id FROM identities WHERE kind = 'email' AND lower(value) = lower(?))
	ORDER BY id`
)

// ContactsWithPhone finds the contacts whose primary phone has the digits
// of e164, or that have it as a phone identity.
func (o ops) ContactsWithPhone(ctx context.Context, e164 string) ([]desk.Contact, error) {
	e164 = strings.TrimSpace(e164)
	if e164 == "" {
		return nil, nil
	}
	rows, err := o.read.QueryContext(ctx, contactsWithPhoneSQL, phoneKey(e164), e164)
	return collect("contacts with phone", rows, err, scanContactRow)
}

// ContactsWithEmail finds the contacts whose primary email or an email
// identity is email, in any case.
func (o ops) ContactsWithEmail(ctx context.Context, email string) ([]desk.Contact, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return nil, nil
	}
	rows, err := o.read.QueryContext(ctx, contactsWithEmailSQL, emailKey(email), email)
	return collect("contacts with email", rows, err, scanContactRow)
}

func scanContactRow(sc rowScanner, c *desk.Contact) error { return scanContact(sc, c) }
