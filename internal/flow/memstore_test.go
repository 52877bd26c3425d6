package flow

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// memStore is an in-memory desk.FlowStore for the service tests; the real
// stores are tested in store_test.go.
type memStore struct {
	mu       sync.Mutex
	flows    map[int64]desk.Flow
	versions map[int64][]desk.FlowVersion
	runs     map[int64]desk.FlowRun
	nextID   int64
	now      func() time.Time
}

func newMemStore(now func() time.Time) *memStore {
	return &memStore{flows: map[int64]desk.Flow{}, versions: map[int64][]desk.FlowVersion{}, runs: map[int64]desk.FlowRun{}, now: now}
}

func (m *memStore) id() int64 { m.nextID++; return m.nextID }

func (m *memStore) CreateFlow(_ context.Context, f *desk.Flow) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.flows {
		if o.Locale == f.Locale && o.Slug == f.Slug {
			return desk.ErrConflict
		}
	}
	f.ID = m.id()
	if f.GroupID == 0 {
		f.GroupID = f.ID
	}
	m.flows[f.ID] = *f
	return nil
}

func (m *memStore) UpdateFlow(_ context.Context, f *desk.Flow) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.flows[f.ID]
	if !ok {
		return desk.ErrNotFound
	}
	for _, o := range m.flows {
		if o.ID != f.ID && o.Locale == f.Locale && o.Slug == f.Slug {
			return desk.ErrConflict
		}
	}
	f.GroupID, f.CreatedAt = old.GroupID, old.CreatedAt
	f.UpdatedAt = m.now()
	m.flows[f.ID] = *f
	return nil
}

func (m *memStore) DeleteFlow(_ context.Context, id int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.flows[id]; !ok {
		return desk.ErrNotFound
	}
	delete(m.flows, id)
	return nil
}

func (m *memStore) FlowByID(_ context.Context, id int64) (*desk.Flow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.flows[id]
	if !ok {
		return nil, desk.ErrNotFound
	}
	return &f, nil
}

func (m *memStore) FlowBySlug(_ context.Context, locale, slug string) (*desk.Flow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, f := range m.flows {
		if f.Locale == locale && f.Slug == slug {
			return &f, nil
		}
	}
	return nil, desk.ErrNotFound
}

func (m *memStore) ListFlows(_ context.Context, locale string, status desk.ArticleStatus) ([]desk.Flow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []desk.Flow
	for _, f := range m.flows {
		if (locale == "" || f.Locale == locale) && (status == "" || f.Status == status) {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b desk.Flow) int { return strings.Compare(a.Title, b.Title) })
	return out, nil
}

func (m *memStore) AddFlowVersion(_ context.Context, v *desk.FlowVersion) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.versions[v.FlowID] {
		if o.Version == v.Version {
			return desk.ErrConflict
		}
	}
	m.versions[v.FlowID] = append(m.versions[v.FlowID], *v)
	return nil
}

func (m *memStore) FlowVersionOf(_ context.Context, flowID int64, version int) (*desk.FlowVersion, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, v := range m.versions[flowID] {
		if v.Version == version {
			return &v, nil
		}
	}
	return nil, desk.ErrNotFound
}

func (m *memStore) FlowVersions(_ context.Context, flowID int64) ([]desk.FlowVersion, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := slices.Clone(m.versions[flowID])
	slices.SortFunc(out, func(a, b desk.FlowVersion) int { return b.Version - a.Version })
	return out, nil
}

func (m *memStore) CreateFlowRun(_ context.Context, r *desk.FlowRun) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r.ID = m.id()
	c := *r
	c.Path = slices.Clone(r.Path)
	m.runs[r.ID] = c
	return nil
}

func (m *memStore) UpdateFlowRun(_ context.Context, r *desk.FlowRun) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.runs[r.ID]
	if !ok {
		return desk.ErrNotFound
	}
	old.Path, old.Outcome, old.UpdatedAt, old.EndedAt = slices.Clone(r.Path), r.Outcome, r.UpdatedAt, r.EndedAt
	m.runs[r.ID] = old
	return nil
}

func (m *memStore) FlowRunByID(_ context.Context, id int64) (*desk.FlowRun, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.runs[id]
	if !ok {
		return nil, desk.ErrNotFound
	}
	r.Path = slices.Clone(r.Path)
	return &r, nil
}

func (m *memStore) FlowRuns(_ context.Context, flowID int64, since, until time.Time, limit int) ([]desk.FlowRun, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []desk.FlowRun
	for _, r := range m.runs {
		if r.FlowID == flowID && !r.StartedAt.Before(since) && (until.IsZero() || r.StartedAt.Before(until)) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b desk.FlowRun) int { return int(a.ID - b.ID) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (m *memStore) ConversationFlowRuns(_ context.Context, conversationID int64) ([]desk.FlowRun, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []desk.FlowRun
	for _, r := range m.runs {
		if r.ConversationID == conversationID {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b desk.FlowRun) int { return int(a.ID - b.ID) })
	return out, nil
}
