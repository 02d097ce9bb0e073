package kibanatest_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/proxy/kibanatest"
)

// client neither follows redirects nor decompresses, so tests see exactly
// what the stand-in sent.
var client = &http.Client{
	Transport:     &http.Transport{DisableCompression: true},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       10 * time.Second,
}

// do sends one request; hdr is name, value pairs.
func do(t *testing.T, s *kibanatest.Server, method, path, body string,
	hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp, b
}

// xsrf returns the header pair that passes the XSRF check on the line.
func xsrf(l kbn.Line) []string {
	if l.OSD {
		return []string{"osd-xsrf", "true"}
	}
	return []string{"kbn-xsrf", "true"}
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return m
}

func TestVersionAndStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line    kbn.Line
		version string
		build   int
		prefix  string
		level   bool
		name    string
	}{
		{kbn.L68, "6.8.23", 20352, "", false, "kibana"},
		{kbn.L710, "7.10.2", 36136, "/36136", false, "kibana"},
		{kbn.L717, "7.17.25", 46534, "/46534", false, "kibana"},
		{kbn.L813, "8.13.4", 72346, "/72346", true, "kibana"},
		{kbn.L815, "8.15.3", 76360, "/7f9c3a1d2e4b", true, "kibana"},
		{kbn.L91, "9.1.0", 85112, "/c3e8f0b1a2d4", true, "kibana"},
		{kbn.OSD2, "2.11.0", 7812, "/7812", false, "opensearch-dashboards"},
	}
	for _, tt := range tests {
		t.Run(tt.line.Name, func(t *testing.T) {
			t.Parallel()
			s := kibanatest.New(t, kibanatest.Options{Line: tt.line})
			if s.Version() != tt.version || s.BuildNumber() != tt.build || s.AssetPrefix() != tt.prefix {
				t.Fatalf("got %s/%d/%q, want %s/%d/%q", s.Version(), s.BuildNumber(),
					s.AssetPrefix(), tt.version, tt.build, tt.prefix)
			}
			resp, b := do(t, s, "GET", "/api/status", "")
			if resp.StatusCode != 200 {
				t.Fatalf("status %d %s", resp.StatusCode, b)
			}
			var st struct {
				Name    string
				Version struct {
					Number      string `json:"number"`
					BuildNumber int    `json:"build_number"`
					BuildHash   string `json:"build_hash"`
				}
				Status struct{ Overall map[string]any }
			}
			if err := json.Unmarshal(b, &st); err != nil {
				t.Fatal(err)
			}
			if st.Name != tt.name || st.Version.Number != tt.version ||
				st.Version.BuildNumber != tt.build || st.Version.BuildHash != s.BuildSHA() {
				t.Errorf("status = %+v", st)
			}
			want := map[bool]string{false: "state", true: "level"}[tt.level]
			if _, ok := st.Status.Overall[want]; !ok {
				t.Errorf("overall = %v, want key %q", st.Status.Overall, want)
			}
			if !tt.line.OSD && resp.Header.Get("kbn-name") != "kibana" {
				t.Errorf("kbn-name = %q", resp.Header.Get("kbn-name"))
			}
		})
	}
}

func TestRecording(t *testing.T) {
	t.Parallel()
	s := kibanatest.New(t, kibanatest.Options{Line: kbn.L815, BasePath: "/kibana",
		Spaces: []string{"team"}, Username: "u", Password: "p"})
	do(t, s, "GET", "/elsewhere", "")
	do(t, s, "POST", "/kibana/s/team/api/saved_objects/_bulk_get?x=%2F", `[{"type":"a","id":"b"}]`,
		"kbn-xsrf", "1", "X-Test", "yes")
	do(t, s, "GET", "/kibana/api/saved_objects/dashboard/a%2Fb", "")
	reqs := s.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests recorded, want 3", len(reqs))
	}
	if reqs[0].Path != "/elsewhere" || reqs[0].Space != "" {
		t.Errorf("outside base: %+v", reqs[0])
	}
	r := reqs[1]
	if r.Method != "POST" || r.Path != "/kibana/s/team/api/saved_objects/_bulk_get" ||
		r.RawQuery != "x=%2F" || r.Space != "team" || string(r.Body) != `[{"type":"a","id":"b"}]` ||
		r.Header.Get("X-Test") != "yes" {
		t.Errorf("refused request recorded as %+v", r)
	}
	if reqs[2].Path != "/kibana/api/saved_objects/dashboard/a%2Fb" || reqs[2].Space != "default" {
		t.Errorf("escaped path recorded as %q", reqs[2].Path)
	}
	s.Reset()
	if n := len(s.Requests()); n != 0 {
		t.Errorf("after Reset: %d", n)
	}
}

func TestSetDown(t *testing.T) {
	t.Parallel()
	s := kibanatest.New(t, kibanatest.Options{Line: kbn.L710})
	if resp, _ := do(t, s, "GET", "/api/status", ""); resp.StatusCode != 200 {
		t.Fatalf("up: %d", resp.StatusCode)
	}
	s.SetDown(true)
	_, err := client.Get(s.URL + "/api/status")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("down: err = %v, want connection refused", err)
	}
	s.SetDown(false)
	if resp, _ := do(t, s, "GET", "/api/status", ""); resp.StatusCode != 200 {
		t.Fatalf("up again: %d", resp.StatusCode)
	}
}

func TestSetDelayAndStatus(t *testing.T) {
	t.Parallel()
	s := kibanatest.New(t, kibanatest.Options{Line: kbn.L717, BasePath: "/kibana"})
	s.SetDelay(120 * time.Millisecond)
	start := time.Now()
	do(t, s, "GET", "/kibana/api/status", "")
	if d := time.Since(start); d < 120*time.Millisecond {
		t.Errorf("answered after %v, want >= 120ms", d)
	}
	s.SetDelay(0)

	s.SetStatus("/api/status", 500)
	resp, b := do(t, s, "GET", "/kibana/api/status", "")
	if resp.StatusCode != 500 || decode(t, b)["error"] != "Internal Server Error" {
		t.Errorf("forced: %d %s", resp.StatusCode, b)
	}
	s.SetStatus("/kibana/app/dashboards", 503)
	if resp, _ = do(t, s, "GET", "/kibana/app/dashboards", ""); resp.StatusCode != 503 {
		t.Errorf("forced by full path: %d", resp.StatusCode)
	}
	s.SetStatus("/api/status", 0)
	if resp, _ = do(t, s, "GET", "/kibana/api/status", ""); resp.StatusCode != 200 {
		t.Errorf("cleared: %d", resp.StatusCode)
	}
}
