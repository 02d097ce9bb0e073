package proxy

import (
	"errors"
	"net/url"
	"strings"
)

// maxPathBytes bounds the raw request path. Kibana's longest real paths
// (bundle chunks, saved object ids) are far below it.
const maxPathBytes = 4096

// Path errors. Each maps to a refusal; none is ever forwarded.
var (
	errPathTooLong = errors.New("path too long")
	errPathBad     = errors.New("path not allowed")
)

// canonical is a request path in its one canonical form: "/"-joined,
// non-empty segments, each percent-encoded exactly as kshare will forward
// it. Matching and forwarding both use it, so they can never disagree.
type canonical struct {
	escaped  string   // what is forwarded, e.g. /api/saved_objects/_bulk_get
	segments []string // decoded segments, for matching
	trailing bool     // the raw path ended in "/"
}

// canonicalize turns a raw (still percent-encoded) path into its canonical
// form. Repeated slashes collapse. It refuses, rather than normalises,
// anything whose meaning could differ between kshare and Kibana: dot
// segments (also percent-encoded), encoded slashes and backslashes, control
// bytes, non-ASCII bytes and over-long paths.
func canonicalize(raw string) (canonical, error) {
	if len(raw) > maxPathBytes {
		return canonical{}, errPathTooLong
	}
	if !strings.HasPrefix(raw, "/") {
		return canonical{}, errPathBad
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c < 0x21 || c >= 0x7f || c == '\\' {
			return canonical{}, errPathBad
		}
	}
	var c canonical
	var b strings.Builder
	for _, seg := range strings.Split(raw, "/") {
		if seg == "" {
			continue
		}
		dec, err := url.PathUnescape(seg)
		if err != nil || !segmentOK(dec) {
			return canonical{}, errPathBad
		}
		c.segments = append(c.segments, dec)
		b.WriteByte('/')
		b.WriteString(escapeSegment(dec))
	}
	c.trailing = strings.HasSuffix(raw, "/") && len(c.segments) > 0
	if b.Len() == 0 || c.trailing {
		b.WriteByte('/')
	}
	c.escaped = b.String()
	return c, nil
}

func segmentOK(dec string) bool {
	if dec == "." || dec == ".." {
		return false
	}
	for i := 0; i < len(dec); i++ {
		if c := dec[i]; c < 0x20 || c == 0x7f || c == '/' || c == '\\' {
			return false
		}
	}
	return true
}

// escapeSegment percent-encodes one decoded segment. url.PathEscape keeps
// the sub-delimiters Kibana's routes use (":", "@", "$", ",", ";", "=").
func escapeSegment(s string) string { return url.PathEscape(s) }

// splitShare takes a raw path that starts with the share prefix and returns
// the raw token segment and the raw rest ("" when the link itself was
// asked for). ok is false when the path is not under the prefix.
func splitShare(raw, prefix string) (token, rest string, ok bool) {
	tail, found := strings.CutPrefix(raw, prefix+"/")
	if !found {
		return "", "", false
	}
	token, rest, _ = strings.Cut(tail, "/")
	if rest != "" || strings.HasSuffix(tail, "/") {
		rest = "/" + rest
	}
	return token, rest, true
}

// rawPath returns the path of a request exactly as the client sent it,
// before Go's URL decoding; it is "" for anything but origin-form.
func rawPath(requestURI string) string {
	p, _, _ := strings.Cut(requestURI, "?")
	if !strings.HasPrefix(p, "/") {
		return ""
	}
	return p
}
