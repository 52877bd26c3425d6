package channeltest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// oversizedText makes a webhook body over every provider's limit (Meta
// batches at most a few hundred KiB; balie's channels refuse beyond 1 to
// 3 MiB), yet correctly authenticated: size alone must refuse it.
const oversizedText = 4<<20 + 1

func testOversized(t *testing.T, h Harness) {
	before := snapshot(t, h)
	code := serve(h, h.Inbound(1, strings.Repeat("a", oversizedText)))
	if code != http.StatusRequestEntityTooLarge {
		t.Errorf("%d MiB webhook body: status %d, want %d", oversizedText>>20, code, http.StatusRequestEntityTooLarge)
	}
	if after := snapshot(t, h); !after.same(before) {
		t.Errorf("oversized body stored something: before %s, after %s", before, after)
	}
}

// needMedia skips a media test when the harness has no media hook.
func needMedia(t *testing.T, h Harness) {
	t.Helper()
	if h.InboundMedia == nil {
		t.Skipf("%s harness has no InboundMedia", h.Kind)
	}
}

// readBlob reads what the blob store holds under key.
func readBlob(t *testing.T, h Harness, what, key string) []byte {
	t.Helper()
	if key == "" {
		t.Errorf("%s: no blob key", what)
		return nil
	}
	rc, err := h.Blob.Open(context.Background(), key)
	if err != nil {
		t.Errorf("%s: blob %q: %v", what, key, err)
		return nil
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Errorf("%s: read blob %q: %v", what, key, err)
	}
	return data
}

func testMedia(t *testing.T, h Harness) {
	needMedia(t, h)
	r, want := h.InboundMedia(1, false)
	if code := serve(h, r); !success(code) {
		t.Fatalf("inbound media: status %d, want 2xx", code)
	}
	got := snapshot(t, h)
	if len(got.messages) != 1 {
		t.Fatalf("inbound media stored %d messages, want 1", len(got.messages))
	}
	m := got.messages[0]
	if len(m.Attachments) != 1 {
		t.Fatalf("message has %d attachments, want 1 (body %q)", len(m.Attachments), m.Body)
	}
	a := m.Attachments[0]
	if a.ContentType != want.ContentType {
		t.Errorf("attachment type = %q, want %q (sniffed from the bytes)", a.ContentType, want.ContentType)
	}
	if a.Size != int64(len(want.Data)) {
		t.Errorf("attachment size = %d, want %d", a.Size, len(want.Data))
	}
	if data := readBlob(t, h, "attachment", a.BlobKey); data != nil && !bytes.Equal(data, want.Data) {
		t.Errorf("blob holds %d bytes, not the %d the provider served", len(data), len(want.Data))
	}
	switch {
	case want.Thumbnail:
		thumb := readBlob(t, h, "thumbnail", a.ThumbKey)
		if thumb != nil && !strings.HasPrefix(http.DetectContentType(thumb), "image/") {
			t.Errorf("thumbnail is %s, want an image", http.DetectContentType(thumb))
		}
		if a.Width <= 0 || a.Height <= 0 {
			t.Errorf("thumbnail size %dx%d, want the image's", a.Width, a.Height)
		}
	case a.ThumbKey != "":
		t.Errorf("attachment has thumbnail %q, want none", a.ThumbKey)
	}

	// A replay of the media message stores no second message.
	r, _ = h.InboundMedia(1, false)
	if code := serve(h, r); !success(code) {
		t.Fatalf("replayed media: status %d, want 2xx", code)
	}
	if after := snapshot(t, h); !after.same(got) {
		t.Errorf("replayed media stored something: before %s, after %s", got, after)
	}
}

func testMediaTooLarge(t *testing.T, h Harness) {
	needMedia(t, h)
	r, want := h.InboundMedia(2, true)
	if code := serve(h, r); !success(code) {
		t.Fatalf("inbound oversized media: status %d, want 2xx (the message is kept)", code)
	}
	got := snapshot(t, h)
	if len(got.messages) != 1 {
		t.Fatalf("oversized media stored %d messages, want 1: the message is kept without its file", len(got.messages))
	}
	m := got.messages[0]
	if len(m.Attachments) != 0 {
		t.Errorf("oversized media stored as %d attachments, want none", len(m.Attachments))
	}
	if want.TooLargeNote == "" {
		t.Fatal("harness gives no TooLargeNote to look for")
	}
	if !strings.Contains(m.Body, want.TooLargeNote) {
		t.Errorf("message body = %q, want a line containing %q saying why the file is missing", m.Body, want.TooLargeNote)
	}
}
