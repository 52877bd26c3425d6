package eval

import (
	"os"
	"path/filepath"
	"testing"
)

// intentDataDir is the shared data folder, found from this package's folder.
var intentDataDir = filepath.Join("..", "..", "..", "shared", "data")

// TestRunIntent trains and measures the classifier on each public intent
// data set and logs the numbers. The floors are far below what the model
// measures: they catch a broken pipeline, not a small regression.
func TestRunIntent(t *testing.T) {
	if _, err := os.Stat(filepath.Join(intentDataDir, "intent")); err != nil {
		t.Skipf("shared intent data not found at %s (see SOURCES.md): %v", intentDataDir, err)
	}
	if testing.Short() {
		t.Skip("trains on about 40,000 examples; skipped with -short")
	}
	if raceEnabled {
		t.Skip("trains on about 40,000 examples: run without -race (scripts/test.sh does, in its evaluation pass)")
	}
	tests := []struct {
		set         string
		minAccuracy float64
		minMacroF1  float64
		minOOS      float64
	}{
		{set: "banking77", minAccuracy: 0.80, minMacroF1: 0.80},
		{set: "clinc150", minAccuracy: 0.80, minMacroF1: 0.75, minOOS: 0.30},
		{set: "bitext", minAccuracy: 0.90, minMacroF1: 0.90},
		{set: "xsid_nl_en", minAccuracy: 0.60, minMacroF1: 0.50},
		{set: "xsid_en_nl", minAccuracy: 0.20, minMacroF1: 0.10},
	}
	for _, tc := range tests {
		t.Run(tc.set, func(t *testing.T) {
			r, err := RunIntent(intentDataDir, tc.set)
			if err != nil {
				t.Fatalf("RunIntent(%q): %v", tc.set, err)
			}
			t.Logf("%s: accuracy %.4f macro-F1 %.4f OOS recall %.4f (top-label accuracy %.4f) threshold %.2f train %d test %d, trained in %.2fs (%s)",
				r.Set, r.Accuracy, r.MacroF1, r.OOSRecall, r.TopAccuracy, r.Threshold, r.Train, r.Test, r.TrainSeconds, r.Split)
			if r.Accuracy < tc.minAccuracy {
				t.Errorf("accuracy = %.4f, want >= %.2f", r.Accuracy, tc.minAccuracy)
			}
			if r.MacroF1 < tc.minMacroF1 {
				t.Errorf("macro-F1 = %.4f, want >= %.2f", r.MacroF1, tc.minMacroF1)
			}
			if r.OOSRecall < tc.minOOS {
				t.Errorf("OOS recall = %.4f, want >= %.2f", r.OOSRecall, tc.minOOS)
			}
			if r.Train == 0 || r.Test == 0 {
				t.Errorf("train %d, test %d examples, want both > 0", r.Train, r.Test)
			}
		})
	}
}
