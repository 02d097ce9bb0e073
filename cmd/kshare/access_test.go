package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kshare/kshare/proxy/kbn"
)

// The eCommerce dashboard's data view and the flights dashboard, which the
// stand-in also holds but an eCommerce share must never reach.
const (
	ecommerceDataView = "ff959d40-b880-11e8-a6d9-e546fe2bba5f"
	flightsDashboard  = "7adfa750-4c81-11e8-b3d7-01146121b73d"
	flightsDataView   = "d3d7af60-4c81-11e8-b3d7-01146121b73d"
)

// TestClosureLimitsSavedObjectReads: everything the dashboard's panels
// need is allowed; objects and data views outside its closure are refused
// and never reach Kibana.
func TestClosureLimitsSavedObjectReads(t *testing.T) {
	for _, line := range []kbn.Line{kbn.L710, kbn.L717, kbn.L815, kbn.OSD2} {
		t.Run(line.Name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, line, envOptions{})
			res := e.create(createParams{Dashboard: e.kib.DashboardID()})
			base := sharePath(res.URL)
			ctJSON := map[string]string{"Content-Type": "application/json"}
			cases := []struct {
				name, method, path, body string
				status                   int
			}{
				{"bulk get of the dashboard and its data view", "POST", "/api/saved_objects/_bulk_get",
					`[{"type":"dashboard","id":"` + e.kib.DashboardID() + `"},{"type":"index-pattern","id":"` + ecommerceDataView + `"}]`, 200},
				{"bulk get of another dashboard", "POST", "/api/saved_objects/_bulk_get",
					`[{"type":"dashboard","id":"` + e.kib.DashboardID() + `"},{"type":"dashboard","id":"` + flightsDashboard + `"}]`, 403},
				{"bulk get across spaces", "POST", "/api/saved_objects/_bulk_get",
					`[{"type":"dashboard","id":"` + e.kib.DashboardID() + `","namespaces":["*"]}]`, 403},
				{"bulk get with duplicate keys", "POST", "/api/saved_objects/_bulk_get",
					`[{"type":"dashboard","id":"` + e.kib.DashboardID() + `","id":"` + flightsDashboard + `"}]`, 400},
				{"get of another data view", "GET", "/api/saved_objects/index-pattern/" + flightsDataView, "", 403},
				{"get of the own data view", "GET", "/api/saved_objects/index-pattern/" + ecommerceDataView, "", 200},
				{"find dashboards", "GET", "/api/saved_objects/_find?type=dashboard", "", 403},
				{"fields of the own data view", "GET", "/api/index_patterns/_fields_for_wildcard?pattern=kibana_sample_data_ecommerce&meta_fields=_source", "", 200},
				{"fields of another index", "GET", "/api/index_patterns/_fields_for_wildcard?pattern=kibana_sample_data_flights", "", 403},
				{"fields of every index", "GET", "/api/index_patterns/_fields_for_wildcard?pattern=*", "", 403},
				{"fields with a repeated pattern", "GET", "/api/index_patterns/_fields_for_wildcard?pattern=kibana_sample_data_ecommerce&pattern=*", "", 403},
			}
			for _, c := range cases {
				if strings.Contains(c.path, "_fields_for_wildcard") && line.AtLeast(8, 0) {
					continue // 8.x asks /internal/data_views instead
				}
				n := len(e.kib.Requests())
				resp, body := e.do(c.method, base+c.path, c.body, ctJSON)
				if resp.StatusCode != c.status {
					t.Errorf("%s: %d %s, want %d", c.name, resp.StatusCode, body, c.status)
				}
				if c.status != 200 && len(e.requestsSince(n)) != 0 {
					t.Errorf("%s: reached Kibana", c.name)
				}
			}

			// Data view listings come from the closure, not from Kibana.
			n := len(e.kib.Requests())
			_, body := e.do("GET", base+"/api/saved_objects/_find?type=index-pattern&fields=title&per_page=10000", "", nil)
			var found struct {
				Total        int `json:"total"`
				SavedObjects []struct {
					ID string `json:"id"`
				} `json:"saved_objects"`
			}
			if err := json.Unmarshal([]byte(body), &found); err != nil || found.Total != 1 ||
				found.SavedObjects[0].ID != ecommerceDataView {
				t.Errorf("data view listing = %s, want only the closure's data view", body)
			}
			if len(e.requestsSince(n)) != 0 {
				t.Error("the data view listing was forwarded to Kibana")
			}
		})
	}
}

// TestOtherShareGetsNothing: a request under another share's path, or
// with a revoked token, gets nothing of this share's closure.
func TestOtherShareGetsNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, kbn.L717, envOptions{})
	a := e.create(createParams{Dashboard: e.kib.DashboardID()})
	b := e.create(createParams{Dashboard: flightsDashboard})
	bodyA := `[{"type":"dashboard","id":"` + e.kib.DashboardID() + `"}]`
	hdr := map[string]string{"Content-Type": "application/json"}
	if resp, _ := e.do("POST", sharePath(a.URL)+"/api/saved_objects/_bulk_get", bodyA, hdr); resp.StatusCode != 200 {
		t.Fatalf("own share: %d", resp.StatusCode)
	}
	if resp, _ := e.do("POST", sharePath(b.URL)+"/api/saved_objects/_bulk_get", bodyA, hdr); resp.StatusCode != 403 {
		t.Errorf("share B read share A's dashboard: %d", resp.StatusCode)
	}
	if err := e.d.store.Delete(t.Context(), a.Share.ID); err != nil {
		t.Fatal(err)
	}
	n := len(e.kib.Requests())
	if resp, _ := e.do("POST", sharePath(a.URL)+"/api/saved_objects/_bulk_get", bodyA, hdr); resp.StatusCode != 404 {
		t.Errorf("revoked share: %d", resp.StatusCode)
	}
	if len(e.allRequestsSince(n)) != 0 {
		t.Error("a revoked share's request made kshare contact Kibana")
	}
}

// TestDataViewsAPIFromClosure: 8.x data view listings and existence checks
// are answered from the closure; another data view is refused.
func TestDataViewsAPIFromClosure(t *testing.T) {
	t.Parallel()
	e := newEnv(t, kbn.L815, envOptions{})
	res := e.create(createParams{Dashboard: e.kib.DashboardID()})
	base := sharePath(res.URL)
	n := len(e.kib.Requests())
	_, body := e.do("GET", base+"/api/data_views", "", nil)
	if !strings.Contains(body, ecommerceDataView) || strings.Contains(body, flightsDataView) {
		t.Errorf("data view list = %s", body)
	}
	if _, body := e.do("GET", base+"/internal/data_views/has_data_views", "", nil); !strings.Contains(body, `"hasUserDataView":true`) {
		t.Errorf("has_data_views = %s", body)
	}
	if len(e.requestsSince(n)) != 0 {
		t.Error("a data view listing was forwarded")
	}
	if resp, _ := e.do("GET", base+"/api/data_views/data_view/"+flightsDataView, "", nil); resp.StatusCode != 403 {
		t.Errorf("another data view: %d", resp.StatusCode)
	}
}
