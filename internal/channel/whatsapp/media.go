package whatsapp

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

// errMediaType is a media file whose bytes are not of a type balie keeps.
var errMediaType = fmt.Errorf("media type not allowed: %w", desk.ErrInvalid)

// extensions names a downloaded file that came without a name.
var extensions = map[string]string{
	"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif",
	"video/mp4": ".mp4", "video/3gpp": ".3gp",
	"audio/ogg": ".ogg", "audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/aac": ".aac", "audio/amr": ".amr",
	"application/pdf": ".pdf", "text/plain": ".txt",
}

// mediaInfo is the Graph API's answer to GET /{media-id}.
type mediaInfo struct {
	URL      string `json:"url"`
	MimeType string `json:"mime_type"`
	FileSize int64  `json:"file_size"`
}

// fetchMedia downloads a message's media file through the Graph API and
// puts it (and an image's thumbnail) in the blob store. Errors wrapping
// desk.ErrTemporary are worth a retry of the whole webhook; others
// (too large, type not allowed, expired) are not.
func (c *Channel) fetchMedia(ctx context.Context, in desk.Inbox, m *media, kind string) (desk.InboundAttachment, error) {
	token := in.Settings[SettingAccessToken]
	if token == "" {
		return desk.InboundAttachment{}, fmt.Errorf("no access_token to fetch media: %w", desk.ErrInvalid)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, apiBase(in)+"/"+url.PathEscape(m.ID), nil)
	if err != nil {
		return desk.InboundAttachment{}, err
	}
	var info mediaInfo
	if err := c.do(req, token, &info); err != nil {
		return desk.InboundAttachment{}, fmt.Errorf("media %s: %w", m.ID, err)
	}
	if info.FileSize > c.d.MaxMedia {
		return desk.InboundAttachment{}, fmt.Errorf("media %s: %d bytes: %w", m.ID, info.FileSize, desk.ErrTooLarge)
	}
	if info.URL == "" {
		return desk.InboundAttachment{}, fmt.Errorf("media %s: no url: %w", m.ID, desk.ErrInvalid)
	}
	req, err = http.NewRequestWithContext(ctx, http.MethodGet, info.URL, nil)
	if err != nil {
		return desk.InboundAttachment{}, fmt.Errorf("media %s: %w", m.ID, err)
	}
	data, err := c.doRaw(req, token, c.d.MaxMedia)
	if err != nil {
		return desk.InboundAttachment{}, fmt.Errorf("media %s: download: %w", m.ID, err)
	}
	if len(data) == 0 {
		return desk.InboundAttachment{}, fmt.Errorf("media %s: empty: %w", m.ID, desk.ErrInvalid)
	}
	declared := firstNonEmpty(m.MimeType, info.MimeType)
	name := mediaName(m, kind, declared)
	ctype, ok := blob.SniffMedia(data, name)
	if !ok {
		return desk.InboundAttachment{}, fmt.Errorf("media %s (%s): %w", m.ID, declared, errMediaType)
	}
	if cleanName(m.Filename) == "" {
		// A made-up name follows what the bytes are, not what was declared.
		name = mediaName(m, kind, ctype)
	}
	att := desk.InboundAttachment{Name: name, ContentType: ctype, Size: int64(len(data))}
	if strings.HasPrefix(ctype, "image/") && ctype != "image/webp" {
		// An image that does not decode is kept as a file without preview.
		if thumb, w, h, err := blob.Thumbnail(bytes.NewReader(data), thumbSide); err == nil {
			att.Width, att.Height, att.ThumbKey = w, h, blob.NewKey()
			if err := c.d.Blob.Put(ctx, att.ThumbKey, bytes.NewReader(thumb), int64(len(thumb)), "image/png"); err != nil {
				return desk.InboundAttachment{}, fmt.Errorf("media %s: thumbnail: %v: %w", m.ID, err, desk.ErrTemporary)
			}
		}
	}
	att.BlobKey = blob.NewKey()
	if err := c.d.Blob.Put(ctx, att.BlobKey, bytes.NewReader(data), att.Size, ctype); err != nil {
		c.discard(context.WithoutCancel(ctx), []desk.InboundAttachment{att})
		return desk.InboundAttachment{}, fmt.Errorf("media %s: store: %v: %w", m.ID, err, desk.ErrTemporary)
	}
	return att, nil
}

// discard removes stored attachments that no message points at.
func (c *Channel) discard(ctx context.Context, atts []desk.InboundAttachment) {
	for _, a := range atts {
		for _, k := range []string{a.BlobKey, a.ThumbKey} {
			if k != "" {
				if err := c.d.Blob.Delete(ctx, k); err != nil {
					c.d.Log.Warn("whatsapp: discard media", "key", k, "err", err)
				}
			}
		}
	}
}

// mediaName is the document's own file name, or one made from the kind and
// the declared type.
func mediaName(m *media, kind, declared string) string {
	if n := cleanName(m.Filename); n != "" {
		return n
	}
	mt, _, _ := mime.ParseMediaType(declared)
	if kind == "audio" && m.Voice {
		kind = "voice"
	}
	return kind + extensions[mt]
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

// mediaTrouble says in a few words why a media file is not attached.
func mediaTrouble(err error) string {
	switch {
	case errors.Is(err, desk.ErrTooLarge):
		return "te groot"
	case errors.Is(err, errMediaType):
		return "bestandstype niet toegestaan"
	}
	return "niet beschikbaar"
}

// kindNames name media kinds in the note about a file that could not be
// fetched.
var kindNames = map[string]string{
	"image": "Afbeelding", "video": "Video", "audio": "Geluidsbericht", "document": "Document", "sticker": "Sticker",
}

// doRaw sends req with the token and returns a 2xx answer's body of at
// most limit bytes (desk.ErrTooLarge beyond).
func (c *Channel) doRaw(req *http.Request, token string, limit int64) ([]byte, error) {
	var body []byte
	err := c.exchange(req, token, limit, func(b []byte) error { body = b; return nil })
	return body, err
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
