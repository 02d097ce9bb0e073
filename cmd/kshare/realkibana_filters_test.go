package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/proxy/kibanatest"
)

// Ids of the objects TestRealKibana710PanelFilters writes into the real
// Kibana (overwritten on every run).
const (
	filteredDashboard = "kshare-test-panel-filters"
	filteredWomen     = "kshare-test-vis-women"
	filteredMen       = "kshare-test-vis-men"
	ecommerceControls = "1c389590-b88d-11e8-a6d9-e546fe2bba5f"
)

// TestRealKibana710PanelFilters shares a dashboard of two visualizations
// that carry their own saved filter or query and the sample's input
// controls, all on the eCommerce data view, through a real Kibana 7.10.2.
// The panels must draw; when KSHARE_REAL_KIBANA_710_ES_LOG names
// es-standin's request log, every search Elasticsearch received for the
// share holds the window and, but for the controls' value listings, the
// union of the two panels' filters.
func TestRealKibana710PanelFilters(t *testing.T) {
	t.Parallel()
	kibanaURL := strings.TrimSuffix(os.Getenv("KSHARE_REAL_KIBANA_710"), "/")
	if kibanaURL == "" {
		t.Skip("KSHARE_REAL_KIBANA_710 not set: no real Kibana 7.10.2 to test against")
	}
	putFilteredDashboard(t, kibanaURL)
	esLog := os.Getenv("KSHARE_REAL_KIBANA_710_ES_LOG")
	logStart := fileSize(esLog)

	e := newEnv(t, kbn.L710, envOptions{kibanaURL: kibanaURL})
	// A window of its own, to the millisecond, tells this test's searches
	// from those of other tests sharing the same Kibana at the same time.
	now := time.Now().UTC().Truncate(time.Second)
	from := now.Add(-7*24*time.Hour + 123*time.Millisecond)
	to := now.Add(-457 * time.Millisecond)
	res := e.create(createParams{Dashboard: filteredDashboard, From: from.Format(time.RFC3339Nano),
		To: to.Format(time.RFC3339Nano), fromSet: true, toSet: true})
	b := newBrowser(t)
	if err := b.Open(res.URL, 60*time.Second, panelsSettled(3)); err != nil {
		logBrowser(t, b)
		t.Fatalf("dashboard did not render: %v", err)
	}
	checkRealPanels(t, b, 3)
	if esLog == "" {
		t.Log("KSHARE_REAL_KIBANA_710_ES_LOG not set: what reached Elasticsearch is not checked")
		return
	}
	checkFilteredSearches(t, esLog, logStart, `"gte":"`+from.Format("2006-01-02T15:04:05.000Z")+`"`)
}

