package metagraph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/desk"
)

// memBlob is a desk.Blob in memory that can be told to fail.
type memBlob struct {
	mu        sync.Mutex
	files     map[string][]byte
	failPutAt int // the failPutAt-th Put (1-based) fails; 0 never
	puts      int
	failDel   bool
}

func newMemBlob() *memBlob { return &memBlob{files: map[string][]byte{}} }

func (b *memBlob) Put(_ context.Context, key string, r io.Reader, _ int64, _ string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.puts++
	if b.puts == b.failPutAt {
		return errors.New("disk full")
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	b.files[key] = data
	return nil
}

func (b *memBlob) Open(_ context.Context, key string) (io.ReadCloser, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	data, ok := b.files[key]
	if !ok {
		return nil, desk.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

func (b *memBlob) Delete(_ context.Context, key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failDel {
		return errors.New("read-only")
	}
	delete(b.files, key)
	return nil
}

func pngImage(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCleanName(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "factuur.pdf", "factuur.pdf"},
		{"spaces trimmed", "  foto.jpg ", "foto.jpg"},
		{"unix path", "/etc/passwd", "passwd"},
		{"windows path", `C:\Users\jan\bon.pdf`, "bon.pdf"},
		{"traversal", "../../secret.txt", "secret.txt"},
		{"control characters", "a\x00b\nc.txt", "abc.txt"},
		{"empty", "", ""},
		{"only a slash", "/", ""},
		{"dot", ".", ""},
		{"long ascii", strings.Repeat("a", 250), strings.Repeat("a", 200)},
		{"long multibyte kept whole", strings.Repeat("é", 150), strings.Repeat("é", 100)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := CleanName(tc.in)
			if got != tc.want {
				t.Errorf("CleanName(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("CleanName(%q) = %q, not valid UTF-8", tc.in, got)
			}
		})
	}
}

func TestExtension(t *testing.T) {
	tests := []struct{ in, want string }{
		{"image/jpeg", ".jpg"},
		{"audio/ogg; codecs=opus", ".ogg"},
		{"video/quicktime", ".mov"},
		{"audio/amr", ".amr"},
		{"application/zip", ""},
		{"not a type", ""},
	}
	for _, tc := range tests {
		if got := Extension(tc.in); got != tc.want {
			t.Errorf("Extension(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMissingNote(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"too large", fmt.Errorf("media 1: %w", desk.ErrTooLarge), "📎 Video kon niet worden opgehaald (te groot)"},
		{"refused type", fmt.Errorf("media 1: %w", ErrMediaType), "📎 Video kon niet worden opgehaald (bestandstype niet toegestaan)"},
		{"other invalid", fmt.Errorf("media 1: %w", desk.ErrInvalid), "📎 Video kon niet worden opgehaald (niet beschikbaar)"},
		{"gone", errors.New("graph api: HTTP 404"), "📎 Video kon niet worden opgehaald (niet beschikbaar)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := MissingNote("Video", tc.err); got != tc.want {
				t.Errorf("MissingNote = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReadLimited(t *testing.T) {
	tests := []struct {
		name    string
		size    int
		limit   int64
		wantErr error
	}{
		{"empty", 0, 5, nil},
		{"at the limit", 5, 5, nil},
		{"one over", 6, 5, desk.ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadLimited(strings.NewReader(strings.Repeat("x", tc.size)), tc.limit)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && len(got) != tc.size) {
				t.Errorf("ReadLimited = %d bytes, %v; want %d bytes, %v", len(got), err, tc.size, tc.wantErr)
			}
		})
	}
}

func TestKeep(t *testing.T) {
	img := pngImage(t, 800, 400)
	tests := []struct {
		name      string
		ctype     string
		data      []byte
		failPutAt int
		wantThumb bool
		wantFiles int
		wantErr   error
	}{
		{"image with thumbnail", "image/png", img, 0, true, 2, nil},
		{"pdf without thumbnail", "application/pdf", []byte("%PDF-1.4"), 0, false, 1, nil},
		{"webp without thumbnail", "image/webp", []byte("RIFF....WEBP"), 0, false, 1, nil},
		{"image that does not decode", "image/jpeg", []byte("not a jpeg"), 0, false, 1, nil},
		{"thumbnail not stored", "image/png", img, 1, false, 0, desk.ErrTemporary},
		{"file not stored: thumbnail removed", "image/png", img, 2, false, 0, desk.ErrTemporary},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newMemBlob()
			b.failPutAt = tc.failPutAt
			att, err := Keep(context.Background(), b, "x.bin", tc.ctype, tc.data)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Keep error = %v, want %v", err, tc.wantErr)
			}
			if len(b.files) != tc.wantFiles {
				t.Errorf("blob files = %d, want %d", len(b.files), tc.wantFiles)
			}
			if err != nil {
				return
			}
			if got := b.files[att.BlobKey]; !bytes.Equal(got, tc.data) {
				t.Errorf("stored %d bytes under BlobKey, want the %d given", len(got), len(tc.data))
			}
			if att.Name != "x.bin" || att.ContentType != tc.ctype || att.Size != int64(len(tc.data)) {
				t.Errorf("attachment = %q %q %d, want x.bin %q %d", att.Name, att.ContentType, att.Size, tc.ctype, len(tc.data))
			}
			if hasThumb := att.ThumbKey != ""; hasThumb != tc.wantThumb {
				t.Fatalf("thumbnail = %v, want %v", hasThumb, tc.wantThumb)
			}
			if tc.wantThumb && (att.Width != 800 || att.Height != 400 || b.files[att.ThumbKey] == nil) {
				t.Errorf("thumbnail %dx%d stored=%v, want 800x400 stored", att.Width, att.Height, b.files[att.ThumbKey] != nil)
			}
		})
	}
}

func TestDiscard(t *testing.T) {
	tests := []struct {
		name      string
		failDel   bool
		wantErr   bool
		wantFiles int
	}{
		{"removes file and thumbnail", false, false, 0},
		{"reports what it could not remove", true, true, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newMemBlob()
			ctx := context.Background()
			a1, err := Keep(ctx, b, "a.png", "image/png", pngImage(t, 10, 10))
			if err != nil {
				t.Fatal(err)
			}
			a2, err := Keep(ctx, b, "b.pdf", "application/pdf", []byte("%PDF"))
			if err != nil {
				t.Fatal(err)
			}
			b.failDel = tc.failDel
			err = Discard(ctx, b, []desk.InboundAttachment{a1, a2})
			if (err != nil) != tc.wantErr {
				t.Errorf("Discard = %v, want error %v", err, tc.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), a1.ThumbKey) {
				t.Errorf("Discard error %q does not name the key %s", err, a1.ThumbKey)
			}
			if len(b.files) != tc.wantFiles {
				t.Errorf("blob files left = %d, want %d", len(b.files), tc.wantFiles)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	b := newMemBlob()
	b.files["k"] = []byte("12345")
	tests := []struct {
		name    string
		key     string
		limit   int64
		wantErr error
	}{
		{"read", "k", 5, nil},
		{"missing is permanent", "gone", 5, desk.ErrNotFound},
		{"too large is permanent", "k", 4, desk.ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := Load(context.Background(), b, tc.key, tc.limit)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Load error = %v, want %v", err, tc.wantErr)
			}
			if errors.Is(err, desk.ErrTemporary) {
				t.Errorf("Load error %v is temporary, want permanent", err)
			}
			if err == nil && string(data) != "12345" {
				t.Errorf("Load = %q, want 12345", data)
			}
		})
	}
}
