package fleet

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"
)

func framed(t *testing.T, name string, data []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := Encode(&b, name, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestFramesCarryTheBundleExactlyAmongProgressLines(t *testing.T) {
	big := make([]byte, 3*chunk+17)
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		data []byte
	}{{"empty", nil}, {"one byte", []byte{0}}, {"exact chunk", big[:chunk]}, {"several chunks", big}} {
		t.Run(tt.name, func(t *testing.T) {
			log := "collecting node a\nwaiting 3s for the common capture start\n" + framed(t, "a-20260101T000000Z.tgz", tt.data) + "trailing stderr line\n"
			for _, l := range strings.Split(log, "\n") {
				if len(l) >= 4096 {
					t.Fatalf("a log line of %d bytes would not be written atomically", len(l))
				}
			}
			var out bytes.Buffer
			var progress []string
			d, err := Decode(strings.NewReader(log), &out, 1<<30, func(s string) { progress = append(progress, s) })
			if err != nil {
				t.Fatal(err)
			}
			if !d.Complete || d.Name != "a-20260101T000000Z.tgz" || d.Size != int64(len(tt.data)) || !bytes.Equal(out.Bytes(), tt.data) {
				t.Fatalf("decoded %+v, %d bytes", d, out.Len())
			}
			if len(progress) != 3 || progress[1] != "waiting 3s for the common capture start" {
				t.Errorf("progress %q", progress)
			}
		})
	}
}

func TestDamagedFramesAreNeverAGoodBundle(t *testing.T) {
	data := bytes.Repeat([]byte("bundle bytes "), 1000)
	good := framed(t, "n.tgz", data)
	lines := strings.SplitAfter(good, "\n")
	tests := []struct {
		name, log, want string
		limit           int64
	}{
		{"no bundle", "collect: cannot write\n", "holds no bundle", 1 << 20},
		{"cut stream", strings.Join(lines[:3], ""), "ends inside the bundle", 1 << 20},
		{"a lost line", lines[0] + strings.Join(lines[2:], ""), "bytes received", 1 << 20},
		{"a changed byte", strings.Replace(good, "#pndb Y", "#pndb Z", 1), "SHA-256", 1 << 20},
		{"not base64", lines[0] + "#pndb ***\n", "not base64", 1 << 20},
		{"two bundles", good + good, "second bundle", 1 << 20},
		{"a path for a name", "#podnetdiag-bundle v1 begin ../../etc/passwd\n", "not a plain file name", 1 << 20},
		{"data before begin", "#pndb AAAA\n", "outside a frame", 1 << 20},
		{"larger than the limit", good, "larger than", 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Decode(strings.NewReader(tt.log), io.Discard, tt.limit, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
			var fe *FrameError
			if d.Complete || (!errors.As(err, &fe) && tt.name != "cut stream") {
				t.Errorf("decoded %+v err %T", d, err)
			}
		})
	}
}

func TestEncodeRefusesANameThatIsAPath(t *testing.T) {
	for _, n := range []string{"", "..", "a/b.tgz", "x y.tgz"} {
		if err := Encode(io.Discard, n, strings.NewReader("x")); err == nil {
			t.Errorf("%q accepted", n)
		}
	}
}

func FuzzDecode(f *testing.F) {
	var b bytes.Buffer
	_ = Encode(&b, "n.tgz", strings.NewReader("some bundle"))
	f.Add(b.Bytes())
	f.Add([]byte("#podnetdiag-bundle v1 begin a\n#pndb QQ==\n#podnetdiag-bundle v1 end 1 x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		d, err := Decode(bytes.NewReader(data), &out, 1<<20, func(string) {})
		if err == nil && (!d.Complete || !validName(d.Name) || int64(out.Len()) != d.Size) {
			t.Fatalf("accepted %+v with %d bytes", d, out.Len())
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	data := make([]byte, 8<<20)
	_, _ = rand.Read(data)
	var log bytes.Buffer
	_ = Encode(&log, "n.tgz", bytes.NewReader(data))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(bytes.NewReader(log.Bytes()), io.Discard, 1<<30, nil); err != nil {
			b.Fatal(err)
		}
	}
}
