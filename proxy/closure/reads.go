package closure

import (
	"encoding/json"
	"strings"

	"github.com/kshare/kshare/proxy/kbn"
)

// Read is one data view a Lens or maps panel searches, with the saved
// queries and filters Kibana's browser adds to every search the panel
// makes on it (all of them ANDed; none means the panel reads the data
// view unfiltered).
type Read struct {
	DataView string            // data view id
	Queries  []json.RawMessage // {query, language} objects
	Filters  []json.RawMessage // saved Kibana filters
}

// lensLayerRef is the reference name prefix of a Lens layer's data view
// (7.10–9.x, form-based and legacy "indexpattern" datasources alike).
const lensLayerRef = "indexpattern-datasource-layer-"

// lensReads returns what a Lens panel searches: each form-based layer's
// data view, held to the object's saved query and filters (the Lens
// embeddable adds both to the dashboard's). ok is false when a layer's
// data view cannot be told. ES|QL (text-based) layers are skipped: their
// requests use a strategy kshare refuses.
func lensReads(state json.RawMessage, refs []kbn.Reference) ([]Read, bool) {
	var st struct {
		DatasourceStates map[string]struct {
			Layers map[string]struct {
				IndexPatternID string `json:"indexPatternId"`
			} `json:"layers"`
		} `json:"datasourceStates"`
		Query              json.RawMessage   `json:"query"`
		Filters            []json.RawMessage `json:"filters"`
		InternalReferences []kbn.Reference   `json:"internalReferences"`
	}
	if json.Unmarshal(state, &st) != nil {
		return nil, false
	}
	byName := map[string]string{}
	for _, r := range append(append([]kbn.Reference{}, refs...), st.InternalReferences...) {
		if r.Type == typeDataView {
			byName[r.Name] = r.ID
		}
	}
	var queries []json.RawMessage
	if len(st.Query) > 0 {
		queries = []json.RawMessage{st.Query}
	}
	var out []Read
	seen := map[string]bool{}
	for ds, d := range st.DatasourceStates {
		if ds != "indexpattern" && ds != "formBased" {
			continue
		}
		for id, l := range d.Layers {
			dv := byName[lensLayerRef+id]
			if dv == "" {
				dv = l.IndexPatternID
			}
			if dv == "" {
				return nil, false
			}
			if !seen[dv] {
				seen[dv] = true
				out = append(out, Read{DataView: dv, Queries: queries, Filters: st.Filters})
			}
		}
	}
	return out, true
}

// mapLayer is the part of a maps layer descriptor that decides what it
// searches: its source's data view and its own query, and the same for
// each term join.
type mapLayer struct {
	Query            json.RawMessage `json:"query"`
	SourceDescriptor mapSource       `json:"sourceDescriptor"`
	Joins            []struct {
		Right mapSource `json:"right"`
	} `json:"joins"`
}

type mapSource struct {
	IndexPatternRefName string          `json:"indexPatternRefName"`
	IndexPatternID      string          `json:"indexPatternId"`
	WhereQuery          json.RawMessage `json:"whereQuery"`
}

// dataView resolves the source's data view: a reference (7.x+) or the
// inline id (before 7.0). "" means the source reads no data view.
func (s mapSource) dataView(byName map[string]string) (string, bool) {
	switch {
	case s.IndexPatternRefName != "":
		id, ok := byName[s.IndexPatternRefName]
		return id, ok
	default:
		return s.IndexPatternID, true
	}
}

// mapReads returns what a maps panel searches: each layer's and join's
// data view held to that layer's query (a join to its whereQuery). The
// map's own saved query and filters (mapStateJSON) are not added: the
// maps embeddable takes query and filters from the dashboard only
// (x-pack/plugins/maps/public/embeddable/map_embeddable.tsx,
// _dispatchSetQuery). ok is false when a layer's data view cannot be told.
func mapReads(layerList []byte, refs []kbn.Reference) ([]Read, bool) {
	var layers []mapLayer
	if len(layerList) > 0 && json.Unmarshal(layerList, &layers) != nil {
		return nil, false
	}
	byName := map[string]string{}
	for _, r := range refs {
		if r.Type == typeDataView {
			byName[r.Name] = r.ID
		}
	}
	var out []Read
	add := func(src mapSource, q json.RawMessage) bool {
		dv, ok := src.dataView(byName)
		if !ok {
			return false
		}
		if dv != "" {
			out = append(out, Read{DataView: dv, Queries: nonEmpty(q)})
		}
		return true
	}
	for _, l := range layers {
		if !add(l.SourceDescriptor, l.Query) {
			return nil, false
		}
		for _, j := range l.Joins {
			if !add(j.Right, j.Right.WhereQuery) {
				return nil, false
			}
		}
	}
	return out, true
}

// nonEmpty wraps a saved query unless it is absent or null.
func nonEmpty(q json.RawMessage) []json.RawMessage {
	if s := strings.TrimSpace(string(q)); s == "" || s == "null" {
		return nil
	}
	return []json.RawMessage{q}
}
