package metagraphtest

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
)

// Media files of each kind, as small as sniffing allows. Each call returns
// a fresh slice, so a test may change its copy.

// PNG is a 4×3 image with one red pixel.
func PNG() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.NRGBA{R: 255, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err) // encoding a valid image into memory cannot fail
	}
	return b.Bytes()
}

// JPEG is an 8×6 black image.
func JPEG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 6))
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		panic(err) // encoding a valid image into memory cannot fail
	}
	return b.Bytes()
}

// PDF is an empty PDF document.
func PDF() []byte { return []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n") }

// OGG is the start of an Ogg stream (WhatsApp's voice notes).
func OGG() []byte { return padded("OggS\x00\x02") }

// MP4 is the start of an MP4 video.
func MP4() []byte { return padded("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom") }

// M4A is the start of an MPEG-4 audio file (Messenger's audio clips).
func M4A() []byte { return padded("\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00M4A isom") }

// WebP is the start of a WebP image (WhatsApp's stickers).
func WebP() []byte { return padded("RIFF\x24\x00\x00\x00WEBPVP8 ") }

// EXE is the start of a Windows executable: a type no channel keeps.
func EXE() []byte { return append([]byte("MZ\x90\x00"), make([]byte, 60)...) }

// padded is a file's signature followed by zeros, enough for sniffing.
func padded(signature string) []byte {
	return append([]byte(signature), make([]byte, 40)...)
}
