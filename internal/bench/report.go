package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// opOrder fixes the row order of the table; unknown ops sort after these.
var opOrder = []string{
	"create", "incoming", "reply", "list", "open",
	"email", "order", "common", "rare", "absent", "api", "arrival",
}

func opRank(op string) int {
	op = strings.TrimPrefix(op, "bg_")
	if i := slices.Index(opOrder, op); i >= 0 {
		return i
	}
	return len(opOrder)
}

const rowFormat = "%-5s %-11s %-18s %4s %8s %9s %9s %9s %10s %6s\n"

func printHeader(w io.Writer) {
	fmt.Fprintf(w, rowFormat, "phase", "label", "op", "C", "count", "p50 ms", "p90 ms", "p99 ms", "per s", "errors")
}

// printResult writes one phase result as table rows plus its notes: a row per
// operation, then a total row whose rate is messages/s for W1 and requests/s
// otherwise.
func printResult(w io.Writer, r PhaseResult) {
	ops := make([]string, 0, len(r.Ops))
	for op := range r.Ops {
		ops = append(ops, op)
	}
	slices.SortFunc(ops, func(a, b string) int {
		// Background-load rows go last.
		if ba, bb := strings.HasPrefix(a, "bg_"), strings.HasPrefix(b, "bg_"); ba != bb {
			if ba {
				return 1
			}
			return -1
		}
		if ra, rb := opRank(a), opRank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	label := r.Label
	if label == "" {
		label = "-"
	}
	c := fmt.Sprint(r.C)
	for _, op := range ops {
		s := r.Ops[op]
		fmt.Fprintf(w, rowFormat, r.Phase, label, op, c, fmt.Sprint(s.Count),
			f3(s.P50MS), f3(s.P90MS), f3(s.P99MS), f1(s.PerS), fmt.Sprint(s.Errors))
	}
	total := "total req"
	rate := r.RequestsPS
	if r.Phase == "W1" {
		total, rate = "total msg", r.MessagesPerS
	}
	fmt.Fprintf(w, rowFormat, r.Phase, label, total, c, fmt.Sprint(r.Requests), "", "", "", f1(rate), fmt.Sprint(r.Errors))
	switch {
	case r.OutboxDrainMS != nil:
		fmt.Fprintf(w, "      outbox drained in %s ms (%d/%d replies at the sink)\n", f3(*r.OutboxDrainMS), r.RepliesDelivered, r.RepliesExpected)
	case r.OutboxDrainTimedOut:
		fmt.Fprintf(w, "      outbox NOT drained: %d/%d replies at the sink when the wait timed out\n", r.RepliesDelivered, r.RepliesExpected)
	}
	if r.BackgroundMessagesPerS > 0 {
		fmt.Fprintf(w, "      background ingest: %s msg/s\n", f1(r.BackgroundMessagesPerS))
	}
	for _, ck := range r.Checks {
		status := "ok"
		if ck.Mismatches > 0 {
			status = fmt.Sprintf("MISMATCH x%d", ck.Mismatches)
		}
		fmt.Fprintf(w, "      check %-7s expected %s, got %s: %s\n", ck.Kind, ck.Expected, ck.Got, status)
	}
	for _, e := range r.ErrorSamples {
		fmt.Fprintf(w, "      error: %s\n", e)
	}
}

func f3(v float64) string { return fmt.Sprintf("%.3f", v) }
func f1(v float64) string { return fmt.Sprintf("%.1f", v) }
