package server

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/balie-dev/balie/internal/api"
	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/channel/email/smtpd"
	"github.com/balie-dev/balie/internal/desk"
)

// Limits on what the HTML view of a mail inlines: images beyond them show
// as missing (they are still in the attachment list).
const (
	maxInlineImage = 3 << 20
	maxInlineTotal = 12 << 20
)

// mailHTMLCSP confines a mail's HTML even though it was sanitised when it
// arrived: no script runs, nothing loads from the network, forms cannot
// submit, and links open outside the frame. Inline images are data: URLs,
// so the sandboxed frame needs no cookie to show them.
const mailHTMLCSP = "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; " +
	"img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"

var inlineRef = regexp.MustCompile(regexp.QuoteMeta(smtpd.InlineScheme) + `:([0-9]{1,3})`)

// mailHTML serves the sanitised HTML version of an inbound mail, for the
// agent UI's sandboxed frame: GET /messages/{id}/html.
func mailHTML(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := auth.PrincipalFrom(r.Context()); !ok {
			api.WriteError(w, r, fmt.Errorf("sign in to read mail: %w", desk.ErrUnauthorized))
			return
		}
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			api.WriteError(w, r, desk.ErrNotFound)
			return
		}
		m, err := d.Store.MessageByID(r.Context(), id)
		if err != nil {
			api.WriteError(w, r, fmt.Errorf("message %d: %w", id, err))
			return
		}
		key := m.Meta[desk.MetaEmailHTML]
		if key == "" {
			api.WriteError(w, r, fmt.Errorf("message %d has no HTML version: %w", id, desk.ErrNotFound))
			return
		}
		rc, err := d.Blob.Open(r.Context(), key)
		if err != nil {
			api.WriteError(w, r, fmt.Errorf("message %d: %w", id, err))
			return
		}
		body, err := io.ReadAll(io.LimitReader(rc, 4<<20))
		rc.Close()
		if err != nil {
			api.WriteError(w, r, fmt.Errorf("message %d: %w", id, err))
			return
		}
		html := inlineImages(r.Context(), d.Blob, m.Attachments, string(body))
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", mailHTMLCSP)
		h.Set("X-Frame-Options", "SAMEORIGIN") // shown in the workspace's frame only
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "private, max-age=3600")
		io.WriteString(w, `<!doctype html><html><head><meta charset="utf-8"><base target="_blank">`+
			`<style>body{font:14px/1.5 system-ui,sans-serif;margin:8px;color:#1d2330;overflow-wrap:anywhere}`+
			`img{max-width:100%;height:auto}table{max-width:100%}blockquote{margin:0 0 0 .5em;padding-left:.75em;border-left:3px solid #ccd}</style>`+
			`</head><body>`)
		io.WriteString(w, html)
		io.WriteString(w, `</body></html>`)
	})
}

// inlineImages replaces the references to a message's attachments in its
// HTML with the images themselves, as data: URLs. A reference to anything
// but a stored image, or past the size limits, becomes an empty source.
func inlineImages(ctx context.Context, b desk.Blob, atts []desk.Attachment, html string) string {
	total := 0
	cache := map[int]string{}
	return inlineRef.ReplaceAllStringFunc(html, func(ref string) string {
		i, _ := strconv.Atoi(strings.TrimPrefix(ref, smtpd.InlineScheme+":"))
		if u, ok := cache[i]; ok {
			return u
		}
		u := ""
		if i < len(atts) && atts[i].IsImage() && atts[i].Size <= maxInlineImage && total+int(atts[i].Size) <= maxInlineTotal {
			if rc, err := b.Open(ctx, atts[i].BlobKey); err == nil {
				data, err := io.ReadAll(io.LimitReader(rc, maxInlineImage+1))
				rc.Close()
				if err == nil && len(data) <= maxInlineImage {
					total += len(data)
					u = "data:" + atts[i].ContentType + ";base64," + base64.StdEncoding.EncodeToString(data)
				}
			}
		}
		cache[i] = u
		return u
	})
}
