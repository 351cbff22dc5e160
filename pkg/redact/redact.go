// Package redact removes secrets from what `collect` puts into a bundle: the
// calico-node environment (NAME=value), Kubernetes objects fetched as JSON, and
// free text such as container logs. The layout promises that tokens, passwords,
// keys, certificates and kubeconfig credentials never enter a bundle, and the
// operator who mails the tarball cannot check that by hand.
//
// The policy errs on the side of removing: a variable or field whose name looks
// like a credential loses its value even when the value is only a file path,
// because a false positive costs the analyzer little and a false negative leaks.
// Every removal is returned as a bundle.Redaction (file and key, never the value)
// for the manifest.
package redact

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/podnetdiag/podnetdiag/pkg/bundle"
)

// Marker replaces a secret value. It is the value the envfile parser recognises
// as redacted.
const Marker = "<redacted>"

// Reasons recorded in bundle.Redaction.Reason.
const (
	ReasonName   = "secret-like name"
	ReasonSecret = "Secret object data"
	ReasonPEM    = "PEM block"
	ReasonJWT    = "bearer token (JWT)"
	ReasonBearer = "Authorization header"
	ReasonURL    = "URL credentials"
	ReasonBasic  = "Authorization header (basic)"
	ReasonKeyID  = "access key id"
)

// secretWords are matched case-insensitively anywhere in a name: "FELIX_TYPHAKEYFILE",
// "client-key-data", "ETCD_CERT_FILE", "tokenFile", "bgp-password". Deliberately
// broad; the words of benignWords are taken out of a name first.
var secretWords = []string{
	"pass", "pwd", "secret", "token", "key", "cert", "credential", "private", "auth",
	"bearer",
}

// benignWords hold a secret word without being about a secret; removing them
// from a name first keeps diagnostic data such as "tcp_keepalive_time",
// "authoritative" (CoreDNS), "bypass" or a cloud's "private-ip" from being
// redacted. A name that still holds a secret word elsewhere stays secret
// ("passthrough_password").
var benignWords = []string{
	"monkey", "donkey", "turkey", "keyboard", "hotkey",
	"bypass", "passthrough", "passthru", "compass", "passive", "passenger",
	"authorit", // authority, authoritative (certificate-authority stays: "cert")
	"autodetect",
	"privateip", "private_ip", "private-ip", "private.ip", "privateaddress", "private_address",
	"private-address", "privatedns", "private_dns", "private-dns", "privatenetwork",
	"private_network", "private-network", "privatesubnet", "private_subnet", "private-subnet",
	"privatelink",
}