// putFilteredDashboard writes the test's objects with Kibana's own API.
func putFilteredDashboard(t *testing.T, kibanaURL string) {
	t.Helper()
	raw, err := kibanatest.Fixture("dashboards/kibana-7.10_ecommerce-revenue-dashboard.export.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	byTitle := map[string]map[string]any{}
	for _, line := range bytes.Split(raw, []byte("\n")) {
		var o map[string]any
		if json.Unmarshal(line, &o) == nil {
			if a, ok := o["attributes"].(map[string]any); ok {
				byTitle[a["title"].(string)] = o
			}
		}
	}
	vis := func(title, id, newTitle, searchSource string) map[string]any {
		o := byTitle[title]
		if o == nil {
			t.Fatalf("fixture has no %q", title)
		}
		a := o["attributes"].(map[string]any)
		a["title"] = newTitle
		a["kibanaSavedObjectMeta"] = map[string]any{"searchSourceJSON": searchSource}
		return map[string]any{"type": "visualization", "id": id, "attributes": a,
			"references": o["references"]}
	}
	const idx = `"indexRefName":"kibanaSavedObjectMeta.searchSourceJSON.index"`
	objs := []map[string]any{
		vis("[eCommerce] Sales by Category", filteredWomen, "Women's clothing by category",
			`{`+idx+`,"query":{"query":"","language":"kuery"},"filter":[{"meta":{"negate":false,`+
				`"disabled":false,"alias":null,"type":"phrase","key":"category.keyword",`+
				`"params":{"query":"Women's Clothing"},"indexRefName":"kibanaSavedObjectMeta.searchSourceJSON.filter[0].meta.index"},`+
				`"query":{"match_phrase":{"category.keyword":"Women's Clothing"}},"$state":{"store":"appState"}}]}`),
		vis("[eCommerce] Total Revenue", filteredMen, "Revenue from men",
			`{`+idx+`,"query":{"query":"customer_gender:MALE","language":"kuery"},"filter":[]}`),
	}
	objs[0]["references"] = append(objs[0]["references"].([]any), map[string]any{
		"name": "kibanaSavedObjectMeta.searchSourceJSON.filter[0].meta.index",
		"type": "index-pattern", "id": ecommerceDV})
	var panels, refs []any
	for i, id := range []string{filteredWomen, filteredMen, ecommerceControls} {
		n := strconv.Itoa(i + 1)
		panels = append(panels, map[string]any{"panelIndex": n, "panelRefName": "panel_" + strconv.Itoa(i),
			"version": "7.10.2", "embeddableConfig": map[string]any{},
			"gridData": map[string]any{"x": 16 * i, "y": 0, "w": 16, "h": 15, "i": n}})
		refs = append(refs, map[string]any{"name": "panel_" + strconv.Itoa(i), "type": "visualization", "id": id})
	}
	objs = append(objs, map[string]any{"type": "dashboard", "id": filteredDashboard,
		"attributes": map[string]any{"title": "kshare panel filters", "timeRestore": false,
			"panelsJSON": jsonText(t, panels), "optionsJSON": `{"hidePanelTitles":false,"useMargins":true}`,
			"kibanaSavedObjectMeta": map[string]any{"searchSourceJSON": `{"query":{"query":"","language":"kuery"},"filter":[]}`}},
		"references": refs})
	body, _ := json.Marshal(objs)
	req, _ := http.NewRequest("POST", kibanaURL+"/api/saved_objects/_bulk_create?overwrite=true", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("kbn-xsrf", "kshare-test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		SavedObjects []struct {
			ID    string `json:"id"`
			Error any    `json:"error"`
		} `json:"saved_objects"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("bulk create: %d %v", resp.StatusCode, err)
	}
	for _, o := range out.SavedObjects {
		if o.Error != nil {
			t.Fatalf("bulk create %s: %v", o.ID, o.Error)
		}
	}
}

func fileSize(name string) int64 {
	if name == "" {
		return 0
	}
	fi, err := os.Stat(name)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// checkFilteredSearches reads es-standin's log from offset and checks each
// search on the eCommerce index whose body holds mark (the share's window).
func checkFilteredSearches(t *testing.T, name string, offset int64, mark string) {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, 0); err != nil {
		t.Fatal(err)
	}
	var panelsN, controlsN int
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var r struct {
			Path string `json:"path"`
			Body string `json:"body"`
		}
		if json.Unmarshal(sc.Bytes(), &r) != nil || r.Path != "/kibana_sample_data_ecommerce/_search" {
			continue
		}
		body := compact([]byte(r.Body))
		if !strings.Contains(body, mark) {
			continue // another test's search
		}
		control := strings.Contains(body, `"termsAgg"`) || strings.Contains(body, `"maxAgg"`)
		union := strings.Contains(body, `{"match_phrase":{"category.keyword":"Women's Clothing"}}`) &&
			strings.Contains(body, `{"match":{"customer_gender":"MALE"}}`) &&
			strings.Contains(body, `"minimum_should_match":1`)
		switch {
		case control && !union:
			controlsN++
		case !control && union:
			panelsN++
		default:
			t.Errorf("search (control %v) with union %v: %.800s", control, union, body)
		}
	}
	t.Logf("Elasticsearch got %d panel searches with the union, %d control listings without", panelsN, controlsN)
	if panelsN < 2 || controlsN < 3 {
		t.Errorf("want at least 2 panel searches and 3 control listings, got %d and %d", panelsN, controlsN)
	}
}
