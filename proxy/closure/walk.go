package closure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kshare/kshare/proxy/kbn"
)

// walker follows the edges of one closure, breadth first, with a visited
// set so that cycles and shared children are read once.
type walker struct {
	ctx   context.Context
	f     Fetcher
	space string
	c     *Closure
	seen  map[Ref]bool
	queue []Ref
	err   error // set by add when the closure outgrows MaxObjects
}

func newWalker(ctx context.Context, f Fetcher, space string, root Ref) *walker {
	return &walker{
		ctx:   ctx,
		f:     f,
		space: space,
		c: &Closure{
			Space:        normSpace(space),
			Root:         root,
			Objects:      map[Ref]bool{},
			DataViews:    map[string]DataView{},
			IndexStrings: map[string]bool{},
			Panels:       map[string]Panel{},
		},
		seen:  map[Ref]bool{root: true},
		queue: []Ref{root},
	}
}

// run reads queued objects until none are left.
//
// TODO(kshare): reads are sequential (one GET per object, ~35 for the
// 6.x fixture); a _bulk_get per level would cut the latency of a cache
// miss, but the Fetcher has no bulk call yet.
func (w *walker) run() error {
	for len(w.queue) > 0 {
		r := w.queue[0]
		w.queue = w.queue[1:]
		so, err := w.f.Object(w.ctx, w.space, r.Type, r.ID)
		switch {
		case errors.Is(err, kbn.ErrNotFound) && r == w.c.Root:
			return err
		case errors.Is(err, kbn.ErrNotFound):
			w.c.Missing = append(w.c.Missing, r)
			continue
		case err != nil:
			return err
		}
		so.Type, so.ID = r.Type, r.ID
		w.c.Objects[r] = true
		w.visit(so, so.ID)
		if w.err != nil {
			return w.err
		}
	}
	return nil
}

// add queues a saved object for reading.
func (w *walker) add(typ, id string) {
	r := Ref{Type: typ, ID: id}
	if id == "" || w.seen[r] {
		return
	}
	if len(w.seen) >= MaxObjects {
		w.err = fmt.Errorf("%w: more than %d objects", ErrTooLarge, MaxObjects)
		return
	}
	w.seen[r] = true
	w.queue = append(w.queue, r)
}

// visit records one object (saved, or a by-value panel's synthetic one)
// and queues what it needs; key is its Panels key.
func (w *walker) visit(so kbn.SavedObject, key string) {
	switch so.Type {
	case typeDashboard:
		w.dashboard(so)
	case typeVis:
		w.visualization(so, key)
	case typeSearch:
		w.search(so, key)
	case typeLens:
		w.lens(so, key)
	case typeMap:
		w.mapObject(so, key)
	case typeDataView:
		w.dataView(so)
	}
	// Links objects are recorded but not followed: their destinations
	// are other dashboards, outside the share. Tags are leaves.
}

// dataViewRefs queues the data views and tags an object references. For
// every type but dashboards these references are the object's own
// query sources (searchSourceJSON index and filters, input controls,
// TSVB data views, Lens layers, map layers), so all are edges.
func (w *walker) dataViewRefs(so kbn.SavedObject) {
	for _, ref := range so.References {
		switch ref.Type {
		case typeDataView, typeTag:
			w.add(ref.Type, ref.ID)
		case typeStringIndex:
			w.addIndexString(ref.ID)
		}
	}
}

// dataView records a saved data view.
func (w *walker) dataView(so kbn.SavedObject) {
	w.c.DataViews[so.ID] = DataView{
		ID:        so.ID,
		Title:     so.Str("title"),
		TimeField: so.Str("timeFieldName"),
	}
}

// addAdHoc records a data view stored inside another object (8.x ad-hoc
// data views); a saved data view of the same id wins.
func (w *walker) addAdHoc(raw json.RawMessage, fallbackID string) {
	var spec struct {
		ID            string `json:"id"`
		Title         string `json:"title"`
		TimeFieldName string `json:"timeFieldName"`
	}
	if json.Unmarshal(raw, &spec) != nil || spec.Title == "" {
		return
	}
	if spec.ID == "" {
		spec.ID = fallbackID
	}
	if _, ok := w.c.DataViews[spec.ID]; ok || spec.ID == "" {
		return
	}
	w.c.DataViews[spec.ID] = DataView{
		ID: spec.ID, Title: spec.Title, TimeField: spec.TimeFieldName,
	}
}

// addIndexString records an index string saved in a panel. Patterns for
// every index are dropped: AllowsIndex refuses them anyway.
func (w *walker) addIndexString(s string) {
	if s != "" && !allIndices(s) {
		w.c.IndexStrings[s] = true
	}
}

