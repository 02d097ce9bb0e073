package kibanatest_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/proxy/kibanatest"
)

// attrOf returns one attribute of a saved object answer.
func attrOf(t *testing.T, b []byte, name string) any {
	t.Helper()
	a, _ := decode(t, b)["attributes"].(map[string]any)
	return a[name]
}

func TestSavedObjectGet(t *testing.T) {
	t.Parallel()
	for _, l := range kbn.Lines() {
		t.Run(l.Name, func(t *testing.T) {
			t.Parallel()
			s := kibanatest.New(t, kibanatest.Options{Line: l})
			resp, b := do(t, s, "GET", "/api/saved_objects/dashboard/"+s.DashboardID(), "")
			if resp.StatusCode != 200 || decode(t, b)["id"] != s.DashboardID() ||
				attrOf(t, b, "timeRestore") != true {
				t.Fatalf("get dashboard: %d %.200s", resp.StatusCode, b)
			}
			resp, b = do(t, s, "GET", "/api/saved_objects/dashboard/nope", "")
			const want = "Saved object [dashboard/nope] not found"
			if resp.StatusCode != 404 || decode(t, b)["message"] != want {
				t.Errorf("missing: %d %s", resp.StatusCode, b)
			}
		})
	}
}

func TestSavedObjectBulkGet(t *testing.T) {
	t.Parallel()
	for _, l := range kbn.Lines() {
		t.Run(l.Name, func(t *testing.T) {
			t.Parallel()
			s := kibanatest.New(t, kibanatest.Options{Line: l})
			bulk := `[{"type":"visualization","id":"` + s.VisualizationID() + `"},` +
				`{"type":"dashboard","id":"gone"}]`
			resp, b := do(t, s, "POST", "/api/saved_objects/_bulk_get", bulk, xsrf(l)...)
			var got struct {
				SavedObjects []map[string]any `json:"saved_objects"`
			}
			if err := json.Unmarshal(b, &got); err != nil || resp.StatusCode != 200 ||
				len(got.SavedObjects) != 2 {
				t.Fatalf("bulk_get: %d %.300s", resp.StatusCode, b)
			}
			if got.SavedObjects[0]["attributes"] == nil || got.SavedObjects[1]["error"] == nil {
				t.Errorf("bulk_get items: %.300s", b)
			}
		})
	}
}

func TestSavedObjectFind(t *testing.T) {
	t.Parallel()
	for _, l := range kbn.Lines() {
		t.Run(l.Name, func(t *testing.T) {
			t.Parallel()
			s := kibanatest.New(t, kibanatest.Options{Line: l, Spaces: []string{"team"}})
			title, search := "kibana_sample_data_ecommerce", "kibana_sample_data_ecommerce"
			if l.Legacy() {
				title, search = "logstash-*", "%22logstash-%2A%22" // a quoted phrase
			}
			team := "/s/team"
			if l.OSD {
				team = "" // no spaces in OSD
			}
			resp, b := do(t, s, "GET", team+"/api/saved_objects/_find?type=index-pattern"+
				"&fields=title&search_fields=title&per_page=10&search="+search, "")
			var found struct {
				Total        int
				SavedObjects []map[string]any `json:"saved_objects"`
			}
			if err := json.Unmarshal(b, &found); err != nil || found.Total != 1 {
				t.Fatalf("find: %d %.300s", resp.StatusCode, b)
			}
			a := found.SavedObjects[0]["attributes"].(map[string]any)
			if a["title"] != title || len(a) != 1 {
				t.Errorf("find with fields=title: attributes %v", a)
			}
		})
	}
}

func TestObjectEditsArePerSpace(t *testing.T) {
	t.Parallel()
	for _, l := range kbn.Lines() {
		if l.OSD {
			continue // no spaces
		}
		t.Run(l.Name, func(t *testing.T) {
			t.Parallel()
			s := kibanatest.New(t, kibanatest.Options{Line: l, Spaces: []string{"team"}})
			dash := "/api/saved_objects/dashboard/" + s.DashboardID()
			vis := "/api/saved_objects/visualization/" + s.VisualizationID()
			s.SetObjectAttr("team", "dashboard", s.DashboardID(), "timeFrom", "now-30d")
			s.DeleteObject("", "visualization", s.VisualizationID())

			if _, b := do(t, s, "GET", "/s/team"+dash, ""); attrOf(t, b, "timeFrom") != "now-30d" {
				t.Errorf("team timeFrom = %v", attrOf(t, b, "timeFrom"))
			}
			if _, b := do(t, s, "GET", dash, ""); attrOf(t, b, "timeFrom") == "now-30d" {
				t.Error("edit leaked into the default space")
			}
			if resp, _ := do(t, s, "GET", vis, ""); resp.StatusCode != 404 {
				t.Errorf("deleted visualization: %d", resp.StatusCode)
			}
			if resp, _ := do(t, s, "GET", "/s/team"+vis, ""); resp.StatusCode != 200 {
				t.Errorf("team visualization: %d", resp.StatusCode)
			}
		})
	}
}

