package collect

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/parsers/bird"
)

// fakeBIRD serves BIRD's control protocol on sock: the greeting, then the
// numbered reply of `show protocols`.
func fakeBIRD(t *testing.T, sock string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(sock), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("unix socket at %s: %v", sock, err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("0001 BIRD v0.3.3+birdv1.6.8 ready.\n"))
			line, _ := bufio.NewReader(c).ReadString('\n')
			if line == "show protocols\n" {
				c.Write([]byte("2002-name     proto    table    state  since       info\n" +
					"1002-static1  Static   master   up     2024-05-01  \n" +
					" kernel1  Kernel   master   up     2024-05-01  \n" +
					" Mesh_192_168_20_12 BGP      master   up     10:01:02    Established   \n" +
					" Mesh_192_168_20_13 BGP      master   start  10:01:02    Active        Socket: Connection refused\n" +
					"0000 \n"))
			} else {
				c.Write([]byte("9001 syntax error\n"))
			}
			c.Close()
		}
	}()
}

func TestBIRDIsAskedOverItsControlSocket(t *testing.T) {
	f := newFakeNode(t)
	fakeBIRD(t, filepath.Join(f.root, "var/run/calico/bird.ctl"))
	res, files, _ := collectOK(t, f.options(filepath.Join(t.TempDir(), "b.tgz")))
	if it := item(t, res, bundle.BirdProtocolsPath); it.Status != bundle.StatusOK {
		t.Fatalf("item %+v", it)
	}
	r, diags := bird.Parse(files[bundle.BirdProtocolsPath])
	if len(diags) != 0 {
		t.Errorf("diagnostics %v on\n%s", diags, files[bundle.BirdProtocolsPath])
	}
	est := map[string]bool{}
	for _, p := range r.Protocols {
		est[p.Name] = p.Established()
	}
	if !est["Mesh_192_168_20_12"] || est["Mesh_192_168_20_13"] || len(est) != 4 {
		t.Errorf("protocols %+v", r.Protocols)
	}
}
