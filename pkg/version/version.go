// Package version says which build of podnetdiag is running: the module
// version, the VCS revision and time Go stamped into the binary. Both binaries
// print it for --version, and analyze records it in its JSON report, so that a
// report attached to a ticket says which analyzer wrote it.
package version

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// Info is the build's identity. Fields Go could not stamp (a test binary, a
// build outside a VCS checkout) are empty; Version is then "(devel)".
type Info struct {
	Version   string `json:"version"`
	Revision  string `json:"revision,omitempty"`
	Time      string `json:"time,omitempty"`
	Modified  bool   `json:"modified,omitempty"`
	GoVersion string `json:"goVersion,omitempty"`
}

// Get reads the build information of the running binary. override, when not
// empty, is a version set with -ldflags -X and wins over the module version.
func Get(override string) Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return fromBuildInfo(nil, override)
	}
	return fromBuildInfo(bi, override)
}

func fromBuildInfo(bi *debug.BuildInfo, override string) Info {
	in := Info{Version: "(devel)"}
	if bi != nil {
		in.GoVersion = bi.GoVersion
		if v := bi.Main.Version; v != "" {
			in.Version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				in.Revision = s.Value
			case "vcs.time":
				in.Time = s.Value
			case "vcs.modified":
				in.Modified = s.Value == "true"
			}
		}
	}
	if override != "" && override != "dev" {
		in.Version = override
	}
	return in
}

// String is the one line --version prints, e.g.
// "v1.4.0 (revision 0c16ea5f, 2026-12-06T17:00:00Z, modified) go1.26".
func (in Info) String() string {
	var parts []string
	if in.Revision != "" {
		rev := in.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		parts = append(parts, "revision "+rev)
	}
	if in.Time != "" {
		parts = append(parts, in.Time)
	}
	if in.Modified {
		parts = append(parts, "modified")
	}
	s := in.Version
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	if in.GoVersion != "" {
		s += " " + in.GoVersion
	}
	return s
}

// Line is what `NAME --version` prints.
func Line(name string, in Info) string { return fmt.Sprintf("%s %s\n", name, in) }
