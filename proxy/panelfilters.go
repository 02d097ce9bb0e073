package proxy

import (
	"encoding/json"
	"sync"

	"github.com/kshare/kshare/proxy/closure"
)

// Panel-level saved filters. A visualization, saved search, Lens panel or
// maps layer may carry its own filters and query, which Kibana's browser
// adds to that panel's searches only; a search request does not say which
// panel it is for (7.10 sends no execution context, and where 8.x does, the
// client writes it). kshare therefore holds each index to the union of
// what the object's panels on it may show: when every panel reading an
// index has its own filters, every search on that index must match at
// least one panel's filters. When any panel reads an index unfiltered (or
// kshare cannot tell what a panel reads), that index gets no extra clause:
// the unfiltered panel may show all of it anyway. Input controls are the
// exception that keeps a restriction: they only list one field's values,
// and their searches are recognised by shape (proxy/search/control.go).

// indexRestrictions is what one closure's panels allow per index: the
// union clause by data view title ({"bool":{"should":[<panel A's
// filters>, …],"minimum_should_match":1}}) and the fields input controls
// list, by title.
type indexRestrictions struct {
	clauses  map[string]json.RawMessage
	controls map[string]map[string]bool
}

// restrictionCache remembers the restrictions of recent closures, which
// are themselves cached and replaced (never changed) on edits.
type restrictionCache struct {
	mu sync.Mutex
	m  map[*closure.Closure]indexRestrictions
}

// of returns the restrictions of cl, computed once per closure value.
func (rc *restrictionCache) of(cl *closure.Closure) indexRestrictions {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if r, ok := rc.m[cl]; ok {
		return r
	}
	if rc.m == nil || len(rc.m) > 256 {
		rc.m = map[*closure.Closure]indexRestrictions{}
	}
	r := computeRestrictions(cl)
	rc.m[cl] = r
	return r
}

// restrictionBuilder collects, per index, each panel's alternative and
// whether some panel reads it unfiltered.
type restrictionBuilder struct {
	cl       *closure.Closure
	sets     map[string][]json.RawMessage
	open     map[string]bool
	controls map[string]map[string]bool
}

func computeRestrictions(cl *closure.Closure) indexRestrictions {
	b := &restrictionBuilder{cl: cl, sets: map[string][]json.RawMessage{},
		open: map[string]bool{}, controls: map[string]map[string]bool{}}
	// A saved search that is the base of a visualization adds nothing of
	// its own: the visualization's alternative holds its filters and more.
	// (One that is also a panel of its own is then held to them too.)
	bases := map[string]bool{}
	for _, p := range cl.Panels {
		bases[p.SavedSearch] = true
	}
	for id, p := range cl.Panels {
		if p.Ref.Type == "search" && bases[id] {
			continue
		}
		b.panel(p)
	}
	// An index only controls read shows nothing but their listings.
	for title := range b.controls {
		if !b.open[title] && len(b.sets[title]) == 0 {
			b.sets[title] = []json.RawMessage{matchNone}
		}
	}
	out := indexRestrictions{clauses: map[string]json.RawMessage{}, controls: b.controls}
	for title, alts := range b.sets {
		if b.open[title] {
			continue
		}
		c, _ := json.Marshal(map[string]any{"bool": map[string]any{"should": alts, "minimum_should_match": 1}})
		out.clauses[title] = c
	}
	return out
}

// panel adds what one panel may search.
func (b *restrictionBuilder) panel(p closure.Panel) {
	switch {
	case p.Ref.Type == "lens" || p.Ref.Type == "map":
		b.reads(p)
	case p.Ref.Type != "visualization" && p.Ref.Type != "search":
		markAllOpen(b.cl, b.open) // a type kshare does not read
	case p.VisType == "input_control_vis":
		b.inputControls(p)
	default:
		b.legacy(p)
	}
}

// reads adds a Lens or maps panel from its recorded reads.
func (b *restrictionBuilder) reads(p closure.Panel) {
	if !p.ReadsKnown {
		markAllOpen(b.cl, b.open)
		return
	}
	for _, r := range p.Reads {
		dv, ok := b.cl.DataViews[r.DataView]
		if !ok {
			continue // not in the closure: its searches are refused anyway
		}
		b.add(dv.Title, panelClauses(r.Filters, r.Queries...))
	}
}

