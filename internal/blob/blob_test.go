package blob

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

func TestDiskRoundTrip(t *testing.T) {
	ctx := context.Background()
	d, err := NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	key := NewKey()
	want := []byte("hello, balie")
	if err := d.Put(ctx, key, bytes.NewReader(want), int64(len(want)), "text/plain"); err != nil {
		t.Fatalf("Put: %v", err)
	}
	rc, err := d.Open(ctx, key)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, want) {
		t.Errorf("Open = %q, want %q", got, want)
	}
	if err := d.Delete(ctx, key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := d.Open(ctx, key); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("Open after Delete: err = %v, want ErrNotFound", err)
	}
	if err := d.Delete(ctx, key); err != nil {
		t.Errorf("second Delete: %v, want nil", err)
	}
}

func TestDiskRejectsBadKeys(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	d, err := NewDisk(filepath.Join(root, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"", "../../etc/passwd", "../" + NewKey()[3:], "/abs", strings.Repeat("a", 31), strings.ToUpper(NewKey()), NewKey() + "/x", "aa/" + NewKey()[3:]} {
		t.Run(key, func(t *testing.T) {
			if err := d.Put(ctx, key, strings.NewReader("x"), 1, ""); !errors.Is(err, desk.ErrInvalid) {
				t.Errorf("Put(%q) err = %v, want ErrInvalid", key, err)
			}
			if _, err := d.Open(ctx, key); !errors.Is(err, desk.ErrInvalid) {
				t.Errorf("Open(%q) err = %v, want ErrInvalid", key, err)
			}
			if err := d.Delete(ctx, key); !errors.Is(err, desk.ErrInvalid) {
				t.Errorf("Delete(%q) err = %v, want ErrInvalid", key, err)
			}
		})
	}
	// Nothing may have been written outside the blob root.
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 {
		t.Errorf("root holds %d entries, want only the blob dir", len(entries))
	}
}

func TestDiskPutIsAtomic(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, err := NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	key := NewKey()
	// A size mismatch (a truncated upload) must leave no file behind.
	if err := d.Put(ctx, key, strings.NewReader("short"), 100, ""); err == nil {
		t.Fatal("Put with wrong size succeeded")
	}
	if _, err := d.Open(ctx, key); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("Open after failed Put: err = %v, want ErrNotFound", err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "*", ".tmp-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
	// A failing reader likewise.
	if err := d.Put(ctx, key, io.MultiReader(strings.NewReader("abc"), errReader{}), -1, ""); err == nil {
		t.Fatal("Put with failing reader succeeded")
	}
	if _, err := d.Open(ctx, key); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("Open after failed Put: err = %v, want ErrNotFound", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func encode(t *testing.T, format string, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&b, img)
	case "jpeg":
		err = jpeg.Encode(&b, img, nil)
	case "gif":
		err = gif.Encode(&b, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func solid(w, h int, c color.Color) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	return img
}

func TestThumbnail(t *testing.T) {
	red := color.NRGBA{200, 10, 10, 255}
	tests := []struct {
		name           string
		data           []byte
		maxSide        int
		wantW, wantH   int // original size
		wantTW, wantTH int // thumbnail size
	}{
		{"png landscape", encode(t, "png", solid(400, 200, red)), 100, 400, 200, 100, 50},
		{"jpeg portrait", encode(t, "jpeg", solid(150, 600, red)), 120, 150, 600, 30, 120},
		{"gif small stays", encode(t, "gif", solid(40, 30, red)), 100, 40, 30, 40, 30},
		{"thin strip keeps a pixel", encode(t, "png", solid(1000, 2, red)), 100, 1000, 2, 100, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			thumb, w, h, err := Thumbnail(bytes.NewReader(tc.data), tc.maxSide)
			if err != nil {
				t.Fatalf("Thumbnail: %v", err)
			}
			if w != tc.wantW || h != tc.wantH {
				t.Errorf("size = %dx%d, want %dx%d", w, h, tc.wantW, tc.wantH)
			}
			img, err := png.Decode(bytes.NewReader(thumb))
			if err != nil {
				t.Fatalf("thumbnail is not a PNG: %v", err)
			}
			if b := img.Bounds(); b.Dx() != tc.wantTW || b.Dy() != tc.wantTH {
				t.Errorf("thumbnail = %dx%d, want %dx%d", b.Dx(), b.Dy(), tc.wantTW, tc.wantTH)
			}
			r, _, _, a := img.At(img.Bounds().Dx()/2, img.Bounds().Dy()/2).RGBA()
			if r>>8 < 180 || a>>8 != 255 {
				t.Errorf("centre pixel r=%d a=%d, want red and opaque", r>>8, a>>8)
			}
		})
	}
}

func TestThumbnailAveragesAndKeepsTransparency(t *testing.T) {
	// Left half black, right half white: a 2x1 thumbnail keeps both; a 1x1 is grey.
	img := image.NewNRGBA(image.Rect(0, 0, 4, 2))
	for y := 0; y < 2; y++ {
		for x := 0; x < 4; x++ {
			v := uint8(0)
			if x >= 2 {
				v = 255
			}
			img.Set(x, y, color.NRGBA{v, v, v, 255})
		}
	}
	got := downscale(img, 1, 1).NRGBAAt(0, 0)
	if got.R < 120 || got.R > 135 || got.A != 255 {
		t.Errorf("1x1 average = %v, want mid grey, opaque", got)
	}
	// A half-transparent red area must stay red, not turn dark.
	tr := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	tr.Set(0, 0, color.NRGBA{255, 0, 0, 255})
	tr.Set(1, 0, color.NRGBA{0, 0, 0, 0})
	got = downscale(tr, 1, 1).NRGBAAt(0, 0)
	if got.R < 250 || got.A < 120 || got.A > 135 {
		t.Errorf("premultiplied average = %v, want red at half alpha", got)
	}
}

func TestThumbnailRefuses(t *testing.T) {
	// A PNG header declaring 10000x10000 pixels: refused before decoding.
	var hdr bytes.Buffer
	if err := png.Encode(&hdr, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	bomb := hdr.Bytes()
	bomb = append([]byte(nil), bomb...)
	// IHDR width and height sit at offsets 16 and 20, its CRC at 29.
	copy(bomb[16:20], []byte{0, 0, 0x27, 0x10})
	copy(bomb[20:24], []byte{0, 0, 0x27, 0x10})
	binary.BigEndian.PutUint32(bomb[29:33], crc32.ChecksumIEEE(bomb[12:29]))
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"decompression bomb", bomb, desk.ErrTooLarge},
		{"not an image", []byte("just text"), ErrNotImage},
		{"webp unsupported", []byte("RIFF\x10\x00\x00\x00WEBPVP8 "), ErrNotImage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := Thumbnail(bytes.NewReader(tc.data), 100)
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSniff(t *testing.T) {
	pngBytes := encode(t, "png", solid(2, 2, color.White))
	tests := []struct {
		name   string
		data   string
		file   string
		want   string
		wantOK bool
	}{
		{"png", string(pngBytes), "a.png", "image/png", true},
		{"png named txt is still png", string(pngBytes), "a.txt", "image/png", true},
		{"jpeg", "\xff\xd8\xff\xe0\x00\x10JFIF", "photo.jpg", "image/jpeg", true},
		{"gif", "GIF89a\x01\x00\x01\x00", "x.gif", "image/gif", true},
		{"webp", "RIFF\x10\x00\x00\x00WEBPVP8 ", "x.webp", "image/webp", true},
		{"pdf", "%PDF-1.7\n", "invoice.pdf", "application/pdf", true},
		{"docx", "PK\x03\x04\x14\x00", "letter.docx", zipDocs[".docx"], true},
		{"zip", "PK\x03\x04\x14\x00", "files.zip", "application/zip", true},
		{"zip named jar", "PK\x03\x04\x14\x00", "evil.jar", "", false},
		{"zip with unknown name", "PK\x03\x04\x14\x00", "thing.bin", "", false},
		{"xls", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "sheet.xls", "application/vnd.ms-excel", true},
		{"plain text", "Mijn bestelling 12345 is niet aangekomen.\n", "note.txt", typeText, true},
		{"csv", "a,b\n1,2\n", "data.csv", typeText, true},
		{"html", "<!DOCTYPE html><html><script>alert(1)</script>", "page.html", "", false},
		{"html named txt", "<html><body><script>alert(1)</script>", "page.txt", "", false},
		{"svg", `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`, "logo.svg", "", false},
		{"svg named png", `<svg xmlns="http://www.w3.org/2000/svg"></svg>`, "logo.png", "", false},
		{"svg after text", "hello\n<svg onload=alert(1)>", "a.txt", "", false},
		{"png named svg", string(pngBytes), "logo.svg", "", false},
		{"exe", "MZ\x90\x00\x03\x00\x00\x00", "setup.exe", "", false},
		{"exe named pdf", "MZ\x90\x00\x03\x00\x00\x00", "setup.pdf", "", false},
		{"elf", "\x7fELF\x02\x01\x01", "tool", "", false},
		{"script named txt ext js", "console.log(1)", "a.js", "", false},
		{"text named exe", "hello", "hello.exe", "", false},
		{"empty", "", "a.txt", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Sniff([]byte(tc.data), tc.file)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("Sniff(%q) = %q, %v; want %q, %v", tc.file, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
