//go:build !race

package collect

// raceEnabled: see race_on_test.go.
const raceEnabled = false
