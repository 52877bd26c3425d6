package kbfile

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

func date(s string) *time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return &t
}

const fullFile = `---
title: Bezorgadres wijzigen
slug: bezorgadres-wijzigen
locale: nl
category: bezorging/adres     # a section
status: published
internal: false
description: Zo wijzig je het adres van een bestelling.
questions:
  - Hoe wijzig ik mijn adres?
  - "Verkeerd adres: wat nu?"
related: [retour-aanvragen, levertijd]
contexts: [url:/checkout]
translation: change-delivery-address
position: 3
reviewed: 2026-10-01
---

# Bezorgadres wijzigen

Je kunt het adres wijzigen.
`

var fullWant = File{
	Title:       "Bezorgadres wijzigen",
	Slug:        "bezorgadres-wijzigen",
	Locale:      "nl",
	Category:    "bezorging/adres",
	Status:      "published",
	Description: "Zo wijzig je het adres van een bestelling.",
	Questions:   []string{"Hoe wijzig ik mijn adres?", "Verkeerd adres: wat nu?"},
	Related:     []string{"retour-aanvragen", "levertijd"},
	Contexts:    []string{"url:/checkout"},
	Translation: "change-delivery-address",
	Position:    3,
	Reviewed:    date("2026-10-01"),
	Body:        "# Bezorgadres wijzigen\n\nJe kunt het adres wijzigen.",
}

