package search

import "bytes"

// internalStrategies are the /internal/search/{strategy} strategies kshare
// forwards: plain and async Elasticsearch search, and OSD's. eql, sql,
// esql, esql_async and rollup are refused: their requests name indices and
// time ranges in other shapes (ES|QL's FROM clause) this package does not
// rewrite.
var internalStrategies = map[string]bool{
	"es": true, "ese": true,
	"opensearch": true, "opensearch-with-long-numerals": true,
}

// sessionKeys are search-session options, dropped wherever they appear:
// restoring a stored session replays results without the window check
// (kibana-api.md §2.10).
var sessionKeys = map[string]bool{
	"sessionId": true, "isStored": true, "isRestore": true,
	"isSearchStored": true, "searchSessionId": true,
}

// routingKeys send a search to another cluster, data source or project.
var routingKeys = map[string]bool{
	"data_source_id": true, "dataSourceId": true,
	"projectRouting": true, "project_routing": true,
}

// InternalSearch checks a submit to POST /internal/search/{strategy}
// (7.10+, 9.x, OSD): {params:{index, body, ...}, ...options}. strategy is
// the path segment. Session options are dropped; OSD data sources and 9.x
// project routing are refused.
func InternalSearch(body []byte, strategy string, sc Scope) ([]byte, error) {
	return internalSearch(body, strategy, sc, false)
}

// InternalSearchPoll checks a poll to POST /internal/search/{strategy}/{id}.
// wrappedID is the path's id as kshare handed it out (BindID); the id to put
// in the forwarded path is returned with the body. A poll may re-send the
// original params (7.10) – then they are checked like a submit's – or none,
// or only wait_for_completion_timeout (9.x); an empty body reads as {}.
func InternalSearchPoll(body []byte, strategy, wrappedID string, sc Scope) (string, []byte, error) {
	id, err := UnbindID(sc.IDKey, sc.ShareID, wrappedID)
	if err != nil {
		return "", nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	out, err := internalSearch(body, strategy, sc, true)
	if err != nil {
		return "", nil, err
	}
	return id, out, nil
}

func internalSearch(body []byte, strategy string, sc Scope, poll bool) ([]byte, error) {
	if !internalStrategies[strategy] {
		return nil, forbidden("search strategy %q", strategy)
	}
	rw, err := newRewriter(sc, false)
	if err != nil {
		return nil, err
	}
	root, err := parseObject(body)
	if err != nil {
		return nil, err
	}
	out, err := rw.envelope(root, strategy, poll)
	if err != nil {
		return nil, err
	}
	return encode(out, len(body)+512), nil
}

// envelope checks the members around params: the request options 8.x and
// 9.x clients put next to it.
func (rw *rewriter) envelope(root *value, strategy string, poll bool) (*value, error) {
	out := sized(len(root.members))
	for _, m := range root.members {
		var err error
		switch {
		case sessionKeys[m.key]:
			continue
		case routingKeys[m.key]:
			return nil, forbidden("search routing %q", m.key)
		case m.key == "params":
			m.val, err = rw.params(m.val, poll)
		case m.key == "strategy":
			if !m.val.isString() || m.val.s != strategy {
				err = forbidden("strategy %s differs from the path's", describe(m.val))
			}
		default:
			err = optionValue(m)
		}
		if err != nil {
			return nil, at(m.key, err)
		}
		out.members = append(out.members, m)
	}
	if !poll && root.get("params") == nil {
		return nil, forbidden("missing params")
	}
	return out, nil
}

// optionValue allows the request options Kibana's client serialises
// (getSerializableOptions) that do not change what is searched.
func optionValue(m member) error {
	switch m.key {
	case "legacyHitsTotal", "retrieveResults", "stream":
		return needBool(m.val)
	case "requestHash":
		return needString(m.val)
	case "executionContext":
		// Descriptive only (Kibana logs it and sends it as x-opaque-id).
		return needObject(m.val)
	}
	return forbidden("search option %q", m.key)
}

// params checks a request's params: the index, the body and the few search
// parameters Kibana's getSearchParams and the async strategies set.
func (rw *rewriter) params(v *value, poll bool) (*value, error) {
	if !v.isObject() {
		return nil, malformed("params is not an object")
	}
	if poll && v.get("index") == nil && v.get("body") == nil {
		return pollParams(v)
	}
	index, err := rw.checkIndex(v.get("index"))
	if err != nil {
		return nil, err
	}
	out := sized(len(v.members))
	for _, m := range v.members {
		switch m.key {
		case "index":
		case "body":
			if m.val, err = rw.searchBody(index, m.val); err != nil {
				return nil, err
			}
		default:
			if routingKeys[m.key] {
				return nil, forbidden("search routing %q", m.key)
			}
			if err := searchParam(m); err != nil {
				return nil, at(m.key, err)
			}
		}
		out.members = append(out.members, m)
	}
	if v.get("body") == nil {
		body, err := rw.searchBody(index, nil)
		if err != nil {
			return nil, err
		}
		out.members = append(out.members, member{"body", body})
	}
	return out, nil
}

// pollParams allows what a poll without the original request may carry.
func pollParams(v *value) (*value, error) {
	for _, m := range v.members {
		if m.key != "wait_for_completion_timeout" {
			return nil, forbidden("poll parameter %q", m.key)
		}
		if err := needString(m.val); err != nil {
			return nil, at(m.key, err)
		}
	}
	return v, nil
}

// searchParam checks one search parameter outside the body. The same
// rules hold for _msearch header lines.
func searchParam(m member) error {
	switch m.key {
	case "preference":
		if m.val.kind != kString && m.val.kind != kNumber {
			return malformed("not a string or number")
		}
		return nil
	case "track_total_hits":
		if m.val.kind != kNumber {
			return needBool(m.val)
		}
		return nil
	case "ignore_unavailable", "ignore_throttled", "rest_total_hits_as_int",
		"allow_no_indices":
		return needBool(m.val)
	case "wait_for_completion_timeout":
		return needString(m.val)
	case "expand_wildcards":
		// Wider values let a wildcard title reach hidden and closed indices
		// the data view never showed.
		// TODO(kshare): allow "all" for data views with allowHidden once
		// Scope carries that flag; no shared dashboard needs it yet.
		if !m.val.isString() || m.val.s != "open" {
			return forbidden("expand_wildcards %s", describe(m.val))
		}
		return nil
	case "search_type":
		if !m.val.isString() ||
			(m.val.s != "query_then_fetch" && m.val.s != "dfs_query_then_fetch") {
			return forbidden("search_type %s", describe(m.val))
		}
		return nil
	}
	return forbidden("search parameter %q", m.key)
}
