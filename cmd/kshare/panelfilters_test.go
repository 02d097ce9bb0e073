package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/kshare/kshare/proxy/kbn"
)

// ecommerceDV is the eCommerce sample data view of the fixtures.
const ecommerceDV = "ff959d40-b880-11e8-a6d9-e546fe2bba5f"

// jsonText returns v as a JSON string, as Kibana stores panelsJSON,
// layerListJSON and the like.
func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// putLensMapDashboard replaces the stand-in's eCommerce dashboard with one
// of three panels on the same data view: a Lens panel with a saved query
// and filter, a map whose only layer has its own query, and the fixture's
// input controls.
func putLensMapDashboard(t *testing.T, e *env) {
	t.Helper()
	dvRef := func(name string) map[string]any {
		return map[string]any{"name": name, "type": "index-pattern", "id": ecommerceDV}
	}
	e.kib.PutObject("default", map[string]any{"type": "lens", "id": "lens-women",
		"attributes": map[string]any{"title": "Women", "visualizationType": "lnsXY",
			"state": map[string]any{
				"datasourceStates": map[string]any{"indexpattern": map[string]any{
					"layers": map[string]any{"L1": map[string]any{"columns": map[string]any{}}}}},
				"query": map[string]any{"query": "customer_gender:FEMALE", "language": "kuery"},
				"filters": []any{map[string]any{"meta": map[string]any{"indexRefName": "filter-index-pattern-0"},
					"query": map[string]any{"match_phrase": map[string]any{"category.keyword": "Women's Clothing"}}}},
				"visualization": map[string]any{}}},
		"references": []any{dvRef("indexpattern-datasource-layer-L1"), dvRef("filter-index-pattern-0")}})
	e.kib.PutObject("default", map[string]any{"type": "map", "id": "map-us",
		"attributes": map[string]any{"title": "US orders",
			"mapStateJSON": jsonText(t, map[string]any{"query": map[string]any{"query": "map_state:ignored", "language": "kuery"}}),
			"layerListJSON": jsonText(t, []any{
				map[string]any{"type": "VECTOR_TILE", "sourceDescriptor": map[string]any{"type": "EMS_TMS"}},
				map[string]any{"type": "VECTOR", "query": map[string]any{"query": "geoip.country_iso_code:US", "language": "kuery"},
					"sourceDescriptor": map[string]any{"type": "ES_SEARCH", "indexPatternRefName": "layer_1_source_index_pattern"}}})},
		"references": []any{dvRef("layer_1_source_index_pattern")}})
	panels := []any{}
	refs := []any{}
	for i, p := range []struct{ typ, id string }{{"lens", "lens-women"}, {"map", "map-us"},
		{"visualization", "1c389590-b88d-11e8-a6d9-e546fe2bba5f"}} {
		name := "panel_" + strconv.Itoa(i)
		panels = append(panels, map[string]any{"panelIndex": strconv.Itoa(i + 1), "panelRefName": name,
			"embeddableConfig": map[string]any{},
			"gridData":         map[string]any{"x": 0, "y": i * 10, "w": 24, "h": 10, "i": strconv.Itoa(i + 1)}})
		refs = append(refs, map[string]any{"name": name, "type": p.typ, "id": p.id})
	}
	e.kib.PutObject("default", map[string]any{"type": "dashboard", "id": e.kib.DashboardID(),
		"attributes": map[string]any{"title": "Lens, map and controls", "timeRestore": false,
			"panelsJSON": jsonText(t, panels), "optionsJSON": "{}",
			"kibanaSavedObjectMeta": map[string]any{"searchSourceJSON": `{"query":{"query":"","language":"kuery"},"filter":[]}`}},
		"references": refs})
}

// TestPanelFiltersEnforced: on a dashboard whose every panel on an index
// carries its own filters (Lens state, a maps layer query), every search on
// that index is held to their union, whatever the client sends; the input
// controls' value listings are searched without it but with their own
// query dropped, so they cannot probe outside the panels.
func TestPanelFiltersEnforced(t *testing.T) {
	t.Parallel()
	e := newEnv(t, kbn.L710, envOptions{})
	putLensMapDashboard(t, e)
	res := e.create(createParams{Dashboard: e.kib.DashboardID(),
		From: "2026-12-01T00:00:00Z", To: "2026-12-02T00:00:00Z", fromSet: true, toSet: true})
	base := sharePath(res.URL)
	hdr := map[string]string{"Content-Type": "application/json"}
	search := func(body string) string {
		t.Helper()
		n := len(e.kib.Requests())
		resp, out := e.do("POST", base+"/internal/search/es", body, hdr)
		if resp.StatusCode != 200 {
			t.Fatalf("search: %d %s", resp.StatusCode, out)
		}
		fwd, ok := e.lastForwarded(n, "/internal/search/es")
		if !ok {
			t.Fatal("search not forwarded")
		}
		return compact(fwd.Body)
	}
	union := []string{`{"match":{"customer_gender":"FEMALE"}}`,
		`{"match_phrase":{"category.keyword":"Women's Clothing"}}`,
		`{"match":{"geoip.country_iso_code":"US"}}`, `"minimum_should_match":1`}

	got := search(eseBody(t, "kibana_sample_data_ecommerce"))
	for _, w := range union {
		if !strings.Contains(got, w) {
			t.Errorf("panel search lacks %s:\n%s", w, got)
		}
	}
	if strings.Contains(got, "map_state") {
		t.Error("the map's own saved query was added; Kibana does not apply it inside a dashboard")
	}

	probe := `"query":{"bool":{"filter":[{"match_phrase":{"customer_gender":"MALE"}}]}}`
	for name, aggs := range map[string]string{
		"list":  `{"termsAgg":{"terms":{"field":"manufacturer.keyword","size":5,"order":{"_count":"desc"}}}}`,
		"range": `{"maxAgg":{"max":{"field":"total_quantity"}},"minAgg":{"min":{"field":"total_quantity"}}}`,
	} {
		got := search(`{"params":{"index":"kibana_sample_data_ecommerce","body":{"size":0,"aggs":` + aggs + `,` + probe + `}}}`)
		if strings.Contains(got, `"MALE"`) || strings.Contains(got, "minimum_should_match") {
			t.Errorf("%s control: own query kept or panel union applied:\n%s", name, got)
		}
		if !strings.Contains(got, `"gte":"2026-12-01T00:00:00.000Z"`) {
			t.Errorf("%s control: window missing:\n%s", name, got)
		}
	}
	// The same aggregation asking for hits too is no control listing.
	got = search(`{"params":{"index":"kibana_sample_data_ecommerce","body":{"size":5,"aggs":` +
		`{"termsAgg":{"terms":{"field":"manufacturer.keyword"}}},` + probe + `}}}`)
	if !strings.Contains(got, `"MALE"`) || !strings.Contains(got, "minimum_should_match") {
		t.Errorf("a hits search on a control field escaped the panel union:\n%s", got)
	}
}
