// Package bundle reads and writes podnetdiag bundles: one node's snapshot as a
// tar.gz, a plain tar or a directory, laid out as ../shared/spec/bundle-layout.md
// says. It is the only package of the analyzer that touches the disk, and it treats
// every archive as hostile.
package bundle