// SecretName reports whether a variable or field called name holds, or may hold,
// a credential. It matches the words above anywhere in the name, ignoring case,
// so that "FELIX_TYPHAKEYFILE" and "client-key-data" match while
// "KUBERNETES_SERVICE_PORT", "IP_AUTODETECTION_METHOD" and "CALICO_IPV4POOL_CIDR"
// do not ("AUTODETECTION" is not "AUTH").
func SecretName(name string) bool {
	l := strings.ToLower(name)
	for _, b := range benignWords {
		if strings.Contains(l, b) {
			l = strings.ReplaceAll(l, b, " ")
		}
	}
	for _, w := range secretWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

var (
	// A JWT: base64url JSON header ("eyJ" is `{"`), payload and signature.
	jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`)
	// "Authorization: Bearer X", "bearer=X", "--token=X" style credentials in text.
	bearerRE = regexp.MustCompile(`(?i)(bearer\s+)([A-Za-z0-9._~+/=-]{8,})`)
	// scheme://user:password@host
	urlCredRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)([^/\s@]+)(@)`)
	// scheme://token@host: userinfo without a password is a credential too
	// (git and registry URLs carry tokens so). "<" keeps a marker from matching.
	urlUserRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)([^/\s:@<>"']{6,})(@)`)
	// "Authorization: Basic dXNlcjpwYXNz".
	basicRE = regexp.MustCompile(`(?i)(\bbasic\s+)([A-Za-z0-9+/]{8,}={0,2})`)
	// AWS access key ids (AKIA long-term, ASIA temporary) and other providers'
	// self-describing tokens (GitHub, Slack, GitLab).
	keyIDRE  = regexp.MustCompile(`\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b|\bgh[pousr]_[A-Za-z0-9]{30,}\b|\bxox[abprs]-[A-Za-z0-9-]{10,}\b|\bglpat-[A-Za-z0-9_-]{20,}\b`)
	pemBegin = []byte("-----BEGIN ")
	pemEnd   = []byte("-----END ")
)

// SecretValue reports whether v looks like a credential whatever its name: a PEM
// block, a JWT, a bearer token or a URL with a password.
func SecretValue(v string) bool {
	b := []byte(v)
	return bytes.Contains(b, pemBegin) || jwtRE.Match(b) || bearerRE.Match(b) || urlCredRE.Match(b) ||
		urlUserRE.Match(b) || basicRE.Match(b) || keyIDRE.Match(b)
}

// recorder collects the redactions of one file.
type recorder struct {
	file string
	out  []bundle.Redaction
}

func (r *recorder) add(key, reason string) {
	r.out = append(r.out, bundle.Redaction{File: r.file, Key: key, Reason: reason})
}

// Text removes credentials recognisable by their shape from free text (logs):
// PEM blocks (the body between BEGIN and END lines), JWTs, bearer tokens and URL
// passwords. Names of variables are not looked at: a log line "Parsed value for
// TyphaKeyFile: /etc/..." is kept, its value being a path. key labels the
// redactions (e.g. "log").
func Text(file, key string, data []byte) ([]byte, []bundle.Redaction) {
	r := &recorder{file: file}
	out := r.text(key, data)
	return out, r.out
}

func (r *recorder) text(key string, data []byte) []byte {
	out := data
	if bytes.Contains(out, pemBegin) {
		out = r.pem(key, out)
	}
	if n := len(jwtRE.FindAllIndex(out, -1)); n > 0 {
		out = jwtRE.ReplaceAll(out, []byte(Marker))
		for range n {
			r.add(key, ReasonJWT)
		}
	}
	if n := len(bearerRE.FindAllIndex(out, -1)); n > 0 {
		out = bearerRE.ReplaceAllFunc(out, func(m []byte) []byte {
			sub := bearerRE.FindSubmatch(m)
			if string(sub[2]) == Marker {
				return m
			}
			r.add(key, ReasonBearer)
			return append(append([]byte{}, sub[1]...), Marker...)
		})
	}
	out = r.replaceGroup(key, ReasonBasic, basicRE, out, looksEncoded)
	if n := len(keyIDRE.FindAllIndex(out, -1)); n > 0 {
		out = keyIDRE.ReplaceAll(out, []byte(Marker))
		for range n {
			r.add(key, ReasonKeyID)
		}
	}
	out = r.replaceGroup(key, ReasonURL, urlUserRE, out, nil)
	if urlCredRE.Match(out) {
		out = urlCredRE.ReplaceAllFunc(out, func(m []byte) []byte {
			sub := urlCredRE.FindSubmatch(m)
			r.add(key, ReasonURL)
			return bytes.Join([][]byte{sub[1], []byte(Marker), sub[3]}, nil)
		})
	}
	return out
}

// replaceGroup replaces the second group of every match of re (three groups:
// kept, secret, kept) with the marker.
// When ok is set, a secret it refuses is kept.
func (r *recorder) replaceGroup(key, reason string, re *regexp.Regexp, data []byte, ok func([]byte) bool) []byte {
	if !re.Match(data) {
		return data
	}
	return re.ReplaceAllFunc(data, func(m []byte) []byte {
		sub := re.FindSubmatch(m)
		if string(sub[2]) == Marker || (ok != nil && !ok(sub[2])) {
			return m
		}
		r.add(key, reason)
		out := append([]byte{}, sub[1]...)
		out = append(out, Marker...)
		if len(sub) > 3 {
			out = append(out, sub[3]...)
		}
		return out
	})
}

// looksEncoded tells base64 credentials from a word ("basic authentication"):
// an encoded value has a digit, an upper-case letter after the first or padding.
func looksEncoded(b []byte) bool {
	for i, c := range b {
		if (c >= '0' && c <= '9') || c == '=' || c == '+' || c == '/' || (i > 0 && c >= 'A' && c <= 'Z') {
			return true
		}
	}
	return false
}

// pem replaces the body of every PEM block; the BEGIN/END lines stay so a reader
// sees that a certificate or key was there. An unterminated block is cut to the
// end of the text.
func (r *recorder) pem(key string, data []byte) []byte {
	var b bytes.Buffer
	rest := data
	for {
		i := bytes.Index(rest, pemBegin)
		if i < 0 {
			b.Write(rest)
			break
		}
		// The BEGIN marker line ends at its closing "-----".
		head := rest[i+len(pemBegin):]
		j := bytes.Index(head, []byte("-----"))
		if j < 0 {
			b.Write(rest[:i])
			b.WriteString(Marker)
			r.add(key, ReasonPEM)
			break
		}
		b.Write(rest[:i+len(pemBegin)+j+5])
		body := head[j+5:]
		k := bytes.Index(body, pemEnd)
		r.add(key, ReasonPEM)
		b.WriteString(Marker)
		if k < 0 {
			break
		}
		rest = body[k:]
		// Copy the END marker itself so the next search starts after it.
		e := bytes.Index(rest[len(pemEnd):], []byte("-----"))
		if e < 0 {
			b.Write(rest)
			break
		}
		end := len(pemEnd) + e + 5
		b.Write(rest[:end])
		rest = rest[end:]
	}
	return b.Bytes()
}

// embedded redacts a multi-line string found inside a document (a kubeconfig or
// YAML config held in a ConfigMap): shape-based text redaction, plus the value of
// every "name: value", "name = value" or "name=value" line whose name looks like
// a secret.
func (r *recorder) embedded(key string, s string) string {
	out := string(r.text(key, []byte(s)))
	if !strings.ContainsAny(out, ":=") {
		return out
	}
	lines := strings.Split(out, "\n")
	changed := false
	for i, ln := range lines {
		name, sep, val, ok := splitAssign(ln)
		if !ok || !SecretName(name) || !hasValue(val) {
			continue
		}
		lines[i] = ln[:len(ln)-len(val)] + Marker
		_ = sep
		r.add(key+"/"+name, ReasonName)
		changed = true
	}
	if !changed {
		return out
	}
	return strings.Join(lines, "\n")
}

// splitAssign cuts "  name: value", "name = value" or `"name": "value",` into its
// name and the value text (what follows the separator and its blanks).
func splitAssign(ln string) (name, sep, val string, ok bool) {
	t := strings.TrimLeft(ln, " \t-")
	i := strings.IndexAny(t, ":=")
	if i <= 0 {
		return "", "", "", false
	}
	name = strings.Trim(strings.TrimSpace(t[:i]), `"'`)
	if name == "" || strings.ContainsAny(name, " \t{}[]") {
		return "", "", "", false
	}
	sep = t[i : i+1]
	val = strings.TrimLeft(t[i+1:], " \t")
	return name, sep, val, true
}

// hasValue tells an assignment with a scalar value from a YAML mapping key
// ("user:" followed by an indented block), an empty value, or a boolean.
func hasValue(v string) bool {
	v = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(v), ","))
	v = strings.Trim(v, `"'`)
	switch strings.ToLower(v) {
	case "", "true", "false", "null", "~", "{", "[", "|", ">", "|-", ">-", Marker:
		return false
	}
	return true
}
