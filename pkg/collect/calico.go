package collect

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/redact"
)

// findProcess returns the lowest PID whose comm or argv[0] is name: calico-node
// runs several processes (felix, confd, bird's parent) sharing one environment,
// and the first started is the container's main one.
func (c *collector) findProcess(name string) (int, error) {
	proc := c.hostPath("/proc")
	ents, err := os.ReadDir(proc)
	if err != nil {
		return 0, err
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		if comm, err := os.ReadFile(filepath.Join(proc, e.Name(), "comm")); err == nil && strings.TrimSpace(string(comm)) == name {
			pids = append(pids, pid)
			continue
		}
		if cl, err := os.ReadFile(filepath.Join(proc, e.Name(), "cmdline")); err == nil {
			argv0, _, _ := bytes.Cut(cl, []byte{0})
			if filepath.Base(string(argv0)) == name {
				pids = append(pids, pid)
			}
		}
	}
	if len(pids) == 0 {
		return 0, skipped("no %s process on this node", name)
	}
	sort.Ints(pids)
	return pids[0], nil
}

func (c *collector) calicoEnvTask() Task {
	return Task{
		Path: bundle.CalicoEnvPath, Description: "calico-node environment", Source: bundle.SourceFile,
		Command: "/proc/PID/environ of calico-node", NeedsRoot: true,
		Run: func(ctx context.Context) ([]byte, error) {
			pid, err := c.findProcess("calico-node")
			if err != nil {
				return nil, err
			}
			return readRegular(c.hostPath(fmt.Sprintf("/proc/%d/environ", pid)), 1<<20)
		},
		Post: func(raw []byte) ([]byte, []bundle.Redaction, error) {
			out, reds := redact.Environ(bundle.CalicoEnvPath, raw)
			return out, reds, nil
		},
	}
}

// birdTask asks BIRD for its protocols over its control socket, as birdcl does;
// the reply is kept in BIRD's numbered form (the bird parser reads it, like
// `birdc -v`). birdcl is the fallback, since it is rarely on the host.
func (c *collector) birdTask() Task {
	const sock = "/var/run/calico/bird.ctl"
	return Task{
		Path: bundle.BirdProtocolsPath, Description: "BIRD protocols", Source: bundle.SourceFile,
		Command: "unix:" + sock + " show protocols", NeedsRoot: true,
		Run: func(ctx context.Context) ([]byte, error) {
			paths := []string{c.hostPath(sock)}
			if pid, err := c.findProcess("calico-node"); err == nil {
				paths = append(paths, c.hostPath(fmt.Sprintf("/proc/%d/root%s", pid, sock)))
			}
			var errs []string
			for _, p := range paths {
				if _, err := os.Stat(p); err != nil {
					continue
				}
				b, err := birdQuery(ctx, p, "show protocols")
				if err == nil {
					return b, nil
				}
				errs = append(errs, err.Error())
			}
			if len(errs) == 0 {
				return nil, skipped("no BIRD control socket (%s): not a Calico BGP node, or calico-node is not running", sock)
			}
			return nil, errors.New(strings.Join(errs, "; "))
		},
		Fallback: &Task{Source: bundle.SourceCommand, Argv: []string{"birdcl", "-s", sock, "show", "protocols"}, NeedsRoot: true},
	}
}

// birdQuery speaks BIRD's control protocol: a greeting line, then the command,
// then reply lines "NNNN-text" / " text" until a line with a code and a space.
func birdQuery(ctx context.Context, sock, cmd string) ([]byte, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	} else {
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	}
	r := bufio.NewReaderSize(conn, 64<<10)
	var out bytes.Buffer
	readReply := func() error {
		for out.Len() < 16<<20 {
			line, err := r.ReadString('\n')
			out.WriteString(line)
			if err != nil {
				return fmt.Errorf("bird socket %s: %w", sock, err)
			}
			// The last line of a reply is "NNNN text": four digits, a space.
			if len(line) >= 5 && isDigits(line[:4]) && line[4] == ' ' {
				code := line[:4]
				if code[0] == '8' || code[0] == '9' {
					return fmt.Errorf("bird socket %s: %s", sock, strings.TrimSpace(line))
				}
				return nil
			}
		}
		return fmt.Errorf("bird socket %s: reply too long", sock)
	}
	if err := readReply(); err != nil { // greeting "0001 BIRD v... ready."
		return nil, err
	}
	if _, err := io.WriteString(conn, cmd+"\n"); err != nil {
		return nil, err
	}
	if err := readReply(); err != nil {
		return out.Bytes(), &partialError{err: err}
	}
	return out.Bytes(), nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Log tail bounds: enough for startup lines of a recent restart and the latest
// errors, small enough to mail.
const (
	logTailLines = 2000
	logTailBytes = 2 << 20
)

// logTask takes the tail of a container's log: the newest
// /var/log/containers/POD_NAMESPACE_CONTAINER-ID.log whose pod starts with pod
// and whose container is container (CRI format; the analyzer reads it), or
// /var/log/pods/NS_POD_UID/CONTAINER/N.log.
func (c *collector) logTask(path, desc, pod, container string) Task {
	return Task{
		Path: path, Description: desc, Source: bundle.SourceFile,
		Command: "/var/log/containers/" + pod + "*_" + container + "-*.log (tail)",
		Run: func(ctx context.Context) ([]byte, error) {
			f := c.findLog(pod, container)
			if f == "" {
				return nil, skipped("no %s container log under /var/log/containers or /var/log/pods", container)
			}
			return tailFile(f, logTailLines, logTailBytes)
		},
		Post: func(b []byte) ([]byte, []bundle.Redaction, error) {
			out, reds := redact.Text(path, "log", b)
			return out, reds, nil
		},
	}
}

func (c *collector) findLog(pod, container string) string {
	type cand struct {
		path string
		mod  time.Time
	}
	var cands []cand
	add := func(p string) {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			cands = append(cands, cand{p, fi.ModTime()})
		}
	}
	if ents, err := os.ReadDir(c.hostPath("/var/log/containers")); err == nil {
		for _, e := range ents {
			n := strings.TrimSuffix(e.Name(), ".log")
			parts := strings.Split(n, "_")
			if len(parts) != 3 || !strings.HasPrefix(parts[0], pod) {
				continue
			}
			// CONTAINER-<64 hex id>
			cn := parts[2]
			if i := strings.LastIndexByte(cn, '-'); i > 0 {
				cn = cn[:i]
			}
			if cn == container {
				add(filepath.Join(c.hostPath("/var/log/containers"), e.Name()))
			}
		}
	}
	if len(cands) == 0 {
		ms, _ := filepath.Glob(filepath.Join(c.hostPath("/var/log/pods"), "*_"+pod+"*_*", container, "*.log"))
		for _, m := range ms {
			add(m)
		}
	}
	if len(cands) == 0 {
		return ""
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].mod.After(cands[j].mod) })
	return cands[0].path
}

// tailFile returns the last n lines of the file, at most max bytes (cut at a
// line start).
func tailFile(name string, n int, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", name)
	}
	off := fi.Size() - max
	if off < 0 {
		off = 0
	}
	buf := make([]byte, fi.Size()-off)
	k, err := f.ReadAt(buf, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	buf = buf[:k]
	if off > 0 {
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			buf = buf[i+1:]
		}
	}
	// Keep the last n lines.
	end := len(buf)
	if end > 0 && buf[end-1] == '\n' {
		end--
	}
	cnt := 0
	for i := end - 1; i >= 0; i-- {
		if buf[i] == '\n' {
			cnt++
			if cnt == n {
				return buf[i+1:], nil
			}
		}
	}
	return buf, nil
}
