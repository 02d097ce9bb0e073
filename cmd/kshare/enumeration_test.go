package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kshare/kshare/config"
	"github.com/kshare/kshare/proxy/closure"
	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/proxy/kibanatest"
)

// The enumeration suite takes every Kibana route of testdata/routes.tsv
// (kibana-api.md §1.2–1.9 and §7, and route registrations in Kibana's and
// OpenSearch Dashboards' own source), sends it in every method that
// matters and in every spelling of its path a proxy could get wrong, at
// kshare's root and under a live share, and checks what reached the
// Kibana stand-in. The classes of the table say what may reach it: under a
// share only what the shared dashboard needs, at the root only static
// files, and nothing that writes or is dangerous, ever.

// routeClass says what a route is to a recipient of a shared dashboard.
type routeClass string

const (
	classNeeded    routeClass = "read-needed" // the dashboard's own rendering needs it
	classOther     routeClass = "read-other"  // a read the dashboard does not need
	classWrite     routeClass = "write"
	classDangerous routeClass = "dangerous" // raw ES, exports, security, sessions, settings, …
)

// route is one row of testdata/routes.tsv.
type route struct {
	method, template, lines, source string
	class                           routeClass
	on                              func(kbn.Line) bool
}

var (
	routeMethods = map[string]bool{"GET": true, "POST": true, "PUT": true, "DELETE": true,
		"PATCH": true}
	routeClasses = map[routeClass]bool{classNeeded: true, classOther: true, classWrite: true,
		classDangerous: true}
	// A source names a repository and a path in it, or a reference section.
	sourceRE = regexp.MustCompile(`^([\w.-]+/[\w.-]+:\S+|ref §\d)`)
)