// attrJSON returns the JSON text of an attribute that Kibana stores as a
// JSON string (panelsJSON, visState, searchSourceJSON, …). Exports made
// by other tools sometimes store the value decoded; that is returned as
// is. Absent or unreadable attributes give nil.
func attrJSON(raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return nil
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil || s == "" {
			return nil
		}
		return []byte(s)
	}
	if raw[0] == '{' || raw[0] == '[' {
		return raw
	}
	return nil
}

// searchSourceJSON returns the decoded kibanaSavedObjectMeta.searchSourceJSON.
func searchSourceJSON(so kbn.SavedObject) []byte {
	var meta struct {
		SearchSourceJSON json.RawMessage `json:"searchSourceJSON"`
	}
	if json.Unmarshal(so.Attributes["kibanaSavedObjectMeta"], &meta) != nil {
		return nil
	}
	return attrJSON(meta.SearchSourceJSON)
}

// searchSource queues what a search source names inline: 6.x stores the
// data view id in index and in each filter's meta.index (7.x+ moved
// both to references); 8.x may store an ad-hoc data view spec as index.
func (w *walker) searchSource(ss []byte) {
	var src struct {
		Index  json.RawMessage   `json:"index"`
		Filter []json.RawMessage `json:"filter"`
	}
	if json.Unmarshal(ss, &src) != nil {
		return
	}
	var id string
	if json.Unmarshal(src.Index, &id) == nil {
		w.add(typeDataView, id)
	} else {
		w.addAdHoc(src.Index, "")
	}
	for _, f := range src.Filter {
		w.filterIndex(f)
	}
}

// filterIndex queues the data view of one filter's inline meta.index.
func (w *walker) filterIndex(raw json.RawMessage) {
	var f struct {
		Meta struct {
			Index string `json:"index"`
		} `json:"meta"`
	}
	if json.Unmarshal(raw, &f) == nil {
		w.add(typeDataView, f.Meta.Index)
	}
}

// search records a saved search and queues its data views.
func (w *walker) search(so kbn.SavedObject, key string) {
	ss := searchSourceJSON(so)
	w.dataViewRefs(so)
	w.searchSource(ss)
	w.c.Panels[key] = Panel{
		Ref: Ref{Type: so.Type, ID: so.ID}, SearchSource: ss, References: so.References,
	}
}

// lens records a Lens object and queues its data views: references named
// indexpattern-datasource-layer-* / -current-indexpattern and filter refs,
// plus ad-hoc data views in state.adHocDataViews (8.x), which are no saved
// objects and only enter DataViews.
func (w *walker) lens(so kbn.SavedObject, key string) {
	w.dataViewRefs(so)
	var state struct {
		AdHocDataViews map[string]json.RawMessage `json:"adHocDataViews"`
	}
	if st := attrJSON(so.Attributes["state"]); st != nil {
		_ = json.Unmarshal(st, &state)
	}
	for id, spec := range state.AdHocDataViews {
		w.addAdHoc(spec, id)
	}
	// TODO(kshare): ES|QL Lens layers (state.query.esql, 8.11+) name their
	// index inside the query text; they are not parsed yet, so such panels
	// get no index allowance.
	p := Panel{Ref: Ref{Type: so.Type, ID: so.ID}, VisType: so.Str("visualizationType")}
	p.Reads, p.ReadsKnown = lensReads(attrJSON(so.Attributes["state"]), so.References)
	w.c.Panels[key] = p
}

// mapObject queues a map's data views: layerListJSON layers and joins name
// them through indexPatternRefName references (7.x+), which dataViewRefs
// follows, or inline as indexPatternId (before 7.0).
func (w *walker) mapObject(so kbn.SavedObject, key string) {
	w.dataViewRefs(so)
	var layers any
	if ll := attrJSON(so.Attributes["layerListJSON"]); ll != nil {
		_ = json.Unmarshal(ll, &layers)
	}
	for _, id := range stringsAtKey(layers, "indexPatternId") {
		w.add(typeDataView, id)
	}
	p := Panel{Ref: Ref{Type: so.Type, ID: so.ID}}
	p.Reads, p.ReadsKnown = mapReads(attrJSON(so.Attributes["layerListJSON"]), so.References)
	w.c.Panels[key] = p
}

// stringsAtKey returns every string value stored under key anywhere in a
// decoded JSON value.
func stringsAtKey(v any, key string) []string {
	var out []string
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if s, ok := e.(string); ok && k == key {
				out = append(out, s)
			} else {
				out = append(out, stringsAtKey(e, key)...)
			}
		}
	case []any:
		for _, e := range t {
			out = append(out, stringsAtKey(e, key)...)
		}
	}
	return out
}
