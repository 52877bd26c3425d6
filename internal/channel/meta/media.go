package meta

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path"

	"github.com/balie-dev/balie/internal/blob"
	"github.com/balie-dev/balie/internal/channel/metagraph"
	"github.com/balie-dev/balie/internal/desk"
)

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
	data, err := c.graph.Fetch(req, "", c.d.MaxMedia)
	if err != nil {
		return desk.InboundAttachment{}, fmt.Errorf("media %s: %w", u.Host, err)
	}
	if len(data) == 0 {
		return desk.InboundAttachment{}, fmt.Errorf("media %s: empty: %w", u.Host, desk.ErrInvalid)
	}
	name := urlName(u)
	ctype, ok := blob.SniffMedia(data, name)
	if !ok {
		return desk.InboundAttachment{}, fmt.Errorf("media %s: %w", u.Host, metagraph.ErrMediaType)
	}
	if name == "" || path.Ext(name) == "" {
		name = ref.kind + metagraph.Extension(ctype)
	}
	att, err := metagraph.Keep(ctx, c.d.Blob, name, ctype, data)
	if err != nil {
		return desk.InboundAttachment{}, fmt.Errorf("media: %w", err)
	}
	return att, nil
}

// discard removes stored attachments that no message points at.
func (c *Channel) discard(ctx context.Context, atts []desk.InboundAttachment) {
	if err := metagraph.Discard(ctx, c.d.Blob, atts); err != nil {
		c.d.Log.Warn(c.name+": discard media", "err", err)
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
	return metagraph.CleanName(s)
}

// contentTypeOf is a's media type without parameters.
func contentTypeOf(s string) string {
	ct, _, err := mime.ParseMediaType(s)
	if err != nil {
		return "application/octet-stream"
	}
	return ct
}
