package collect

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/obfuscate"
)

func TestObfuscatedBundlesHideAddressesAndNamesAndMapAlikeWithOneKey(t *testing.T) {
	f := newFakeNode(t)
	f.file("var/log/containers/calico-node-x_kube-system_calico-node-abc.log", "2024-05-01T10:00:00Z stdout F node-a uses 192.168.20.11 to reach 192.168.20.12\n")
	dir := t.TempDir()
	// A fixed key, so that the test does not depend on a random one mapping
	// 192.168.20.0/24 onto itself (1 in 256).
	key := obfuscate.New(obfuscate.Key{1})
	if a := netip.MustParseAddr("192.168.20.11"); key.Addr(a) == a {
		t.Fatal("the test key keeps 192.168.20.11")
	}
	kb, _ := key.Mapping().Marshal()
	keyFile := filepath.Join(dir, "key.json")
	os.WriteFile(keyFile, kb, 0o600)
	o := f.options(filepath.Join(dir, "a.tgz"))
	o.Obfuscate = true
	o.ObfuscateKeyFile = keyFile
	res, files, top := collectOK(t, o)

	if res.MappingPath != filepath.Join(dir, "a.tgz.mapping.json") {
		t.Fatalf("mapping path %q", res.MappingPath)
	}
	mb, err := os.ReadFile(res.MappingPath)
	if err != nil {
		t.Fatal(err)
	}
	m, err := obfuscate.LoadMapping(mb)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if bytes.Contains(b, []byte(m.Key().String())) {
			t.Errorf("the mapping's key is inside the bundle, in %s", name)
		}
	}
	realName := regexp.MustCompile(`\bnode-a\b`)
	if realName.MatchString(top) || res.Manifest.Node == "node-a" {
		t.Errorf("top folder %q, manifest node %q name the real node", top, res.Manifest.Node)
	}
	for name, b := range files {
		if realName.Match(b) {
			t.Errorf("%s still names node-a", name)
		}
		for _, real := range []string{"192.168.20.11", "192.168.20.12", "192.168.20.1 "} {
			if strings.Contains(string(b), real) {
				t.Errorf("%s still holds %q", name, real)
			}
		}
	}
	if !strings.Contains(string(files[bundle.RouteGetPath]), "# ip route get 10.96.0.10\n") {
		t.Error("the default DNS Service IP was changed")
	}
	if it := item(t, res, "obfuscation"); it.Status != bundle.StatusOK {
		t.Errorf("obfuscation item %+v", it)
	}

	// A second node with the first one's mapping maps the shared addresses alike.
	o2 := f.options(filepath.Join(dir, "b.tgz"))
	o2.Node = "node-b"
	o2.ObfuscateKeyFile = res.MappingPath
	o2.Obfuscate = true
	_, files2, _ := collectOK(t, o2)
	if !bytes.Equal(files[bundle.IPRoutePath], files2[bundle.IPRoutePath]) {
		t.Errorf("one key, two mappings:\n%s\n%s", files[bundle.IPRoutePath], files2[bundle.IPRoutePath])
	}
	if got := m.Hostname("node-a"); got != res.Manifest.Node {
		t.Errorf("mapping says node-a is %q, manifest %q", got, res.Manifest.Node)
	}
}

// TestObfuscationRewritesCapturesAndDropsUnreadableOnes: a real capture is
// kept with its addresses rewritten by the mapping of the text files; one that
// cannot be read as pcap is left out with the reason.
func TestObfuscationRewritesCapturesAndDropsUnreadableOnes(t *testing.T) {
	f := newFakeNode(t)
	o := f.options(filepath.Join(t.TempDir(), "a.tgz"))
	o.Obfuscate = true
	c, err := newCollector(o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	dir := t.TempDir()
	real, err := os.ReadFile("../../testdata/bundles/kernel-gso-ipip-drop/node-a/pcap/eth0.pcap")
	if err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "eth0.pcap")
	os.WriteFile(good, real, 0o600)
	broken := filepath.Join(dir, "tunl0.pcap")
	os.WriteFile(broken, []byte{0xd4, 0xc3, 0xb2, 0xa1}, 0o600)
	c.files.putDisk("pcap/eth0.pcap", good)
	c.files.putDisk("pcap/tunl0.pcap", broken)
	c.files.put("pcap/eth0.json", []byte(`{"interface":"eth0"}`))
	obf := obfuscate.New(obfuscate.Key{1})
	m := &bundle.Manifest{}
	if _, err := c.obfuscateAll(obf, m, o.Output); err != nil {
		t.Fatal(err)
	}
	out, ok := c.files.disk["pcap/eth0.pcap"]
	if !ok {
		t.Fatal("the capture was left out")
	}
	rewritten, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(rewritten) != len(real) || bytes.Equal(rewritten, real) {
		t.Errorf("capture of %d bytes became %d bytes, changed: %v", len(real), len(rewritten), !bytes.Equal(rewritten, real))
	}
	// The addresses of the text files are the ones in the capture.
	var want bytes.Buffer
	obfuscate.New(obfuscate.Key{1}).Pcap(&want, bytes.NewReader(real), nil)
	if !bytes.Equal(rewritten, want.Bytes()) {
		t.Error("the capture was not rewritten with the run's mapping")
	}
	if _, ok := c.files.disk["pcap/tunl0.pcap"]; ok {
		t.Error("an unreadable capture is still to be written")
	}
	found := false
	for _, it := range c.files.items {
		found = found || (it.Path == "pcap/tunl0.pcap" && it.Status == bundle.StatusSkipped && strings.Contains(it.Error, "could not rewrite"))
	}
	if !found {
		t.Errorf("no skipped item for the unreadable capture: %+v", c.files.items)
	}
}
