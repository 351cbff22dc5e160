package fleet

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The bundle travels from a node's pod to the workstation on the container's
// log, the one byte stream plain kube REST offers without exec (SPDY or
// WebSocket, and pods/exec, a right to run anything) or a port the API server
// must reach (pods/proxy). The log is line-oriented text shared with the
// collector's progress messages, so the bundle is framed as base64 lines with
// a prefix, a header naming the file and a trailer with its size and SHA-256:
// whatever the kubelet or runtime loses or mangles (log rotation of a huge
// bundle, a cut stream) is detected, never written as a good bundle.
const (
	frameBegin = "#podnetdiag-bundle v1 begin "
	frameData  = "#pndb "
	frameEnd   = "#podnetdiag-bundle v1 end "
	// chunk is the raw bytes per data line: a line (2,738 bytes) stays below
	// PIPE_BUF and the runtimes' 16 KiB line split, so it is written and
	// logged whole, never interleaved with a progress line.
	chunk = 2048
	// maxLine bounds a log line the decoder accepts (progress lines included).
	maxLine = 1 << 20
)

// Encode writes r as a framed bundle named name to w.
func Encode(w io.Writer, name string, r io.Reader) error {
	if !validName(name) {
		return fmt.Errorf("frame: bundle name %q is not a plain file name", name)
	}
	bw := bufio.NewWriterSize(w, 4096)
	if _, err := fmt.Fprintf(bw, "%s%s\n", frameBegin, name); err != nil {
		return err
	}
	h := sha256.New()
	var size int64
	buf := make([]byte, chunk)
	line := make([]byte, len(frameData)+base64.StdEncoding.EncodedLen(chunk)+1)
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			h.Write(buf[:n])
			size += int64(n)
			l := copy(line, frameData)
			base64.StdEncoding.Encode(line[l:], buf[:n])
			l += base64.StdEncoding.EncodedLen(n)
			line[l] = '\n'
			// One Write per line, flushed at once: a line is never split
			// across two writes of the pipe.
			if _, err := bw.Write(line[:l+1]); err != nil {
				return err
			}
			if err := bw.Flush(); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("frame: read bundle: %w", err)
		}
	}
	if _, err := fmt.Fprintf(bw, "%s%d %s\n", frameEnd, size, hex.EncodeToString(h.Sum(nil))); err != nil {
		return err
	}
	return bw.Flush()
}

// validName: a bundle file name as collect writes it, nothing a path could
// be built from.
func validName(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 255 {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_'
		if !ok {
			return false
		}
	}
	return true
}

// Decoded is what a framed log held.
type Decoded struct {
	Name string // the bundle's file name, checked by validName
	Size int64
	// Complete: the trailer was read and its size and SHA-256 match.
	Complete bool
}

// FrameError is a framing fault, with the log line where it was seen.
type FrameError struct {
	Line int
	Msg  string
}

func (e *FrameError) Error() string { return fmt.Sprintf("log line %d: %s", e.Line, e.Msg) }

// Decode reads a log stream: framed bundle bytes go to out (at most limit of
// them), every other line to progress (nil discards). It returns when the
// stream ends; a stream without a bundle or with an incomplete one is an
// error naming the line, and Decoded says how far it got.
func Decode(r io.Reader, out io.Writer, limit int64, progress func(string)) (Decoded, error) {
	d, err := decode(r, out, limit, progress)
	if err != nil {
		d.Complete = false
	}
	return d, err
}

func decode(r io.Reader, out io.Writer, limit int64, progress func(string)) (Decoded, error) {
	var d Decoded
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	h := sha256.New()
	buf := make([]byte, base64.StdEncoding.DecodedLen(maxLine))
	begun, ended := false, false
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		switch {
		case bytes.HasPrefix(line, []byte(frameData)):
			if !begun || ended {
				return d, &FrameError{n, "bundle data outside a frame"}
			}
			k, err := base64.StdEncoding.Decode(buf, line[len(frameData):])
			if err != nil {
				return d, &FrameError{n, "bundle data is not base64: " + err.Error()}
			}
			if d.Size+int64(k) > limit {
				return d, &FrameError{n, fmt.Sprintf("bundle larger than %d bytes", limit)}
			}
			h.Write(buf[:k])
			if _, err := out.Write(buf[:k]); err != nil {
				return d, err
			}
			d.Size += int64(k)
		case bytes.HasPrefix(line, []byte(frameBegin)):
			if begun {
				return d, &FrameError{n, "a second bundle begins"}
			}
			name := string(line[len(frameBegin):])
			if !validName(name) {
				return d, &FrameError{n, fmt.Sprintf("bundle name %q is not a plain file name", name)}
			}
			begun, d.Name = true, name
		case bytes.HasPrefix(line, []byte(frameEnd)):
			if !begun || ended {
				return d, &FrameError{n, "bundle end outside a frame"}
			}
			f := strings.Fields(string(line[len(frameEnd):]))
			if len(f) != 2 {
				return d, &FrameError{n, "bundle end: want SIZE SHA256"}
			}
			size, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil || size != d.Size {
				return d, &FrameError{n, fmt.Sprintf("bundle end: size %s, %d bytes received (lines lost from the log?)", f[0], d.Size)}
			}
			if sum := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(f[1], sum) {
				return d, &FrameError{n, "bundle end: SHA-256 differs from the bytes received"}
			}
			ended, d.Complete = true, true
		default:
			if progress != nil {
				progress(string(line))
			}
		}
	}
	if err := sc.Err(); err != nil {
		return d, fmt.Errorf("log line %d: %w", n+1, err)
	}
	switch {
	case !begun:
		return d, &FrameError{n, "the log holds no bundle"}
	case !ended:
		return d, &FrameError{n, fmt.Sprintf("the log ends inside the bundle after %d bytes", d.Size)}
	}
	return d, nil
}
