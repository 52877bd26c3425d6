package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/store/storetest"
)

// testDSN returns the test server's DSN, or skips: the PostgreSQL tests need
// a server (scripts/pg-test-server.sh starts one).
func testDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("BALIE_TEST_DATABASE_URL")
	if dsn == "" {
		t.Skip("BALIE_TEST_DATABASE_URL not set; start a server with " +
			"`export BALIE_TEST_DATABASE_URL=$(scripts/pg-test-server.sh)`")
	}
	return dsn
}

// freshSchema creates an empty schema, dropped when the test ends, and
// returns dsn with its search_path set to it: a fresh database per test at
// the cost of one CREATE SCHEMA.
func freshSchema(t testing.TB, dsn string) string {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)

	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("connect for cleanup: %v", err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	return withParam(t, dsn, "search_path", schema)
}

func withParam(t testing.TB, dsn, key, value string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("BALIE_TEST_DATABASE_URL must be a postgres:// URL, got %q", dsn)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// openFresh opens a store on a fresh schema; the caller closes it.
func openFresh(t testing.TB) (*Store, string) {
	t.Helper()
	dsn := freshSchema(t, testDSN(t))
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s, dsn
}

func TestConformance(t *testing.T) {
	testDSN(t)
	storetest.Run(t, func(t *testing.T) desk.Store {
		s, _ := openFresh(t)
		return s
	})
}

func TestMigrationsNumbered(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatalf("migrations: %v", err)
	}
	for i, m := range ms {
		if m.version != i+1 {
			t.Errorf("migration %d is %s, want number %04d (no gaps)", i, m.name, i+1)
		}
		if strings.TrimSpace(m.sql) == "" {
			t.Errorf("migration %s is empty", m.name)
		}
	}
}
