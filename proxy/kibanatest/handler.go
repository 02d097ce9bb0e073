package kibanatest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// basis is what New derives once from the fixtures and the options.
type basis struct {
	page        []byte            // page template with versions filled in
	pageHeaders map[string]string // headers.json entry of the line
	global      map[string]string // the subset sent on every response
	objects     []map[string]any
	spaces      []string // "default" first
	spaceSet    map[string]bool
	mainVis     string
}

// spaceID is the spaces plugin's id rule (kibana-ui.md §1.6).
var spaceID = regexp.MustCompile(`^[a-z0-9_\-]+$`)

func newBasis(p *profile, o Options) (*basis, error) {
	page, err := p.pageTemplate()
	if err != nil {
		return nil, err
	}
	ph, err := p.pageHeaders()
	if err != nil {
		return nil, err
	}
	objs, err := p.loadExports()
	if err != nil {
		return nil, err
	}
	b := &basis{page: page, pageHeaders: ph, global: map[string]string{}, objects: objs,
		spaces: []string{defaultSpace}, spaceSet: map[string]bool{defaultSpace: true}}
	for _, name := range globalHeaderNames {
		if v, ok := ph[name]; ok {
			b.global[name] = v
		}
	}
	for _, sp := range o.Spaces {
		if !spaceID.MatchString(sp) {
			return nil, fmt.Errorf("space id %q: want %s", sp, spaceID)
		}
		if !b.spaceSet[sp] {
			b.spaces = append(b.spaces, sp)
			b.spaceSet[sp] = true
		}
	}
	if b.mainVis = mainVisualization(objs, p.main); b.mainVis == "" {
		return nil, fmt.Errorf("dashboard %s: no visualization panel in fixtures", p.main)
	}
	return b, nil
}

// mainVisualization finds the first visualization panel of the dashboard:
// from its references (7.0+ stores panel ids there) or, for 6.x objects
// without references, from panelsJSON.
func mainVisualization(objs []map[string]any, dashboard string) string {
	for _, o := range objs {
		if str(o["type"]) != "dashboard" || str(o["id"]) != dashboard {
			continue
		}
		refs, _ := o["references"].([]any)
		for _, r := range refs {
			ref, _ := r.(map[string]any)
			if str(ref["type"]) == "visualization" {
				return str(ref["id"])
			}
		}
		panels, _ := jsonString(attrs(o)["panelsJSON"])
		list, _ := panels.([]any)
		for _, p := range list {
			pm, _ := p.(map[string]any)
			if str(pm["type"]) == "visualization" {
				return str(pm["id"])
			}
		}
	}
	return ""
}

// reqPath is a request path taken apart the way Kibana does: server.basePath
// first, then the spaces prefix /s/<id> (kibana-ui.md §1.6).
type reqPath struct {
	raw     string // escaped path as received
	inBase  bool   // raw is under Options.BasePath
	space   string // see Request.Space
	prefix  bool   // the path carried /s/<id>
	known   bool   // the space exists and is reachable
	rest    string // escaped path after base path and space, at least "/"
	reqBase string // the request's base path: server base path plus space
}

func (s *Server) parsePath(r *http.Request) reqPath {
	rp := reqPath{raw: rawPath(r)}
	base := s.opts.BasePath
	if rp.raw != base && !strings.HasPrefix(rp.raw, base+"/") {
		return rp
	}
	rp.inBase, rp.space, rp.rest = true, defaultSpace, rp.raw[len(base):]
	if id, rest, ok := cutSpace(rp.rest); ok {
		rp.space, rp.rest, rp.prefix = id, rest, true
	}
	if rp.rest == "" {
		rp.rest = "/"
	}
	rp.known = s.basis.spaceSet[rp.space] && (!rp.prefix || s.prof.hasSpaces())
	rp.reqBase = base
	if rp.space != defaultSpace {
		// The default space never gets a prefix, even when asked for as
		// /s/default (spaces plugin addSpaceIdToPath).
		rp.reqBase += "/s/" + rp.space
	}
	return rp
}

// cutSpace splits "/s/<id>/rest" into id and "/rest".
func cutSpace(p string) (id, rest string, ok bool) {
	after, found := strings.CutPrefix(p, "/s/")
	if !found {
		return "", "", false
	}
	id, rest, _ = strings.Cut(after, "/")
	if !spaceID.MatchString(id) {
		return "", "", false
	}
	if rest != "" || strings.HasSuffix(after, "/") {
		rest = "/" + rest
	}
	return id, rest, true
}

