// Package testenv gives tests real stores to run against: SQLite in a
// temporary directory always, and PostgreSQL (a fresh schema per test)
// whenever BALIE_TEST_DATABASE_URL is set, as it is in CI. Suites that must
// hold in both modes loop over Stores.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/store/postgres"
	"github.com/balie-dev/balie/internal/store/sqlite"
)

// DSNEnv names the PostgreSQL URL for tests.
const DSNEnv = "BALIE_TEST_DATABASE_URL"

// Opener opens a fresh, empty, migrated store that is closed when the test ends.
type Opener struct {
	Name string
	Open func(t testing.TB) desk.Store
}

// Stores returns SQLite and, when configured, PostgreSQL.
func Stores() []Opener {
	out := []Opener{{Name: "sqlite", Open: OpenSQLite}}
	if os.Getenv(DSNEnv) != "" {
		out = append(out, Opener{Name: "postgres", Open: OpenPostgres})
	}
	return out
}

// OpenSQLite opens a store in a temporary directory.
func OpenSQLite(t testing.TB) desk.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "balie.db"))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// OpenPostgres opens a store in a new schema, dropped when the test ends.
func OpenPostgres(t testing.TB) desk.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := postgres.Open(ctx, PostgresDSN(t))
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// PostgresDSN creates a new, empty schema, dropped when the test ends, and
// returns a DSN whose search_path points at it: a fresh database per test
// that several connections (or several balie nodes) can share.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(DSNEnv)
	if dsn == "" {
		t.Skipf("%s is not set", DSNEnv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect postgres: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("connect postgres: %v", err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil && !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", DSNEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("pool_max_conns", "8")
	u.RawQuery = q.Encode()
	return u.String()
}
