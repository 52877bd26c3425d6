package kb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb/index"
)

// Synonyms returns the admin's synonym groups.
func (s *Service) Synonyms(ctx context.Context) ([][]string, error) {
	v, err := s.st.Setting(ctx, settingSynonyms)
	if errors.Is(err, desk.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("kb: synonyms: %w", err)
	}
	var groups [][]string
	if err := json.Unmarshal([]byte(v), &groups); err != nil {
		return nil, fmt.Errorf("kb: synonyms: stored value: %w", err)
	}
	return groups, nil
}

// SetSynonyms replaces the synonym groups; every node's index follows.
func (s *Service) SetSynonyms(ctx context.Context, groups [][]string) error {
	if len(groups) > 2000 {
		return fmt.Errorf("kb: at most 2000 synonym groups: %w", desk.ErrInvalid)
	}
	if err := index.New(s.opts).SetSynonyms(groups); err != nil {
		return err
	}
	b, err := json.Marshal(groups)
	if err != nil {
		return fmt.Errorf("kb: synonyms: %w", err)
	}
	if err := s.st.SetSetting(ctx, settingSynonyms, string(b)); err != nil {
		return fmt.Errorf("kb: synonyms: %w", err)
	}
	if err := s.reloadSynonyms(ctx); err != nil {
		return err
	}
	s.bus.Publish(ctx, desk.Event{Type: desk.EventKBSettingsChanged, At: s.clock.Now()})
	return nil
}

func (s *Service) reloadSynonyms(ctx context.Context) error {
	groups, err := s.Synonyms(ctx)
	if err != nil {
		return err
	}
	if err := s.index().SetSynonyms(groups); err != nil {
		return err
	}
	s.mu.Lock()
	s.synonyms = groups
	s.mu.Unlock()
	return nil
}

// ParseSynonyms reads synonym groups as an admin writes them: one group per
// line, words or phrases separated by commas or "=" ("retour = terugsturen
// = return"). Empty lines and lines starting with # are skipped.
func ParseSynonyms(text string) [][]string {
	var groups [][]string
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var g []string
		for _, w := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == '=' }) {
			if w = strings.TrimSpace(w); w != "" {
				g = append(g, w)
			}
		}
		if len(g) > 0 {
			groups = append(groups, g)
		}
	}
	return groups
}

// FormatSynonyms is the inverse of ParseSynonyms.
func FormatSynonyms(groups [][]string) string {
	var b strings.Builder
	for _, g := range groups {
		b.WriteString(strings.Join(g, " = "))
		b.WriteByte('\n')
	}
	return b.String()
}

// Theme is how the help center looks and what it links to.
type Theme struct {
	Name         string `json:"name"`          // the company name in the header
	LogoURL      string `json:"logo_url"`      // relative or https
	PrimaryColor string `json:"primary_color"` // #rrggbb
	// ContactURL is where "contact us" goes; "" shows the web chat.
	ContactURL string `json:"contact_url"`
	Links      []Link `json:"links"` // header links back to the company site
	Footer     string `json:"footer"`
}

// Link is a labelled link.
type Link struct {
	Label string `json:"label"`
	URL   string `json:"url"`
}

// DefaultTheme is the look before an admin sets one.
var DefaultTheme = Theme{Name: "Help", PrimaryColor: "#1f5f8b"}

var colorRe = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// Validate checks a theme; links must be relative or http(s).
func (t *Theme) Validate() error {
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" || utf8.RuneCountInString(t.Name) > 80 {
		return fmt.Errorf("kb: theme: a name of 1 to 80 characters: %w", desk.ErrInvalid)
	}
	if !colorRe.MatchString(t.PrimaryColor) {
		return fmt.Errorf("kb: theme: colour %q: want #rrggbb: %w", t.PrimaryColor, desk.ErrInvalid)
	}
	if utf8.RuneCountInString(t.Footer) > 500 {
		return fmt.Errorf("kb: theme: footer longer than 500 characters: %w", desk.ErrInvalid)
	}
	if len(t.Links) > 8 {
		return fmt.Errorf("kb: theme: at most 8 links: %w", desk.ErrInvalid)
	}
	check := func(u string, httpsOnly bool) error {
		if u == "" {
			return nil
		}
		p, err := url.Parse(u)
		if err != nil || len(u) > 500 {
			return fmt.Errorf("kb: theme: link %q: %w", u, desk.ErrInvalid)
		}
		switch {
		case p.Scheme == "" && p.Host == "" && strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//"):
			return nil
		case p.Scheme == "https" && p.Host != "":
			return nil
		case p.Scheme == "http" && p.Host != "" && !httpsOnly:
			return nil
		case p.Scheme == "mailto" && !httpsOnly:
			return nil
		}
		return fmt.Errorf("kb: theme: link %q: use a path starting with / or an https address: %w", u, desk.ErrInvalid)
	}
	if err := check(t.LogoURL, true); err != nil {
		return err
	}
	if err := check(t.ContactURL, false); err != nil {
		return err
	}
	for i := range t.Links {
		t.Links[i].Label = strings.TrimSpace(t.Links[i].Label)
		if t.Links[i].Label == "" || utf8.RuneCountInString(t.Links[i].Label) > 40 {
			return fmt.Errorf("kb: theme: link labels of 1 to 40 characters: %w", desk.ErrInvalid)
		}
		if err := check(t.Links[i].URL, false); err != nil {
			return err
		}
	}
	return nil
}

// Theme returns the help center's theme.
func (s *Service) Theme(ctx context.Context) (Theme, error) {
	v, err := s.st.Setting(ctx, settingTheme)
	if errors.Is(err, desk.ErrNotFound) {
		return DefaultTheme, nil
	}
	if err != nil {
		return Theme{}, fmt.Errorf("kb: theme: %w", err)
	}
	t := DefaultTheme
	if err := json.Unmarshal([]byte(v), &t); err != nil {
		return Theme{}, fmt.Errorf("kb: theme: stored value: %w", err)
	}
	return t, nil
}

// SetTheme stores the help center's theme.
func (s *Service) SetTheme(ctx context.Context, t Theme) error {
	if err := t.Validate(); err != nil {
		return err
	}
	b, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("kb: theme: %w", err)
	}
	if err := s.st.SetSetting(ctx, settingTheme, string(b)); err != nil {
		return fmt.Errorf("kb: theme: %w", err)
	}
	return nil
}
