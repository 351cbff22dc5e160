// Package kubeapi is the collector's minimal Kubernetes client: it reads a
// kubeconfig (or the in-cluster service account) and GETs a few API paths as
// JSON over net/http and crypto/tls. client-go would add tens of megabytes and
// hundreds of packages to a binary the operator copies onto a broken node, for
// eight GET requests.
//
// Supported credentials: client certificates (files or -data), bearer tokens
// (token or tokenFile), basic auth, the cluster's CA (file or -data) or
// insecure-skip-tls-verify, and tls-server-name. Exec and auth-provider plugins
// are not run: they are reported as unsupported so that the next kubeconfig is
// tried.
package kubeapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is what a client needs, read from a kubeconfig's current context or
// from the in-cluster service account. Its String never shows credentials.
type Config struct {
	// Source says where it came from ("/etc/kubernetes/admin.conf", "in-cluster").
	Source        string
	Server        string
	CAData        []byte
	Insecure      bool
	TLSServerName string
	CertData      []byte
	KeyData       []byte
	Token         string
	Username      string
	Password      string
}

func (c *Config) String() string {
	auth := "no credentials"
	switch {
	case len(c.CertData) > 0:
		auth = "client certificate"
	case c.Token != "":
		auth = "bearer token"
	case c.Username != "":
		auth = "basic auth"
	}
	return fmt.Sprintf("%s (%s, %s)", c.Source, c.Server, auth)
}

// ErrUnsupported: the kubeconfig needs something this client does not do (an
// exec credential plugin, an auth provider).
var ErrUnsupported = errors.New("unsupported kubeconfig")

// maxKubeconfig bounds what is read of a kubeconfig (they are a few KB).
const maxKubeconfig = 4 << 20

type kubeconfig struct {
	CurrentContext string `yaml:"current-context"`
	Clusters       []struct {
		Name    string `yaml:"name"`
		Cluster struct {
			Server                   string `yaml:"server"`
			CertificateAuthority     string `yaml:"certificate-authority"`
			CertificateAuthorityData string `yaml:"certificate-authority-data"`
			InsecureSkipTLSVerify    bool   `yaml:"insecure-skip-tls-verify"`
			TLSServerName            string `yaml:"tls-server-name"`
		} `yaml:"cluster"`
	} `yaml:"clusters"`
	Contexts []struct {
		Name    string `yaml:"name"`
		Context struct {
			Cluster string `yaml:"cluster"`
			User    string `yaml:"user"`
		} `yaml:"context"`
	} `yaml:"contexts"`
	Users []struct {
		Name string `yaml:"name"`
		User struct {
			ClientCertificate     string    `yaml:"client-certificate"`
			ClientCertificateData string    `yaml:"client-certificate-data"`
			ClientKey             string    `yaml:"client-key"`
			ClientKeyData         string    `yaml:"client-key-data"`
			Token                 string    `yaml:"token"`
			TokenFile             string    `yaml:"tokenFile"`
			Username              string    `yaml:"username"`
			Password              string    `yaml:"password"`
			Exec                  yaml.Node `yaml:"exec"`
			AuthProvider          yaml.Node `yaml:"auth-provider"`
		} `yaml:"user"`
	} `yaml:"users"`
}

