// Package proxy is kshare's HTTP front: it takes the share from the request
// path, decides by a deny-by-default policy, and forwards what it allows to
// Kibana through goproxy with the service credentials, presenting Kibana to
// the recipient under a per-share base path.
package proxy

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/elazarl/goproxy"

	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/tokens"
)

// ShareLookup is what the proxy needs from the share store.
type ShareLookup interface {
	Lookup(ctx context.Context, tok tokens.Token) (tokens.Share, error)
}

// LineSource tells which Kibana line is in front of kshare.
type LineSource interface {
	Line(ctx context.Context) (kbn.Line, error)
}

// ObjectSource reads saved objects and settings with the service
// credentials (cached by the implementation).
type ObjectSource interface {
	Object(ctx context.Context, space, typ, id string) (kbn.SavedObject, error)
	Settings(ctx context.Context, space string, l kbn.Line) (map[string]any, error)
}

// Options configure a Server. Every field is required unless noted.
type Options struct {
	Kibana      *url.URL // upstream; its path is Kibana's server.basePath
	PublicURL   *url.URL // base of every absolute URL kshare writes
	SharePrefix string   // e.g. "/kshare"
	Store       ShareLookup
	Lines       LineSource
	Objects     ObjectSource
	Closures    ClosureSource     // the shared objects' closures; nil = no closure checks (tests only)
	Keys        KeySource         // shared key for async search ids; nil = polls refused
	Credentials func(http.Header) // adds the service credentials; nil = none
	Transport   *http.Transport   // upstream transport; nil = a tuned default
	Logger      *slog.Logger
	MaxBody     int64    // request body limit in bytes; 0 = 4 MiB
	Metrics     *Metrics // nil = none
	// Report, when true, forwards what the policy would refuse (except the
	// always-dangerous set) and logs it, so a team can check kshare against
	// its Kibana before enforcing. ReportShare limits it to one share ID.
	Report      bool
	ReportShare string
	// BannerSnapshot and BannerSaved turn the time-frame banner on for
	// snapshot and saved-object shares; a share's own setting wins.
	BannerSnapshot, BannerSaved bool
	// FrameAncestors are origins that may frame every share (CSP
	// frame-ancestors); a share adds its own. Empty: framing refused.
	FrameAncestors []string
}

// Server is the kshare request handler.
type Server struct {
	keyMu sync.Mutex
	key   []byte // shared key for async search ids, once read

	restrictions restrictionCache // panel-level filters per closure
	opt          Options
	gp           *goproxy.ProxyHttpServer
	log          *slog.Logger
	basePth      string // Kibana's server.basePath, no trailing slash
	now          func() time.Time
}

// New builds a Server.
func New(opt Options) (*Server, error) {
	if opt.Kibana == nil || opt.PublicURL == nil || opt.Store == nil || opt.Lines == nil ||
		opt.Objects == nil || opt.Logger == nil {
		return nil, errors.New("proxy: missing required option")
	}
	if opt.MaxBody <= 0 {
		opt.MaxBody = 4 << 20
	}
	if opt.Transport == nil {
		opt.Transport = NewTransport(TransportOptions{})
	}
	s := &Server{
		opt:     opt,
		log:     opt.Logger,
		basePth: strings.TrimSuffix(opt.Kibana.Path, "/"),
		now:     time.Now,
	}
	s.gp = s.newGoproxy()
	return s, nil
}

// ServeHTTP is the front handler. goproxy is a forward proxy first: it
// would tunnel CONNECT and absolute-form requests to any host, so those are
// refused here before goproxy sees anything, and every request goproxy
// handles is rebuilt by kshare with the configured upstream.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw := rawPath(r.RequestURI)
	switch {
	case r.Method == http.MethodConnect || raw == "":
		s.refuse(w, r, "", refBadRequest, "absolute-form or CONNECT")
		return
	case r.Method == http.MethodTrace || r.Method == "TRACK":
		s.refuse(w, r, "", refMethod, "trace")
		return
	case r.Header.Get("Upgrade") != "" || r.Header.Get("Http2-Settings") != "":
		s.refuse(w, r, "", refBadRequest, "upgrade")
		return
	}
	if tok, rest, ok := splitShare(raw, s.opt.SharePrefix); ok {
		s.serveShare(w, r, tok, rest)
		return
	}
	s.serveRoot(w, r, raw)
}

