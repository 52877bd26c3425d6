package mailparse

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that no input makes Parse panic, fail (below the size
// limit) or return invalid UTF-8, and that sanitised HTML keeps no script.
// CI runs the seeds only; run `go test -fuzz FuzzParse` for real fuzzing.
func FuzzParse(f *testing.F) {
	for _, name := range []string{
		"enmime/mail/html-mime-inline.raw",
		"enmime/parts/multimixed-no-closing-boundary.raw",
		"enmime/parts/quoted-printable-invalid.raw",
		"ruby-mail/multi_charset/japanese_iso_2022.eml",
		"ruby-mail/multipart_report_emails/multi_address_bounce1.eml",
		"ruby-mail/attachment_emails/attachment_nonascii_filename.eml",
		"ruby-mail/error_emails/new_line_in_to_header.eml",
	} {
		if b, err := os.ReadFile(filepath.Join(corpusDir, name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(related))
	f.Add([]byte("Content-Type: text/html\r\n\r\n<scr<script>ipt>alert(1)</script><img src=x onerror=alert(1)>"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n\r\n----\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(bytes.NewReader(raw), Options{MaxParts: 200, InlineURL: func(c string) string { return "/i/" + c }})
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		for _, s := range messageStrings(m) {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8: %q", s)
			}
		}
		low := strings.ToLower(m.HTML)
		for _, bad := range []string{"<script", "onerror=", "javascript:"} {
			if strings.Contains(low, bad) {
				t.Fatalf("HTML keeps %q: %s", bad, m.HTML)
			}
		}
	})
}
