package main

import (
	"strings"
	"testing"
	"time"

	"github.com/kshare/kshare/config"
	"github.com/kshare/kshare/proxy/kbn"
)

// TestBannerNamesTheWindow: snapshot pages carry the banner by default,
// saved-object pages only when asked, and the label is escaped as text.
func TestBannerNamesTheWindow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, kbn.L815, envOptions{})
	snap := e.create(createParams{Dashboard: e.kib.DashboardID(), From: "2026-12-01T00:00:00Z",
		To: "2026-12-02T00:00:00Z", fromSet: true, toSet: true, TZ: "UTC",
		Label: `<script>alert(1)</script> ops`})
	_, body := e.do("GET", sharePath(snap.URL)+"/app/dashboards", "", nil)
	if !strings.Contains(body, `id="kshare-banner"`) ||
		!strings.Contains(body, "Data from 1 Dec 2026 00:00 to 2 Dec 2026 00:00 UTC") {
		t.Fatalf("snapshot page lacks the banner text")
	}
	if strings.Contains(body, "<script>alert(1)") || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt; ops") {
		t.Error("the label is not escaped as text in the banner")
	}

	saved := e.create(createParams{Dashboard: e.kib.DashboardID(), Mode: "saved"})
	_, body = e.do("GET", sharePath(saved.URL)+"/app/dashboards", "", nil)
	if strings.Contains(body, `id="kshare-banner"`) {
		t.Error("saved-object share shows the banner though it is off by default")
	}
	on := e.create(createParams{Dashboard: e.kib.DashboardID(), Mode: "saved", Banner: "on"})
	_, body = e.do("GET", sharePath(on.URL)+"/app/dashboards", "", nil)
	if !strings.Contains(body, "Last 7 days") {
		t.Error("saved-object share with --banner on does not say Last 7 days")
	}
	off := e.create(createParams{Dashboard: e.kib.DashboardID(), Banner: "off"})
	_, body = e.do("GET", sharePath(off.URL)+"/app/dashboards", "", nil)
	if strings.Contains(body, `id="kshare-banner"`) {
		t.Error("--banner off still shows the banner")
	}
}

// TestFrameAncestors: framing is refused by default and allowed for the
// configured and the share's own origins, with X-Frame-Options consistent.
func TestFrameAncestors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, kbn.L717, envOptions{mutate: func(c *config.Config) {
		c.Recipient.FrameAncestors = []string{"https://intranet.example"}
	}})
	plain := newEnv(t, kbn.L717, envOptions{})
	p := plain.create(createParams{Dashboard: plain.kib.DashboardID()})
	resp, _ := plain.do("GET", sharePath(p.URL)+"/app/dashboards", "", nil)
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") ||
		resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("default: CSP %q, XFO %q", csp, resp.Header.Get("X-Frame-Options"))
	}

	s := e.create(createParams{Dashboard: e.kib.DashboardID(), FrameAncestors: []string{"http://127.0.0.1:9999"}})
	for _, path := range []string{"", "/app/dashboards", "/api/saved_objects/dashboard/" + e.kib.DashboardID()} {
		resp, _ := e.do("GET", sharePath(s.URL)+path, "", nil)
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors https://intranet.example http://127.0.0.1:9999") ||
			resp.Header.Get("X-Frame-Options") != "" {
			t.Errorf("%q: CSP %q, XFO %q", path, csp, resp.Header.Get("X-Frame-Options"))
		}
	}
	if _, err := createShare(t.Context(), e.d, createParams{Dashboard: e.kib.DashboardID(),
		From: "now-1h", To: "now", FrameAncestors: []string{"javascript:alert(1)"}}, time.Now()); err == nil {
		t.Error("a share with a bad frame ancestor was created")
	}
}
