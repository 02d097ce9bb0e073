package proxy

import (
	"net"
	"net/http"
	"regexp"
	"strings"

	"github.com/kshare/kshare/proxy/kbn"
)

// forwardedRequestHeaders is the allow-list of recipient headers that reach
// Kibana. Everything else — Authorization, Cookie, Proxy-*, Forwarded and
// X-Forwarded-*, X-Real-IP, method and URL overrides, tenant headers,
// Referer (which holds the link), x-kbn-context, kbn-version — is dropped by
// construction, whatever Connection lists.
var forwardedRequestHeaders = []string{
	"Accept",
	"Accept-Language",
	"Content-Type",
	"If-None-Match",
	"If-Modified-Since",
	"Elastic-Api-Version",
}

// apiVersionRE is the shape of Kibana's versioned-route header: "1", "2023-10-31".
var apiVersionRE = regexp.MustCompile(`^[0-9]{1,4}(-[0-9]{2}-[0-9]{2})?$`)

// acceptedEncodings are the content codings kshare lets Kibana choose from
// for responses it streams unchanged.
var acceptedEncodings = map[string]bool{"gzip": true, "br": true, "deflate": true, "identity": true}

// upstreamHeaders builds the headers of a request to Kibana from the
// recipient's request.
func upstreamHeaders(in http.Header, rewritten bool) http.Header {
	out := make(http.Header, len(forwardedRequestHeaders)+6)
	for _, k := range forwardedRequestHeaders {
		for _, v := range in.Values(k) {
			out.Add(k, v)
		}
	}
	if v := out.Get("Elastic-Api-Version"); v != "" && !apiVersionRE.MatchString(v) {
		out.Del("Elastic-Api-Version")
	}
	// A page kshare rewrites must arrive as identity or gzip, which it can
	// decode; other responses keep whatever coding Kibana picks.
	if rewritten {
		out.Set("Accept-Encoding", "gzip")
	} else if ae := filterEncodings(in.Values("Accept-Encoding")); ae != "" {
		out.Set("Accept-Encoding", ae)
	} else {
		out.Set("Accept-Encoding", "identity")
	}
	return out
}

func filterEncodings(values []string) string {
	var keep []string
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			name, _, _ := strings.Cut(strings.TrimSpace(part), ";")
			if acceptedEncodings[strings.ToLower(name)] {
				keep = append(keep, strings.TrimSpace(part))
			}
		}
	}
	return strings.Join(keep, ", ")
}

// kibanaHeaders adds what kshare itself sends: credentials, the XSRF
// header every non-GET needs, and the internal-origin header that 9.x
// requires on /internal routes (kibana-api.md §1.9).
func kibanaHeaders(h http.Header, l kbn.Line, method string, creds func(http.Header)) {
	if creds != nil {
		creds(h)
	}
	if method != http.MethodGet && method != http.MethodHead {
		if l.OSD {
			h.Set("Osd-Xsrf", "kshare")
		} else {
			h.Set("Kbn-Xsrf", "kshare")
		}
	}
	if !l.OSD && l.AtLeast(8, 9) {
		h.Set("X-Elastic-Internal-Origin", "Kibana")
	}
}

// forwardedFor sets kshare's own X-Forwarded-For and -Proto; the client's
// copies were never copied in.
func forwardedFor(h http.Header, remoteAddr, publicScheme string) {
	if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
		h.Set("X-Forwarded-For", host)
	}
	h.Set("X-Forwarded-Proto", publicScheme)
}

// droppedResponseHeaders never reach a recipient: cookies (recipients get
// none), auth challenges, CORS grants, and headers that name internals.
var droppedResponseHeaders = []string{
	"Set-Cookie", "Set-Cookie2", "Www-Authenticate", "Proxy-Authenticate",
	"Kbn-Name", "Kbn-License-Sig", "Kbn-Xpack-Sig", "Osd-Name",
	"Content-Security-Policy-Report-Only", "Report-To", "Reporting-Endpoints", "Nel",
	"X-Powered-By", "Server", "Via",
	"Connection", "Keep-Alive", "Proxy-Connection", "Upgrade", "Te", "Trailer",
}

// filterResponseHeaders removes what must not reach the recipient. frames
// are the origins that may frame the response (none: framing refused).
func filterResponseHeaders(h http.Header, frames []string) {
	for _, v := range h.Values("Connection") {
		for _, name := range strings.Split(v, ",") {
			h.Del(strings.TrimSpace(name))
		}
	}
	for _, k := range droppedResponseHeaders {
		h.Del(k)
	}
	for k := range h {
		if strings.HasPrefix(strings.ToLower(k), "access-control-") {
			delete(h, k)
		}
	}
	h.Set("Content-Security-Policy", editCSP(h.Get("Content-Security-Policy"), frames))
	setFrameOptions(h, frames)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
}

// setShareHeaders marks a response under a share path: never cached, never
// sent as a referrer.
func setShareHeaders(h http.Header) {
	h.Set("Cache-Control", "private, no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	if h.Get("Content-Security-Policy") == "" {
		h.Set("Content-Security-Policy", editCSP("", nil))
		setFrameOptions(h, nil)
	}
}

// setFrameOptions keeps X-Frame-Options consistent with frame-ancestors:
// DENY when no site may frame, absent when some may (it cannot name them,
// and browsers that know frame-ancestors ignore it anyway).
func setFrameOptions(h http.Header, frames []string) {
	if len(frames) == 0 {
		h.Set("X-Frame-Options", "DENY")
	} else {
		h.Del("X-Frame-Options")
	}
}

// editCSP edits Kibana's policy in place: frame-ancestors names exactly
// frames ('none' when empty) and report endpoints (which name Kibana's
// address) are dropped; every other directive is kept as Kibana set it.
func editCSP(csp string, frames []string) string {
	var keep []string
	for _, d := range strings.Split(csp, ";") {
		d = strings.TrimSpace(d)
		name, _, _ := strings.Cut(d, " ")
		switch strings.ToLower(name) {
		case "", "frame-ancestors", "report-uri", "report-to":
			continue
		}
		keep = append(keep, d)
	}
	fa := "'none'"
	if len(frames) > 0 {
		fa = strings.Join(frames, " ")
	}
	keep = append(keep, "frame-ancestors "+fa)
	return strings.Join(keep, "; ")
}
