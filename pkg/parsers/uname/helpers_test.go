package uname

import "github.com/podnetdiag/podnetdiag/pkg/parsers/internal/parsertest"

// The shared test helpers, under the short names the tables use.
var (
	diagKeys   = parsertest.DiagKeys
	checkDiags = parsertest.CheckDiags
	countLines = parsertest.CountLines
)