// loadRoutes reads and checks the route table.
func loadRoutes(t *testing.T) []route {
	t.Helper()
	f, err := os.Open("testdata/routes.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []route
	seen := map[string]int{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r, err := parseRoute(line)
		if err != nil {
			t.Fatalf("routes.tsv:%d: %v", n, err)
		}
		key := r.method + " " + r.template + " " + r.lines
		if prev, dup := seen[key]; dup {
			t.Fatalf("routes.tsv:%d: %s repeats line %d", n, key, prev)
		}
		seen[key] = n
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func parseRoute(line string) (route, error) {
	f := strings.Split(line, "\t")
	if len(f) != 5 {
		return route{}, fmt.Errorf("%d fields, want 5 (method, path, lines, class, source)", len(f))
	}
	r := route{method: f[0], template: f[1], lines: f[2], class: routeClass(f[3]), source: f[4]}
	switch {
	case !routeMethods[r.method]:
		return r, fmt.Errorf("method %q", r.method)
	case !strings.HasPrefix(r.template, "/"):
		return r, fmt.Errorf("path %q does not start with /", r.template)
	case !routeClasses[r.class]:
		return r, fmt.Errorf("class %q", r.class)
	case !sourceRE.MatchString(r.source):
		return r, fmt.Errorf("source %q names no repository path or reference section", r.source)
	}
	var err error
	r.on, err = parseLines(r.lines)
	return r, err
}

// parseLines reads a lines column: comma-separated tokens, each "all",
// "kibana", "osd", a Kibana version "7.10", an open range "8.13+" or a
// closed range "7.10-7.17" (compared on major.minor).
func parseLines(spec string) (func(kbn.Line) bool, error) {
	var preds []func(kbn.Line) bool
	for _, tok := range strings.Split(spec, ",") {
		p, err := lineToken(tok)
		if err != nil {
			return nil, fmt.Errorf("lines %q: %w", spec, err)
		}
		preds = append(preds, p)
	}
	return func(l kbn.Line) bool {
		for _, p := range preds {
			if p(l) {
				return true
			}
		}
		return false
	}, nil
}

func lineToken(tok string) (func(kbn.Line) bool, error) {
	switch tok {
	case "all":
		return func(kbn.Line) bool { return true }, nil
	case "kibana":
		return func(l kbn.Line) bool { return !l.OSD }, nil
	case "osd":
		return func(l kbn.Line) bool { return l.OSD }, nil
	}
	lo, hi, isRange := strings.Cut(tok, "-")
	open := strings.HasSuffix(tok, "+")
	if open {
		lo = strings.TrimSuffix(tok, "+")
	}
	from, err := versionKey(lo)
	if err != nil {
		return nil, err
	}
	to := from
	switch {
	case open:
		to = 1 << 30
	case isRange:
		if to, err = versionKey(hi); err != nil {
			return nil, err
		}
	}
	return func(l kbn.Line) bool {
		v := l.Major*1000 + l.Minor
		return !l.OSD && v >= from && v <= to
	}, nil
}

// versionKey turns "7.10" into 7010, which orders like the version.
func versionKey(v string) (int, error) {
	maj, min, ok := strings.Cut(v, ".")
	a, err1 := strconv.Atoi(maj)
	b, err2 := strconv.Atoi(min)
	if !ok || err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bad version %q", v)
	}
	return a*1000 + b, nil
}

// TestEnumerationRouteTable checks the inventory itself and logs what it
// holds by class and by source.
func TestEnumerationRouteTable(t *testing.T) {
	routes := loadRoutes(t)
	if len(routes) < 300 {
		t.Fatalf("routes.tsv holds %d routes, want at least 300", len(routes))
	}
	byClass, bySource := map[routeClass]int{}, map[string]int{}
	for _, r := range routes {
		byClass[r.class]++
		bySource[sourceKind(r.source)]++
		if !anyLine(r) {
			t.Errorf("%s %s: lines %q match no line kshare supports", r.method, r.template, r.lines)
		}
	}
	t.Logf("%d routes; by class %v; by source %v", len(routes), byClass, bySource)
}

// sourceKind is the repository a source cites, or "reference".
func sourceKind(s string) string {
	if strings.HasPrefix(s, "ref ") {
		return "reference"
	}
	repo, _, _ := strings.Cut(s, ":")
	return repo
}

func anyLine(r route) bool {
	for _, l := range kbn.Lines() {
		if r.on(l) {
			return true
		}
	}
	return false
}

// variant is one spelling of a canonical path. refuse marks spellings
// kshare must refuse whatever the route: it refuses, rather than
// normalises, what Kibana could read differently (proxy/path.go), and it
// matches routes exactly (case, trailing slash, no client-chosen space or
// base path).
type variant struct {
	name   string
	refuse bool
	spell  func(canon string) string
}

var variants = []variant{
	{"as-is", false, func(p string) string { return p }},
	{"double slash", false, func(p string) string { return splice(p, "//") }},
	{"escaped letter", false, escapeLetter},
	{"dot segment", true, func(p string) string { return splice(p, "/./") }},
	{"dot-dot segment", true, func(p string) string { return splice(p, "/x/../") }},
	{"escaped slash", true, func(p string) string { return splice(p, "%2F") }},
	{"escaped dot", true, func(p string) string { return splice(p, "/%2e/") }},
	{"escaped dot-dot", true, func(p string) string { return splice(p, "/x/%2E%2e/") }},
	{"escaped backslash", true, func(p string) string { return splice(p, "%5C") }},
	{"backslash", true, func(p string) string { return splice(p, `\`) }},
	{"upper case", true, upperSegment},
	{"trailing slash", true, func(p string) string { return p + "/" }},
	{"own space prefix", true, func(p string) string { return "/s/team" + p }},
	{"other space prefix", true, func(p string) string { return "/s/other" + p }},
	{"base path prefix", true, func(p string) string { return "/kibana" + p }},
	{"NUL", true, func(p string) string { return splice(p, "%00/") }},
	{"over-long", true, func(p string) string { return p + "/" + strings.Repeat("a", 5000) }},
}

// outsideBase is the extra root spelling of a Kibana with a base path:
// the path without it.
var outsideBase = variant{"outside base path", true, func(p string) string { return p }}

// splice puts sep where the first and second segments of p meet, or
// before the only segment.
func splice(p, sep string) string {
	if i := strings.Index(p[1:], "/"); i >= 0 {
		return p[:i+1] + sep + p[i+2:]
	}
	return "/" + strings.TrimPrefix(sep, "/") + p[1:]
}

// escapeLetter percent-encodes the first letter of p: "/api" → "/%61pi".
func escapeLetter(p string) string {
	for i := 0; i < len(p); i++ {
		if c := p[i]; 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' {
			return p[:i] + fmt.Sprintf("%%%02x", c) + p[i+1:]
		}
	}
	return p
}

// upperSegment upper-cases the first segment that has a letter.
func upperSegment(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if u := strings.ToUpper(s); u != s {
			segs[i] = u
			break
		}
	}
	return strings.Join(segs, "/")
}

// expectedCanonical computes, independently of proxy/path.go, the path
// kshare must forward for a raw path: empty segments dropped, escapes of
// unreserved characters decoded, other escapes kept in upper case. ok is
// false for a path that must be refused: over-long, control, non-ASCII or
// backslash bytes, broken escapes, escaped slashes, backslashes or control
// bytes, and dot segments in any spelling.
func expectedCanonical(raw string) (string, bool) {
	if len(raw) > 4096 || !strings.HasPrefix(raw, "/") {
		return "", false
	}
	var b strings.Builder
	for _, seg := range strings.Split(raw, "/") {
		if seg == "" {
			continue
		}
		dec, ok := decodeUnreserved(seg)
		if !ok || dec == "." || dec == ".." {
			return "", false
		}
		b.WriteString("/" + dec)
	}
	if b.Len() == 0 || strings.HasSuffix(raw, "/") {
		b.WriteString("/")
	}
	return b.String(), true
}

func decodeUnreserved(seg string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if c <= ' ' || c >= 0x7f || c == '\\' {
			return "", false
		}
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(seg) {
			return "", false
		}
		v, err := strconv.ParseUint(seg[i+1:i+3], 16, 8)
		if err != nil {
			return "", false
		}
		i += 2
		switch d := byte(v); {
		case d < ' ' || d == 0x7f || d == '/' || d == '\\':
			return "", false
		case isUnreserved(d):
			b.WriteByte(d)
		default:
			b.WriteString(strings.ToUpper(seg[i-2 : i+1]))
		}
	}
	return b.String(), true
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// enumCase is one Kibana set-up the sweep runs against.
type enumCase struct {
	name     string
	line     kbn.Line
	basePath string
	space    string // the share's space; "" is the default space
}

// enumCases: three representative lines with the share in a space (OSD
// has no spaces), a Kibana server.basePath, and the oldest and newest lines.
var enumCases = []enumCase{
	{"7.10 space team", kbn.L710, "", "team"},
	{"8.15 space team", kbn.L815, "", "team"},
	{"osd-2", kbn.OSD2, "", ""},
	{"7.17 basePath /kibana space team", kbn.L717, "/kibana", "team"},
	{"6.8", kbn.L68, "", ""},
	{"9.1 space team", kbn.L91, "", "team"},
}

// enumEnv is one set-up with a live share and a client that keeps its
// connections.
type enumEnv struct {
	*env
	c       enumCase
	share   string // the share's path: <prefix>/<token>
	shareID string // the share's ID
	hc      *http.Client
	values  map[string]string
}

// otherID is a dashboard outside the share; kshare must never look it up.
const otherID = "5a8f6d10-0c3b-11ef-9f0e-3f1b2c4d5e6f"

// recipientAuth is a credential the recipient sends; it must never reach
// Kibana.
const recipientAuth = "Basic cmVjaXBpZW50OnJlY2lwaWVudA=="

func newEnumEnv(t *testing.T, c enumCase, mutate ...func(*config.Config)) *enumEnv {
	t.Helper()
	o := envOptions{basePath: c.basePath, mutate: func(cfg *config.Config) {
		// A fixed line and a closure computed once: no detection or
		// closure look-up of kshare's own lands in a probe's count.
		cfg.Kibana.Line = c.line.Name
		cfg.Kibana.ObjectCacheTTL = 10 * time.Minute
		for _, m := range mutate {
			m(cfg)
		}
	}}
	if c.space != "" {
		o.spaces = []string{c.space}
	}
	e := &enumEnv{env: newEnv(t, c.line, o), c: c}
	res := e.create(createParams{Dashboard: e.kib.DashboardID(), Space: c.space})
	e.share, e.shareID = sharePath(res.URL), res.Share.ID
	tr := &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	e.hc = &http.Client{Transport: tr, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	e.values = e.paramValues()
	e.values["dataViewId"], e.values["dataViewTitle"] = e.closureDataView(t)
	return e
}

// paramValues are the realistic values route parameters get: the shared
// dashboard's ids, another dashboard's, the line's build prefix, and
// plausible names and ids for the rest.
func (e *enumEnv) paramValues() map[string]string {
	return map[string]string{
		"dashboardId": e.kib.DashboardID(), "visId": e.kib.VisualizationID(), "otherId": otherID,
		"build": strings.TrimPrefix(e.kib.AssetPrefix(), "/"), "hash": "8b7d4f2e1a3c",
		"searchId": "FkJ6c2VhcmNoLWlkLTE", "sessionId": "9d3c5e02-8a1b-4c7e-9f2a-1b2c3d4e5f60",
		"key": "defaultIndex", "space": "team", "name": "kshare_probe", "id": "probe-1",
		"alertId": "alert-1", "caseId": "case-1", "connectorId": "connector-1",
		"pkgName": "nginx", "pkgVersion": "1.20.0", "filePath*": "docs/README.md",
		"osType": "linux", "fileName": "report.pdf", "slug": "my-dashboard",
	}
}

// closureDataView returns a saved data view of the shared dashboard's
// closure, so field lookups and searches name one kshare allows. Asking
// for the closure also fills kshare's cache of it before the sweep.
func (e *enumEnv) closureDataView(t *testing.T) (id, title string) {
	t.Helper()
	cl, err := e.d.closures.Get(t.Context(), e.c.space,
		closure.Ref{Type: kbn.KindDashboard, ID: e.kib.DashboardID()})
	if err != nil {
		t.Fatalf("closure of the shared dashboard: %v", err)
	}
	ids := make([]string, 0, len(cl.DataViews))
	for id := range cl.DataViews {
		if cl.Has("index-pattern", id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		t.Fatal("the shared dashboard's closure holds no saved data view")
	}
	sort.Strings(ids)
	return ids[0], cl.DataViews[ids[0]].Title
}

var paramRE = regexp.MustCompile(`\{[A-Za-z]+\*?\}`)

// expand replaces the {params} of a template or a body.
func (e *enumEnv) expand(tmpl string) (string, error) {
	var err error
	out := paramRE.ReplaceAllStringFunc(tmpl, func(m string) string {
		v, ok := e.values[strings.Trim(m, "{}")]
		if !ok {
			err = fmt.Errorf("no value for %s in %s", m, tmpl)
		}
		return v
	})
	return out, err
}

// fill expands a template and splits off its query.
func (e *enumEnv) fill(tmpl string) (path, query string, err error) {
	out, err := e.expand(tmpl)
	path, query, _ = strings.Cut(out, "?")
	return path, query, err
}

// Bodies as the dashboard sends them (kibana-api.md §1.4, §2).
const (
	searchBody  = `{"params":{"index":"{dataViewTitle}","body":{"size":0}}}`
	bsearchBody = `{"batch":[{"request":{"params":{"index":"{dataViewTitle}","body":{"size":0}}},` +
		`"options":{"strategy":"es"}}]}`
	msearchBody   = `{"searches":[{"header":{"index":"{dataViewTitle}"},"body":{"size":0}}]}`
	bulkGetBody   = `[{"type":"dashboard","id":"{dashboardId}"}]`
	cmGetBody     = `{"contentTypeId":"dashboard","id":"{dashboardId}","version":1}`
	cmBulkGetBody = `{"contentTypeId":"dashboard","ids":["{dashboardId}"],"version":1}`
)

// requestBodies are the bodies of the read-needed routes kshare checks
// by their body; every other request that takes a body gets {}.
var requestBodies = map[string]string{
	"POST /api/core/capabilities":                 `{"applications":["dashboards"]}`,
	"POST /api/saved_objects/_bulk_get":           bulkGetBody,
	"POST /api/saved_objects/_bulk_resolve":       bulkGetBody,
	"POST /api/content_management/rpc/get":        cmGetBody,
	"POST /api/content_management/rpc/bulkGet":    cmBulkGetBody,
	"POST /internal/search/es":                    searchBody,
	"POST /internal/search/ese":                   searchBody,
	"POST /internal/search/ese/{searchId}":        searchBody,
	"POST /internal/search/opensearch":            searchBody,
	"POST /internal/search/opensearch/{searchId}": searchBody,
	"POST /internal/bsearch":                      bsearchBody,
	"POST /internal/_msearch":                     msearchBody,
	"POST /elasticsearch/_msearch":                "{\"index\":\"{dataViewTitle}\"}\n{\"size\":0}\n",
}

// bodyFor is the body a probe sends with method.
func (e *enumEnv) bodyFor(r *route, method string) (string, error) {
	if method == http.MethodGet || method == http.MethodDelete {
		return "", nil
	}
	if b, ok := requestBodies[r.method+" "+r.template]; ok && method == r.method {
		return e.expand(b)
	}
	return "{}", nil
}

// probe is one request of the sweep.
type probe struct {
	r      *route
	method string
	class  routeClass // the route's class, or write for a method the route lacks
	canon  string     // the filled, canonical path
	query  string
	body   string
	v      variant
	root   bool
	rest   string // the variant's path: under the share, or under Kibana's base path
}

// answer is what one probe got: kshare's status and body and what the
// stand-in received meanwhile.
type answer struct {
	status int
	body   string
	got    []kibanatest.Request
}

// send sends one probe. The stand-in's record is reset first, so that
// Requests() is this probe's delta; reading the whole record each time
// would make the sweep quadratic. Probes go one at a time.
func (e *enumEnv) send(ctx context.Context, p probe) (answer, error) {
	raw := e.share + p.rest
	if p.root {
		raw = e.c.basePath + p.rest
		if p.v.name == outsideBase.name {
			raw = p.rest
		}
	}
	var body io.Reader
	if p.body != "" {
		body = strings.NewReader(p.body)
	}
	req, err := http.NewRequestWithContext(ctx, p.method, e.srv.URL, body)
	if err != nil {
		return answer{}, err
	}
	// Opaque puts raw on the request line byte for byte.
	req.URL.Opaque, req.URL.RawQuery = raw, p.query
	req.Header.Set("Authorization", recipientAuth)
	req.Header.Set("Cookie", "sid=recipient")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	e.kib.Reset()
	resp, err := e.hc.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return answer{status: resp.StatusCode, body: string(b), got: e.kib.Requests()}, err
}

// forwarded splits what the stand-in received into kshare's forwards of
// the probe (which carry kshare's X-Forwarded-For) and kshare's own
// look-ups (the kbn client's, which do not).
func forwarded(got []kibanatest.Request) (fwd, own []kibanatest.Request) {
	for _, r := range got {
		if r.Header.Get("X-Forwarded-For") != "" {
			fwd = append(fwd, r)
		} else {
			own = append(own, r)
		}
	}
	return fwd, own
}

// refusalPhrases are words only kshare's refusals use (proxy/refuse.go),
// so a refusal is recognised by its body as well as by the stand-in's
// record staying empty.
var refusalPhrases = []string{"through this link", "is malformed", "longer than this service",
	"nothing at this address", "does not accept that kind", "larger than this service",
	"link is not valid", "bodies are not accepted"}

func isRefusal(a answer) bool {
	if a.status < 400 || a.status >= 500 {
		return false
	}
	for _, p := range refusalPhrases {
		if strings.Contains(a.body, p) {
			return true
		}
	}
	return false
}

// tally counts one set-up's sweep.
type tally struct {
	sent, reached, reachedNeeded, unauthorised, refused, local, lookups int
}

func (t *tally) add(o tally) {
	t.lookups += o.lookups
	t.sent += o.sent
	t.reached += o.reached
	t.reachedNeeded += o.reachedNeeded
	t.unauthorised += o.unauthorised
	t.refused += o.refused
	t.local += o.local
}

// findings gathers violations by kind, route and reason, with the
// variants that showed each, so a failure reads as a short list.
type findings struct {
	mu sync.Mutex
	m  map[string]map[string]bool
}

func (f *findings) add(key, variant string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string]map[string]bool{}
	}
	if f.m[key] == nil {
		f.m[key] = map[string]bool{}
	}
	f.m[key][variant] = true
}

func (f *findings) keys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	keys := make([]string, 0, len(f.m))
	for k := range f.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (f *findings) report(t *testing.T) { f.reportKind(t, "") }

// reportKind fails t once for each finding whose key starts with kind.
func (f *findings) reportKind(t *testing.T, kind string) {
	t.Helper()
	for _, k := range f.keys() {
		if !strings.HasPrefix(k, kind) {
			continue
		}
		f.mu.Lock()
		vs := make([]string, 0, len(f.m[k]))
		for v := range f.m[k] {
			vs = append(vs, v)
		}
		f.mu.Unlock()
		sort.Strings(vs)
		t.Errorf("%s [variants: %s]", k, strings.Join(vs, ", "))
	}
}

// sweep is one set-up's run: every applicable route, method and
// variant, at the root and under the share.
type sweep struct {
	e       *enumEnv
	routes  []route
	viol    *findings
	needed  map[string]bool  // read-needed route → reached or answered somewhere as-is
	asIs    map[string]probe // read-needed route → its as-is probe under the share
	tl      tally
	statics []string
}

// TestEnumeration is the sweep on every set-up of enumCases. It is not
// parallel with the package's other tests: tens of thousands of requests
// on a small machine would starve their timeouts.
func TestEnumeration(t *testing.T) {
	routes := loadRoutes(t)
	viol := &findings{}
	var mu sync.Mutex
	var total tally
	var needed, checked []string
	start := time.Now()
	t.Run("lines", func(t *testing.T) {
		for _, c := range enumCases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				s := &sweep{e: newEnumEnv(t, c), routes: routes, viol: viol,
					needed: map[string]bool{}, asIs: map[string]probe{}}
				s.run(t)
				refused, byContent := s.refusedNeeded(t)
				mu.Lock()
				defer mu.Unlock()
				total.add(s.tl)
				needed = append(needed, refused...)
				checked = append(checked, byContent...)
			})
		}
	})
	t.Logf("TOTAL %d routes, %d set-ups, %d requests in %s: %d reached Kibana (%d read-needed), "+
		"%d refused by kshare, %d answered by kshare, %d unauthorised, %d look-ups of kshare's own",
		len(routes), len(enumCases), total.sent, time.Since(start).Round(time.Millisecond),
		total.reached, total.reachedNeeded, total.refused, total.local, total.unauthorised,
		total.lookups)
	sort.Strings(needed)
	for _, n := range needed {
		t.Logf("NEEDED BUT REFUSED: %s", n)
	}
	sort.Strings(checked)
	for _, n := range checked {
		t.Logf("route allowed, this probe's content refused: %s", n)
	}
	viol.report(t)
}

// staticPrefixes is the allow-list of kibana-api.md §7 row 2 that may
// reach Kibana from kshare's root, without credentials: files Kibana
// serves to anyone. assetPrefix is the line's cache-busting prefix.
func staticPrefixes(assetPrefix string) []string {
	out := []string{"/bundles/", "/built_assets/", "/ui/", "/translations/",
		"/node_modules/@kbn/ui-framework/dist/", "/node_modules/@elastic/eui/dist/"}
	if assetPrefix != "" {
		out = append(out, assetPrefix+"/bundles/", assetPrefix+"/ui/")
	}
	return out
}

func (s *sweep) run(t *testing.T) {
	e := s.e
	s.statics = staticPrefixes(e.kib.AssetPrefix())
	for i := range s.routes {
		r := &s.routes[i]
		if !r.on(e.c.line) {
			continue // a route is sent on the lines that have it
		}
		canon, query, err := e.fill(r.template)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range s.methods(r) {
			body, err := e.bodyFor(r, m)
			if err != nil {
				t.Fatal(err)
			}
			s.route(t, probe{r: r, method: m, class: classFor(r, m), canon: canon, query: query,
				body: body})
		}
	}
	t.Logf("%s: %d requests, %d reached Kibana (%d read-needed), %d refused, %d answered "+
		"by kshare, %d unauthorised", e.c.name, s.tl.sent, s.tl.reached, s.tl.reachedNeeded,
		s.tl.refused, s.tl.local, s.tl.unauthorised)
}

// methods are the route's own method and, for a GET route, the writing
// methods, unless the table lists them for the same path itself.
func (s *sweep) methods(r *route) []string {
	out := []string{r.method}
	if r.method != http.MethodGet {
		return out
	}
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		if !s.listed(m, r.template) {
			out = append(out, m)
		}
	}
	return out
}

func (s *sweep) listed(method, tmpl string) bool {
	for _, o := range s.routes {
		if o.method == method && o.template == tmpl && o.on(s.e.c.line) {
			return true
		}
	}
	return false
}

// classFor is the class of a request: the route's, or, for a method the
// route does not have, a write (dangerous stays dangerous).
func classFor(r *route, method string) routeClass {
	switch {
	case method == r.method:
		return r.class
	case r.class == classDangerous:
		return classDangerous
	default:
		return classWrite
	}
}

// route sends one route and method in every variant, at the root and
// under the share.
func (s *sweep) route(t *testing.T, p probe) {
	vs := variants
	if s.e.c.basePath != "" {
		vs = append(vs[:len(vs):len(vs)], outsideBase)
	}
	for _, v := range vs {
		for _, root := range []bool{true, false} {
			p.v, p.root, p.rest = v, root, v.spell(p.canon)
			if !root && v.name == outsideBase.name {
				continue // a root spelling only
			}
			if root && s.e.c.basePath == "" && strings.HasPrefix(p.rest, "//") {
				continue // would be sent as an absolute-form URL
			}
			a, err := s.e.send(t.Context(), p)
			if err != nil {
				t.Fatalf("%s %s: %v", p.method, p.rest, err)
			}
			s.check(p, a)
		}
	}
}

// check applies the assertions of the suite to one probe's answer.
func (s *sweep) check(p probe, a answer) {
	s.tl.sent++
	fwd, own := forwarded(a.got)
	where := "share"
	if p.root {
		where = "root"
	}
	bad := func(kind, why string) {
		s.viol.add(fmt.Sprintf("%s: %s %s: %s %s%s (%s): %s", kind, s.e.c.name, where, p.method,
			p.canon, queryOf(p.query), p.class, why), p.v.name)
	}
	// (a) a refusal reaches nothing, not even a look-up of kshare's own.
	if isRefusal(a) && len(a.got) != 0 {
		bad("SECURITY", fmt.Sprintf("refused with %d, yet %d requests reached Kibana "+
			"(%d forwarded, %d kshare look-ups)", a.status, len(a.got), len(fwd), len(own)))
	}
	s.tl.lookups += len(own)
	for _, o := range own {
		if o.Method != http.MethodGet || strings.Contains(o.Path, otherID) {
			bad("SECURITY", "kshare's own look-up "+o.Method+" "+o.Path)
		}
	}
	switch {
	case len(fwd) == 0 && a.status < 400:
		s.tl.local++
		s.markNeeded(p)
	case len(fwd) == 0:
		s.tl.refused++
		if !p.root && p.v.name == "as-is" && p.class == classNeeded {
			s.asIs[p.r.method+" "+p.r.template] = p
		}
	default:
		s.reached(p, fwd, bad)
	}
}

// reached counts a forwarded probe and checks that it was allowed to be.
func (s *sweep) reached(p probe, fwd []kibanatest.Request, bad func(kind, why string)) {
	s.tl.reached++
	if len(fwd) > 1 {
		bad("SECURITY", fmt.Sprintf("arrived %d times", len(fwd)))
	}
	ok := s.authorised(p, fwd[0], bad)
	if !ok {
		s.tl.unauthorised++
		return
	}
	if p.class == classNeeded {
		s.tl.reachedNeeded++
	}
	s.markNeeded(p)
}

// authorised checks that what reached Kibana may: the class and place of
// the route, the variant, the path, space, method, query and credentials.
func (s *sweep) authorised(p probe, got kibanatest.Request, bad func(kind, why string)) bool {
	ok := true
	fail := func(kind, why string) { bad(kind, why); ok = false }
	switch {
	case p.root && !(s.static(p.canon) && p.method == http.MethodGet):
		fail("SECURITY", "reached Kibana from kshare's root, outside the static allow-list")
	case !p.root && (p.class == classWrite || p.class == classDangerous):
		fail("SECURITY", "a "+string(p.class)+" request reached Kibana under the share")
	case !p.root && p.class != classNeeded:
		fail("FINDING", "forwarded, but the shared dashboard does not need it")
	}
	if p.v.refuse {
		fail("PATH", "this spelling must be refused, yet it reached Kibana as "+got.Path)
	}
	canon, canonOK := expectedCanonical(p.rest)
	want := s.e.c.basePath + canon
	if !p.root {
		want = s.e.c.basePath + kbn.SpacePath(s.e.c.space) + canon
	}
	if canonOK && !samePath(got.Path, want) {
		fail("PATH", fmt.Sprintf("reached Kibana as %s, want %s", got.Path, want))
	}
	if !p.root && s.e.c.space != "" && got.Space != s.e.c.space {
		fail("SECURITY", "reached Kibana outside the share's space, as "+got.Path)
	}
	if got.Method != p.method || !sameQuery(got.RawQuery, p.query) {
		fail("PATH", fmt.Sprintf("reached Kibana as %s ?%s", got.Method, got.RawQuery))
	}
	if !s.credentialsOK(p, got) {
		fail("SECURITY", fmt.Sprintf("Authorization %q reached Kibana", got.Header.Get("Authorization")))
	}
	return ok
}

// credentialsOK: static files go without credentials (d), share requests
// with the service account's, never the recipient's.
func (s *sweep) credentialsOK(p probe, got kibanatest.Request) bool {
	if got.Header.Get("Cookie") != "" {
		return false
	}
	if p.root {
		return got.Header.Get("Authorization") == ""
	}
	user, _, ok := (&http.Request{Header: got.Header}).BasicAuth()
	return ok && user == svcUser
}

func (s *sweep) static(canon string) bool {
	for _, p := range s.statics {
		if strings.HasPrefix(canon, p) {
			return true
		}
	}
	return false
}

// markNeeded remembers a read-needed route that worked as-is.
func (s *sweep) markNeeded(p probe) {
	if p.class == classNeeded && p.v.name == "as-is" {
		s.needed[p.r.method+" "+p.r.template] = true
	}
}

// refusedNeeded lists the read-needed routes of the line that neither
// reached Kibana nor were answered by kshare, at the root or the share.
// Each is sent once more to read kshare's log: a refusal that names a
// rule came from a check of the request's content (a closure, a search
// body, an async id kshare did not issue), which this suite's made-up
// bodies and ids cannot pass; those are listed apart, as byContent.
func (s *sweep) refusedNeeded(t *testing.T) (refused, byContent []string) {
	for _, r := range s.routes {
		key := r.method + " " + r.template
		if r.class != classNeeded || !r.on(s.e.c.line) || s.needed[key] {
			continue
		}
		entry := s.e.c.name + ": " + key
		if why := s.contentRefusal(t, s.asIs[key]); why != "" {
			byContent = append(byContent, entry+" ("+why+")")
			continue
		}
		refused = append(refused, entry)
	}
	return refused, byContent
}

// refusalRE, ruleRE and detailRE read kshare's refusal log line.
var (
	refusalRE = regexp.MustCompile(`msg="request refused".*`)
	ruleRE    = regexp.MustCompile(` rule=("[^"]*"|\S+)`)
	detailRE  = regexp.MustCompile(` detail=("[^"]*"|\S+)`)
)

// contentRefusal re-sends p and returns "rule …, detail" when kshare's
// refusal log line names the rule that matched, "" otherwise.
func (s *sweep) contentRefusal(t *testing.T, p probe) string {
	if p.r == nil {
		return ""
	}
	before := len(s.e.logs.String())
	if _, err := s.e.send(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	line := refusalRE.FindString(s.e.logs.String()[before:])
	rule, detail := ruleRE.FindStringSubmatch(line), detailRE.FindStringSubmatch(line)
	if rule == nil || detail == nil {
		return ""
	}
	return "rule " + rule[1] + ", " + detail[1]
}

// samePath compares escaped paths segment by segment after unescaping,
// so that an equivalent escape kshare chose (a sub-delimiter such as "*"
// as %2A) is no mismatch, while a different segment boundary is.
func samePath(got, want string) bool {
	g, w := strings.Split(got, "/"), strings.Split(want, "/")
	if len(g) != len(w) {
		return false
	}
	for i := range g {
		gs, err1 := url.PathUnescape(g[i])
		ws, err2 := url.PathUnescape(w[i])
		if err1 != nil || err2 != nil || gs != ws {
			return false
		}
	}
	return true
}

func sameQuery(got, sent string) bool {
	g, err1 := url.ParseQuery(got)
	w, err2 := url.ParseQuery(sent)
	return err1 == nil && err2 == nil && (len(g) == 0 && len(w) == 0 || reflect.DeepEqual(g, w))
}

func queryOf(q string) string {
	if q == "" {
		return ""
	}
	return "?" + q
}

// TestEnumerationRevocation: once the share's Redis key is gone, no
// read-needed route reaches Kibana under its path; and under a second
// share, of a visualization, the first share's app page is refused.
func TestEnumerationRevocation(t *testing.T) {
	routes := loadRoutes(t)
	for _, c := range enumCases[:3] {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnumEnv(t, c)
			before := e.sendNeeded(t, routes, e.share)
			if before == 0 {
				t.Fatal("no read-needed route reached Kibana before the revocation")
			}
			if err := e.redis.Client(t).Del(t.Context(), e.d.store.Key(e.shareID)).Err(); err != nil {
				t.Fatal(err)
			}
			if after := e.sendNeeded(t, routes, e.share); after != 0 {
				t.Errorf("%d read-needed requests reached Kibana after the share was deleted", after)
			}
			t.Logf("%s: %d read-needed requests reached Kibana before the revocation, none after",
				c.name, before)
			e.secondShare(t)
		})
	}
}

// sendNeeded sends every read-needed route of the line, as-is, under base
// and returns how many reached the stand-in.
func (e *enumEnv) sendNeeded(t *testing.T, routes []route, base string) int {
	t.Helper()
	reached := 0
	for i := range routes {
		r := &routes[i]
		if r.class != classNeeded || !r.on(e.c.line) {
			continue
		}
		canon, query, err := e.fill(r.template)
		if err != nil {
			t.Fatal(err)
		}
		body, err := e.bodyFor(r, r.method)
		if err != nil {
			t.Fatal(err)
		}
		share := e.share
		e.share = base
		a, err := e.send(t.Context(), probe{r: r, method: r.method, canon: canon, query: query,
			body: body, v: variants[0], rest: canon})
		e.share = share
		if err != nil {
			t.Fatal(err)
		}
		if fwd, _ := forwarded(a.got); len(fwd) > 0 {
			reached++
		} else if a.status != http.StatusOK && !isRefusal(a) {
			t.Errorf("%s %s: status %d without kshare's refusal", r.method, canon, a.status)
		}
	}
	return reached
}

// secondShare makes a share of a visualization next to the first and
// checks that its path opens the visualization app and refuses the
// dashboards app.
func (e *enumEnv) secondShare(t *testing.T) {
	t.Helper()
	vis := e.create(createParams{Visualization: e.kib.VisualizationID(), Space: e.c.space})
	base := sharePath(vis.URL)
	for _, tc := range []struct {
		app   string
		reach bool
	}{{"/app/dashboards", false}, {"/app/" + kbn.App(e.c.line, kbn.KindVisualization), true}} {
		e.kib.Reset()
		resp, _ := e.do("GET", base+tc.app, "", nil)
		fwd, _ := forwarded(e.kib.Requests())
		got := len(fwd)
		if tc.reach != (got == 1) || tc.reach != (resp.StatusCode == http.StatusOK) {
			t.Errorf("visualization share, %s: status %d, %d requests reached Kibana; want reach=%v",
				tc.app, resp.StatusCode, got, tc.reach)
		}
	}
}

// TestEnumerationReportMode: in report mode kshare forwards, and logs,
// what enforce mode refuses, except what it holds always dangerous
// (proxy/policy.go: raw Elasticsearch, exports, security, sessions,
// settings, short URLs, spaces). No dangerous route may reach Kibana in
// any spelling even then: a team trying kshare against its Kibana must
// not hand the service account's reach to whoever holds a link.
func TestEnumerationReportMode(t *testing.T) {
	routes := loadRoutes(t)
	c := enumCase{"8.15 report mode space team", kbn.L815, "", "team"}
	e := newEnumEnv(t, c, func(cfg *config.Config) { cfg.Policy.Mode = config.PolicyReport })
	sent, reached := 0, 0
	for i := range routes {
		r := &routes[i]
		if r.class != classDangerous || r.method != http.MethodGet || !r.on(c.line) {
			continue // requests that can write stay refused in report mode
		}
		canon, query, err := e.fill(r.template)
		if err != nil {
			t.Fatal(err)
		}
		var through []string
		for _, v := range variants {
			a, err := e.send(t.Context(), probe{r: r, method: r.method, class: r.class,
				canon: canon, query: query, v: v, rest: v.spell(canon)})
			if err != nil {
				t.Fatal(err)
			}
			sent++
			if fwd, _ := forwarded(a.got); len(fwd) > 0 {
				through = append(through, v.name)
			}
		}
		reached += len(through)
		switch {
		case len(through) == 0:
		case through[0] == "as-is":
			t.Errorf("SECURITY (report mode): GET %s reaches Kibana: not in kshare's "+
				"always-dangerous list [variants: %s]", canon, strings.Join(through, ", "))
		default:
			t.Errorf("SECURITY (report mode): GET %s: kshare's always-dangerous list is "+
				"bypassed by these spellings [variants: %s]", canon, strings.Join(through, ", "))
		}
	}
	t.Logf("%s: %d requests of dangerous GET routes, %d reached Kibana", c.name, sent, reached)
}

// TestEnumerationDetects feeds the checker made-up answers, one for each
// violation it must catch, so that a quiet sweep means kshare held rather
// than that the checks were blind.
func TestEnumerationDetects(t *testing.T) {
	t.Parallel()
	needed := &route{method: "GET", template: "/api/kibana/settings", class: classNeeded}
	other := &route{method: "GET", template: "/api/status", class: classOther}
	console := &route{method: "POST", template: "/api/console/proxy", class: classDangerous}
	static := &route{method: "GET", template: "/ui/favicons/favicon.png", class: classNeeded}
	svc := http.Header{"X-Forwarded-For": {"127.0.0.1"}}
	(&http.Request{Header: svc}).SetBasicAuth(svcUser, svcPass)
	anon := http.Header{"X-Forwarded-For": {"127.0.0.1"}}
	mine := http.Header{"X-Forwarded-For": {"127.0.0.1"}, "Authorization": {recipientAuth}}
	at := func(path, space string, h http.Header) kibanatest.Request {
		return kibanatest.Request{Method: "GET", Path: path, Header: h, Space: space}
	}
	mk := func(r *route, root bool, v variant, reqs ...kibanatest.Request) (probe, answer) {
		for i := range reqs {
			reqs[i].Method = r.method
		}
		return probe{r: r, method: r.method, class: r.class, canon: r.template, v: v, root: root,
				rest: v.spell(r.template)},
			answer{status: 200, got: reqs}
	}
	asIs, dot := variants[0], variants[3]
	tests := []struct {
		name string
		in   probeAnswer
		want string // prefix of the finding expected; "" for none
	}{
		{"a needed read, as Kibana should get it", pa(mk(needed, false, asIs,
			at("/s/team/api/kibana/settings", "team", svc))), ""},
		{"a static file at the root", pa(mk(static, true, asIs,
			at("/ui/favicons/favicon.png", "default", anon))), ""},
		{"console proxy forwarded", pa(mk(console, false, asIs,
			at("/s/team/api/console/proxy", "team", svc))), "SECURITY"},
		{"an unneeded read forwarded", pa(mk(other, false, asIs,
			at("/s/team/api/status", "team", svc))), "FINDING"},
		{"a dot segment forwarded", pa(mk(needed, false, dot,
			at("/s/team/api/kibana/settings", "team", svc))), "PATH"},
		{"the share's space dropped", pa(mk(needed, false, asIs,
			at("/api/kibana/settings", "default", svc))), "PATH"},
		{"forwarded twice", pa(mk(needed, false, asIs, at("/s/team/api/kibana/settings", "team", svc),
			at("/s/team/api/kibana/settings", "team", svc))), "SECURITY"},
		{"the recipient's credentials forwarded", pa(mk(needed, false, asIs,
			at("/s/team/api/kibana/settings", "team", mine))), "SECURITY"},
		{"an API read from the root", pa(mk(needed, true, asIs,
			at("/api/kibana/settings", "default", anon))), "SECURITY"},
		{"a static file with credentials", pa(mk(static, true, asIs,
			at("/ui/favicons/favicon.png", "default", svc))), "SECURITY"},
		{"a refusal that reached Kibana", refused(mk(needed, false, asIs,
			at("/s/team/api/kibana/settings", "team", svc))), "SECURITY"},
	}
	for _, tt := range tests {
		s := &sweep{e: &enumEnv{c: enumCase{name: "detect", line: kbn.L815, space: "team"}},
			viol: &findings{}, needed: map[string]bool{}, asIs: map[string]probe{},
			statics: staticPrefixes("")}
		s.check(tt.in.p, tt.in.a)
		keys := s.viol.keys()
		switch {
		case tt.want == "" && len(keys) != 0:
			t.Errorf("%s: unexpected findings %q", tt.name, keys)
		case tt.want != "" && !hasPrefixIn(keys, tt.want):
			t.Errorf("%s: findings %q lack a %s", tt.name, keys, tt.want)
		}
	}
}

// probeAnswer is a made-up probe with the answer it got.
type probeAnswer struct {
	p probe
	a answer
}

func pa(p probe, a answer) probeAnswer { return probeAnswer{p, a} }

// refused makes the answer kshare's refusal, with the record unchanged.
func refused(p probe, a answer) probeAnswer {
	a.status, a.body = http.StatusForbidden, `{"message":"Not available through this link."}`
	return probeAnswer{p, a}
}

func hasPrefixIn(keys []string, prefix string) bool {
	for _, k := range keys {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// TestEnumerationCanonical pins the suite's own canonical form, which
// judges every forwarded path, on the spellings the variants produce.
func TestEnumerationCanonical(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw, want string
		ok        bool
	}{
		{"/api/saved_objects/_bulk_get", "/api/saved_objects/_bulk_get", true},
		{"/api//saved_objects///_bulk_get", "/api/saved_objects/_bulk_get", true},
		{"/%61pi/saved_objects/%5Fbulk%7Eget", "/api/saved_objects/_bulk~get", true},
		{"/api/maps/fonts/Open%20Sans/0-255", "/api/maps/fonts/Open%20Sans/0-255", true},
		{"/api/fonts/a%2cb", "/api/fonts/a%2Cb", true},
		{"/api/kibana/settings/", "/api/kibana/settings/", true},
		{"/api/./kibana", "", false},
		{"/api/x/../kibana", "", false},
		{"/api/%2e/kibana", "", false},
		{"/api/x/%2E%2e/kibana", "", false},
		{"/api%2Fkibana", "", false},
		{"/api%5Ckibana", "", false},
		{`/api\kibana`, "", false},
		{"/api%00/kibana", "", false},
		{"/api/%zz", "", false},
		{"/api/" + strings.Repeat("a", 5000), "", false},
	}
	for _, tt := range tests {
		got, ok := expectedCanonical(tt.raw)
		if got != tt.want || ok != tt.ok {
			t.Errorf("expectedCanonical(%.40q) = %q, %v; want %q, %v", tt.raw, got, ok, tt.want, tt.ok)
		}
	}
}
