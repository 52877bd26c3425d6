package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/balie-dev/balie/internal/blob"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/web"
)

// thumbSide is the longest side of an image preview, as in the widget.
const thumbSide = 320

// uploads stores the files agents attach to replies (web.Uploads), checked
// the way the web-chat widget checks visitors' files: the type sniffed from
// the bytes against blob's allow-list, images given a thumbnail.
type uploads struct{ blob *blob.Disk }

// Store reads one file of at most web.MaxUpload bytes and puts it, and an
// image's thumbnail, in the blob store.
func (u uploads) Store(ctx context.Context, name string, r io.Reader) (desk.InboundAttachment, error) {
	data, err := io.ReadAll(io.LimitReader(r, web.MaxUpload+1))
	if err != nil {
		return desk.InboundAttachment{}, fmt.Errorf("app: upload %q: %w", name, err)
	}
	if len(data) > web.MaxUpload {
		return desk.InboundAttachment{}, fmt.Errorf("app: upload %q: over %d MiB: %w", name, web.MaxUpload>>20, desk.ErrTooLarge)
	}
	if len(data) == 0 {
		return desk.InboundAttachment{}, desk.Invalid("files", "empty file")
	}
	ctype, ok := blob.Sniff(data[:min(len(data), 512)], name)
	if !ok {
		return desk.InboundAttachment{}, fmt.Errorf("app: upload %q: type not allowed: %w", name, desk.ErrInvalid)
	}
	att := desk.InboundAttachment{Name: name, ContentType: ctype, Size: int64(len(data))}
	if strings.HasPrefix(ctype, "image/") && ctype != "image/webp" {
		thumb, w, h, err := blob.Thumbnail(bytes.NewReader(data), thumbSide)
		switch {
		case errors.Is(err, desk.ErrTooLarge):
			return desk.InboundAttachment{}, fmt.Errorf("app: upload %q: %w", name, err)
		case err == nil:
			att.Width, att.Height, att.ThumbKey = w, h, blob.NewKey()
			if err := u.blob.Put(ctx, att.ThumbKey, bytes.NewReader(thumb), int64(len(thumb)), "image/png"); err != nil {
				return desk.InboundAttachment{}, fmt.Errorf("app: upload %q: thumbnail: %w", name, err)
			}
		}
		// Bytes that look like an image but do not decode are kept as a
		// file without a preview.
	}
	att.BlobKey = blob.NewKey()
	if err := u.blob.Put(ctx, att.BlobKey, bytes.NewReader(data), att.Size, ctype); err != nil {
		u.Discard(context.WithoutCancel(ctx), att)
		return desk.InboundAttachment{}, fmt.Errorf("app: upload %q: %w", name, err)
	}
	return att, nil
}

// Discard removes an attachment's blobs. What cannot be removed stays as
// an orphan file; nothing points at it.
func (u uploads) Discard(ctx context.Context, a desk.InboundAttachment) {
	for _, k := range []string{a.BlobKey, a.ThumbKey} {
		if k != "" {
			u.blob.Delete(ctx, k)
		}
	}
}
