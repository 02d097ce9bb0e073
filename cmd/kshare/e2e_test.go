package main

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/proxy/kibanatest"
	"github.com/kshare/kshare/rewrite"
)

// secretOf returns the secret part of a link's token.
func secretOf(t *testing.T, link string) string {
	t.Helper()
	tok := link[strings.LastIndex(link, "/")+1:]
	_, secret, ok := strings.Cut(tok, ".")
	if !ok || len(secret) < 22 {
		t.Fatalf("link %q has no token secret", link)
	}
	return secret
}

// assertNoSecret fails if any byte the stand-in received holds secret.
func assertNoSecret(t *testing.T, reqs []kibanatest.Request, secret string) {
	t.Helper()
	for _, r := range reqs {
		var all bytes.Buffer
		all.WriteString(r.Method + " " + r.Path + "?" + r.RawQuery + "\n")
		_ = r.Header.Write(&all)
		all.Write(r.Body)
		if bytes.Contains(all.Bytes(), []byte(secret)) {
			t.Fatalf("Kibana received the token secret in %s %s", r.Method, r.Path)
		}
	}
}

// TestShareLinkEndToEnd runs the whole flow on every Kibana line.
func TestShareLinkEndToEnd(t *testing.T) {
	for _, line := range kbn.Lines() {
		t.Run(line.Name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, line, envOptions{})
			res := e.create(createParams{Dashboard: e.kib.DashboardID()})
			base := sharePath(res.URL)
			secret := secretOf(t, res.URL)

			// The link answers 303 to the app page under the share's path.
			resp, _ := e.do("GET", base, "", nil)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("link: status %d, want 303", resp.StatusCode)
			}
			loc := resp.Header.Get("Location")
			checkEntry(t, line, loc, e.srv.URL+base, e.kib.DashboardID(), res)

			// The page: rewritten base path, hide rules, no space, no leaks.
			pagePath := strings.TrimPrefix(strings.SplitN(loc, "#", 2)[0], e.srv.URL)
			n := len(e.kib.Requests())
			resp, body := e.do("GET", pagePath, "", map[string]string{
				"Authorization": "Bearer recipient-token", "Cookie": "sid=recipient",
				"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Host": "evil.example",
				"Accept-Encoding": "gzip", "Accept": "text/html",
			})
			if resp.StatusCode != 200 {
				t.Fatalf("page: status %d: %s", resp.StatusCode, body)
			}
			checkPage(t, resp, body, base)
			got := e.requestsSince(n)
			if len(got) != 1 {
				t.Fatalf("page load reached Kibana %d times, want 1", len(got))
			}
			checkUpstreamHeaders(t, got[0])

			// An API call the page makes, and one outside the object's needs.
			n = len(e.kib.Requests())
			resp, _ = e.do("POST", base+"/api/console/proxy?path=_search&method=GET", "{}",
				map[string]string{"kbn-xsrf": "x", "Content-Type": "application/json"})
			if resp.StatusCode != http.StatusForbidden || len(e.requestsSince(n)) != 0 {
				t.Fatalf("console proxy: status %d, %d upstream requests; want 403 and none",
					resp.StatusCode, len(e.requestsSince(n)))
			}
			if !line.Legacy() {
				resp, body = e.do("POST", base+"/api/core/capabilities", `{"applications":[]}`,
					map[string]string{"Content-Type": "application/json"})
				if resp.StatusCode != 200 {
					t.Fatalf("capabilities through the share: %d %s", resp.StatusCode, body)
				}
			}
			assertNoSecret(t, e.kib.Requests(), secret)
			if strings.Contains(e.logs.String(), secret) {
				t.Fatal("the token secret appears in kshare's log output")
			}
		})
	}
}