// serveShare handles everything under <prefix>/<token>. Order matters: the
// share comes from the raw path, the rest is canonicalised once, the policy
// decides on that canonical form, and exactly that form is forwarded.
func (s *Server) serveShare(w http.ResponseWriter, r *http.Request, rawTok, rest string) {
	ctx := r.Context()
	if rawTok == "-" {
		s.serveOwn(w, r, rest)
		return
	}

	// Phase 1: the share.
	tok, err := tokens.ParseToken(rawTok)
	var sh tokens.Share
	if err == nil {
		sh, err = s.lookup(ctx, tok)
	}
	if err != nil {
		s.refuse(w, r, rest, storeRefusal(err), "lookup", slog.String(keyShare, tok.ID))
		return
	}
	base := s.opt.SharePrefix + "/" + tok.String()

	// Phase 2: the canonical path and query.
	c, err := canonicalize(orSlash(rest))
	if err != nil {
		s.refuse(w, r, "", pathRefusal(err), "path", slog.String(keyShare, sh.ID))
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		s.refuse(w, r, c.escaped, refBadRequest, "query", slog.String(keyShare, sh.ID))
		return
	}
	line, err := s.opt.Lines.Line(ctx)
	if err != nil {
		s.refuse(w, r, c.escaped, kibanaRefusal(err), "line", slog.String(keyShare, sh.ID))
		return
	}

	// Phase 3: decide.
	if c.escaped == "/" {
		s.serveEntry(w, r, &sh, base, line)
		return
	}
	if r.Method == http.MethodOptions {
		s.answerOptions(w)
		return
	}
	ru, ok := match(shareRules, line, &sh, r.Method, c, q)
	if !ok && s.reporting(sh.ID) && !alwaysDangerous(r.Method, c) {
		s.reportForward(r, sh.ID, c, "default deny", "")
		ru, ok = rule{name: "report mode", act: actForward}, true
	}
	if !ok {
		s.refuse(w, r, c.escaped, refForbidden, "policy", slog.String(keyShare, sh.ID))
		return
	}
	rq := &request{
		share: &sh, base: base, line: line, rule: ru.name, canon: c, query: q,
		upstreamPath: s.basePth + kbn.SpacePath(sh.Space) + c.escaped,
		page:         ru.act == actPage,
		json:         wantsJSON(r, c.escaped),
		respRewrite:  ru.resp,
		search:       ru.search,
	}
	if f, ok := s.readBody(r, rq); !ok {
		s.refuse(w, r, c.escaped, f, "body", slog.String(keyShare, sh.ID))
		return
	}
	if f, why, ok := s.checkClosure(ctx, rq, ru); !ok {
		if f.reason == refForbidden.reason && s.reporting(sh.ID) {
			// A read outside the closure: forwarded and logged, so a team
			// sees what its dashboards read.
			s.reportForward(r, sh.ID, c, ru.name, why)
			rq.respRewrite = ""
		} else {
			s.refuse(w, r, c.escaped, f, why, slog.String(keyShare, sh.ID), slog.String(keyRule, ru.name))
			return
		}
	}
	if ru.search == "bsearch" {
		s.bsearchCompression(r, rq)
	}
	if f, why, ok := s.checkSearch(ctx, rq, ru); !ok {
		s.refuse(w, r, c.escaped, f, why, slog.String(keyShare, sh.ID), slog.String(keyRule, ru.name))
		return
	}
	if ru.act == actLocal {
		s.answerLocal(w, r, ru, rq)
		return
	}

	// Phase 4: forward exactly the canonical path.
	s.forward(w, r, rq)
}

// checkClosure runs a rule's guard against the share's closure. The
// closure is loaded for every rule that needs it (guards, answer checks,
// local data view listings and the bootstrap page's default data view).
func (s *Server) checkClosure(ctx context.Context, rq *request, ru rule) (refusal, string, bool) {
	if !ru.needsClosure() || s.opt.Closures == nil {
		return refusal{}, "", true
	}
	cl, err := s.closureOf(ctx, rq.share)
	if err != nil {
		return kibanaRefusal(err), "closure", false
	}
	rq.closure = cl
	if ru.guard == "" {
		return refusal{}, "", true
	}
	if err := guards[ru.guard](cl, rq.canon.segments, rq.query, rq.body); err != nil {
		return guardRefusal(err), "closure: " + err.Error(), false
	}
	return refusal{}, "", true
}

// lookupTimeout bounds a share lookup: with Redis down, go-redis retries
// for seconds, and a refusal (503) beats a hanging page.
const lookupTimeout = 2 * time.Second

func (s *Server) lookup(ctx context.Context, tok tokens.Token) (tokens.Share, error) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	return s.opt.Store.Lookup(ctx, tok)
}

