package flow

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb"
	"github.com/balie-dev/balie/internal/kb/kbfile"
)

// Limits of a flow's metadata.
const (
	MaxTitle       = 200
	MaxDescription = 300
	MaxCategory    = 64
)

// Store is what the service needs from storage.
type Store interface {
	desk.FlowStore
}

// Articles finds knowledge-base articles; *kb.Service has this method.
type Articles interface {
	Articles(ctx context.Context, q desk.ArticleQuery) ([]desk.Article, error)
}

// Options are the service's optional collaborators.
type Options struct {
	// Articles, when set, checks on publish that every article a flow
	// shows is published in its locale, and fills in article titles and
	// slugs in views.
	Articles Articles
	// Actions runs action steps; without it every action fails.
	Actions Actions
}

// Service manages flows and runs them for customers. It keeps no state of
// its own and is safe for concurrent use.
type Service struct {
	st       Store
	clock    desk.Clock
	articles Articles
	actions  Actions
}

// New returns a service over st.
func New(st Store, clock desk.Clock, opts Options) *Service {
	return &Service{st: st, clock: clock, articles: opts.Articles, actions: opts.Actions}
}

// Input is what an author writes. An update replaces every field but
// Locale (which cannot change) and TranslationOf (create only).
type Input struct {
	Locale      string
	Slug        string // "": made from the title
	Title       string
	Description string
	Category    string // category key the flow answers, "" none
	// Definition is the draft's JSON (see the package comment); "" starts
	// with a question that hands over, for the author to build on.
	Definition string
	// TranslationOf links a new flow as a translation of this one (any
	// flow of the group).
	TranslationOf int64
}

// clean checks the input and returns its definition, normalised.
func (in *Input) clean() (string, error) {
	in.Title = strings.TrimSpace(in.Title)
	in.Description = strings.TrimSpace(in.Description)
	in.Slug = strings.TrimSpace(in.Slug)
	in.Category = strings.TrimSpace(in.Category)
	switch {
	case !kb.ValidLocale(in.Locale):
		return "", fmt.Errorf("flow: locale %q: want one of %s: %w", in.Locale, strings.Join(kb.Locales, ", "), desk.ErrInvalid)
	case in.Title == "":
		return "", fmt.Errorf("flow: a flow needs a title: %w", desk.ErrInvalid)
	case utf8.RuneCountInString(in.Title) > MaxTitle:
		return "", fmt.Errorf("flow: title longer than %d characters: %w", MaxTitle, desk.ErrInvalid)
	case utf8.RuneCountInString(in.Description) > MaxDescription:
		return "", fmt.Errorf("flow: description longer than %d characters: %w", MaxDescription, desk.ErrInvalid)
	case len(in.Category) > MaxCategory:
		return "", fmt.Errorf("flow: category longer than %d bytes: %w", MaxCategory, desk.ErrInvalid)
	case !utf8.ValidString(in.Title + in.Description + in.Category):
		return "", fmt.Errorf("flow: text is not valid UTF-8: %w", desk.ErrInvalid)
	}
	if in.Slug == "" {
		in.Slug = kbfile.Slugify(in.Title)
	}
	if !kb.ValidSlug(in.Slug) {
		return "", fmt.Errorf("flow: slug %q: use lower-case letters, digits and dashes: %w", in.Slug, desk.ErrInvalid)
	}
	if strings.TrimSpace(in.Definition) == "" {
		return starter(in.Locale).Encode(), nil
	}
	def, err := Parse([]byte(in.Definition))
	if err != nil {
		return "", err
	}
	return def.Encode(), nil
}

// starter is the definition of a new flow: one question whose only option
// hands over.
func starter(locale string) *Definition {
	q, other := "What is your question about?", "Something else"
	if locale == "nl" {
		q, other = "Waar gaat je vraag over?", "Iets anders"
	}
	return &Definition{
		Start: "start",
		Steps: []Step{
			{ID: "start", Kind: KindQuestion, Text: q, Options: []Option{{Label: other, Next: "handover"}}},
			{ID: "handover", Kind: KindEnd, Outcome: desk.FlowHandover},
		},
	}
}

// Create adds a draft flow.
func (s *Service) Create(ctx context.Context, in Input) (*desk.Flow, error) {
	def, err := in.clean()
	if err != nil {
		return nil, err
	}
	f := &desk.Flow{
		Locale: in.Locale, Slug: in.Slug, Title: in.Title, Description: in.Description,
		Category: in.Category, Definition: def, Status: desk.ArticleDraft,
	}
	if in.TranslationOf != 0 {
		orig, err := s.st.FlowByID(ctx, in.TranslationOf)
		if err != nil {
			return nil, fmt.Errorf("flow: translation of %d: %w", in.TranslationOf, err)
		}
		sibs, err := s.group(ctx, orig.GroupID)
		if err != nil {
			return nil, err
		}
		for _, t := range sibs {
			if t.Locale == in.Locale {
				return nil, fmt.Errorf("flow: %q already has a %s translation (%s): %w", orig.Title, in.Locale, t.Slug, desk.ErrConflict)
			}
		}
		f.GroupID = orig.GroupID
	}
	now := s.clock.Now()
	f.CreatedAt, f.UpdatedAt = now, now
	if err := s.st.CreateFlow(ctx, f); err != nil {
		return nil, fmt.Errorf("flow: create: %w", err)
	}
	return f, nil
}

