// Package closure computes the saved objects a shared Kibana object needs
// (its reference closure, kibana-api.md §3.2) and checks the browser's
// saved-object reads and Kibana's answers against it. A recipient may read
// the objects of the closure and search the indices of its data views and
// saved index strings; nothing else.
package closure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kshare/kshare/proxy/kbn"
)

// Errors the package returns; callers branch on them with errors.Is.
var (
	// ErrNotInClosure means a request or an answer names a saved object
	// outside the share's closure.
	ErrNotInClosure = errors.New("saved object not in share closure")
	// ErrMalformed means a request or an answer could not be read, or
	// had a shape kshare does not accept.
	ErrMalformed = errors.New("malformed saved-object body")
	// ErrUnsupportedRoot means the shared object's type cannot be shared.
	ErrUnsupportedRoot = errors.New("unsupported shared object type")
	// ErrTooLarge means the closure grew past MaxObjects.
	ErrTooLarge = errors.New("share closure too large")
)

// MaxObjects caps the saved objects one closure may hold: it bounds the
// reads one computation makes when references form a very wide graph.
const MaxObjects = 1000

// Saved-object types kshare follows.
const (
	typeDashboard = "dashboard"
	typeVis       = "visualization"
	typeLens      = "lens"
	typeSearch    = "search"
	typeMap       = "map"
	typeLinks     = "links"
	typeDataView  = "index-pattern"
	typeTag       = "tag"
	typeConfig    = "config"
	// typeStringIndex is the reference type a short-lived TSVB extraction
	// gave string index patterns (Kibana 7.13 ref_N_index_pattern names).
	typeStringIndex = "string-index-pattern"
)

// Fetcher reads one saved object with kshare's service credentials.
// *kbn.Client satisfies it.
type Fetcher interface {
	// Object reads a saved object of a space ("" = default); a missing
	// object is an error wrapping kbn.ErrNotFound.
	Object(ctx context.Context, space, typ, id string) (kbn.SavedObject, error)
}

// Ref names one saved object.
type Ref struct{ Type, ID string }

// String returns "type/id" for error messages.
func (r Ref) String() string { return r.Type + "/" + r.ID }

// DataView is a data view (index pattern) of the closure: a saved
// index-pattern object, or an ad-hoc one stored inside a Lens object or a
// saved search (8.x).
type DataView struct {
	ID        string
	Title     string // the index pattern searched, e.g. "logstash-*"
	TimeField string // "" for data views without a time field
}

// Panel is what search enforcement needs to know about one visualization,
// Lens object or saved search of the closure.
type Panel struct {
	Ref Ref // Ref.ID is "" for a by-value panel
	// VisType is visState.type of a visualization ("metrics", "timelion",
	// "vega", "pie", …), the visualizationType of a Lens object ("lnsXY"),
	// and "" for a saved search.
	VisType string
	// Params is visState.params of TSVB, Timelion and Vega visualizations,
	// whose requests carry the whole model (kibana-api.md §2.6–2.8).
	Params json.RawMessage
	// SearchSource is the decoded kibanaSavedObjectMeta.searchSourceJSON.
	SearchSource json.RawMessage
	// References are the saved object's own references (its data view and
	// saved search), so callers can tell which data view a panel reads.
	References []kbn.Reference
	// PanelIndex is set for a by-value panel of a dashboard (8.x); such a
	// panel is keyed "panel:"+PanelIndex in Closure.Panels.
	PanelIndex string
	// SavedSearch is the id of the saved search a visualization is built
	// on ("" for none), from its reference or the 6.x savedSearchId.
	SavedSearch string
	// Reads lists what a Lens or maps panel searches; ReadsKnown is false
	// when its state could not be read fully (the panel may then search
	// any closure index unfiltered).
	Reads      []Read
	ReadsKnown bool
}

