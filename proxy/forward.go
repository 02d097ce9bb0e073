package proxy

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/elazarl/goproxy"

	"github.com/kshare/kshare/proxy/closure"
	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/proxy/search"
	"github.com/kshare/kshare/tokens"
)

// request is what the front handler decided about one request; goproxy's
// handlers read it back from the request context.
type request struct {
	share        *tokens.Share // nil for static files
	base         string        // the share's browser-visible base path; holds the secret
	line         kbn.Line
	rule         string
	canon        canonical
	query        url.Values
	rawQuery     string // static files: forwarded as sent
	upstreamPath string // escaped path at Kibana
	page         bool   // the object's bootstrap page: rewrite it
	static       bool
	json         bool   // the recipient expects JSON errors
	respRewrite  string // jsonRewriters entry for Kibana's answer, if any
	body         []byte // the request body, read and scrubbed; nil for none
	search       string // searchRewriters entry, for the answer side
	scope        *search.Scope
	compress     bool // the browser wants compressed bsearch lines
	closure      *closure.Closure
	ctx          context.Context
	start        time.Time
}

type requestKey struct{}

// TransportOptions tune the upstream transport.
type TransportOptions struct {
	DialTimeout           time.Duration // default 5s
	ResponseHeaderTimeout time.Duration // default 60s
	IdleConnsPerHost      int           // default 32
	TLS                   *tls.Config   // nil: system roots
}

// NewTransport returns the transport kshare uses to reach Kibana. All
// traffic goes to one host, so idle connections per host matter more than
// net/http's default of 2; no proxy from the environment is used, since
// kshare must reach exactly the configured upstream.
func NewTransport(o TransportOptions) *http.Transport {
	if o.DialTimeout <= 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.ResponseHeaderTimeout <= 0 {
		o.ResponseHeaderTimeout = 60 * time.Second
	}
	if o.IdleConnsPerHost <= 0 {
		o.IdleConnsPerHost = 32
	}
	d := &net.Dialer{Timeout: o.DialTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		MaxIdleConns:          4 * o.IdleConnsPerHost,
		MaxIdleConnsPerHost:   o.IdleConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: o.ResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
		// kshare picks Accept-Encoding itself and decodes only what it rewrites.
		DisableCompression: true,
	}
	if o.TLS != nil {
		tr.TLSClientConfig = o.TLS
	}
	return tr
}

func (s *Server) newGoproxy() *goproxy.ProxyHttpServer {
	gp := goproxy.NewProxyHttpServer()
	gp.Tr = s.opt.Transport
	gp.Logger = redactingLogger{s.log}
	gp.Verbose = false
	// kshare builds the upstream request's headers from an allow-list; it
	// chose Accept-Encoding on purpose.
	gp.KeepAcceptEncoding = true
	gp.NonproxyHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Unreachable: the front handler only hands goproxy absolute URLs.
		refBadRequest.write(w, true)
	})
	gp.OnRequest().DoFunc(func(r *http.Request, ctx *goproxy.ProxyCtx) (*http.Request, *http.Response) {
		ctx.UserData = r.Context().Value(requestKey{})
		return r, nil
	})
	gp.OnResponse().DoFunc(s.onResponse)
	return gp
}

// forward builds the upstream request from scratch and hands it to goproxy.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, rq *request) {
	rq.start = s.now()
	rq.ctx = r.Context()
	var body io.Reader
	if rq.body != nil {
		body = bytes.NewReader(rq.body)
	}
	u := *s.opt.Kibana
	u.Path, _ = url.PathUnescape(rq.upstreamPath)
	u.RawPath = rq.upstreamPath
	u.RawQuery = rq.rawQuery
	if !rq.static {
		u.RawQuery = rq.query.Encode()
	}
	out, err := http.NewRequestWithContext(context.WithValue(r.Context(), requestKey{}, rq),
		r.Method, u.String(), body)
	if err != nil {
		s.refuse(w, r, rq.canon.escaped, refBadRequest, "build request", shareAttr(rq))
		return
	}
	out.Header = upstreamHeaders(r.Header, rq.page || rq.respRewrite != "" || rq.search == "bsearch")
	if !rq.static {
		kibanaHeaders(out.Header, rq.line, r.Method, s.opt.Credentials)
	}
	forwardedFor(out.Header, r.RemoteAddr, s.opt.PublicURL.Scheme)
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		// Let Kibana's streamed answer start while the request body is
		// still being read (golang/go#40747): bsearch relies on it.
		_ = http.NewResponseController(w).EnableFullDuplex()
	}
	s.gp.ServeHTTP(w, out)
}

