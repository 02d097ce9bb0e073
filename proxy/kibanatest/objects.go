package kibanatest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// view shapes a stored object the way the line's saved-objects API returns
// it. Attributes are passed through as stored (JSON-string attributes stay
// strings); only the envelope differs per line.
//
// TODO(kshare): 8.x/9.x would also migrate attributes (e.g. panelsJSON to
// newer panel versions); the 7.10 fixtures are served unmigrated because no
// 8.x export of the eCommerce dashboard is in the fixture pack.
func (s *Server) view(doc map[string]any, space string, fields []string) map[string]any {
	if len(fields) > 0 {
		keep := map[string]any{}
		for _, f := range fields {
			if v, ok := attrs(doc)[f]; ok {
				keep[f] = v
			}
		}
		doc["attributes"] = keep
	}
	if _, ok := doc["references"]; !ok {
		doc["references"] = []any{} // 6.x objects predate reference extraction
	}
	p := s.prof
	if p.newPlatform() {
		doc["namespaces"] = []any{space}
	}
	switch {
	case p.line.AtLeast(8, 8):
		// 8.8 replaced migrationVersion with typeMigrationVersion and pinned
		// coreMigrationVersion at 8.8.0 (model versions).
		if mv, ok := doc["migrationVersion"].(map[string]any); ok {
			doc["typeMigrationVersion"] = mv[str(doc["type"])]
			delete(doc, "migrationVersion")
		}
		doc["coreMigrationVersion"] = "8.8.0"
		doc["managed"] = false
	case p.line.AtLeast(7, 12):
		doc["coreMigrationVersion"] = p.version
	}
	return doc
}

func notFoundMsg(typ, id string) string {
	return fmt.Sprintf("Saved object [%s/%s] not found", typ, id)
}

// getObject is GET /api/saved_objects/{type}/{id}.
func (s *Server) getObject(c *call) {
	typ, id := c.vars["type"], c.vars["id"]
	doc, ok := s.store.get(c.rp.space, typ, id)
	if !ok {
		c.fail(http.StatusNotFound, notFoundMsg(typ, id))
		return
	}
	c.json(http.StatusOK, s.view(doc, c.rp.space, nil))
}

// objectRef is one entry of a bulk request body.
type objectRef struct {
	Type   string   `json:"type"`
	ID     string   `json:"id"`
	Fields []string `json:"fields,omitempty"`
}

func (c *call) refs() ([]objectRef, bool) {
	var refs []objectRef
	if err := json.Unmarshal(c.body, &refs); err != nil {
		c.badRequest("[request body]: expected value of type [array] but got [" +
			jsonKind(c.body) + "]")
		return nil, false
	}
	return refs, true
}

func jsonKind(b []byte) string {
	t := strings.TrimSpace(string(b))
	switch {
	case strings.HasPrefix(t, "{"):
		return "Object"
	case t == "":
		return "undefined"
	}
	return "string"
}

// missing is the per-item error of bulk answers. 6.x sent only a status and
// "Not found"; 7.x+ send the full Boom shape.
func (s *Server) missing(ref objectRef) map[string]any {
	e := any(errBody(http.StatusNotFound, notFoundMsg(ref.Type, ref.ID)))
	if s.prof.line.Legacy() {
		e = map[string]any{"statusCode": http.StatusNotFound, "message": "Not found"}
	}
	return map[string]any{"id": ref.ID, "type": ref.Type, "error": e}
}

// bulkGet is POST /api/saved_objects/_bulk_get.
func (s *Server) bulkGet(c *call) {
	refs, ok := c.refs()
	if !ok {
		return
	}
	out := make([]any, 0, len(refs))
	for _, ref := range refs {
		if doc, ok := s.store.get(c.rp.space, ref.Type, ref.ID); ok {
			out = append(out, s.view(doc, c.rp.space, ref.Fields))
		} else {
			out = append(out, s.missing(ref))
		}
	}
	c.json(http.StatusOK, map[string]any{"saved_objects": out})
}

// resolved wraps an object the way resolve answers (7.15+).
func resolved(obj any) map[string]any {
	return map[string]any{"saved_object": obj, "outcome": "exactMatch"}
}

// bulkResolve is POST /api/saved_objects/_bulk_resolve (7.15+). A missing
// object comes back as an errored saved_object with outcome exactMatch.
func (s *Server) bulkResolve(c *call) {
	refs, ok := c.refs()
	if !ok {
		return
	}
	out := make([]any, 0, len(refs))
	for _, ref := range refs {
		if doc, ok := s.store.get(c.rp.space, ref.Type, ref.ID); ok {
			out = append(out, resolved(s.view(doc, c.rp.space, nil)))
		} else {
			out = append(out, resolved(s.missing(ref)))
		}
	}
	c.json(http.StatusOK, map[string]any{"resolved_objects": out})
}

