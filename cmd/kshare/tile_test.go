package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/kshare/kshare/proxy/kbn"
)

// windowedShare starts a stand-in of line and shares its dashboard over
// 1–2 Dec 2026 with the filter customer_gender=FEMALE; it returns the
// share's path.
func windowedShare(t *testing.T, line kbn.Line) (*env, string) {
	t.Helper()
	e := newEnv(t, line, envOptions{})
	res := e.create(createParams{Dashboard: e.kib.DashboardID(),
		From: "2026-12-01T00:00:00Z", To: "2026-12-02T00:00:00Z", fromSet: true, toSet: true,
		Filters: []string{"customer_gender=FEMALE"}})
	return e, sharePath(res.URL)
}

// TestMapTilesClamped: an Elastic Maps vector tile request carries its
// search body rison-encoded in requestBody; kshare forwards it re-encoded
// with the share's window and filters, on each line's route, and refuses
// one it cannot hold to the share without forwarding it.
func TestMapTilesClamped(t *testing.T) {
	t.Parallel()
	body := `(query:(bool:(filter:!((range:(order_date:(gte:'2020-01-01T00:00:00.000Z',lte:'2030-01-01T00:00:00.000Z')))))),size:10000)`
	for _, c := range []struct {
		line kbn.Line
		path string
		xyz  string
	}{
		{kbn.L710, "/api/maps/mvt/getTile", "&x=1&y=2&z=3"},
		{kbn.L717, "/api/maps/mvt/getGridTile/3/1/2.pbf", "&requestType=point&geoFieldType=geo_point"},
		{kbn.L815, "/internal/maps/mvt/getTile/3/1/2.pbf", "&hasLabels=false&buffer=5&token=abc"},
		{kbn.L91, "/internal/maps/mvt/getGridTile/3/1/2.pbf", "&hasLabels=false&gridPrecision=8&renderAs=point"},
	} {
		t.Run(c.line.Name, func(t *testing.T) {
			t.Parallel()
			e, base := windowedShare(t, c.line)
			tile := func(index, rb, extra string) (int, []string) {
				n := len(e.kib.Requests())
				q := "geometryFieldName=geoip.location&index=" + url.QueryEscape(index) +
					"&requestBody=" + url.QueryEscape(rb) + extra
				resp, _ := e.do("GET", base+c.path+"?"+q, "", nil)
				var fwd []string
				for _, r := range e.requestsSince(n) {
					v, _ := url.ParseQuery(r.RawQuery)
					fwd = append(fwd, v.Get("requestBody"))
				}
				return resp.StatusCode, fwd
			}
			code, fwd := tile("kibana_sample_data_ecommerce", body, c.xyz)
			if code != 200 || len(fwd) != 1 {
				t.Fatalf("tile: %d, forwarded %d", code, len(fwd))
			}
			for _, want := range []string{
				`(range:(order_date:(gte:'2026-12-01T00:00:00.000Z',lte:'2026-12-02T00:00:00.000Z'`,
				`(match_phrase:(customer_gender:FEMALE))`,
			} {
				if !strings.Contains(fwd[0], want) {
					t.Errorf("forwarded requestBody lacks %s:\n%s", want, fwd[0])
				}
			}
			for name, bad := range map[string][2]string{
				"another index":   {"kibana_sample_data_logs", body},
				"every index":     {"*", body},
				"global agg":      {"kibana_sample_data_ecommerce", `(aggs:(g:(global:())),size:0)`},
				"bad rison":       {"kibana_sample_data_ecommerce", `(query:`},
				"duplicate key":   {"kibana_sample_data_ecommerce", `(size:1,size:2)`},
				"runtime mapping": {"kibana_sample_data_ecommerce", `(runtime_mappings:(order_date:(type:date)))`},
				// 8.x decodes requestBody once more: %27 would close the string there.
				"percent smuggle": {"kibana_sample_data_ecommerce",
					`(query:(match_all:()),fields:!('a%27),query:(match_all:()),fields:%21(%27'))`},
			} {
				if code, fwd := tile(bad[0], bad[1], c.xyz); code < 400 || len(fwd) != 0 {
					t.Errorf("%s: %d, forwarded %d", name, code, len(fwd))
				}
			}
			if code, fwd := tile("kibana_sample_data_ecommerce", body, c.xyz+"&requestBody=()"); code < 400 || len(fwd) != 0 {
				t.Errorf("a repeated requestBody: %d, forwarded %d", code, len(fwd))
			}
			if code, fwd := tile("kibana_sample_data_ecommerce", body, c.xyz+"&size=1"); code < 400 || len(fwd) != 0 {
				t.Errorf("an unknown parameter: %d, forwarded %d", code, len(fwd))
			}
			if strings.HasSuffix(c.path, ".pbf") {
				n := len(e.kib.Requests())
				odd := strings.Replace(c.path, "/3/1/2.pbf", "/3/..%2f/2.pbf", 1)
				resp, _ := e.do("GET", base+odd+"?geometryFieldName=g&index=kibana_sample_data_ecommerce&requestBody=()", "", nil)
				if resp.StatusCode < 400 || len(e.requestsSince(n)) != 0 {
					t.Errorf("a tile path with a non-numeric x: %d, forwarded %d", resp.StatusCode, len(e.requestsSince(n)))
				}
			}
		})
	}
}

// TestOptionsListClamped: an 8.x options-list control request reaches
// Kibana with the share's window and filters added to its own filters;
// one for another index, or with a runtime field, is refused unforwarded.
func TestOptionsListClamped(t *testing.T) {
	t.Parallel()
	body := `{"size":10,"fieldName":"category.keyword","allowExpensiveQueries":true,` +
		`"filters":[{"range":{"order_date":{"gte":"2020-01-01T00:00:00.000Z"}}}]}`
	for _, c := range []struct {
		line kbn.Line
		path string
	}{
		{kbn.L813, "/api/kibana/controls/optionsList/"},
		{kbn.L91, "/internal/controls/optionsList/"},
	} {
		t.Run(c.line.Name, func(t *testing.T) {
			t.Parallel()
			e, base := windowedShare(t, c.line)
			hdr := map[string]string{"Content-Type": "application/json"}
			n := len(e.kib.Requests())
			resp, out := e.do("POST", base+c.path+"kibana_sample_data_ecommerce", body, hdr)
			fwd := e.requestsSince(n)
			if resp.StatusCode != 200 || len(fwd) != 1 {
				t.Fatalf("options list: %d %s, forwarded %d", resp.StatusCode, out, len(fwd))
			}
			got := compact(fwd[0].Body)
			for _, want := range []string{`"gte":"2026-12-01T00:00:00.000Z"`,
				`{"match_phrase":{"customer_gender":"FEMALE"}}`, `"gte":"2020-01-01T00:00:00.000Z"`} {
				if !strings.Contains(got, want) {
					t.Errorf("forwarded body lacks %s:\n%s", want, got)
				}
			}
			for name, bad := range map[string][2]string{
				"another index": {"kibana_sample_data_logs", body},
				"runtime field": {"kibana_sample_data_ecommerce", strings.Replace(body, `"size":10`,
					`"size":10,"runtimeFieldMap":{"order_date":{"type":"date"}}`, 1)},
				"not JSON": {"kibana_sample_data_ecommerce", `{"size":`},
			} {
				n := len(e.kib.Requests())
				if resp, _ := e.do("POST", base+c.path+bad[0], bad[1], hdr); resp.StatusCode < 400 || len(e.requestsSince(n)) != 0 {
					t.Errorf("%s: %d, forwarded %d", name, resp.StatusCode, len(e.requestsSince(n)))
				}
			}
		})
	}
}
