package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// catalog maps message keys to text in one language. Texts may hold %s
// (and %d) verbs that T fills in order.
type catalog map[string]string

// loadCatalogs reads locales/<lang>.json.
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
	if len(out) == 0 {
		return nil, fmt.Errorf("no message catalogues")
	}
	return out, nil
}

// T returns the text for key, with args filled in. A missing key shows
// itself, which the parity test and the template key test keep from
// happening.
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

// locale picks the UI language: the agent's setting, else the browser's
// Accept-Language, else the default.
func (h *Handler) locale(r *http.Request, a *desk.Agent) string {
	if a != nil {
		if _, ok := h.cats[a.Locale]; ok {
			return a.Locale
		}
	}
	if r != nil {
		if l := pickLanguage(r.Header.Get("Accept-Language"), h.cats); l != "" {
			return l
		}
	}
	return h.d.DefaultLocale
}

// pickLanguage returns the supported language the header prefers most, or "".
func pickLanguage(header string, cats map[string]catalog) string {
	best, bestQ := "", 0.0
	for part := range strings.SplitSeq(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if _, ok := cats[base]; ok && q > bestQ {
			best, bestQ = base, q
		}
	}
	return best
}

// funcs are the template functions for one locale.
func (h *Handler) funcs(locale string) template.FuncMap {
	c := h.cats[locale]
	months := strings.Split(c["date.months"], ",")
	month := func(t time.Time) string {
		if len(months) == 12 {
			return months[t.Month()-1]
		}
		return t.Month().String()[:3]
	}
	local := func(t time.Time) time.Time { return t.In(h.loc) }
	date := func(t time.Time) string {
		t = local(t)
		return fmt.Sprintf("%d %s %d", t.Day(), month(t), t.Year())
	}
	datetime := func(t time.Time) string {
		return date(t) + " " + local(t).Format("15:04")
	}
	return template.FuncMap{
		"T":  c.T,
		"tz": h.loc.String,
		"iso": func(t time.Time) string {
			return t.UTC().Format(time.RFC3339)
		},
		"date":     date,
		"datetime": datetime,
		"activity": func(m desk.Message) string { return activityLine(c, datetime, m) },
		// when is the short form for lists: the time today, the day this
		// year, the full date before.
		"when": func(t time.Time) string {
			t, now := local(t), local(h.d.Clock.Now())
			switch {
			case t.Year() == now.Year() && t.YearDay() == now.YearDay():
				return t.Format("15:04")
			case t.Year() == now.Year():
				return fmt.Sprintf("%d %s", t.Day(), month(t))
			}
			return date(t)
		},
		"asset": func(name string) string {
			return "/static/" + name + "?v=" + h.version[name]
		},
		// The enum names take any string kind, so that templates may pass
		// literals as well as desk values.
		"status":    func(v any) string { return c.T("status." + fmt.Sprint(v)) },
		"channel":   func(v any) string { return c.T("channel." + fmt.Sprint(v)) },
		"priority":  func(v any) string { return c.T("priority." + fmt.Sprint(v)) },
		"role":      func(v any) string { return c.T("role." + fmt.Sprint(v)) },
		"delivery":  func(v any) string { return c.T("delivery." + fmt.Sprint(v)) },
		"avail":     availability,
		"mailAuth":  mailAuth,
		"unproven":  unverifiedSender,
		"bytes":     humanBytes,
		"initials":  initials,
		"hasID":     slices.Contains[[]int64],
		"hasString": slices.Contains[[]string],
		"join":      strings.Join,
		"hasPrefix": strings.HasPrefix,
		"add":       func(a, b int) int { return a + b },
		"pct":       func(share float64) string { return fmt.Sprintf("%d%%", int(share*100+0.5)) },
		// rate is pct for report rates, which are -1 when undefined.
		"rate": func(share float64) string {
			if share < 0 {
				return "–"
			}
			return fmt.Sprintf("%d%%", int(share*100+0.5))
		},
		"dur": shortDuration,
		// dict passes several values to a sub-template: dict "K" v "L" w.
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict: odd number of arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		"query": func(v url.Values) string { return v.Encode() },
		// jsText is the catalogue part the script needs, as JSON data:
		// its own texts, and what live messages and activity lines take.
		"jsText": func() map[string]string {
			out := map[string]string{}
			for k, v := range c {
				if strings.HasPrefix(k, "js.") || strings.HasPrefix(k, "delivery.") ||
					strings.HasPrefix(k, "activity.") || strings.HasPrefix(k, "priority.") ||
					strings.HasPrefix(k, "channel.") {
					out[k] = v
				}
			}
			return out
		},
	}
}

// availability names an agent's presence for the page: one of online, away
// and offline (agents who never set one are offline).
func availability(a desk.Availability) string {
	switch a {
	case desk.Online, desk.Away:
		return string(a)
	}
	return string(desk.Offline)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d kB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

func initials(name string) string {
	var out []rune
	for w := range strings.FieldsSeq(name) {
		for _, r := range w {
			out = append(out, r)
			break
		}
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return strings.ToUpper(string(out))
}

// flash is a one-time message shown after a redirect. Only a catalogue key
// and a field name travel in the cookie, never free text, so a forged
// cookie cannot put words in the page.
type flash struct {
	Kind string // "ok" or "error"
	Key  string
	// Field is the field flash.invalid names, or the "flash.*" key of the
	// reason a message with a %s gives.
	Field string
	Text  string // filled when read
}

const flashCookie = "balie_flash"

func setFlash(w http.ResponseWriter, f flash, secure bool) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: f.Kind + "|" + f.Key + "|" + f.Field,
		Path: "/", MaxAge: 60, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
}

func takeFlash(w http.ResponseWriter, r *http.Request, c catalog, secure bool) *flash {
	ck, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	parts := strings.Split(ck.Value, "|")
	if len(parts) != 3 || (parts[0] != "ok" && parts[0] != "error") || !strings.HasPrefix(parts[1], "flash.") {
		return nil
	}
	if _, ok := c[parts[1]]; !ok {
		return nil
	}
	f := &flash{Kind: parts[0], Key: parts[1], Field: parts[2]}
	if f.Key == "flash.invalid" {
		label, ok := c["field."+f.Field]
		if !ok {
			label = c["field.unknown"]
		}
		f.Text = c.T(f.Key, label)
	} else if arg, ok := c[f.Field]; ok && strings.HasPrefix(f.Field, "flash.") {
		// A message that says why, such as "Could not draft an answer:
		// %s", carries the key of its reason.
		f.Text = c.T(f.Key, arg)
	} else {
		f.Text = c.T(f.Key)
	}
	return f
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