func TestNewerObjectReads(t *testing.T) {
	t.Parallel()
	for _, l := range kbn.Lines() {
		t.Run(l.Name, func(t *testing.T) {
			t.Parallel()
			s := kibanatest.New(t, kibanatest.Options{Line: l})
			id := s.DashboardID()
			ref := `[{"type":"dashboard","id":"` + id + `"}]`
			rpc := `{"contentTypeId":"dashboard","id":"` + id + `","version":1}`
			reads := []struct {
				method, path, body string
				exists             bool
			}{
				{"GET", "/api/saved_objects/resolve/dashboard/" + id, "", l.AtLeast(7, 15)},
				{"POST", "/api/saved_objects/_bulk_resolve", ref, l.AtLeast(7, 15)},
				{"POST", "/api/content_management/rpc/get", rpc, l.AtLeast(8, 9)},
				{"GET", "/api/dashboards/dashboard/" + id, "", l.AtLeast(9, 0)},
			}
			for _, rd := range reads {
				resp, b := do(t, s, rd.method, rd.path, rd.body, xsrf(l)...)
				want := map[bool]int{true: 200, false: 404}[rd.exists]
				if resp.StatusCode != want || (want == 200 && !bytes.Contains(b, []byte(id))) {
					t.Errorf("%s %s: %d, want %d (%.200s)", rd.method, rd.path,
						resp.StatusCode, want, b)
				}
			}
		})
	}
}

func TestSettings(t *testing.T) {
	t.Parallel()
	for _, l := range []kbn.Line{kbn.L68, kbn.L710, kbn.L91, kbn.OSD2} {
		t.Run(l.Name, func(t *testing.T) {
			t.Parallel()
			s := kibanatest.New(t, kibanatest.Options{Line: l,
				Settings: map[string]any{"dateFormat:tz": "Europe/Berlin"}})
			path := "/api/kibana/settings"
			if l.OSD {
				path = "/api/opensearch-dashboards/settings"
			}
			_, b := do(t, s, "GET", path, "")
			var got struct {
				Settings map[string]struct{ UserValue any }
			}
			if err := json.Unmarshal(b, &got); err != nil ||
				got.Settings["buildNum"].UserValue != float64(s.BuildNumber()) ||
				got.Settings["dateFormat:tz"].UserValue != "Europe/Berlin" {
				t.Errorf("settings %s", b)
			}
			resp, _ := do(t, s, "POST", path, `{"changes":{"defaultIndex":"abc"}}`, xsrf(l)...)
			if resp.StatusCode != 200 {
				t.Errorf("post: %d", resp.StatusCode)
			}
			reqs := s.Requests()
			last := reqs[len(reqs)-1]
			if last.Method != "POST" || !strings.Contains(string(last.Body), "defaultIndex") {
				t.Errorf("last request %+v", last)
			}
		})
	}
}

func TestPluginReads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line         kbn.Line
		method, path string
	}{
		{kbn.L68, "GET", "/api/security/v1/me"},
		{kbn.L710, "POST", "/api/core/capabilities"},
		{kbn.L710, "GET", "/internal/security_oss/display_insecure_cluster_alert"},
		{kbn.L710, "POST", "/api/ui_metric/report"},
		{kbn.L717, "POST", "/api/ui_counters/_report"},
		{kbn.L813, "GET", "/internal/security/me"},
		{kbn.L813, "GET", "/internal/spaces/_active_space"},
		{kbn.L91, "GET", "/api/licensing/info"},
		{kbn.L710, "GET", "/api/input_control_vis/settings"},
		{kbn.L710, "GET", "/api/index_patterns/_fields_for_wildcard" +
			"?pattern=kibana_sample_data_ecommerce"},
		{kbn.L815, "GET", "/internal/data_views/_fields_for_wildcard?pattern=kibana_sample_data_*"},
		{kbn.L710, "POST", "/api/saved_objects/_export"},
	}
	for _, tt := range tests {
		t.Run(tt.line.Name+tt.path, func(t *testing.T) {
			t.Parallel()
			s := kibanatest.New(t, kibanatest.Options{Line: tt.line})
			body := `{"applications":["dashboards"]}`
			if strings.HasSuffix(tt.path, "_export") {
				body = `{"objects":[{"type":"dashboard","id":"` + s.DashboardID() +
					`"}],"includeReferencesDeep":true}`
			}
			hdr := append(xsrf(tt.line), "x-elastic-internal-origin", "Kibana")
			resp, b := do(t, s, tt.method, tt.path, body, hdr...)
			if resp.StatusCode != 200 || len(b) < 2 {
				t.Errorf("%d %.200s", resp.StatusCode, b)
			}
			export := strings.HasSuffix(tt.path, "_export")
			if export && !bytes.Contains(b, []byte(`"exportedCount":14`)) {
				t.Errorf("export of the eCommerce dashboard: %.300s", b[max(0, len(b)-200):])
			}
		})
	}
}