// Closure is the set of saved objects a shared object needs.
type Closure struct {
	Space string // the share's space, "default" for the default space
	Root  Ref
	// Objects holds every saved object of the closure, the root included.
	Objects map[Ref]bool
	// DataViews holds the closure's data views by id, ad-hoc ones included.
	DataViews map[string]DataView
	// IndexStrings holds the index strings saved in TSVB, Timelion and
	// Vega panels ("metricbeat-*"); searching them is allowed as is.
	IndexStrings map[string]bool
	// Panels holds the visualizations, Lens objects and saved searches by
	// saved-object id, and by-value panels by "panel:"+panelIndex.
	Panels map[string]Panel
	// Missing lists objects that are referenced but do not exist (a
	// dashboard may reference a deleted visualization), sorted.
	Missing []Ref
}

// Has reports whether the saved object typ/id is in the closure. Kibana's
// advanced settings object (type "config") is not: its raw attributes hold
// every user-set setting of the service account, which recipients get only
// through the filtered settings answers; the UI reads settings from the page.
func (c *Closure) Has(typ, id string) bool {
	return c.Objects[Ref{Type: typ, ID: id}]
}

// missing reports whether typ/id is referenced by the closure but absent.
func (c *Closure) missing(typ, id string) bool {
	for _, r := range c.Missing {
		if r.Type == typ && r.ID == id {
			return true
		}
	}
	return false
}

// HasDataViewTitle returns the closure's data view with the given title.
func (c *Closure) HasDataViewTitle(title string) (DataView, bool) {
	ids := make([]string, 0, len(c.DataViews))
	for id, dv := range c.DataViews {
		if dv.Title == title {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return DataView{}, false
	}
	// Two data views may share a title; answer the same one every time.
	sort.Strings(ids)
	return c.DataViews[ids[0]], true
}

// AllowsIndex reports whether a search may target index: the title of a
// closure data view, a saved index string, or a comma list each of whose
// parts is one of these. Patterns that mean every index ("*", "_all") and
// exclusions ("-secret") are refused even when saved, because they would
// widen a share to indices its author may not have meant.
func (c *Closure) AllowsIndex(index string) bool {
	if index == "" {
		return false
	}
	parts := strings.Split(index, ",")
	for _, part := range parts {
		if allIndices(part) {
			return false
		}
	}
	if c.allowedEntry(index) {
		// A data view title may itself be a list, even with an exclusion
		// ("logs-*,-logs-secret"): as saved, it only narrows.
		return true
	}
	for _, part := range parts {
		if part == "" || strings.HasPrefix(part, "-") || !c.allowedEntry(part) {
			return false
		}
	}
	return true
}

func (c *Closure) allowedEntry(s string) bool {
	if c.IndexStrings[s] {
		return true
	}
	_, ok := c.HasDataViewTitle(s)
	return ok
}

// allIndices reports patterns that match every index of the cluster.
func allIndices(s string) bool {
	return s == "_all" || strings.Trim(s, "*") == ""
}

// Compute reads the shared object root of space with f and follows its
// references (kibana-api.md §3) to the closure. root.Type must be
// dashboard, visualization or lens. A missing root is an error wrapping
// kbn.ErrNotFound; any other read error fails the whole computation.
func Compute(ctx context.Context, f Fetcher, space string, root Ref) (*Closure, error) {
	switch root.Type {
	case typeDashboard, typeVis, typeLens:
	default:
		return nil, fmt.Errorf("compute closure: %w: %q", ErrUnsupportedRoot, root.Type)
	}
	w := newWalker(ctx, f, space, root)
	if err := w.run(); err != nil {
		return nil, fmt.Errorf("compute closure of %s: %w", root, err)
	}
	sort.Slice(w.c.Missing, func(i, j int) bool {
		a, b := w.c.Missing[i], w.c.Missing[j]
		return a.Type < b.Type || a.Type == b.Type && a.ID < b.ID
	})
	return w.c, nil
}

// normSpace maps the default space's two spellings to one.
func normSpace(s string) string {
	if s == "" {
		return "default"
	}
	return s
}