// rawPath is the path part of the request line, still escaped.
func rawPath(r *http.Request) string {
	p, _, _ := strings.Cut(r.RequestURI, "?")
	if !strings.HasPrefix(p, "/") {
		return r.URL.EscapedPath() // absolute-form request line
	}
	return p
}

// ServeHTTP answers one request. It reads top to bottom in Kibana's own
// order: record, base path and space, authentication, the pre-route header
// checks, then the route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Record before anything can refuse the request.
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	rp := s.parsePath(r)
	s.record(r, body, rp)
	if !s.wait(r.Context()) {
		return
	}
	c := &call{s: s, w: w, r: r, body: body, rp: rp}
	for k, v := range s.basis.global {
		w.Header().Set(k, v)
	}

	// Forced answers come first so a test can break any path.
	if code := s.forced(rp); code != 0 {
		c.fail(code, forcedMessage(code))
		return
	}

	// Outside server.basePath, or in a space that does not exist.
	if !rp.inBase || !rp.known {
		c.notFound()
		return
	}

	// Static files and the login page need no authentication.
	if s.servePublic(c) {
		return
	}
	if !s.authenticate(c) {
		return
	}
	if !s.checkHeaders(c) {
		return
	}
	s.route(c)
}

func (s *Server) record(r *http.Request, body []byte, rp reqPath) {
	req := Request{
		Method: r.Method, Path: rp.raw, RawQuery: r.URL.RawQuery, Host: r.Host,
		Header: r.Header.Clone(), Body: bytes.Clone(body), Space: rp.space,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, req)
}

// wait applies SetDelay; it reports false if the client left meanwhile.
func (s *Server) wait(ctx context.Context) bool {
	s.mu.Lock()
	d := s.delay
	s.mu.Unlock()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// forced returns the SetStatus code for the request, or 0.
func (s *Server) forced(rp reqPath) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.status) == 0 {
		return 0
	}
	cands := []string{rp.raw}
	if rp.inBase {
		cands = append(cands, strings.TrimPrefix(rp.raw, s.opts.BasePath), rp.rest)
	}
	for _, p := range cands {
		if code, ok := s.status[p]; ok {
			return code
		}
	}
	return 0
}

func forcedMessage(code int) string {
	if code >= 500 {
		return "An internal server error occurred." // hapi's text for 5xx
	}
	return http.StatusText(code)
}

// call is one request on its way through the handlers.
type call struct {
	s    *Server
	w    http.ResponseWriter
	r    *http.Request
	body []byte
	rp   reqPath
	vars map[string]string // route parameters
	user principal
}

// json writes v as JSON the way Node's JSON.stringify does (no HTML
// escaping).
func (c *call) json(code int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		c.s.tb.Errorf("kibanatest: encode answer for %s: %v", c.rp.raw, err)
		code, buf = http.StatusInternalServerError, *bytes.NewBufferString("{}")
	}
	c.bytes(code, "application/json; charset=utf-8", bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

func (c *call) bytes(code int, ctype string, b []byte) {
	h := c.w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", fmt.Sprint(len(b)))
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "private, no-cache, no-store, must-revalidate")
	}
	c.w.WriteHeader(code)
	if c.r.Method != http.MethodHead {
		c.w.Write(b) //nolint:errcheck // the client may have gone
	}
}

// kibanaError is the Boom error body Kibana sends for every refusal.
type kibanaError struct {
	StatusCode int            `json:"statusCode"`
	Error      string         `json:"error"`
	Message    string         `json:"message"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

func errBody(code int, msg string) kibanaError {
	return kibanaError{StatusCode: code, Error: http.StatusText(code), Message: msg}
}

func (c *call) fail(code int, msg string) { c.json(code, errBody(code, msg)) }

func (c *call) notFound() { c.fail(http.StatusNotFound, "Not Found") }

func (c *call) badRequest(msg string) { c.fail(http.StatusBadRequest, msg) }

// redirect sends a 302 (or code) to a path that already carries the base.
func (c *call) redirect(code int, location string) {
	c.w.Header().Set("Location", location)
	c.w.Header().Set("Cache-Control", "private, no-cache, no-store, must-revalidate")
	c.w.WriteHeader(code)
}

// acceptsGzip reports whether Accept-Encoding allows gzip (a q=0 entry
// forbids it).
func acceptsGzip(r *http.Request) bool {
	ok := false
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		if q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000" {
			if name == "gzip" {
				return false
			}
			continue
		}
		ok = true
	}
	return ok
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b) //nolint:errcheck // writes to memory
	zw.Close()  //nolint:errcheck // writes to memory
	return buf.Bytes()
}
