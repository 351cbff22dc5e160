package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
	"github.com/podnetdiag/podnetdiag/pkg/collect/kubeapi"
	"github.com/podnetdiag/podnetdiag/pkg/redact"
)

// The DNS Service is found by label, whatever its name
// (bundle.DNSServiceSelectors, the labels analyze recognises it by): the
// first selector that finds a Service wins; without any, the usual names are
// tried.
var dnsServiceNames = []string{"kube-dns", "coredns", "rke2-coredns-rke2-coredns"}

// dnsNamespace is where every distribution above runs its DNS.
const dnsNamespace = "kube-system"

// maxDNSServices bounds the Services whose endpoints are read: NodeLocal
// DNSCache adds kube-dns-upstream beside kube-dns, a handful at most.
const maxDNSServices = 4

// Pod log bounds. tailLines keeps the newest lines (limitBytes alone would
// keep the oldest of them); CoreDNS lines are 100-200 bytes, so 1000 lines
// fit limitBytes. At most maxDNSLogPods pods per file: a 5,000-node cluster
// runs ~300 CoreDNS replicas, and the errors that matter (loop, upstream
// timeouts) show in every one of them.
const (
	dnsLogTailLines = 1000
	dnsLogPodBytes  = 512 << 10
	maxDNSLogPods   = 16
)

// dnsFound is what the DNS discovery learnt, once per run: the tasks of the
// Service, its endpoints, the CoreDNS pods and their logs share it.
type dnsFound struct {
	svc    *kubeFile
	svcErr error
	// services are the names found, the DNS Service first; selector is its
	// spec.selector as a labelSelector ("" when it has none).
	services []string
	selector string
	how      string // "label k8s-app=kube-dns", "name kube-dns"
	pods     *kubeFile
	podsErr  error
	podRefs  []podRef
}

// podRef is a pod whose log is read.
type podRef struct {
	name, node, container string
}

// dnsMemo runs the discovery once; tasks running meanwhile wait for it.
type dnsMemo struct {
	once sync.Once
	d    dnsFound
}

// dnsDiscover finds the DNS Service(s), then the CoreDNS pods by the DNS
// Service's selector (k8s-app=kube-dns without one).
func (k *kubeCtx) dnsDiscover(ctx context.Context) *dnsFound {
	k.dns.once.Do(func() {
		d := &k.dns.d
		d.svc, d.services, d.selector, d.how, d.svcErr = k.findDNSService(ctx)
		sel := d.selector
		if sel == "" {
			sel = "k8s-app=kube-dns"
		}
		o := kubeObject{path: bundle.KubeCoreDNSPodsPath, list: true, itemKind: "Pod", lim: selectedLimits,
			urls: []string{"/api/v1/namespaces/" + dnsNamespace + "/pods?labelSelector=" + url.QueryEscape(sel)}}
		d.pods, d.podsErr = k.fetchWith(ctx, o, func(item map[string]any) {
			if r, ok := podRefOf(item, "coredns"); ok {
				d.podRefs = append(d.podRefs, r)
			}
		})
	})
	return &k.dns.d
}

// podRefOf reads a pod's name, node and the container whose log to read:
// want if it has one of that name, else its first.
func podRefOf(item map[string]any, want string) (podRef, bool) {
	md, _ := item["metadata"].(map[string]any)
	spec, _ := item["spec"].(map[string]any)
	name, _ := md["name"].(string)
	if name == "" {
		return podRef{}, false
	}
	r := podRef{name: name}
	r.node, _ = spec["nodeName"].(string)
	cs, _ := spec["containers"].([]any)
	for i, c := range cs {
		cm, _ := c.(map[string]any)
		n, _ := cm["name"].(string)
		if i == 0 || n == want {
			r.container = n
		}
		if n == want {
			break
		}
	}
	return r, true
}

