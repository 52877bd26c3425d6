// Package kb is the knowledge base: authoring articles with revisions,
// categories and translations; the search behind the help center, the
// widget, the agent workspace and the API; what customers do with it
// (searches, clicks, views, "was this helpful?") and what search learns from
// that; the contextual FAQ; and search analytics for authors.
//
// Search runs in memory (internal/kb/index). Every node builds its index
// from the store on Start and keeps it current from article events on the
// bus, with a periodic look at recently changed articles as a backstop for
// an event that was lost.
//
// kb imports desk, lang, kb/index and kb/markdown.
package kb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb/index"
	"github.com/balie-dev/balie/internal/kb/markdown"
)

// Store is what the knowledge base needs from storage.
type Store interface {
	desk.KBStore
	desk.SettingStore
	AgentByID(ctx context.Context, id int64) (*desk.Agent, error)
	ContactByID(ctx context.Context, id int64) (*desk.Contact, error)
	ConversationsOfContact(ctx context.Context, contactID int64, limit int) ([]desk.Conversation, error)
}

// Settings keys.
const (
	settingSynonyms = "kb.synonyms"
	settingTheme    = "helpcenter.theme"
	settingSalt     = "kb.visitor_salt"
)

// Service is the knowledge base. It is safe for concurrent use.
type Service struct {
	st    Store
	bus   desk.Bus
	clock desk.Clock
	log   *slog.Logger
	opts  index.Options

	mu        sync.RWMutex
	ix        *index.Index
	watermark time.Time // newest UpdatedAt the index has seen
	synonyms  [][]string
	meta      map[string]docMeta // by index id: what suggestions link to
	helpful   map[int64][2]int   // article → helpful, unhelpful votes
	byContext map[string][]int64 // context key → published articles tagged with it

	saltOnce sync.Once
	salt     []byte

	renderMu sync.Mutex
	rendered map[int64]renderedAt

	votes *recentSet // (visitor, article) pairs that gave feedback lately

	searches searchQueue
}

// docMeta is what the service keeps beside the index about a published
// article: the article without its body, so that search results need no
// store reads.
type docMeta struct {
	slug, locale string
	contexts     []string
	article      desk.Article // Body left empty
}

func metaOf(a *desk.Article) docMeta {
	c := *a
	c.Body = ""
	return docMeta{slug: a.Slug, locale: a.Locale, contexts: a.Contexts, article: c}
}

type renderedAt struct {
	updated time.Time
	r       markdown.Rendered
}

// Options tune the service.
type Options struct {
	// Index tunes ranking; zero values take index's defaults.
	Index index.Options
}

// New returns the service with an empty index; Start fills it.
func New(st Store, bus desk.Bus, clock desk.Clock, log *slog.Logger, opts Options) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{st: st, bus: bus, clock: clock, log: log, opts: opts.Index,
		ix: index.New(opts.Index), meta: map[string]docMeta{}, byContext: map[string][]int64{}, helpful: map[int64][2]int{}, rendered: map[int64]renderedAt{}, votes: newRecentSet(50_000, 24*time.Hour)}
}

