package meta

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/blob"
	"github.com/balie-dev/balie/internal/desk"
)

// errMediaType is a file whose bytes are not of a type balie keeps.
var errMediaType = fmt.Errorf("media type not allowed: %w", desk.ErrInvalid)

// extensions name a downloaded file that came without a usable name.
var extensions = map[string]string{
	"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif",
	"video/mp4": ".mp4", "video/quicktime": ".mov", "video/3gpp": ".3gp",
	"audio/ogg": ".ogg", "audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/aac": ".aac", "audio/wav": ".wav",
	"application/pdf": ".pdf", "text/plain": ".txt",
}

// kindNames name attachment kinds in the note about a file that could not
// be fetched.
var kindNames = map[string]string{"image": "Afbeelding", "video": "Video", "audio": "Geluidsbericht", "file": "Bestand"}

// fetchMedia downloads an attachment from Meta's CDN (the URL carries its
// own signature; the Page token is never sent there) and puts it, and an
// image's thumbnail, in the blob store. Errors wrapping desk.ErrTemporary
// are worth a retry of the whole webhook; others (too large, refused type,
// expired link) are not.
func (c *Channel) fetchMedia(ctx context.Context, ref mediaRef) (desk.InboundAttachment, error) {
	u, err := url.Parse(ref.url)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return desk.InboundAttachment{}, fmt.Errorf("media url: %w", desk.ErrInvalid)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return desk.InboundAttachment{}, fmt.Errorf("media: %w", desk.ErrInvalid)
	}
	var data []byte
	err = c.exchange(req, "", c.d.MaxMedia, func(b []byte) error { data = b; return nil })
	if err != nil {
		return desk.InboundAttachment{}, fmt.Errorf("media %s: %w", u.Host, err)
	}
	if len(data) == 0 {
		return desk.InboundAttachment{}, fmt.Errorf("media %s: empty: %w", u.Host, desk.ErrInvalid)
	}
	name := urlName(u)
	ctype, ok := blob.SniffMedia(data, name)
	if !ok {
		return desk.InboundAttachment{}, fmt.Errorf("media %s: %w", u.Host, errMediaType)
	}
	if name == "" || path.Ext(name) == "" {
		name = ref.kind + extensions[ctype]
	}
	att := desk.InboundAttachment{Name: name, ContentType: ctype, Size: int64(len(data))}
	if strings.HasPrefix(ctype, "image/") && ctype != "image/webp" {
		// An image that does not decode is kept as a file without preview.
		if thumb, w, h, err := blob.Thumbnail(bytes.NewReader(data), thumbSide); err == nil {
			att.Width, att.Height, att.ThumbKey = w, h, blob.NewKey()
			if err := c.d.Blob.Put(ctx, att.ThumbKey, bytes.NewReader(thumb), int64(len(thumb)), "image/png"); err != nil {
				return desk.InboundAttachment{}, fmt.Errorf("media: thumbnail: %v: %w", err, desk.ErrTemporary)
			}
		}
	}
	att.BlobKey = blob.NewKey()
	if err := c.d.Blob.Put(ctx, att.BlobKey, bytes.NewReader(data), att.Size, ctype); err != nil {
		c.discard(context.WithoutCancel(ctx), []desk.InboundAttachment{att})
		return desk.InboundAttachment{}, fmt.Errorf("media: store: %v: %w", err, desk.ErrTemporary)
	}
	return att, nil
}

// discard removes stored attachments that no message points at.
func (c *Channel) discard(ctx context.Context, atts []desk.InboundAttachment) {
	for _, a := range atts {
		for _, k := range []string{a.BlobKey, a.ThumbKey} {
			if k != "" {
				if err := c.d.Blob.Delete(ctx, k); err != nil {
					c.d.Log.Warn(c.name+": discard media", "key", k, "err", err)
				}
			}
		}
	}
}

// urlName is the file name in a CDN URL's path (Messenger keeps a file's
// name there), cleaned; "" when the path has none.
func urlName(u *url.URL) string {
	s := path.Base(u.Path)
	if s == "." || s == "/" || path.Ext(s) == "" {
		return ""
	}
	if un, err := url.PathUnescape(s); err == nil {
		s = un
	}
	return cleanName(s)
}

// cleanName keeps the last path element of a file name, without control
// characters, at most 200 bytes.
func cleanName(s string) string {
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
	for len(s) > 200 {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// mediaTrouble says in a few words why a file is not attached.
func mediaTrouble(err error) string {
	switch {
	case errors.Is(err, desk.ErrTooLarge):
		return "te groot"
	case errors.Is(err, errMediaType):
		return "bestandstype niet toegestaan"
	}
	return "niet beschikbaar"
}

// readLimited reads at most limit bytes of r; more is desk.ErrTooLarge.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("more than %d bytes: %w", limit, desk.ErrTooLarge)
	}
	return b, nil
}

// contentTypeOf is a's media type without parameters.
func contentTypeOf(s string) string {
	ct, _, err := mime.ParseMediaType(s)
	if err != nil {
		return "application/octet-stream"
	}
	return ct
}
