package main

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kshare/kshare/proxy/browsertest"
	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/rewrite"
)

// These tests open a share of the eCommerce sample dashboard, served by a
// real Kibana behind kshare, in headless Chromium. CI has no Kibana, so
// each reads the Kibana URL from the environment and skips without it;
// shared/tools/real-kibana/README.md in the team workspace says how to run
// 7.10.2 and 7.12.1 locally.

// ecommerceDashboard is the id of "[eCommerce] Revenue Dashboard", the
// sample dashboard the real-Kibana scripts import (12 panels).
const ecommerceDashboard = "722b74f0-b882-11e8-a6d9-e546fe2bba5f"

// ecommercePanels is how many panels that dashboard draws on 7.10 and 7.12.
const ecommercePanels = 12

func TestRealKibana710(t *testing.T) {
	t.Parallel()
	testRealKibana(t, realKibana{
		env: "KSHARE_REAL_KIBANA_710", version: "7.10.2", wait: 60 * time.Second,
	})
}

// TestRealKibana712Space shares the copy of the dashboard in space "team":
// the recipient's addresses must not show the space.
func TestRealKibana712Space(t *testing.T) {
	t.Parallel()
	testRealKibana(t, realKibana{
		env: "KSHARE_REAL_KIBANA_712", version: "7.12.1", space: "team",
		wait: 90 * time.Second,
	})
}

type realKibana struct {
	env     string // names the variable holding Kibana's URL
	version string
	space   string
	wait    time.Duration // for the panels to render
}

func testRealKibana(t *testing.T, rk realKibana) {
	kibanaURL := strings.TrimSuffix(os.Getenv(rk.env), "/")
	if kibanaURL == "" {
		t.Skipf("%s not set: no real Kibana %s to test against", rk.env, rk.version)
	}
	kib, err := url.Parse(kibanaURL)
	if err != nil || kib.Host == "" {
		t.Fatalf("%s=%q: not a URL", rk.env, kibanaURL)
	}
	line, err := kbn.FromVersion(rk.version)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, line, envOptions{kibanaURL: kibanaURL})
	res := e.create(createParams{Dashboard: ecommerceDashboard, Space: rk.space,
		From: "now-7d", To: "now"})
	b := newBrowser(t)

	start := time.Now()
	openErr := b.Open(res.URL, rk.wait, panelsSettled(ecommercePanels))
	t.Logf("panels settled after %s (err %v)", time.Since(start).Round(100*time.Millisecond), openErr)
	if path, err := b.Screenshot("dashboard"); err != nil {
		t.Errorf("screenshot: %v", err)
	} else {
		t.Logf("screenshot: %s", path)
	}
	if openErr != nil {
		logBrowser(t, b)
		t.Fatalf("dashboard did not render: %v", openErr)
	}

	checkRealPanels(t, b, ecommercePanels)
	checkRealChrome(t, b)
	checkRealRequests(t, b, e.srv.URL, kib.Host, rk.space)
	if t.Failed() {
		logBrowser(t, b)
	}
}

// panelsSettled returns a condition that is true once the dashboard has n
// panels and each reports it has rendered. Kibana 7.x marks the viewport
// with data-shared-items-count and every panel's visualization with
// data-shared-item and data-render-complete (what Kibana's own reporting
// waits for). Network quiet is no signal: 7.12's map keeps a request open.
// Settled means complete on two checks in a row, 100 ms apart, as a panel
// goes back to rendering when a late answer arrives.
func panelsSettled(n int) string {
	return fmt.Sprintf(`(() => {
  const vp = document.querySelector('[data-shared-items-container]');
  const panels = document.querySelectorAll('[data-test-subj="dashboardPanel"]').length;
  const items = document.querySelectorAll('[data-shared-item]').length;
  const done = document.querySelectorAll('[data-shared-item][data-render-complete="true"]').length;
  const ok = !!vp && panels === %d && done === items &&
    Number(vp.getAttribute('data-shared-items-count')) === items;
  const was = window.__kshareSettled === true;
  window.__kshareSettled = ok;
  return ok && was;
})()`, n)
}

// panelErrors are what Kibana 7.x draws in a panel that failed.
var panelErrors = []string{
	`[data-test-subj="embeddableError"]`, `[data-test-subj="embeddableStackError"]`,
	".embPanel__error", ".visError", ".euiCallOut--danger",
}

