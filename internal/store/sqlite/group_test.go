package sqlite

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// TestGroupCommit queues transactions behind a blocked one, so that they
// deterministically run as one batch, and checks that a failing and a
// panicking member are undone alone.
func TestGroupCommit(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "group.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()

	release := make(chan struct{})
	blocked := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		err := s.InTx(ctx, func(tx desk.Store) error {
			close(blocked)
			<-release
			return tx.SetSetting(ctx, "first", "1")
		})
		if err != nil {
			t.Errorf("first: %v", err)
		}
	})
	<-blocked
	_, commitsBefore := s.Stats()

	const n = 10
	errs := make([]error, n)
	panics := make([]any, n)
	boom := errors.New("boom")
	for i := range n {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			errs[i] = s.InTx(ctx, func(tx desk.Store) error {
				if err := tx.SetSetting(ctx, fmt.Sprint("k", i), "v"); err != nil {
					return err
				}
				switch i {
				case 3:
					return boom
				case 6:
					panic("six")
				}
				return nil
			})
		})
	}
	for deadline := time.Now().Add(5 * time.Second); len(s.jobs) < n; {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d transactions queued", len(s.jobs), n)
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()

	txs, commits := s.Stats()
	if got := commits - commitsBefore; got != 1 {
		t.Errorf("%d commits for the queued transactions, want 1 (batch); %d transactions in total", got, txs)
	}
	for i := range n {
		_, err := s.Setting(ctx, fmt.Sprint("k", i))
		switch i {
		case 3:
			if !errors.Is(errs[i], boom) {
				t.Errorf("tx 3: err = %v, want boom", errs[i])
			}
			if !errors.Is(err, desk.ErrNotFound) {
				t.Errorf("tx 3 wrote k3 (err %v), want it undone", err)
			}
		case 6:
			if panics[i] != "six" {
				t.Errorf("tx 6: panic = %v, want six", panics[i])
			}
			if !errors.Is(err, desk.ErrNotFound) {
				t.Errorf("tx 6 wrote k6 (err %v), want it undone", err)
			}
		default:
			if errs[i] != nil || panics[i] != nil {
				t.Errorf("tx %d: err %v panic %v", i, errs[i], panics[i])
			}
			if err != nil {
				t.Errorf("k%d: %v, want committed", i, err)
			}
		}
	}
}
