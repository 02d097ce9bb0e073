package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kshare/kshare/proxy"
	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/proxy/kibanatest"
)

// eseBody is the 7.10 browser's /internal/search/ese body, with its own
// range moved to an hour in 2020: kshare must still impose the share's.
func eseBody(t *testing.T, index string) string {
	t.Helper()
	b, err := kibanatest.Fixture("search/kibana-7.10_internal-search-ese.reconstructed.json")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(b), "kibana_sample_data_ecommerce", index)
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return s
}

// lastForwarded returns the body of the last forwarded request to path.
func (e *env) lastForwarded(n int, pathSuffix string) (kibanatest.Request, bool) {
	got := e.requestsSince(n)
	for i := len(got) - 1; i >= 0; i-- {
		if strings.HasSuffix(got[i].Path, pathSuffix) || strings.Contains(got[i].Path, pathSuffix) {
			return got[i], true
		}
	}
	return kibanatest.Request{}, false
}

func TestSearchClampedToShare(t *testing.T) {
	t.Parallel()
	e := newEnv(t, kbn.L710, envOptions{})
	res := e.create(createParams{Dashboard: e.kib.DashboardID(),
		From: "2026-12-01T00:00:00Z", To: "2026-12-02T00:00:00Z", fromSet: true, toSet: true,
		Filters: []string{"customer_gender=FEMALE"}})
	base := sharePath(res.URL)
	hdr := map[string]string{"Content-Type": "application/json"}
	window := `"gte":"2026-12-01T00:00:00.000Z","lte":"2026-12-02T00:00:00.000Z"`

	// The client asks for 2020 and no filter: Kibana gets the window and the filter.
	n := len(e.kib.Requests())
	resp, body := e.do("POST", base+"/internal/search/ese", eseBody(t, "kibana_sample_data_ecommerce"), hdr)
	if resp.StatusCode != 200 {
		t.Fatalf("search: %d %s", resp.StatusCode, body)
	}
	fwd, ok := e.lastForwarded(n, "/internal/search/ese")
	if !ok || !strings.Contains(compact(fwd.Body), window) ||
		!strings.Contains(compact(fwd.Body), `"match_phrase":{"customer_gender":"FEMALE"}`) {
		t.Fatalf("forwarded search lacks the window or the filter:\n%s", fwd.Body)
	}

	// The async id handed out is bound to this share.
	var answer struct{ ID string }
	_ = json.Unmarshal([]byte(body), &answer)
	if !strings.HasPrefix(answer.ID, "ks1.") {
		t.Fatalf("async id %q not bound by kshare", answer.ID)
	}

	// Another index, and no index at all, are refused and not forwarded.
	for _, idx := range []string{"kibana_sample_data_flights", "*", ""} {
		n = len(e.kib.Requests())
		if resp, _ := e.do("POST", base+"/internal/search/es", eseBody(t, idx), hdr); resp.StatusCode != 403 ||
			len(e.requestsSince(n)) != 0 {
			t.Errorf("index %q: %d, forwarded %d", idx, resp.StatusCode, len(e.requestsSince(n)))
		}
	}
	// What escapes the query is refused.
	for _, bad := range []string{
		`{"params":{"index":"kibana_sample_data_ecommerce","body":{"aggs":{"all":{"global":{}}}}}}`,
		`{"params":{"index":"kibana_sample_data_ecommerce","body":{"suggest":{"s":{"text":"x","term":{"field":"a"}}}}}}`,
		`{"params":{"index":"kibana_sample_data_ecommerce","body":{"query":{"match_all":{}},"query":{"match_all":{}}}}}`,
	} {
		n = len(e.kib.Requests())
		if resp, _ := e.do("POST", base+"/internal/search/es", bad, hdr); resp.StatusCode/100 != 4 || len(e.requestsSince(n)) != 0 {
			t.Errorf("body %s: %d", bad, resp.StatusCode)
		}
	}

	// Changing the share's filters applies to the existing link at once.
	enc, _ := proxy.EncodeFilters([]string{"geoip.city_name=Cairo"}, "and", "")
	if err := e.d.store.Update(t.Context(), res.Share.ID, map[string]string{"filters": enc}); err != nil {
		t.Fatal(err)
	}
	n = len(e.kib.Requests())
	e.do("POST", base+"/internal/search/es", eseBody(t, "kibana_sample_data_ecommerce"), hdr)
	if fwd, _ := e.lastForwarded(n, "/internal/search/es"); !strings.Contains(compact(fwd.Body), `"geoip.city_name":"Cairo"`) ||
		strings.Contains(compact(fwd.Body), "FEMALE") {
		t.Errorf("after share update the filter is not the new one:\n%s", fwd.Body)
	}
}

