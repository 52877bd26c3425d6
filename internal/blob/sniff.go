package blob

import (
	"bytes"
	"net/http"
	"path"
	"strings"
)

// Content types of documents recognised by their container and name.
const (
	typeZip  = "application/zip"
	typeText = "text/plain; charset=utf-8"
)

// zipDocs and oleDocs map document extensions inside ZIP (OOXML, ODF) and OLE
// containers to their content types.
var zipDocs = map[string]string{
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	".odt":  "application/vnd.oasis.opendocument.text",
	".ods":  "application/vnd.oasis.opendocument.spreadsheet",
	".odp":  "application/vnd.oasis.opendocument.presentation",
	".zip":  typeZip,
}

var oleDocs = map[string]string{
	".doc": "application/msword",
	".xls": "application/vnd.ms-excel",
	".ppt": "application/vnd.ms-powerpoint",
}

// textExts are names a plain-text upload may carry. Text named .html, .svg
// or .js is refused: a browser or a careless download could run it.
var textExts = map[string]bool{"": true, ".txt": true, ".csv": true, ".log": true, ".md": true, ".json": true}

// dangerousExts are refused whatever the bytes look like.
var dangerousExts = map[string]bool{
	".exe": true, ".dll": true, ".com": true, ".bat": true, ".cmd": true, ".scr": true, ".msi": true,
	".js": true, ".mjs": true, ".vbs": true, ".ps1": true, ".sh": true, ".jar": true, ".apk": true,
	".html": true, ".htm": true, ".xhtml": true, ".svg": true, ".svgz": true, ".xml": true, ".hta": true,
	".lnk": true, ".iso": true,
}

// Sniff decides from the first bytes of a file (up to 512) and its declared
// name what content type it will be stored and served as, and whether that
// type is allowed: images (PNG, JPEG, GIF, WebP), PDF, plain text, and office
// documents or ZIP archives. HTML, SVG, scripts and executables are refused.
// The declared name only picks between types the bytes already allow; it
// never makes disallowed bytes acceptable.
func Sniff(first512 []byte, declaredName string) (contentType string, ok bool) {
	b := first512
	if len(b) > 512 {
		b = b[:512]
	}
	ext := strings.ToLower(path.Ext(strings.ReplaceAll(declaredName, `\`, "/")))
	if dangerousExts[ext] {
		return "", false
	}
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png", true
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		return "image/jpeg", true
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return "image/gif", true
	case len(b) >= 12 && bytes.Equal(b[:4], []byte("RIFF")) && bytes.Equal(b[8:12], []byte("WEBP")):
		return "image/webp", true
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return "application/pdf", true
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		if t, ok := zipDocs[ext]; ok {
			return t, true
		}
		return "", false
	case bytes.HasPrefix(b, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
		if t, ok := oleDocs[ext]; ok {
			return t, true
		}
		return "", false
	}
	if len(b) == 0 || !textExts[ext] {
		return "", false
	}
	// DetectContentType recognises HTML, XML (which covers SVG) and scripts
	// by their markup and reports them as such; only plain text passes.
	if http.DetectContentType(b) != typeText || looksLikeMarkup(b) {
		return "", false
	}
	return typeText, true
}

// looksLikeMarkup catches markup DetectContentType misses because it does
// not start the file (it only checks leading tags).
func looksLikeMarkup(b []byte) bool {
	l := bytes.ToLower(b)
	for _, m := range [][]byte{[]byte("<script"), []byte("<svg"), []byte("<html"), []byte("<!doctype"), []byte("<?xml"), []byte("<iframe")} {
		if bytes.Contains(l, m) {
			return true
		}
	}
	return false
}

// SniffMedia is Sniff for files that messaging apps deliver: besides what
// Sniff allows, the audio and video containers their voice notes and clips
// come in (Ogg, AMR, WAV, MP4/3GP/QuickTime, WebM, MP3, AAC), which agents'
// uploads do not take. It looks at the first 512 bytes of data.
func SniffMedia(data []byte, declaredName string) (contentType string, ok bool) {
	b := data[:min(len(data), 512)]
	switch {
	case bytes.HasPrefix(b, []byte("OggS")):
		return "audio/ogg", true
	case bytes.HasPrefix(b, []byte("#!AMR")):
		return "audio/amr", true
	case len(b) >= 12 && bytes.Equal(b[:4], []byte("RIFF")) && bytes.Equal(b[8:12], []byte("WAVE")):
		return "audio/wav", true
	case bytes.HasPrefix(b, []byte("\x1A\x45\xDF\xA3")):
		return "video/webm", true
	case len(b) >= 12 && bytes.Equal(b[4:8], []byte("ftyp")):
		brand := string(b[8:12])
		switch {
		case strings.HasPrefix(brand, "3gp"):
			return "video/3gpp", true
		case brand == "M4A ", brand == "M4B ":
			return "audio/mp4", true
		case brand == "qt  ":
			return "video/quicktime", true
		}
		return "video/mp4", true
	case bytes.HasPrefix(b, []byte("ID3")):
		return "audio/mpeg", true
	case len(b) >= 2 && b[0] == 0xFF && b[1]&0xE0 == 0xE0:
		// MPEG audio and ADTS AAC start with a frame sync (JPEG's FF D8
		// does not match it). Before Sniff, whose text check would take
		// a short frame for text.
		if b[1]&0x06 == 0 {
			return "audio/aac", true
		}
		return "audio/mpeg", true
	}
	return Sniff(b, declaredName)
}
