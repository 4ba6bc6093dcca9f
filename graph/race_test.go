//go:build race

package graph_test

// raceEnabled: the race detector is on, and allocation counts mean little
// (it disables sync.Pool reuse and instruments every allocation).
const raceEnabled = true