// Update replaces a flow's metadata and draft. A published flow stays
// published: customers keep getting the published version until the draft
// is published.
func (s *Service) Update(ctx context.Context, id int64, in Input) (*desk.Flow, error) {
	def, err := in.clean()
	if err != nil {
		return nil, err
	}
	f, err := s.st.FlowByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("flow: update: %w", err)
	}
	if in.Locale != f.Locale {
		return nil, fmt.Errorf("flow: a flow's locale cannot change; add a translation instead: %w", desk.ErrInvalid)
	}
	f.Slug, f.Title, f.Description, f.Category, f.Definition = in.Slug, in.Title, in.Description, in.Category, def
	f.UpdatedAt = s.clock.Now()
	if err := s.st.UpdateFlow(ctx, f); err != nil {
		return nil, fmt.Errorf("flow: update: %w", err)
	}
	return f, nil
}

// Publish makes the draft the flow's newest version: it validates it
// (including, when the service has them, that its articles are published
// and its actions known), stores it as a FlowVersion and marks the flow
// published. Publishing a draft equal to the newest version adds none.
func (s *Service) Publish(ctx context.Context, by *desk.Agent, id int64) (*desk.Flow, error) {
	f, err := s.st.FlowByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("flow: publish: %w", err)
	}
	def, err := Parse([]byte(f.Definition))
	if err != nil {
		return nil, err
	}
	if err := s.checkRefs(ctx, f.Locale, def); err != nil {
		return nil, err
	}
	versions, err := s.st.FlowVersions(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("flow: publish: %w", err)
	}
	now := s.clock.Now()
	f.Status, f.UpdatedAt = desk.ArticlePublished, now
	if len(versions) > 0 && versions[0].Definition == f.Definition {
		f.Version = versions[0].Version
		if err := s.st.UpdateFlow(ctx, f); err != nil {
			return nil, fmt.Errorf("flow: publish: %w", err)
		}
		return f, nil
	}
	// A version left behind by a publish that failed half-way must not
	// block the next one.
	n := f.Version + 1
	if len(versions) > 0 && versions[0].Version >= n {
		n = versions[0].Version + 1
	}
	v := &desk.FlowVersion{FlowID: id, Version: n, Definition: f.Definition, CreatedAt: now}
	if by != nil {
		v.AgentID = by.ID
	}
	f.Version = n
	err = s.inTx(ctx, func(st desk.FlowStore) error {
		// Of two authors publishing at once, the second gets ErrConflict.
		if err := st.AddFlowVersion(ctx, v); err != nil {
			return err
		}
		return st.UpdateFlow(ctx, f)
	})
	if err != nil {
		return nil, fmt.Errorf("flow: publish: %w", err)
	}
	return f, nil
}

// checkRefs checks that def's articles are published in locale and its
// actions known, as far as the service can tell.
func (s *Service) checkRefs(ctx context.Context, locale string, def *Definition) error {
	var v validator
	for i := range def.Steps {
		st := &def.Steps[i]
		if st.Article > 0 && s.articles != nil {
			as, err := s.articles.Articles(ctx, desk.ArticleQuery{GroupID: st.Article, Locale: locale, Public: true, Limit: 1})
			if err != nil {
				return fmt.Errorf("flow: article %d: %w", st.Article, err)
			}
			if len(as) == 0 {
				v.add("step "+st.ID, fmt.Sprintf("article %d has no published %s version", st.Article, locale))
			}
		}
		if st.Kind == KindAction && s.actions != nil && !s.actions.HasAction(st.Action) {
			v.add("step "+st.ID, fmt.Sprintf("there is no action %q", st.Action))
		}
	}
	return v.err()
}

// errNoTx says the store's transactions do not hand out a FlowStore.
var errNoTx = errors.New("flow: no flow store in transaction")

// inTx runs fn in a transaction when the store offers one that includes
// flows, and directly on the store otherwise.
func (s *Service) inTx(ctx context.Context, fn func(st desk.FlowStore) error) error {
	tx, ok := s.st.(interface {
		InTx(ctx context.Context, fn func(tx desk.Store) error) error
	})
	if !ok {
		return fn(s.st)
	}
	err := tx.InTx(ctx, func(tx desk.Store) error {
		fs, ok := tx.(desk.FlowStore)
		if !ok {
			return errNoTx
		}
		return fn(fs)
	})
	if errors.Is(err, errNoTx) {
		return fn(s.st)
	}
	return err
}

