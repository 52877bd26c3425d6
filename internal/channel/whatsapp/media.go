package whatsapp

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/balie-dev/balie/internal/blob"
	"github.com/balie-dev/balie/internal/channel/metagraph"
	"github.com/balie-dev/balie/internal/desk"
)

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
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metagraph.APIBase(in)+"/"+url.PathEscape(m.ID), nil)
	if err != nil {
		return desk.InboundAttachment{}, err
	}
	var info mediaInfo
	if err := c.graph.Do(req, token, &info); err != nil {
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
	data, err := c.graph.Fetch(req, token, c.d.MaxMedia)
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
		return desk.InboundAttachment{}, fmt.Errorf("media %s (%s): %w", m.ID, declared, metagraph.ErrMediaType)
	}
	if metagraph.CleanName(m.Filename) == "" {
		// A made-up name follows what the bytes are, not what was declared.
		name = mediaName(m, kind, ctype)
	}
	att, err := metagraph.Keep(ctx, c.d.Blob, name, ctype, data)
	if err != nil {
		return desk.InboundAttachment{}, fmt.Errorf("media %s: %w", m.ID, err)
	}
	return att, nil
}

// discard removes stored attachments that no message points at.
func (c *Channel) discard(ctx context.Context, atts []desk.InboundAttachment) {
	if err := metagraph.Discard(ctx, c.d.Blob, atts); err != nil {
		c.d.Log.Warn("whatsapp: discard media", "err", err)
	}
}

// mediaName is the document's own file name, or one made from the kind and
// the declared type.
func mediaName(m *media, kind, declared string) string {
	if n := metagraph.CleanName(m.Filename); n != "" {
		return n
	}
	if kind == "audio" && m.Voice {
		kind = "voice"
	}
	return kind + metagraph.Extension(declared)
}

// kindNames name media kinds in the note about a file that could not be
// fetched.
var kindNames = map[string]string{
	"image": "Afbeelding", "video": "Video", "audio": "Geluidsbericht", "document": "Document", "sticker": "Sticker",
}
