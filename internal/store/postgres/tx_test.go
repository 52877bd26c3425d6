package postgres

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// step is one thing a transaction under test does: write a setting, run a
// nested scope, or break the transaction with a failing statement.
type step struct {
	write string // key to set
	bad   bool   // run a statement the server rejects
	scope []step // run these in a nested InTx
	fail  bool   // with scope: return an error from it
}

func write(key string) step { return step{write: key} }

func scope(fail bool, steps ...step) step { return step{scope: steps, fail: fail} }

var errScope = errors.New("scope fails")

// run does steps on tx, returning a scope's own error and handling those of
// nested scopes, as a caller that goes on after a failed call would.
func run(t *testing.T, tx desk.Store, steps []step) error {
	ctx := t.Context()
	for _, st := range steps {
		switch {
		case st.write != "":
			if err := tx.SetSetting(ctx, st.write, "1"); err != nil {
				return fmt.Errorf("set %s: %w", st.write, err)
			}
		case st.bad:
			if _, err := tx.(*Store).q.Exec(ctx, `SELECT 1 / 0`); err == nil {
				return errors.New("SELECT 1 / 0 did not fail")
			}
		default:
			err := tx.InTx(ctx, func(tx desk.Store) error {
				if err := run(t, tx, st.scope); err != nil {
					return err
				}
				if st.fail {
					return errScope
				}
				return nil
			})
			if st.fail != errors.Is(err, errScope) {
				return fmt.Errorf("nested InTx = %v, want failure %v", err, st.fail)
			}
		}
	}
	return nil
}

// many is n scopes that each write key<i>; those with i%failEvery == 0 fail
// after writing, after a rejected statement when bad.
func many(n, failEvery int, bad bool) ([]step, []string) {
	var steps []step
	var kept []string
	for i := range n {
		key := fmt.Sprintf("k%02d", i)
		if i%failEvery == 0 {
			inner := []step{write(key)}
			if bad {
				inner = append(inner, step{bad: true})
			}
			steps = append(steps, scope(true, inner...))
			continue
		}
		steps = append(steps, scope(false, write(key)))
		kept = append(kept, key)
	}
	return steps, kept
}

func TestTxSavepoints(t *testing.T) {
	manySteps, manyKept := many(3*maxSavepoints, 7, false)
	badSteps, badKept := many(maxSavepoints+5, 4, true)
	tests := []struct {
		name  string
		steps []step
		want  []string // keys set after commit
	}{
		{"empty transaction", nil, nil},
		{"scope that sends nothing fails", []step{scope(true), write("a")}, []string{"a"}},
		{"siblings around a failed scope", []step{
			scope(false, write("a")), scope(true, write("b")), scope(false, write("c")), write("d"),
		}, []string{"a", "c", "d"}},
		{"rejected statement in a scope", []step{
			write("a"), scope(true, write("b"), step{bad: true}), write("c"),
		}, []string{"a", "c"}},
		{"inner failure after a finished sibling", []step{
			scope(false, scope(false, write("i1")), scope(true, write("i2")), write("o")),
		}, []string{"i1", "o"}},
		{"outer failure undoes finished inner scopes", []step{
			scope(true, write("o"), scope(false, write("i")), scope(false, scope(false, write("j")))), write("t"),
		}, []string{"t"}},
		{"outer scope sends nothing before its inner one", []step{
			scope(true, scope(false, write("i"))), scope(false, scope(false, write("j"))),
		}, []string{"j"}},
		{"more scopes than are kept", manySteps, manyKept},
		{"more scopes than are kept inside a failing one", []step{scope(true, manySteps...), write("t")}, []string{"t"}},
		{"more scopes than are kept inside a finished one", []step{scope(false, manySteps...)}, manyKept},
		{"rejected statements in many scopes", badSteps, badKept},
	}
	s, _ := openFresh(t)
	defer s.Close()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			if _, err := s.q.Exec(ctx, `DELETE FROM settings`); err != nil {
				t.Fatal(err)
			}
			if err := s.InTx(ctx, func(tx desk.Store) error { return run(t, tx, tc.steps) }); err != nil {
				t.Fatalf("InTx: %v", err)
			}
			var got []string
			rows, err := s.q.Query(ctx, `SELECT key FROM settings ORDER BY key`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var k string
				if err := rows.Scan(&k); err != nil {
					t.Fatal(err)
				}
				got = append(got, k)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			want := slices.Sorted(slices.Values(tc.want))
			if !slices.Equal(got, want) {
				t.Errorf("settings = %v, want %v", got, want)
			}
		})
	}
}

func TestTxCommitOfFailedTransaction(t *testing.T) {
	s, _ := openFresh(t)
	defer s.Close()
	ctx := t.Context()
	// A rejected statement outside any scope, its error ignored, dooms the
	// transaction: commit must say so rather than report success.
	err := s.InTx(ctx, func(tx desk.Store) error {
		return run(t, tx, []step{write("a"), {bad: true}})
	})
	if err == nil {
		t.Fatal("InTx = nil, want the failed commit")
	}
	if _, err := s.Setting(ctx, "a"); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("Setting(a) err = %v, want ErrNotFound", err)
	}
	// The connection is usable afterwards.
	if err := s.InTx(ctx, func(tx desk.Store) error { return tx.SetSetting(ctx, "b", "1") }); err != nil {
		t.Fatalf("InTx after: %v", err)
	}
}
