// Package kbfile reads and writes knowledge-base articles as Markdown files
// with YAML front matter, for importing and exporting a help center:
//
//	---
//	title: Bezorgadres wijzigen
//	slug: bezorgadres-wijzigen
//	locale: nl
//	category: bezorging
//	status: published
//	internal: false
//	description: Zo wijzig je het adres van een bestelling.
//	questions:
//	  - Hoe wijzig ik mijn adres?
//	related: [retour-aanvragen]
//	contexts: [url:/checkout]
//	translation: change-delivery-address
//	position: 3
//	reviewed: 2026-10-01
//	---
//	Markdown body…
//
// Only title is required. The slug defaults to Slugify(title), the locale to
// the name of the nearest parent folder named "nl" or "en", the status to
// draft. Unknown keys are errors, so typos do not silently lose data.
// Category is a category slug, or "category/section" for a section; related
// are slugs of articles in the same locale; translation is a key shared by
// the translations of one article (an export writes the slug of the group's
// first article).
//
// It imports the desk package, balie's lang package and a YAML parser; it
// knows nothing of stores: mapping files to articles is the importer's job.
package kbfile

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/lang"
)

// MaxFileSize is the largest article file ReadDir reads.
const MaxFileSize = 1 << 20

// MaxSlugLen is the longest slug Slugify makes, in bytes.
const MaxSlugLen = 80

// Locales are the locales a file may have.
var locales = []string{"nl", "en"}

// File is one article file.
type File struct {
	Title       string
	Slug        string
	Locale      string
	Category    string // "category" or "category/section" slug; "" none
	Status      string // draft, published or archived
	Description string
	Translation string // key shared by the article's translations; "" none
	Internal    bool
	Questions   []string
	Related     []string // slugs in the same locale
	Contexts    []string // "url:/checkout", "product:fiets-x", ...
	Position    int
	Reviewed    *time.Time // a date: midnight UTC
	// Body is the Markdown after the front matter, with LF line endings,
	// without leading blank lines or trailing white space.
	Body string
}

// dateLayout is how reviewed is written.
const dateLayout = time.DateOnly

