package browsertest

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// layoutPage has one element per state Box tells apart.
const layoutPage = `<!DOCTYPE html><html><head><style>
body{margin:0} div{width:100px;height:40px;margin:4px}
#parent-none{display:none} #fade{opacity:0}
#cover{position:absolute;top:0;left:300px;width:200px;height:200px}
#lid{position:absolute;top:0;left:300px;width:200px;height:200px;z-index:2;background:#000}
#clip{height:0;overflow:hidden}
</style></head><body>
<div id="shown">shown</div>
<div id="none" style="display:none">none</div>
<div id="parent-none"><div id="child-none">child</div></div>
<div id="fade"><div id="child-faded">child</div></div>
<div id="hidden" style="visibility:hidden">hidden</div>
<div id="empty" style="width:0;height:0"></div>
<div id="away" style="position:absolute;left:-5000px">away</div>
<div id="cover">under</div><div id="lid"></div>
<div id="clip"><div id="clipped">clipped</div></div>
<div id="below" style="position:absolute;top:3000px">below the fold</div>
</body></html>`

func TestBoxes(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, layoutPage)
	}))
	defer srv.Close()
	b := New(t, Options{})
	if err := b.Open(srv.URL, 15*time.Second, "document.readyState === 'complete'"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id, why string // why "" means visible
	}{
		{"shown", ""},
		{"none", "display:none"},
		{"child-none", "display:none on div#parent-none"},
		{"child-faded", "opacity:0 on div#fade"},
		{"hidden", "visibility:hidden"},
		{"empty", "zero size"},
		{"away", "off-screen"},
		{"cover", "covered by div#lid"},
		{"clipped", "covered by"},
		{"below", ""}, // below the fold is visible: Boxes scrolls to it
	}
	for _, tt := range tests {
		boxes, err := b.Boxes("#" + tt.id)
		if err != nil || len(boxes) != 1 {
			t.Fatalf("%s: %v, %d boxes", tt.id, err, len(boxes))
		}
		got := boxes[0]
		if got.Visible != (tt.why == "") || !strings.HasPrefix(got.Why, tt.why) {
			b.Errorf("%s: got %v, want why %q", tt.id, got, tt.why)
		}
	}
	if vis, err := b.Visible("div"); err != nil || !vis {
		t.Errorf("Visible(div) = %v, %v; want true", vis, err)
	}
	if n, err := b.Count("div"); err != nil || n != 14 {
		t.Errorf("Count(div) = %d, %v; want 14", n, err)
	}
}

func TestRequestsAndScreenshot(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(ArtifactsEnv, dir)
	closed := closedPort(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			fmt.Fprintf(w, `<!DOCTYPE html><img src="/img"><img src="/missing"><img src="/moved">`+
				`<img src="http://127.0.0.1:%d/refused">`+
				`<script>fetch('/api', {method: 'POST'}).then(() => window.done = true)</script>`, closed)
		case "/moved":
			http.Redirect(w, r, "/img", http.StatusFound)
		case "/missing":
			http.NotFound(w, r)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer srv.Close()
	b := New(t, Options{Width: 800, Height: 600})
	err := b.Open(srv.URL+"/#frag", 15*time.Second, "window.done")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for b.InFlight() > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	got := map[string]string{}
	for _, r := range b.Requests() {
		got[r.Method+" "+strings.TrimPrefix(r.URL, srv.URL)] = r.String()
	}
	for key, want := range map[string]string{
		"GET /":        "→ 200",
		"GET /img":     "→ 204",
		"GET /missing": "→ 404",
		"GET /moved":   "→ 302",
		"POST /api":    "→ 204",
		"GET http://127.0.0.1:" + fmt.Sprint(closed) + "/refused": "ERR_CONNECTION_REFUSED",
	} {
		if !strings.Contains(got[key], want) {
			t.Errorf("%s: recorded %q, want %q", key, got[key], want)
		}
	}
	if loc := b.Location(); loc != srv.URL+"/#frag" {
		t.Errorf("Location = %q", loc)
	}
	path, err := b.Screenshot("page")
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Size() == 0 || !strings.HasPrefix(path, dir) {
		t.Fatalf("screenshot %s: %v", path, err)
	}
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// TestThirdPartyCookies: a frame from another site (localhost inside a page
// of 127.0.0.1) sets a cookie and loads a second frame; the cookie comes
// back only when third-party cookies are allowed. Chromium treats
// http://localhost as secure, so a SameSite=None; Secure cookie is valid.
func TestThirdPartyCookies(t *testing.T) {
	for _, block := range []bool{false, true} {
		t.Run(fmt.Sprintf("block=%v", block), func(t *testing.T) {
			var mu sync.Mutex
			var echoed []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/":
					port := r.Host[strings.LastIndex(r.Host, ":")+1:]
					fmt.Fprintf(w, `<iframe src="http://localhost:%s/set"></iframe>`, port)
				case "/set":
					w.Header().Set("Set-Cookie", "c=1; Path=/; SameSite=None; Secure")
					fmt.Fprint(w, `<iframe src="/echo"></iframe>`)
				case "/echo":
					mu.Lock()
					echoed = append(echoed, r.Header.Get("Cookie"))
					mu.Unlock()
				}
			}))
			defer srv.Close()
			b := New(t, Options{BlockThirdPartyCookies: block})
			if err := b.Open(srv.URL, 15*time.Second, ""); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				mu.Lock()
				n := len(echoed)
				mu.Unlock()
				if n > 0 || time.Now().After(deadline) {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(echoed) == 0 {
				t.Fatal("the third-party frame never loaded")
			}
			if sent := echoed[0] == "c=1"; sent == block {
				t.Errorf("block=%v: third-party frame sent Cookie %q", block, echoed[0])
			}
		})
	}
}

// fakeTB records how New gives up; it stops New by panicking, as the real
// Skip and Fatal stop the test goroutine.
type fakeTB struct {
	testing.TB
	how string
}

func (f *fakeTB) Helper()               {}
func (f *fakeTB) Skip(args ...any)      { f.how = "skip: " + fmt.Sprint(args...); panic(f) }
func (f *fakeTB) Fatal(args ...any)     { f.how = "fatal: " + fmt.Sprint(args...); panic(f) }
func (f *fakeTB) Fatalf(string, ...any) { f.how = "fatalf"; panic(f) }

// TestMissingChromium: without a browser New skips on a developer machine
// and fails in CI, saying how to install one.
func TestMissingChromium(t *testing.T) {
	saved := debianChromium
	defer func() { debianChromium = saved }()
	debianChromium = filepath.Join(t.TempDir(), "no-chromium")
	t.Setenv("PATH", t.TempDir())
	for _, ci := range []string{"", "true"} {
		t.Setenv("CI", ci)
		f := &fakeTB{TB: t}
		func() {
			defer func() { _ = recover() }()
			New(f, Options{})
		}()
		want := "skip: "
		if ci != "" {
			want = "fatal: "
		}
		if f.how != want+MissingChromium {
			t.Errorf("CI=%q: New did %q, want %q", ci, f.how, want+MissingChromium)
		}
	}
}