// readBody reads a request body (bounded) into rq.body and removes every
// copy of the share's base path from it: Kibana's browser code puts the
// page URL into bodies (executionContext.url), and the token must never
// reach Kibana. Checks and forwarding then use the same bytes.
func (s *Server) readBody(r *http.Request, rq *request) (refusal, bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return refusal{}, true
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return refEncoding, false
	}
	if r.ContentLength > s.opt.MaxBody {
		return refTooLarge, false
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, s.opt.MaxBody+1))
	if err != nil {
		return refBadRequest, false
	}
	if int64(len(b)) > s.opt.MaxBody {
		return refTooLarge, false
	}
	if rq.base != "" {
		b = scrubToken(b, rq.base, s.basePth+kbn.SpacePath(rq.share.Space))
	}
	if len(b) > 0 {
		rq.body = b
	}
	return refusal{}, true
}

// scrubToken replaces the share's base path with Kibana's own base path
// (what Kibana would have seen without kshare), then any stray copy of the
// token with a placeholder.
func scrubToken(b []byte, base, upstreamBase string) []byte {
	b = bytes.ReplaceAll(b, []byte(base), []byte(upstreamBase))
	_, tok, _ := strings.Cut(strings.TrimPrefix(base, "/"), "/")
	if tok != "" {
		b = bytes.ReplaceAll(b, []byte(tok), []byte("redacted"))
	}
	return b
}

// onResponse runs for every upstream answer, and with resp == nil when the
// round trip failed.
func (s *Server) onResponse(resp *http.Response, ctx *goproxy.ProxyCtx) *http.Response {
	rq, _ := ctx.UserData.(*request)
	if rq == nil {
		return synth(ctx.Req, refBadRequest, true)
	}
	if resp == nil {
		return s.upstreamFailed(ctx, rq)
	}
	filterResponseHeaders(resp.Header, s.frames(rq.share))
	if !rq.static {
		setShareHeaders(resp.Header)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		// The service credentials failed (or, for a static file, Kibana
		// wanted some); nothing of Kibana's challenge reaches the recipient.
		return s.replace(ctx.Req, resp, rq, refKibanaAuth)
	case resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.Header.Get("Location") != "":
		return s.redirect(ctx.Req, resp, rq)
	case rq.page && resp.StatusCode == http.StatusOK:
		return s.rewritePage(ctx.Req, resp, rq)
	case rq.respRewrite != "" && resp.StatusCode == http.StatusOK:
		return s.rewriteJSON(ctx.Req, resp, rq)
	case rq.search == "bsearch" && resp.StatusCode == http.StatusOK:
		return s.streamBsearch(ctx.Req, resp, rq)
	case rq.page && resp.StatusCode >= 500:
		// The page itself failed: a readable kshare page, not Kibana's JSON.
		return s.replace(ctx.Req, resp, rq, refKibanaDown)
	}
	if resp.ContentLength < 0 && ctx.Req.Method != http.MethodHead {
		// goproxy flushes after every write only when it sees this header;
		// Go's client hides Transfer-Encoding, so streamed answers (bsearch
		// NDJSON) would otherwise be held back (libraries.md §1.5).
		resp.Header.Set("Transfer-Encoding", "chunked")
	}
	s.logDone(ctx.Req, rq, resp.StatusCode)
	return resp
}

