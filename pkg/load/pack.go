package load

import (
	"sync"

	"github.com/klauspost/compress/zstd"
)

// packer compresses a node's own text once its facts are built, for the few
// lines a finding will quote: zstd at its fastest level packs this text
// about 44% smaller than s2 (7.8 against 4.3 to 1 on a benchmark node's
// files, 6 against 4 ms), and a fleet holds every node's text to the end.
// EncodeAll and DecodeAll may be called concurrently; neither starts a
// goroutine.
type packer struct {
	once sync.Once
	enc  *zstd.Encoder
	dec  *zstd.Decoder
	err  error
}

func (p *packer) init() error {
	p.once.Do(func() {
		p.enc, p.err = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
		if p.err == nil {
			p.dec, p.err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
		}
	})
	return p.err
}

// pack returns data compressed, in a slice of its own size; ok is false
// when no encoder could be made (the text then stays as it is).
func (p *packer) pack(data []byte) (out []byte, ok bool) {
	if p.init() != nil {
		return nil, false
	}
	out = p.enc.EncodeAll(data, make([]byte, 0, len(data)/4+64))
	return append([]byte(nil), out...), true
}

func (p *packer) unpack(data []byte) ([]byte, error) {
	if err := p.init(); err != nil {
		return nil, err
	}
	return p.dec.DecodeAll(data, nil)
}
