package eval

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

// TestRunBot runs the customer simulation on a sample: nobody may be left
// stuck, customers the knowledge base can answer are mostly solved by the
// bot, and those it cannot answer mostly reach a person.
func TestRunBot(t *testing.T) {
	if _, err := os.Stat(filepath.Join(faqDataDir, "faq_retrieval", "stackfaq")); err != nil {
		t.Skipf("no shared data: %v", err)
	}
	res, err := RunBot(context.Background(), BotOptions{DataDir: faqDataDir, Limit: 60,
		Open: func(context.Context) (desk.Store, error) { return testenv.OpenSQLite(t), nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
	if res.Stuck != 0 {
		t.Errorf("%d customers stuck, want 0", res.Stuck)
	}
	if res.Answerable.ResolvedShare < 0.5 {
		t.Errorf("answerable resolved share %.2f, want at least 0.5", res.Answerable.ResolvedShare)
	}
	if res.Unanswerable.HandedOverShare < 0.8 {
		t.Errorf("unanswerable handed-over share %.2f, want at least 0.8", res.Unanswerable.HandedOverShare)
	}
}
