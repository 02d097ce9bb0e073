// Package kibanatest runs a Kibana (or OpenSearch Dashboards) stand-in for
// tests: an HTTP server that answers the way one Kibana line does for the
// requests a shared dashboard needs, built from the fixture pack in testdata/.
//
// It serves the line's real-shaped bootstrap page (with the metadata base
// path and asset URLs a real server would render for the request's base path
// and space), static bundles, saved objects from real exports, search
// endpoints and the bootstrap reads of core plugins, and it enforces what
// Kibana enforces: server.basePath, spaces, authentication, the XSRF and
// version headers and, on 9.x, the internal-origin header
// (kibana-api.md §1.9). Every request is recorded, so a test can assert what
// did and did not reach Kibana.
//
// Section numbers in comments refer to /work/shared/reference/kibana-api.md
// and kibana-ui.md (copied facts only; no Kibana code).
package kibanatest

import (
	"bytes"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kshare/kshare/proxy/kbn"
)

// Options configures a stand-in.
type Options struct {
	// Line is the Kibana line to imitate. Required; it must be one of
	// kbn.Lines().
	Line kbn.Line
	// BasePath is Kibana's server.basePath (with rewriteBasePath on), e.g.
	// "/kibana". Empty means none. Requests outside it get 404.
	BasePath string
	// Username and Password, if Username is set, are the basic-auth
	// credentials every non-static request must carry.
	Username, Password string
	// APIKey, if set, is accepted as "Authorization: ApiKey <APIKey>".
	APIKey string
	// Spaces are extra spaces besides "default", reachable under /s/<id>.
	// Each holds its own copy of the same saved objects (same ids).
	// OpenSearch Dashboards has no spaces, so for OSD they stay unreachable.
	Spaces []string
	// Settings are user-set advanced settings (the same in every space), e.g.
	// {"dateFormat:tz": "Europe/Berlin"}; /api/kibana/settings returns them.
	Settings map[string]any
}

// Request is one request as the stand-in received it, recorded before any
// check could refuse it.
type Request struct {
	Method string
	// Path is the escaped path exactly as received, base path and space
	// prefix included.
	Path     string
	RawQuery string      // query without "?", still escaped
	Host     string      // the Host header the client sent
	Header   http.Header // a copy of every request header
	Body     []byte      // the whole body, as sent (not decompressed)
	// Space is "default" for paths under the base path without /s/<id>, the
	// id for /s/<id>/… (known or not), and "" outside the base path.
	Space string
}

// Auth modes for SetAuthMode.
const (
	// AuthMode401 answers missing or bad credentials like Kibana's security
	// plugin: 401 JSON for API calls, 302 to the login page for pages.
	AuthMode401 = "401"
	// AuthModeLoginRedirect answers them with 302 to the login page on every
	// path that needs authentication, API calls included.
	AuthModeLoginRedirect = "login-redirect"
)

// DefaultStreamDelay is the pause between two bsearch result lines.
const DefaultStreamDelay = 50 * time.Millisecond

// DefaultSearchTotal is the hits.total every search answer reports; it is
// the order count of the eCommerce sample data in es-standin.
const DefaultSearchTotal = 4675

// Server is a running stand-in. Its methods are safe for concurrent use,
// except that New, SetDown and the test-failing helpers must be called from
// the test's goroutine.
type Server struct {
	// URL is scheme://host:port, without the base path.
	URL string

	tb    testing.TB
	opts  Options
	prof  *profile
	basis *basis // immutable data derived from fixtures and options
	table router // the line's routes

	mu          sync.Mutex
	addr        string
	hs          *http.Server
	reqs        []Request
	delay       time.Duration
	streamDelay time.Duration
	searchTotal int
	status      map[string]int
	authMode    string
	store       *store
	settings    map[string]map[string]any // space → user settings
	asyncSeq    int
	closed      bool
	appBody     []byte // SetAppBody; nil keeps the line's own body
}

// New starts a stand-in for o.Line and closes it when the test ends.
func New(tb testing.TB, o Options) *Server {
	tb.Helper()
	prof, err := newProfile(o.Line)
	if err != nil {
		tb.Fatalf("kibanatest: %v", err)
	}
	o.BasePath = strings.TrimSuffix(o.BasePath, "/")
	b, err := newBasis(prof, o)
	if err != nil {
		tb.Fatalf("kibanatest: %v", err)
	}
	s := &Server{
		tb: tb, opts: o, prof: prof, basis: b,
		streamDelay: DefaultStreamDelay, searchTotal: DefaultSearchTotal,
		status: map[string]int{}, authMode: AuthMode401,
		store: newStore(b.objects, b.spaces), settings: newSettings(b.spaces, o.Settings),
	}
	s.table = s.buildRoutes()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("kibanatest: listen: %v", err)
	}
	s.addr = ln.Addr().String()
	s.URL = "http://" + s.addr
	s.serve(ln)
	tb.Cleanup(s.Close)
	return s
}

// serve starts a fresh http.Server on ln; an http.Server cannot be reused
// after Close, which SetDown needs.
func (s *Server) serve(ln net.Listener) {
	hs := &http.Server{
		Handler:  s,
		ErrorLog: log.New(io.Discard, "", 0), // client hang-ups are expected in tests
	}
	s.hs = hs
	go hs.Serve(ln) //nolint:errcheck // returns ErrServerClosed on Close
}

// Close stops the server and drops open connections. It is idempotent and is
// registered with t.Cleanup by New.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.hs != nil {
		s.hs.Close()
		s.hs = nil
	}
}