// serveRoot handles requests outside every share path: only the static
// allow-list, forwarded without credentials. Kibana's bootstrap code asks
// for bundles under its own server.basePath, which is stripped before
// matching and put back when forwarding.
func (s *Server) serveRoot(w http.ResponseWriter, r *http.Request, raw string) {
	if s.basePth != "" {
		var found bool
		if raw, found = strings.CutPrefix(raw, s.basePth+"/"); !found {
			s.refuse(w, r, "", refNotFound, "outside base path")
			return
		}
		raw = "/" + raw
	}
	c, err := canonicalize(raw)
	if err != nil {
		s.refuse(w, r, "", pathRefusal(err), "path")
		return
	}
	line, err := s.opt.Lines.Line(r.Context())
	if err != nil {
		s.refuse(w, r, c.escaped, kibanaRefusal(err), "line")
		return
	}
	ru, ok := match(rootRules, line, nil, r.Method, c, nil)
	if !ok {
		s.refuse(w, r, c.escaped, refNotFound, "not static")
		return
	}
	s.forward(w, r, &request{
		line: line, rule: ru.name, canon: c, static: true,
		upstreamPath: s.basePth + c.escaped,
		rawQuery:     r.URL.RawQuery,
	})
}

// serveOwn answers kshare's own endpoints under <prefix>/-/.
func (s *Server) serveOwn(w http.ResponseWriter, r *http.Request, rest string) {
	switch rest {
	case "/healthz":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		setShareHeaders(w.Header())
		_, _ = w.Write([]byte("ok\n"))
	default:
		s.refuse(w, r, rest, refNotFound, "own")
	}
}

func (s *Server) answerOptions(w http.ResponseWriter) {
	// OPTIONS is answered here on purpose: kshare grants no CORS, so there
	// is nothing for Kibana to say.
	setShareHeaders(w.Header())
	w.Header().Set("Allow", "GET, HEAD, POST, PUT, DELETE, OPTIONS")
	w.WriteHeader(http.StatusNoContent)
}

// refuse answers with a refusal and logs why. path must be canonical (it
// never holds the token).
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, path string, f refusal,
	why string, attrs ...slog.Attr) {
	attrs = append(attrs, slog.String(keyMethod, r.Method), slog.String(keyPath, path),
		slog.Int(keyStatus, f.status), slog.String(keyReason, f.reason), slog.String(keyDetail, why))
	s.log.LogAttrs(r.Context(), slog.LevelDebug, "request refused", attrs...)
	s.opt.Metrics.refused(f.reason)
	f.write(w, wantsJSON(r, path))
}

// reportForward logs a request report mode forwards although enforce mode
// would refuse it: share, method, canonical path and the rule that refuses.
func (s *Server) reportForward(r *http.Request, shareID string, c canonical, rule, why string) {
	s.log.LogAttrs(r.Context(), slog.LevelWarn, "report mode: forwarding a request enforce mode refuses",
		slog.String(keyShare, shareID), slog.String(keyMethod, r.Method),
		slog.String(keyPath, c.escaped), slog.String(keyRule, rule), slog.String(keyDetail, why))
	s.opt.Metrics.refused("report_forwarded")
}

func (s *Server) reporting(shareID string) bool {
	return s.opt.Report && (s.opt.ReportShare == "" || s.opt.ReportShare == shareID)
}

func orSlash(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

func storeRefusal(err error) refusal {
	switch {
	case errors.Is(err, tokens.ErrPaused):
		return refPaused
	case errors.Is(err, tokens.ErrUnavailable):
		return refStoreDown
	default:
		return refUnknown
	}
}

func pathRefusal(err error) refusal {
	if errors.Is(err, errPathTooLong) {
		return refTooLong
	}
	return refBadRequest
}

func kibanaRefusal(err error) refusal {
	switch {
	case errors.Is(err, kbn.ErrUnauthorized):
		return refKibanaAuth
	case errors.Is(err, kbn.ErrNotFound):
		return refObjectGone
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return refKibanaSlow
	default:
		return refKibanaDown
	}
}

func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}

// bsearchCompression notes whether the browser asked for compressed bsearch
// lines (7.16+ ?compress=true, 7.11–7.15 X-Chunk-Encoding: deflate) and
// drops the query parameter, so Kibana answers plain lines kshare can read;
// the header is never forwarded.
func (s *Server) bsearchCompression(r *http.Request, rq *request) {
	if rq.query.Get("compress") == "true" || strings.EqualFold(r.Header.Get("X-Chunk-Encoding"), "deflate") {
		rq.compress = true
	}
	rq.query.Del("compress")
}
