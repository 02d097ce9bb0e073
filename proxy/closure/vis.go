package closure

import (
	"encoding/json"
	"strings"

	"github.com/kshare/kshare/proxy/kbn"
)

// Visualization types whose requests name their own indices.
const (
	visTSVB     = "metrics"
	visTimelion = "timelion"
	visVega     = "vega"
	visControls = "input_control_vis"
)

// visualization records a visualization and queues its saved search and
// data views; TSVB, Timelion and Vega panels add their index strings.
func (w *walker) visualization(so kbn.SavedObject, key string) {
	ss := searchSourceJSON(so)
	w.dataViewRefs(so)
	w.searchSource(ss)
	ssID := w.savedSearch(so)
	var vs struct {
		Type   string          `json:"type"`
		Params json.RawMessage `json:"params"`
	}
	_ = json.Unmarshal(attrJSON(so.Attributes["visState"]), &vs)
	p := Panel{Ref: Ref{Type: so.Type, ID: so.ID}, VisType: vs.Type, SearchSource: ss,
		References: so.References, SavedSearch: ssID}
	switch vs.Type {
	case visTSVB:
		w.tsvb(vs.Params)
		p.Params = vs.Params
	case visTimelion:
		w.timelion(vs.Params)
		p.Params = vs.Params
	case visVega:
		w.vega(vs.Params)
		p.Params = vs.Params
	case visControls:
		w.inputControls(vs.Params)
		p.Params = vs.Params
	}
	w.c.Panels[key] = p
}

// savedSearch queues the saved search a visualization is built on:
// savedSearchRefName names its reference (7.x+, "search_0"), 6.x stores
// savedSearchId inline. It returns the saved search's id.
func (w *walker) savedSearch(so kbn.SavedObject) string {
	id := so.Str("savedSearchId")
	w.add(typeSearch, id)
	name := so.Str("savedSearchRefName")
	for _, ref := range so.References {
		if ref.Type == typeSearch && (ref.Name == name && name != "" || ref.Name == "search_0") {
			w.add(typeSearch, ref.ID)
			id = ref.ID
		}
	}
	return id
}

// tsvb reads the indices of a TSVB model (kibana-api.md §2.6): the
// panel's index_pattern, each series' series_index_pattern when
// override_index_pattern is on, and each annotation's index_pattern. A
// string is an index string; {id} (use_kibana_indexes, 7.13+) a data view.
// Extracted {id} values are references, which dataViewRefs follows.
//
// TODO(kshare): an empty index_pattern means the default data view (or
// every index, in string mode); nothing is recorded, so such panels get
// no index allowance until the space's defaultIndex is read here.
func (w *walker) tsvb(params json.RawMessage) {
	var p struct {
		IndexPattern json.RawMessage `json:"index_pattern"`
		Series       []struct {
			Override json.RawMessage `json:"override_index_pattern"`
			Index    json.RawMessage `json:"series_index_pattern"`
		} `json:"series"`
		Annotations []struct {
			Index json.RawMessage `json:"index_pattern"`
		} `json:"annotations"`
	}
	if json.Unmarshal(params, &p) != nil {
		return
	}
	w.tsvbIndex(p.IndexPattern)
	for _, s := range p.Series {
		if truthy(s.Override) {
			w.tsvbIndex(s.Index)
		}
	}
	for _, a := range p.Annotations {
		w.tsvbIndex(a.Index)
	}
}

func (w *walker) tsvbIndex(raw json.RawMessage) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		w.addIndexString(s)
		return
	}
	var dv struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &dv) == nil {
		w.add(typeDataView, dv.ID)
	}
}

// truthy follows JavaScript: TSVB stores flags as 0/1 or booleans.
func truthy(raw json.RawMessage) bool {
	switch strings.TrimSpace(string(raw)) {
	case "", "null", "false", "0", `""`:
		return false
	}
	return true
}

// timelion records the indices named by .es()/.elasticsearch() calls of
// the expression. A call without an index searches the es.default_index
// setting (_all by default); nothing is recorded for it, so it is refused.
func (w *walker) timelion(params json.RawMessage) {
	var p struct {
		Expression string `json:"expression"`
	}
	if json.Unmarshal(params, &p) != nil {
		return
	}
	for _, idx := range timelionIndices(p.Expression) {
		w.addIndexString(idx)
	}
}

// vega records the index values of the spec's data urls.
func (w *walker) vega(params json.RawMessage) {
	var p struct {
		Spec string `json:"spec"`
	}
	if json.Unmarshal(params, &p) != nil {
		return
	}
	for _, idx := range vegaIndices(p.Spec) {
		w.addIndexString(idx)
	}
}

// inputControls queues the data views of 6.x input controls
// (params.controls[].indexPattern); 7.x+ moved them to references
// control_N_index_pattern, which dataViewRefs follows.
func (w *walker) inputControls(params json.RawMessage) {
	var p struct {
		Controls []struct {
			IndexPattern string `json:"indexPattern"`
		} `json:"controls"`
	}
	if json.Unmarshal(params, &p) != nil {
		return
	}
	for _, ctl := range p.Controls {
		w.add(typeDataView, ctl.IndexPattern)
	}
}
