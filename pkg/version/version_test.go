package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	stamped := &debug.BuildInfo{
		GoVersion: "go1.26.0",
		Main:      debug.Module{Path: "github.com/podnetdiag/podnetdiag", Version: "v0.7.2"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "4f1e2d3c4b5a69788796a5b4c3d2e1f001122334"},
			{Key: "vcs.time", Value: "2026-11-30T09:15:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	tests := []struct {
		name     string
		bi       *debug.BuildInfo
		override string
		want     Info
		line     string
	}{
		{"a release build carries module version, revision and time", stamped, "",
			Info{Version: "v0.7.2", Revision: "4f1e2d3c4b5a69788796a5b4c3d2e1f001122334", Time: "2026-11-30T09:15:00Z", Modified: true, GoVersion: "go1.26.0"},
			"v0.7.2 (revision 4f1e2d3c4b5a, 2026-11-30T09:15:00Z, modified) go1.26.0"},
		{"-ldflags -X wins over the module version", stamped, "v9.9.9",
			Info{Version: "v9.9.9", Revision: "4f1e2d3c4b5a69788796a5b4c3d2e1f001122334", Time: "2026-11-30T09:15:00Z", Modified: true, GoVersion: "go1.26.0"},
			"v9.9.9 (revision 4f1e2d3c4b5a, 2026-11-30T09:15:00Z, modified) go1.26.0"},
		{"the default 'dev' does not hide the module version", stamped, "dev",
			Info{Version: "v0.7.2", Revision: "4f1e2d3c4b5a69788796a5b4c3d2e1f001122334", Time: "2026-11-30T09:15:00Z", Modified: true, GoVersion: "go1.26.0"},
			"v0.7.2 (revision 4f1e2d3c4b5a, 2026-11-30T09:15:00Z, modified) go1.26.0"},
		{"no build information", nil, "", Info{Version: "(devel)"}, "(devel)"},
		{"a devel build without VCS stamping", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}}, "",
			Info{Version: "(devel)", GoVersion: "go1.26.0"}, "(devel) go1.26.0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := fromBuildInfo(tc.bi, tc.override)
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if s := got.String(); s != tc.line {
				t.Errorf("String() = %q, want %q", s, tc.line)
			}
		})
	}
}

func TestGetInTestBinary(t *testing.T) {
	in := Get("")
	if in.Version == "" || !strings.HasPrefix(in.GoVersion, "go") {
		t.Errorf("Get() = %+v: want a version and the Go version", in)
	}
}