func checkEntry(t *testing.T, line kbn.Line, loc, base, id string, res created) {
	t.Helper()
	app := kbn.App(line, kbn.KindDashboard)
	if !strings.HasPrefix(loc, base+"/app/"+app+"#") {
		t.Fatalf("Location %q does not open /app/%s under the share path", loc, app)
	}
	_, hash, _ := strings.Cut(loc, "#")
	route, query, _ := strings.Cut(hash, "?")
	if !strings.Contains(route, id) {
		t.Errorf("hash route %q lacks the dashboard id", route)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	if q.Get("embed") != "true" || q.Get("hide-filter-bar") != "true" {
		t.Errorf("hash query %q lacks embed=true&hide-filter-bar=true", query)
	}
	from := res.Share.From.UTC().Format("2006-01-02T15:04:05.000Z")
	to := res.Share.To.UTC().Format("2006-01-02T15:04:05.000Z")
	g := q.Get("_g")
	if !strings.Contains(g, "from:'"+from+"'") || !strings.Contains(g, "to:'"+to+"'") ||
		!strings.Contains(g, "pause:!t") {
		t.Errorf("_g %q does not pin %s..%s paused", g, from, to)
	}
	if line.Legacy() != strings.Contains(g, "mode:absolute") {
		t.Errorf("_g %q: mode:absolute wanted on 6.x only", g)
	}
	if strings.Contains(loc, "/s/") {
		t.Errorf("Location %q shows a space", loc)
	}
}

func checkPage(t *testing.T, resp *http.Response, body, base string) {
	t.Helper()
	md, err := rewrite.Metadata(strings.NewReader(body))
	if err != nil {
		t.Fatalf("page metadata: %v", err)
	}
	if md["basePath"] != base {
		t.Errorf("basePath = %v, want the share's path", md["basePath"])
	}
	if !strings.Contains(body, `<style id="kshare">`) || !strings.Contains(body, `name="referrer"`) {
		t.Error("page lacks kshare's style or referrer meta")
	}
	for _, h := range []string{"Set-Cookie", "Kbn-Name", "Kbn-License-Sig", "Www-Authenticate"} {
		if resp.Header.Get(h) != "" {
			t.Errorf("response carries %s", h)
		}
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "private, no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
	if rp := resp.Header.Get("Referrer-Policy"); rp != "no-referrer" {
		t.Errorf("Referrer-Policy = %q", rp)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q lacks frame-ancestors 'none'", csp)
	}
	if resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("rewritten page still claims Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
}

func checkUpstreamHeaders(t *testing.T, r kibanatest.Request) {
	t.Helper()
	user, pass, ok := (&http.Request{Header: r.Header}).BasicAuth()
	if !ok || user != svcUser || pass != svcPass {
		t.Errorf("Kibana did not get the service credentials (Authorization %q)", r.Header.Get("Authorization"))
	}
	for _, h := range []string{"Cookie", "X-Forwarded-Host", "Forwarded", "Referer"} {
		if v := r.Header.Get(h); v != "" {
			t.Errorf("Kibana got the recipient's %s: %q", h, v)
		}
	}
	if xff := r.Header.Get("X-Forwarded-For"); xff != "127.0.0.1" {
		t.Errorf("X-Forwarded-For = %q, want kshare's own 127.0.0.1", xff)
	}
}

// TestRevocationPauseAndExpiry: DEL, pause and TTL each refuse the very
// next request, and nothing reaches Kibana.
func TestRevocationPauseAndExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, kbn.L710, envOptions{})
	res := e.create(createParams{Dashboard: e.kib.DashboardID()})
	base := sharePath(res.URL)
	api := base + "/api/saved_objects/dashboard/" + e.kib.DashboardID()
	if resp, body := e.do("GET", api, "", nil); resp.StatusCode != 200 {
		t.Fatalf("before revoke: %d %s", resp.StatusCode, body)
	}

	if err := e.d.store.SetPaused(t.Context(), res.Share.ID, true); err != nil {
		t.Fatal(err)
	}
	n := len(e.kib.Requests())
	if resp, _ := e.do("GET", api, "", nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("paused: status %d, want 403", resp.StatusCode)
	}
	if err := e.d.store.SetPaused(t.Context(), res.Share.ID, false); err != nil {
		t.Fatal(err)
	}
	if resp, _ := e.do("GET", api, "", nil); resp.StatusCode != 200 {
		t.Fatalf("resumed: status %d, want 200", resp.StatusCode)
	}

	rdb := e.redis.Client(t)
	start := time.Now()
	if err := rdb.Del(t.Context(), e.d.store.Key(res.Share.ID)).Err(); err != nil {
		t.Fatal(err)
	}
	n = len(e.kib.Requests())
	resp, body := e.do("GET", api, "", nil)
	t.Logf("DEL to refusal: %s", time.Since(start))
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, `"statusCode":404`) {
		t.Fatalf("after DEL: %d %s; want Kibana-shaped 404 JSON", resp.StatusCode, body)
	}
	if len(e.requestsSince(n)) != 0 {
		t.Fatal("a request with a revoked token reached Kibana")
	}

	short := e.create(createParams{Dashboard: e.kib.DashboardID(), TTL: time.Second, ttlSet: true})
	if resp, _ := e.do("GET", sharePath(short.URL), "", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("fresh short share: %d", resp.StatusCode)
	}
	time.Sleep(1200 * time.Millisecond)
	if resp, _ := e.do("GET", sharePath(short.URL), "", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("expired share: %d, want 404", resp.StatusCode)
	}
}

