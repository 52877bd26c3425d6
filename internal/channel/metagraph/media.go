package metagraph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/blob"
	"github.com/balie-dev/balie/internal/desk"
)

// ErrMediaType is a media file whose bytes are not of a type balie keeps.
var ErrMediaType = fmt.Errorf("media type not allowed: %w", desk.ErrInvalid)

// maxName bounds a kept file name in bytes.
const maxName = 200

// textMediaMissing is the note left in a message body for a file that
// could not be fetched. The thread is stored once, in the company's
// language; balie's first market is Dutch.
const textMediaMissing = "📎 %s kon niet worden opgehaald (%s)"

// extensions name a downloaded file that came without a usable name, by
// its media type.
var extensions = map[string]string{
	"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif",
	"video/mp4": ".mp4", "video/quicktime": ".mov", "video/3gpp": ".3gp",
	"audio/ogg": ".ogg", "audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/aac": ".aac",
	"audio/amr": ".amr", "audio/wav": ".wav",
	"application/pdf": ".pdf", "text/plain": ".txt",
}

// Extension is the file extension (".jpg") of a media type, parameters
// allowed; "" for a type balie has no name for.
func Extension(mediaType string) string {
	mt, _, _ := mime.ParseMediaType(mediaType)
	return extensions[mt]
}

// CleanName keeps the last path element of a file name, without control
// characters, at most 200 bytes; "" when nothing is left.
func CleanName(s string) string {
	s = path.Base(strings.ReplaceAll(strings.TrimSpace(s), `\`, "/"))
	if s == "." || s == "/" {
		return ""
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	for len(s) > maxName {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// MissingNote is the line left in a message for a file that is not
// attached: what names the file ("Afbeelding"), err says why.
func MissingNote(what string, err error) string {
	return fmt.Sprintf(textMediaMissing, what, trouble(err))
}

// trouble says in a few words why a media file is not attached.
func trouble(err error) string {
	switch {
	case errors.Is(err, desk.ErrTooLarge):
		return "te groot"
	case errors.Is(err, ErrMediaType):
		return "bestandstype niet toegestaan"
	}
	return "niet beschikbaar"
}

// Keep puts a downloaded file (data, already sniffed as ctype) and, for an
// image that decodes, its thumbnail in the blob store. A failure to store
// wraps desk.ErrTemporary and leaves nothing behind.
func Keep(ctx context.Context, b desk.Blob, name, ctype string, data []byte) (desk.InboundAttachment, error) {
	att := desk.InboundAttachment{Name: name, ContentType: ctype, Size: int64(len(data))}
	if strings.HasPrefix(ctype, "image/") && ctype != "image/webp" {
		// An image that does not decode is kept as a file without preview.
		if thumb, w, h, err := blob.Thumbnail(bytes.NewReader(data), ThumbSide); err == nil {
			att.Width, att.Height, att.ThumbKey = w, h, blob.NewKey()
			if err := b.Put(ctx, att.ThumbKey, bytes.NewReader(thumb), int64(len(thumb)), "image/png"); err != nil {
				return desk.InboundAttachment{}, fmt.Errorf("thumbnail: %v: %w", err, desk.ErrTemporary)
			}
		}
	}
	att.BlobKey = blob.NewKey()
	if err := b.Put(ctx, att.BlobKey, bytes.NewReader(data), att.Size, ctype); err != nil {
		// The thumbnail has no file to belong to; a failure to remove it
		// leaves an orphan, which the store error below already explains.
		Discard(context.WithoutCancel(ctx), b, []desk.InboundAttachment{att})
		return desk.InboundAttachment{}, fmt.Errorf("store: %v: %w", err, desk.ErrTemporary)
	}
	return att, nil
}

// Discard removes stored attachments that no message points at: after a
// failed or duplicate ingest. It goes on past a failure and returns the
// failures joined, each naming its key.
func Discard(ctx context.Context, b desk.Blob, atts []desk.InboundAttachment) error {
	var errs []error
	for _, a := range atts {
		for _, k := range []string{a.BlobKey, a.ThumbKey} {
			if k == "" {
				continue
			}
			if err := b.Delete(ctx, k); err != nil {
				errs = append(errs, fmt.Errorf("discard %s: %w", k, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Load reads an outbound attachment's file from the blob store, at most
// limit bytes, for an upload to Meta. A missing or too large file is
// permanent; a blob store that fails wraps desk.ErrTemporary.
func Load(ctx context.Context, b desk.Blob, key string, limit int64) ([]byte, error) {
	rc, err := b.Open(ctx, key)
	if errors.Is(err, desk.ErrNotFound) {
		return nil, fmt.Errorf("blob %s: %w", key, err)
	}
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w: %w", key, err, desk.ErrTemporary)
	}
	data, err := ReadLimited(rc, limit)
	rc.Close()
	if errors.Is(err, desk.ErrTooLarge) {
		return nil, fmt.Errorf("blob %s: %w", key, err)
	}
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w: %w", key, err, desk.ErrTemporary)
	}
	return data, nil
}

// ReadLimited reads at most limit bytes of r; more is desk.ErrTooLarge.
func ReadLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("more than %d bytes: %w", limit, desk.ErrTooLarge)
	}
	return b, nil
}
