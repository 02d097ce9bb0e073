package proxy

import (
	"encoding/json"
	"sync"

	"github.com/kshare/kshare/proxy/closure"
)

// Panel-level saved filters. A visualization or saved search may carry its
// own filters and query, which Kibana's browser adds to that panel's
// searches only; a search request does not say which panel it is for (7.10
// sends no execution context). kshare therefore holds each index to the
// union of what the object's panels on it may show: when every panel
// reading an index has its own filters, every search on that index must
// match at least one panel's filters. When any panel reads an index
// unfiltered (or kshare cannot tell what a panel reads), that index gets no
// extra clause: the unfiltered panel may show all of it anyway.

// indexRestrictions is the per-index clause for one closure: title →
// {"bool":{"should":[<panel A's filters>, …],"minimum_should_match":1}}.
type indexRestrictions map[string]json.RawMessage

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

func computeRestrictions(cl *closure.Closure) indexRestrictions {
	sets := map[string][]json.RawMessage{}
	open := map[string]bool{}
	for _, p := range cl.Panels {
		if p.Ref.Type != "visualization" && p.Ref.Type != "search" {
			markAllOpen(cl, open) // Lens, maps, by-value panels: not read here
			continue
		}
		if p.VisType == "input_control_vis" {
			// Controls read the data views they reference, unfiltered.
			for _, r := range p.References {
				if dv, ok := cl.DataViews[r.ID]; ok && r.Type == "index-pattern" {
					open[dv.Title] = true
				}
			}
			continue
		}
		title, clauses, ok := panelScope(cl, p)
		if !ok {
			markAllOpen(cl, open)
			continue
		}
		switch {
		case title == "":
			// A panel without a data view (markdown, TSVB, Vega, Timelion)
			// does not search through data views; Vega's and Timelion's
			// index strings are left open.
			for s := range cl.IndexStrings {
				open[s] = true
			}
		case len(clauses) == 0:
			open[title] = true
		default:
			b, _ := json.Marshal(map[string]any{"bool": map[string]any{"filter": clauses}})
			sets[title] = append(sets[title], b)
		}
	}
	out := indexRestrictions{}
	for title, alts := range sets {
		if open[title] {
			continue
		}
		b, _ := json.Marshal(map[string]any{"bool": map[string]any{"should": alts, "minimum_should_match": 1}})
		out[title] = b
	}
	return out
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
	var clauses []json.RawMessage
	for _, f := range src.Filter {
		if c := filterClause(f); c != nil {
			clauses = append(clauses, c)
		}
	}
	if c, err := queryClause(src.Query); err != nil {
		return "", nil, false
	} else if c != nil {
		clauses = append(clauses, c)
	}
	dvID := src.Index
	for _, r := range p.References {
		if src.IndexRefName != "" && r.Name == src.IndexRefName {
			dvID = r.ID
		}
	}
	if ssID := savedSearchOf(p); ssID != "" {
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
		return "", nil, false // e.g. 6.x savedSearchId, which kshare does not read
	}
	dv, ok := cl.DataViews[dvID]
	if !ok {
		return "", nil, false
	}
	return dv.Title, clauses, true
}

// savedSearchOf returns the id of the saved search a visualization is
// built on (7.x reference "search_0").
func savedSearchOf(p closure.Panel) string {
	for _, r := range p.References {
		if r.Type == "search" {
			return r.ID
		}
	}
	return ""
}
