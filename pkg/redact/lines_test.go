package redact

import (
	"bytes"
	"strings"
	"testing"
)

func TestLinesRedactsEveryAssignmentForm(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"password=hunter2 user=bob", "password=<redacted> user=bob"},
		{"aws_secret_access_key = abc123", "aws_secret_access_key = <redacted>"},
		{"ETCD_PASSWORD: s3cr3t", "ETCD_PASSWORD: <redacted>"},
		{`{"password": "p w", "mode": "ipvs"}`, `{"password": "<redacted>", "mode": "ipvs"}`},
		{`{'secret': 'x'}`, `{'secret': '<redacted>'}`},
		{"bird --bgp-password=x1 --as 64512", "bird --bgp-password=<redacted> --as 64512"},
		{"bird --bgp-password x1 --as 64512", "bird --bgp-password <redacted> --as 64512"},
		{"-token abc -v", "-token <redacted> -v"},
		{"Authorization: Bearer abc.def", "Authorization: Bearer <redacted>"},
		{"/cb?client_secret=zz&x=1", "/cb?client_secret=<redacted>&x=1"},
		{`--comment "bgp_password=zz"`, `--comment "bgp_password=<redacted>"`},
		{`"token":"a\"b" next`, `"token":"<redacted>" next`},
		{"key: 0123456789abcdefABCDEF", "key: <redacted>"},
		// Kept: not a secret, or nothing to redact.
		{"IP_AUTODETECTION_METHOD=interface=eth0", "IP_AUTODETECTION_METHOD=interface=eth0"},
		{"net.ipv4.tcp_keepalive_time = 7200", "net.ipv4.tcp_keepalive_time = 7200"},
		{"monkey=banana", "monkey=banana"},
		{"bypass=yes authoritative: true", "bypass=yes authoritative: true"},
		{"PRIVATE_IP=10.0.0.1", "PRIVATE_IP=10.0.0.1"},
		{"- key: CriticalAddonsOnly", "- key: CriticalAddonsOnly"},
		{"key: calico_backend", "key: calico_backend"},
		{`-m comment --comment "default/secret-svc:https cluster IP"`, `-m comment --comment "default/secret-svc:https cluster IP"`},
		{"automountServiceAccountToken: false", "automountServiceAccountToken: false"},
		{"authentication failed: x509", "authentication failed: x509"},
		{"token:", "token:"},
		{"--token-file=", "--token-file="},
		{"password=<redacted>", "password=<redacted>"},
	}
	for _, tt := range tests {
		out, reds := Lines("f", []byte(tt.in))
		if string(out) != tt.want {
			t.Errorf("Lines(%q) = %q, want %q", tt.in, out, tt.want)
		}
		if (len(reds) > 0) != (tt.in != tt.want) {
			t.Errorf("Lines(%q): %d redactions recorded", tt.in, len(reds))
		}
	}
}

func TestLinesRedactsYAMLBlocksAndEnvPairs(t *testing.T) {
	in := "a:\n  password: |\n    line1\n    line2\n  mode: ipvs\nenv:\n- name: DB_PASSWORD\n  value: pairsecret\n- name: MODE\n  value: keepme\n"
	out, reds := Lines("f", []byte(in))
	s := string(out)
	for _, gone := range []string{"line1", "line2", "pairsecret"} {
		if strings.Contains(s, gone) {
			t.Errorf("%q left:\n%s", gone, s)
		}
	}
	for _, keep := range []string{"mode: ipvs", "value: keepme", "- name: DB_PASSWORD"} {
		if !strings.Contains(s, keep) {
			t.Errorf("%q lost:\n%s", keep, s)
		}
	}
	if len(reds) != 3 {
		t.Errorf("%d redactions: %v", len(reds), reds)
	}
}

func TestFileRedactsShapesAndSkipsCaptures(t *testing.T) {
	in := "id AKIAIOSFODNN7EXAMPLE and Basic dXNlcjpwYXNzd29yZA== and https://ghp_abcdefghij@github.com/x and basic authentication\n"
	out, _ := File("logs/x.log", []byte(in))
	for _, gone := range []string{"AKIAIOSFODNN7EXAMPLE", "dXNlcjpwYXNzd29yZA==", "ghp_abcdefghij"} {
		if bytes.Contains(out, []byte(gone)) {
			t.Errorf("%q left: %s", gone, out)
		}
	}
	if !bytes.Contains(out, []byte("basic authentication")) {
		t.Errorf("a plain word taken for a credential: %s", out)
	}
	pcap := []byte("\xd4\xc3\xb2\xa1password=x")
	if got, reds := File("pcap/eth0.pcap", pcap); !bytes.Equal(got, pcap) || reds != nil {
		t.Errorf("a capture was rewritten")
	}
}

func FuzzLines(f *testing.F) {
	f.Add([]byte("password=x\n--bgp-password y\n  token: |\n    z\n- name: A_KEY\n  value: v\n"))
	f.Add([]byte(`{"secret":"a\"b", 'auth': 'c'} -k= --x`))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, _ := Lines("f", in)
		// Idempotent: a second pass finds nothing more to redact.
		again, reds := Lines("f", out)
		if len(reds) != 0 || !bytes.Equal(again, out) {
			t.Fatalf("second pass redacted %v:\n%q\n%q", reds, out, again)
		}
		if bytes.Count(out, []byte("\n")) != bytes.Count(in, []byte("\n")) {
			t.Fatalf("line count changed: %q -> %q", in, out)
		}
	})
}
