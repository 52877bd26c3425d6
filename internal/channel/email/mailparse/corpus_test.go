package mailparse

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// corpusDir is the shared third-party mail corpus (see
// ../shared/data/SOURCES.md), relative to this package.
const corpusDir = "../../../../../shared/data/email"

func corpusFiles(t testing.TB) []string {
	t.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	var files []string
	for _, sub := range []string{"enmime", "ruby-mail"} {
		err := filepath.WalkDir(filepath.Join(corpusDir, sub), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			switch filepath.Ext(p) {
			case ".eml", ".raw":
				files = append(files, p)
			}
			if filepath.Base(p) == "sample_output_multipart" {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// TestCorpusParses parses every corpus mail: no error, no panic and valid
// UTF-8 in every string of the result.
func TestCorpusParses(t *testing.T) {
	files := corpusFiles(t)
	if len(files) < 180 {
		t.Fatalf("found %d corpus files, want at least 180", len(files))
	}
	warned := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Parse(bytes.NewReader(raw), Options{InlineURL: func(cid string) string { return "/inline/" + cid }})
		if err != nil {
			t.Errorf("%s: Parse: %v", f, err)
			continue
		}
		if len(m.Warnings) > 0 {
			warned++
		}
		for _, s := range messageStrings(m) {
			if !utf8.ValidString(s) {
				t.Errorf("%s: invalid UTF-8 in %q", f, s)
			}
		}
		if os.Getenv("MAILPARSE_DUMP") != "" {
			rel, _ := filepath.Rel(corpusDir, f)
			t.Logf("%s: from=%q subj=%q text=%d html=%d atts=%d auto=%v bounce=%v warn=%q",
				rel, m.From.String(), m.Subject, len(m.Text), len(m.HTML), len(m.Attachments), m.AutoReply, m.Bounce != nil, m.Warnings)
		}
	}
	t.Logf("%d files parsed, %d with warnings", len(files), warned)
}

func messageStrings(m *Message) []string {
	s := []string{m.MessageID, m.InReplyTo, m.Subject, m.Text, m.HTML, m.Reply, m.Quoted,
		m.From.Name, m.From.Addr, m.Auth.ServID, m.Auth.SPF, m.Auth.DKIM, m.Auth.DMARC}
	s = append(s, m.References...)
	s = append(s, m.Warnings...)
	for _, list := range [][]Address{m.To, m.Cc, m.ReplyTo} {
		for _, a := range list {
			s = append(s, a.Name, a.Addr)
		}
	}
	for _, a := range m.Attachments {
		s = append(s, a.Filename, a.ContentType, a.ContentID)
	}
	for k, vs := range m.Headers {
		s = append(s, k)
		s = append(s, vs...)
	}
	if m.Bounce != nil {
		for _, r := range m.Bounce.Recipients {
			s = append(s, r.Addr, r.Action, r.Status, r.Diagnostic)
		}
	}
	return s
}

func parseCorpusFile(t *testing.T, name string) *Message {
	t.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(corpusDir, name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(bytes.NewReader(raw), Options{InlineURL: func(cid string) string { return "/inline/" + cid }})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

// TestCorpusExpectations checks what balie relies on for a dozen corpus
// mails chosen for encoded names, charsets, bounces, signing and inline
// images.
func TestCorpusExpectations(t *testing.T) {
	tests := []struct {
		file  string
		check func(m *Message) []string // returns problems
	}{
		{"ruby-mail/multi_charset/japanese_iso_2022.eml", func(m *Message) []string {
			return all(
				eq("Subject", m.Subject, "まみむめも"),
				eq("To name", first(names(m.To)), "みける"),
				eq("Reply", m.Reply, "すみません。"),
			)
		}},
		{"ruby-mail/multi_charset/japanese_shift_jis.eml", func(m *Message) []string {
			return all(has("Text", m.Text, "このメールはテスト用のメールです。"))
		}},
		{"ruby-mail/multi_charset/japanese_attachment_long_name.eml", func(m *Message) []string {
			return all(eq("attachment", first(filenames(m)), strings.Repeat("かきくけこ", 5)+".txt"))
		}},
		{"ruby-mail/plain_emails/raw_email_with_partially_quoted_subject.eml", func(m *Message) []string {
			return all(eq("Subject", m.Subject, `Re: Test: "漢字" mid "漢字" tail`))
		}},
		{"ruby-mail/rfc6532/utf8_headers.eml", func(m *Message) []string {
			return all(
				eq("From", m.From.String(), "Jöhn Doe <jdöe@mächine.example>"),
				eq("Subject", m.Subject, "Säying Hello"),
			)
		}},
		{"ruby-mail/error_emails/bad_subject.eml", func(m *Message) []string {
			return all(
				eq("From name", m.From.Name, "MySurvey.com & Carol Adams"),
				eq("Subject", m.Subject, "MySurvey.com:  You have a survey waiting!  91123105"),
			)
		}},
		{"ruby-mail/error_emails/new_line_in_to_header.eml", func(m *Message) []string {
			return all(
				eq("To count", len(m.To), 6),
				eq("Subject", m.Subject, "[Online Lead] Online Lead #1111111"),
			)
		}},
		{"ruby-mail/attachment_emails/attachment_pdf.eml", func(m *Message) []string {
			return all(
				eq("Subject", m.Subject, "Another PDF with 🎉 Unicode chars in it 🍿"),
				eq("attachment", first(filenames(m)), "broken.pdf"),
			)
		}},
		{"ruby-mail/attachment_emails/attachment_nonascii_filename.eml", func(m *Message) []string {
			return all(eq("attachment", first(filenames(m)), "ciële.txt"))
		}},
		{"ruby-mail/attachment_emails/attachment_with_quoted_filename.eml", func(m *Message) []string {
			return all(eq("attachment", first(filenames(m)), "Eelanalüüsi päring.jpg"))
		}},
		{"enmime/mail/mime-bad-8bit-filename.raw", func(m *Message) []string {
			return all(eq("attachment", first(filenames(m)), "管理.doc"))
		}},
		{"ruby-mail/multipart_report_emails/multi_address_bounce1.eml", func(m *Message) []string {
			if m.Bounce == nil {
				return []string{"no bounce"}
			}
			r := m.Bounce.Recipients
			return all(
				eq("DSN", m.Bounce.DSN, true),
				eq("recipients", len(r), 5),
				eq("first", first(bounceAddrs(r)), "bbbbvhvbbvkjbhfbvbvjhb@gmail.com"),
				eq("status", r[0].Status, "5.1.1"),
				eq("permanent", r[0].Permanent(), true),
				eq("bounced message attached", first(filenames(m)), "Test of bounce email.eml"),
			)
		}},
		{"ruby-mail/multipart_report_emails/report_422.eml", func(m *Message) []string {
			if m.Bounce == nil || len(m.Bounce.Recipients) != 1 {
				return []string{"want one bounced recipient"}
			}
			r := m.Bounce.Recipients[0]
			return all(eq("action", r.Action, "delayed"), eq("status", r.Status, "4.2.2"), eq("permanent", r.Permanent(), false))
		}},
		{"enmime/mail/mime-signed.raw", func(m *Message) []string {
			return all(eq("Signed", m.Signed, true), eq("Text", m.Text, "Section one\n\nSection two"), eq("attachments", len(m.Attachments), 0))
		}},
		{"enmime/mail/html-mime-inline.raw", func(m *Message) []string {
			a := Attachment{}
			if len(m.Attachments) == 1 {
				a = m.Attachments[0]
			}
			return all(
				eq("Text", m.Text, "Test of text section"),
				has("HTML", m.HTML, `src="/inline/8B8481A2-25CA-4886-9B5A-8EB9115DD064@skynet"`),
				eq("inline", a.Inline, true),
				eq("content id", a.ContentID, "8B8481A2-25CA-4886-9B5A-8EB9115DD064@skynet"),
				eq("filename", a.Filename, "favicon.png"),
			)
		}},
		{"ruby-mail/attachment_emails/attachment_message_rfc822_inline_image.eml", func(m *Message) []string {
			return all(
				eq("attachments", strings.Join(filenames(m), ","), "img.png,Testmail.eml"),
				has("HTML", m.HTML, `src="/inline/emedfeb92f-a786-4718-a446-98db8afb53fb@kronos"`),
			)
		}},
		{"enmime/low-quality/malformed-base64-attach.raw", func(m *Message) []string {
			return all(eq("attachment", first(filenames(m)), "some.doc"), eq("warned", len(m.Warnings) > 0, true))
		}},
		{"enmime/mail/erroneous.raw", func(m *Message) []string {
			return all(has("Text", m.Text, "Not an RFC-822 Document"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m := parseCorpusFile(t, tt.file)
			for _, p := range tt.check(m) {
				t.Error(p)
			}
		})
	}
}

func all(problems ...string) []string {
	var out []string
	for _, p := range problems {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func eq[T comparable](what string, got, want T) string {
	if got != want {
		return fmt.Sprintf("%s = %v, want %v", what, got, want)
	}
	return ""
}

func has(what, got, want string) string {
	if !strings.Contains(got, want) {
		return fmt.Sprintf("%s = %q, want it to contain %q", what, trunc(got), want)
	}
	return ""
}

func names(as []Address) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Name)
	}
	return out
}

func filenames(m *Message) []string {
	var out []string
	for _, a := range m.Attachments {
		out = append(out, a.Filename)
	}
	return out
}

func bounceAddrs(rs []BounceRecipient) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Addr)
	}
	return out
}

func trunc(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
