package main

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/kshare/kshare/config"
	"github.com/kshare/kshare/proxy/browsertest"
	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/proxy/kibanatest"
	"github.com/kshare/kshare/rewrite"
)

// What a recipient's browser does with the time-frame banner, with a share
// framed by another site, and with an open dashboard whose link is revoked.

// bannerFrom and bannerTo are the window of the replica tests' snapshot
// shares, and bannerWant the banner text kshare must show for it.
const (
	bannerFrom = "2026-12-01T00:00:00Z"
	bannerTo   = "2026-12-02T00:00:00Z"
	bannerWant = "Data from 1 Dec 2026 00:00 to 2 Dec 2026 00:00 UTC"
)

// gridSelector is the dashboard's panel grid: react-grid-layout sizes its
// columns from this element's width, on every replica and on real 7.x.
const gridSelector = ".react-grid-layout"

// viewportSelectors find the dashboard viewport around the grid, in order:
// 7.10+ replicas and real 7.10 have #dashboardViewport; the 6.8 replica and
// real 7.12 only the class of the grid's parent.
var viewportSelectors = []string{"#dashboardViewport", ".dshDashboardViewport-withMargins"}

// newBrowserWith is newBrowser with options, under the same Chromium slots.
func newBrowserWith(t *testing.T, o browsertest.Options) *browsertest.Browser {
	t.Helper()
	chromiumSlots <- struct{}{}
	t.Cleanup(func() { <-chromiumSlots })
	return browsertest.New(t, o)
}

// TestBrowserBanner opens a snapshot share (banner on by default) and the
// same dashboard shared with --banner off on every line's chrome replica,
// each in a fresh browser. With the banner: #kshare-banner is visible, full
// width, BannerHeight tall, names the window, and no panel's box meets its
// box. Both loads: panels are visible and nothing covers their top edge.
// Between them: the grid and the viewport keep their width (to 1 px), so
// Kibana lays out the same columns, and move down by BannerHeight.
func TestBrowserBanner(t *testing.T) {
	t.Parallel()
	for _, line := range kbn.Lines() {
		t.Run(line.Name, func(t *testing.T) {
			t.Parallel()
			rep := loadReplica(t, line)
			e := newEnv(t, line, envOptions{})
			e.kib.SetAppBody(rep.body)
			p := createParams{Dashboard: e.kib.DashboardID(), From: bannerFrom, To: bannerTo,
				fromSet: true, toSet: true, TZ: "UTC"}
			on := e.create(p)
			p.Banner = "off"
			off := e.create(p)

			var with, without pageLayout
			t.Run("banner", func(t *testing.T) {
				with = loadReplicaLayout(t, e, rep, on.URL)
				checkBanner(t, with, bannerWant)
			})
			t.Run("no banner", func(t *testing.T) {
				without = loadReplicaLayout(t, e, rep, off.URL)
				checkNoBanner(t, without)
			})
			compareLayouts(t, with, without)
		})
	}
}

// loadReplicaLayout opens a share of the replica page, sets the body
// classes Kibana's code would (see TestBrowserHidesChrome), checks the
// panels and measures the page. The browser is closed when t ends.
func loadReplicaLayout(t *testing.T, e *env, rep replica, link string) pageLayout {
	t.Helper()
	b := newBrowser(t)
	if err := b.Open(link, 15*time.Second, panelsPresent); err != nil {
		b.Errorf("share page: %v", err)
		t.FailNow()
	}
	if !strings.HasPrefix(b.Location(), e.srv.URL+sharePath(link)+"/app/") {
		b.Errorf("page is %s, not the app under the share path", b.Location())
	}
	cls, _ := json.Marshal(rep.bodyClass)
	if err := b.Eval("document.body.className = "+string(cls), nil); err != nil {
		t.Fatal(err)
	}
	checkPanelsShown(t, b)
	return measureLayout(t, b)
}

// pageLayout is what a banner check measures, in document coordinates with
// the page scrolled to the top.
type pageLayout struct {
	b        *browsertest.Browser // for failure screenshots, while t runs
	Banners  []browsertest.Box
	Text     string // the banner's text
	Grid     browsertest.Box
	Viewport browsertest.Box
	Panels   []browsertest.Box // every PanelSelectors match
	Covered  []string          // panel top edges something else is drawn on
	measured bool              // all of the above was read
}

