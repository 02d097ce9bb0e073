package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kshare/kshare/config"
	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/proxy/kibanatest"
	"github.com/kshare/kshare/tokens"
)

// rawRequest writes one raw HTTP/1.1 request to kshare and returns the
// status line, so tests can send what net/http's client refuses to build.
func (e *env) rawRequest(req string) string {
	e.t.Helper()
	conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		e.t.Fatal(err)
	}
	line, _ := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimSpace(line)
}

// TestBadRequestsNeverForwarded sends malformed and hostile requests and
// asserts each gets a clear status and that Kibana receives nothing.
func TestBadRequestsNeverForwarded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, kbn.L717, envOptions{})
	res := e.create(createParams{Dashboard: e.kib.DashboardID()})
	base := sharePath(res.URL)
	tests := []struct {
		name, req, want string
	}{
		{"CONNECT tunnel", "CONNECT internal.example:443 HTTP/1.1\r\nHost: internal.example:443\r\n\r\n", "400"},
		{"absolute-form to another host", "GET http://internal.example/secret HTTP/1.1\r\nHost: internal.example\r\n\r\n", "400"},
		{"absolute-form with a share path", "GET http://internal.example" + base + "/app/dashboards HTTP/1.1\r\nHost: x\r\n\r\n", "400"},
		{"TRACE", "TRACE " + base + "/app/dashboards HTTP/1.1\r\nHost: x\r\n\r\n", "405"},
		{"websocket upgrade", "GET " + base + "/app/dashboards HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", "400"},
		{"h2c upgrade", "GET " + base + "/app/dashboards HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n", "400"},
		{"dot segments", "GET " + base + "/app/../api/status HTTP/1.1\r\nHost: x\r\n\r\n", "400"},
		{"encoded dot segments", "GET " + base + "/api/%2e%2e/%2e%2e/api/status HTTP/1.1\r\nHost: x\r\n\r\n", "400"},
		{"encoded slash", "GET " + base + "/api/saved_objects%2F_export HTTP/1.1\r\nHost: x\r\n\r\n", "400"},
		{"NUL byte", "GET " + base + "/api/a%00 HTTP/1.1\r\nHost: x\r\n\r\n", "400"},
		{"backslash", "GET " + base + "/api\\status HTTP/1.1\r\nHost: x\r\n\r\n", "400"},
		{"over-long path", "GET " + base + "/" + strings.Repeat("a", 5000) + " HTTP/1.1\r\nHost: x\r\n\r\n", "414"},
		{"over-long header", "GET " + base + "/app/dashboards HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 40000) + "\r\n\r\n", "431"},
		{"odd method", "BREW " + base + "/app/dashboards HTTP/1.1\r\nHost: x\r\n\r\n", "403"},
		{"method override header", "POST " + base + "/api/saved_objects/_bulk_get HTTP/1.1\r\nHost: x\r\nX-HTTP-Method-Override: DELETE\r\nContent-Length: 2\r\n\r\n[]", "200"},
		{"gzip request body", "POST " + base + "/api/saved_objects/_bulk_get HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\n[]", "415"},
		{"body too large", "POST " + base + "/api/saved_objects/_bulk_get HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n", "413"},
		{"query with semicolon", "GET " + base + "/api/saved_objects/_find?type=index-pattern;type=dashboard HTTP/1.1\r\nHost: x\r\n\r\n", "400"},
		{"root path", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "404"},
		{"root API", "GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n", "404"},
		{"root app page", "GET /app/dashboards HTTP/1.1\r\nHost: x\r\n\r\n", "404"},
		{"prefix alone", "GET /kshare HTTP/1.1\r\nHost: x\r\n\r\n", "404"},
	}
	for _, tt := range tests {
		n := len(e.kib.Requests())
		got := e.rawRequest(tt.req)
		if !strings.Contains(got, " "+tt.want+" ") {
			t.Errorf("%s: got %q, want status %s", tt.name, got, tt.want)
		}
		reached := e.requestsSince(n)
		if tt.want != "200" && len(reached) != 0 {
			t.Errorf("%s: reached Kibana: %s %s", tt.name, reached[0].Method, reached[0].Path)
		}
		if tt.name == "method override header" && len(reached) == 1 {
			if reached[0].Method != "POST" || reached[0].Header.Get("X-Http-Method-Override") != "" {
				t.Errorf("method override reached Kibana: %s %v", reached[0].Method, reached[0].Header)
			}
		}
	}
}

