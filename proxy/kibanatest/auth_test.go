package kibanatest_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/proxy/kibanatest"
)

// authCase is one request against a server that requires svc:pw or the API
// key k3y, under base path /kibana with space "team".
type authCase struct {
	name, path, auth string
	hdr              []string
	code             int
	location         string
}

// authCases returns the table for a line and the line's login URL prefix.
func authCases(l kbn.Line) ([]authCase, string) {
	app := "dashboards"
	if l.Legacy() {
		app = "kibana"
	}
	page := "/kibana/app/" + app
	login, loginPage := "/kibana/login?next=", "/kibana/login"
	if l.OSD {
		login, loginPage = "/kibana/app/login?nextUrl=", "/kibana/app/login"
	}
	const good = "Basic c3ZjOnB3" // svc:pw
	cases := []authCase{
		{"api without credentials", "/kibana/api/status", "", nil, 401, ""},
		{"api bad password", "/kibana/api/status", "Basic c3ZjOm5v", nil, 401, ""},
		{"api bad key", "/kibana/api/status", "ApiKey nope", nil, 401, ""},
		{"api basic", "/kibana/api/status", good, nil, 200, ""},
		{"api key", "/kibana/api/status", "ApiKey k3y", nil, 200, ""},
		{"page redirects", page + "?x=1", "", nil, 302,
			login + "%2Fkibana%2Fapp%2F" + app + "%3Fx%3D1"},
		{"xhr to page gets 401", page, "", xsrf(l), 401, ""},
		{"root redirects to login", "/kibana/", "", nil, 302, login + "%2Fkibana%2F"},
		{"static needs none", "/kibana/ui/favicons/favicon.png", "", nil, 200, ""},
		{"translations need none", "/kibana/translations/en.json", "", nil, 200, ""},
		{"login page needs none", loginPage, "", nil, 200, ""},
	}
	if !l.OSD { // no spaces in OSD; TestNotFound covers /s/ there
		cases = append(cases, authCase{"page in space", "/kibana/s/team/app/" + app, "", nil,
			302, login + "%2Fkibana%2Fs%2Fteam%2Fapp%2F" + app})
	}
	return cases, login
}

func TestAuth(t *testing.T) {
	t.Parallel()
	for _, l := range kbn.Lines() {
		t.Run(l.Name, func(t *testing.T) {
			t.Parallel()
			s := kibanatest.New(t, kibanatest.Options{
				Line: l, BasePath: "/kibana", Username: "svc", Password: "pw", APIKey: "k3y",
				Spaces: []string{"team"},
			})
			cases, login := authCases(l)
			for _, tc := range cases {
				checkAuth(t, s, tc)
			}

			s.SetAuthMode(kibanatest.AuthModeLoginRedirect)
			resp, _ := do(t, s, "GET", "/kibana/api/status", "")
			loc := resp.Header.Get("Location")
			if resp.StatusCode != 302 || !strings.HasPrefix(loc, login) {
				t.Errorf("login-redirect mode: %d %q", resp.StatusCode, loc)
			}
		})
	}
}

func checkAuth(t *testing.T, s *kibanatest.Server, tc authCase) {
	t.Helper()
	hdr := append([]string{}, tc.hdr...)
	if tc.auth != "" {
		hdr = append(hdr, "Authorization", tc.auth)
	}
	resp, b := do(t, s, "GET", tc.path, "", hdr...)
	if resp.StatusCode != tc.code {
		t.Errorf("%s: code %d, want %d (%s)", tc.name, resp.StatusCode, tc.code, b)
		return
	}
	if loc := resp.Header.Get("Location"); tc.location != "" && loc != tc.location {
		t.Errorf("%s: Location %q, want %q", tc.name, loc, tc.location)
	}
	if tc.code != 401 {
		return
	}
	m := decode(t, b)
	if m["statusCode"] != 401.0 || m["error"] != "Unauthorized" || m["message"] == "" {
		t.Errorf("%s: body %s", tc.name, b)
	}
	if resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("%s: no WWW-Authenticate", tc.name)
	}
	if bytes.Contains(b, []byte("pw")) || bytes.Contains(b, []byte("k3y")) {
		t.Errorf("%s: secret in body %s", tc.name, b)
	}
}

func TestXSRFAndVersion(t *testing.T) {
	t.Parallel()
	for _, l := range kbn.Lines() {
		t.Run(l.Name, func(t *testing.T) {
			t.Parallel()
			s := kibanatest.New(t, kibanatest.Options{Line: l})
			pre := "kbn"
			if l.OSD {
				pre = "osd"
			}
			body := `[{"type":"dashboard","id":"` + s.DashboardID() + `"}]`
			const path = "/api/saved_objects/_bulk_get"

			resp, b := do(t, s, "POST", path, body, "Content-Type", "application/json")
			want := "Request must contain a " + pre + "-xsrf header."
			if resp.StatusCode != 400 || decode(t, b)["message"] != want {
				t.Errorf("no xsrf: %d %s", resp.StatusCode, b)
			}
			if !l.OSD {
				// OSD renamed the header; kbn-xsrf does not count there.
				resp, _ = do(t, s, "POST", path, body, "kbn-xsrf", "x")
				if resp.StatusCode != 200 {
					t.Errorf("kbn-xsrf: %d", resp.StatusCode)
				}
			} else if resp, _ = do(t, s, "POST", path, body, "kbn-xsrf", "x"); resp.StatusCode != 400 {
				t.Errorf("OSD with kbn-xsrf: %d, want 400", resp.StatusCode)
			}
			resp, _ = do(t, s, "POST", path, body, pre+"-version", s.Version())
			if resp.StatusCode != 200 {
				t.Errorf("matching %s-version: %d", pre, resp.StatusCode)
			}
			resp, b = do(t, s, "GET", "/api/status", "", pre+"-version", "1.0.0")
			if resp.StatusCode != 400 ||
				!strings.HasPrefix(decode(t, b)["message"].(string),
					"Browser client is out of date, please refresh the page") {
				t.Errorf("old %s-version: %d %s", pre, resp.StatusCode, b)
			}
		})
	}
}

func TestInternalOrigin91(t *testing.T) {
	t.Parallel()
	for _, l := range []kbn.Line{kbn.L815, kbn.L91} {
		t.Run(l.Name, func(t *testing.T) {
			t.Parallel()
			s := kibanatest.New(t, kibanatest.Options{Line: l})
			body := `{"params":{"index":"kibana_sample_data_ecommerce","body":{}}}`
			resp, b := do(t, s, "POST", "/internal/search/es", body, "kbn-xsrf", "1")
			want := 200
			if l == kbn.L91 {
				want = 400
			}
			if resp.StatusCode != want {
				t.Fatalf("without origin: %d %s, want %d", resp.StatusCode, b, want)
			}
			if want == 400 {
				msg := decode(t, b)["message"].(string)
				if msg != "uri [/internal/search/es] with method [post] exists but is not "+
					"available with the current configuration" {
					t.Errorf("message %q", msg)
				}
			}
			resp, _ = do(t, s, "POST", "/internal/search/es", body, "kbn-xsrf", "1",
				"x-elastic-internal-origin", "Kibana")
			if resp.StatusCode != 200 {
				t.Errorf("with origin: %d", resp.StatusCode)
			}
			resp, _ = do(t, s, "GET", "/api/status", "")
			if resp.StatusCode != 200 {
				t.Errorf("public route: %d", resp.StatusCode)
			}
		})
	}
}
