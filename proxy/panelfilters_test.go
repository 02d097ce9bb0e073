package proxy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kshare/kshare/proxy/closure"
	"github.com/kshare/kshare/proxy/kbn"
)

func visPanel(id, visType, filter string) closure.Panel {
	ss := `{"indexRefName":"kibanaSavedObjectMeta.searchSourceJSON.index","query":{"language":"kuery","query":""},"filter":[` + filter + `]}`
	return closure.Panel{Ref: closure.Ref{Type: "visualization", ID: id}, VisType: visType,
		SearchSource: json.RawMessage(ss),
		References: []kbn.Reference{{Name: "kibanaSavedObjectMeta.searchSourceJSON.index",
			Type: "index-pattern", ID: "dv1"}}}
}

func TestPanelRestrictions(t *testing.T) {
	t.Parallel()
	f := func(v string) string { return `{"meta":{},"query":{"match_phrase":{"team":"` + v + `"}}}` }
	base := func(panels ...closure.Panel) *closure.Closure {
		cl := &closure.Closure{DataViews: map[string]closure.DataView{"dv1": {ID: "dv1", Title: "logs-*"}},
			Panels: map[string]closure.Panel{}}
		for _, p := range panels {
			cl.Panels[p.Ref.ID] = p
		}
		return cl
	}
	read := func(typ, id string, known bool, reads ...closure.Read) closure.Panel {
		return closure.Panel{Ref: closure.Ref{Type: typ, ID: id}, Reads: reads, ReadsKnown: known}
	}
	kql := func(q string) []json.RawMessage {
		return []json.RawMessage{json.RawMessage(`{"language":"kuery","query":"` + q + `"}`)}
	}
	controls := visPanel("k", "input_control_vis", "")
	controls.SearchSource = nil
	controls.Params = json.RawMessage(`{"controls":[{"fieldName":"team.keyword",` +
		`"indexPatternRefName":"control_0_index_pattern"}]}`)
	controls.References = []kbn.Reference{{Name: "control_0_index_pattern", Type: "index-pattern", ID: "dv1"}}
	unplaced := visPanel("u", "pie", "")
	unplaced.References = nil
	saved6 := visPanel("v6", "pie", "")
	saved6.References, saved6.SavedSearch = nil, "s6"
	search6 := closure.Panel{Ref: closure.Ref{Type: "search", ID: "s6"},
		SearchSource: json.RawMessage(`{"index":"dv1","query":{"query":"team:green","language":"lucene"},"filter":[]}`)}

	cases := []struct {
		name   string
		panels []closure.Panel
		want   []string // substrings of the restriction; nil: the index stays open
	}{
		{"two filtered panels", []closure.Panel{visPanel("a", "pie", f("red")), visPanel("b", "line", f("blue"))},
			[]string{`"should"`, "red", "blue"}},
		{"an unfiltered panel opens the index",
			[]closure.Panel{visPanel("a", "pie", f("red")), visPanel("c", "pie", "")}, nil},
		{"input controls keep the restriction", []closure.Panel{visPanel("a", "pie", f("red")), controls},
			[]string{"red"}},
		{"a panel kshare cannot place opens it", []closure.Panel{visPanel("a", "pie", f("red")), unplaced}, nil},
		{"lens state filter and query", []closure.Panel{visPanel("a", "pie", f("red")),
			read("lens", "l1", true, closure.Read{DataView: "dv1", Filters: []json.RawMessage{json.RawMessage(f("lens"))},
				Queries: kql("owner:bob")})},
			[]string{"red", `"lens"`, `{"match":{"owner":"bob"}}`}},
		{"lens without filters opens it", []closure.Panel{visPanel("a", "pie", f("red")),
			read("lens", "l1", true, closure.Read{DataView: "dv1"})}, nil},
		{"lens state kshare cannot read opens it", []closure.Panel{visPanel("a", "pie", f("red")),
			read("lens", "l1", false)}, nil},
		{"map layer query", []closure.Panel{visPanel("a", "pie", f("red")),
			read("map", "m1", true, closure.Read{DataView: "dv1", Queries: kql("layer:one")})},
			[]string{"red", `{"match":{"layer":"one"}}`}},
		{"untranslatable panel query adds nothing", []closure.Panel{visPanel("a", "pie", f("red")),
			read("lens", "l1", true, closure.Read{DataView: "dv1", Queries: kql("user:{ first: alice }")})},
			[]string{"red", "match_none"}},
		{"6.x savedSearchId", []closure.Panel{visPanel("a", "pie", f("red")), saved6, search6},
			[]string{"red", "team:green"}},
	}
	for _, c := range cases {
		got, ok := computeRestrictions(base(c.panels...)).clauses["logs-*"]
		switch {
		case c.want == nil && ok:
			t.Errorf("%s: restriction %s, want none", c.name, got)
		case c.want != nil && !ok:
			t.Errorf("%s: no restriction", c.name)
		}
		for _, w := range c.want {
			if !strings.Contains(string(got), w) {
				t.Errorf("%s: restriction %s lacks %s", c.name, got, w)
			}
		}
	}
	// An index that only input controls read: their listings, nothing else.
	onlyControls := base(controls)
	if got := string(computeRestrictions(onlyControls).clauses["logs-*"]); !strings.Contains(got, "match_none") {
		t.Errorf("an index read only by controls: restriction %q, want match_none", got)
	}
	r := computeRestrictions(base(visPanel("a", "pie", f("red")), controls))
	if !r.controls["logs-*"]["team.keyword"] || r.controls["logs-*"]["other"] {
		t.Errorf("control fields %v, want team.keyword on logs-*", r.controls)
	}
}