func measureLayout(t *testing.T, b *browsertest.Browser) pageLayout {
	t.Helper()
	l := pageLayout{b: b}
	// The banner is fixed: its document position is the scroll offset.
	if err := b.Eval("scrollTo(0, 0)", nil); err != nil {
		t.Fatal(err)
	}
	var err error
	if l.Banners, err = b.Boxes("#" + rewrite.BannerID); err != nil {
		t.Fatal(err)
	}
	js := fmt.Sprintf(`(document.getElementById(%q) || {}).textContent || ''`, rewrite.BannerID)
	if err := b.Eval(js, &l.Text); err != nil {
		t.Fatal(err)
	}
	if len(l.Banners) == 0 {
		// Kibana's start-up empties <body>; kshare then draws the banner
		// as body::before from the body's data-kshare-banner attribute.
		l.Banners, l.Text = pseudoBanner(t, b)
	}
	l.Grid = firstBox(t, b, gridSelector)
	l.Viewport = firstBox(t, b, viewportSelectors...)
	l.Covered = coveredEdges(t, b)
	for _, sel := range rewrite.PanelSelectors() {
		boxes, err := b.Boxes(sel)
		if err != nil {
			t.Fatal(err)
		}
		l.Panels = append(l.Panels, boxes...)
	}
	l.measured = true
	return l
}

// firstBox returns the box of the first element that the first matching
// selector finds.
func firstBox(t *testing.T, b *browsertest.Browser, sels ...string) browsertest.Box {
	t.Helper()
	for _, sel := range sels {
		boxes, err := b.Boxes(sel)
		if err != nil {
			t.Fatal(err)
		}
		if len(boxes) > 0 {
			return boxes[0]
		}
	}
	b.Errorf("none of %q in the page", sels)
	return browsertest.Box{}
}

// coveredEdges hit-tests three points one pixel inside the top edge of
// every panel that starts inside the first screen, with the page at the
// top: a fixed banner laid over the page would be found there, where the
// centre test of Box.Visible does not look.
func coveredEdges(t *testing.T, b *browsertest.Browser) []string {
	t.Helper()
	arg, _ := json.Marshal(strings.Join(rewrite.PanelSelectors(), ", "))
	var out []string
	if err := b.Eval("("+coveredEdgesJS+")("+string(arg)+")", &out); err != nil {
		t.Fatal(err)
	}
	return out
}

const coveredEdgesJS = `function (sel) {
  scrollTo(0, 0);
  const name = (n) => n.tagName.toLowerCase() + (n.id ? '#' + n.id : '') +
    (typeof n.className === 'string' && n.className.trim() ?
      '.' + n.className.trim().split(/\s+/).slice(0, 2).join('.') : '');
  const out = [];
  for (const el of document.querySelectorAll(sel)) {
    const r = el.getBoundingClientRect();
    if (r.width < 4 || r.height < 2 || r.top < 0 || r.top + 1 >= innerHeight) continue;
    for (const x of [r.left + r.width / 4, r.left + r.width / 2, r.right - r.width / 4]) {
      const hit = document.elementFromPoint(x, r.top + 1);
      if (hit && hit !== el && !el.contains(hit))
        out.push(name(el) + ' at (' + Math.round(x) + ',' + Math.round(r.top + 1) +
          ') under ' + name(hit));
    }
  }
  return out;
}`

// checkBanner checks the load with the banner: shown, its size, its text,
// and clear of every panel.
func checkBanner(t *testing.T, l pageLayout, want string) {
	t.Helper()
	b := l.b
	if len(l.Banners) != 1 {
		b.Errorf("%d #%s elements, want 1", len(l.Banners), rewrite.BannerID)
		return
	}
	ban := l.Banners[0]
	if !ban.Visible || ban.Y != 0 || math.Abs(ban.Height-rewrite.BannerHeight) > 0.5 ||
		ban.Width < browsertest.DefaultWidth-0.5 {
		b.Errorf("banner %v: want visible at the top, full width, %d px tall",
			ban, rewrite.BannerHeight)
	}
	if strings.TrimSpace(l.Text) != want {
		b.Errorf("banner says %q, want %q", l.Text, want)
	}
	for _, p := range l.Panels {
		if intersects(ban, p) {
			b.Errorf("panel %v meets the banner %v", p, ban)
		}
	}
	for _, c := range l.Covered {
		b.Errorf("panel edge covered: %s", c)
	}
	t.Logf("banner %v; %d panel boxes, first panel top %.0f", ban, len(l.Panels), minTop(l.Panels))
}

func checkNoBanner(t *testing.T, l pageLayout) {
	t.Helper()
	if len(l.Banners) != 0 {
		l.b.Errorf("--banner off: page has the banner %v", l.Banners)
	}
	for _, c := range l.Covered {
		l.b.Errorf("panel edge covered: %s", c)
	}
}