// LoadKubeconfig reads the current context of the kubeconfig at path. Relative
// file references are resolved against the kubeconfig's folder, as kubectl
// does. Error messages name fields, never their values.
func LoadKubeconfig(path string) (*Config, error) {
	data, err := readLimited(path, maxKubeconfig)
	if err != nil {
		return nil, err
	}
	var kc kubeconfig
	if err := yaml.Unmarshal(data, &kc); err != nil {
		// yaml errors quote line numbers, not content.
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	resolve := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	ctxName := kc.CurrentContext
	if ctxName == "" && len(kc.Contexts) == 1 {
		ctxName = kc.Contexts[0].Name
	}
	var clusterName, userName string
	found := false
	for _, c := range kc.Contexts {
		if c.Name == ctxName {
			clusterName, userName, found = c.Context.Cluster, c.Context.User, true
		}
	}
	if !found {
		if len(kc.Clusters) != 1 {
			return nil, fmt.Errorf("kubeconfig %s: no current context", path)
		}
		clusterName = kc.Clusters[0].Name
		if len(kc.Users) == 1 {
			userName = kc.Users[0].Name
		}
	}
	cfg := &Config{Source: path}
	clusterFound := false
	for _, c := range kc.Clusters {
		if c.Name != clusterName {
			continue
		}
		clusterFound = true
		cl := c.Cluster
		cfg.Server = cl.Server
		cfg.Insecure = cl.InsecureSkipTLSVerify
		cfg.TLSServerName = cl.TLSServerName
		if cl.CertificateAuthorityData != "" {
			if cfg.CAData, err = base64.StdEncoding.DecodeString(strings.TrimSpace(cl.CertificateAuthorityData)); err != nil {
				return nil, fmt.Errorf("kubeconfig %s: cluster %q: certificate-authority-data is not base64", path, c.Name)
			}
		} else if cl.CertificateAuthority != "" {
			if cfg.CAData, err = readLimited(resolve(cl.CertificateAuthority), maxKubeconfig); err != nil {
				return nil, fmt.Errorf("kubeconfig %s: certificate-authority: %w", path, err)
			}
		}
	}
	if !clusterFound || cfg.Server == "" {
		return nil, fmt.Errorf("kubeconfig %s: cluster %q has no server", path, clusterName)
	}
	for _, u := range kc.Users {
		if u.Name != userName {
			continue
		}
		us := u.User
		if !us.Exec.IsZero() || !us.AuthProvider.IsZero() {
			if us.ClientCertificateData == "" && us.ClientCertificate == "" && us.Token == "" && us.TokenFile == "" {
				return nil, fmt.Errorf("kubeconfig %s: user %q: %w: exec or auth-provider credential plugins are not run", path, u.Name, ErrUnsupported)
			}
		}
		if cfg.CertData, err = dataOrFile(us.ClientCertificateData, resolve(us.ClientCertificate)); err != nil {
			return nil, fmt.Errorf("kubeconfig %s: user %q: client-certificate: %w", path, u.Name, err)
		}
		if cfg.KeyData, err = dataOrFile(us.ClientKeyData, resolve(us.ClientKey)); err != nil {
			return nil, fmt.Errorf("kubeconfig %s: user %q: client-key: %w", path, u.Name, err)
		}
		cfg.Token = us.Token
		if cfg.Token == "" && us.TokenFile != "" {
			b, err := readLimited(resolve(us.TokenFile), maxKubeconfig)
			if err != nil {
				return nil, fmt.Errorf("kubeconfig %s: user %q: tokenFile: %w", path, u.Name, err)
			}
			cfg.Token = strings.TrimSpace(string(b))
		}
		cfg.Username, cfg.Password = us.Username, us.Password
	}
	return cfg, nil
}

func dataOrFile(data, file string) ([]byte, error) {
	if data != "" {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(data))
		if err != nil {
			return nil, errors.New("not base64")
		}
		return b, nil
	}
	if file != "" {
		return readLimited(file, maxKubeconfig)
	}
	return nil, nil
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	return io.ReadAll(io.LimitReader(f, limit))
}

// InCluster reads the service account of a pod: the token and CA under dir
// (normally /var/run/secrets/kubernetes.io/serviceaccount) and the API server
// from KUBERNETES_SERVICE_HOST/PORT.
func InCluster(dir string, getenv func(string) string) (*Config, error) {
	host, port := getenv("KUBERNETES_SERVICE_HOST"), getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return nil, errors.New("in-cluster: KUBERNETES_SERVICE_HOST/PORT not set")
	}
	tok, err := readLimited(filepath.Join(dir, "token"), maxKubeconfig)
	if err != nil {
		return nil, fmt.Errorf("in-cluster: %w", err)
	}
	ca, err := readLimited(filepath.Join(dir, "ca.crt"), maxKubeconfig)
	if err != nil {
		return nil, fmt.Errorf("in-cluster: %w", err)
	}
	return &Config{
		Source: "in-cluster service account",
		Server: "https://" + net.JoinHostPort(host, port),
		CAData: ca,
		Token:  strings.TrimSpace(string(tok)),
	}, nil
}