var (
	slugRE     = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	categoryRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*(/[a-z0-9]+(-[a-z0-9]+)*)?$`)
)

// keys are the front-matter keys, in the order Marshal writes them.
var keys = []string{"title", "slug", "locale", "category", "status", "internal", "description",
	"questions", "related", "contexts", "translation", "position", "reviewed"}

// Parse reads an article file. name is its path, used in errors and to
// find the locale when the front matter has none. Every error wraps
// desk.ErrInvalid and names the file.
func Parse(name string, data []byte) (File, error) {
	f, err := parse(name, data)
	if err != nil {
		return File{}, fmt.Errorf("kbfile: %s: %w", name, err)
	}
	return f, nil
}

func parse(name string, data []byte) (File, error) {
	if !utf8.Valid(data) {
		return File{}, desk.Invalid("", "not UTF-8 text")
	}
	src := strings.TrimPrefix(string(data), "\uFEFF")
	src = strings.ReplaceAll(src, "\r\n", "\n")
	front, body, err := split(src)
	if err != nil {
		return File{}, err
	}
	var f File
	if err := f.decode(front); err != nil {
		return File{}, err
	}
	f.Body = cleanBody(body)
	if err := f.complete(name); err != nil {
		return File{}, err
	}
	return f, nil
}

// split cuts src into its front matter and body. The front matter is
// between a first line "---" and the next line "---" (or "...").
func split(src string) (front, body string, err error) {
	first, rest, _ := strings.Cut(src, "\n")
	if strings.TrimRight(first, " \t") != "---" {
		return "", "", desk.Invalid("front matter", `missing: the file must start with a line "---"`)
	}
	for off := 0; off < len(rest); {
		line, _, _ := strings.Cut(rest[off:], "\n")
		if t := strings.TrimRight(line, " \t"); t == "---" || t == "..." {
			end := min(off+len(line)+1, len(rest))
			return rest[:off], rest[end:], nil
		}
		off += len(line) + 1
	}
	return "", "", desk.Invalid("front matter", `not closed: no line "---" after it`)
}

// cleanBody drops leading blank lines and trailing white space; leading
// spaces of the first line stay, as they mean something in Markdown.
func cleanBody(body string) string {
	for {
		line, rest, found := strings.Cut(body, "\n")
		if !found || strings.TrimSpace(line) != "" {
			break
		}
		body = rest
	}
	if strings.TrimSpace(body) == "" {
		return ""
	}
	return strings.TrimRight(body, " \t\n")
}

// decode fills f from the YAML front matter, checking each key's type.
func (f *File) decode(front string) error {
	for i, line := range strings.Split(front, "\n") {
		if strings.HasPrefix(strings.TrimLeft(line, " "), "\t") {
			return desk.Invalid("front matter", fmt.Sprintf("line %d: indented with a tab; YAML needs spaces", i+2))
		}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(front), &doc); err != nil {
		return desk.Invalid("front matter", yamlMessage(err))
	}
	if len(doc.Content) == 0 {
		return nil // empty front matter: title is missing, said later
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return desk.Invalid("front matter", "want key: value lines")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		key := k.Value
		line := fmt.Sprintf("line %d: ", k.Line+1)
		if !slices.Contains(keys, key) {
			return desk.Invalid(key, line+"unknown key (known: "+strings.Join(keys, ", ")+")")
		}
		if seen[key] {
			return desk.Invalid(key, line+"given twice")
		}
		seen[key] = true
		if err := f.set(key, v); err != nil {
			return desk.Invalid(key, line+err.Error())
		}
	}
	return nil
}

// set decodes the value of one key.
func (f *File) set(key string, v *yaml.Node) error {
	switch key {
	case "title":
		return scalar(v, &f.Title)
	case "slug":
		return scalar(v, &f.Slug)
	case "locale":
		return scalar(v, &f.Locale)
	case "category":
		return scalar(v, &f.Category)
	case "status":
		return scalar(v, &f.Status)
	case "description":
		return scalar(v, &f.Description)
	case "translation":
		return scalar(v, &f.Translation)
	case "internal":
		if isNull(v) {
			return nil
		}
		if v.Kind != yaml.ScalarNode || v.Decode(&f.Internal) != nil {
			return fmt.Errorf("want true or false, got %q", v.Value)
		}
	case "position":
		if isNull(v) {
			return nil
		}
		if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || v.Decode(&f.Position) != nil {
			return fmt.Errorf("want a whole number, got %q", v.Value)
		}
		if f.Position < 0 {
			return fmt.Errorf("want 0 or more, got %d", f.Position)
		}
	case "reviewed":
		var s string
		if err := scalar(v, &s); err != nil || s == "" {
			return err
		}
		t, err := time.Parse(dateLayout, s)
		if err != nil {
			return fmt.Errorf("want a date like 2026-10-01, got %q", s)
		}
		f.Reviewed = &t
	case "questions":
		return list(v, &f.Questions)
	case "related":
		return list(v, &f.Related)
	case "contexts":
		return list(v, &f.Contexts)
	}
	return nil
}

func isNull(v *yaml.Node) bool { return v.Kind == yaml.ScalarNode && v.Tag == "!!null" }

// scalar decodes a single value as text, trimmed; an empty value is "".
func scalar(v *yaml.Node, dst *string) error {
	if isNull(v) {
		return nil
	}
	if v.Kind != yaml.ScalarNode {
		return errors.New("want a single value, not a list or map")
	}
	*dst = strings.TrimSpace(v.Value)
	return nil
}

// list decodes a list of texts; a single value is a list of one.
func list(v *yaml.Node, dst *[]string) error {
	var items []*yaml.Node
	switch {
	case isNull(v):
		return nil
	case v.Kind == yaml.ScalarNode:
		items = []*yaml.Node{v}
	case v.Kind == yaml.SequenceNode:
		items = v.Content
	default:
		return errors.New("want a list")
	}
	for i, it := range items {
		var s string
		if err := scalar(it, &s); err != nil {
			return fmt.Errorf("item %d: %w", i+1, err)
		}
		if s == "" {
			return fmt.Errorf("item %d is empty", i+1)
		}
		*dst = append(*dst, s)
	}
	return nil
}

// yamlMessage makes a YAML syntax error read as a sentence about the front
// matter, whose line numbers are one off from the file's.
func yamlMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	var rest string
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		_, rest, _ = strings.Cut(msg, ":")
		return fmt.Sprintf("line %d:%s", line+1, rest)
	}
	return msg
}

// complete applies the defaults and checks the values.
func (f *File) complete(name string) error {
	if f.Title == "" {
		return desk.Invalid("title", "missing")
	}
	if strings.ContainsAny(f.Title, "\n\r") {
		return desk.Invalid("title", "must be one line")
	}
	if f.Slug == "" {
		f.Slug = Slugify(f.Title)
	} else if !validSlug(f.Slug) {
		return desk.Invalid("slug", fmt.Sprintf("%q: want lower-case letters, digits and single hyphens, at most %d bytes", f.Slug, MaxSlugLen))
	}
	if f.Locale == "" {
		f.Locale = folderLocale(name)
		if f.Locale == "" {
			return desk.Invalid("locale", `missing, and no parent folder named "nl" or "en"`)
		}
	} else if !slices.Contains(locales, f.Locale) {
		return desk.Invalid("locale", fmt.Sprintf("%q: want nl or en", f.Locale))
	}
	if f.Status == "" {
		f.Status = string(desk.ArticleDraft)
	} else if !desk.ArticleStatus(f.Status).Valid() {
		return desk.Invalid("status", fmt.Sprintf("%q: want draft, published or archived", f.Status))
	}
	if f.Category != "" && !categoryRE.MatchString(f.Category) {
		return desk.Invalid("category", fmt.Sprintf("%q: want a category slug, or category/section", f.Category))
	}
	if f.Translation != "" && !validSlug(f.Translation) {
		return desk.Invalid("translation", fmt.Sprintf("%q: want a slug", f.Translation))
	}
	for _, r := range f.Related {
		if !validSlug(r) {
			return desk.Invalid("related", fmt.Sprintf("%q: want article slugs", r))
		}
	}
	for _, q := range f.Questions {
		if strings.ContainsAny(q, "\n\r") {
			return desk.Invalid("questions", fmt.Sprintf("%q: must be one line", q))
		}
	}
	for _, c := range f.Contexts {
		if strings.ContainsAny(c, " \t\n\r") {
			return desk.Invalid("contexts", fmt.Sprintf("%q: want kind:value without spaces", c))
		}
	}
	return nil
}

func validSlug(s string) bool { return len(s) <= MaxSlugLen && slugRE.MatchString(s) }

// folderLocale returns the name of the nearest parent folder of name that
// is a locale, or "".
func folderLocale(name string) string {
	dir := path.Dir(filepath.ToSlash(name))
	for dir != "." && dir != "/" && dir != "" {
		if base := path.Base(dir); slices.Contains(locales, base) {
			return base
		}
		dir = path.Dir(dir)
	}
	return ""
}

// Marshal writes f as an article file. Empty optional fields are left out.
// For a File that Parse returned, Parse(Marshal(f)) gives f back.
func (f File) Marshal() []byte {
	m := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, v *yaml.Node) {
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
	}
	// The !!str tag makes the encoder quote values that would read back
	// as something else ("yes", "123", "~").
	str := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
	strs := func(ss []string, flow bool) *yaml.Node {
		n := &yaml.Node{Kind: yaml.SequenceNode}
		if flow {
			n.Style = yaml.FlowStyle
		}
		for _, s := range ss {
			n.Content = append(n.Content, str(s))
		}
		return n
	}
	add("title", str(f.Title))
	if f.Slug != "" {
		add("slug", str(f.Slug))
	}
	if f.Locale != "" {
		add("locale", str(f.Locale))
	}
	if f.Category != "" {
		add("category", str(f.Category))
	}
	if f.Status != "" {
		add("status", str(f.Status))
	}
	add("internal", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(f.Internal)})
	if f.Description != "" {
		add("description", str(f.Description))
	}
	if len(f.Questions) > 0 {
		add("questions", strs(f.Questions, false))
	}
	if len(f.Related) > 0 {
		add("related", strs(f.Related, true))
	}
	if len(f.Contexts) > 0 {
		add("contexts", strs(f.Contexts, true))
	}
	if f.Translation != "" {
		add("translation", str(f.Translation))
	}
	if f.Position != 0 {
		add("position", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(f.Position)})
	}
	if f.Reviewed != nil {
		add("reviewed", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!timestamp", Value: f.Reviewed.UTC().Format(dateLayout)})
	}

	var buf bytes.Buffer
	buf.WriteString("---\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	// Encoding a tree of scalar and sequence nodes into a buffer cannot
	// fail.
	_ = enc.Encode(m)
	_ = enc.Close()
	buf.WriteString("---\n")
	if body := cleanBody(strings.ReplaceAll(f.Body, "\r\n", "\n")); body != "" {
		buf.WriteString("\n")
		buf.WriteString(body)
		buf.WriteString("\n")
	}
	return buf.Bytes()
}

// FileName is the path an export writes f to: "<locale>/<slug>.md".
func FileName(f File) string {
	slug := f.Slug
	if slug == "" {
		slug = Slugify(f.Title)
	}
	return f.Locale + "/" + slug + ".md"
}

// Slugify makes a URL slug of s: its words folded to lower-case ASCII
// ("é" → "e"), joined by hyphens, at most MaxSlugLen bytes, cut between
// words: "Hoe wijzig ik mijn bezorgadres?" → "hoe-wijzig-ik-mijn-bezorgadres".
// Text with letters or digits but none that fold to ASCII (Cyrillic,
// Chinese) gets "a-" and a hash of s, so the slug is never empty; text
// without letters or digits gives "".
func Slugify(s string) string {
	var b strings.Builder
	tokens := lang.Tokens(s)
	for _, tok := range tokens {
		tok = strings.Map(func(r rune) rune {
			if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
				return r
			}
			return -1
		}, tok)
		if tok == "" {
			continue
		}
		if b.Len() > 0 && b.Len()+1+len(tok) > MaxSlugLen {
			break
		}
		if b.Len() > 0 {
			b.WriteByte('-')
		}
		b.WriteString(tok[:min(len(tok), MaxSlugLen)])
	}
	if b.Len() == 0 && len(tokens) > 0 {
		h := fnv.New32a()
		_, _ = io.WriteString(h, s)
		return fmt.Sprintf("a-%08x", h.Sum32())
	}
	return b.String()
}

// ReadDir reads every *.md file under dir, recursively, in path order,
// skipping hidden files and folders. A file that cannot be read or parsed,
// or that repeats an earlier file's locale and slug, is left out and
// reported in the errors; the others are returned.
func ReadDir(dir string) ([]File, []error) {
	var files []File
	var errs []error
	seen := map[string]string{} // locale/slug → the path that has it
	walkErr := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, fmt.Errorf("kbfile: read %s: %w", p, err))
			return nil
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !strings.EqualFold(filepath.Ext(p), ".md") {
			return nil
		}
		data, err := readFile(p)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		f, err := Parse(filepath.ToSlash(p), data)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		key := f.Locale + "/" + f.Slug
		if other, dup := seen[key]; dup {
			errs = append(errs, fmt.Errorf("kbfile: %s: %w", filepath.ToSlash(p),
				desk.Invalid("slug", fmt.Sprintf("%q in locale %s is already used by %s", f.Slug, f.Locale, other))))
			return nil
		}
		seen[key] = filepath.ToSlash(p)
		files = append(files, f)
		return nil
	})
	if walkErr != nil {
		errs = append(errs, fmt.Errorf("kbfile: read %s: %w", dir, walkErr))
	}
	return files, errs
}

// readFile reads a file of at most MaxFileSize bytes.
func readFile(p string) ([]byte, error) {
	fh, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("kbfile: read %s: %w", p, err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("kbfile: read %s: %w", p, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("kbfile: %s: larger than %d bytes: %w", filepath.ToSlash(p), MaxFileSize, desk.ErrTooLarge)
	}
	return data, nil
}