// resolveObject is GET /api/saved_objects/resolve/{type}/{id} (7.15+).
func (s *Server) resolveObject(c *call) {
	typ, id := c.vars["type"], c.vars["id"]
	doc, ok := s.store.get(c.rp.space, typ, id)
	if !ok {
		c.fail(http.StatusNotFound, notFoundMsg(typ, id))
		return
	}
	c.json(http.StatusOK, resolved(s.view(doc, c.rp.space, nil)))
}

// findObjects is GET /api/saved_objects/_find with type, search,
// search_fields, fields, page and per_page (see searchMatches for search).
func (s *Server) findObjects(c *call) {
	q := c.r.URL.Query()
	types := q["type"]
	if len(types) == 0 {
		c.badRequest("[request query.type]: expected at least one defined value but got [undefined]")
		return
	}
	perPage := atoiDefault(q.Get("per_page"), 20)
	page := atoiDefault(q.Get("page"), 1)
	var hits []any
	for _, doc := range s.store.list(c.rp.space) {
		if !contains(types, str(doc["type"])) || !searchMatches(doc, q) {
			continue
		}
		v := s.view(doc, c.rp.space, q["fields"])
		v["score"] = 0
		hits = append(hits, v)
	}
	total := len(hits)
	start := min((page-1)*perPage, total)
	end := min(start+perPage, total)
	c.json(http.StatusOK, map[string]any{
		"page": page, "per_page": perPage, "total": total,
		"saved_objects": append([]any{}, hits[start:end]...),
	})
}

func atoiDefault(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil && n > 0 {
		return n
	}
	return def
}

func contains(list []string, v string) bool {
	for _, e := range list {
		if e == v {
			return true
		}
	}
	return false
}

// searchMatches approximates the simple_query_string that _find runs on the
// search fields (default operator OR, standard analyzer): a quoted search is
// a phrase; otherwise any term matches, a term ending in * by prefix
// (unanalysed, as Elasticsearch treats wildcard terms).
func searchMatches(doc map[string]any, q url.Values) bool {
	search := strings.TrimSpace(q.Get("search"))
	if search == "" || search == "*" {
		return true
	}
	fields := q["search_fields"]
	if len(fields) == 0 {
		fields = []string{"title"}
	}
	for _, f := range fields {
		f, _, _ = strings.Cut(f, "^") // "title^3" boosts
		if textMatches(str(attrs(doc)[f]), search) {
			return true
		}
	}
	return false
}

func textMatches(value, search string) bool {
	have := words(value)
	if len(search) > 1 && strings.HasPrefix(search, `"`) && strings.HasSuffix(search, `"`) {
		return hasPhrase(have, words(search[1:len(search)-1]))
	}
	for _, term := range strings.Fields(strings.ToLower(search)) {
		if p, ok := strings.CutSuffix(term, "*"); ok {
			for _, w := range have {
				if strings.HasPrefix(w, p) {
					return true
				}
			}
			continue
		}
		for _, w := range words(term) {
			if contains(have, w) {
				return true
			}
		}
	}
	return false
}

// words splits like Elasticsearch's standard tokenizer, roughly: letters,
// digits and underscores form words; the rest separates them.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_'
	})
}

func hasPhrase(have, phrase []string) bool {
	if len(phrase) == 0 {
		return false
	}
	for i := 0; i+len(phrase) <= len(have); i++ {
		if slices.Equal(have[i:i+len(phrase)], phrase) {
			return true
		}
	}
	return false
}