// TestSpoofedHeadersDropped: nothing the recipient sends as credentials,
// forwarding or override headers reaches Kibana, whatever Connection lists.
func TestSpoofedHeadersDropped(t *testing.T) {
	t.Parallel()
	e := newEnv(t, kbn.L815, envOptions{})
	res := e.create(createParams{Dashboard: e.kib.DashboardID()})
	spoofed := map[string]string{
		"Authorization": "Basic ZWxhc3RpYzpjaGFuZ2VtZQ==", "Cookie": "sid=abc",
		"Proxy-Authorization": "Basic eA==", "Forwarded": "for=6.6.6.6;host=evil",
		"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Host": "evil", "X-Forwarded-Proto": "gopher",
		"X-Real-IP": "6.6.6.6", "X-HTTP-Method-Override": "DELETE", "X-Original-URL": "/api/console/proxy",
		"X-Rewrite-URL": "/api/console/proxy", "securitytenant": "global", "x-kbn-context": "%7B%7D",
		"kbn-version": "0.0.1", "Connection": "keep-alive, Authorization, X-Forwarded-For",
		"Referer": res.URL + "/app/dashboards", "Es-Security-Runas-User": "elastic",
	}
	n := len(e.kib.Requests())
	resp, body := e.do("POST", sharePath(res.URL)+"/api/core/capabilities", `{"applications":[]}`, spoofed)
	if resp.StatusCode != 200 {
		t.Fatalf("capabilities: %d %s", resp.StatusCode, body)
	}
	got := e.requestsSince(n)
	if len(got) != 1 {
		t.Fatalf("want exactly one upstream request, got %d", len(got))
	}
	h := got[0].Header
	for k := range spoofed {
		if k == "Authorization" || k == "X-Forwarded-For" || k == "X-Forwarded-Proto" {
			continue
		}
		if v := h.Get(k); v != "" {
			t.Errorf("Kibana received %s: %q", k, v)
		}
	}
	if user, _, _ := (&http.Request{Header: h}).BasicAuth(); user != svcUser {
		t.Errorf("Authorization reaching Kibana is not the service account's: %q", h.Get("Authorization"))
	}
	if h.Get("X-Forwarded-For") != "127.0.0.1" || h.Get("X-Forwarded-Proto") != "http" {
		t.Errorf("X-Forwarded-For/Proto = %q/%q, want kshare's own", h.Get("X-Forwarded-For"), h.Get("X-Forwarded-Proto"))
	}
	if h.Get("Kbn-Xsrf") == "" || h.Get("X-Elastic-Internal-Origin") == "" {
		t.Errorf("kshare's XSRF/internal-origin headers missing: %v", h)
	}
	assertNoSecret(t, got, secretOf(t, res.URL))
}

// TestStaticFilesWithoutCredentials: the root allow-list forwards bundles
// without the service credentials, also under a Kibana base path.
func TestStaticFilesWithoutCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t, kbn.L710, envOptions{basePath: "/kibana"})
	if _, err := e.d.cached.Line(t.Context()); err != nil { // detect first: /api/status
		t.Fatal(err)
	}
	n := len(e.kib.Requests())
	path := fmt.Sprintf("/kibana/%d/bundles/core/core.entry.js", e.kib.BuildNumber())
	resp, _ := e.do("GET", path, "", map[string]string{"Cookie": "sid=x"})
	if resp.StatusCode != 200 {
		t.Fatalf("bundle: %d", resp.StatusCode)
	}
	got := e.requestsSince(n)
	if len(got) != 1 || got[0].Path != path {
		t.Fatalf("bundle request did not reach Kibana as %s: %v", path, spaces(got))
	}
	if got[0].Header.Get("Authorization") != "" || got[0].Header.Get("Cookie") != "" {
		t.Error("a static file request carried credentials")
	}
	if resp, _ := e.do("GET", fmt.Sprintf("/%d/bundles/core/core.entry.js", e.kib.BuildNumber()), "", nil); resp.StatusCode != 404 {
		t.Errorf("bundle outside Kibana's base path: %d, want 404", resp.StatusCode)
	}
	// The share works under the base path too.
	res := e.create(createParams{Dashboard: e.kib.DashboardID()})
	resp, body := e.do("GET", sharePath(res.URL)+"/app/dashboards", "", nil)
	if resp.StatusCode != 200 || strings.Contains(body, `/kibana/app`) {
		t.Fatalf("page under base path: %d", resp.StatusCode)
	}
}

// TestKibanaFailures: Kibana slow, down, refusing kshare's credentials or
// failing gives plain pages without internal detail, and kshare recovers.
func TestKibanaFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t, kbn.L717, envOptions{mutate: func(c *config.Config) {
		c.Kibana.ResponseHeaderTimeout = 300 * time.Millisecond
	}})
	res := e.create(createParams{Dashboard: e.kib.DashboardID()})
	page := sharePath(res.URL) + "/app/dashboards"
	kibanaHost := strings.TrimPrefix(e.kib.URL, "http://")
	check := func(name string, wantStatus int, wantText string) {
		t.Helper()
		resp, body := e.do("GET", page, "", map[string]string{"Accept": "text/html"})
		if resp.StatusCode != wantStatus || !strings.Contains(body, wantText) {
			t.Errorf("%s: %d %q, want %d with %q", name, resp.StatusCode, body, wantStatus, wantText)
		}
		if strings.Contains(body, kibanaHost) || strings.Contains(body, "dial tcp") {
			t.Errorf("%s: page shows an internal address", name)
		}
	}
	e.kib.SetDelay(time.Second)
	check("slow", http.StatusGatewayTimeout, "took too long")
	e.kib.SetDelay(0)

	e.kib.SetStatus("/app/dashboards", http.StatusInternalServerError)
	check("500", http.StatusBadGateway, "not answering")
	e.kib.SetStatus("/app/dashboards", 0)

	e.kib.SetDown(true)
	check("down", http.StatusBadGateway, "not answering")
	e.kib.SetDown(false)
	check("back", http.StatusOK, "kbn-injected-metadata")
}