func TestParse(t *testing.T) {
	minimal := File{Title: "Retour aanvragen", Slug: "retour-aanvragen", Locale: "en", Status: "draft"}
	tests := []struct {
		name string
		path string
		data string
		want File
	}{
		{"full", "x.md", fullFile, fullWant},
		{"CRLF", "x.md", strings.ReplaceAll(fullFile, "\n", "\r\n"), fullWant},
		{"BOM", "x.md", "\uFEFF" + fullFile, fullWant},
		{"BOM and CRLF", "x.md", "\uFEFF" + strings.ReplaceAll(fullFile, "\n", "\r\n"), fullWant},
		{"minimal with defaults", "export/en/retour.md", "---\ntitle: Retour aanvragen\n---\n", minimal},
		{"locale from nearest folder", "nl/en/x.md", "---\ntitle: Retour aanvragen\n---\n", minimal},
		{"front matter locale wins", "nl/x.md", "---\ntitle: Retour aanvragen\nlocale: en\n---\n", minimal},
		{"empty body", "x.md", "---\ntitle: Retour aanvragen\nlocale: en\n---", minimal},
		{"blank body", "x.md", "---\ntitle: Retour aanvragen\nlocale: en\n---\n\n  \n\t\n", minimal},
		{"closing dots", "x.md", "---\ntitle: Retour aanvragen\nlocale: en\n...\n", minimal},
		{"trailing spaces on fences", "x.md", "---  \ntitle: Retour aanvragen\nlocale: en\n--- \n", minimal},
		{
			"tabs in body kept", "x.md", "---\ntitle: T\nlocale: nl\n---\n\n\tcode\n\n- a\tb\t\n",
			File{Title: "T", Slug: "t", Locale: "nl", Status: "draft", Body: "\tcode\n\n- a\tb"},
		},
		{
			"tab after colon", "x.md", "---\ntitle:\tT\nlocale: nl\n---\n",
			File{Title: "T", Slug: "t", Locale: "nl", Status: "draft"},
		},
		{
			"quoted and odd scalars", "x.md", "---\ntitle: \"2026\"\nlocale: nl\ndescription: yes\ninternal: true\nposition: 0\n---\n",
			File{Title: "2026", Slug: "2026", Locale: "nl", Status: "draft", Description: "yes", Internal: true},
		},
		{
			"single value as list", "x.md", "---\ntitle: T\nlocale: nl\nquestions: Hoe dan?\n---\n",
			File{Title: "T", Slug: "t", Locale: "nl", Status: "draft", Questions: []string{"Hoe dan?"}},
		},
		{
			"empty values", "x.md", "---\ntitle: T\nlocale: nl\ndescription:\nquestions:\nreviewed:\nposition:\n---\n",
			File{Title: "T", Slug: "t", Locale: "nl", Status: "draft"},
		},
		{
			"quoted date", "x.md", "---\ntitle: T\nlocale: nl\nreviewed: '2026-02-28'\n---\n",
			File{Title: "T", Slug: "t", Locale: "nl", Status: "draft", Reviewed: date("2026-02-28")},
		},
		{
			"body keeps a later fence", "x.md", "---\ntitle: T\nlocale: nl\n---\neen\n\n---\n\ntwee\n",
			File{Title: "T", Slug: "t", Locale: "nl", Status: "draft", Body: "een\n\n---\n\ntwee"},
		},
		{
			"slug from title", "x.md", "---\ntitle: Hoe wijzig ik mijn bezorgadres?\nlocale: nl\n---\n",
			File{Title: "Hoe wijzig ik mijn bezorgadres?", Slug: "hoe-wijzig-ik-mijn-bezorgadres", Locale: "nl", Status: "draft"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.path, []byte(tt.data))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse:\n got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string // in the message
	}{
		{"no front matter", "# Titel\n\nTekst", "missing: the file must start"},
		{"empty file", "", "missing: the file must start"},
		{"front matter not closed", "---\ntitle: T\n", "not closed"},
		{"empty front matter", "---\n---\nbody", "invalid title: missing"},
		{"missing title", "---\nlocale: nl\n---\n", "invalid title: missing"},
		{"blank title", "---\ntitle: '  '\nlocale: nl\n---\n", "invalid title: missing"},
		{"multi-line title", "---\ntitle: \"a\\nb\"\nlocale: nl\n---\n", "invalid title: must be one line"},
		{"no locale", "---\ntitle: T\n---\n", `invalid locale: missing, and no parent folder`},
		{"bad locale", "---\ntitle: T\nlocale: de\n---\n", `invalid locale: "de": want nl or en`},
		{"bad status", "---\ntitle: T\nlocale: nl\nstatus: live\n---\n", `invalid status: "live"`},
		{"bad date", "---\ntitle: T\nlocale: nl\nreviewed: 1-10-2026\n---\n", `invalid reviewed: line 4: want a date like 2026-10-01, got "1-10-2026"`},
		{"impossible date", "---\ntitle: T\nlocale: nl\nreviewed: 2026-02-30\n---\n", "invalid reviewed"},
		{"date with time", "---\ntitle: T\nlocale: nl\nreviewed: 2026-10-01T10:00:00Z\n---\n", "invalid reviewed"},
		{"unknown key", "---\ntitle: T\nlocale: nl\ntilte: X\n---\n", "invalid tilte: line 4: unknown key (known: title, slug"},
		{"duplicate key", "---\ntitle: T\nlocale: nl\ntitle: U\n---\n", "invalid title: line 4: given twice"},
		{"bad internal", "---\ntitle: T\nlocale: nl\ninternal: nee\n---\n", `invalid internal: line 4: want true or false, got "nee"`},
		{"bad position", "---\ntitle: T\nlocale: nl\nposition: drie\n---\n", `invalid position: line 4: want a whole number`},
		{"negative position", "---\ntitle: T\nlocale: nl\nposition: -1\n---\n", `want 0 or more`},
		{"float position", "---\ntitle: T\nlocale: nl\nposition: 1.5\n---\n", `want a whole number`},
		{"title as list", "---\ntitle: [a, b]\nlocale: nl\n---\n", "invalid title: line 2: want a single value"},
		{"questions as map", "---\ntitle: T\nlocale: nl\nquestions: {a: b}\n---\n", "invalid questions: line 4: want a list"},
		{"empty question", "---\ntitle: T\nlocale: nl\nquestions: [a, '']\n---\n", "item 2 is empty"},
		{"nested question", "---\ntitle: T\nlocale: nl\nquestions: [[a]]\n---\n", "item 1: want a single value"},
		{"bad slug", "---\ntitle: T\nlocale: nl\nslug: Adres Wijzigen\n---\n", `invalid slug: "Adres Wijzigen"`},
		{"long slug", "---\ntitle: T\nlocale: nl\nslug: " + strings.Repeat("a", 81) + "\n---\n", "invalid slug"},
		{"bad category", "---\ntitle: T\nlocale: nl\ncategory: a/b/c\n---\n", `invalid category: "a/b/c"`},
		{"bad related", "---\ntitle: T\nlocale: nl\nrelated: [Retour Aanvragen]\n---\n", "invalid related"},
		{"bad translation", "---\ntitle: T\nlocale: nl\ntranslation: a b\n---\n", "invalid translation"},
		{"context with space", "---\ntitle: T\nlocale: nl\ncontexts: [url:/a b]\n---\n", "invalid contexts"},
		{"tab indentation", "---\ntitle: T\nlocale: nl\nquestions:\n\t- a\n---\n", "line 5: indented with a tab"},
		{"yaml syntax", "---\ntitle: \"T\nlocale: nl\n---\n", "invalid front matter: line"},
		{"not a mapping", "---\n- a\n- b\n---\n", "want key: value lines"},
		{"not UTF-8", "---\ntitle: \xff\n---\n", "not UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("kb/x.md", []byte(tt.data))
			if err == nil {
				t.Fatalf("Parse(%q): no error, want one containing %q", tt.data, tt.want)
			}
			if !errors.Is(err, desk.ErrInvalid) {
				t.Errorf("Parse: %v, want it to wrap desk.ErrInvalid", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "kbfile: kb/x.md: ") || !strings.Contains(msg, tt.want) {
				t.Errorf("Parse: %q, want \"kbfile: kb/x.md: ...%s...\"", msg, tt.want)
			}
		})
	}
}

func TestMarshal(t *testing.T) {
	got := string(fullWant.Marshal())
	want := `---
title: Bezorgadres wijzigen
slug: bezorgadres-wijzigen
locale: nl
category: bezorging/adres
status: published
internal: false
description: Zo wijzig je het adres van een bestelling.
questions:
  - Hoe wijzig ik mijn adres?
  - 'Verkeerd adres: wat nu?'
related: [retour-aanvragen, levertijd]
contexts: ['url:/checkout']
translation: change-delivery-address
position: 3
reviewed: 2026-10-01
---

# Bezorgadres wijzigen

Je kunt het adres wijzigen.
`
	if got != want {
		t.Errorf("Marshal:\n%s\nwant:\n%s", got, want)
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		f    File
	}{
		{"full", fullWant},
		{"minimal", File{Title: "T", Slug: "t", Locale: "en", Status: "draft"}},
		{"internal archived", File{Title: "Intern", Slug: "intern", Locale: "nl", Status: "archived", Internal: true, Position: 12}},
		{"scalars that look like other types", File{
			Title: "yes", Slug: "yes", Locale: "nl", Status: "draft",
			Description: "2026-10-01", Translation: "null",
			Questions: []string{"123", "true", "- lijst?", "# kop", "a: b", `"quoted"`, "'single'", "{x}", "[y]", "50%", "@handle", "*ster", "&anker", "!tag", "|pipe", ">gt", "~"},
			Related:   []string{"no", "1"},
			Contexts:  []string{"url:/checkout?a=b#c", "product:fiets-x"},
		}},
		{"multi-line description", File{Title: "T", Slug: "t", Locale: "nl", Status: "draft", Description: "Regel een.\nRegel twee:\n  ingesprongen"}},
		{"unicode", File{Title: "Één café — naïef 🚲", Slug: "een-cafe-naief", Locale: "nl", Status: "published", Questions: []string{"Wat kost één fiets?"}}},
		{"body with fences and tabs", File{Title: "T", Slug: "t", Locale: "nl", Status: "draft", Body: "  indented first\n\n---\n\n\tcode\n\n```\n---\n```"}},
		{"reviewed", File{Title: "T", Slug: "t", Locale: "nl", Status: "draft", Reviewed: date("2025-12-31")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.f.Marshal()
			got, err := Parse("x.md", data)
			if err != nil {
				t.Fatalf("Parse(Marshal()): %v\n%s", err, data)
			}
			if !reflect.DeepEqual(got, tt.f) {
				t.Errorf("Parse(Marshal(f)):\n got %#v\nwant %#v\nfile:\n%s", got, tt.f, data)
			}
		})
	}
}

func TestSlugify(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Hoe wijzig ik mijn bezorgadres?", "hoe-wijzig-ik-mijn-bezorgadres"},
		{"Bezorgadres wijzigen", "bezorgadres-wijzigen"},
		{"Één café, naïef & coördinatie", "een-cafe-naief-coordinatie"},
		{"Crème brûlée à la carte", "creme-brulee-a-la-carte"},
		{"Auto's, e-mail en wifi", "autos-e-mail-en-wifi"},
		{"  Veel   spaties\t\n", "veel-spaties"},
		{"Bestelling NL-2024-0001 annuleren", "bestelling-nl20240001-annuleren"},
		{"100% tevreden", "100-tevreden"},
		{"", ""},
		{"?!…", ""},
		{strings.Repeat("woord ", 20), strings.TrimSuffix(strings.Repeat("woord-", 13), "-")},
		{strings.Repeat("x", 200), strings.Repeat("x", 64)},
		{"Привет мир", "a-" + "%"}, // checked by shape below
	}
	for _, tt := range tests {
		got := Slugify(tt.in)
		if strings.HasSuffix(tt.want, "%") {
			if !strings.HasPrefix(got, "a-") || !validSlug(got) || got != Slugify(tt.in) {
				t.Errorf("Slugify(%q) = %q, want a stable a-<hash> slug", tt.in, got)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("Slugify(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got != "" && !validSlug(got) {
			t.Errorf("Slugify(%q) = %q: not a valid slug", tt.in, got)
		}
	}
}

func TestFileName(t *testing.T) {
	tests := []struct {
		f    File
		want string
	}{
		{File{Title: "X", Slug: "bezorgadres-wijzigen", Locale: "nl"}, "nl/bezorgadres-wijzigen.md"},
		{File{Title: "Change address", Locale: "en"}, "en/change-address.md"},
	}
	for _, tt := range tests {
		if got := FileName(tt.f); got != tt.want {
			t.Errorf("FileName(%+v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestReadDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("nl/bezorging/adres.md", "---\ntitle: Adres wijzigen\n---\nTekst")
	write("nl/a.md", "---\ntitle: Aaa\n---\n")
	write("en/change.MD", "---\ntitle: Change address\n---\n")
	write("en/broken.md", "no front matter")
	write("en/dup.md", "---\ntitle: Other\nslug: change-address\n---\n")
	write("nl/notes.txt", "not markdown")
	write(".git/x.md", "---\ntitle: Hidden\n---\n")
	write("nl/.draft.md", "---\ntitle: Hidden\n---\n")
	write("big/big.md", "---\ntitle: Big\nlocale: nl\n---\n"+strings.Repeat("x", MaxFileSize))

	files, errs := ReadDir(dir)
	var got []string
	for _, f := range files {
		got = append(got, FileName(f))
	}
	want := []string{"en/change-address.md", "nl/aaa.md", "nl/adres-wijzigen.md"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReadDir files = %q, want %q", got, want)
	}
	wantErrs := []struct {
		file string
		is   error
	}{
		{"big/big.md", desk.ErrTooLarge},
		{"en/broken.md", desk.ErrInvalid},
		{"en/dup.md", desk.ErrInvalid},
	}
	if len(errs) != len(wantErrs) {
		t.Fatalf("ReadDir errors = %v, want %d", errs, len(wantErrs))
	}
	for i, w := range wantErrs {
		if !strings.Contains(errs[i].Error(), w.file) || !errors.Is(errs[i], w.is) {
			t.Errorf("error %d = %v, want one about %s wrapping %v", i, errs[i], w.file, w.is)
		}
	}
	if !strings.Contains(errs[2].Error(), "already used by") {
		t.Errorf("duplicate error = %v, want it to name the other file", errs[2])
	}

	if _, errs := ReadDir(filepath.Join(dir, "missing")); len(errs) != 1 {
		t.Errorf("ReadDir(missing dir) errors = %v, want 1", errs)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(fullFile)
	f.Add("---\ntitle: T\nlocale: nl\n---\n")
	f.Add("\uFEFF---\r\ntitle: T\r\n...\r\nbody")
	f.Add("---\nquestions:\n\t- a\n---\n")
	f.Fuzz(func(t *testing.T, data string) {
		got, err := Parse("nl/x.md", []byte(data))
		if err != nil {
			if !errors.Is(err, desk.ErrInvalid) {
				t.Errorf("Parse: %v, want desk.ErrInvalid", err)
			}
			return
		}
		again, err := Parse("x.md", got.Marshal())
		if err != nil {
			t.Fatalf("Parse(Marshal()): %v\n%s", err, got.Marshal())
		}
		if !reflect.DeepEqual(again, got) {
			t.Errorf("Parse(Marshal(f)) = %#v, want %#v", again, got)
		}
	})
}