// exportObjects is POST /api/saved_objects/_export: ndjson, one object per
// line, then the export summary (kibana-api.md §3.4).
func (s *Server) exportObjects(c *call) {
	var req struct {
		Type         []string    `json:"type"`
		Objects      []objectRef `json:"objects"`
		IncludeDeep  bool        `json:"includeReferencesDeep"`
		ExcludeCount bool        `json:"excludeExportDetails"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		c.badRequest("[request body]: expected a plain object value, but found [null] instead.")
		return
	}
	if len(req.Type) == 0 && len(req.Objects) == 0 {
		c.badRequest("Either `type` or `objects` are required.")
		return
	}
	docs := s.exportSet(c.rp.space, req.Type, req.Objects, req.IncludeDeep)
	var b strings.Builder
	for _, d := range docs {
		delete(d, "namespaces")
		line, _ := json.Marshal(d)
		b.Write(line)
		b.WriteByte('\n')
	}
	if !req.ExcludeCount {
		fmt.Fprintf(&b, `{"exportedCount":%d,"missingRefCount":0,"missingReferences":[]}`, len(docs))
		b.WriteByte('\n')
	}
	c.w.Header().Set("Content-Disposition", `attachment; filename="export.ndjson"`)
	c.bytes(http.StatusOK, "application/ndjson", []byte(b.String()))
}

// exportSet picks the objects to export: by type, or the listed objects and
// (deep) their references.
func (s *Server) exportSet(space string, types []string, refs []objectRef,
	deep bool) []map[string]any {
	var out []map[string]any
	if len(types) > 0 {
		for _, d := range s.store.list(space) {
			if contains(types, str(d["type"])) {
				out = append(out, s.view(d, space, nil))
			}
		}
		return out
	}
	seen := map[string]bool{}
	var walk func(typ, id string)
	walk = func(typ, id string) {
		if seen[objKey(typ, id)] {
			return
		}
		seen[objKey(typ, id)] = true
		d, ok := s.store.get(space, typ, id)
		if !ok {
			return
		}
		if deep {
			rs, _ := d["references"].([]any)
			for _, r := range rs {
				rm, _ := r.(map[string]any)
				walk(str(rm["type"]), str(rm["id"]))
			}
		}
		out = append(out, s.view(d, space, nil))
	}
	for _, r := range refs {
		walk(r.Type, r.ID)
	}
	return out
}

// legacyDashboardExport is 6.x GET /api/kibana/dashboards/export?dashboard=…,
// answered with the {"version","objects"} envelope. The 6.x fixture is
// exactly the closure of its one dashboard, so the whole space is exported.
func (s *Server) legacyDashboardExport(c *call) {
	id := c.r.URL.Query().Get("dashboard")
	if _, ok := s.store.get(c.rp.space, "dashboard", id); !ok {
		c.fail(http.StatusNotFound, notFoundMsg("dashboard", id))
		return
	}
	var objs []any
	for _, d := range s.store.list(c.rp.space) {
		delete(d, "references")
		objs = append(objs, d)
	}
	c.json(http.StatusOK, map[string]any{"version": s.prof.version, "objects": objs})
}

// contentGet is POST /api/content_management/rpc/get (8.9+), the read the
// 8.x dashboard app makes: {"contentTypeId","id","version"} in,
// {"result":{"contentTypeId","result":{"item","meta"}}} out.
func (s *Server) contentGet(c *call) {
	var req struct {
		ContentTypeID string `json:"contentTypeId"`
		ID            string `json:"id"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil || req.ContentTypeID == "" {
		c.badRequest("[request body.contentTypeId]: expected value of type [string] but got [undefined]")
		return
	}
	doc, ok := s.store.get(c.rp.space, req.ContentTypeID, req.ID)
	if !ok {
		c.fail(http.StatusNotFound, notFoundMsg(req.ContentTypeID, req.ID))
		return
	}
	c.json(http.StatusOK, map[string]any{"result": map[string]any{
		"contentTypeId": req.ContentTypeID,
		"result": map[string]any{
			"item": s.view(doc, c.rp.space, nil), "meta": map[string]any{"outcome": "exactMatch"},
		},
	}})
}

// dashboardsAPI is 9.x GET /api/dashboards/dashboard/{id}: the dashboard
// with its JSON-string attributes parsed (panels, options, searchSource),
// as {"item","meta"}.
func (s *Server) dashboardsAPI(c *call) {
	id := c.vars["id"]
	doc, ok := s.store.get(c.rp.space, "dashboard", id)
	if !ok {
		c.fail(http.StatusNotFound, fmt.Sprintf("A dashboard with saved object ID %s was not found.", id))
		return
	}
	a := attrs(doc)
	if v, ok := jsonString(a["panelsJSON"]); ok {
		a["panels"] = v
		delete(a, "panelsJSON")
	}
	if v, ok := jsonString(a["optionsJSON"]); ok {
		a["options"] = v
		delete(a, "optionsJSON")
	}
	if meta, ok := a["kibanaSavedObjectMeta"].(map[string]any); ok {
		if v, ok := jsonString(meta["searchSourceJSON"]); ok {
			a["kibanaSavedObjectMeta"] = map[string]any{"searchSource": v}
		}
	}
	c.json(http.StatusOK, map[string]any{
		"item": s.view(doc, c.rp.space, nil), "meta": map[string]any{"outcome": "exactMatch"},
	})
}

// fieldsForWildcard answers the field list of the index pattern(s) whose
// title equals or matches pattern, from their stored fields attribute.
func (s *Server) fieldsForWildcard(c *call) {
	pattern := c.r.URL.Query().Get("pattern")
	if pattern == "" {
		pattern = c.r.URL.Query().Get("id") // 8.12+ /internal/data_views/fields
	}
	var fields []any
	found := false
	for _, d := range s.store.list(c.rp.space) {
		title := str(attrs(d)["title"])
		ok, _ := path.Match(pattern, title)
		if str(d["type"]) != "index-pattern" || (!ok && title != pattern && str(d["id"]) != pattern) {
			continue
		}
		found = true
		list, _ := jsonString(attrs(d)["fields"])
		for _, f := range asList(list) {
			if fm, ok := f.(map[string]any); ok && fm["scripted"] != true {
				delete(fm, "count")
				delete(fm, "scripted")
				fields = append(fields, fm)
			}
		}
	}
	if !found {
		e := errBody(http.StatusNotFound, fmt.Sprintf("No indices match %q", pattern))
		e.Attributes = map[string]any{"code": "no_matching_indices"}
		c.json(http.StatusNotFound, e)
		return
	}
	c.json(http.StatusOK, map[string]any{
		"fields": append([]any{}, fields...), "indices": []any{pattern},
	})
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
