// Package blob stores attachment bytes (desk.Blob) and prepares uploads:
// content sniffing against an allow-list and image thumbnails. Disk keeps
// files under a directory; an S3-compatible store can implement the same
// port later.
//
// blob imports only desk and the standard library.
package blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/balie-dev/balie/internal/desk"
)

// keyLen is the length of keys made by NewKey: 16 random bytes in hex.
const keyLen = 32

// NewKey returns a fresh random key. Keys are opaque to callers; Disk only
// accepts keys of this shape, which rules out path traversal by construction.
func NewKey() string {
	var b [keyLen / 2]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// ValidKey reports whether key has the shape NewKey makes.
func ValidKey(key string) bool {
	if len(key) != keyLen {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Disk is a desk.Blob keeping each blob in a file under a root directory,
// fanned out by the key's first two characters.
type Disk struct {
	root string
}

// NewDisk returns a Disk rooted at dir, creating it when missing.
func NewDisk(dir string) (*Disk, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("blob: create root: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blob: root: %w", err)
	}
	return &Disk{root: abs}, nil
}

func (d *Disk) path(key string) (string, error) {
	if !ValidKey(key) {
		return "", fmt.Errorf("blob: key %q: %w", key, errInvalidKey)
	}
	return filepath.Join(d.root, key[:2], key), nil
}

var errInvalidKey = errors.New("invalid key")

func invalid(err error) error { return fmt.Errorf("%w: %w", err, desk.ErrInvalid) }

// Put writes r under key. The file appears complete or not at all: bytes go
// to a temporary file in the same directory, which is synced and renamed. A
// size >= 0 must match the number of bytes read; -1 means unknown.
func (d *Disk) Put(ctx context.Context, key string, r io.Reader, size int64, _ string) error {
	p, err := d.path(key)
	if err != nil {
		return invalid(err)
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("blob: put: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("blob: put: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, ctxReader{ctx, r})
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	if size >= 0 && n != size {
		return fmt.Errorf("blob: put %s: got %d bytes, want %d: %w", key, n, size, errSize)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("blob: put %s: sync: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("blob: put %s: close: %w", key, err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("blob: put %s: rename: %w", key, err)
	}
	done = true
	return nil
}

var errSize = errors.New("size mismatch")

// Open returns the blob's bytes; desk.ErrNotFound when there is none.
func (d *Disk) Open(_ context.Context, key string) (io.ReadCloser, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, invalid(err)
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob: open %s: %w", key, desk.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", key, err)
	}
	return f, nil
}

// Delete removes a blob; deleting a missing one is not an error, so that
// retried clean-ups are harmless.
func (d *Disk) Delete(_ context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return invalid(err)
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	return nil
}

// ctxReader stops a long copy when the request goes away.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
