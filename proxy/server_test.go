package proxy

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/tokens"
)

// fakeStore knows one share.
type fakeStore struct {
	tok tokens.Token
	sh  tokens.Share
}

func (f *fakeStore) Lookup(_ context.Context, tok tokens.Token) (tokens.Share, error) {
	if tok.String() != f.tok.String() {
		return tokens.Share{}, tokens.ErrUnknown
	}
	return f.sh, nil
}

type fixedLine kbn.Line

func (l fixedLine) Line(context.Context) (kbn.Line, error) { return kbn.Line(l), nil }

type fakeObjects struct{}

func (fakeObjects) Object(_ context.Context, _, typ, id string) (kbn.SavedObject, error) {
	return kbn.SavedObject{ID: id, Type: typ}, nil
}

func (fakeObjects) Settings(context.Context, string, kbn.Line) (map[string]any, error) {
	return map[string]any{}, nil
}

// newTestServer puts kshare in front of upstream for one share in space
// "team" and returns kshare's URL and the share's base path.
func newTestServer(t *testing.T, upstream http.Handler) (string, string) {
	t.Helper()
	up := httptest.NewServer(upstream)
	t.Cleanup(up.Close)
	tok, err := tokens.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	st := &fakeStore{tok: tok, sh: tokens.Share{ID: tok.ID, Mode: tokens.Snapshot,
		Kind: kbn.KindDashboard, ObjectID: "D1", Space: "team",
		From: time.Unix(0, 0), To: time.Unix(3600, 0), TZ: "UTC"}}
	ku, _ := url.Parse(up.URL)
	front := httptest.NewUnstartedServer(nil)
	pu, _ := url.Parse("http://" + front.Listener.Addr().String())
	s, err := New(Options{Kibana: ku, PublicURL: pu, SharePrefix: "/kshare", Store: st,
		Lines: fixedLine(kbn.L717), Objects: fakeObjects{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	front.Config.Handler = s
	front.Start()
	t.Cleanup(front.Close)
	return front.URL, "/kshare/" + tok.String()
}

func TestRedirectsStayInsideTheShare(t *testing.T) {
	t.Parallel()
	var kibanaHost string
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kibanaHost = r.Host
		w.Header().Set("Location", r.URL.Query().Get("to"))
		w.WriteHeader(http.StatusFound)
	})
	front, base := newTestServer(t, up)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(to string) *http.Response {
		resp, err := client.Get(front + base + "/api/saved_objects/dashboard/D1?to=" + url.QueryEscape(to))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	get("/") // learn the host Kibana sees
	tests := []struct {
		name, to string
		status   int
		location string
	}{
		{"relative in own space", "/s/team/app/dashboards#/view/D1", 302, front + base + "/app/dashboards#/view/D1"},
		{"absolute to kibana", "http://" + kibanaHost + "/s/team/api/saved_objects/dashboard/D1", 302, front + base + "/api/saved_objects/dashboard/D1"},
		{"another host", "https://evil.example/s/team/app/dashboards", 502, ""},
		{"another space", "/s/other/app/dashboards", 502, ""},
		{"default space from a team share", "/app/dashboards", 502, ""},
		{"login page", "/login?next=%2Fs%2Fteam%2Fapp%2Fdashboards", 502, ""},
		{"space selector", "/spaces/space_selector", 502, ""},
		{"another app", "/s/team/app/dev_tools", 502, ""},
		{"dot segments", "/s/team/app/../api/console/proxy", 502, ""},
	}
	for _, tt := range tests {
		resp := get(tt.to)
		if resp.StatusCode != tt.status || resp.Header.Get("Location") != tt.location {
			t.Errorf("%s: %d %q, want %d %q", tt.name, resp.StatusCode, resp.Header.Get("Location"), tt.status, tt.location)
		}
	}
}

func TestStaticResponseHeaders(t *testing.T) {
	t.Parallel()
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "sid=1")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Kbn-Name", "kibana-prod-7")
		w.Header().Set("Cache-Control", "max-age=31536000")
		w.Header().Set("Connection", "X-Secret-Hop")
		w.Header().Set("X-Secret-Hop", "1")
		_, _ = io.WriteString(w, "js")
	})
	front, _ := newTestServer(t, up)
	resp, err := http.Get(front + "/46534/bundles/core/core.entry.js")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, h := range []string{"Set-Cookie", "Access-Control-Allow-Origin", "Kbn-Name", "X-Secret-Hop"} {
		if resp.Header.Get(h) != "" {
			t.Errorf("static response carries %s", h)
		}
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age") {
		t.Errorf("static Cache-Control = %q, want Kibana's caching kept", cc)
	}
}

func TestUpstreamGarbageAndCancel(t *testing.T) {
	t.Parallel()
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hj, _ := w.(http.Hijacker)
		c, _, _ := hj.Hijack()
		_, _ = io.WriteString(c, "NOT HTTP\r\n\r\n")
		c.Close()
	})
	front, base := newTestServer(t, up)
	resp, err := http.Get(front + base + "/api/saved_objects/dashboard/D1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || strings.Contains(string(b), "127.0.0.1") {
		t.Fatalf("garbage from Kibana: %d %s", resp.StatusCode, b)
	}
}
