package livecap

import (
	"fmt"
	"sort"
	"strings"

	"golang.org/x/net/bpf"
)

// DefaultVXLANPort is the IANA VXLAN port Calico uses unless configured
// otherwise (FelixConfiguration vxlanPort).
const DefaultVXLANPort = 4789

// asm is a tiny assembler for classic BPF with symbolic jump targets: x/net/bpf
// wants relative skip counts, which are error-prone to count by hand.
type asm struct {
	ins    []bpf.Instruction
	labels map[string]int
	fixups []fixup
}

type fixup struct {
	at          int
	true, false string // label names; "" falls through
}

func (a *asm) label(name string) { a.labels[name] = len(a.ins) }

func (a *asm) op(i bpf.Instruction) { a.ins = append(a.ins, i) }

// jeq jumps to t when A == k, else to f ("" = next instruction).
func (a *asm) jeq(k uint32, t, f string) { a.jmp(bpf.JumpEqual, k, t, f) }

func (a *asm) jset(k uint32, t, f string) { a.jmp(bpf.JumpBitsSet, k, t, f) }

func (a *asm) jmp(cond bpf.JumpTest, k uint32, t, f string) {
	a.fixups = append(a.fixups, fixup{at: len(a.ins), true: t, false: f})
	a.ins = append(a.ins, bpf.JumpIf{Cond: cond, Val: k})
}

func (a *asm) ja(t string) {
	a.fixups = append(a.fixups, fixup{at: len(a.ins), true: t})
	a.ins = append(a.ins, bpf.Jump{})
}

func (a *asm) resolve() ([]bpf.Instruction, error) {
	skip := func(from int, name string) (uint32, error) {
		if name == "" {
			return 0, nil
		}
		to, ok := a.labels[name]
		if !ok {
			return 0, fmt.Errorf("bpf: undefined label %q", name)
		}
		d := to - from - 1
		if d < 0 {
			return 0, fmt.Errorf("bpf: backward jump to %q", name)
		}
		return uint32(d), nil
	}
	for _, f := range a.fixups {
		t, err := skip(f.at, f.true)
		if err != nil {
			return nil, err
		}
		switch in := a.ins[f.at].(type) {
		case bpf.Jump:
			in.Skip = t
			a.ins[f.at] = in
		case bpf.JumpIf:
			e, err := skip(f.at, f.false)
			if err != nil {
				return nil, err
			}
			if t > 255 || e > 255 {
				return nil, fmt.Errorf("bpf: conditional jump too long")
			}
			in.SkipTrue, in.SkipFalse = uint8(t), uint8(e)
			a.ins[f.at] = in
		}
	}
	return a.ins, nil
}

// Filter is a compiled capture filter and the tcpdump expression it is
// equivalent to (recorded in pcap/IFNAME.json).
type Filter struct {
	Program []bpf.Instruction
	Expr    string
}

// NewFilter builds the capture filter: IP-in-IP, ICMP and ICMPv6, DNS over UDP
// and TCP (port 53), VXLAN on each of vxlanPorts (4789 when empty), and the
// non-first fragments of UDP datagrams, which carry no ports but may be the
// rest of a VXLAN frame or a DNS answer. IPv4 and IPv6 (without extension
// headers); 802.1Q-tagged frames are not looked into. l2 says whether packets
// start with an Ethernet header (else with the IP header: tunl0, wireguard).
// Accepted packets are cut to snapLen bytes by the kernel.
func NewFilter(l2 bool, snapLen int, vxlanPorts []int) (Filter, error) {
	ports := normPorts(vxlanPorts)
	off := uint32(0)
	a := &asm{labels: map[string]int{}}
	if l2 {
		off = 14
		a.op(bpf.LoadAbsolute{Off: 12, Size: 2})
		a.jeq(0x0800, "v4", "")
		a.jeq(0x86dd, "v6", "drop")
	} else {
		a.op(bpf.LoadAbsolute{Off: 0, Size: 1})
		a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0xf0})
		a.jeq(0x40, "v4", "")
		a.jeq(0x60, "v6", "drop")
	}
	udpPorts := func(base func(uint32) bpf.Instruction, hdr uint32) {
		for _, at := range []uint32{hdr, hdr + 2} {
			a.op(base(at))
			a.jeq(53, "accept", "")
			for _, p := range ports {
				a.jeq(uint32(p), "accept", "")
			}
		}
		a.ja("drop")
	}
	tcpPorts := func(base func(uint32) bpf.Instruction, hdr uint32) {
		for _, at := range []uint32{hdr, hdr + 2} {
			a.op(base(at))
			a.jeq(53, "accept", "")
		}
		a.ja("drop")
	}
	indirect := func(at uint32) bpf.Instruction { return bpf.LoadIndirect{Off: at, Size: 2} }
	absolute := func(at uint32) bpf.Instruction { return bpf.LoadAbsolute{Off: at, Size: 2} }

	a.label("v4")
	a.op(bpf.LoadAbsolute{Off: off + 9, Size: 1})
	a.jeq(4, "accept", "")
	a.jeq(1, "accept", "")
	a.jeq(17, "v4udp", "")
	a.jeq(6, "v4tcp", "drop")
	a.label("v4udp")
	a.op(bpf.LoadAbsolute{Off: off + 6, Size: 2})
	a.jset(0x1fff, "accept", "")
	a.op(bpf.LoadMemShift{Off: off})
	udpPorts(indirect, off)
	a.label("v4tcp")
	a.op(bpf.LoadAbsolute{Off: off + 6, Size: 2})
	a.jset(0x1fff, "drop", "")
	a.op(bpf.LoadMemShift{Off: off})
	tcpPorts(indirect, off)

	a.label("v6")
	a.op(bpf.LoadAbsolute{Off: off + 6, Size: 1})
	a.jeq(58, "accept", "")
	a.jeq(17, "v6udp", "")
	a.jeq(6, "v6tcp", "drop")
	a.label("v6udp")
	udpPorts(absolute, off+40)
	a.label("v6tcp")
	tcpPorts(absolute, off+40)

	a.label("accept")
	a.op(bpf.RetConstant{Val: uint32(snapLen)})
	a.label("drop")
	a.op(bpf.RetConstant{Val: 0})
	prog, err := a.resolve()
	if err != nil {
		return Filter{}, err
	}
	var expr strings.Builder
	expr.WriteString("ip proto 4 or icmp or icmp6 or udp port 53 or tcp port 53")
	for _, p := range ports {
		fmt.Fprintf(&expr, " or udp port %d", p)
	}
	expr.WriteString(" or (udp and ip[6:2] & 0x1fff != 0)")
	return Filter{Program: prog, Expr: expr.String()}, nil
}

// normPorts sorts and de-duplicates the VXLAN ports, defaulting to 4789, and
// drops values that are not ports (and 53, matched anyway).
func normPorts(in []int) []int {
	seen := map[int]bool{}
	var out []int
	for _, p := range in {
		if p <= 0 || p > 65535 || p == 53 || seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
	}
	if len(out) == 0 {
		out = []int{DefaultVXLANPort}
	}
	sort.Ints(out)
	// Each port costs two compare instructions per port field; more than a
	// few dozen would overflow the 8-bit jump offsets.
	if len(out) > 32 {
		out = out[:32]
	}
	return out
}
