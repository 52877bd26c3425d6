package helpcenter

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/kb"
)

// catalog maps message keys to the text in one language; texts may hold
// fmt verbs that T fills in.
type catalog map[string]string

func loadCatalogs(fsys fs.FS) (map[string]catalog, error) {
	files, err := fs.Glob(fsys, "locales/*.json")
	if err != nil {
		return nil, err
	}
	out := map[string]catalog{}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var c catalog
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("catalogue %s: %w", f, err)
		}
		out[strings.TrimSuffix(path.Base(f), ".json")] = c
	}
	return out, nil
}

// T returns the text for key with args filled in; a missing key shows
// itself (the parity and template tests keep that from happening).
func (c catalog) T(key string, args ...any) string {
	s, ok := c[key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Date formats a day the way the language writes it: "3 maart 2026",
// "3 March 2026".
func (c catalog) Date(t time.Time) string {
	months := strings.Split(c["months"], ",")
	if len(months) != 12 {
		return t.Format("2006-01-02")
	}
	return strconv.Itoa(t.Day()) + " " + months[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// negotiate picks the help center's locale from an Accept-Language header:
// the supported language with the highest weight, the default without one.
func negotiate(header string) string {
	best, bestQ := defaultLocale, 0.0
	for part := range strings.SplitSeq(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if !slices.Contains(kb.Locales, primary) {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		if q > bestQ {
			best, bestQ = primary, q
		}
	}
	return best
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