// Load builds the index from the store: every published article with what
// customers taught search about it. It replaces the index only when the
// whole build succeeded.
func (s *Service) Load(ctx context.Context) error {
	start := time.Now()
	syn, err := s.Synonyms(ctx)
	if err != nil {
		return err
	}
	learned, err := s.learnedByArticle(ctx, 0)
	if err != nil {
		return err
	}
	helpful, err := s.loadHelpful(ctx)
	if err != nil {
		return err
	}
	ix := index.New(s.opts)
	meta := map[string]docMeta{}
	byContext := map[string][]int64{}
	if err := ix.SetSynonyms(syn); err != nil {
		s.log.Warn("kb: stored synonyms rejected", "err", err)
	}
	var newest time.Time
	for offset := 0; ; offset += 1000 {
		page, err := s.st.ListArticles(ctx, desk.ArticleQuery{Status: desk.ArticlePublished, Limit: 1000, Offset: offset})
		if err != nil {
			return fmt.Errorf("kb: load: %w", err)
		}
		for i := range page {
			a := &page[i]
			if err := ix.Add(s.doc(a, learned[a.ID], boost(helpful[a.ID]))); err != nil {
				return fmt.Errorf("kb: load: article %d: %w", a.ID, err)
			}
			meta[docID(a.ID)] = metaOf(a)
			for _, c := range a.Contexts {
				byContext[c] = append(byContext[c], a.ID)
			}
			if a.UpdatedAt.After(newest) {
				newest = a.UpdatedAt
			}
		}
		if len(page) < 1000 {
			break
		}
	}
	s.mu.Lock()
	s.ix, s.synonyms, s.meta, s.helpful, s.byContext = ix, syn, meta, helpful, byContext
	if newest.After(s.watermark) {
		s.watermark = newest
	}
	s.mu.Unlock()
	s.log.Info("kb: index built", "articles", ix.Len(), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// flushEvery is how often Run writes the queued searches.
const flushEvery = 500 * time.Millisecond

// Run keeps the index current until ctx is done: it follows article events
// from every node, looks for articles changed since the index last saw one
// every poll interval (a lost event costs at most that delay), and rebuilds
// the whole index every rebuild interval. It also writes the queued
// searches, the last of them on its way out.
func (s *Service) Run(ctx context.Context, poll, rebuild time.Duration) {
	defer func() {
		if err := s.Flush(context.WithoutCancel(ctx)); err != nil {
			s.log.Warn("kb: writing searches", "err", err)
		}
	}()
	flushT := time.NewTicker(flushEvery)
	defer flushT.Stop()
	events := make(chan desk.Event, 256)
	cancel := s.bus.Subscribe(func(e desk.Event) {
		if e.Type != desk.EventArticleChanged && e.Type != desk.EventKBSettingsChanged {
			return
		}
		select {
		case events <- e:
		default: // the poll catches up
		}
	})
	defer cancel()
	pollT := time.NewTicker(poll)
	defer pollT.Stop()
	rebuildT := time.NewTicker(rebuild)
	defer rebuildT.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return
		case e := <-events:
			if e.Type == desk.EventKBSettingsChanged {
				err = s.reloadSynonyms(ctx)
			} else {
				err = s.reindex(ctx, e.ArticleID)
			}
		case <-flushT.C:
			err = s.Flush(ctx)
		case <-pollT.C:
			err = s.catchUp(ctx)
		case <-rebuildT.C:
			err = s.Load(ctx)
		}
		if err != nil && ctx.Err() == nil {
			s.log.Warn("kb: keeping the index current", "err", err)
		}
	}
}

// catchUp reindexes articles changed since the newest change the index saw
// (with a margin for clocks of other nodes and commit order).
func (s *Service) catchUp(ctx context.Context) error {
	s.mu.RLock()
	since := s.watermark.Add(-5 * time.Second)
	s.mu.RUnlock()
	changed, err := s.st.ListArticles(ctx, desk.ArticleQuery{ChangedSince: &since, Limit: 10000})
	if err != nil {
		return fmt.Errorf("kb: catch up: %w", err)
	}
	for i := range changed {
		if err := s.reindexArticle(ctx, &changed[i]); err != nil {
			return err
		}
	}
	return nil
}

// reindex brings one article's index entry up to date with the store.
func (s *Service) reindex(ctx context.Context, id int64) error {
	a, err := s.st.ArticleByID(ctx, id)
	if errors.Is(err, desk.ErrNotFound) {
		s.index().Remove(docID(id))
		s.setMeta(id, nil)
		return nil
	}
	if err != nil {
		return fmt.Errorf("kb: reindex %d: %w", id, err)
	}
	return s.reindexArticle(ctx, a)
}