// compareLayouts: the banner moves the dashboard down by its height and
// leaves its width alone.
func compareLayouts(t *testing.T, with, without pageLayout) {
	t.Helper()
	if !with.measured || !without.measured {
		return // a load failed and said why
	}
	t.Logf("with banner / without: grid %.0f px at y %.0f / %.0f px at y %.0f; "+
		"viewport %.0f px at y %.0f / %.0f px at y %.0f; first panel top %.0f / %.0f",
		with.Grid.Width, with.Grid.Y, without.Grid.Width, without.Grid.Y,
		with.Viewport.Width, with.Viewport.Y, without.Viewport.Width, without.Viewport.Y,
		minTop(with.Panels), minTop(without.Panels))
	for _, c := range []struct {
		name string
		a, b browsertest.Box
	}{{"grid", with.Grid, without.Grid}, {"viewport", with.Viewport, without.Viewport}} {
		if c.a.Width < 1 || math.Abs(c.a.Width-c.b.Width) > 1 {
			t.Errorf("%s %v with the banner, %v without: want widths within 1 px",
				c.name, c.a, c.b)
		}
		if shift := c.a.Y - c.b.Y; math.Abs(shift-rewrite.BannerHeight) > 1 {
			t.Errorf("%s moves down %.1f px with the banner, want %d", c.name, shift,
				rewrite.BannerHeight)
		}
	}
	if a, b := minTop(with.Panels), minTop(without.Panels); math.Abs(a-b-rewrite.BannerHeight) > 1 {
		t.Errorf("first panel top %.1f with the banner, %.1f without: want %d lower",
			a, b, rewrite.BannerHeight)
	}
}

// intersects reports whether two boxes share area (touching edges do not).
func intersects(a, b browsertest.Box) bool {
	return a.X < b.X+b.Width && b.X < a.X+a.Width && a.Y < b.Y+b.Height && b.Y < a.Y+a.Height
}

func minTop(boxes []browsertest.Box) float64 {
	top := math.Inf(1)
	for _, x := range boxes {
		top = min(top, x.Y)
	}
	return top
}

// realEnv is kshare in front of the real Kibana rk names, or a skip.
func realEnv(t *testing.T, rk realKibana, o envOptions) *env {
	t.Helper()
	kibanaURL := strings.TrimSuffix(os.Getenv(rk.env), "/")
	if kibanaURL == "" {
		t.Skipf("%s not set: no real Kibana %s to test against", rk.env, rk.version)
	}
	if u, err := url.Parse(kibanaURL); err != nil || u.Host == "" {
		t.Fatalf("%s=%q: not a URL", rk.env, kibanaURL)
	}
	line, err := kbn.FromVersion(rk.version)
	if err != nil {
		t.Fatal(err)
	}
	o.kibanaURL = kibanaURL
	return newEnv(t, line, o)
}

// TestRealKibana710Banner and TestRealKibana712SpaceBanner make the checks
// of TestBrowserBanner on the eCommerce dashboard of a real Kibana, where
// Kibana's own code builds the page.
func TestRealKibana710Banner(t *testing.T) {
	t.Parallel()
	testRealBanner(t, realKibana{env: "KSHARE_REAL_KIBANA_710", version: "7.10.2",
		wait: 60 * time.Second})
}

func TestRealKibana712SpaceBanner(t *testing.T) {
	t.Parallel()
	testRealBanner(t, realKibana{env: "KSHARE_REAL_KIBANA_712", version: "7.12.1",
		space: "team", wait: 90 * time.Second})
}

func testRealBanner(t *testing.T, rk realKibana) {
	e := realEnv(t, rk, envOptions{})
	p := createParams{Dashboard: ecommerceDashboard, Space: rk.space, From: "now-7d", To: "now",
		TZ: "UTC"}
	on := e.create(p)
	p.Banner = "off"
	off := e.create(p)
	const layout = "2 Jan 2006 15:04"
	want := fmt.Sprintf("Data from %s to %s UTC", on.Share.From.UTC().Format(layout),
		on.Share.To.UTC().Format(layout))

	var with, without pageLayout
	t.Run("banner", func(t *testing.T) {
		with = loadRealLayout(t, rk, on.URL)
		checkBanner(t, with, want)
	})
	t.Run("no banner", func(t *testing.T) {
		without = loadRealLayout(t, rk, off.URL)
		checkNoBanner(t, without)
	})
	compareLayouts(t, with, without)
}

