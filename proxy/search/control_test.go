package search_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kshare/kshare/proxy/search"
)

// TestControlBodies: an input control's value listing (size 0, one terms
// aggregation, or a min and a max, on a control's field) is searched
// without the index's panel restriction and with its own query dropped;
// anything else keeps the restriction and its query.
func TestControlBodies(t *testing.T) {
	t.Parallel()
	sc := scope(oct21From, oct21To)
	sc.IndexFilters = func(string) []json.RawMessage {
		return []json.RawMessage{json.RawMessage(`{"term":{"panel":"only"}}`)}
	}
	sc.ControlField = func(index, field string) bool {
		return index == ecommerce && (field == "category.keyword" || field == "taxful_total_price")
	}
	probe := `"query":{"bool":{"filter":[{"term":{"secret":"probe"}}]}}`
	terms := `"termsAgg":{"terms":{"field":"category.keyword","size":5,"order":{"_count":"desc"},"include":"Me.*","execution_hint":"map"}}`
	minmax := `"maxAgg":{"max":{"field":"taxful_total_price"}},"minAgg":{"min":{"field":"taxful_total_price"}}`
	cases := []struct {
		name    string
		body    string
		control bool
	}{
		{"list control", `{"size":0,"aggs":{` + terms + `},` + probe + `}`, true},
		{"range control", `{"size":0,"aggs":{` + minmax + `},"stored_fields":["*"],` + probe + `}`, true},
		{"hits asked for", `{"size":10,"aggs":{` + terms + `},` + probe + `}`, false},
		{"no size", `{"aggs":{` + terms + `},` + probe + `}`, false},
		{"another field", `{"size":0,"aggs":{"a":{"terms":{"field":"customer_full_name.keyword"}}},` + probe + `}`, false},
		{"a sub-aggregation", `{"size":0,"aggs":{"a":{"terms":{"field":"category.keyword"},` +
			`"aggs":{"s":{"sum":{"field":"taxful_total_price"}}}}},` + probe + `}`, false},
		{"a terms script", `{"size":0,"aggs":{"a":{"terms":{"field":"category.keyword","script":"1"}}},` + probe + `}`, false},
		{"two terms", `{"size":0,"aggs":{"a":{"terms":{"field":"category.keyword"}},` +
			`"b":{"terms":{"field":"category.keyword"}}},` + probe + `}`, false},
		{"min and max on two fields", `{"size":0,"aggs":{"a":{"min":{"field":"category.keyword"}},` +
			`"b":{"max":{"field":"taxful_total_price"}}},` + probe + `}`, false},
		{"a max alone", `{"size":0,"aggs":{"b":{"max":{"field":"taxful_total_price"}}},` + probe + `}`, false},
	}
	for _, c := range cases {
		req := `{"params":{"index":"` + ecommerce + `","body":` + c.body + `}}`
		out, err := search.InternalSearch([]byte(req), "es", sc)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		got := string(out)
		hasPanel := strings.Contains(got, `"panel":"only"`)
		hasProbe := strings.Contains(got, `"probe"`)
		if c.control && (hasPanel || hasProbe) || !c.control && (!hasPanel || !hasProbe) {
			t.Errorf("%s: control %v, but panel clause %v and own query %v in\n%s",
				c.name, c.control, hasPanel, hasProbe, got)
		}
		if !strings.Contains(got, `"order_date":{"gte":"2021-10-04T12:17:32.367Z"`) {
			t.Errorf("%s: window missing:\n%s", c.name, got)
		}
	}
	sc.ControlField = nil
	out, err := search.InternalSearch([]byte(`{"params":{"index":"`+ecommerce+`","body":{"size":0,"aggs":{`+
		terms+`}}}}`), "es", sc)
	if err != nil || !strings.Contains(string(out), `"panel":"only"`) {
		t.Errorf("without ControlField a control body keeps the restriction: %v\n%s", err, out)
	}
}