func (s *Server) upstreamFailed(ctx *goproxy.ProxyCtx, rq *request) *http.Response {
	err := ctx.Error
	f := refKibanaDown
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		f = refKibanaSlow
	}
	if errors.Is(ctx.Req.Context().Err(), context.Canceled) {
		f.reason = "client_gone"
	}
	s.log.LogAttrs(ctx.Req.Context(), slog.LevelWarn, "kibana request failed",
		shareAttr(rq), slog.String(keyPath, rq.canon.escaped), slog.String(keyReason, f.reason),
		slog.String(keyErr, redactError(err)))
	s.opt.Metrics.refused(f.reason)
	return synth(ctx.Req, f, rq.json)
}

// replace swaps Kibana's answer for a refusal.
func (s *Server) replace(req *http.Request, resp *http.Response, rq *request, f refusal) *http.Response {
	s.log.LogAttrs(req.Context(), slog.LevelWarn, "kibana answer replaced",
		shareAttr(rq), slog.String(keyPath, rq.canon.escaped),
		slog.Int(keyStatus, resp.StatusCode), slog.String(keyReason, f.reason))
	s.opt.Metrics.refused(f.reason)
	_ = resp.Body.Close()
	return synth(req, f, rq.json)
}

// synth builds a response for goproxy to send in place of Kibana's.
func synth(req *http.Request, f refusal, asJSON bool) *http.Response {
	ct, b := f.body(asJSON)
	h := http.Header{}
	setShareHeaders(h)
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	return &http.Response{
		StatusCode: f.status, Status: strconv.Itoa(f.status) + " " + http.StatusText(f.status),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(bytes.NewReader(b)), ContentLength: int64(len(b)),
		Request: req,
	}
}

func (s *Server) logDone(req *http.Request, rq *request, status int) {
	s.opt.Metrics.forwarded(rq.rule, status, s.now().Sub(rq.start))
	s.log.LogAttrs(req.Context(), slog.LevelDebug, "forwarded",
		shareAttr(rq), slog.String(keyMethod, req.Method), slog.String(keyPath, rq.canon.escaped),
		slog.String(keyRule, rq.rule), slog.Int(keyStatus, status),
		slog.Int64(keyDuration, s.now().Sub(rq.start).Milliseconds()))
}

func shareAttr(rq *request) slog.Attr {
	if rq == nil || rq.share == nil {
		return slog.String(keyShare, "")
	}
	return slog.String(keyShare, rq.share.ID)
}

// frames returns the origins that may frame a share's responses: the
// configured ones and the share's own. Static files get the same as none.
func (s *Server) frames(sh *tokens.Share) []string {
	if sh == nil {
		return nil
	}
	if len(sh.FrameAncestors) == 0 {
		return s.opt.FrameAncestors
	}
	return append(append([]string(nil), s.opt.FrameAncestors...), sh.FrameAncestors...)
}

// streamBsearch relays a bsearch answer line by line through ndjsonLines.
func (s *Server) streamBsearch(req *http.Request, resp *http.Response, rq *request) *http.Response {
	body, err := decodeBody(resp)
	if err != nil || rq.scope == nil {
		return s.replace(req, resp, rq, refKibanaDown)
	}
	rc, ok := body.(io.ReadCloser)
	if !ok {
		rc = io.NopCloser(body)
	}
	orig := resp.Body
	resp.Body = &ndjsonLines{src: readCloser{rc, orig}, scope: rq.scope, compress: rq.compress}
	resp.ContentLength = -1
	resp.Header.Del("Content-Length")
	resp.Header.Del("Content-Encoding")
	resp.Header.Set("Transfer-Encoding", "chunked")
	s.logDone(req, rq, resp.StatusCode)
	return resp
}

// readCloser reads from one reader and closes both (a gzip reader and the
// body under it).
type readCloser struct {
	io.Reader
	under io.Closer
}

func (r readCloser) Close() error { return r.under.Close() }
