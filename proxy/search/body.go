package search

import (
	"fmt"
	"strconv"
)

// maxHits caps from+size, Elasticsearch's default index.max_result_window.
// Kibana's largest request is a saved search at discover:sampleSize.
const maxHits = 10000

// bodyKeys are the top-level search body keys kshare forwards, each with its
// check (nil: any value; the deep scan still applies). Everything else is
// refused, notably: suggest, knn, pit, profile, collapse, rescore,
// indices_boost, post_filter, slice, stats, ext, min_score, explain,
// retriever, rank. search_after is allowed: it pages within the same
// (scoped) query, as Discover's document context and "load more" do.
//
// runtime_mappings must be empty, as Kibana sends it for data views without
// runtime fields: from Elasticsearch 7.11 a runtime field named like a
// mapped one replaces it for the whole request, so a client-defined
// order_date or filter field would defeat the window and the share's
// filters.
//
// TODO(kshare): allow the closure data views' own runtime fields (and hold
// script_fields to their scripted fields); Scope does not carry the field
// lists yet, and the script rule (checkScript) bounds what scripts can do.
var bodyKeys = map[string]func(v *value) error{
	"query":               needObject,
	"aggs":                nil, // checked by aggs
	"aggregations":        nil,
	"size":                hitCount,
	"from":                hitCount,
	"sort":                nil,
	"_source":             nil,
	"fields":              nil,
	"docvalue_fields":     nil,
	"stored_fields":       nil,
	"script_fields":       needObject,
	"runtime_mappings":    needEmptyObject,
	"highlight":           needObject,
	"track_total_hits":    nil,
	"timeout":             needString,
	"terminate_after":     needNumber,
	"version":             needBool,
	"seq_no_primary_term": needBool,
	"search_after":        needArray,
}

// searchBody checks one search body for an allowed index and returns the
// rewritten body: keys in input order, query scoped to the window.
// body may be nil (no body sent: match_all).
func (rw *rewriter) searchBody(index string, body *value) (*value, error) {
	if body == nil {
		body = newObject()
	}
	if !body.isObject() {
		return nil, malformed("search body is not an object")
	}
	tf, err := rw.timeField(index)
	if err != nil {
		return nil, err
	}
	rw.index = index
	if err := checkBodyKeys(body); err != nil {
		return nil, err
	}
	if err := scan(body); err != nil {
		return nil, err
	}
	rw.control = rw.isControlBody(index, body)
	defer func() { rw.control = false }()
	out := sized(len(body.members) + 1)
	for _, m := range body.members {
		switch m.key {
		case "aggs", "aggregations":
			if err := rw.aggs(m.val, m.key, tf); err != nil {
				return nil, err
			}
		case "query":
			if rw.control {
				m.val = nil // see control.go
			}
			m.val = rw.scoped(m.val, tf)
		}
		out.members = append(out.members, m)
	}
	if body.get("query") == nil {
		out.members = append(out.members, member{"query", rw.scoped(nil, tf)})
	}
	return out, nil
}

func checkBodyKeys(body *value) error {
	for _, m := range body.members {
		check, ok := bodyKeys[m.key]
		if !ok {
			return forbidden("search body key %q", m.key)
		}
		if check != nil {
			if err := check(m.val); err != nil {
				return at(m.key, err)
			}
		}
	}
	if body.get("aggs") != nil && body.get("aggregations") != nil {
		return malformed("both aggs and aggregations")
	}
	from, size := int64(0), int64(10) // Elasticsearch defaults
	if v := body.get("from"); v != nil {
		from, _ = strconv.ParseInt(v.s, 10, 64)
	}
	if v := body.get("size"); v != nil {
		size, _ = strconv.ParseInt(v.s, 10, 64)
	}
	if from+size > maxHits {
		return forbidden("from+size %d over %d", from+size, maxHits)
	}
	return nil
}

// Value checks for allow-list entries.

func needObject(v *value) error { return needKind(v, kObject, "an object") }
func needArray(v *value) error  { return needKind(v, kArray, "an array") }
func needString(v *value) error { return needKind(v, kString, "a string") }
func needNumber(v *value) error { return needKind(v, kNumber, "a number") }

func needBool(v *value) error {
	if v.kind != kTrue && v.kind != kFalse {
		return malformed("not a boolean")
	}
	return nil
}

func needKind(v *value, k kind, what string) error {
	if v.kind != k {
		return malformed("not %s", what)
	}
	return nil
}

// hitCount accepts an integer in [0, maxHits].
func hitCount(v *value) error {
	if v.kind != kNumber {
		return malformed("not a number")
	}
	n, err := strconv.ParseInt(v.s, 10, 64)
	if err != nil || n < 0 || n > maxHits {
		return forbidden("%s is not an integer in [0, %d]", describe(v), maxHits)
	}
	return nil
}

