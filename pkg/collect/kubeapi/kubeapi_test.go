package kubeapi

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testPKI is a CA with a server and a client certificate.
type testPKI struct {
	caPEM               []byte
	serverCert          tls.Certificate
	clientCert, clientK []byte
	pool                *x509.CertPool
}

func newPKI(t *testing.T) *testPKI {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(cn string, server bool) ([]byte, []byte) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature,
		}
		if server {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
			tmpl.DNSNames = []string{"kubernetes.test"}
		} else {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kd, _ := x509.MarshalECPrivateKey(k)
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd})
	}
	p := &testPKI{caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})}
	sc, sk := issue("apiserver", true)
	p.serverCert, err = tls.X509KeyPair(sc, sk)
	if err != nil {
		t.Fatal(err)
	}
	p.clientCert, p.clientK = issue("admin", false)
	p.pool = x509.NewCertPool()
	p.pool.AddCert(ca)
	return p
}

// apiServer answers like the API server: the objects it knows, a Status 404
// otherwise, 401 without a credential it accepts.
func apiServer(t *testing.T, pki *testPKI, token string, objects map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		authed := r.Header.Get("Authorization") == "Bearer "+token && token != ""
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			authed = true
		}
		if !authed {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"kind":"Status","message":"Unauthorized"}`))
			return
		}
		body, ok := objects[r.URL.RequestURI()]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"kind":"Status","message":"not found here"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are the point of some tests
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.serverCert}, ClientCAs: pki.pool, ClientAuth: tls.VerifyClientCertIfGiven}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func TestClientGetsObjectsWithEachKindOfCredential(t *testing.T) {
	pki := newPKI(t)
	srv := apiServer(t, pki, "s3cr3t-token", map[string]string{
		"/api/v1/nodes": `{"kind":"NodeList","items":[]}`,
		"/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-dns": `{"kind":"PodList","items":[]}`,
	})
	dir := t.TempDir()
	writeFile(t, dir, "ca.crt", string(pki.caPEM))
	writeFile(t, dir, "client.crt", string(pki.clientCert))
	writeFile(t, dir, "client.key", string(pki.clientK))
	writeFile(t, dir, "tok", "s3cr3t-token\n")
	tests := []struct {
		name, user, cluster string
	}{
		{"a bearer token inline", "token: s3cr3t-token", "certificate-authority-data: " + b64(pki.caPEM)},
		{"a token file relative to the kubeconfig", "tokenFile: tok", "certificate-authority: ca.crt"},
		{"client certificate data", "client-certificate-data: " + b64(pki.clientCert) + "\n    client-key-data: " + b64(pki.clientK), "certificate-authority-data: " + b64(pki.caPEM)},
		{"client certificate files", "client-certificate: client.crt\n    client-key: " + filepath.Join(dir, "client.key"), "certificate-authority: ca.crt"},
		{"insecure-skip-tls-verify", "token: s3cr3t-token", "insecure-skip-tls-verify: true"},
		{"a tls-server-name for an address server", "token: s3cr3t-token", "certificate-authority: ca.crt\n    tls-server-name: kubernetes.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kc := "apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n" +
				"clusters:\n- name: k\n  cluster:\n    server: " + srv.URL + "\n    " + tt.cluster + "\n" +
				"users:\n- name: other\n  user: {token: wrong}\n- name: u\n  user:\n    " + tt.user + "\n"
			path := writeFile(t, dir, "config", kc)
			cfg, err := LoadKubeconfig(path)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(cfg.String(), "s3cr3t") || strings.Contains(cfg.String(), "PRIVATE") {
				t.Errorf("String shows a credential: %s", cfg)
			}
			cl, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			b, err := cl.Get(context.Background(), "/api/v1/nodes")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), "NodeList") {
				t.Errorf("body %s", b)
			}
			if _, err := cl.Get(context.Background(), "/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-dns"); err != nil {
				t.Errorf("query path: %v", err)
			}
			_, err = cl.Get(context.Background(), "/api/v1/nothing")
			if !NotFound(err) || !strings.Contains(err.Error(), "not found here") {
				t.Errorf("404 error = %v", err)
			}
		})
	}
}

func TestClientReportsDenialAndRejectsAnUnknownCA(t *testing.T) {
	pki := newPKI(t)
	srv := apiServer(t, pki, "right", map[string]string{"/api/v1/nodes": `{}`})
	cl, err := New(&Config{Source: "x", Server: srv.URL, CAData: pki.caPEM, Token: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Get(context.Background(), "/api/v1/nodes"); !Denied(err) {
		t.Errorf("wrong token: %v, want a denial", err)
	}
	other := newPKI(t)
	cl, err = New(&Config{Source: "x", Server: srv.URL, CAData: other.caPEM, Token: "right"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cl.Get(context.Background(), "/api/v1/nodes")
	var ue x509.UnknownAuthorityError
	if err == nil || !errors.As(err, &ue) {
		t.Errorf("unknown CA: %v, want an x509 error", err)
	}
}

func TestLoadKubeconfigRefusesWhatItCannotUse(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, kc, wantErr string
	}{
		{"an exec plugin", "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\nclusters: [{name: k, cluster: {server: 'https://h'}}]\nusers: [{name: u, user: {exec: {command: aws}}}]\n", "exec or auth-provider"},
		{"no server", "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\nclusters: [{name: k, cluster: {}}]\n", "has no server"},
		{"bad base64", "clusters: [{name: k, cluster: {server: 'https://h', certificate-authority-data: '%%%'}}]\n", "not base64"},
		{"not YAML", "\t\x00: [", "kubeconfig"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadKubeconfig(writeFile(t, dir, "kc", tt.kc))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestInClusterReadsTheServiceAccount(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "token", "sa-token\n")
	writeFile(t, dir, "ca.crt", "PEM")
	env := map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}
	cfg, err := InCluster(dir, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server != "https://10.96.0.1:443" || cfg.Token != "sa-token" || string(cfg.CAData) != "PEM" {
		t.Errorf("cfg = %+v", cfg)
	}
	if _, err := InCluster(dir, func(string) string { return "" }); err == nil {
		t.Error("no error without KUBERNETES_SERVICE_HOST")
	}
}
