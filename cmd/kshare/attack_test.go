package main

// Regression tests for findings of an attack pass against kshare as a
// recipient holding one valid link. Each failed on the code it was
// written against; the fixes are in proxy/search, proxy/closure and the
// policy table.

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/kshare/kshare/config"
	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/proxy/kibanatest"
)

// TestAttackRuntimeMappingShadowsWindowAndFilters: a search-time runtime
// field with the name of the data view's time field (or of a per-link
// filter field) shadows the mapped field in Elasticsearch 7.11+, so the
// range kshare adds, and the per-link filter, are evaluated against the
// script's value instead of the document's: emit() a constant inside the
// window and every document of the index matches.
func TestAttackRuntimeMappingShadowsWindowAndFilters(t *testing.T) {
	e := newEnv(t, kbn.L717, envOptions{})
	res := e.create(createParams{Dashboard: e.kib.DashboardID(),
		Filters: []string{"customer_gender=FEMALE"}})
	base := sharePath(res.URL)
	hdr := map[string]string{"Content-Type": "application/json"}
	for name, rm := range map[string]string{
		"time field":   `{"order_date":{"type":"date","script":{"source":"emit(System.currentTimeMillis())"}}}`,
		"filter field": `{"customer_gender":{"type":"keyword","script":{"source":"emit('FEMALE')"}}}`,
	} {
		body := `{"params":{"index":"kibana_sample_data_ecommerce","body":{"size":100,` +
			`"runtime_mappings":` + rm + `,"query":{"match_all":{}}}}}`
		n := len(e.kib.Requests())
		resp, _ := e.do("POST", base+"/internal/search/es", body, hdr)
		if fwd := e.requestsSince(n); len(fwd) != 0 {
			t.Errorf("%s: a runtime field shadowing it was forwarded (%d):\n%s",
				name, resp.StatusCode, fwd[0].Body)
		}
	}
}