// TestUnknownAndWrongSecretLookAlike: an unknown id and a wrong secret get
// byte-identical answers, and neither reaches Kibana.
func TestUnknownAndWrongSecretLookAlike(t *testing.T) {
	t.Parallel()
	e := newEnv(t, kbn.L717, envOptions{})
	res := e.create(createParams{Dashboard: e.kib.DashboardID()})
	tok := res.URL[strings.LastIndex(res.URL, "/")+1:]
	id, secret, _ := strings.Cut(tok, ".")
	wrong := id + "." + strings.Repeat("A", len(secret))
	unknown := "aaaaaaaaaaaaaaaa." + secret
	n := len(e.kib.Requests())
	var bodies []string
	for _, tk := range []string{wrong, unknown, "garbage", id, strings.Repeat("x", 5000)} {
		resp, body := e.do("GET", "/kshare/"+tk+"/app/dashboards", "", map[string]string{"Accept": "text/html"})
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("token %.20q: status %d, want 404", tk, resp.StatusCode)
		}
		bodies = append(bodies, body)
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Error("refusals differ between unknown and wrong-secret tokens")
		}
	}
	if len(e.requestsSince(n)) != 0 {
		t.Fatal("a request with a bad token reached Kibana")
	}
}

// TestTwoSharesSideBySide: one client uses two shares in turn; each reaches
// only its own object and space.
func TestTwoSharesSideBySide(t *testing.T) {
	t.Parallel()
	e := newEnv(t, kbn.L717, envOptions{spaces: []string{"team"}})
	a := e.create(createParams{Dashboard: e.kib.DashboardID()})
	b := e.create(createParams{Visualization: e.kib.VisualizationID(), Space: "team"})
	for i := 0; i < 2; i++ {
		n := len(e.kib.Requests())
		if resp, _ := e.do("GET", sharePath(a.URL)+"/app/dashboards", "", nil); resp.StatusCode != 200 {
			t.Fatalf("share A page: %d", resp.StatusCode)
		}
		if resp, _ := e.do("GET", sharePath(b.URL)+"/app/dashboards", "", nil); resp.StatusCode != 403 {
			t.Fatalf("share B (a visualization) opened the dashboards app: %d", resp.StatusCode)
		}
		if resp, _ := e.do("GET", sharePath(b.URL)+"/app/visualize", "", nil); resp.StatusCode != 200 {
			t.Fatalf("share B page: %d", resp.StatusCode)
		}
		got := e.requestsSince(n)
		if len(got) != 2 || got[0].Space != "default" || got[1].Space != "team" {
			t.Fatalf("requests reached Kibana in the wrong spaces: %+v", spaces(got))
		}
	}
}

func spaces(rs []kibanatest.Request) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Method+" "+r.Path+" @"+r.Space)
	}
	return out
}
