//go:build race

package eval

// raceEnabled: the race detector slows training about tenfold, so the
// data-set evaluations run in a separate pass without it (scripts/test.sh).
const raceEnabled = true