// Requests returns a copy of every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.reqs))
	for i, r := range s.reqs {
		r.Header = r.Header.Clone()
		r.Body = bytes.Clone(r.Body)
		out[i] = r
	}
	return out
}

// Reset forgets the recorded requests. Saved objects, settings and the
// Set* switches stay as they are.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = nil
}

// SetDelay makes the server wait d before answering anything (a slow
// Kibana). The wait ends early if the client goes away.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// SetStreamDelay sets the pause between bsearch result lines
// (DefaultStreamDelay unless changed).
func (s *Server) SetStreamDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.streamDelay = d
}

// SetSearchTotal sets the hits.total that search answers report.
func (s *Server) SetSearchTotal(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.searchTotal = n
}

// SetDown(true) closes the listener and open connections, so new connections
// are refused; SetDown(false) listens again on the same address, so URL stays
// valid. Requests are not recorded while down: they never arrive.
func (s *Server) SetDown(down bool) {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	switch {
	case down && s.hs != nil:
		s.hs.Close()
		s.hs = nil
	case !down && s.hs == nil:
		ln, err := listenAgain(s.addr)
		if err != nil {
			s.tb.Fatalf("kibanatest: listen again on %s: %v", s.addr, err)
		}
		s.serve(ln)
	}
}

// listenAgain retries briefly: the port is ours, but the old socket may take
// a moment to be released.
func listenAgain(addr string) (net.Listener, error) {
	var err error
	for range 50 {
		var ln net.Listener
		if ln, err = net.Listen("tcp", addr); err == nil {
			return ln, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil, err
}

// SetStatus forces the answer code for one path (code 0 removes the rule).
// path may be given as received (base path and space included), relative to
// the base path, or relative to the space, e.g. "/api/status". The answer is
// a Kibana-shaped JSON error, sent before authentication is checked.
func (s *Server) SetStatus(path string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == 0 {
		delete(s.status, path)
		return
	}
	s.status[path] = code
}

// SetAuthMode selects how missing or bad credentials are answered:
// AuthMode401 (default) or AuthModeLoginRedirect. It matters only when
// Options.Username or Options.APIKey is set; static files and the login page
// stay open in both modes.
func (s *Server) SetAuthMode(mode string) {
	s.tb.Helper()
	if mode != AuthMode401 && mode != AuthModeLoginRedirect {
		s.tb.Fatalf("kibanatest: unknown auth mode %q", mode)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authMode = mode
}

// SetAppBody makes bootstrap pages carry body in place of what follows the
// injected metadata element (the loading screen and the boot scripts); the
// head, the metadata and the headers stay the line's own. The stand-in has
// no Kibana UI code, so this is how a browser test gets kshare to rewrite
// and serve a page that draws something, such as a chrome DOM replica. Nil
// restores the line's own body. Test-only; a real Kibana has no such switch.
func (s *Server) SetAppBody(body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appBody = bytes.Clone(body)
}

// Version returns the version the server reports, e.g. "7.10.2".
func (s *Server) Version() string { return s.prof.version }

// BuildNumber returns the build number, e.g. 36136 for 7.10.2.
func (s *Server) BuildNumber() int { return s.prof.buildNum }

// BuildSHA returns the full build SHA of the line's page.
func (s *Server) BuildSHA() string { return s.prof.buildSHA }

// AssetPrefix returns the cache-busting path prefix of bundles and (8.12+)
// static files, e.g. "/36136" or "/7f9c3a1d2e4b"; "" on 6.8, whose bundles
// live under /bundles/.
func (s *Server) AssetPrefix() string { return s.prof.assetPrefix }

// Line returns the line the server imitates.
func (s *Server) Line() kbn.Line { return s.prof.line }

// DashboardID returns the id of the line's main fixture dashboard.
func (s *Server) DashboardID() string { return s.prof.main }

// VisualizationID returns the id of a visualization panel of that dashboard.
func (s *Server) VisualizationID() string { return s.basis.mainVis }

// DeleteObject removes a saved object from one space ("" or "default" for
// the default space), e.g. to test a share whose object was deleted.
func (s *Server) DeleteObject(space, typ, id string) {
	s.tb.Helper()
	if !s.store.delete(normSpace(space), typ, id) {
		s.tb.Fatalf("kibanatest: delete %s/%s in space %q: no such object", typ, id, space)
	}
}

// SetObjectAttr sets one attribute of a saved object in one space, e.g.
// "timeFrom" to "now-30d", and stamps updated_at as Kibana would.
func (s *Server) SetObjectAttr(space, typ, id, attr string, v any) {
	s.tb.Helper()
	if !s.store.setAttr(normSpace(space), typ, id, attr, v) {
		s.tb.Fatalf("kibanatest: set %s on %s/%s in space %q: no such object",
			attr, typ, id, space)
	}
}

// PutObject adds or replaces a saved object in one space: obj holds
// "type", "id", "attributes" and "references" as an export does. Tests use
// it for object kinds the fixtures lack (Lens, maps).
func (s *Server) PutObject(space string, obj map[string]any) {
	s.tb.Helper()
	if str(obj["type"]) == "" || str(obj["id"]) == "" {
		s.tb.Fatalf("kibanatest: put object without type or id")
	}
	if !s.store.put(normSpace(space), obj) {
		s.tb.Fatalf("kibanatest: put %s/%s: no space %q", str(obj["type"]), str(obj["id"]), space)
	}
}

func normSpace(space string) string {
	if space == "" {
		return defaultSpace
	}
	return space
}