// TestAsyncIDsBoundAcrossReplicas: a poll through a second kshare replica
// works for the share that started the search and is refused for another
// share and for raw ids.
func TestAsyncIDsBoundAcrossReplicas(t *testing.T) {
	t.Parallel()
	e := newEnv(t, kbn.L710, envOptions{})
	a := e.create(createParams{Dashboard: e.kib.DashboardID()})
	b := e.create(createParams{Dashboard: e.kib.DashboardID()})
	hdr := map[string]string{"Content-Type": "application/json"}
	_, body := e.do("POST", sharePath(a.URL)+"/internal/search/ese", eseBody(t, "kibana_sample_data_ecommerce"), hdr)
	var answer struct{ ID string }
	if err := json.Unmarshal([]byte(body), &answer); err != nil || answer.ID == "" {
		t.Fatalf("no async id: %s", body)
	}

	// A second replica: its own proxy over the same Redis and Kibana.
	h, err := proxy.New(e.d.proxyOptions(slog.New(slog.DiscardHandler), nil))
	if err != nil {
		t.Fatal(err)
	}
	replica := httptest.NewServer(h)
	defer replica.Close()
	poll := func(share, id string) int {
		req, _ := http.NewRequest("POST", replica.URL+sharePath(share)+"/internal/search/ese/"+id, strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	n := len(e.kib.Requests())
	if code := poll(a.URL, answer.ID); code != 200 {
		t.Fatalf("poll on the second replica: %d", code)
	}
	if fwd, ok := e.lastForwarded(n, "/internal/search/ese/"); !ok || strings.Contains(fwd.Path, "ks1.") {
		t.Fatalf("the poll did not reach Kibana with the real id: %+v", fwd.Path)
	}
	n = len(e.kib.Requests())
	if code := poll(b.URL, answer.ID); code != 403 {
		t.Errorf("another share polled the search: %d", code)
	}
	raw := strings.TrimPrefix(answer.ID, "ks1.")
	if code := poll(a.URL, raw); code != 403 {
		t.Errorf("a raw id was accepted: %d", code)
	}
	if len(e.requestsSince(n)) != 0 {
		t.Error("refused polls reached Kibana")
	}
	// A cancel goes on with the real id and without the client's body.
	n = len(e.kib.Requests())
	resp, _ := e.do("DELETE", sharePath(a.URL)+"/internal/search/ese/"+answer.ID, `{"smuggled":true}`, hdr)
	fwd, ok := e.lastForwarded(n, "/internal/search/ese/")
	if resp.StatusCode >= 400 || !ok || fwd.Method != "DELETE" || len(fwd.Body) != 0 {
		t.Errorf("cancel: %d, forwarded %v %s with body %q", resp.StatusCode, ok, fwd.Method, fwd.Body)
	}
}

// TestTSVBUsesSavedPanel: a tampered TSVB request gets the saved panel
// model, whatever index or query it asked for.
func TestTSVBUsesSavedPanel(t *testing.T) {
	t.Parallel()
	e := newEnv(t, kbn.L717, envOptions{})
	res := e.create(createParams{Dashboard: e.kib.DashboardID()})
	b, err := kibanatest.Fixture("search/klt-2021-07/dashboard-timeSeriesPayload.json")
	if err != nil {
		t.Fatal(err)
	}
	tampered := strings.Replace(string(b), `"time_field": "order_date"`, `"time_field": "order_date", "index_pattern": "secret-*"`, 1)
	n := len(e.kib.Requests())
	resp, body := e.do("POST", sharePath(res.URL)+"/api/metrics/vis/data", tampered, map[string]string{"Content-Type": "application/json"})
	if resp.StatusCode != 200 {
		t.Fatalf("tsvb: %d %s", resp.StatusCode, body)
	}
	fwd, _ := e.lastForwarded(n, "/api/metrics/vis/data")
	if strings.Contains(string(fwd.Body), "secret-*") {
		t.Fatalf("the tampered index reached Kibana:\n%s", fwd.Body)
	}

	// The eCommerce gauge and time series share one model id: each must
	// get its own saved model, not the other's.
	for _, c := range []struct{ file, typ string }{
		{"dashboard-gaugePayload.json", `"type":"gauge"`},
		{"dashboard-timeSeriesPayload.json", `"type":"timeseries"`},
	} {
		b, err := os.ReadFile("../../proxy/search/testdata/klt-2021-07/" + c.file)
		if err != nil {
			t.Fatal(err)
		}
		n := len(e.kib.Requests())
		if resp, body := e.do("POST", sharePath(res.URL)+"/api/metrics/vis/data", string(b),
			map[string]string{"Content-Type": "application/json"}); resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", c.file, resp.StatusCode, body)
		}
		fwd, _ := e.lastForwarded(n, "/api/metrics/vis/data")
		if !strings.Contains(compact(fwd.Body), c.typ) {
			t.Errorf("%s was forwarded with another panel's model", c.file)
		}
	}
}

func compact(b []byte) string {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

// TestSavedDashboardFiltersEnforced: the dashboard's own saved filters and
// Lucene query are added to every search, so a recipient who removes them
// from _a sees nothing more.
func TestSavedDashboardFiltersEnforced(t *testing.T) {
	t.Parallel()
	e := newEnv(t, kbn.L710, envOptions{})
	src := `{"query":{"language":"lucene","query":"category:Men*"},"filter":[` +
		`{"meta":{"negate":true,"disabled":false,"index":"ff959d40-b880-11e8-a6d9-e546fe2bba5f"},` +
		`"query":{"match_phrase":{"geoip.country_iso_code":"US"}}},` +
		`{"meta":{"disabled":true},"query":{"match_phrase":{"x":"off"}}}]}`
	e.kib.SetObjectAttr("default", "dashboard", e.kib.DashboardID(), "kibanaSavedObjectMeta",
		map[string]any{"searchSourceJSON": src})
	res := e.create(createParams{Dashboard: e.kib.DashboardID()})
	n := len(e.kib.Requests())
	resp, body := e.do("POST", sharePath(res.URL)+"/internal/search/es", eseBody(t, "kibana_sample_data_ecommerce"),
		map[string]string{"Content-Type": "application/json"})
	if resp.StatusCode != 200 {
		t.Fatalf("search: %d %s", resp.StatusCode, body)
	}
	fwd, _ := e.lastForwarded(n, "/internal/search/es")
	got := compact(fwd.Body)
	for _, want := range []string{`"must_not":[{"match_phrase":{"geoip.country_iso_code":"US"}}]`,
		`"query":"category:Men*"`} {
		if !strings.Contains(got, want) {
			t.Errorf("forwarded search lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, `"x":"off"`) {
		t.Error("a disabled saved filter was applied")
	}
}

// TestSavedKQLEnforced: a dashboard's saved KQL query is re-imposed; one
// kshare cannot translate refuses the share's searches instead of running
// them without it.
func TestSavedKQLEnforced(t *testing.T) {
	t.Parallel()
	e := newEnv(t, kbn.L717, envOptions{})
	setQuery := func(q string) {
		e.kib.SetObjectAttr("default", "dashboard", e.kib.DashboardID(), "kibanaSavedObjectMeta",
			map[string]any{"searchSourceJSON": `{"query":{"language":"kuery","query":` + q + `},"filter":[]}`})
		time.Sleep(100 * time.Millisecond) // object cache TTL in tests is 50 ms
	}
	res := e.create(createParams{Dashboard: e.kib.DashboardID()})
	hdr := map[string]string{"Content-Type": "application/json"}
	setQuery(`"customer_gender:FEMALE and not geoip.country_iso_code:US"`)
	n := len(e.kib.Requests())
	if resp, body := e.do("POST", sharePath(res.URL)+"/internal/search/es", eseBody(t, "kibana_sample_data_ecommerce"), hdr); resp.StatusCode != 200 {
		t.Fatalf("search: %d %s", resp.StatusCode, body)
	}
	fwd, _ := e.lastForwarded(n, "/internal/search/es")
	if got := compact(fwd.Body); !strings.Contains(got, `{"match":{"customer_gender":"FEMALE"}}`) ||
		!strings.Contains(got, `"must_not":[{"bool":{"minimum_should_match":1,"should":[{"match":{"geoip.country_iso_code":"US"}}]}}]`) {
		t.Errorf("saved KQL not re-imposed:\n%s", got)
	}
	setQuery(`"user:{ first: alice }"`)
	n = len(e.kib.Requests())
	if resp, _ := e.do("POST", sharePath(res.URL)+"/internal/search/es", eseBody(t, "kibana_sample_data_ecommerce"), hdr); resp.StatusCode != 403 ||
		len(e.requestsSince(n)) != 0 {
		t.Errorf("an untranslatable saved KQL query: %d, forwarded %d", resp.StatusCode, len(e.requestsSince(n)))
	}
}
