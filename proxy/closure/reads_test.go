package closure

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/kshare/kshare/proxy/kbn"
)

func TestLensReads(t *testing.T) {
	t.Parallel()
	refs := []kbn.Reference{
		{Name: "indexpattern-datasource-current-indexpattern", Type: typeDataView, ID: "cur"},
		{Name: "indexpattern-datasource-layer-L1", Type: typeDataView, ID: "dvA"},
		{Name: "filter-index-pattern-0", Type: typeDataView, ID: "dvA"},
	}
	cases := []struct {
		name  string
		state string
		refs  []kbn.Reference
		ok    bool
		want  string // "dv:queries:filters" per read, sorted by layer order
	}{
		{"7.10 layer by reference", `{"datasourceStates":{"indexpattern":{"layers":{"L1":{"columns":{}}}}},` +
			`"query":{"query":"a:1","language":"kuery"},"filters":[{"meta":{},"query":{"match_phrase":{"b":"2"}}}]}`,
			refs, true, "dvA:1:1"},
		{"8.x form-based, ad-hoc view by internal reference", `{"datasourceStates":{"formBased":{"layers":` +
			`{"L2":{}}},"textBased":{"layers":{"T":{}}}},"internalReferences":[{"name":` +
			`"indexpattern-datasource-layer-L2","type":"index-pattern","id":"adhoc"}],"query":{"query":"","language":"kuery"}}`,
			nil, true, "adhoc:1:0"},
		{"inline indexPatternId", `{"datasourceStates":{"indexpattern":{"layers":{"L3":{"indexPatternId":"dvI"}}}}}`,
			nil, true, "dvI:0:0"},
		{"a layer without a data view", `{"datasourceStates":{"indexpattern":{"layers":{"L9":{}}}}}`,
			refs, false, ""},
		{"unreadable state", `[`, refs, false, ""},
	}
	for _, c := range cases {
		reads, ok := lensReads(json.RawMessage(c.state), c.refs)
		if ok != c.ok || readsText(reads) != c.want {
			t.Errorf("%s: reads %q ok %v, want %q ok %v", c.name, readsText(reads), ok, c.want, c.ok)
		}
	}
}

func TestMapReads(t *testing.T) {
	t.Parallel()
	refs := []kbn.Reference{
		{Name: "layer_1_source_index_pattern", Type: typeDataView, ID: "dvA"},
		{Name: "layer_1_join_0_index_pattern", Type: typeDataView, ID: "dvB"},
	}
	layers := `[{"type":"EMS_VECTOR_TILE","sourceDescriptor":{"type":"EMS_TMS"}},` +
		`{"type":"VECTOR","query":{"query":"x:1","language":"kuery"},"sourceDescriptor":{"type":"ES_SEARCH",` +
		`"indexPatternRefName":"layer_1_source_index_pattern"},"joins":[{"right":{"type":"ES_TERM_SOURCE",` +
		`"indexPatternRefName":"layer_1_join_0_index_pattern","whereQuery":{"query":"y:2","language":"kuery"}}}]},` +
		`{"type":"VECTOR","sourceDescriptor":{"type":"ES_GEO_GRID","indexPatternId":"dv6"}}]`
	reads, ok := mapReads([]byte(layers), refs)
	if got := readsText(reads); !ok || got != "dvA:1:0 dvB:1:0 dv6:0:0" {
		t.Errorf("map reads %q ok %v", got, ok)
	}
	if _, ok := mapReads([]byte(`[{"sourceDescriptor":{"indexPatternRefName":"gone"}}]`), refs); ok {
		t.Error("a layer whose data view reference is missing should make the reads unknown")
	}
	if _, ok := mapReads([]byte(`{`), refs); ok {
		t.Error("an unreadable layer list should make the reads unknown")
	}
}

// readsText summarises reads as "dv:<queries>:<filters>" each.
func readsText(reads []Read) string {
	var parts []string
	for _, r := range reads {
		parts = append(parts, r.DataView+":"+strconv.Itoa(len(r.Queries))+":"+strconv.Itoa(len(r.Filters)))
	}
	return strings.Join(parts, " ")
}