// TestAttackConfigObjectBypassesSettingsFilter: the settings routes filter
// advanced settings to an allow-list (timelion:quandl.key, csv:*,
// xpackDashboardMode:roles … are dropped), but the config saved object that
// holds the same values is readable raw through the saved-object routes,
// for any id, because Closure.Has allows every "config" object.
func TestAttackConfigObjectBypassesSettingsFilter(t *testing.T) {
	kib := kibanatest.New(t, kibanatest.Options{Line: kbn.L717})
	up, _ := url.Parse(kib.URL)
	rp := httputil.NewSingleHostReverseProxy(up)
	config := `{"id":"7.17.0","type":"config","namespaces":["default"],"references":[],` +
		`"attributes":{"buildNum":46534,"timelion:quandl.key":"QUANDL-SECRET",` +
		`"xpackDashboardMode:roles":["secret_role"]}}`
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/api/saved_objects/config/"):
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(config))
		case r.URL.Path == "/api/saved_objects/_bulk_get":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"saved_objects":[` + config + `]}`))
		default:
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(front.Close)
	e := newEnv(t, kbn.L717, envOptions{kibanaURL: front.URL})
	res := e.create(createParams{Dashboard: kib.DashboardID()})
	base := sharePath(res.URL)

	if _, body := e.do("GET", base+"/api/kibana/settings", "", nil); strings.Contains(body, "QUANDL") {
		t.Fatalf("stand-in wiring: settings route already leaks: %s", body)
	}
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/saved_objects/config/7.17.0", ""},
		{"POST", "/api/saved_objects/_bulk_get", `[{"type":"config","id":"7.17.0"}]`},
	} {
		resp, body := e.do(c.method, base+c.path, c.body, map[string]string{"Content-Type": "application/json"})
		if strings.Contains(body, "QUANDL-SECRET") || strings.Contains(body, "secret_role") {
			t.Errorf("%s %s: %d, raw advanced settings reached the recipient: %s",
				c.method, c.path, resp.StatusCode, body)
		}
	}
}

// TestAttackReportModeForwardsLegacyDashboardExport: report mode promises
// never to forward exports, but the 7.x legacy export,
// GET /api/kibana/dashboards/export?dashboard=ID, names no dangerous
// segment since 95ffe6a and is forwarded with the service credentials: it
// answers every object of any dashboard of the space (ids from _find).
func TestAttackReportModeForwardsLegacyDashboardExport(t *testing.T) {
	e := newEnv(t, kbn.L717, envOptions{
		mutate: func(c *config.Config) { c.Policy.Mode = config.PolicyReport }})
	res := e.create(createParams{Dashboard: e.kib.DashboardID()})
	base := sharePath(res.URL)
	for _, p := range []string{
		"/api/kibana/dashboards/export?dashboard=" + e.kib.DashboardID(),
		"/api/kibana/dashboards/export?dashboard=another-dashboard",
	} {
		n := len(e.kib.Requests())
		resp, _ := e.do("GET", base+p, "", nil)
		if fwd := e.requestsSince(n); len(fwd) != 0 {
			t.Errorf("GET %s in report mode: %d, forwarded to Kibana as %s?%s",
				p, resp.StatusCode, fwd[0].Path, fwd[0].RawQuery)
		}
	}
}

// TestAttackSearchRouteQueryParamsForwarded: query-string parameters on the
// search routes are forwarded unchecked. Kibana 6.8's /elasticsearch/_msearch
// passes its query string to Elasticsearch, where expand_wildcards, ignore_*
// and the like become the defaults of every search: exactly the
// expand_wildcards kshare refuses in an msearch header.
func TestAttackSearchRouteQueryParamsForwarded(t *testing.T) {
	e := newEnv(t, kbn.L68, envOptions{})
	res := e.create(createParams{Dashboard: e.kib.DashboardID()})
	base := sharePath(res.URL)
	hdr := map[string]string{"Content-Type": "application/x-ndjson"}
	item := `{"index":"logstash-*","ignore_unavailable":true}` + "\n" + `{"size":0}` + "\n"

	// In the header, kshare refuses it …
	n := len(e.kib.Requests())
	inHeader := `{"index":"logstash-*","expand_wildcards":"all"}` + "\n" + `{"size":0}` + "\n"
	if resp, _ := e.do("POST", base+"/elasticsearch/_msearch", inHeader, hdr); resp.StatusCode != 403 ||
		len(e.requestsSince(n)) != 0 {
		t.Fatalf("expand_wildcards in the header: %d", resp.StatusCode)
	}
	// … in the query string it reaches Kibana (and Elasticsearch).
	n = len(e.kib.Requests())
	resp, _ := e.do("POST", base+"/elasticsearch/_msearch?expand_wildcards=all&error_trace=true", item, hdr)
	for _, r := range e.requestsSince(n) {
		if strings.Contains(r.RawQuery, "expand_wildcards") || strings.Contains(r.RawQuery, "error_trace") {
			t.Errorf("msearch query string forwarded unchecked (%d): ?%s", resp.StatusCode, r.RawQuery)
		}
	}
}

// TestAttackHasChildInnerHitsLeaveWindow: has_child / has_parent with
// inner_hits return the related documents themselves, and only the outer
// document is held to the window by the range kshare adds: on an index
// with a join field, children (or parents) from any time come back.
func TestAttackHasChildInnerHitsLeaveWindow(t *testing.T) {
	e := newEnv(t, kbn.L717, envOptions{})
	res := e.create(createParams{Dashboard: e.kib.DashboardID()})
	base := sharePath(res.URL)
	hdr := map[string]string{"Content-Type": "application/json"}
	for _, q := range []string{
		`{"has_child":{"type":"c","query":{"match_all":{}},"inner_hits":{"size":100}}}`,
		`{"has_parent":{"parent_type":"p","query":{"match_all":{}},"inner_hits":{"size":100}}}`,
	} {
		body := `{"params":{"index":"kibana_sample_data_ecommerce","body":{"query":` + q + `}}}`
		n := len(e.kib.Requests())
		resp, _ := e.do("POST", base+"/internal/search/es", body, hdr)
		if len(e.requestsSince(n)) != 0 {
			t.Errorf("%s: forwarded (%d)", q, resp.StatusCode)
		}
	}
}