// findDNSService lists Services by each selector in turn, then by name; it
// returns the ServiceList file, the names found, the DNS Service's selector and
// how it was found.
func (k *kubeCtx) findDNSService(ctx context.Context) (*kubeFile, []string, string, string, error) {
	var tried []string
	for _, sel := range bundle.DNSServiceSelectors() {
		var names []string
		var selector string
		o := kubeObject{path: bundle.KubeDNSServicePath, list: true, itemKind: "Service", lim: selectedLimits,
			urls: []string{"/api/v1/namespaces/" + dnsNamespace + "/services?labelSelector=" + url.QueryEscape(sel)}}
		f, err := k.fetchWith(ctx, o, func(item map[string]any) {
			md, _ := item["metadata"].(map[string]any)
			if n, _ := md["name"].(string); n != "" {
				names = append(names, n)
				if len(names) == 1 || n == "kube-dns" {
					spec, _ := item["spec"].(map[string]any)
					selector = selectorOf(spec["selector"])
				}
			}
		})
		if f == nil {
			if isSkip(err) {
				tried = append(tried, "-l "+sel+": not found")
				continue
			}
			return nil, nil, "", "", err
		}
		if len(names) == 0 {
			tried = append(tried, "-l "+sel+": none")
			continue
		}
		return f, dnsOrder(names), selector, "label " + sel, err
	}
	for _, name := range dnsServiceNames {
		o := kubeObject{path: bundle.KubeDNSServicePath, lim: objectLimits,
			urls: []string{"/api/v1/namespaces/" + dnsNamespace + "/services/" + name}}
		var selector string
		f, err := k.fetchWith(ctx, o, func(item map[string]any) {
			spec, _ := item["spec"].(map[string]any)
			selector = selectorOf(spec["selector"])
		})
		if f == nil {
			if isSkip(err) {
				tried = append(tried, name+": not found")
				continue
			}
			return nil, nil, "", "", err
		}
		// One Service by name, written as the list kubectl -l would print.
		f.data = wrapList(f.data, "v1", "ServiceList")
		return f, []string{name}, selector, "name " + name, err
	}
	return nil, nil, "", "", skipped("no DNS Service in %s (%s)", dnsNamespace, strings.Join(tried, "; "))
}

// dnsOrder puts kube-dns first, then names without "upstream" (NodeLocal
// DNSCache's kube-dns-upstream selects the same pods), at most maxDNSServices.
func dnsOrder(names []string) []string {
	rank := func(n string) int {
		switch {
		case n == "kube-dns":
			return 0
		case strings.Contains(n, "upstream") || strings.Contains(n, "metrics"):
			return 2
		}
		return 1
	}
	sort.SliceStable(names, func(i, j int) bool { return rank(names[i]) < rank(names[j]) })
	if len(names) > maxDNSServices {
		names = names[:maxDNSServices]
	}
	return names
}

