package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/kshare/kshare/config"
	"github.com/kshare/kshare/proxy/browsertest"
	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/rewrite"
	"github.com/kshare/kshare/tokens"
)

// chromiumSlots bounds how many Chromiums the package's tests run at once:
// each takes most of a core while it lays out a page, and the suite runs
// its tests in parallel on small CI machines.
var chromiumSlots = make(chan struct{}, 2)

// newBrowser starts a headless Chromium with a fresh profile once a slot is
// free; the slot is given back after the browser has closed (cleanups run
// last in, first out).
func newBrowser(t *testing.T) *browsertest.Browser {
	t.Helper()
	chromiumSlots <- struct{}{}
	t.Cleanup(func() { <-chromiumSlots })
	return browsertest.New(t, browsertest.Options{})
}

// replicaFiles names each line's chrome DOM replica in testdata/chrome
// (copied from the fixture pack; 8.13 draws the same classic chrome as the
// 8.15 replica, see rewrite.Hidden.Lines).
var replicaFiles = map[string]string{
	kbn.L68.Name:  "kibana-6.8-dashboard.html",
	kbn.L710.Name: "kibana-7.10-dashboard.html",
	kbn.L717.Name: "kibana-7.17-dashboard.html",
	kbn.L813.Name: "kibana-8.x-dashboard.html",
	kbn.L815.Name: "kibana-8.x-dashboard.html",
	kbn.L91.Name:  "kibana-9.x-dashboard.html",
	kbn.OSD2.Name: "opensearch-dashboards-2.x-dashboard.html",
}

// replicaPanels is how many dashboard panels every replica draws.
const replicaPanels = 2

// replica is a chrome DOM replica taken apart for SetAppBody.
type replica struct {
	raw       []byte // the file as it is
	body      []byte // its stylesheet and body content, plus a full-screen exit
	bodyClass string // the classes Kibana's code puts on <body>
	exitSels  []string
}

// fullScreenExit is the button a dashboard in full-screen mode draws
// (kibana-ui.md §3, "Full-screen exit"), which no replica models: the
// kibana_react button up to 7.x and in OSD (a 7.10 fork), shared-ux's from
// 8.0. It is fixed to the bottom left with an inline style, so that it
// would show whatever the replica's stylesheet says.
func fullScreenExit(l kbn.Line) (markup string, selectors []string) {
	const style = `style="position:fixed;left:8px;bottom:8px;z-index:5;` +
		`width:120px;height:40px;display:block"`
	if l.AtLeast(8, 0) {
		return `<button type="button" class="exitFullScreenButton" ` +
				`data-test-subj="exitFullScreenModeButton" ` + style +
				`><span data-test-subj="exitFullScreenModeText">Exit full screen</span></button>`,
			[]string{`[data-test-subj~="exitFullScreenModeButton"]`, ".exitFullScreenButton"}
	}
	return `<div><button type="button" class="dshExitFullScreenButton" ` +
			`data-test-subj="exitFullScreenModeLogo" ` + style +
			`><span data-test-subj="exitFullScreenModeText">Exit full screen</span></button></div>`,
		[]string{`[data-test-subj~="exitFullScreenModeLogo"]`, ".dshExitFullScreenButton"}
}

func loadReplica(t *testing.T, l kbn.Line) replica {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "chrome", replicaFiles[l.Name]))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	doc.Find("head style").Each(func(_ int, s *goquery.Selection) {
		html, _ := goquery.OuterHtml(s)
		b.WriteString(html)
	})
	inner, err := doc.Find("body").Html()
	if err != nil {
		t.Fatal(err)
	}
	b.WriteString(inner)
	exit, sels := fullScreenExit(l)
	b.WriteString(exit)
	class, _ := doc.Find("body").Attr("class")
	return replica{raw: raw, body: []byte(b.String()), bodyClass: class, exitSels: sels}
}