// at prefixes err with where it happened (a key, an item); errors.Is
// still finds the sentinel.
func at(where string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", where, err)
}

// deniedKeys are query and mapping constructs refused wherever they appear
// in a body, because they read documents from other indices (terms lookups
// are handled in scan), hide a query from the check, or call out to
// inference models. A field that happens to carry one of these names is
// refused too; no Kibana-built request uses them.
var deniedKeys = map[string]string{
	"wrapper":              "base64-wrapped query",
	"percolate":            "percolate query (reads stored queries by index and id)",
	"more_like_this":       "more_like_this query (may read documents of other indices)",
	"indexed_shape":        "indexed shape (reads a document of another index)",
	"target_index":         "lookup runtime field (reads another index)",
	"has_child":            "has_child query (its inner hits escape the window)",
	"has_parent":           "has_parent query (its inner hits escape the window)",
	"knn":                  "knn search",
	"query_vector_builder": "inference model call",
	"semantic":             "semantic query (inference model call)",
	"sparse_vector":        "sparse_vector query (inference model call)",
	"text_expansion":       "text_expansion query (inference model call)",
}

// scan walks every object of a body: denied keys, terms lookups and
// scripts. It runs over the whole body because queries also sit in filter
// and filters aggregations, highlight_query and function_score.
func scan(v *value) error {
	switch v.kind {
	case kArray:
		for _, e := range v.members {
			if err := scan(e.val); err != nil {
				return err
			}
		}
	case kObject:
		for _, m := range v.members {
			if what, ok := deniedKeys[m.key]; ok {
				return forbidden("%s (key %q)", what, m.key)
			}
			if err := scanMember(m); err != nil {
				return err
			}
			if err := scan(m.val); err != nil {
				return err
			}
		}
	}
	return nil
}

func scanMember(m member) error {
	switch {
	case m.key == "terms" && m.val.isObject():
		// A terms lookup {"terms":{"field":{"index":..,"id":..,"path":..}}}
		// matches against values read from any document of any index.
		for _, f := range m.val.members {
			if f.val.get("index") != nil {
				return forbidden("terms lookup on %q", f.key)
			}
		}
	case m.key == "script" || m.key == "minimum_should_match_script":
		if err := checkScript(m.val); err != nil {
			return at(m.key, err)
		}
	}
	return nil
}

// maxScript bounds one inline script's source.
const maxScript = 16 << 10

// checkScript applies the script rule. Painless and expression scripts run
// sandboxed on documents the scoped query already admits, so they cannot
// widen what is read; the rule keeps them visible and bounded: inline source
// only (a string, or {source|inline, lang, params, options}), lang painless
// or expression, source at most 16 KiB. Stored scripts (id) are refused
// because their text is not in the request to check. A script query
// ({"script":{"script":{...}}}) wraps one; the inner one is checked by scan.
// A document field named "script" used as an object key is refused too.
func checkScript(v *value) error {
	switch v.kind {
	case kString:
		return scriptSource(v)
	case kObject:
	default:
		return malformed("script is neither a string nor an object")
	}
	if v.get("script") != nil {
		for _, m := range v.members {
			if m.key != "script" && m.key != "boost" && m.key != "_name" {
				return forbidden("script query key %q", m.key)
			}
		}
		return nil
	}
	src := 0
	for _, m := range v.members {
		switch m.key {
		case "source", "inline":
			src++
			if err := scriptSource(m.val); err != nil {
				return err
			}
		case "lang":
			if !m.val.isString() || (m.val.s != "painless" && m.val.s != "expression") {
				return forbidden("script language %s", describe(m.val))
			}
		case "params", "options":
			if err := needObject(m.val); err != nil {
				return err
			}
		case "id":
			return forbidden("stored script")
		default:
			return forbidden("script key %q", m.key)
		}
	}
	if src != 1 {
		return forbidden("script needs exactly one inline source")
	}
	return nil
}

func scriptSource(v *value) error {
	if !v.isString() {
		return malformed("script source is not a string")
	}
	if len(v.s) > maxScript {
		return forbidden("script source over %d bytes", maxScript)
	}
	return nil
}

// describe names a value for an error message without echoing long input.
func describe(v *value) string {
	switch v.kind {
	case kObject:
		return "an object"
	case kArray:
		return "an array"
	case kString:
		if len(v.s) > 64 {
			return "a long string"
		}
		return strconv.Quote(v.s)
	case kNumber:
		if len(v.s) > 64 {
			return "a long number"
		}
		return v.s
	case kTrue:
		return "true"
	case kFalse:
		return "false"
	}
	return "null"
}

// needEmptyObject accepts only {}.
func needEmptyObject(v *value) error {
	if !v.isObject() {
		return malformed("want an object")
	}
	if len(v.members) != 0 {
		return forbidden("runtime_mappings with fields (they can replace the time field)")
	}
	return nil
}