// TestKibanaRefusesCredentials: a login redirect or 401 from Kibana
// becomes kshare's page; WWW-Authenticate and the login URL never reach
// the recipient.
func TestKibanaRefusesCredentials(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{kibanatest.AuthMode401, kibanatest.AuthModeLoginRedirect} {
		e := newEnv(t, kbn.L815, envOptions{mutate: func(c *config.Config) {
			c.Kibana.Password = "not-the-password"
		}})
		e.kib.SetAuthMode(mode)
		// The CLI would refuse to create a share it cannot check in Kibana,
		// so this one is written to the store directly.
		_, tok, err := e.d.store.Create(t.Context(), tokens.Share{
			Mode: tokens.Saved, Kind: kbn.KindDashboard, ObjectID: e.kib.DashboardID(),
			TZ: "UTC", Created: time.Now()}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		base := "/kshare/" + tok.String()
		resp, body := e.do("GET", base+"/app/dashboards", "", map[string]string{"Accept": "text/html"})
		if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "could not sign in") {
			t.Errorf("%s page: %d %q", mode, resp.StatusCode, body)
		}
		if resp.Header.Get("Www-Authenticate") != "" || strings.Contains(resp.Header.Get("Location"), "login") {
			t.Errorf("%s: Kibana's challenge or login redirect reached the recipient", mode)
		}
		resp, body = e.do("POST", base+"/api/core/capabilities", "{}", nil)
		if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, `"statusCode":502`) {
			t.Errorf("%s API: %d %q", mode, resp.StatusCode, body)
		}
		resp, body = e.do("GET", base, "", map[string]string{"Accept": "text/html"})
		if resp.StatusCode != http.StatusBadGateway {
			t.Errorf("%s entry: %d %q", mode, resp.StatusCode, body)
		}
	}
}

// TestRedisDownFailsClosed: with Redis down every share request gets 503
// and nothing reaches Kibana; kshare recovers by itself.
func TestRedisDownFailsClosed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, kbn.L710, envOptions{})
	res := e.create(createParams{Dashboard: e.kib.DashboardID()})
	page := sharePath(res.URL) + "/app/dashboards"
	e.redis.Stop()
	n := len(e.kib.Requests())
	resp, body := e.do("GET", page, "", map[string]string{"Accept": "text/html"})
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "Try again") {
		t.Fatalf("redis down: %d %q", resp.StatusCode, body)
	}
	if len(e.requestsSince(n)) != 0 {
		t.Fatal("a request reached Kibana while the share store was down")
	}
	e.redis.Restart()
	// Restart empties the store (nothing is persisted): a new share works.
	res = e.create(createParams{Dashboard: e.kib.DashboardID()})
	if resp, _ := e.do("GET", sharePath(res.URL)+"/app/dashboards", "", nil); resp.StatusCode != 200 {
		t.Fatalf("after redis came back: %d", resp.StatusCode)
	}
}

// TestStreamedSearchReachesBrowserLineByLine: bsearch's NDJSON answer is
// relayed as Kibana sends it, not buffered.
func TestStreamedSearchReachesBrowserLineByLine(t *testing.T) {
	t.Parallel()
	e := newEnv(t, kbn.L717, envOptions{})
	e.kib.SetStreamDelay(300 * time.Millisecond)
	res := e.create(createParams{Dashboard: e.kib.DashboardID()})
	body := `{"batch":[{"request":{"params":{"index":"kibana_sample_data_ecommerce","body":{}}},"options":{"strategy":"es"}},` +
		`{"request":{"params":{"index":"kibana_sample_data_ecommerce","body":{}}},"options":{"strategy":"es"}}]}`
	req, _ := http.NewRequest("POST", e.srv.URL+sharePath(res.URL)+"/internal/bsearch", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := e.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	if _, err := rd.ReadString('\n'); err != nil {
		t.Fatalf("first line: %v", err)
	}
	first := time.Since(start)
	if _, err := rd.ReadString('\n'); err != nil {
		t.Fatalf("second line: %v", err)
	}
	second := time.Since(start)
	if second-first < 200*time.Millisecond {
		t.Fatalf("lines arrived together (%s, %s): the stream was buffered", first, second)
	}
}
