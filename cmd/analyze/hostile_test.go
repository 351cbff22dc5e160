//go:build linux

package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// runMeasured runs analyze in a subprocess under GOMEMLIMIT and returns its
// exit code, stderr+stdout and peak RSS (VmHWM) in bytes.
func runMeasured(t *testing.T, args ...string) (int, string, int64) {
	t.Helper()
	hwm := filepath.Join(t.TempDir(), "status")
	var out bytes.Buffer
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "PND_RUN_ANALYZE=1", "PND_HWM_FILE="+hwm, "GOMEMLIMIT=768MiB", "TMPDIR="+t.TempDir())
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	st, _ := os.ReadFile(hwm)
	m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(st)
	if m == nil {
		t.Fatalf("no VmHWM from the child (exit %d): %s", code, out.String())
	}
	kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return code, out.String(), kb << 10
}

const analyzeRSSLimit = 1 << 30

// TestHostileInputsStayUnderOneGiB feeds analyze the inputs that took it to
// several GiB and checks each ends with a diagnostic or a clear error, under
// 1 GiB peak RSS. Scaled where the property is the same: the route files are
// 2 x 120 MiB (limit 32 MiB) instead of 2 x 250 MiB, the txtar is a sparse
// 1 GiB file, the rule files are the sizes (under the 1 MiB rule file
// limit, so that the alias and variable caps are what stops them).
func TestHostileInputsStayUnderOneGiB(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a few hundred MB")
	}
	dir := t.TempDir()
	route := []byte("10.244.0.0/26 via 192.168.20.12 dev tunl0 proto bird onlink\n")

	// Two big route files in a small tgz (valid routes, highly compressible).
	tgz := filepath.Join(dir, "node-a.tgz")
	{
		f, _ := os.Create(tgz)
		zw := gzip.NewWriter(f)
		tw := tar.NewWriter(zw)
		size := int64(120 << 20)
		size -= size % int64(len(route))
		for _, n := range []string{"node-a/net/ip-route.txt", "node-a/net/ip-route-all.txt"} {
			tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: size, Typeflag: tar.TypeReg})
			for w := int64(0); w < size; w += int64(len(route)) {
				tw.Write(route)
			}
		}
		tw.Close()
		zw.Close()
		f.Close()
	}
	// A route file just under the size limit with more routes than any node.
	many := filepath.Join(dir, "node-b")
	os.MkdirAll(filepath.Join(many, "net"), 0o755)
	os.WriteFile(filepath.Join(many, "net", "ip-route.txt"), bytes.Repeat(route, (31<<20)/len(route)), 0o644)
	// A 1 GiB txtar (sparse: no disk used).
	txt := filepath.Join(dir, "big.txtar")
	os.WriteFile(txt, []byte("-- node-c/net/ip-route.txt --\n"), 0o644)
	os.Truncate(txt, 1<<30)
	// Rule files: 10k variables, 100k aliases (and a small one with 200).
	rules := filepath.Join(dir, "rules")
	os.Mkdir(rules, 0o755)
	var vars strings.Builder
	vars.WriteString("id: many-vars\ntitle: T\nstage: route\nseverity: info\nscope: node\nmatch: 'true'\nmessage: \"'m'\"\nremediation: r\nvariables:\n")
	for i := range 10_000 {
		vars.WriteString("  - {name: v" + strconv.Itoa(i) + ", expr: '[1,2,3].map(x, [x,x,x,x].map(y, y*x))'}\n")
	}
	os.WriteFile(filepath.Join(rules, "many-vars.yaml"), []byte(vars.String()), 0o644)
	aliases := func(n int) string {
		var b strings.Builder
		b.WriteString("id: aliases\ntitle: T\nstage: route\nseverity: info\nscope: node\nmatch: 'true'\nmessage: \"'m'\"\nremediation: r\nx: &a [1,2,3,4,5,6,7,8,9]\ny: [")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("*a")
		}
		b.WriteString("]\n")
		return b.String()
	}
	os.WriteFile(filepath.Join(rules, "aliases.yaml"), []byte(aliases(100_000)), 0o644)
	small := filepath.Join(dir, "rules-small")
	os.Mkdir(small, 0o755)
	os.WriteFile(filepath.Join(small, "aliases.yaml"), []byte(aliases(200)), 0o644)

	// A pcapng of 2,000,000 interface description blocks (40 MB): ~870 B
	// each with gopacket's reader, 1.7 GB; now the first 4,096 are kept.
	ng := filepath.Join(dir, "node-d")
	os.MkdirAll(filepath.Join(ng, "pcap"), 0o755)
	{
		f, _ := os.Create(filepath.Join(ng, "pcap", "eth0.pcapng"))
		w := bufio.NewWriterSize(f, 1<<20)
		w.Write([]byte{0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 28, 0, 0, 0})
		idb := []byte{1, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0, 0, 20, 0, 0, 0}
		for range 2_000_000 {
			w.Write(idb)
		}
		w.Flush()
		f.Close()
	}

	valid := "../../testdata/bundles/route-next-hop-wrong.txtar"
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"two 120 MiB route files in a tgz", []string{"inspect", tgz}, 0, []string{"exceeds the limit of 33554432 bytes"}},
		{"31 MiB of valid routes", []string{"inspect", many}, 0, []string{"more than 200000 routes"}},
		{"1 GiB txtar", []string{txt}, 2, []string{"larger than the limit of 268435456 bytes for a txtar file"}},
		{"10k variables and 100k aliases", []string{"--rules", rules, valid}, 2, []string{"100000 YAML aliases; a rule file may use at most 100", "10000 variables; a rule may have at most 64"}},
		{"200 aliases", []string{"--rules", small, valid}, 2, []string{"200 YAML aliases; a rule file may use at most 100"}},
		{"pcapng of 2 M interface blocks", []string{"inspect", ng}, 0, []string{"1995904 interface description blocks past the first 4096 of a section not kept (first: block 4098)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, rss := runMeasured(t, tt.args...)
			t.Logf("exit %d, peak RSS %d MiB", code, rss>>20)
			if code != tt.code {
				t.Errorf("exit %d, want %d: %s", code, tt.code, clip(out))
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q: %s", w, clip(out))
				}
			}
			if rss > analyzeRSSLimit {
				t.Errorf("peak RSS %d MiB, want under 1 GiB", rss>>20)
			}
		})
	}
}

func clip(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "..."
	}
	return s
}
