package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/store/sqlite"
	"github.com/balie-dev/balie/internal/store/storetest"
)

func openTemp(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "balie.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) desk.Store { return openTemp(t) })
}

// latestVersion is the number of the newest file in migrations/.
const latestVersion = 10

func TestMigrateIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "balie.db")
	for i := range 2 {
		s, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open #%d: %v", i+1, err)
		}
		if err := s.Migrate(t.Context()); err != nil {
			t.Errorf("Migrate again #%d: %v", i+1, err)
		}
		v, err := s.SchemaVersion(t.Context())
		if err != nil || v != latestVersion {
			t.Errorf("SchemaVersion #%d = %d, %v; want %d", i+1, v, err, latestVersion)
		}
		if i == 0 {
			if err := s.SetSetting(t.Context(), "kept", "yes"); err != nil {
				t.Fatal(err)
			}
		} else if got, err := s.Setting(t.Context(), "kept"); err != nil || got != "yes" {
			t.Errorf("Setting after reopen = %q, %v; want the data kept", got, err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
}

func TestClosed(t *testing.T) {
	s := openTemp(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSetting(t.Context(), "k", "v"); err == nil {
		t.Error("SetSetting after Close: err = nil, want an error")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
