package kibanatest

import (
	"fmt"

	"github.com/kshare/kshare/proxy/kbn"
)

// spec is what this package fixes per line; the rest of a profile (build
// number, build SHA, asset prefix) is read from the line's fixture page, so
// asset URLs in the page and the routes that serve them cannot disagree.
type spec struct {
	version  string   // what /api/status and the page metadata report
	page     string   // file under testdata/pages
	headers  string   // key in testdata/pages/headers.json
	exports  []string // files under testdata/dashboards, loaded into every space
	main     string   // id of the main dashboard
	homeApp  string   // where GET / redirects (the defaultRoute setting)
	cookie   string   // name of the session cookie the page sets
	distName string   // "name" in /api/status
}

const (
	export6x        = "kibana-6.x_dashboard-with-everything.export.json"
	exportEcommerce = "kibana-7.10_ecommerce-revenue-dashboard.export.ndjson"
	exportFlights   = "kibana-7.10_flights-global-flight-dashboard.export.ndjson"
	exportMetricbt  = "kibana-8.0_metricbeat-system-overview.export.ndjson"

	dashboard6x        = "d2525040-3dcd-11e8-8660-4d65aa086b3c"
	dashboardEcommerce = "722b74f0-b882-11e8-a6d9-e546fe2bba5f"
)

// specs holds one entry per kbn line. The 8.0 metricbeat export only goes to
// lines that can import 8.0 objects (Kibana refuses objects from a newer
// version); OpenSearch Dashboards, a 7.10.2 fork, gets the 7.10 exports.
var specs = map[string]spec{
	kbn.L68.Name: {
		version: "6.8.23", page: "kibana-6.8.html", headers: "6.8",
		exports: []string{export6x}, main: dashboard6x,
		homeApp: "/app/kibana", cookie: "sid", distName: "kibana",
	},
	kbn.L710.Name: kibanaSpec("7.10.2", "kibana-7.10.html", "7.10", false),
	kbn.L717.Name: kibanaSpec("7.17.25", "kibana-7.17.html", "7.17", false),
	kbn.L813.Name: kibanaSpec("8.13.4", "kibana-8.13.html", "8.13", true),
	kbn.L815.Name: kibanaSpec("8.15.3", "kibana-8.15.html", "8.15", true),
	kbn.L91.Name:  kibanaSpec("9.1.0", "kibana-9.1.html", "9.1", true),
	kbn.OSD2.Name: {
		version: "2.11.0", page: "opensearch-dashboards-2.x.html",
		headers: "opensearch-dashboards-2.x",
		exports: []string{exportEcommerce, exportFlights}, main: dashboardEcommerce,
		// The OSD security plugin's cookie (security-dashboards-plugin).
		homeApp: "/app/home", cookie: "security_authentication",
		distName: "opensearch-dashboards",
	},
}

func kibanaSpec(version, page, headers string, v8 bool) spec {
	exports := []string{exportEcommerce, exportFlights}
	if v8 {
		exports = append(exports, exportMetricbt)
	}
	return spec{
		version: version, page: page, headers: headers, exports: exports,
		main: dashboardEcommerce, homeApp: "/app/home", cookie: "sid",
		distName: "kibana",
	}
}

// profile is everything the server needs to know about its line.
type profile struct {
	spec
	line        kbn.Line
	buildNum    int
	buildSHA    string
	assetPrefix string // "/36136", "/7f9c3a1d2e4b"; "" on 6.8 (plain /bundles)
	pageVersion string // version written in the fixture page, replaced by spec.version
	pageBranch  string
}

// newProfile loads the line's page metadata to complete the spec.
func newProfile(l kbn.Line) (*profile, error) {
	sp, ok := specs[l.Name]
	if !ok {
		return nil, fmt.Errorf("kibanatest: no fixtures for line %q", l.Name)
	}
	p := &profile{spec: sp, line: l}
	if err := p.readPage(); err != nil {
		return nil, err
	}
	return p, nil
}

// Behaviour switches. Each cites where the line difference comes from.

// hasBsearch: /internal/bsearch exists from 7.11 and was removed in 9.0
// (kibana-api.md §1.6).
func (p *profile) hasBsearch() bool {
	return p.line.AtLeast(7, 11) && !p.line.AtLeast(9, 0)
}

// hasResolve: _bulk_resolve and resolve/{type}/{id} arrived in 7.15
// (kibana-api.md §1.4).
func (p *profile) hasResolve() bool { return p.line.AtLeast(7, 15) }

// hasContentMgmt: dashboards read through /api/content_management/rpc from
// 8.9 (kibana-api.md §1.4).
func (p *profile) hasContentMgmt() bool { return p.line.AtLeast(8, 9) }

// hasDashboardsAPI: the versioned /api/dashboards/dashboard/{id} read of 9.x
// (kibana-api.md §1.4).
func (p *profile) hasDashboardsAPI() bool { return p.line.AtLeast(9, 0) }

// restrictsInternal: /internal/* needs x-elastic-internal-origin by default
// from 9.0 (kibana-api.md §1.9).
func (p *profile) restrictsInternal() bool { return p.line.AtLeast(9, 0) }

// newPlatform: 7.10+ Kibana and OSD, i.e. not the 6.x legacy platform.
func (p *profile) newPlatform() bool { return !p.line.Legacy() }

// hasSpaces: Kibana has had spaces since 6.5; OSD has none (its tenants are
// a query parameter, kibana-ui.md §1.6).
func (p *profile) hasSpaces() bool { return !p.line.OSD }

// v8Status: /api/status reports "level" instead of "state" from 8.0.
func (p *profile) v8Status() bool { return p.line.AtLeast(8, 0) }

// prefixedUI: static /ui/ files moved under the asset prefix in 8.12
// (kibana-ui.md §2.4).
func (p *profile) prefixedUI() bool { return p.line.AtLeast(8, 12) }

// headerPrefix is "kbn" or, on OpenSearch Dashboards, "osd" (kibana-api.md
// §1.9: osd-xsrf / osd-version).
func (p *profile) headerPrefix() string {
	if p.line.OSD {
		return "osd"
	}
	return "kbn"
}
