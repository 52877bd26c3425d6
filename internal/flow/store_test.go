package flow

import (
	"testing"

	"github.com/balie-dev/balie/internal/testenv"
)

// The service scenarios again on the real stores: SQLite always,
// PostgreSQL when BALIE_TEST_DATABASE_URL is set.
func TestOnStores(t *testing.T) {
	scenarios := []struct {
		name string
		run  func(*testing.T, Store)
	}{
		{"authoring", testServiceAuthoring},
		{"runs", testRuns},
		{"stats", testStats},
	}
	for _, op := range testenv.Stores() {
		for _, sc := range scenarios {
			t.Run(op.Name+"/"+sc.name, func(t *testing.T) { sc.run(t, op.Open(t)) })
		}
	}
}
