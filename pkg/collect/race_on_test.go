//go:build race

package collect

// raceEnabled: the race detector multiplies memory use 5-10 times, so peak
// RSS bounds do not apply.
const raceEnabled = true
