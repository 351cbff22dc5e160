package capture

// table4 maps IPv4 flow keys to small integers: open addressing with linear
// probing over parallel arrays, no deletion (flows are only added, up to a
// cap). A Go map costs three times as much per lookup here, and flow lookups
// are done for every tunnel packet, twice.
type table4 struct {
	keys []key4
	vals []int32 // value+1; 0 is an empty slot
	n    int
}

func (k key4) hash() uint64 {
	h := (k.addrs ^ 0x9e3779b97f4a7c15) * 0xbf58476d1ce4e5b9
	h ^= (k.rest ^ h>>29) * 0x94d049bb133111eb
	return h ^ h>>32
}

func (t *table4) get(k key4) (int, bool) {
	if t.n == 0 {
		return 0, false
	}
	m := uint64(len(t.keys) - 1)
	for i := k.hash() & m; ; i = (i + 1) & m {
		v := t.vals[i]
		if v == 0 {
			return 0, false
		}
		if t.keys[i] == k {
			return int(v - 1), true
		}
	}
}

// put adds k, which is not in the table.
func (t *table4) put(k key4, v int) {
	if 2*(t.n+1) > len(t.keys) {
		t.grow()
	}
	m := uint64(len(t.keys) - 1)
	i := k.hash() & m
	for t.vals[i] != 0 {
		i = (i + 1) & m
	}
	t.keys[i], t.vals[i] = k, int32(v+1)
	t.n++
}

func (t *table4) grow() {
	size := 2 * len(t.keys)
	if size < 16 {
		size = 16
	}
	keys, vals := t.keys, t.vals
	t.keys, t.vals, t.n = make([]key4, size), make([]int32, size), 0
	for i, v := range vals {
		if v != 0 {
			t.put(keys[i], int(v-1))
		}
	}
}
