package telegram

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"

	"github.com/balie-dev/balie/internal/blob"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/problem"
)

// SecretHeader carries the inbox's secret token on every webhook call.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// maxUpdate bounds a webhook body; updates are a few KiB.
const maxUpdate = 1 << 20

// thumbSide is the longest side of an image preview, as elsewhere in balie.
const thumbSide = 320

// Webhook returns the handler for the inbox's Telegram webhook. It answers
// 401 to a missing or wrong secret token, 200 once an update is stored or
// deliberately ignored, and 500 when storing failed: Telegram then sends the
// update again, and the message id keeps the retry from storing it twice.
func (c *Channel) Webhook(inbox desk.Inbox) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		opts := problem.Options{Log: c.log, Public: true}
		secret := inbox.Settings[SettingSecretToken]
		got := r.Header.Get(SecretHeader)
		if secret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(secret)) != 1 {
			c.log.WarnContext(r.Context(), "telegram: webhook with a wrong secret token", "inbox", inbox.ID, "present", got != "")
			problem.Write(w, r, fmt.Errorf("telegram: secret token: %w", desk.ErrUnauthorized), opts)
			return
		}
		raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUpdate))
		if err != nil {
			problem.Write(w, r, fmt.Errorf("telegram: read update: %w", err), opts)
			return
		}
		var u update
		if err := json.Unmarshal(raw, &u); err != nil {
			problem.Write(w, r, fmt.Errorf("telegram: decode update: %v: %w", err, problem.ErrBadRequest), opts)
			return
		}
		reply, err := c.handle(r.Context(), inbox, &u)
		if err != nil {
			problem.Write(w, r, err, opts) // logs it: a 5xx
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if reply == nil {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(reply)
	})
}

// handle stores what an update means. A non-nil error means "not stored,
// try again" (a 500).
func (c *Channel) handle(ctx context.Context, inbox desk.Inbox, u *update) (map[string]any, error) {
	n := normalise(u, inbox.ID)
	if n.Ignore != "" {
		c.log.InfoContext(ctx, "telegram: update ignored", "inbox", inbox.ID, "update", u.UpdateID, "why", n.Ignore)
		return n.Reply, nil
	}
	in := n.In
	if n.Media != nil {
		att, err := c.fetch(ctx, inbox, *n.Media)
		switch {
		case errors.Is(err, desk.ErrTemporary):
			return nil, fmt.Errorf("telegram: update %d: %w", u.UpdateID, err)
		case err != nil:
			// The file cannot be had (too large, a type balie refuses, gone):
			// keep the message and say so, rather than lose the text.
			c.log.WarnContext(ctx, "telegram: attachment not stored", "inbox", inbox.ID, "update", u.UpdateID, "err", err)
			in.Body = strings.TrimSpace(in.Body + "\n\n" + fmt.Sprintf(textMediaMissing, notLoadedReason(err)))
		default:
			in.Attachments = []desk.InboundAttachment{att}
		}
	}
	res, err := c.convs.Ingest(ctx, in)
	if err != nil {
		c.discard(context.WithoutCancel(ctx), in.Attachments)
		if errors.Is(err, desk.ErrInvalid) || errors.Is(err, desk.ErrTooLarge) {
			// Sending it again cannot help, and a refused update holds up
			// the bot's later ones: acknowledge and log.
			c.log.ErrorContext(ctx, "telegram: update refused", "inbox", inbox.ID, "update", u.UpdateID, "err", err)
			return n.Reply, nil
		}
		return nil, fmt.Errorf("telegram: update %d: ingest: %w", u.UpdateID, err)
	}
	if res.Duplicate {
		// Telegram resent it (or an edit arrived twice): the copy we just
		// downloaded is not needed.
		c.discard(context.WithoutCancel(ctx), in.Attachments)
	}
	return n.Reply, nil
}

func notLoadedReason(err error) string {
	var ae *APIError
	switch {
	case errors.Is(err, desk.ErrTooLarge):
		return "te groot"
	case errors.Is(err, errRefusedType):
		return "bestandstype niet toegestaan"
	case errors.As(err, &ae):
		return ae.Description
	}
	return "fout"
}

func (c *Channel) discard(ctx context.Context, atts []desk.InboundAttachment) {
	for _, a := range atts {
		for _, k := range []string{a.BlobKey, a.ThumbKey} {
			if k != "" {
				c.blob.Delete(ctx, k)
			}
		}
	}
}

// errRefusedType is a file whose bytes are not a type balie stores.
var errRefusedType = errors.New("file type not allowed")

