package kubelet

import "github.com/podnetdiag/podnetdiag/pkg/parsers/internal/parsertest"

var (
	diagKeys   = parsertest.DiagKeys
	readFile   = parsertest.ReadFile
	checkDiags = parsertest.CheckDiags
	countLines = parsertest.CountLines
)