// TestBrowserHidesChrome opens a share on every line in Chromium. The
// stand-in serves the line's real bootstrap page with the line's chrome
// DOM replica as its body, so what the browser lays out is kshare's
// rewritten page (its injected stylesheet, metadata and headers) around
// the chrome Kibana would have drawn. From computed style and layout:
// every chrome element the line shows (rewrite.Hidden.Lines, plus the
// full-screen exit) is in the DOM and not visible, and every panel is
// visible, has a size and is on top at its centre.
func TestBrowserHidesChrome(t *testing.T) {
	t.Parallel()
	for _, line := range kbn.Lines() {
		t.Run(line.Name, func(t *testing.T) {
			t.Parallel()
			rep := loadReplica(t, line)
			e := newEnv(t, line, envOptions{})
			e.kib.SetAppBody(rep.body)
			res := e.create(createParams{Dashboard: e.kib.DashboardID()})
			b := newBrowser(t)

			// Control: the bare replica shows its chrome, so the checks
			// below can tell shown from hidden.
			raw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				_, _ = w.Write(rep.raw)
			}))
			defer raw.Close()
			if err := b.Open(raw.URL, 15*time.Second, "document.readyState === 'complete'"); err != nil {
				t.Fatal(err)
			}
			checkChromeShown(t, b, line)

			err := b.Open(res.URL, 15*time.Second, panelsPresent)
			if err != nil {
				b.Errorf("share page: %v", err)
				t.FailNow()
			}
			if !strings.HasPrefix(b.Location(), e.srv.URL+sharePath(res.URL)+"/app/") {
				b.Errorf("page is %s, not the app under the share path", b.Location())
			}
			// Kibana's browser code sets these body classes once it has
			// drawn the chrome; the page's CSP allows no inline script,
			// so the test sets them through the DevTools protocol.
			cls, _ := json.Marshal(rep.bodyClass)
			if err := b.Eval("document.body.className = "+string(cls), nil); err != nil {
				t.Fatal(err)
			}
			checkChromeHidden(t, b, line, rep.exitSels)
			checkPanelsShown(t, b)
		})
	}
}

// panelsPresent waits for the replica's panels under kshare's stylesheet.
const panelsPresent = `document.readyState === 'complete' &&
  document.querySelector('style#kshare') !== null &&
  document.querySelectorAll('[data-test-subj~="dashboardPanel"]').length > 0`

// expected reports whether the replica of line shows h, counting the
// full-screen exit the test adds.
func expected(h rewrite.Hidden, line kbn.Line, exitSels []string) bool {
	return slices.Contains(h.Lines, line.Name) || slices.Contains(exitSels, h.Selector)
}

// controlChrome are chrome elements each replica draws in plain view
// (those of rewrite.Hidden.Lines that no other element covers there):
// without kshare they must come out visible.
var controlChrome = []string{
	`[data-test-subj~="breadcrumbs"]`, `[data-test-subj~="top-nav"]`,
	`[data-test-subj~="queryInput"]`, `[data-test-subj~="addFilter"]`,
	".euiSuperDatePicker", `[data-test-subj~="superDatePickerToggleQuickMenuButton"]`,
}

func checkChromeShown(t *testing.T, b *browsertest.Browser, line kbn.Line) {
	t.Helper()
	for _, sel := range controlChrome {
		vis, err := b.Visible(sel)
		if err != nil {
			t.Fatal(err)
		}
		if !vis {
			boxes, _ := b.Boxes(sel)
			b.Errorf("control: %s not visible in the bare %s replica: %v", sel, line.Name, boxes)
		}
	}
}

func checkChromeHidden(t *testing.T, b *browsertest.Browser, line kbn.Line, exitSels []string) {
	t.Helper()
	checked := 0
	for _, h := range rewrite.HiddenElements() {
		boxes, err := b.Boxes(h.Selector)
		if err != nil {
			t.Fatal(err)
		}
		if expected(h, line, exitSels) {
			checked++
			if len(boxes) == 0 {
				b.Errorf("%s (%s): not in the page; the replica shows it", h.Name, h.Selector)
			}
		}
		for _, x := range boxes {
			if x.Visible {
				b.Errorf("%s (%s) is visible: %v", h.Name, h.Selector, x)
			}
		}
	}
	if checked == 0 {
		t.Fatalf("no hidden element is expected on %s", line.Name)
	}
}

func checkPanelsShown(t *testing.T, b *browsertest.Browser) {
	t.Helper()
	n, err := b.Count(`[data-test-subj~="dashboardPanel"]`)
	if err != nil {
		t.Fatal(err)
	}
	if n != replicaPanels {
		b.Errorf("%d dashboard panels in the page, want %d", n, replicaPanels)
	}
	for _, sel := range rewrite.PanelSelectors() {
		boxes, err := b.Boxes(sel)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range boxes {
			if !x.Visible || x.Width < 1 || x.Height < 1 {
				b.Errorf("panel %s: %v", sel, x)
			}
		}
	}
}