// selectorOf renders a Service's spec.selector as a labelSelector, keys
// sorted so that the request is the same every run.
func selectorOf(v any) string {
	m, _ := v.(map[string]any)
	var parts []string
	for k, val := range m {
		if s, ok := val.(string); ok {
			parts = append(parts, k+"="+s)
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// wrapList puts one rendered JSON object into a List.
func wrapList(obj []byte, apiVersion, kind string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\n  \"apiVersion\": %q,\n  \"kind\": %q,\n  \"metadata\": {},\n  \"items\": [\n", apiVersion, kind)
	for i, ln := range bytes.Split(bytes.TrimSuffix(obj, []byte("\n")), []byte("\n")) {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("    ")
		b.Write(ln)
	}
	b.WriteString("\n  ]\n}\n")
	return b.Bytes()
}

// dnsEndpoints reads, for each DNS Service found, its Endpoints object (named
// after it) and its EndpointSlices (labelled kubernetes.io/service-name), into
// one List. A kind absent from the cluster (no discovery.k8s.io/v1 before
// 1.21, Endpoints mirroring off) is left out without error when the other
// kind answers.
func (k *kubeCtx) dnsEndpoints(ctx context.Context) (*kubeFile, error) {
	d := k.dnsDiscover(ctx)
	services := d.services
	if len(services) == 0 {
		// No Service found (or Services not readable): the usual names,
		// as kubectl get endpoints kube-dns would.
		services = dnsServiceNames
	}
	lw := newListWriter(k, bundle.KubeDNSEndpointsPath, false, "v1", "", selectedLimits.keep)
	var problems []string
	var denied, found int
	for _, name := range services {
		ep := kubeObject{path: bundle.KubeDNSEndpointsPath, lim: objectLimits,
			urls: []string{"/api/v1/namespaces/" + dnsNamespace + "/endpoints/" + url.PathEscape(name)}}
		obj, err := k.getObject(ctx, ep)
		switch {
		case err == nil:
			found++
			if _, ok := obj["kind"]; !ok {
				obj["kind"], obj["apiVersion"] = "Endpoints", "v1"
			}
			if err := lw.add(obj); err != nil {
				why := lw.cut
				if why == "" {
					why = err.Error()
				}
				problems = append(problems, fmt.Sprintf("endpoints %s: %s", name, why))
			}
		case isSkip(err):
		default:
			if isDenied(err) {
				denied++
			}
			problems = append(problems, fmt.Sprintf("endpoints %s: %v", name, err))
		}
		slices := kubeObject{path: bundle.KubeDNSEndpointsPath, list: true, itemKind: "EndpointSlice", lim: selectedLimits,
			urls: []string{"/apis/discovery.k8s.io/v1/namespaces/" + dnsNamespace + "/endpointslices?labelSelector=" + url.QueryEscape("kubernetes.io/service-name="+name)}}
		for _, cl := range k.clients {
			_, err = cl.List(ctx, slices.urls[0], slices.lim.Limits, func(item map[string]any) error {
				found++
				stripObject(item)
				if _, ok := item["kind"]; !ok {
					item["kind"], item["apiVersion"] = "EndpointSlice", "discovery.k8s.io/v1"
				}
				return lw.add(item)
			})
			if err == nil || !kubeapi.Denied(err) && !isConnErr(err) {
				break
			}
		}
		switch {
		case err == nil && lw.cut == "", kubeapi.NotFound(err):
		case err == nil:
			problems = append(problems, fmt.Sprintf("endpointslices of %s: %s", name, lw.cut))
		default:
			if kubeapi.Denied(err) {
				denied++
			}
			problems = append(problems, fmt.Sprintf("endpointslices of %s: %v", name, err))
		}
	}
	f := &kubeFile{data: lw.finish(), reds: lw.reds}
	why := strings.Join(problems, "; ")
	switch {
	case found > 0 && why != "":
		return f, &partialError{err: fmt.Errorf("partial: %s", why)}
	case found > 0:
		return f, nil
	case denied > 0 && denied == len(problems):
		return nil, &forbiddenError{err: errors.New(why)}
	case why != "":
		return nil, errors.New(why)
	}
	if d.svcErr != nil {
		return nil, skipped("no Endpoints nor EndpointSlices named %s (the DNS Service: %v)", strings.Join(services, ", "), d.svcErr)
	}
	return nil, skipped("no Endpoints nor EndpointSlices for the DNS Service(s) %s", strings.Join(services, ", "))
}

// getObject reads one object with each client in turn (a 404 is "skipped"),
// stripped but not redacted: the caller adds it to a list that redacts.
func (k *kubeCtx) getObject(ctx context.Context, o kubeObject) (map[string]any, error) {
	var errs []string
	for _, cl := range k.clients {
		obj, err := cl.GetObject(ctx, o.urls[0], o.lim.Limits)
		if err == nil {
			stripObject(obj)
			return obj, nil
		}
		if kubeapi.NotFound(err) {
			return nil, skipped("not found: %s", o.urls[0])
		}
		if ctx.Err() != nil {
			return nil, err
		}
		errs = append(errs, fmt.Sprintf("%s via %s: %v", o.urls[0], cl.Config().Source, err))
		if !kubeapi.Denied(err) && !isConnErr(err) {
			break
		}
	}
	return nil, &kubeErrors{msg: strings.Join(errs, "; ")}
}

// isConnErr: the request never got an HTTP answer (another client may).
func isConnErr(err error) bool {
	var se *kubeapi.StatusError
	return !errors.As(err, &se) && !kubeapi.IsLimit(err)
}

// dnsLogs reads the log of each pod, each block headed `==> POD <==` (with
// header) as tail prints several files, redacted as a log.
func (k *kubeCtx) dnsLogs(ctx context.Context, path string, pods []podRef, header bool) (*kubeFile, error) {
	if len(pods) == 0 {
		return nil, skipped("no pod found")
	}
	sort.SliceStable(pods, func(i, j int) bool { return pods[i].name < pods[j].name })
	var b bytes.Buffer
	var reds []bundle.Redaction
	var problems []string
	read, denied, gone, cut := 0, 0, 0, 0
	for i, p := range pods {
		if i == maxDNSLogPods {
			problems = append(problems, fmt.Sprintf("%d of %d pods' logs left out (at most %d are read)", len(pods)-i, len(pods), maxDNSLogPods))
			break
		}
		q := url.Values{}
		if p.container != "" {
			q.Set("container", p.container)
		}
		q.Set("tailLines", fmt.Sprint(dnsLogTailLines))
		q.Set("limitBytes", fmt.Sprint(dnsLogPodBytes))
		q.Set("timestamps", "true")
		u := "/api/v1/namespaces/" + dnsNamespace + "/pods/" + url.PathEscape(p.name) + "/log?" + q.Encode()
		var data []byte
		var truncated bool
		var err error
		for _, cl := range k.clients {
			data, truncated, err = cl.GetText(ctx, u, dnsLogPodBytes)
			if err == nil || !kubeapi.Denied(err) && !isConnErr(err) {
				break
			}
		}
		if err != nil {
			switch {
			case kubeapi.Denied(err):
				denied++
				problems = append(problems, fmt.Sprintf("pod %s: forbidden: %v", p.name, err))
			case kubeapi.NotFound(err):
				// Deleted since it was listed (a rollout): nothing failed.
				gone++
				problems = append(problems, fmt.Sprintf("pod %s: gone since listed (%v)", p.name, err))
			default:
				problems = append(problems, fmt.Sprintf("pod %s: %v", p.name, err))
			}
			continue
		}
		if truncated || len(data) >= dnsLogPodBytes {
			cut++
			// Keep whole lines only.
			if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
				data = data[:i+1]
			}
		}
		if !k.take(int64(len(data))) {
			problems = append(problems, fmt.Sprintf("pod %s: the run's cap of %d bytes for API data is reached", p.name, kubeMaxKeptTotal))
			continue
		}
		out, r := redact.Text(path, "log", data)
		reds = append(reds, r...)
		if header {
			fmt.Fprintf(&b, "==> %s <==\n", p.name)
		}
		b.Write(out)
		if len(out) > 0 && out[len(out)-1] != '\n' {
			b.WriteByte('\n')
		}
		read++
	}
	if cut > 0 {
		problems = append(problems, fmt.Sprintf("%d pod log(s) cut at limitBytes=%d", cut, dnsLogPodBytes))
	}
	why := strings.Join(problems, "; ")
	switch {
	case read > 0 && why != "":
		return &kubeFile{data: b.Bytes(), reds: reds}, &partialError{err: fmt.Errorf("partial: %s", why)}
	case read > 0:
		return &kubeFile{data: b.Bytes(), reds: reds}, nil
	case denied > 0 && denied == len(problems):
		return nil, &forbiddenError{err: errors.New(why)}
	case gone > 0 && gone == len(problems):
		return nil, skipped("%s", why)
	}
	return nil, errors.New(why)
}

// nodeLocalPods finds this node's NodeLocal DNSCache pod.
func (k *kubeCtx) nodeLocalPods(ctx context.Context, node string) ([]podRef, error) {
	q := url.Values{}
	q.Set("labelSelector", "k8s-app=node-local-dns")
	q.Set("fieldSelector", "spec.nodeName="+node)
	var refs []podRef
	var err error
	for _, cl := range k.clients {
		refs = nil
		_, err = cl.List(ctx, "/api/v1/namespaces/"+dnsNamespace+"/pods?"+q.Encode(), selectedLimits.Limits, func(item map[string]any) error {
			if r, ok := podRefOf(item, "node-cache"); ok {
				refs = append(refs, r)
			}
			return nil
		})
		if err == nil || !kubeapi.Denied(err) && !isConnErr(err) {
			break
		}
	}
	return refs, err
}

// kubeErrors is the failure of every client.
type kubeErrors struct{ msg string }

func (e *kubeErrors) Error() string { return e.msg }

// forbiddenError: every credential was denied (HTTP 401 or 403); the item
// is recorded as "forbidden", which RBAC can fix, not as a failure.
type forbiddenError struct{ err error }

func (e *forbiddenError) Error() string { return e.err.Error() }
func (e *forbiddenError) Unwrap() error { return e.err }

func isDenied(err error) bool {
	var fe *forbiddenError
	return errors.As(err, &fe) || kubeapi.Denied(err)
}

// dnsFetch is one cluster-wide file of the DNS discovery.
type dnsFetch struct {
	path, desc, cmd string
	fetch           func(ctx context.Context) (*kubeFile, error)
}

const nlCmd = "GET /api/v1/namespaces/kube-system/pods?labelSelector=k8s-app=node-local-dns&fieldSelector=spec.nodeName=NODE, then its log; else /var/log/containers/node-local-dns-*_node-cache-*.log"

// dnsCluster are the cluster-wide files that depend on the DNS Service found:
// the Service, its endpoints, the CoreDNS pods and their logs.
func (k *kubeCtx) dnsCluster() []dnsFetch {
	svcCmd := "GET /api/v1/namespaces/kube-system/services?labelSelector=" + strings.Join(bundle.DNSServiceSelectors(), " | ") + ", else services/" + strings.Join(dnsServiceNames, " | ")
	epCmd := "GET /api/v1/namespaces/kube-system/endpoints/SERVICE and /apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices?labelSelector=kubernetes.io/service-name=SERVICE, for each DNS Service found"
	podsCmd := "GET /api/v1/namespaces/kube-system/pods?labelSelector=SELECTOR of the DNS Service (k8s-app=kube-dns without one)"
	logCmd := fmt.Sprintf("GET /api/v1/namespaces/kube-system/pods/POD/log?tailLines=%d&limitBytes=%d&timestamps=true, for each CoreDNS pod", dnsLogTailLines, dnsLogPodBytes)
	return []dnsFetch{
		{bundle.KubeDNSServicePath, "DNS Service", svcCmd, func(ctx context.Context) (*kubeFile, error) {
			d := k.dnsDiscover(ctx)
			if k.say != nil && len(d.services) > 0 {
				k.say("DNS Service: %s (found by %s); CoreDNS pods by %s", strings.Join(d.services, ", "), d.how, orDefault(d.selector, "k8s-app=kube-dns"))
			}
			return d.svc, d.svcErr
		}},
		{bundle.KubeDNSEndpointsPath, "DNS Service endpoints", epCmd, k.dnsEndpoints},
		{bundle.KubeCoreDNSPodsPath, "CoreDNS pods", podsCmd, func(ctx context.Context) (*kubeFile, error) {
			d := k.dnsDiscover(ctx)
			return d.pods, d.podsErr
		}},
		{bundle.CorednsLogPath, "CoreDNS logs", logCmd, func(ctx context.Context) (*kubeFile, error) {
			d := k.dnsDiscover(ctx)
			if d.pods == nil && d.podsErr != nil {
				if isSkip(d.podsErr) {
					return nil, d.podsErr
				}
				return nil, fmt.Errorf("the CoreDNS pods could not be listed: %w", d.podsErr)
			}
			return k.dnsLogs(ctx, bundle.CorednsLogPath, append([]podRef(nil), d.podRefs...), true)
		}},
	}
}

// dnsTasks are the items that depend on the DNS Service found: the Service,
// its endpoints, the CoreDNS pods, and the CoreDNS and NodeLocal DNSCache
// logs.
func (c *collector) dnsTasks(k *kubeCtx) []Task {
	var tasks []Task
	for _, o := range k.dnsCluster() {
		if c.opts.SkipClusterObjects {
			tasks = append(tasks, Task{
				Path: o.path, Description: o.desc, Source: bundle.SourceKubectl, Command: o.cmd, Optional: true,
				Run: func(context.Context) ([]byte, error) {
					return nil, skipped("a cluster-wide object: collect cluster gathers it once, into the run's cluster/ folder")
				},
			})
			continue
		}
		tasks = append(tasks, c.kubeTask(k, o.path, o.desc, o.cmd, false, o.fetch))
	}
	// NodeLocal DNSCache runs on this node: its pod's log through the API,
	// else its container log file (no API rights needed).
	file := c.logTask(bundle.NodeLocalDNSLogPath, "NodeLocal DNSCache log", "node-local-dns", "node-cache")
	nl := Task{Path: bundle.NodeLocalDNSLogPath, Description: "NodeLocal DNSCache log", Source: bundle.SourceKubectl, Command: nlCmd}
	var mu sync.Mutex
	var reds []bundle.Redaction
	nl.Run = func(ctx context.Context) ([]byte, error) {
		var apiErr error
		if k.usable() {
			pods, err := k.nodeLocalPods(ctx, c.node)
			switch {
			case err == nil && len(pods) > 0:
				f, err := k.dnsLogs(ctx, bundle.NodeLocalDNSLogPath, pods, false)
				if f != nil {
					mu.Lock()
					reds = f.reds
					mu.Unlock()
					return f.data, err
				}
				apiErr = err
			case err == nil:
				apiErr = skipped("no pod labelled k8s-app=node-local-dns on node %s", c.node)
			case kubeapi.Denied(err):
				apiErr = &forbiddenError{err: fmt.Errorf("listing the NodeLocal DNSCache pods: %w", err)}
			default:
				apiErr = err
			}
		} else {
			apiErr = skipped("no kubeconfig or in-cluster credentials")
		}
		data, ferr := file.Run(ctx)
		if ferr == nil {
			out, r := redact.Text(bundle.NodeLocalDNSLogPath, "log", data)
			mu.Lock()
			reds = r
			mu.Unlock()
			return out, nil
		}
		if isSkip(ferr) && !isSkip(apiErr) {
			// The API's answer is the one that matters (a 403 says what RBAC
			// lacks); the file's absence is added.
			return nil, fmt.Errorf("%w; %v", apiErr, ferr)
		}
		if isSkip(apiErr) && isSkip(ferr) {
			return nil, skipped("%v; %v", apiErr, ferr)
		}
		return nil, fmt.Errorf("API: %v; file: %w", apiErr, ferr)
	}
	nl.Post = func(data []byte) ([]byte, []bundle.Redaction, error) {
		mu.Lock()
		defer mu.Unlock()
		return data, reds, nil
	}
	nl.Optional = true
	return append(tasks, nl)
}
