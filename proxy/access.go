package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"sort"
	"strings"

	"github.com/kshare/kshare/proxy/closure"
	"github.com/kshare/kshare/tokens"
)

// ClosureSource returns the set of saved objects a shared object needs,
// computed with the service credentials and cached briefly.
type ClosureSource interface {
	Get(ctx context.Context, space string, root closure.Ref) (*closure.Closure, error)
}

// errNotInClosure is what a guard returns for a request outside the
// share's objects or indices.
var errNotInClosure = closure.ErrNotInClosure

// guards check a request against the share's closure before it is
// forwarded. Each gets the closure, the canonical path segments, the query
// and the (bounded, already read) body.
var guards = map[string]func(cl *closure.Closure, segs []string, q url.Values, body []byte) error{
	"bulk-get":       func(cl *closure.Closure, _ []string, _ url.Values, b []byte) error { return cl.CheckBulkGet(b) },
	"object-path":    objectInPath,
	"pattern-query":  indexParam("pattern"),
	"index-query":    indexParam("index"),
	"index-segment":  indexSegment,
	"content-mgmt":   contentManagementRead,
	"data-view-path": dataViewInPath,
	"closure-exists": func(*closure.Closure, []string, url.Values, []byte) error { return nil },
}

// objectInPath allows /api/saved_objects/[resolve/]{type}/{id} only for
// objects of the closure.
func objectInPath(cl *closure.Closure, segs []string, _ url.Values, _ []byte) error {
	if len(segs) < 2 || !cl.Has(segs[len(segs)-2], segs[len(segs)-1]) {
		return errNotInClosure
	}
	return nil
}

// indexParam allows a field lookup only for an index the closure allows;
// a repeated parameter is refused, since Kibana might read either copy.
func indexParam(name string) func(*closure.Closure, []string, url.Values, []byte) error {
	return func(cl *closure.Closure, _ []string, q url.Values, _ []byte) error {
		v := q[name]
		if len(v) != 1 || !cl.AllowsIndex(v[0]) {
			return errNotInClosure
		}
		return nil
	}
}

func indexSegment(cl *closure.Closure, segs []string, _ url.Values, _ []byte) error {
	if len(segs) == 0 || !cl.AllowsIndex(segs[len(segs)-1]) {
		return errNotInClosure
	}
	return nil
}

// contentManagementRead checks the 8.9+ content-management get and
// bulkGet bodies: {contentTypeId, id} or {contentTypeId, ids}.
func contentManagementRead(cl *closure.Closure, _ []string, _ url.Values, b []byte) error {
	var in struct {
		ContentTypeID string   `json:"contentTypeId"`
		ID            string   `json:"id"`
		IDs           []string `json:"ids"`
	}
	if err := json.Unmarshal(b, &in); err != nil || in.ContentTypeID == "" {
		return closure.ErrMalformed
	}
	ids := in.IDs
	if in.ID != "" {
		ids = append(ids, in.ID)
	}
	if len(ids) == 0 {
		return closure.ErrMalformed
	}
	for _, id := range ids {
		if !cl.Has(in.ContentTypeID, id) {
			return errNotInClosure
		}
	}
	return nil
}

// closureOf returns the closure of a share's object.
func (s *Server) closureOf(ctx context.Context, sh *tokens.Share) (*closure.Closure, error) {
	return s.opt.Closures.Get(ctx, sh.Space, closure.Ref{Type: objectType(sh.Kind), ID: sh.ObjectID})
}

// guardRefusal maps a guard's error to what the recipient gets.
func guardRefusal(err error) refusal {
	if errors.Is(err, closure.ErrMalformed) {
		return refBadRequest
	}
	return refForbidden
}

// findDataViews answers a data view listing (_find with
// type=index-pattern) from the closure, so totals, other data views and
// other spaces never show. search narrows by title as Kibana's title
// lookups use it (TSVB asks for one exact title).
func findDataViews(cl *closure.Closure, q url.Values) map[string]any {
	term := strings.Trim(strings.ToLower(q.Get("search")), `"*`)
	var items []map[string]any
	ids := make([]string, 0, len(cl.DataViews))
	for id := range cl.DataViews {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		dv := cl.DataViews[id]
		if !cl.Has("index-pattern", id) {
			continue // ad-hoc data views are not saved objects
		}
		if term != "" && !strings.Contains(strings.ToLower(dv.Title), term) {
			continue
		}
		attrs := map[string]any{"title": dv.Title}
		if dv.TimeField != "" {
			attrs["timeFieldName"] = dv.TimeField
		}
		items = append(items, map[string]any{
			"type": "index-pattern", "id": id, "attributes": attrs, "references": []any{},
			"score": 1, "namespaces": []string{cl.Space},
		})
	}
	if items == nil {
		items = []map[string]any{}
	}
	return map[string]any{"page": 1, "per_page": len(items), "total": len(items), "saved_objects": items}
}

// firstDataView is the closure data view the page is told is the default,
// so Kibana's default-data-view handling never asks for another one.
func firstDataView(cl *closure.Closure) string {
	ids := make([]string, 0, len(cl.DataViews))
	for id := range cl.DataViews {
		if cl.Has("index-pattern", id) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// dataViewInPath allows /api/data_views/data_view/{id} only for a closure
// data view.
func dataViewInPath(cl *closure.Closure, segs []string, _ url.Values, _ []byte) error {
	if len(segs) == 0 || !cl.Has("index-pattern", segs[len(segs)-1]) {
		return errNotInClosure
	}
	return nil
}

// listDataViews answers GET /api/data_views from the closure.
func listDataViews(cl *closure.Closure) map[string]any {
	found := findDataViews(cl, url.Values{})
	items, _ := found["saved_objects"].([]map[string]any)
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		attrs, _ := it["attributes"].(map[string]any)
		out = append(out, map[string]any{"id": it["id"], "title": attrs["title"],
			"name": attrs["title"], "namespaces": it["namespaces"], "typeMeta": map[string]any{}})
	}
	return map[string]any{"data_view": out}
}
