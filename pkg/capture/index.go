package capture

import "math/bits"

// The DNS transaction index: open addressing with linear probing over uint64
// slots, each the key's 32-bit hash (top bit set, so a slot is never 0) and the
// low 32 bits of the transaction's sequence number. The hash also gives the
// home slot, so deletion can shift entries back without reading the ring, and
// there are no tombstones to slow lookups down as transactions come and go.

// hashKey mixes a transaction key into 32 bits.
func hashKey(k *dnsKey) uint32 {
	a := k.client.Addr().As16()
	hi := uint64(a[0])<<56 | uint64(a[1])<<48 | uint64(a[2])<<40 | uint64(a[3])<<32 | uint64(a[4])<<24 | uint64(a[5])<<16 | uint64(a[6])<<8 | uint64(a[7])
	lo := uint64(a[8])<<56 | uint64(a[9])<<48 | uint64(a[10])<<40 | uint64(a[11])<<32 | uint64(a[12])<<24 | uint64(a[13])<<16 | uint64(a[14])<<8 | uint64(a[15])
	x := uint64(k.client.Port())<<17 | uint64(k.id)<<1
	if k.tcp {
		x |= 1
	}
	h1, l1 := bits.Mul64(hi^0x9e3779b97f4a7c15, lo^0xbf58476d1ce4e5b9)
	h2, l2 := bits.Mul64(h1^l1, x^0x94d049bb133111eb)
	return uint32(h2^l2) | 1<<31
}

func (t *dnsTable) mask() uint32 { return uint32(len(t.slots) - 1) }

// lookup finds the live transaction of key k.
func (t *dnsTable) lookup(k *dnsKey, h uint32) (*transaction, uint64) {
	m := t.mask()
	for i := h & m; ; i = (i + 1) & m {
		s := t.slots[i]
		if s == 0 {
			return nil, 0
		}
		if uint32(s>>32) == h {
			seq := t.headSeq + uint64(uint32(s)-uint32(t.headSeq))
			if tx := t.at(seq); tx.key == *k {
				return tx, seq
			}
		}
	}
}

func (t *dnsTable) insert(h uint32, seq uint64) {
	if 2*(t.nslots+1) > len(t.slots) {
		t.growIndex()
	}
	m := t.mask()
	i := h & m
	for t.slots[i] != 0 {
		i = (i + 1) & m
	}
	t.slots[i] = uint64(h)<<32 | uint64(uint32(seq))
	t.nslots++
}

// find returns the slot holding exactly (h, seq), or -1.
func (t *dnsTable) find(h uint32, seq uint64) int {
	want := uint64(h)<<32 | uint64(uint32(seq))
	m := t.mask()
	for i := h & m; ; i = (i + 1) & m {
		switch t.slots[i] {
		case want:
			return int(i)
		case 0:
			return -1
		}
	}
}

func (t *dnsTable) reindex(h uint32, oldSeq, newSeq uint64) {
	if i := t.find(h, oldSeq); i >= 0 {
		t.slots[i] = uint64(h)<<32 | uint64(uint32(newSeq))
	}
}

// unindex deletes (h, seq), shifting back the entries probed past it.
func (t *dnsTable) unindex(h uint32, seq uint64) {
	i := t.find(h, seq)
	if i < 0 {
		return
	}
	m := t.mask()
	hole := uint32(i)
	for j := (hole + 1) & m; ; j = (j + 1) & m {
		s := t.slots[j]
		if s == 0 {
			break
		}
		home := uint32(s>>32) & m
		// The entry at j may fill the hole if its home is not in the
		// cyclic interval (hole, j].
		if (j-home)&m >= (j-hole)&m {
			t.slots[hole] = s
			hole = j
		}
	}
	t.slots[hole] = 0
	t.nslots--
}

func (t *dnsTable) growIndex() {
	old := t.slots
	t.slots = make([]uint64, 2*len(old))
	m := t.mask()
	for _, s := range old {
		if s == 0 {
			continue
		}
		i := uint32(s>>32) & m
		for t.slots[i] != 0 {
			i = (i + 1) & m
		}
		t.slots[i] = s
	}
}