func (s *Service) reindexArticle(ctx context.Context, a *desk.Article) error {
	s.forgetRendered(a.ID)
	ix := s.index()
	id := docID(a.ID)
	if a.Status != desk.ArticlePublished {
		ix.Remove(id)
		s.setMeta(a.ID, nil)
	} else {
		learned, err := s.learnedByArticle(ctx, a.ID)
		if err != nil {
			return err
		}
		s.mu.RLock()
		b := boost(s.helpful[a.ID])
		s.mu.RUnlock()
		if err := ix.Add(s.doc(a, learned[a.ID], b)); err != nil {
			return fmt.Errorf("kb: reindex %d: %w", a.ID, err)
		}
		m := metaOf(a)
		s.setMeta(a.ID, &m)
	}
	s.mu.Lock()
	if a.UpdatedAt.After(s.watermark) {
		s.watermark = a.UpdatedAt
	}
	s.mu.Unlock()
	return nil
}

// setMeta replaces (nil: removes) what the service keeps beside the index
// about an article.
func (s *Service) setMeta(id int64, m *docMeta) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := docID(id)
	if old, ok := s.meta[key]; ok {
		for _, c := range old.contexts {
			s.byContext[c] = slices.DeleteFunc(s.byContext[c], func(x int64) bool { return x == id })
			if len(s.byContext[c]) == 0 {
				delete(s.byContext, c)
			}
		}
		delete(s.meta, key)
	}
	if m == nil {
		return
	}
	s.meta[key] = *m
	for _, c := range m.contexts {
		s.byContext[c] = append(s.byContext[c], id)
	}
}

// changed updates this node's index at once and tells the other nodes.
func (s *Service) changed(ctx context.Context, id int64) {
	if err := s.reindex(ctx, id); err != nil {
		s.log.Warn("kb: reindex after change", "article", id, "err", err)
	}
	s.bus.Publish(ctx, desk.Event{Type: desk.EventArticleChanged, ArticleID: id, At: s.clock.Now()})
}

func (s *Service) index() *index.Index {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.ix
}

// doc is what the index knows of an article: its questions include those
// customers asked before opening it.
func (s *Service) doc(a *desk.Article, learned []string, boost float64) index.Doc {
	r := s.render(a)
	body := r.Text
	if a.Description != "" {
		body = a.Description + "\n\n" + body
	}
	q := make([]string, 0, len(a.Questions)+len(learned))
	q = append(append(q, a.Questions...), learned...)
	return index.Doc{ID: docID(a.ID), Locale: a.Locale, Title: a.Title, Question: q, Body: body,
		Boost: boost, Internal: a.Internal}
}

func docID(id int64) string { return strconv.FormatInt(id, 10) }

// Render returns the article's body as safe HTML and text, cached per
// version.
func (s *Service) Render(a *desk.Article) markdown.Rendered { return s.render(a) }

func (s *Service) render(a *desk.Article) markdown.Rendered {
	s.renderMu.Lock()
	c, ok := s.rendered[a.ID]
	s.renderMu.Unlock()
	if ok && c.updated.Equal(a.UpdatedAt) {
		return c.r
	}
	r := markdown.Render(a.Body, markdown.Options{FileURL: FilePath})
	s.renderMu.Lock()
	if len(s.rendered) >= 20_000 {
		clear(s.rendered)
	}
	s.rendered[a.ID] = renderedAt{updated: a.UpdatedAt, r: r}
	s.renderMu.Unlock()
	return r
}

func (s *Service) forgetRendered(id int64) {
	s.renderMu.Lock()
	delete(s.rendered, id)
	s.renderMu.Unlock()
}

// visitorSalt is the secret that turns network addresses into visitor keys
// that cannot be turned back. It is made once and kept in the settings, so
// that every node and every restart computes the same keys.
func (s *Service) visitorSalt(ctx context.Context) []byte {
	s.saltOnce.Do(func() {
		v, err := s.st.Setting(ctx, settingSalt)
		if err == nil && len(v) >= 32 {
			s.salt = []byte(v)
			return
		}
		b := make([]byte, 32)
		rand.Read(b)
		v = hex.EncodeToString(b)
		if err := s.st.SetSetting(ctx, settingSalt, v); err != nil {
			s.log.Warn("kb: storing the visitor salt", "err", err)
		}
		s.salt = []byte(v)
	})
	return s.salt
}