// matchNone is the alternative of a panel whose saved query or filter
// kshare cannot translate: it adds nothing to what the index may show.
var matchNone = json.RawMessage(`{"match_none":{}}`)

// panelClauses are one panel's saved filters and queries as clauses; an
// untranslatable query makes the panel show nothing.
func panelClauses(filters []json.RawMessage, queries ...json.RawMessage) []json.RawMessage {
	c, err := savedSearchClauses(filters, queries...)
	if err != nil {
		return []json.RawMessage{matchNone}
	}
	return c
}

// add records one panel's clauses on title; none means unfiltered.
func (b *restrictionBuilder) add(title string, clauses []json.RawMessage) {
	if len(clauses) == 0 {
		b.open[title] = true
		return
	}
	c, _ := json.Marshal(map[string]any{"bool": map[string]any{"filter": clauses}})
	b.sets[title] = append(b.sets[title], c)
}

// legacy adds a visualization or saved search from its search source.
func (b *restrictionBuilder) legacy(p closure.Panel) {
	title, clauses, ok := panelScope(b.cl, p)
	switch {
	case !ok:
		markAllOpen(b.cl, b.open)
	case title == "":
		// A panel without a data view (markdown, TSVB, Vega, Timelion)
		// does not search through data views; Vega's and Timelion's
		// index strings are left open.
		for s := range b.cl.IndexStrings {
			b.open[s] = true
		}
	default:
		b.add(title, clauses)
	}
}

// inputControls records the fields a legacy input control lists: their
// searches are answered without the index's panel restrictions but with
// their own query dropped (proxy/search/control.go). A control whose data
// view kshare cannot tell leaves every index open.
func (b *restrictionBuilder) inputControls(p closure.Panel) {
	var params struct {
		Controls []struct {
			FieldName           string `json:"fieldName"`
			IndexPattern        string `json:"indexPattern"`
			IndexPatternRefName string `json:"indexPatternRefName"`
		} `json:"controls"`
	}
	if json.Unmarshal(p.Params, &params) != nil {
		markAllOpen(b.cl, b.open)
		return
	}
	for _, c := range params.Controls {
		id := c.IndexPattern
		for _, r := range p.References {
			if c.IndexPatternRefName != "" && r.Name == c.IndexPatternRefName {
				id = r.ID
			}
		}
		dv, ok := b.cl.DataViews[id]
		if !ok || c.FieldName == "" {
			markAllOpen(b.cl, b.open)
			return
		}
		if b.controls[dv.Title] == nil {
			b.controls[dv.Title] = map[string]bool{}
		}
		b.controls[dv.Title][c.FieldName] = true
	}
}

func markAllOpen(cl *closure.Closure, open map[string]bool) {
	for _, dv := range cl.DataViews {
		open[dv.Title] = true
	}
	for s := range cl.IndexStrings {
		open[s] = true
	}
}

// panelScope returns the data view title a saved search or visualization
// reads and its own saved filter and query clauses (with its saved
// search's, for a visualization built on one). ok is false when kshare
// cannot tell.
func panelScope(cl *closure.Closure, p closure.Panel) (string, []json.RawMessage, bool) {
	var src struct {
		Index        string            `json:"index"`
		IndexRefName string            `json:"indexRefName"`
		Query        json.RawMessage   `json:"query"`
		Filter       []json.RawMessage `json:"filter"`
	}
	if len(p.SearchSource) > 0 && json.Unmarshal(p.SearchSource, &src) != nil {
		return "", nil, false
	}
	clauses := panelClauses(src.Filter, src.Query)
	dvID := src.Index
	for _, r := range p.References {
		if src.IndexRefName != "" && r.Name == src.IndexRefName {
			dvID = r.ID
		}
	}
	if ssID := p.SavedSearch; ssID != "" {
		ss, ok := cl.Panels[ssID]
		if !ok {
			return "", nil, false
		}
		title, more, ok := panelScope(cl, ss)
		if !ok {
			return "", nil, false
		}
		return title, append(clauses, more...), true
	}
	if dvID == "" {
		switch p.VisType {
		case "markdown", "metrics", "timelion", "vega":
			return "", nil, true // no data view: their searches name index strings
		}
		return "", nil, false
	}
	dv, ok := cl.DataViews[dvID]
	if !ok {
		return "", nil, false
	}
	return dv.Title, clauses, true
}