func checkRealPanels(t *testing.T, b *browsertest.Browser, want int) {
	t.Helper()
	panels, err := b.Boxes(`[data-test-subj="dashboardPanel"]`)
	if err != nil {
		t.Fatal(err)
	}
	if len(panels) != want {
		b.Errorf("%d panels, want %d", len(panels), want)
	}
	for _, p := range panels {
		if !p.Visible {
			b.Errorf("panel not visible: %v", p)
		}
	}
	var titles []string
	if err := b.Eval(`Array.from(document.querySelectorAll(
		'[data-test-subj="dashboardPanelTitle"] .embPanel__titleText'),
		(n) => n.textContent.trim())`, &titles); err != nil {
		t.Fatal(err)
	}
	t.Logf("panel titles: %q", titles)
	for _, sel := range append(panelErrors, ".euiToast--danger") {
		var texts []string
		js := fmt.Sprintf(`Array.from(document.querySelectorAll(%q), (n) => n.textContent.trim())`, sel)
		if err := b.Eval(js, &texts); err != nil {
			t.Fatal(err)
		}
		if len(texts) > 0 {
			b.Errorf("%s: %q", sel, texts)
		}
	}
	var noResults int
	noResultsJS := `document.querySelectorAll(
		'[data-test-subj="visNoResult"], .visError--noResults').length`
	if err := b.Eval(noResultsJS, &noResults); err != nil {
		t.Fatal(err)
	}
	if noResults > 0 {
		b.Errorf("%d panels say no results for the shared window", noResults)
	}
}

// checkRealChrome: no chrome element kshare hides is visible. Opened
// through kshare's entry (embed=true&hide-filter-bar=true), real 7.10 and
// 7.12 render none of them at all; the stylesheet is the second line of
// defence, which the replica tests of browser_test.go exercise.
func checkRealChrome(t *testing.T, b *browsertest.Browser) {
	t.Helper()
	var present []string
	for _, h := range rewrite.HiddenElements() {
		boxes, err := b.Boxes(h.Selector)
		if err != nil {
			t.Fatal(err)
		}
		if len(boxes) > 0 {
			present = append(present, h.Name)
		}
		for _, x := range boxes {
			if x.Visible {
				b.Errorf("%s (%s) is visible: %v", h.Name, h.Selector, x)
			}
		}
	}
	t.Logf("chrome in the DOM, all hidden: %q", present)
	if n, err := b.Count("style#kshare"); err != nil || n != 1 {
		b.Errorf("page has %d kshare style elements (%v), want 1", n, err)
	}
}

// checkRealRequests: the page talked to Kibana only through kshare. Map
// tiles and styles come from es-standin's EMS stand-in on another port,
// as from Elastic's map service in production; nothing went to Kibana's
// own address, and no address the recipient sees names the space.
func checkRealRequests(t *testing.T, b *browsertest.Browser, ksURL, kibanaHost, space string) {
	t.Helper()
	ks, _ := url.Parse(ksURL)
	loc := b.Location()
	if !strings.HasPrefix(loc, ksURL+"/kshare/") {
		b.Errorf("page ended at %s, not under kshare's share path", loc)
	}
	reqs := b.Requests()
	byHost := map[string]int{}
	var failed []string
	for _, r := range reqs {
		u, err := url.Parse(r.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			byHost[r.URL[:min(len(r.URL), 5)]]++ // data:, blob:
			continue
		}
		byHost[u.Host]++
		switch {
		case u.Host == kibanaHost:
			b.Errorf("request went to Kibana directly: %v", r)
		case u.Host == ks.Host && space != "" && strings.Contains(u.Path, "/s/"+space):
			b.Errorf("request address shows the space: %v", r)
		case u.Host == ks.Host && (r.Status >= 400 || (r.Status == 0 && !cancelled(r))):
			failed = append(failed, r.String())
		}
	}
	if space != "" && strings.Contains(loc, "/s/"+space) {
		b.Errorf("recipient URL %s shows the space", loc)
	}
	t.Logf("%d requests by host: %v", len(reqs), byHost)
	for _, f := range failed {
		b.Errorf("request through kshare failed: %s", f)
	}
}

// cancelled tells requests the page gave up on (navigations, aborted
// fetches) from ones that got no answer.
func cancelled(r browsertest.Request) bool {
	return strings.Contains(r.Failed, "ERR_ABORTED")
}

// logBrowser writes what the page did, for a failure report.
func logBrowser(t *testing.T, b *browsertest.Browser) {
	t.Helper()
	for _, r := range b.Requests() {
		t.Logf("request: %s", r)
	}
	for _, c := range b.Console() {
		t.Logf("console: %.400s", c)
	}
}
