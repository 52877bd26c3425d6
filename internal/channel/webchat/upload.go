package webchat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"unicode"

	"github.com/balie-dev/balie/internal/blob"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/problem"
)

// upload takes one file (multipart field "file") with the fields inbox,
// token (or the header) and client_id, stores it and its thumbnail, and
// ingests it as a message. The fields must come before the file, as the
// widget sends them: the client's, the inbox's and the visitor's limits are
// checked before a byte of the file is read.
func (h *Handler) upload(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := h.check(h.clientPosts, clientKey(r.RemoteAddr), "uploads from this address"); err != nil {
		h.writeError(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxUpload+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		h.writeError(w, r, fmt.Errorf("webchat: upload: %v: %w", err, problem.ErrBadRequest))
		return
	}
	fields := map[string]string{}
	var name string
	var data []byte
	var v *visitor
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			h.writeError(w, r, uploadErr(err))
			return
		}
		switch part.FormName() {
		case "file":
			if v != nil {
				h.writeError(w, r, desk.Invalid("file", "one file at a time"))
				return
			}
			token, _ := visitorToken(r, fields["token"])
			if v, err = h.admitVisitor(ctx, fields["inbox"], token); err != nil {
				h.writeError(w, r, err)
				return
			}
			name = cleanName(part.FileName())
			data, err = io.ReadAll(io.LimitReader(part, MaxUpload+1))
			if err != nil {
				h.writeError(w, r, uploadErr(err))
				return
			}
			if len(data) > MaxUpload {
				h.writeError(w, r, fmt.Errorf("webchat: file over %d MiB: %w", MaxUpload>>20, desk.ErrTooLarge))
				return
			}
		case "inbox", "token", "client_id":
			b, err := io.ReadAll(io.LimitReader(part, 257))
			if err != nil || len(b) > 256 {
				h.writeError(w, r, desk.Invalid(part.FormName(), "too long"))
				return
			}
			fields[part.FormName()] = string(b)
		default:
			h.writeError(w, r, desk.Invalid(part.FormName(), "unknown field"))
			return
		}
	}
	if v == nil || len(data) == 0 {
		h.writeError(w, r, desk.Invalid("file", "no file, or an empty one"))
		return
	}
	ctype, ok := blob.Sniff(data[:min(len(data), 512)], name)
	if !ok {
		h.writeError(w, r, fmt.Errorf("webchat: upload %q: %w", name, problem.ErrUnsupportedType))
		return
	}
	att := desk.InboundAttachment{Name: name, ContentType: ctype, Size: int64(len(data))}
	if strings.HasPrefix(ctype, "image/") && ctype != "image/webp" {
		thumb, tw, th, err := blob.Thumbnail(bytes.NewReader(data), thumbSide)
		switch {
		case errors.Is(err, desk.ErrTooLarge):
			h.writeError(w, r, fmt.Errorf("webchat: image has too many pixels: %w", desk.ErrTooLarge))
			return
		case err != nil:
			// Bytes that look like an image but do not decode are kept as a
			// file without a preview.
		default:
			att.Width, att.Height = tw, th
			att.ThumbKey = blob.NewKey()
			if err := h.d.Blob.Put(ctx, att.ThumbKey, bytes.NewReader(thumb), int64(len(thumb)), "image/png"); err != nil {
				h.writeError(w, r, fmt.Errorf("webchat: store thumbnail: %w", err))
				return
			}
		}
	}
	att.BlobKey = blob.NewKey()
	if err := h.d.Blob.Put(ctx, att.BlobKey, bytes.NewReader(data), att.Size, ctype); err != nil {
		h.removeBlobs(ctx, att)
		h.writeError(w, r, fmt.Errorf("webchat: store upload: %w", err))
		return
	}
	rec := &statusRecorder{ResponseWriter: w}
	h.ingest(rec, r, v, fields["client_id"], "", []desk.InboundAttachment{att})
	if rec.status != http.StatusCreated { // failed, or a repeat of a stored upload
		h.removeBlobs(context.WithoutCancel(ctx), att)
	}
}

func (h *Handler) removeBlobs(ctx context.Context, a desk.InboundAttachment) {
	for _, k := range []string{a.BlobKey, a.ThumbKey} {
		if k != "" {
			if err := h.d.Blob.Delete(ctx, k); err != nil {
				h.d.Log.Warn("webchat: remove orphan blob", "err", err)
			}
		}
	}
}

func uploadErr(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return fmt.Errorf("webchat: upload over %d MiB: %w", MaxUpload>>20, desk.ErrTooLarge)
	}
	return fmt.Errorf("webchat: upload: %v: %w", err, problem.ErrBadRequest)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// cleanName keeps the base name of an uploaded file, without control
// characters, at most 200 bytes.
func cleanName(n string) string {
	n = path.Base(strings.ReplaceAll(n, `\`, "/"))
	n = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' {
			return -1
		}
		return r
	}, n)
	n = strings.TrimSpace(n)
	if n == "" || n == "." || n == "/" {
		n = "file"
	}
	for len(n) > 200 {
		_, size := lastRune(n)
		n = n[:len(n)-size]
	}
	return n
}

func lastRune(s string) (rune, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i]&0xC0 != 0x80 {
			return rune(s[i]), len(s) - i
		}
	}
	return 0, 1
}

// attachment serves a file (or its thumbnail) of the visitor's own
// conversation. Anything else is 404, whether it exists or not.
func (h *Handler) attachment(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	notFound := fmt.Errorf("webchat: attachment: %w", desk.ErrNotFound)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	token, ok := visitorToken(r, r.URL.Query().Get("token"))
	if err != nil || id <= 0 || !ok {
		h.writeError(w, r, notFound)
		return
	}
	c, err := h.d.Store.ContactByIdentity(ctx, desk.IdentityVisitor, tokenHash(token))
	if err != nil {
		h.writeError(w, r, notFound)
		return
	}
	a, err := h.d.Store.AttachmentByID(ctx, id)
	if err != nil {
		h.writeError(w, r, notFound)
		return
	}
	m, err := h.d.Store.MessageByID(ctx, a.MessageID)
	if err != nil || m.Kind != desk.KindMessage {
		h.writeError(w, r, notFound) // attachments of notes stay with the agents
		return
	}
	conv, err := h.d.Store.ConversationByID(ctx, m.ConversationID)
	if err != nil || conv.ContactID != c.ID {
		h.writeError(w, r, notFound)
		return
	}
	key, ctype, size := a.BlobKey, a.ContentType, a.Size
	thumb := strings.HasSuffix(r.URL.Path, "/thumb")
	if thumb {
		if a.ThumbKey == "" {
			h.writeError(w, r, notFound)
			return
		}
		key, ctype, size = a.ThumbKey, "image/png", -1
	}
	rc, err := h.d.Blob.Open(ctx, key)
	if err != nil {
		h.writeError(w, r, fmt.Errorf("webchat: attachment %d: %w", id, err))
		return
	}
	defer rc.Close()
	hd := w.Header()
	hd.Set("Content-Type", ctype)
	hd.Set("X-Content-Type-Options", "nosniff")
	// Even if a browser rendered it, the file could run nothing.
	hd.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
	hd.Set("Cache-Control", "private, max-age=86400")
	hd.Set("Cross-Origin-Resource-Policy", "cross-origin")
	hd.Set("Referrer-Policy", "no-referrer")
	disp := "attachment"
	if thumb || a.IsImage() {
		disp = "inline"
	}
	hd.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": a.Name}))
	if size >= 0 {
		hd.Set("Content-Length", strconv.FormatInt(size, 10))
	}
	io.Copy(w, rc)
}
