package proxy

import (
	"net/url"
	"testing"

	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/tokens"
)

func TestShareRules(t *testing.T) {
	t.Parallel()
	dash := &tokens.Share{ID: "x", Kind: kbn.KindDashboard, ObjectID: "D1"}
	viz := &tokens.Share{ID: "y", Kind: kbn.KindVisualization, ObjectID: "V1"}
	tests := []struct {
		name   string
		line   kbn.Line
		share  *tokens.Share
		method string
		path   string
		query  string
		allow  bool
	}{
		{"own app page", kbn.L710, dash, "GET", "/app/dashboards", "", true},
		{"own app page HEAD", kbn.L710, dash, "HEAD", "/app/dashboards", "", true},
		{"other app page", kbn.L710, dash, "GET", "/app/discover", "", false},
		{"dev tools app", kbn.L710, dash, "GET", "/app/dev_tools", "", false},
		{"visualize app for a dashboard share", kbn.L710, dash, "GET", "/app/visualize", "", false},
		{"visualize app for a vis share", kbn.L710, viz, "GET", "/app/visualize", "", true},
		{"6.8 kibana app", kbn.L68, dash, "GET", "/app/kibana", "", true},
		{"6.8 dashboards app does not exist", kbn.L68, dash, "GET", "/app/dashboards", "", false},
		{"trailing slash refused", kbn.L710, dash, "GET", "/app/dashboards/", "", false},
		{"POST to page refused", kbn.L710, dash, "POST", "/app/dashboards", "", false},
		{"console proxy", kbn.L710, dash, "POST", "/api/console/proxy", "path=_search&method=GET", false},
		{"export", kbn.L710, dash, "POST", "/api/saved_objects/_export", "", false},
		{"saved object write", kbn.L710, dash, "POST", "/api/saved_objects/dashboard/D1", "", false},
		{"saved object delete", kbn.L710, dash, "DELETE", "/api/saved_objects/dashboard/D1", "", false},
		{"saved object get", kbn.L710, dash, "GET", "/api/saved_objects/dashboard/D1", "", true},
		{"saved object of odd type", kbn.L710, dash, "GET", "/api/saved_objects/action/a1", "", false},
		{"find index patterns", kbn.L710, dash, "GET", "/api/saved_objects/_find", "type=index-pattern&fields=title", true},
		{"find dashboards", kbn.L710, dash, "GET", "/api/saved_objects/_find", "type=dashboard", false},
		{"find with repeated type", kbn.L710, dash, "GET", "/api/saved_objects/_find", "type=index-pattern&type=dashboard", false},
		{"find without type", kbn.L710, dash, "GET", "/api/saved_objects/_find", "", false},
		{"search es", kbn.L710, dash, "POST", "/internal/search/es", "", true},
		{"search sql refused", kbn.L710, dash, "POST", "/internal/search/sql", "", false},
		{"search esql refused", kbn.L815, dash, "POST", "/internal/search/esql", "", false},
		{"bsearch on 7.10 refused", kbn.L710, dash, "POST", "/internal/bsearch", "", false},
		{"bsearch on 7.17", kbn.L717, dash, "POST", "/internal/bsearch", "", true},
		{"bsearch on 9.1 refused", kbn.L91, dash, "POST", "/internal/bsearch", "", false},
		{"msearch on 6.8", kbn.L68, dash, "POST", "/elasticsearch/_msearch", "", true},
		{"raw ES on 6.8 refused", kbn.L68, dash, "POST", "/elasticsearch/_search", "", false},
		{"sessions refused", kbn.L717, dash, "POST", "/internal/session", "", false},
		{"short url refused", kbn.L815, dash, "POST", "/api/short_url", "", false},
		{"security refused", kbn.L815, dash, "GET", "/api/security/role", "", false},
		{"settings write answered locally", kbn.L710, dash, "POST", "/api/kibana/settings", "", true},
		{"settings key write refused", kbn.L710, dash, "POST", "/api/kibana/settings/defaultIndex", "", false},
		{"9.x dashboards api own object", kbn.L91, dash, "GET", "/api/dashboards/dashboard/D1", "", true},
		{"9.x dashboards api other object", kbn.L91, dash, "GET", "/api/dashboards/dashboard/D2", "", false},
		{"status refused", kbn.L710, dash, "GET", "/api/status", "", false},
		{"mixed case refused", kbn.L710, dash, "POST", "/API/core/capabilities", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.line.Name+"/"+tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := canonicalize(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			q, _ := url.ParseQuery(tt.query)
			_, ok := match(shareRules, tt.line, tt.share, tt.method, c, q)
			if ok != tt.allow {
				t.Errorf("%s %s?%s allowed = %v, want %v", tt.method, tt.path, tt.query, ok, tt.allow)
			}
		})
	}
}

func TestRootRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line   kbn.Line
		method string
		path   string
		allow  bool
	}{
		{kbn.L710, "GET", "/36136/bundles/core/core.entry.js", true},
		{kbn.L815, "GET", "/7f9c3a1d2e4b/bundles/plugin/x/x.plugin.js", true},
		{kbn.L813, "GET", "/72346/ui/favicons/favicon.svg", true},
		{kbn.L710, "GET", "/ui/fonts/inter_ui/Inter-UI-Regular.woff2", true},
		{kbn.L710, "GET", "/node_modules/@kbn/ui-framework/dist/kui_light.css", true},
		{kbn.L710, "GET", "/translations/en.json", true},
		{kbn.L68, "GET", "/bundles/kibana.bundle.js", true},
		{kbn.L710, "GET", "/bundles/kibana.bundle.js", false},
		{kbn.L710, "POST", "/36136/bundles/core/core.entry.js", false},
		{kbn.L710, "GET", "/app/dashboards", false},
		{kbn.L710, "GET", "/api/status", false},
		{kbn.L710, "GET", "/bootstrap.js", false},
		{kbn.L710, "GET", "/abcdefg/bundles/x.js", false},
		{kbn.L710, "GET", "/s/team/app/dashboards", false},
		{kbn.L710, "GET", "/36136/bundles", false},
	}
	for _, tt := range tests {
		c, err := canonicalize(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := match(rootRules, tt.line, nil, tt.method, c, nil); ok != tt.allow {
			t.Errorf("%s: %s %s allowed = %v, want %v", tt.line.Name, tt.method, tt.path, ok, tt.allow)
		}
	}
}
