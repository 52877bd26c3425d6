// Package sealed keeps credentials encrypted at rest. It wraps a desk.Store:
// inbox settings that hold credentials (keys containing "secret", "token",
// "password" or "key"), webhook secrets and the settings that hold
// credentials (front.ai) are sealed with AES-256-GCM before the store
// writes them and opened after it reads them, so the database (and its
// backups) never hold them in the clear. Everything else passes through.
//
// A value written before sealing was turned on is read as it is and sealed
// at its next write. A sealed value that does not open (another key) is an
// error, never silently empty.
//
// sealed imports desk only.
package sealed

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
)

const prefix = "sealed:v1:"

// Box seals and opens values with one key.
type Box struct{ aead cipher.AEAD }

// NewBox returns a box for a 32-byte key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("sealed: key of %d bytes, want 32: %w", len(key), desk.ErrInvalid)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sealed: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sealed: %w", err)
	}
	return &Box{aead: aead}, nil
}

// ParseKey reads a key as written by NewKey (base64, 32 bytes).
func ParseKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(k) != 32 {
		return nil, fmt.Errorf("sealed: a key is 32 bytes in base64 (make one with: head -c 32 /dev/urandom | base64): %w", desk.ErrInvalid)
	}
	return k, nil
}

// NewKey returns a fresh key in base64.
func NewKey() string {
	k := make([]byte, 32)
	rand.Read(k)
	return base64.StdEncoding.EncodeToString(k)
}

// Seal encrypts v; the empty string stays empty.
func (b *Box) Seal(v string) string {
	if v == "" || strings.HasPrefix(v, prefix) {
		return v
	}
	nonce := make([]byte, b.aead.NonceSize())
	rand.Read(nonce)
	out := b.aead.Seal(nonce, nonce, []byte(v), nil)
	return prefix + base64.StdEncoding.EncodeToString(out)
}

// ErrWrongKey is a sealed value that the key does not open.
var ErrWrongKey = errors.New("sealed: a stored credential does not open with this key (BALIE_SECRET_KEY changed?)")

// Open decrypts a sealed value; other values come back as they are.
func (b *Box) Open(v string) (string, error) {
	rest, ok := strings.CutPrefix(v, prefix)
	if !ok {
		return v, nil
	}
	raw, err := base64.StdEncoding.DecodeString(rest)
	n := b.aead.NonceSize()
	if err != nil || len(raw) < n {
		return "", ErrWrongKey
	}
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return "", ErrWrongKey
	}
	return string(plain), nil
}

// Secret reports whether an inbox setting holds a credential.
func Secret(key string) bool {
	k := strings.ToLower(key)
	return strings.Contains(k, "secret") || strings.Contains(k, "token") || strings.Contains(k, "password") ||
		strings.HasSuffix(k, "_key")
}

// secretSettings are the settings (SettingStore keys) sealed whole.
var secretSettings = map[string]bool{"front.ai": true}

// Store is a desk.Store whose credentials are sealed at rest.
type Store struct {
	desk.Store
	box *Box
}

// Wrap seals st's credentials with box.
func Wrap(st desk.Store, box *Box) *Store { return &Store{Store: st, box: box} }

// InTx hands fn a sealing view of the transaction.
func (s *Store) InTx(ctx context.Context, fn func(tx desk.Store) error) error {
	return s.Store.InTx(ctx, func(tx desk.Store) error { return fn(&Store{Store: tx, box: s.box}) })
}

func (s *Store) sealInbox(in *desk.Inbox) map[string]string {
	sealed := maps.Clone(in.Settings)
	for k, v := range sealed {
		if Secret(k) {
			sealed[k] = s.box.Seal(v)
		}
	}
	return sealed
}

func (s *Store) openInbox(in *desk.Inbox) error {
	for k, v := range in.Settings {
		if Secret(k) {
			plain, err := s.box.Open(v)
			if err != nil {
				return fmt.Errorf("inbox %d setting %s: %w", in.ID, k, err)
			}
			in.Settings[k] = plain
		}
	}
	return nil
}

