package closure

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kshare/kshare/proxy/kbn"
)

const (
	ecommerceFile = "kibana-7.10_ecommerce-revenue-dashboard.export.ndjson"
	flightsFile   = "kibana-7.10_flights-global-flight-dashboard.export.ndjson"
	everything6   = "kibana-6.x_dashboard-with-everything.export.json"
	metricbeat8   = "kibana-8.0_metricbeat-system-overview.export.ndjson"

	ecommerceDash = "722b74f0-b882-11e8-a6d9-e546fe2bba5f"
	ecommerceDV   = "ff959d40-b880-11e8-a6d9-e546fe2bba5f"
	ecommerceTSVB = "45e07720-b890-11e8-a6d9-e546fe2bba5f"
	flightsDash   = "7adfa750-4c81-11e8-b3d7-01146121b73d"
	flightsDV     = "d3d7af60-4c81-11e8-b3d7-01146121b73d"
	everythingID  = "d2525040-3dcd-11e8-8660-4d65aa086b3c"
	logstashDV    = "0bf35f60-3dc9-11e8-8660-4d65aa086b3c"
	animalsDV     = "a0f483a0-3dc9-11e8-8660-4d65aa086b3c"
	dogbreedsDV   = "f908c8e0-3e6d-11e8-bbb9-e15942d5d48c"
	metricbeatID  = "Metricbeat-system-overview-ecs"
)

// counts returns the closure's objects per type.
// indexRef is a visualization's or saved search's data-view reference.
func indexRef(id string) kbn.Reference {
	return ref("kibanaSavedObjectMeta.searchSourceJSON.index", typeDataView, id)
}

func counts(c *Closure) map[string]int {
	out := map[string]int{}
	for r := range c.Objects {
		out[r.Type]++
	}
	return out
}

