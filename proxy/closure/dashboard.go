package closure

import (
	"encoding/json"
	"strings"

	"github.com/kshare/kshare/proxy/kbn"
)

// panelTypes are the saved-object types a dashboard panel can show.
var panelTypes = map[string]bool{
	typeVis: true, typeLens: true, typeSearch: true, typeMap: true, typeLinks: true,
}

// dashboard queues a dashboard's panels, data views and tags.
//
// Its references are followed by name and type: panels are named panel_N
// (7.x) or <panelIndex>:panel_<panelIndex> (8.x); data-view references
// are its filters (kibanaSavedObjectMeta.searchSourceJSON.filter[N].meta.index),
// its controls (controlGroup_<id>:<type>DataView) and its by-value panels
// (<panelIndex>:<name>). Everything else is a pointer elsewhere and stays
// outside: drilldown targets (drilldown:…:dashboardId) and by-value links
// (<panelIndex>:link_<id>_dashboard), both of type dashboard.
func (w *walker) dashboard(so kbn.SavedObject) {
	for _, ref := range so.References {
		switch {
		case panelTypes[ref.Type] && strings.HasPrefix(localName(ref.Name), "panel_"):
			w.add(ref.Type, ref.ID)
		case ref.Type == typeDataView || ref.Type == typeTag:
			w.add(ref.Type, ref.ID)
		}
	}
	w.searchSource(searchSourceJSON(so))
	w.panels(so)
	w.controlGroup(so)
}

// localName drops the "<panelIndex>:" prefix 8.x puts on the references
// of a dashboard's panels.
func localName(name string) string {
	return name[strings.LastIndexByte(name, ':')+1:]
}

// dashPanel is one entry of panelsJSON.
type dashPanel struct {
	PanelIndex       json.RawMessage `json:"panelIndex"` // a number in early 6.x
	PanelRefName     string          `json:"panelRefName"`
	ID               string          `json:"id"` // 6.x: no references yet
	Type             string          `json:"type"`
	EmbeddableConfig json.RawMessage `json:"embeddableConfig"`
}

// panels reads panelsJSON: 6.x panels name their object inline as
// {id, type}; 8.x by-value panels carry the object in embeddableConfig.
// Drilldowns (embeddableConfig.enhancements) are not followed.
func (w *walker) panels(dash kbn.SavedObject) {
	var list []json.RawMessage
	if json.Unmarshal(attrJSON(dash.Attributes["panelsJSON"]), &list) != nil {
		return
	}
	for _, raw := range list {
		var p dashPanel
		if json.Unmarshal(raw, &p) != nil {
			continue
		}
		switch {
		case p.ID != "" && panelTypes[p.Type]:
			w.add(p.Type, p.ID)
		case p.ID == "" && p.PanelRefName == "":
			w.byValue(dash, scalarText(p.PanelIndex), p.Type, p.EmbeddableConfig)
		}
	}
}

// scalarText returns a JSON string's value or a number's text.
func scalarText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// byValue visits an 8.x by-value panel as a synthetic object of the
// panel's type: Lens and maps keep their attributes in
// embeddableConfig.attributes (with their own references inside, or
// hoisted to the dashboard as <panelIndex>:<name>); legacy visualizations
// keep theirs in embeddableConfig.savedVis. The synthetic object is not a
// saved object and does not enter Objects.
func (w *walker) byValue(dash kbn.SavedObject, idx, typ string, cfg json.RawMessage) {
	var ec struct {
		Attributes map[string]json.RawMessage `json:"attributes"`
		SavedVis   json.RawMessage            `json:"savedVis"`
	}
	if idx == "" || json.Unmarshal(cfg, &ec) != nil {
		return
	}
	so := kbn.SavedObject{Type: typ, References: hoisted(dash, idx)}
	switch {
	case ec.SavedVis != nil:
		so.Type, so.Attributes = typeVis, savedVisAttributes(ec.SavedVis)
	case ec.Attributes != nil:
		so.Attributes = ec.Attributes
		var inline []kbn.Reference
		_ = json.Unmarshal(ec.Attributes["references"], &inline)
		so.References = append(so.References, inline...)
	default:
		return
	}
	if !panelTypes[so.Type] || so.Attributes == nil {
		return
	}
	key := "panel:" + idx
	w.visit(so, key)
	if p, ok := w.c.Panels[key]; ok {
		p.PanelIndex = idx
		w.c.Panels[key] = p
	}
}

// hoisted returns the dashboard references of one by-value panel, with
// the "<panelIndex>:" prefix removed.
func hoisted(dash kbn.SavedObject, idx string) []kbn.Reference {
	var out []kbn.Reference
	for _, ref := range dash.References {
		if name, ok := strings.CutPrefix(ref.Name, idx+":"); ok {
			ref.Name = name
			out = append(out, ref)
		}
	}
	return out
}

// savedVisAttributes turns a by-value visualization (embeddableConfig.savedVis:
// {type, params, data:{searchSource, savedSearchId, savedSearchRefName}})
// into the attributes of a saved one. The JSON-string attributes are
// stored decoded, which attrJSON accepts.
func savedVisAttributes(raw json.RawMessage) map[string]json.RawMessage {
	var sv struct {
		Type   string          `json:"type"`
		Params json.RawMessage `json:"params"`
		Data   struct {
			SearchSource       json.RawMessage `json:"searchSource"`
			SavedSearchID      string          `json:"savedSearchId"`
			SavedSearchRefName string          `json:"savedSearchRefName"`
		} `json:"data"`
	}
	if json.Unmarshal(raw, &sv) != nil {
		return nil
	}
	vs, _ := json.Marshal(struct {
		Type   string          `json:"type"`
		Params json.RawMessage `json:"params,omitempty"`
	}{sv.Type, sv.Params})
	meta, _ := json.Marshal(struct {
		SearchSourceJSON json.RawMessage `json:"searchSourceJSON,omitempty"`
	}{sv.Data.SearchSource})
	str := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	return map[string]json.RawMessage{
		"visState":              vs,
		"kibanaSavedObjectMeta": meta,
		"savedSearchId":         str(sv.Data.SavedSearchID),
		"savedSearchRefName":    str(sv.Data.SavedSearchRefName),
	}
}

// controlGroup queues the data views of 8.x dashboard controls stored
// inline (controlGroupInput.panelsJSON: {<id>: {explicitInput:{dataViewId}}});
// extracted ones are controlGroup_* references, which dashboard follows.
func (w *walker) controlGroup(so kbn.SavedObject) {
	var cg struct {
		PanelsJSON json.RawMessage `json:"panelsJSON"`
	}
	if json.Unmarshal(attrJSON(so.Attributes["controlGroupInput"]), &cg) != nil {
		return
	}
	var controls map[string]struct {
		ExplicitInput struct {
			DataViewID string `json:"dataViewId"`
		} `json:"explicitInput"`
	}
	if json.Unmarshal(attrJSON(cg.PanelsJSON), &controls) != nil {
		return
	}
	for _, ctl := range controls {
		w.add(typeDataView, ctl.ExplicitInput.DataViewID)
	}
}