// CreateInbox seals the inbox's credentials.
func (s *Store) CreateInbox(ctx context.Context, in *desk.Inbox) error {
	orig := in.Settings
	in.Settings = s.sealInbox(in)
	err := s.Store.CreateInbox(ctx, in)
	in.Settings = orig
	return err
}

// UpdateInbox seals the inbox's credentials.
func (s *Store) UpdateInbox(ctx context.Context, in *desk.Inbox) error {
	orig := in.Settings
	in.Settings = s.sealInbox(in)
	err := s.Store.UpdateInbox(ctx, in)
	in.Settings = orig
	return err
}

// InboxByID opens the inbox's credentials.
func (s *Store) InboxByID(ctx context.Context, id int64) (*desk.Inbox, error) {
	in, err := s.Store.InboxByID(ctx, id)
	if err != nil {
		return nil, err
	}
	return in, s.openInbox(in)
}

// InboxByKey opens the inbox's credentials.
func (s *Store) InboxByKey(ctx context.Context, key string) (*desk.Inbox, error) {
	in, err := s.Store.InboxByKey(ctx, key)
	if err != nil {
		return nil, err
	}
	return in, s.openInbox(in)
}

// ListInboxes opens every inbox's credentials.
func (s *Store) ListInboxes(ctx context.Context) ([]desk.Inbox, error) {
	ins, err := s.Store.ListInboxes(ctx)
	if err != nil {
		return nil, err
	}
	for i := range ins {
		if err := s.openInbox(&ins[i]); err != nil {
			return nil, err
		}
	}
	return ins, nil
}

// OutboundFor opens the inbox's credentials for the send.
func (s *Store) OutboundFor(ctx context.Context, messageID int64) (*desk.Outbound, error) {
	out, err := s.Store.OutboundFor(ctx, messageID)
	if err != nil {
		return nil, err
	}
	return out, s.openInbox(&out.Inbox)
}

// CreateWebhook seals the webhook's secret.
func (s *Store) CreateWebhook(ctx context.Context, w *desk.Webhook) error {
	orig := w.Secret
	w.Secret = s.box.Seal(orig)
	err := s.Store.CreateWebhook(ctx, w)
	w.Secret = orig
	return err
}

// UpdateWebhook seals the webhook's secret.
func (s *Store) UpdateWebhook(ctx context.Context, w *desk.Webhook) error {
	orig := w.Secret
	w.Secret = s.box.Seal(orig)
	err := s.Store.UpdateWebhook(ctx, w)
	w.Secret = orig
	return err
}

// WebhookByID opens the webhook's secret.
func (s *Store) WebhookByID(ctx context.Context, id int64) (*desk.Webhook, error) {
	w, err := s.Store.WebhookByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if w.Secret, err = s.box.Open(w.Secret); err != nil {
		return nil, fmt.Errorf("webhook %d: %w", id, err)
	}
	return w, nil
}

// ListWebhooks opens every webhook's secret.
func (s *Store) ListWebhooks(ctx context.Context) ([]desk.Webhook, error) {
	ws, err := s.Store.ListWebhooks(ctx)
	if err != nil {
		return nil, err
	}
	for i := range ws {
		if ws[i].Secret, err = s.box.Open(ws[i].Secret); err != nil {
			return nil, fmt.Errorf("webhook %d: %w", ws[i].ID, err)
		}
	}
	return ws, nil
}

// Setting opens settings that hold credentials.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	v, err := s.Store.Setting(ctx, key)
	if err != nil || !secretSettings[key] {
		return v, err
	}
	return s.box.Open(v)
}

// SetSetting seals settings that hold credentials.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	if secretSettings[key] {
		value = s.box.Seal(value)
	}
	return s.Store.SetSetting(ctx, key, value)
}
