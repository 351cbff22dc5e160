package uname

import "testing"

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"Linux node-a 5.15.0-91-generic #101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023 x86_64 x86_64 x86_64 GNU/Linux\n",
		"Linux node-b 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64 GNU/Linux\n",
		"3.10.0-1160.el7.x86_64\n",
		"$ uname -a\r\nLinux alpine 6.6.14-0-lts #1-Alpine SMP x86_64 Linux\r\n",
		"6.12.9+bpo-amd64",
		"Linux 5.10.0-0.deb10.16-amd64\nextra\n",
		"99999999999.1.1",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, ds := Parse(data)
		if r == nil {
			t.Fatal("nil result")
		}
		checkDiags(t, ds, countLines(data))
		if r.Major < 0 || r.Minor < 0 || r.Patch < 0 {
			t.Fatalf("negative version %+v", r)
		}
		if r.Release == "" && (r.Known() || r.Machine != "") {
			t.Fatalf("version without release %+v", r)
		}
		_ = r.Summary()
		_ = r.Less(5, 7)
	})
}
