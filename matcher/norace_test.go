//go:build !race

package matcher

// raceEnabled is set when the tests run under the race detector, which
// makes the full-list sweeps many times slower: they then screen a sample.
const raceEnabled = false
