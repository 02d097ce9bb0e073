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
	both := computeRestrictions(base(visPanel("a", "pie", f("red")), visPanel("b", "line", f("blue"))))
	got := string(both["logs-*"])
	if !strings.Contains(got, `"should"`) || !strings.Contains(got, "red") || !strings.Contains(got, "blue") {
		t.Errorf("two filtered panels: restriction %s, want red OR blue", got)
	}
	open := computeRestrictions(base(visPanel("a", "pie", f("red")), visPanel("c", "pie", "")))
	if _, ok := open["logs-*"]; ok {
		t.Error("an unfiltered panel on the index should leave it open")
	}
	controls := visPanel("k", "input_control_vis", "")
	controls.SearchSource = nil
	withControls := computeRestrictions(base(visPanel("a", "pie", f("red")), controls))
	if _, ok := withControls["logs-*"]; ok {
		t.Error("input controls read the index unfiltered: it should stay open")
	}
	unknown := visPanel("u", "pie", "")
	unknown.References = nil
	if r := computeRestrictions(base(visPanel("a", "pie", f("red")), unknown)); len(r) != 0 {
		t.Errorf("a panel kshare cannot place should disable the restriction, got %v", r)
	}
}
