package redact

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/podnetdiag/podnetdiag/pkg/parsers/envfile"
)

func FuzzEnviron(f *testing.F) {
	f.Add([]byte("PATH=/bin\x00ETCD_KEY=abc\x00X='q'\x00MULTI=a\nb\x00"))
	f.Add([]byte("A_TOKEN=\"x\x00B=https://u:p@h/\x00"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, _ := Environ("f", raw)
		res, _ := envfile.Parse(out)
		for _, e := range bytes.Split(raw, []byte{0}) {
			name, val, ok := bytes.Cut(e, []byte("="))
			if !ok || len(name) == 0 || bytes.ContainsAny(name, " \t\"'\n\r#") || !SecretName(string(name)) || !hasValue(string(val)) {
				continue
			}
			if v, found := res.Get(string(name)); found && !v.Redacted() {
				t.Fatalf("%s kept value %q; output:\n%s", name, v.Value, out)
			}
		}
	})
}

func FuzzJSON(f *testing.F) {
	f.Add([]byte(daemonSet))
	f.Add([]byte(`{"kind":"Secret","data":{"a":"b"},"x":[{"name":"A_KEY","value":1}]}`))
	f.Add([]byte(`["{\"token\":\"x\"}", "a\nkey: v\n"]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, _, err := JSON("f", in)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON out of %q: %q", in, out)
		}
		// A second pass finds nothing left to redact.
		if _, reds, err := JSON("f", out); err != nil || len(reds) != 0 {
			t.Fatalf("second pass: %v, %v on %s", reds, err, out)
		}
	})
}
