package kibanatest_test

import (
	"bytes"
	"compress/gzip"
	"html"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/proxy/kibanatest"
)

func TestRedirects(t *testing.T) {
	t.Parallel()
	for _, l := range kbn.Lines() {
		t.Run(l.Name, func(t *testing.T) {
			t.Parallel()
			s := kibanatest.New(t, kibanatest.Options{Line: l, BasePath: "/kb", Spaces: []string{"x"}})
			home, slash := "/app/home", 302
			if l.Legacy() {
				home, slash = "/app/kibana", 301
			}
			cases := []struct{ path, loc string }{
				{"/kb/", "/kb" + home},
				{"/kb", "/kb" + home},
				{"/kb/app/dashboards/?a=b", "/kb/app/dashboards?a=b"},
			}
			if !l.OSD {
				cases = append(cases,
					struct{ path, loc string }{"/kb/s/x/", "/kb/s/x" + home},
					struct{ path, loc string }{"/kb/s/x/app/dashboards/", "/kb/s/x/app/dashboards"})
			}
			for i, tc := range cases {
				resp, b := do(t, s, "GET", tc.path, "")
				want := 302
				if i >= 2 && tc.path != "/kb/s/x/" {
					want = slash
				}
				if resp.StatusCode != want || resp.Header.Get("Location") != tc.loc {
					t.Errorf("%s: %d %q, want %d %q (%s)", tc.path, resp.StatusCode,
						resp.Header.Get("Location"), want, tc.loc, b)
				}
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	for _, l := range kbn.Lines() {
		t.Run(l.Name, func(t *testing.T) {
			t.Parallel()
			s := kibanatest.New(t, kibanatest.Options{
				Line: l, BasePath: "/kibana", Spaces: []string{"team"},
			})
			paths := []string{
				"/api/status",                 // outside the base path
				"/kibana/s/nope/api/status",   // unknown space
				"/kibana/api/no_such_route",   // unknown route
				"/kibana/99999/bundles/x.js",  // wrong build number
				"/kibana/api/saved_objects/x", // too few segments
			}
			if l.OSD {
				paths = append(paths, "/kibana/s/team/api/status") // OSD has no spaces
			}
			for _, p := range paths {
				resp, b := do(t, s, "GET", p, "")
				const want = `{"statusCode":404,"error":"Not Found","message":"Not Found"}`
				if resp.StatusCode != 404 || string(b) != want {
					t.Errorf("%s: %d %s", p, resp.StatusCode, b)
				}
			}
		})
	}
}

// metadataOf returns the page's injected metadata, decoded.
func metadataOf(t *testing.T, page []byte) map[string]any {
	t.Helper()
	m := regexp.MustCompile(`<(?:kbn|osd)-injected-metadata data="([^"]*)"`).FindSubmatch(page)
	if m == nil {
		t.Fatal("no injected metadata")
	}
	return decode(t, []byte(html.UnescapeString(string(m[1]))))
}

func TestPage(t *testing.T) {
	t.Parallel()
	csp := map[string]string{
		"6.8": "script-src 'unsafe-eval' 'self'; worker-src blob:; child-src blob:",
		"7.10": "script-src 'unsafe-eval' 'self'; worker-src blob: 'self'; " +
			"style-src 'unsafe-inline' 'self'",
		"8.15": "script-src 'report-sample' 'self'; worker-src 'report-sample' 'self' blob:; " +
			"style-src 'report-sample' 'self' 'unsafe-inline'",
		"osd-2": "script-src 'self'; worker-src blob: 'self'; style-src 'unsafe-inline' 'self'",
	}
	for _, l := range kbn.Lines() {
		t.Run(l.Name, func(t *testing.T) {
			t.Parallel()
			s := kibanatest.New(t, kibanatest.Options{
				Line: l, BasePath: "/kibana", Spaces: []string{"team"},
			})
			app, space := "/app/dashboards", "/s/team"
			if l.Legacy() {
				app = "/app/kibana"
			}
			if l.OSD {
				space = "" // no spaces in OSD
			}
			resp, gz := do(t, s, "GET", "/kibana"+space+app, "", "Accept-Encoding", "gzip, deflate, br")
			if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" ||
				!strings.EqualFold(resp.Header.Get("Vary"), "accept-encoding") {
				t.Fatalf("gzip page: %d %v", resp.StatusCode, resp.Header)
			}
			zr, err := gzip.NewReader(bytes.NewReader(gz))
			if err != nil {
				t.Fatal(err)
			}
			page, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			if want, ok := csp[l.Name]; ok && resp.Header.Get("Content-Security-Policy") != want {
				t.Errorf("CSP %q", resp.Header.Get("Content-Security-Policy"))
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
				resp.Header.Get("Cache-Control") == "" {
				t.Errorf("headers %v", resp.Header)
			}
			if ck := resp.Header.Get("Set-Cookie"); !strings.Contains(ck, "HttpOnly") {
				t.Errorf("Set-Cookie %q", ck)
			}
			checkPageBase(t, s, l, page, "/kibana"+space)

			resp, plain := do(t, s, "GET", "/kibana"+space+app, "", "Accept-Encoding", "gzip;q=0")
			if resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(plain, page) {
				t.Errorf("identity page differs or is encoded: %q", resp.Header.Get("Content-Encoding"))
			}
		})
	}
}

// checkPageBase checks that metadata and asset URLs carry the base paths.
func checkPageBase(t *testing.T, s *kibanatest.Server, l kbn.Line, page []byte, reqBase string) {
	t.Helper()
	md := metadataOf(t, page)
	if md["basePath"] != reqBase || md["version"] != s.Version() {
		t.Errorf("metadata basePath %v version %v", md["basePath"], md["version"])
	}
	if l.Legacy() {
		lm := md["legacyMetadata"].(map[string]any)
		if lm["basePath"] != reqBase || lm["version"] != s.Version() {
			t.Errorf("legacyMetadata basePath %v version %v", lm["basePath"], lm["version"])
		}
		active := md["vars"].(map[string]any)["activeSpace"].(map[string]any)["space"]
		if id := active.(map[string]any)["id"]; id != "team" {
			t.Errorf("vars.activeSpace.space.id = %v, want team", id)
		}
	} else if md["serverBasePath"] != "/kibana" {
		t.Errorf("serverBasePath %v", md["serverBasePath"])
	}
	script := reqBase + "/bootstrap.js"
	if l.Legacy() {
		script = reqBase + "/bundles/app/kibana/bootstrap.js"
	}
	if !bytes.Contains(page, []byte(`src="`+script+`"`)) {
		t.Errorf("no script %s", script)
	}
	favicons := reqBase + "/ui/favicons/"
	if l.AtLeast(8, 12) {
		favicons = "/kibana" + s.AssetPrefix() + "/ui/favicons/"
	}
	if !bytes.Contains(page, []byte(`href="`+favicons)) {
		t.Errorf("no favicons under %s", favicons)
	}
	assetURL := regexp.MustCompile(`(?:src|href)="(/[^"]*)"|url\('(/[^']*)'\)`)
	for _, m := range assetURL.FindAllSubmatch(page, -1) {
		u := string(m[1]) + string(m[2])
		if !strings.HasPrefix(u, "/kibana/") {
			t.Errorf("asset outside the base path: %s", u)
		}
	}
}

func TestBootstrapAndStatic(t *testing.T) {
	t.Parallel()
	for _, l := range kbn.Lines() {
		t.Run(l.Name, func(t *testing.T) {
			t.Parallel()
			s := kibanatest.New(t, kibanatest.Options{Line: l})
			boot, asset := "/bootstrap.js", s.AssetPrefix()+"/bundles/core/core.entry.js"
			if l.Legacy() {
				boot, asset = "/bundles/app/kibana/bootstrap.js", "/bundles/kibana.bundle.js"
			}
			resp, b := do(t, s, "GET", boot, "")
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"),
				"application/javascript") || len(b) == 0 {
				t.Errorf("bootstrap: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			resp, _ = do(t, s, "GET", asset, "")
			cc := resp.Header.Get("Cache-Control")
			if resp.StatusCode != 200 || !strings.Contains(cc, "max-age=31536000") {
				t.Errorf("asset: %d %q", resp.StatusCode, cc)
			}
		})
	}
}
