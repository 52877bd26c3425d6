//go:build race

package classify

// raceEnabled: the race detector slows the golden tests about tenfold, so
// under it they classify a sample of the clinc150 texts.
const raceEnabled = true