func loadRealLayout(t *testing.T, rk realKibana, link string) pageLayout {
	t.Helper()
	b := newBrowser(t)
	if err := b.Open(link, rk.wait, panelsSettled(ecommercePanels)); err != nil {
		logBrowser(t, b)
		b.Errorf("dashboard did not render: %v", err)
		t.FailNow()
	}
	checkRealPanels(t, b, ecommercePanels)
	l := measureLayout(t, b)
	if t.Failed() {
		logBrowser(t, b)
	}
	return l
}

// framer serves the page of another site that frames a share: an
// intranet page with one iframe whose address is its src parameter. It
// listens on 127.0.0.1 like kshare, and is opened as localhost, so that
// the frame is cross-site (its own process, third-party for cookies).
type framer struct {
	origin string // http://localhost:<port>
}

var framerPage = template.Must(template.New("framer").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Intranet</title></head>
<body style="margin:0"><h1 style="margin:0;height:40px">Intranet</h1>
<iframe id="share" src="{{.}}" style="border:0;width:1260px;height:840px"></iframe>
</body></html>`))

func newFramer(t *testing.T) *framer {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = framerPage.Execute(w, r.URL.Query().Get("src"))
	}))
	t.Cleanup(srv.Close)
	return &framer{origin: strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)}
}

// pageFor is the address of the framing page for a share link.
func (f *framer) pageFor(link string) string {
	return f.origin + "/?src=" + url.QueryEscape(link)
}

// TestBrowserFraming frames a share in a page of another site in a
// browser that blocks third-party cookies. Allowed (recipient.
// frame_ancestors, or the share's own list), the frame's document is the
// dashboard app under the share path with its panels, the stand-in serves
// the files that document asks for, and the browser logs no frame-ancestors
// violation. Refused (the default, or another origin allowed), the browser
// blocks the response (ERR_BLOCKED_BY_RESPONSE), logs the violation, and the
// frame shows Chromium's error page; nothing but the document reached
// Kibana. On real 7.10.2 the allowed frame draws the 12 panels.
func TestBrowserFraming(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		config, share bool   // allow the framing origin here
		other         string // an origin the share allows instead
		allowed       bool
	}{
		{"allowed by recipient.frame_ancestors", true, false, "", true},
		{"allowed by the share", false, true, "", true},
		{"refused by default", false, false, "", false},
		{"refused when another origin is allowed", false, false, "http://localhost:1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFramer(t)
			rep := loadReplica(t, kbn.L717)
			e := newEnv(t, kbn.L717, envOptions{mutate: func(c *config.Config) {
				if tt.config {
					c.Recipient.FrameAncestors = []string{f.origin}
				}
			}})
			e.kib.SetAppBody(rep.body)
			p := createParams{Dashboard: e.kib.DashboardID()}
			if tt.share {
				p.FrameAncestors = []string{f.origin}
			}
			if tt.other != "" {
				p.FrameAncestors = []string{tt.other}
			}
			res := e.create(p)
			b := newBrowserWith(t, browsertest.Options{BlockThirdPartyCookies: true})
			n := len(e.kib.Requests())
			fr := openFramed(t, b, f, e, res.URL)
			if tt.allowed {
				checkFrameAllowed(t, b, fr, e, n)
			} else {
				checkFrameRefused(t, b, fr, e, n)
			}
		})
	}
	t.Run("real 7.10.2", func(t *testing.T) {
		t.Parallel()
		testRealFraming(t)
	})
}

// openFramed opens the framing page for link and attaches to the frame.
func openFramed(t *testing.T, b *browsertest.Browser, f *framer, e *env, link string) *frame {
	t.Helper()
	if err := b.Open(f.pageFor(link), 15*time.Second,
		"document.readyState === 'complete' && !!document.getElementById('share')"); err != nil {
		b.Errorf("framing page: %v", err)
		t.FailNow()
	}
	return attachFrame(t, b, e.srv.URL+sharePath(link))
}

// frameDoc is what the frame's own document says about itself.
type frameDoc struct {
	URL    string
	Panels int
	Sized  int  // panels with a box
	Style  bool // kshare's stylesheet is in the page
}

const frameDocJS = `(() => {
  const panels = Array.from(document.querySelectorAll('[data-test-subj~="dashboardPanel"]'));
  return {URL: location.href, Panels: panels.length,
    Sized: panels.filter((p) => {
      const r = p.getBoundingClientRect();
      return r.width >= 1 && r.height >= 1;
    }).length,
    Style: !!document.querySelector('style#kshare')};
})()`

func checkFrameAllowed(t *testing.T, b *browsertest.Browser, fr *frame, e *env, n int) {
	t.Helper()
	if err := fr.waitFor(panelsPresent, 15*time.Second); err != nil {
		b.Errorf("framed share: %v", err)
	}
	var doc frameDoc
	if err := fr.eval(frameDocJS, &doc); err != nil {
		t.Fatal(err)
	}
	t.Logf("frame document: %+v", doc)
	if !strings.HasPrefix(doc.URL, fr.prefix+"/app/") || doc.Panels != replicaPanels ||
		doc.Sized != replicaPanels || !doc.Style {
		b.Errorf("frame document %+v: want the app under the share path with %d panels",
			doc, replicaPanels)
	}
	if r, ok := frameDocument(b, fr.prefix); !ok || r.Status != http.StatusOK || r.Failed != "" {
		b.Errorf("frame document request %v: want 200 and loaded", r)
	}
	if v := frameViolations(b); len(v) > 0 {
		b.Errorf("browser refused the frame: %q", v)
	}
	// A committed document asks for its stylesheets; a blocked one never does.
	if fwd := e.requestsSince(n); len(fwd) < 2 {
		b.Errorf("stand-in got %d requests from the frame, want the page and its files: %v",
			len(fwd), paths(fwd))
	}
}

func checkFrameRefused(t *testing.T, b *browsertest.Browser, fr *frame, e *env, n int) {
	t.Helper()
	r, ok := frameDocument(b, fr.prefix)
	if !ok || !strings.Contains(r.Failed, "ERR_BLOCKED_BY_RESPONSE") {
		b.Errorf("frame document request %v: want blocked by the response", r)
	}
	v := frameViolations(b)
	if len(v) == 0 {
		b.Errorf("browser logged no frame-ancestors violation: %q", b.Console())
	}
	var doc frameDoc
	if err := fr.eval(frameDocJS, &doc); err != nil {
		t.Fatal(err)
	}
	t.Logf("frame document: %+v; console: %q", doc, v)
	if strings.HasPrefix(doc.URL, fr.prefix) || doc.Panels != 0 || doc.Style {
		b.Errorf("frame document %+v: want the browser's error page, not the app", doc)
	}
	if fwd := e.requestsSince(n); len(fwd) != 1 {
		b.Errorf("stand-in got %v from the refused frame, want the page request only", paths(fwd))
	}
}

// frameDocument finds the last document request under the share's app.
func frameDocument(b *browsertest.Browser, prefix string) (browsertest.Request, bool) {
	reqs := b.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Type == "Document" && strings.HasPrefix(reqs[i].URL, prefix+"/app/") {
			return reqs[i], true
		}
	}
	return browsertest.Request{}, false
}

// frameViolations are the browser's log entries about frame-ancestors,
// which Chromium writes to the framing page's console ("Framing '…'
// violates the following Content Security Policy directive:
// "frame-ancestors 'none'". The request has been blocked.").
func frameViolations(b *browsertest.Browser) []string {
	var out []string
	for _, c := range b.Console() {
		if strings.Contains(c, "frame-ancestors") || strings.Contains(c, "X-Frame-Options") {
			out = append(out, c)
		}
	}
	return out
}

func paths(reqs []kibanatest.Request) []string {
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i] = r.Method + " " + r.Path
	}
	return out
}

// testRealFraming frames the eCommerce dashboard of the real 7.10.2,
// allowed by the share's list, and waits for its 12 panels in the frame.
func testRealFraming(t *testing.T) {
	rk := realKibana{env: "KSHARE_REAL_KIBANA_710", version: "7.10.2", wait: 60 * time.Second}
	f := newFramer(t)
	e := realEnv(t, rk, envOptions{})
	res := e.create(createParams{Dashboard: ecommerceDashboard, From: "now-7d", To: "now",
		FrameAncestors: []string{f.origin}})
	b := newBrowserWith(t, browsertest.Options{BlockThirdPartyCookies: true})
	fr := openFramed(t, b, f, e, res.URL)
	start := time.Now()
	err := fr.waitFor(panelsSettled(ecommercePanels), rk.wait)
	t.Logf("framed panels settled after %s (err %v)",
		time.Since(start).Round(100*time.Millisecond), err)
	if err != nil {
		logBrowser(t, b)
		b.Errorf("framed dashboard did not render: %v", err)
		t.FailNow()
	}
	var doc struct {
		frameDoc
		Errors []string
	}
	js := fmt.Sprintf(`Object.assign(%s, {Errors: Array.from(document.querySelectorAll(%q),
		(n) => n.textContent.trim())})`, frameDocJS, strings.Join(panelErrors, ", "))
	if err := fr.eval(js, &doc); err != nil {
		t.Fatal(err)
	}
	t.Logf("frame document: %+v", doc)
	if !strings.HasPrefix(doc.URL, fr.prefix+"/app/dashboards") ||
		doc.Panels != ecommercePanels || doc.Sized != ecommercePanels || len(doc.Errors) > 0 {
		b.Errorf("frame document %+v: want the dashboard's %d panels without errors",
			doc, ecommercePanels)
	}
	if r, ok := frameDocument(b, fr.prefix); !ok || r.Status != http.StatusOK || r.Failed != "" {
		b.Errorf("frame document request %v: want 200 and loaded", r)
	}
	if v := frameViolations(b); len(v) > 0 {
		b.Errorf("browser refused the frame: %q", v)
	}
}

// frame is a cross-site iframe of the page, which Chromium runs as a
// DevTools target of its own: the page's Eval cannot read its document.
type frame struct {
	ctx    context.Context
	prefix string // the share base its target URL starts with
}

// attachFrame waits for the page's iframe target whose URL starts with
// prefix and attaches to it. Chromium lists the target by the address the
// frame was sent to even when it shows an error page there instead.
func attachFrame(t *testing.T, b *browsertest.Browser, prefix string) *frame {
	t.Helper()
	tab := tabContext(t, b)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(tab, 5*time.Second)
		infos, err := chromedp.Targets(ctx)
		cancel()
		if err != nil {
			t.Fatalf("list targets: %v", err)
		}
		i := slices.IndexFunc(infos, func(in *target.Info) bool {
			return in.Type == "iframe" && strings.HasPrefix(in.URL, prefix)
		})
		if i >= 0 {
			return attachTarget(t, tab, infos[i].TargetID, prefix)
		}
		if time.Now().After(deadline) {
			b.Errorf("no iframe target under the share path among %d targets", len(infos))
			t.FailNow()
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// attachTarget attaches a context to the frame's target. The first Run on
// a chromedp context owns the attachment, so it runs on the context itself
// and its wait is bounded beside it. Cancelling detaches and leaves the
// frame in the page.
func attachTarget(t *testing.T, tab context.Context, id target.ID, prefix string) *frame {
	t.Helper()
	ctx, cancel := chromedp.NewContext(tab, chromedp.WithTargetID(id), chromedp.WithDetachOnCancel())
	t.Cleanup(cancel)
	errc := make(chan error, 1)
	go func() { errc <- chromedp.Do(ctx) }()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("attach to the frame: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("attach to the frame: no answer within 10s")
	}
	return &frame{ctx: ctx, prefix: prefix}
}

// eval evaluates expr in the frame's document and decodes its JSON value.
func (f *frame) eval(expr string, out any) error {
	ctx, cancel := context.WithTimeout(f.ctx, 10*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		return fmt.Errorf("frame eval: %w", err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("frame eval: decode %.80s: %w", raw, err)
	}
	return nil
}

// waitFor waits until cond is truthy in the frame, checking every 100 ms.
func (f *frame) waitFor(cond string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var ok bool
	var err error
	for time.Now().Before(deadline) {
		if err = f.eval("!!("+cond+")", &ok); err == nil && ok {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("frame: wait for %.60s…: timed out (last error %v)", cond, err)
}

// tabContext returns the chromedp context of b's tab, which browsertest
// keeps unexported: it offers no way into a cross-site iframe.
//
// TODO(kshare): give browsertest a frame method (Browser.Frame(prefix)
// with Eval and WaitFor) and drop this; the change that added these tests
// was limited to this file.
func tabContext(t *testing.T, b *browsertest.Browser) context.Context {
	t.Helper()
	f := reflect.ValueOf(b).Elem().FieldByName("ctx")
	if !f.IsValid() || f.Type() != reflect.TypeFor[context.Context]() {
		t.Fatal("browsertest.Browser has no ctx field any more: use its frame support")
	}
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(context.Context)
}

// TestRealKibana710Revoked revokes the share of an open dashboard on the
// real 7.10.2 (its Redis key deleted) and makes the dashboard fetch again
// by moving the time range in the URL's _g, as the recipient's browser
// would on a refresh without a reload. The page must stay the dashboard
// and say in Kibana's own UI that its data failed: every answer after the
// revoke is kshare's 404, the 12 panels stay, and the panels that query
// show Kibana's error marker with readable text. Opening the link again
// then gets kshare's page "This link is not valid".
//
// Kibana 7.10 does not show kshare's message there: it puts the HTTP
// reason phrase ("Not Found") in the panel error ("[esaggs] > Not Found")
// and never reads the JSON body's message, and Go's server sends only the
// standard reason phrase. The test logs what the panels say.
func TestRealKibana710Revoked(t *testing.T) {
	t.Parallel()
	rk := realKibana{env: "KSHARE_REAL_KIBANA_710", version: "7.10.2", wait: 60 * time.Second}
	e := realEnv(t, rk, envOptions{})
	res := e.create(createParams{Dashboard: ecommerceDashboard, From: "now-7d", To: "now"})
	b := newBrowser(t)
	if err := b.Open(res.URL, rk.wait, panelsSettled(ecommercePanels)); err != nil {
		logBrowser(t, b)
		b.Errorf("dashboard did not render: %v", err)
		t.FailNow()
	}
	before, loc := len(b.Requests()), b.Location()
	if err := e.d.store.Delete(t.Context(), res.Share.ID); err != nil {
		t.Fatal(err)
	}
	var moved bool
	if err := b.Eval(moveTimeJS, &moved); err != nil || !moved {
		t.Fatalf("move the time range in the URL: moved %v, %v", moved, err)
	}
	if err := b.WaitFor(errorsSettled, 30*time.Second); err != nil {
		logBrowser(t, b)
		b.Errorf("no panel shows an error after the revoke: %v", err)
		t.FailNow()
	}
	checkRevokedRequests(t, b, e, before)
	checkRevokedPage(t, b, loc)

	// Opening the link again gets kshare's own page, which does say it.
	if err := b.Open(res.URL, 15*time.Second, "document.querySelector('main > h1')"); err != nil {
		b.Errorf("open the link after the revoke: %v", err)
		return
	}
	var h1 string
	if err := b.Eval("document.querySelector('main > h1').innerText", &h1); err != nil {
		t.Fatal(err)
	}
	if h1 != "This link is not valid" {
		b.Errorf("the link after the revoke shows %q, want kshare's refusal page", h1)
	}
}

// moveTimeJS moves the start of _g's time range to 8 days ago (the share
// says 7), which makes the dashboard query again without a page load.
const moveTimeJS = `(() => {
  const from = new Date(Date.now() - 8 * 864e5).toISOString();
  const h = location.hash.replace(/time:\(from:'[^']*'/, "time:(from:'" + from + "'");
  if (h === location.hash) return false;
  location.hash = h;
  return true;
})()`

// errorsSettled is true once panels show errors and their number has not
// changed for a second: the panels fail one by one as their answers come.
const errorsSettled = `(() => {
  const n = document.querySelectorAll(
    '[data-test-subj="embeddableErrorLabel"], .vgaVis__message--err').length;
  const now = Date.now();
  if (window.__kshareErrors !== n) {
    window.__kshareErrors = n;
    window.__kshareErrorsSince = now;
  }
  return n > 0 && now - window.__kshareErrorsSince >= 1000;
})()`

// checkRevokedRequests: everything the page asked for under the share path
// after the revoke got kshare's 404, and the page asked for data again.
func checkRevokedRequests(t *testing.T, b *browsertest.Browser, e *env, before int) {
	t.Helper()
	base := e.srv.URL + "/kshare/"
	var data int
	for _, r := range b.Requests()[before:] {
		if !strings.HasPrefix(r.URL, base) {
			continue
		}
		if r.Status != http.StatusNotFound && !cancelled(r) {
			b.Errorf("after the revoke: %v, want 404", r)
		}
		if r.Method == http.MethodPost {
			data++
		}
	}
	if data == 0 {
		b.Errorf("the dashboard asked for no data after the time change: %v", b.Requests()[before:])
	}
	t.Logf("%d data requests after the revoke, all refused", data)
}

// revokedPage is what the dashboard shows after the revoke.
type revokedPage struct {
	URL    string
	Panels int
	Text   int      // length of the page's text
	Toasts []string // Kibana's toasts
	Labels int      // panels with the "Error" badge
	Inline []string // errors drawn inside a panel
	Tips   []string // panel title => the badge's tooltip, read by hovering
}

// revokedJS reads the page.
const revokedJS = `(() => {
  const q = (s) => Array.from(document.querySelectorAll(s));
  return {URL: location.href, Panels: q('[data-test-subj="dashboardPanel"]').length,
    Text: document.body.innerText.length,
    Toasts: q('.euiToast').map((n) => n.innerText.trim()),
    Labels: q('[data-test-subj="embeddableErrorLabel"]').length,
    Inline: q('.vgaVis__message--err, [data-test-subj="embeddableError"], .visError, ' +
      '.embPanel__error').map((n) => n.innerText.trim())};
})()`

// badgeTipJS returns "panel title => tooltip" for the i-th "Error" badge.
// The badge keeps its message in an EuiToolTip, which renders on hover
// only and after a delay, so the badge is hovered (React listens to
// mouseover) until its tooltip shows, and left until it is gone again.
const badgeTipJS = `(async (i) => {
  const tips = () => Array.from(document.querySelectorAll(
    '[data-test-subj="embeddableErrorMessage"]'), (n) => n.innerText.trim());
  const until = async (ok) => {
    for (let k = 0; k < 60 && !ok(); k++) await new Promise((r) => setTimeout(r, 50));
  };
  const badge = document.querySelectorAll('[data-test-subj="embeddableErrorLabel"]')[i];
  if (!badge) return '';
  const anchor = badge.closest('.euiToolTipAnchor') || badge;
  const panel = badge.closest('[data-test-subj="dashboardPanel"]');
  const title = panel && panel.querySelector('.embPanel__titleText');
  anchor.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
  await until(() => tips().some((t) => t !== ''));
  const tip = tips().join(' | ');
  anchor.dispatchEvent(new MouseEvent('mouseout', {bubbles: true}));
  await until(() => tips().length === 0);
  return (title ? title.textContent.trim() : '?') + ' => ' + tip;
})`

// checkRevokedPage: the dashboard is still there, not blank and not
// replaced, and its errors are text a person can read.
func checkRevokedPage(t *testing.T, b *browsertest.Browser, loc string) {
	t.Helper()
	var p revokedPage
	if err := b.Eval(revokedJS, &p); err != nil {
		t.Fatal(err)
	}
	// One badge per call: each hover waits for Kibana's tooltip.
	for i := range p.Labels {
		var tip string
		if err := b.Eval(fmt.Sprintf("(%s)(%d)", badgeTipJS, i), &tip); err != nil {
			t.Fatal(err)
		}
		p.Tips = append(p.Tips, tip)
	}
	for _, s := range p.Tips {
		t.Logf("panel error: %s", s)
	}
	t.Logf("in-panel errors %q, toasts %q", p.Inline, p.Toasts)
	if shot, err := b.Screenshot("revoked"); err == nil {
		t.Logf("screenshot: %s", shot)
	}
	if p.Panels != ecommercePanels || p.Text < 200 ||
		!strings.HasPrefix(p.URL, strings.SplitN(loc, "#", 2)[0]) {
		b.Errorf("after the revoke the page is %+v, want the dashboard with its %d panels",
			p, ecommercePanels)
	}
	if p.Labels == 0 {
		b.Errorf("no panel carries Kibana's error badge; in-panel errors %q", p.Inline)
	}
	for _, s := range p.Tips {
		if _, msg, _ := strings.Cut(s, " => "); strings.TrimSpace(msg) == "" {
			b.Errorf("panel error badge without a message: %q", s)
		}
	}
	for _, s := range p.Inline {
		if s == "" {
			b.Errorf("panel error without text: %q", p.Inline)
		}
	}
	shown := slices.ContainsFunc(slices.Concat(p.Tips, p.Inline, p.Toasts),
		func(s string) bool { return strings.Contains(s, "This link is not valid") })
	if !shown {
		// TODO(kshare): 7.10 shows the reason phrase only (see the test's
		// doc); a recipient learns the link died only on the next reload.
		t.Logf("kshare's message is not in Kibana's UI; the panels say the above")
	}
}

// pseudoBanner measures the banner drawn as body::before: a pseudo-element
// has no DOM box of its own, so its fixed box is read from computed style.
func pseudoBanner(t *testing.T, b *browsertest.Browser) ([]browsertest.Box, string) {
	t.Helper()
	var got struct {
		Content      string
		Text         string
		Top, Height  float64
		Width, Left  float64
		Display, Vis string
	}
	js := `(() => {
  const s = getComputedStyle(document.body, '::before');
  return {Content: s.content, Text: document.body.getAttribute('data-kshare-banner') || '',
    Top: parseFloat(s.top) || 0, Height: parseFloat(s.height) || 0,
    Width: document.documentElement.clientWidth, Left: parseFloat(s.left) || 0,
    Display: s.display, Vis: s.visibility};
})()`
	if err := b.Eval(js, &got); err != nil {
		t.Fatal(err)
	}
	if got.Content == "none" || got.Content == "" || got.Display == "none" || got.Vis == "hidden" {
		return nil, ""
	}
	return []browsertest.Box{{Element: "body::before", X: got.Left, Y: got.Top,
		Width: got.Width, Height: got.Height, Visible: true}}, got.Text
}
