package tok

import (
	"math"
	"net/netip"
	"strconv"
	"testing"
)

func TestParseIPv4AgreesWithNetip(t *testing.T) {
	for _, s := range []string{"10.0.0.1", "255.255.255.255", "0.0.0.0", "1.2.3", "1.2.3.4.5", "01.2.3.4", "256.1.1.1", "1..2.3", "", "a.b.c.d", "1.2.3.4 ", "10.0.0.1/24"} {
		got, ok := ParseIPv4([]byte(s))
		want, err := netip.ParseAddr(s)
		wantOK := err == nil && want.Is4()
		if ok != wantOK || ok && got != want {
			t.Errorf("ParseIPv4(%q) = %v %v, netip says %v %v", s, got, ok, want, wantOK)
		}
	}
}

func TestParseUintAgreesWithStrconv(t *testing.T) {
	for _, s := range []string{"0", "42", "18446744073709551615", "18446744073709551616", "-1", "", "1x", strconv.FormatUint(math.MaxUint64/10, 10)} {
		got, ok := ParseUint([]byte(s))
		want, err := strconv.ParseUint(s, 10, 64)
		if ok != (err == nil) || ok && got != want {
			t.Errorf("ParseUint(%q) = %d %v, strconv says %d %v", s, got, ok, want, err)
		}
	}
}

func FuzzParseIPv4(f *testing.F) {
	f.Add("10.0.0.1")
	f.Add("001.2.3.4")
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseIPv4([]byte(s))
		want, err := netip.ParseAddr(s)
		if wantOK := err == nil && want.Is4() && want.Zone() == ""; ok != wantOK || ok && got != want {
			t.Fatalf("ParseIPv4(%q) = %v %v, netip: %v %v", s, got, ok, want, err)
		}
	})
}
