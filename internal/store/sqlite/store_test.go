package sqlite_test

import (
	"fmt"
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

// latestVersion is the number of the newest file in migrations/, read
// from the directory so that adding a migration needs no edit here.
func latestVersion(t *testing.T) int {
	t.Helper()
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v (%d files)", err, len(files))
	}
	newest := 0
	for _, f := range files {
		var n int
		if _, err := fmt.Sscanf(filepath.Base(f), "%04d_", &n); err == nil && n > newest {
			newest = n
		}
	}
	return newest
}

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
		if want := latestVersion(t); err != nil || v != want {
			t.Errorf("SchemaVersion #%d = %d, %v; want %d", i+1, v, err, want)
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