// TestBrowserRefusalPages: each page kshare shows instead of a dashboard
// reads well in a browser (a title and a message, both visible), says what
// to do, and gives away nothing about kshare's insides.
func TestBrowserRefusalPages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opts   envOptions
		status int
		// setup breaks something and returns the URL to open.
		setup func(e *env) string
	}{
		{"unknown link", envOptions{}, http.StatusNotFound, func(e *env) string {
			res := e.create(createParams{Dashboard: e.kib.DashboardID()})
			tok := res.URL[strings.LastIndex(res.URL, "/")+1:]
			_, secret, _ := strings.Cut(tok, ".")
			return e.srv.URL + "/kshare/aaaaaaaaaaaaaaaa." + secret
		}},
		{"paused link", envOptions{}, http.StatusForbidden, func(e *env) string {
			res := e.create(createParams{Dashboard: e.kib.DashboardID()})
			if err := e.d.store.SetPaused(e.t.Context(), res.Share.ID, true); err != nil {
				e.t.Fatal(err)
			}
			return res.URL
		}},
		{"deleted object", envOptions{}, http.StatusNotFound, func(e *env) string {
			res := e.create(createParams{Dashboard: e.kib.DashboardID()})
			e.kib.DeleteObject("default", "dashboard", e.kib.DashboardID())
			time.Sleep(100 * time.Millisecond) // past ObjectCacheTTL
			return res.URL
		}},
		{"Kibana refuses credentials", envOptions{mutate: func(c *config.Config) {
			c.Kibana.Password = "not-the-password"
		}}, http.StatusBadGateway, func(e *env) string {
			// The CLI cannot create a share Kibana will not show it.
			_, tok, err := e.d.store.Create(e.t.Context(), tokens.Share{
				Mode: tokens.Saved, Kind: kbn.KindDashboard, ObjectID: e.kib.DashboardID(),
				TZ: "UTC", Created: time.Now()}, time.Hour)
			if err != nil {
				e.t.Fatal(err)
			}
			return e.srv.URL + "/kshare/" + tok.String()
		}},
		{"Kibana down", envOptions{}, http.StatusBadGateway, func(e *env) string {
			res := e.create(createParams{Dashboard: e.kib.DashboardID()})
			e.kib.SetDown(true)
			time.Sleep(100 * time.Millisecond) // past ObjectCacheTTL
			return res.URL
		}},
		{"Redis down", envOptions{}, http.StatusServiceUnavailable, func(e *env) string {
			res := e.create(createParams{Dashboard: e.kib.DashboardID()})
			e.redis.Stop()
			return res.URL
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, kbn.L717, tt.opts)
			link := tt.setup(e)
			b := newBrowser(t)
			if err := b.Open(link, 15*time.Second, "document.querySelector('h1')"); err != nil {
				b.Errorf("refusal page: %v", err)
				t.FailNow()
			}
			checkRefusalPage(t, b, e, tt.status)
		})
	}
}

// actionPhrases are the ways a refusal page tells the recipient what to do.
var actionPhrases = []string{"new link", "try again", "tell the person who sent"}

// internalDetail matches what a refusal page must never show: addresses,
// Go error text, stack traces.
var internalDetail = regexp.MustCompile(
	`(?i)dial tcp|connection refused|goroutine \d|panic|\.go:\d|runtime/|x509|i/o timeout`)

func checkRefusalPage(t *testing.T, b *browsertest.Browser, e *env, status int) {
	t.Helper()
	reqs := b.Requests()
	if len(reqs) == 0 || reqs[0].Status != status {
		b.Errorf("requests %v: want the link answered %d", reqs, status)
	}
	var page struct{ Title, H1, P, Text, HTML string }
	if err := b.Eval(`({Title: document.title,
		H1: (document.querySelector('h1') || {}).innerText || '',
		P: (document.querySelector('p') || {}).innerText || '',
		Text: document.body.innerText, HTML: document.documentElement.outerHTML})`,
		&page); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d %q: %q", reqs[0].Status, page.H1, page.P)
	if strings.TrimSpace(page.Title) == "" || strings.TrimSpace(page.H1) == "" ||
		len(strings.TrimSpace(page.P)) < 20 {
		b.Errorf("page lacks a title, heading or message: %+v", page)
	}
	for _, sel := range []string{"h1", "p"} {
		if vis, err := b.Visible(sel); err != nil || !vis {
			boxes, _ := b.Boxes(sel)
			b.Errorf("%s not visible: %v %v", sel, boxes, err)
		}
	}
	lower := strings.ToLower(page.P)
	if !slices.ContainsFunc(actionPhrases, func(p string) bool { return strings.Contains(lower, p) }) {
		b.Errorf("message %q says nothing to do (want one of %q)", page.P, actionPhrases)
	}
	secrets := []string{e.kib.URL, strings.TrimPrefix(e.kib.URL, "http://"), e.redis.Addr()}
	for _, s := range secrets {
		if strings.Contains(page.HTML, s) {
			b.Errorf("page shows the internal address %s", s)
		}
	}
	if m := internalDetail.FindString(page.HTML); m != "" {
		b.Errorf("page shows internal detail %q", m)
	}
}