// Archive takes a flow off the help center; runs under way can finish.
func (s *Service) Archive(ctx context.Context, id int64) (*desk.Flow, error) {
	f, err := s.st.FlowByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("flow: archive: %w", err)
	}
	f.Status, f.UpdatedAt = desk.ArticleArchived, s.clock.Now()
	if err := s.st.UpdateFlow(ctx, f); err != nil {
		return nil, fmt.Errorf("flow: archive: %w", err)
	}
	return f, nil
}

// Delete removes a flow.
func (s *Service) Delete(ctx context.Context, id int64) error {
	if err := s.st.DeleteFlow(ctx, id); err != nil {
		return fmt.Errorf("flow: delete: %w", err)
	}
	return nil
}

// Flow returns a flow by id, for authors.
func (s *Service) Flow(ctx context.Context, id int64) (*desk.Flow, error) {
	f, err := s.st.FlowByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("flow: %d: %w", id, err)
	}
	return f, nil
}

// Draft returns a flow's draft definition, for the editor and the preview.
func Draft(f *desk.Flow) (*Definition, error) {
	def, err := Parse([]byte(f.Definition))
	if err != nil {
		return nil, err
	}
	def.Locale = f.Locale
	return def, nil
}

// List lists a locale's ("" every locale) flows by title; status "" any.
func (s *Service) List(ctx context.Context, locale string, status desk.ArticleStatus) ([]desk.Flow, error) {
	fs, err := s.st.ListFlows(ctx, locale, status)
	if err != nil {
		return nil, fmt.Errorf("flow: list: %w", err)
	}
	return fs, nil
}

// PublicFlows lists the flows the help center shows in a locale.
func (s *Service) PublicFlows(ctx context.Context, locale string) ([]desk.Flow, error) {
	fs, err := s.List(ctx, locale, desk.ArticlePublished)
	if err != nil {
		return nil, err
	}
	out := fs[:0]
	for _, f := range fs {
		if f.Version > 0 {
			out = append(out, f)
		}
	}
	return out, nil
}

// PublicFlow returns a published flow by slug with its published
// definition: what customers see. Anything else is desk.ErrNotFound.
func (s *Service) PublicFlow(ctx context.Context, locale, slug string) (*desk.Flow, *Definition, error) {
	f, err := s.st.FlowBySlug(ctx, locale, slug)
	if err != nil {
		return nil, nil, fmt.Errorf("flow: %s/%s: %w", locale, slug, err)
	}
	if f.Status != desk.ArticlePublished || f.Version == 0 {
		return nil, nil, fmt.Errorf("flow: %s/%s is not published: %w", locale, slug, desk.ErrNotFound)
	}
	def, err := s.version(ctx, f, f.Version)
	if err != nil {
		return nil, nil, err
	}
	return f, def, nil
}

// Version returns a published version of a flow.
func (s *Service) Version(ctx context.Context, f *desk.Flow, version int) (*Definition, error) {
	return s.version(ctx, f, version)
}

func (s *Service) version(ctx context.Context, f *desk.Flow, version int) (*Definition, error) {
	v, err := s.st.FlowVersionOf(ctx, f.ID, version)
	if err != nil {
		return nil, fmt.Errorf("flow: %d version %d: %w", f.ID, version, err)
	}
	// Versions were valid when published; decoding without validating
	// keeps old runs working should the rules get stricter.
	def, err := Decode([]byte(v.Definition))
	if err != nil {
		return nil, fmt.Errorf("flow: %d version %d: %w", f.ID, version, err)
	}
	def.Locale = f.Locale
	return def, nil
}

// Versions lists a flow's published versions, newest first.
func (s *Service) Versions(ctx context.Context, id int64) ([]desk.FlowVersion, error) {
	vs, err := s.st.FlowVersions(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("flow: versions: %w", err)
	}
	return vs, nil
}

// Translations returns the other locales' versions of a flow; public keeps
// only published ones.
func (s *Service) Translations(ctx context.Context, f *desk.Flow, public bool) ([]desk.Flow, error) {
	all, err := s.group(ctx, f.GroupID)
	if err != nil {
		return nil, err
	}
	var out []desk.Flow
	for _, t := range all {
		if t.ID == f.ID || public && (t.Status != desk.ArticlePublished || t.Version == 0) {
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

// group lists the flows of a translation group.
func (s *Service) group(ctx context.Context, groupID int64) ([]desk.Flow, error) {
	// The store has no query by group; flows are few (tens, not
	// thousands), so filtering the list is fine.
	all, err := s.st.ListFlows(ctx, "", "")
	if err != nil {
		return nil, fmt.Errorf("flow: translations: %w", err)
	}
	var out []desk.Flow
	for _, f := range all {
		if f.GroupID == groupID {
			out = append(out, f)
		}
	}
	return out, nil
}
