package lines

import (
	"bytes"
	"testing"
)

func TestBinary(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want bool
	}{
		{"empty input is text", nil, false},
		{"command output is text", []byte("Features for eth0:\nrx-checksumming: on\n\ttx-checksum-ipv4: off [fixed]\r\n"), false},
		{"UTF-8 text is text", []byte("PRETTY_NAME=\"Débian GNU/Linux 12 (bookworm)\"\n"), false},
		{"a NUL byte makes it binary", []byte("key = value\x00\n"), true},
		{"a pcap header is binary", []byte("\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00"), true},
		{"gzip magic is binary", []byte("\x1f\x8b\x08\x08\xe3\xa0\x8bd\x00\x03bundle.tar\x00"), true},
		{"a few stray escapes in long text are text", append([]byte("\x1b[0m"), bytes.Repeat([]byte("net.ipv4.ip_forward = 1\n"), 10)...), false},
		{"mostly invalid UTF-8 is binary", bytes.Repeat([]byte{0xff, 0xfe, 'a'}, 50), true},
		{"a rune cut at the sample boundary is text", append(bytes.Repeat([]byte("a"), binarySample-1), "é"...), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Binary(tt.in); got != tt.want {
				t.Errorf("Binary() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestClip(t *testing.T) {
	long := bytes.Repeat([]byte("a"), 100)
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"a short line is kept whole", []byte("rx-checksumming: maybe"), "rx-checksumming: maybe"},
		{"a line of exactly 80 bytes is kept whole", long[:80], string(long[:80])},
		{"a long line is cut with an ellipsis", long, string(long[:80]) + "…"},
		{"a rune is not split", append(bytes.Repeat([]byte("a"), 79), "é…"...), string(bytes.Repeat([]byte("a"), 79)) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clip(tt.in); got != tt.want {
				t.Errorf("Clip() = %q, want %q", got, tt.want)
			}
		})
	}
}
