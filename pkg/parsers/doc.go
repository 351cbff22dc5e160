// Package parsers is the home of one sub-package per bundle file kind (see
// ../shared/spec/bundle-layout.md). Every parser follows the same contract, so that
// the analyzer, `analyze inspect` and the fuzzers can treat them alike:
//
//   - func Parse(data []byte) (*Result, []diag.Diagnostic): bytes in, a typed value
//     and diagnostics out. No I/O, no globals, never panics, never returns nil Result.
//   - A line it cannot read is skipped with a diag.Warning naming the line and the
//     parser goes on; diag.Error is kept for input that is not the format at all
//     (e.g. a file of binary garbage). CRLF endings, trailing blanks and extra
//     columns are normal input, not diagnostics.
//   - Each parsed item carries Line, the 1-based line it came from, so findings can
//     cite evidence ("net/ip-route.txt:12").
//   - Addresses are netip.Addr / netip.Prefix / netip.AddrPort.
//   - (*Result).Summary() string gives the counts `analyze inspect` prints.
//   - Tests are tables; real samples under ../shared/realdata are tested where they
//     exist (skipped with a message when that folder is absent); FuzzParse checks
//     "no panic, every diagnostic has a line or is about the whole file".
package parsers