// Client sends requests to API paths.
type Client struct {
	cfg  *Config
	base *url.URL
	http *http.Client
}

// New builds a client. Proxies from the environment are ignored: the API server
// is reached from the node directly, and a proxy would see the credentials.
func New(cfg *Config) (*Client, error) {
	u, err := url.Parse(cfg.Server)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%s: server %q is not a URL", cfg.Source, cfg.Server)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.TLSServerName, InsecureSkipVerify: cfg.Insecure} //nolint:gosec // the kubeconfig asked for it
	if len(cfg.CAData) > 0 && !cfg.Insecure {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(cfg.CAData) {
			return nil, fmt.Errorf("%s: certificate authority holds no PEM certificate", cfg.Source)
		}
		tc.RootCAs = pool
	}
	if len(cfg.CertData) > 0 || len(cfg.KeyData) > 0 {
		cert, err := tls.X509KeyPair(cfg.CertData, cfg.KeyData)
		if err != nil {
			// The error of X509KeyPair describes the PEM, never prints it.
			return nil, fmt.Errorf("%s: client certificate and key: %w", cfg.Source, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	tr := &http.Transport{
		Proxy:                 nil,
		TLSClientConfig:       tc,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 10 * time.Second,
		MaxIdleConnsPerHost:   4,
	}
	return &Client{cfg: cfg, base: u, http: &http.Client{Transport: tr}}, nil
}

// Config returns the client's configuration.
func (c *Client) Config() *Config { return c.cfg }

// StatusError is a non-2xx answer.
type StatusError struct {
	Code    int
	Message string // the Kubernetes Status message, when there is one
}

func (e *StatusError) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("HTTP %d: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("HTTP %d %s", e.Code, http.StatusText(e.Code))
}

// NotFound reports whether err is a 404 answer.
func NotFound(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code == http.StatusNotFound
}

// Denied reports whether err is a 401 or 403 answer.
func Denied(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && (se.Code == http.StatusUnauthorized || se.Code == http.StatusForbidden)
}

// MaxBody bounds a response (a node list of a 5000-node cluster stays below).
const MaxBody = 64 << 20

// Get fetches path (with its query) as JSON.
func (c *Client) Get(ctx context.Context, path string) ([]byte, error) {
	return c.Do(ctx, http.MethodGet, path, nil)
}

// Do sends a request with an optional JSON body (POST of a Pod, DELETE) and
// returns the answer's body, bounded by MaxBody.
func (c *Client) Do(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if len(out) > MaxBody {
		return nil, fmt.Errorf("%s %s: answer larger than %d bytes", method, path, MaxBody)
	}
	return out, nil
}

// Stream GETs path and hands back the open body (a followed pod log); the
// caller bounds what it reads and closes it. A non-2xx answer is a StatusError.
func (c *Client) Stream(ctx context.Context, path string) (io.ReadCloser, error) {
	resp, err := c.send(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// send does one request; a non-2xx answer is read (bounded) into a StatusError.
func (c *Client) send(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	ref, err := url.Parse(path)
	if err != nil {
		return nil, err
	}
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + ref.Path
	u.RawQuery = ref.RawQuery
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "podnetdiag-collect")
	switch {
	case c.cfg.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	case c.cfg.Username != "":
		req.SetBasicAuth(c.cfg.Username, c.cfg.Password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// url.Error quotes the URL, which holds no credentials (they are headers).
		return nil, err
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	se := &StatusError{Code: resp.StatusCode}
	var st struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
	}
	if json.Unmarshal(msg, &st) == nil && st.Kind == "Status" {
		se.Message = st.Message
	}
	return nil, se
}

// CloseIdle releases the client's connections.
func (c *Client) CloseIdle() { c.http.CloseIdleConnections() }