// fetch downloads a file (getFile, then the file URL) into the blob store.
// Failures worth a retry wrap desk.ErrTemporary; the rest are permanent.
func (c *Channel) fetch(ctx context.Context, inbox desk.Inbox, m media) (desk.InboundAttachment, error) {
	if m.Size > c.maxFile {
		return desk.InboundAttachment{}, fmt.Errorf("telegram: file of %d bytes: %w", m.Size, desk.ErrTooLarge)
	}
	b, err := botOf(inbox)
	if err != nil {
		return desk.InboundAttachment{}, err
	}
	var f struct {
		FileSize int64  `json:"file_size"`
		FilePath string `json:"file_path"`
	}
	if err := c.callJSON(ctx, b, "getFile", map[string]string{"file_id": m.FileID}, &f); err != nil {
		return desk.InboundAttachment{}, err
	}
	if f.FileSize > c.maxFile {
		return desk.InboundAttachment{}, fmt.Errorf("telegram: file of %d bytes: %w", f.FileSize, desk.ErrTooLarge)
	}
	if f.FilePath == "" {
		return desk.InboundAttachment{}, &APIError{Method: "getFile", Code: http.StatusBadRequest, Description: "no file_path"}
	}
	data, err := c.download(ctx, b, f.FilePath)
	if err != nil {
		return desk.InboundAttachment{}, err
	}
	name := m.Name
	if name == "" {
		name = path.Base(f.FilePath)
	}
	return c.store(ctx, name, data)
}

// download reads a file of at most maxFile bytes.
func (c *Channel) download(ctx context.Context, b bot, filePath string) ([]byte, error) {
	u, err := b.fileURL(filePath)
	if err != nil {
		return nil, fmt.Errorf("telegram: file url: %v", redact(err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("telegram: download: %v", redact(err))
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("telegram: download: %v: %w", redact(err), desk.ErrTemporary)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &APIError{Method: "download", Status: resp.StatusCode, Code: resp.StatusCode, Description: resp.Status}
	}
	if resp.ContentLength > c.maxFile {
		return nil, fmt.Errorf("telegram: download: %d bytes: %w", resp.ContentLength, desk.ErrTooLarge)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxFile+1))
	if err != nil {
		return nil, fmt.Errorf("telegram: download: %v: %w", redact(err), desk.ErrTemporary)
	}
	if int64(len(data)) > c.maxFile {
		return nil, fmt.Errorf("telegram: download: over %d bytes: %w", c.maxFile, desk.ErrTooLarge)
	}
	if len(data) == 0 {
		return nil, &APIError{Method: "download", Status: resp.StatusCode, Code: http.StatusBadRequest, Description: "empty file"}
	}
	return data, nil
}

// store puts a downloaded file, and an image's thumbnail, in the blob store.
// The type comes from the bytes, as for every upload in balie.
func (c *Channel) store(ctx context.Context, name string, data []byte) (desk.InboundAttachment, error) {
	// Voice notes, audio and video are served as downloads.
	ctype, ok := blob.SniffMedia(data, name)
	if !ok {
		return desk.InboundAttachment{}, fmt.Errorf("telegram: %q: %w", name, errRefusedType)
	}
	att := desk.InboundAttachment{Name: name, ContentType: ctype, Size: int64(len(data))}
	if strings.HasPrefix(ctype, "image/") && ctype != "image/webp" {
		thumb, w, h, err := blob.Thumbnail(bytes.NewReader(data), thumbSide)
		switch {
		case errors.Is(err, desk.ErrTooLarge):
			return desk.InboundAttachment{}, fmt.Errorf("telegram: %q: %w", name, err)
		case err == nil:
			att.Width, att.Height, att.ThumbKey = w, h, blob.NewKey()
			if err := c.blob.Put(ctx, att.ThumbKey, bytes.NewReader(thumb), int64(len(thumb)), "image/png"); err != nil {
				return desk.InboundAttachment{}, fmt.Errorf("telegram: %q: thumbnail: %v: %w", name, err, desk.ErrTemporary)
			}
		}
		// An image that does not decode is kept without a preview.
	}
	att.BlobKey = blob.NewKey()
	if err := c.blob.Put(ctx, att.BlobKey, bytes.NewReader(data), att.Size, ctype); err != nil {
		c.discard(context.WithoutCancel(ctx), []desk.InboundAttachment{att})
		return desk.InboundAttachment{}, fmt.Errorf("telegram: %q: %v: %w", name, err, desk.ErrTemporary)
	}
	return att, nil
}