func stringSet(m map[string]bool) []string {
	var out []string
	for s := range m {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func TestComputeFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		file    string
		root    Ref
		counts  map[string]int
		views   map[string]DataView
		strs    []string
		missing []Ref
		has     []Ref
		// allExported: every object of the export is in the closure (the
		// exports were made with their references, deep).
		allExported bool
	}{
		{
			name: "kibana-7.10 ecommerce revenue dashboard",
			file: ecommerceFile,
			root: Ref{typeDashboard, ecommerceDash},
			counts: map[string]int{
				typeDashboard: 1, typeVis: 11, typeSearch: 1, typeDataView: 1,
			},
			views: map[string]DataView{ecommerceDV: {
				ID: ecommerceDV, Title: "kibana_sample_data_ecommerce", TimeField: "order_date",
			}},
			// TSVB (index_pattern, annotation) and the Vega map.
			strs: []string{"kibana_sample_data_ecommerce"},
			has: []Ref{
				{typeSearch, "3ba638e0-b894-11e8-a6d9-e546fe2bba5f"},
				{typeVis, "1c389590-b88d-11e8-a6d9-e546fe2bba5f"}, // input controls
			},
			allExported: true,
		},
		{
			name: "kibana-7.10 flights global flight dashboard",
			file: flightsFile,
			root: Ref{typeDashboard, flightsDash},
			counts: map[string]int{
				typeDashboard: 1, typeVis: 17, typeSearch: 1, typeDataView: 1,
			},
			views: map[string]DataView{flightsDV: {
				ID: flightsDV, Title: "kibana_sample_data_flights", TimeField: "timestamp",
			}},
			strs:        []string{"kibana_sample_data_flights"},
			has:         []Ref{{typeSearch, "571aaf70-4c88-11e8-b3d7-01146121b73d"}},
			allExported: true,
		},
		{
			name: "kibana-6.x dashboard with everything",
			file: everything6,
			root: Ref{typeDashboard, everythingID},
			counts: map[string]int{
				typeDashboard: 1, typeVis: 26, typeSearch: 3, typeDataView: 3,
			},
			views: map[string]DataView{
				logstashDV:  {ID: logstashDV, Title: "logstash-*", TimeField: "@timestamp"},
				animalsDV:   {ID: animalsDV, Title: "animals-*", TimeField: "@timestamp"},
				dogbreedsDV: {ID: dogbreedsDV, Title: "dogbreeds"},
			},
			// TSVB panels; the Vega panel's index is _all and the Timelion
			// panel names none: both get nothing.
			strs: []string{"logstash-*"},
			has: []Ref{
				{typeSearch, "a16d1990-3dca-11e8-8660-4d65aa086b3c"},
				{typeVis, "42535e30-3dcd-11e8-8660-4d65aa086b3c"}, // input controls
			},
			allExported: true,
		},
		{
			name:   "kibana-8.0 metricbeat system overview",
			file:   metricbeat8,
			root:   Ref{typeDashboard, metricbeatID},
			counts: map[string]int{typeDashboard: 1, typeVis: 10},
			views:  map[string]DataView{},
			strs:   []string{"metricbeat-*"},
			// The export's own summary lists the same missing reference.
			missing:     []Ref{{typeDataView, "metricbeat-*"}},
			allExported: true,
		},
		{
			name:   "kibana-7.10 ecommerce single TSVB visualization",
			file:   ecommerceFile,
			root:   Ref{typeVis, ecommerceTSVB},
			counts: map[string]int{typeVis: 1},
			views:  map[string]DataView{},
			strs:   []string{"kibana_sample_data_ecommerce"},
		},
		{
			name:   "kibana-7.10 ecommerce single input-control visualization",
			file:   ecommerceFile,
			root:   Ref{typeVis, "1c389590-b88d-11e8-a6d9-e546fe2bba5f"},
			counts: map[string]int{typeVis: 1, typeDataView: 1},
			views: map[string]DataView{ecommerceDV: {
				ID: ecommerceDV, Title: "kibana_sample_data_ecommerce", TimeField: "order_date",
			}},
		},
		{
			name:   "kibana-6.x single visualization linked to a saved search",
			file:   everything6,
			root:   Ref{typeVis, "771b4f10-3e59-11e8-9fc3-39e49624228e"},
			counts: map[string]int{typeVis: 1, typeSearch: 1, typeDataView: 1},
			views: map[string]DataView{
				animalsDV: {ID: animalsDV, Title: "animals-*", TimeField: "@timestamp"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			objs := fixtureObjects(t, tt.file)
			f := newFake(t, objs...)
			c, err := Compute(context.Background(), f, "", tt.root)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d objects %v, %d data views, index strings %v, missing %v",
				len(c.Objects), counts(c), len(c.DataViews), stringSet(c.IndexStrings), c.Missing)
			if diff := cmp.Diff(tt.counts, counts(c)); diff != "" {
				t.Errorf("objects per type (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.views, c.DataViews); diff != "" {
				t.Errorf("data views (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.strs, stringSet(c.IndexStrings)); diff != "" {
				t.Errorf("index strings (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.missing, c.Missing); diff != "" {
				t.Errorf("missing (-want +got):\n%s", diff)
			}
			for _, r := range append(tt.has, tt.root) {
				if !c.Has(r.Type, r.ID) {
					t.Errorf("closure lacks %s", r)
				}
			}
			if tt.allExported {
				for _, o := range objs {
					if !c.Has(o.Type, o.ID) {
						t.Errorf("exported %s/%s not in closure", o.Type, o.ID)
					}
				}
			}
			for r, n := range f.calls {
				if n != 1 {
					t.Errorf("%s read %d times", r, n)
				}
			}
		})
	}
}

func TestComputeFixturePanels(t *testing.T) {
	t.Parallel()
	f := newFake(t, fixtureObjects(t, ecommerceFile)...)
	c, err := Compute(context.Background(), f, "", Ref{typeDashboard, ecommerceDash})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(c.Panels); got != 12 {
		t.Errorf("%d panels, want 11 visualizations + 1 saved search", got)
	}
	p := c.Panels[ecommerceTSVB]
	if p.VisType != visTSVB || len(p.Params) == 0 || p.Ref != (Ref{typeVis, ecommerceTSVB}) {
		t.Errorf("TSVB panel = %+v", p)
	}
	vega := c.Panels["9c6f83f0-bb4d-11e8-9c84-77068524bcab"]
	if vega.VisType != visVega || len(vega.Params) == 0 {
		t.Errorf("Vega panel = %+v", vega)
	}
	pie := c.Panels["ed8436b0-b88b-11e8-a6d9-e546fe2bba5f"]
	if pie.VisType != "pie" || pie.Params != nil || len(pie.SearchSource) == 0 {
		t.Errorf("pie panel = %+v", pie)
	}
	search := c.Panels["3ba638e0-b894-11e8-a6d9-e546fe2bba5f"]
	if search.Ref.Type != typeSearch || len(search.SearchSource) == 0 {
		t.Errorf("saved search panel = %+v", search)
	}
}

// The crafted dashboard points elsewhere in every way Kibana knows: a
// drilldown (reference and inline config), a links panel by reference and
// one by value. None of the targets, nor what they contain, is shared.
func TestComputeDrilldownAndLinksStayOutside(t *testing.T) {
	t.Parallel()
	drilldown := map[string]any{"dynamicActions": map[string]any{"events": []any{
		map[string]any{
			"eventId": "e1",
			"action": map[string]any{
				"factory": "DASHBOARD_TO_DASHBOARD_DRILLDOWN",
				"config":  map[string]any{"dashboardId": "other-inline", "useCurrentFilters": true},
			},
		},
	}}}
	panels := []any{
		map[string]any{
			"panelIndex": "p1", "panelRefName": "panel_p1", "type": typeVis,
			"embeddableConfig": map[string]any{"enhancements": drilldown},
		},
		map[string]any{
			"panelIndex": "p2", "panelRefName": "panel_p2", "type": typeLinks,
			"embeddableConfig": map[string]any{},
		},
		map[string]any{
			"panelIndex": "p3", "type": typeLinks,
			"embeddableConfig": map[string]any{"attributes": map[string]any{
				"title": "by-value links",
				"links": []any{
					map[string]any{
						"type": "dashboardLink", "destinationRefName": "link_a_dashboard",
					},
					map[string]any{"type": "dashboardLink", "destination": "other-by-value-inline"},
					map[string]any{"type": "externalLink", "destination": "https://example.com"},
				},
			}},
		},
	}
	dash := obj(typeDashboard, "dash", map[string]any{"panelsJSON": js(panels)},
		ref("p1:panel_p1", typeVis, "v1"),
		ref("p2:panel_p2", typeLinks, "links1"),
		ref("drilldown:DASHBOARD_TO_DASHBOARD_DRILLDOWN:e1:dashboardId",
			typeDashboard, "other-drill"),
		ref("p3:link_a_dashboard", typeDashboard, "other-by-value"),
		ref("tag-t1", typeTag, "t1"),
	)
	links := obj(typeLinks, "links1", map[string]any{
		"links": []any{map[string]any{
			"type": "dashboardLink", "destinationRefName": "link_b_dashboard",
		}},
	}, ref("link_b_dashboard", typeDashboard, "other-links"))
	objs := []kbn.SavedObject{
		dash, links,
		vis("v1", "pie", map[string]any{}, indexRef("dv1")),
		dataView("dv1", "logs-*", "@timestamp"),
		obj(typeTag, "t1", map[string]any{"name": "team"}),
	}
	others := []string{
		"other-inline", "other-drill", "other-by-value", "other-by-value-inline", "other-links",
	}
	for _, id := range others {
		objs = append(objs,
			obj(typeDashboard, id, map[string]any{"panelsJSON": js([]any{
				map[string]any{"panelIndex": "1", "panelRefName": "panel_0"},
			})}, ref("panel_0", typeVis, "secret-vis")))
	}
	objs = append(objs,
		vis("secret-vis", "pie", map[string]any{}, indexRef("secret-dv")),
		dataView("secret-dv", "secret-*", "@timestamp"))
	c, err := Compute(context.Background(), newFake(t, objs...), "", Ref{typeDashboard, "dash"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[Ref]bool{
		{typeDashboard, "dash"}: true, {typeVis, "v1"}: true, {typeLinks, "links1"}: true,
		{typeDataView, "dv1"}: true, {typeTag, "t1"}: true,
	}
	if diff := cmp.Diff(want, c.Objects); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	if c.AllowsIndex("secret-*") || len(c.Missing) != 0 {
		t.Errorf("secret-* allowed or missing %v", c.Missing)
	}
}

// By-value panels (8.x) keep their objects inside the dashboard; controls
// and filters reference data views from the dashboard itself.
func TestComputeByValuePanels(t *testing.T) {
	t.Parallel()
	lens := map[string]any{
		"title": "by-value lens", "visualizationType": "lnsXY",
		"state": map[string]any{"adHocDataViews": map[string]any{
			"adhoc1": map[string]any{"id": "adhoc1", "title": "adhoc-*", "timeFieldName": "ts"},
		}, "datasourceStates": map[string]any{"formBased": map[string]any{"layers": map[string]any{
			"l1": map[string]any{}, "l2": map[string]any{}}}},
			"query": map[string]any{"query": "a:1", "language": "kuery"}},
		"references": []any{map[string]any{
			"name": "indexpattern-datasource-layer-l1", "type": typeDataView, "id": "dv1",
		}},
	}
	tsvb := map[string]any{
		"type": visTSVB,
		"params": map[string]any{
			"index_pattern": "tsvb-*",
			"series": []any{
				map[string]any{"override_index_pattern": 1, "series_index_pattern": "override-*"},
				map[string]any{"override_index_pattern": 0, "series_index_pattern": "ignored-*"},
			},
			"annotations": []any{map[string]any{"index_pattern": map[string]any{"id": "dv2"}}},
		},
		"data": map[string]any{"searchSource": map[string]any{}},
	}
	withSearch := map[string]any{
		"type": "pie", "params": map[string]any{},
		"data": map[string]any{"savedSearchRefName": "search_0"},
	}
	panels := []any{
		map[string]any{"panelIndex": "p1", "type": typeLens,
			"embeddableConfig": map[string]any{"attributes": lens}},
		map[string]any{"panelIndex": "p2", "type": typeVis,
			"embeddableConfig": map[string]any{"savedVis": tsvb}},
		map[string]any{"panelIndex": "p3", "type": typeVis,
			"embeddableConfig": map[string]any{"savedVis": withSearch}},
		map[string]any{"panelIndex": "p4", "panelRefName": "panel_p4", "type": typeMap},
	}
	controls := map[string]any{"c1": map[string]any{
		"type": "optionsListControl", "explicitInput": map[string]any{"dataViewId": "dv3"},
	}}
	dash := obj(typeDashboard, "dash", map[string]any{
		"panelsJSON":        js(panels),
		"controlGroupInput": map[string]any{"panelsJSON": js(controls)},
		"kibanaSavedObjectMeta": map[string]any{"searchSourceJSON": js(map[string]any{
			"filter": []any{map[string]any{"meta": map[string]any{
				"indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.filter[0].meta.index",
			}}},
		})},
	},
		ref("controlGroup_c2:optionsListDataView", typeDataView, "dv4"),
		ref("kibanaSavedObjectMeta.searchSourceJSON.filter[0].meta.index", typeDataView, "dv5"),
		ref("p1:indexpattern-datasource-layer-l2", typeDataView, "dv6"),
		ref("p3:search_0", typeSearch, "s1"),
		ref("p4:panel_p4", typeMap, "m1"),
	)
	objs := []kbn.SavedObject{
		dash,
		obj(typeSearch, "s1", map[string]any{}, indexRef("dv7")),
		obj(typeMap, "m1", map[string]any{"layerListJSON": js([]any{map[string]any{
			"sourceDescriptor": map[string]any{
				"indexPatternRefName": "layer_0_source_index_pattern",
			},
		}})}, ref("layer_0_source_index_pattern", typeDataView, "dv8")),
	}
	for i := 1; i <= 8; i++ {
		id := fmt.Sprintf("dv%d", i)
		objs = append(objs, dataView(id, id+"-*", "@timestamp"))
	}
	c, err := Compute(context.Background(), newFake(t, objs...), "", Ref{typeDashboard, "dash"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{typeDashboard: 1, typeDataView: 8, typeSearch: 1, typeMap: 1}
	if diff := cmp.Diff(want, counts(c)); diff != "" {
		t.Errorf("objects per type (-want +got):\n%s", diff)
	}
	if dv := c.DataViews["adhoc1"]; dv.Title != "adhoc-*" || dv.TimeField != "ts" {
		t.Errorf("ad-hoc data view = %+v", dv)
	}
	if c.Has(typeDataView, "adhoc1") {
		t.Error("ad-hoc data view listed as a saved object")
	}
	if diff := cmp.Diff([]string{"override-*", "tsvb-*"}, stringSet(c.IndexStrings)); diff != "" {
		t.Errorf("index strings (-want +got):\n%s", diff)
	}
	byValue := map[string]string{"panel:p1": "lnsXY", "panel:p2": visTSVB, "panel:p3": "pie"}
	for key, vt := range byValue {
		p, ok := c.Panels[key]
		if !ok || p.VisType != vt || p.PanelIndex != key[len("panel:"):] || p.Ref.ID != "" {
			t.Errorf("panel %s = %+v, want type %s", key, p, vt)
		}
	}
	// What the by-value Lens panel (inline and hoisted layer references),
	// the map and the by-value visualization on a saved search read.
	lensReads := c.Panels["panel:p1"].Reads
	sort.Slice(lensReads, func(i, j int) bool { return lensReads[i].DataView < lensReads[j].DataView })
	if got := readsText(lensReads); !c.Panels["panel:p1"].ReadsKnown || got != "dv1:1:0 dv6:1:0" {
		t.Errorf("by-value Lens reads %q", got)
	}
	if got := readsText(c.Panels["m1"].Reads); got != "dv8:0:0" {
		t.Errorf("map reads %q", got)
	}
	if ss := c.Panels["panel:p3"].SavedSearch; ss != "s1" {
		t.Errorf("by-value visualization's saved search = %q, want s1", ss)
	}
}

// References that point back (a visualization naming its dashboard, a
// saved search naming the visualization, panels sharing children) end
// with every object read once.
func TestComputeCycle(t *testing.T) {
	t.Parallel()
	dvRef := indexRef("dv")
	f := newFake(t,
		obj(typeDashboard, "d", map[string]any{"panelsJSON": js([]any{
			map[string]any{"panelIndex": "1", "panelRefName": "panel_0"},
			map[string]any{"panelIndex": "2", "panelRefName": "panel_1"},
			// 6.x form, pointing at the dashboard itself.
			map[string]any{"panelIndex": "3", "id": "d", "type": typeDashboard},
		})},
			ref("panel_0", typeVis, "v"), ref("panel_1", typeVis, "v"),
			ref("panel_2", typeDashboard, "d")),
		vis("v", "pie", map[string]any{}, dvRef,
			ref("search_0", typeSearch, "s"), ref("panel_0", typeDashboard, "d"),
			ref("panel_1", typeVis, "v")),
		obj(typeSearch, "s", map[string]any{}, dvRef, ref("panel_0", typeVis, "v"),
			ref("kibanaSavedObjectMeta.searchSourceJSON.index", typeSearch, "s")),
		dataView("dv", "logs-*", "@timestamp"),
	)
	c, err := Compute(context.Background(), f, "", Ref{typeDashboard, "d"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{typeDashboard: 1, typeVis: 1, typeSearch: 1, typeDataView: 1}
	if diff := cmp.Diff(want, counts(c)); diff != "" {
		t.Errorf("objects per type (-want +got):\n%s", diff)
	}
	if n := f.reads(); n != 4 {
		t.Errorf("%d reads, want 4", n)
	}
}

func TestComputeErrors(t *testing.T) {
	t.Parallel()
	base := func(t *testing.T) *fakeFetcher {
		return newFake(t,
			obj(typeDashboard, "d", map[string]any{}, ref("panel_0", typeVis, "v")),
			vis("v", "pie", map[string]any{}),
		)
	}
	tests := []struct {
		name  string
		root  Ref
		setup func(*fakeFetcher)
		want  error
	}{
		{name: "root not found", root: Ref{typeDashboard, "nope"}, want: kbn.ErrNotFound},
		{name: "root type search", root: Ref{typeSearch, "s"}, want: ErrUnsupportedRoot},
		{name: "root type index-pattern", root: Ref{typeDataView, "dv"}, want: ErrUnsupportedRoot},
		{
			name:  "child unavailable fails the computation",
			root:  Ref{typeDashboard, "d"},
			setup: func(f *fakeFetcher) { f.fail(Ref{typeVis, "v"}, kbn.ErrUnavailable) },
			want:  kbn.ErrUnavailable,
		},
		{
			name:  "credentials refused",
			root:  Ref{typeDashboard, "d"},
			setup: func(f *fakeFetcher) { f.fail(Ref{typeDashboard, "d"}, kbn.ErrUnauthorized) },
			want:  kbn.ErrUnauthorized,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := base(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			_, err := Compute(context.Background(), f, "", tt.root)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestComputeMissingChild(t *testing.T) {
	t.Parallel()
	f := newFake(t, obj(typeDashboard, "d", map[string]any{},
		ref("panel_0", typeVis, "deleted"), ref("panel_1", typeLens, "gone")))
	c, err := Compute(context.Background(), f, "", Ref{typeDashboard, "d"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Ref{{typeLens, "gone"}, {typeVis, "deleted"}}
	if diff := cmp.Diff(want, c.Missing); diff != "" {
		t.Errorf("missing (-want +got):\n%s", diff)
	}
	if c.Has(typeVis, "deleted") {
		t.Error("missing object listed as in the closure")
	}
}

func TestComputeTooLarge(t *testing.T) {
	t.Parallel()
	var refs []kbn.Reference
	objs := []kbn.SavedObject{}
	for i := range MaxObjects + 1 {
		id := fmt.Sprintf("v%d", i)
		refs = append(refs, ref(fmt.Sprintf("panel_%d", i), typeVis, id))
		objs = append(objs, vis(id, "markdown", map[string]any{}))
	}
	objs = append(objs, obj(typeDashboard, "d", map[string]any{}, refs...))
	_, err := Compute(context.Background(), newFake(t, objs...), "", Ref{typeDashboard, "d"})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

func TestComputeReadsInShareSpace(t *testing.T) {
	t.Parallel()
	f := newFake(t, fixtureObjects(t, flightsFile)...)
	f.space = "marketing"
	c, err := Compute(context.Background(), f, "marketing", Ref{typeDashboard, flightsDash})
	if err != nil {
		t.Fatal(err)
	}
	if c.Space != "marketing" {
		t.Errorf("space = %q", c.Space)
	}
}

func TestHasDataViewTitle(t *testing.T) {
	t.Parallel()
	f := newFake(t, fixtureObjects(t, everything6)...)
	c, err := Compute(context.Background(), f, "", Ref{typeDashboard, everythingID})
	if err != nil {
		t.Fatal(err)
	}
	dv, ok := c.HasDataViewTitle("animals-*")
	if !ok || dv.ID != animalsDV {
		t.Errorf("animals-* = %+v, %v", dv, ok)
	}
	if _, ok := c.HasDataViewTitle("animals"); ok {
		t.Error("prefix of a title matched")
	}
	if c.Has(typeConfig, "6.8.23") {
		t.Error("the advanced settings object is in the closure")
	}
}

func TestAllowsIndex(t *testing.T) {
	t.Parallel()
	c := &Closure{
		DataViews: map[string]DataView{
			"a": {ID: "a", Title: "logstash-*"},
			"b": {ID: "b", Title: "logs-*,-logs-secret"},
			"c": {ID: "c", Title: "*"},
			"d": {ID: "d", Title: "_all"},
		},
		IndexStrings: map[string]bool{"metricbeat-*": true, "kibana_sample_data_ecommerce": true},
	}
	tests := []struct {
		index string
		want  bool
	}{
		{"logstash-*", true},                                // data view title
		{"metricbeat-*", true},                              // TSVB index string
		{"logstash-*,metricbeat-*", true},                   // every part allowed
		{"metricbeat-*,kibana_sample_data_ecommerce", true}, // two index strings
		{"logs-*,-logs-secret", true},                       // a title as saved, exclusion included
		{"logstash-*,secret", false},                        // one bad part
		{"secret,logstash-*", false},                        // one bad part first
		{"logs-*", false},                                   // a part of a title alone
		{"", false},                                         // empty
		{"*", false},                                        // every index, even as a title
		{"_all", false},                                     // every index, even as a title
		{"**", false},                                       // every index
		{"logstash-*,*", false},                             // every index in a list
		{"logstash-*,-logstash-secret", false},              // exclusion added
		{"-foo", false},                                     // exclusion alone
		{"logstash-*,", false},                              // empty part
		{",logstash-*", false},                              // empty part
		{"logstash*", false},                                // wider wildcard
		{"LOGSTASH-*", false},                               // case differs
		{" logstash-*", false},                              // blank differs
		{"remote:logstash-*", false},                        // another cluster
		{"kibana_sample_data_ecommerce*", false},            // widened index string
		{"metricbeat-*,metricbeat-*", true},                 // repeated part
		{"kibana_sample_data_ecommerce,logs-*,-logs-secret", false}, // title split by the list
	}
	for _, tt := range tests {
		t.Run(tt.index, func(t *testing.T) {
			t.Parallel()
			if got := c.AllowsIndex(tt.index); got != tt.want {
				t.Errorf("AllowsIndex(%q) = %v, want %v", tt.index, got, tt.want)
			}
		})
	}
}

// Single-object roots exercise the visualization and Lens edges one by one.
func TestComputeObjectEdges(t *testing.T) {
	t.Parallel()
	tsvb := func(params map[string]any, refs ...kbn.Reference) kbn.SavedObject {
		return obj(typeVis, "root", map[string]any{
			"visState": js(map[string]any{"type": visTSVB, "params": params}),
		}, refs...)
	}
	tests := []struct {
		name  string
		root  kbn.SavedObject
		views []string // data view ids in the closure
		strs  []string
	}{
		{
			name: "kibana-8.x TSVB data view extracted to metrics_0_index_pattern",
			root: tsvb(map[string]any{"index_pattern_ref_name": "metrics_0_index_pattern"},
				ref("metrics_0_index_pattern", typeDataView, "dv1")),
			views: []string{"dv1"},
		},
		{
			name: "kibana-7.13 TSVB string index extracted as string-index-pattern",
			root: tsvb(map[string]any{"index_pattern_ref_name": "ref_1_index_pattern"},
				ref("ref_1_index_pattern", typeStringIndex, "logs-*")),
			strs: []string{"logs-*"},
		},
		{
			name: "kibana-7.13 TSVB use_kibana_indexes inline id",
			root: tsvb(map[string]any{
				"use_kibana_indexes": true, "index_pattern": map[string]any{"id": "dv1"},
			}),
			views: []string{"dv1"},
		},
		{
			name: "kibana-6.x TSVB empty index and series without override",
			root: tsvb(map[string]any{"index_pattern": "", "series": []any{
				map[string]any{"override_index_pattern": false, "series_index_pattern": "x-*"},
			}}),
		},
		{
			name: "kibana-7.10 Timelion with two indices",
			root: obj(typeVis, "root", map[string]any{"visState": js(map[string]any{
				"type": visTimelion, "params": map[string]any{
					"expression": ".es(index=a-*), .es(index=b-*, q=x).label(b)",
				},
			})}),
			strs: []string{"a-*", "b-*"},
		},
		{
			name: "kibana-8.x Lens layers, filter and ad-hoc data view",
			root: obj(typeLens, "root", map[string]any{
				"visualizationType": "lnsXY",
				"state": map[string]any{"adHocDataViews": map[string]any{
					"ah": map[string]any{"title": "adhoc-*"},
				}},
			},
				ref("indexpattern-datasource-current-indexpattern", typeDataView, "dv1"),
				ref("indexpattern-datasource-layer-l1", typeDataView, "dv2"),
				ref("filter-index-pattern-0", typeDataView, "dv3"),
				ref("tag-ref-t", typeTag, "t")),
			views: []string{"ah", "dv1", "dv2", "dv3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, tt.root, dataView("dv1", "one-*", ""), dataView("dv2", "two-*", ""),
				dataView("dv3", "three-*", ""), obj(typeTag, "t", map[string]any{}))
			c, err := Compute(context.Background(), f, "", Ref{tt.root.Type, "root"})
			if err != nil {
				t.Fatal(err)
			}
			var views []string
			for id := range c.DataViews {
				views = append(views, id)
			}
			sort.Strings(views)
			if diff := cmp.Diff(tt.views, views); diff != "" {
				t.Errorf("data views (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.strs, stringSet(c.IndexStrings)); diff != "" {
				t.Errorf("index strings (-want +got):\n%s", diff)
			}
		})
	}
}
