package search

import (
	"encoding/json"
	"errors"
	"fmt"
)

// TSVB checks POST /api/metrics/vis/data. TSVB's server builds its
// Elasticsearch requests from the panel model the browser sends (index,
// fields, queries), so the panels are replaced by savedPanels: the saved
// visualization's params, one panel object or an array of them. The
// forwarded body:
//   - panels: savedPanels, verbatim, except that when Scope.Filters is
//     non-empty every ignore_global_filter(s) flag is set to 0, because the
//     share's filters travel as global filters and must not be ignored;
//   - timerange: min and max clamped into the window (anything that is not an
//     absolute time becomes the window's edge), timezone kept;
//   - filters: the client's (checked like query DSL), then Scope.Filters as
//     Kibana filter objects;
//   - query, state, savedObjectId kept; session members dropped.
//
// Index names inside saved panels are the saved object's and are not passed
// to AllowIndex. Saved series offsets (offset_time) still move a series
// outside the window: that is the saved object's meaning.
func TSVB(body []byte, sc Scope, savedPanels json.RawMessage) ([]byte, error) {
	rw, err := newRewriter(sc, false)
	if err != nil {
		return nil, err
	}
	panels, err := rw.savedPanels(savedPanels)
	if err != nil {
		return nil, err
	}
	root, err := parseObject(body)
	if err != nil {
		return nil, err
	}
	out := sized(len(root.members))
	for _, m := range root.members {
		var err error
		switch m.key {
		case "panels":
			m.val = panels
		case "timerange":
			m.val, err = rw.timerange(m.val, "min", "max", "timezone")
		case "filters":
			m.val, err = rw.globalFilters(m.val)
		case "query":
			err = checkQueryBar(m.val)
		case "state":
			err = needObject(m.val)
		case "savedObjectId":
			err = needString(m.val)
		case "searchSession", "sessionId", "searchSessionId":
			continue
		default:
			err = forbidden("TSVB key %q", m.key)
		}
		if err != nil {
			return nil, at(m.key, err)
		}
		out.members = append(out.members, m)
	}
	ensure(out, "panels", func() *value { return panels })
	ensure(out, "timerange", func() *value {
		tr, _ := rw.timerange(newObject(), "min", "max", "timezone")
		return tr
	})
	if len(rw.filters) > 0 {
		ensure(out, "filters", func() *value {
			f, _ := rw.globalFilters(newArray())
			return f
		})
	}
	return encode(out, len(body)+len(savedPanels)+256), nil
}

// ensure appends key with mk() when out lacks it.
func ensure(out *value, key string, mk func() *value) {
	if out.get(key) == nil {
		out.members = append(out.members, member{key, mk()})
	}
}

var errSavedPanels = errors.New("search: saved TSVB panels are not a JSON object or array")

func (rw *rewriter) savedPanels(raw json.RawMessage) (*value, error) {
	p, err := parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errSavedPanels, err)
	}
	switch p.kind {
	case kObject:
		p = newArray(p)
	case kArray:
	default:
		return nil, errSavedPanels
	}
	if len(rw.filters) > 0 {
		for _, panel := range p.members {
			honourGlobalFilters(panel.val)
		}
	}
	return p, nil
}

// honourGlobalFilters clears the TSVB flags that make a panel, a series or
// an annotation skip global filters.
func honourGlobalFilters(panel *value) {
	zero := func(v *value, key string) {
		if v.get(key) != nil {
			v.set(key, newNumber(0))
		}
	}
	zero(panel, "ignore_global_filter")
	for _, list := range []string{"series", "annotations"} {
		if l := panel.get(list); l.isArray() {
			for _, e := range l.members {
				zero(e.val, "ignore_global_filter")
				zero(e.val, "ignore_global_filters")
			}
		}
	}
}

// timerange clamps the from/to members of a TSVB timerange or Timelion
// time object; other members must be strings (timezone, interval, mode).
func (rw *rewriter) timerange(v *value, fromKey, toKey string, keep ...string) (*value, error) {
	if !v.isObject() {
		return nil, malformed("not an object")
	}
	out := sized(len(v.members))
	for _, m := range v.members {
		switch {
		case m.key == fromKey:
			m.val = rw.win.clampBound(m.val, rw.win.from)
		case m.key == toKey:
			m.val = rw.win.clampBound(m.val, rw.win.to)
		case contains(keep, m.key):
			if err := needString(m.val); err != nil {
				return nil, at(m.key, err)
			}
		default:
			return nil, forbidden("time key %q", m.key)
		}
		out.members = append(out.members, m)
	}
	ensure(out, fromKey, func() *value { return rw.win.clampBound(nil, rw.win.from) })
	ensure(out, toKey, func() *value { return rw.win.clampBound(nil, rw.win.to) })
	return out, nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// globalFilters checks the client's Kibana filter objects and appends the
// share's filters in the same form. A filter {meta, query:<clause>} is the
// custom-filter shape every Kibana line's buildEsQuery accepts.
func (rw *rewriter) globalFilters(v *value) (*value, error) {
	if !v.isArray() {
		return nil, malformed("not an array")
	}
	if err := scan(v); err != nil {
		return nil, err
	}
	out := &value{kind: kArray, members: append([]member(nil), v.members...)}
	for _, f := range rw.filters {
		meta := newObject(
			member{"alias", &value{kind: kNull}},
			member{"negate", &value{kind: kFalse}},
			member{"disabled", &value{kind: kFalse}})
		out.push(newObject(member{"meta", meta}, member{"query", f}))
	}
	return out, nil
}

// checkQueryBar checks the query bar: [{language, query}] (7.x+) or one
// such object (6.x). KQL and Lucene strings cannot name another index.
func checkQueryBar(v *value) error {
	list := []*value{v}
	switch {
	case v.isArray():
		list = v.elems()
	case !v.isObject():
		return malformed("not an array or object")
	}
	for _, q := range list {
		if !q.isObject() {
			return malformed("query is not an object")
		}
		for _, m := range q.members {
			if m.key != "language" && m.key != "query" {
				return forbidden("query key %q", m.key)
			}
			if m.key == "language" && !m.val.isString() {
				return malformed("language is not a string")
			}
		}
		if v := q.get("query"); v != nil && !v.isString() {
			if err := scan(v); err != nil {
				return err
			}
		}
	}
	return nil
}

// Timelion checks Timelion's run route (/api/timelion/run,
// /internal/timelion/run; OSD /api/timeline/run). The expression decides
// the indices, so sheet is forced to savedSheet; time.from and time.to are
// clamped like TSVB's timerange; extended.es.filter, the dashboard's filters
// as one query clause, is ANDed with Scope.Filters.
//
// TODO(kshare): a saved expression with .es(kibana=false) ignores
// extended.es.filter and with it Scope.Filters; refusing such sheets needs
// a Timelion expression parser, and shares with per-link filters on
// Timelion panels are rare.
func Timelion(body []byte, sc Scope, savedSheet []string) ([]byte, error) {
	if len(savedSheet) == 0 {
		return nil, errors.New("search: saved Timelion sheet is empty")
	}
	rw, err := newRewriter(sc, false)
	if err != nil {
		return nil, err
	}
	root, err := parseObject(body)
	if err != nil {
		return nil, err
	}
	sheet := newArray()
	for _, s := range savedSheet {
		sheet.push(newString(s))
	}
	out := sized(len(root.members))
	for _, m := range root.members {
		var err error
		switch m.key {
		case "sheet":
			m.val = sheet
		case "time":
			m.val, err = rw.timerange(m.val, "from", "to", "interval", "timezone", "mode")
		case "extended":
			m.val, err = rw.extended(m.val)
		case "searchSession", "sessionId", "searchSessionId":
			continue
		default:
			err = forbidden("Timelion key %q", m.key)
		}
		if err != nil {
			return nil, at(m.key, err)
		}
		out.members = append(out.members, m)
	}
	ensure(out, "sheet", func() *value { return sheet })
	ensure(out, "time", func() *value {
		t, _ := rw.timerange(newObject(), "from", "to")
		return t
	})
	if len(rw.filters) > 0 {
		ensure(out, "extended", func() *value {
			e, _ := rw.extended(newObject())
			return e
		})
	}
	return encode(out, len(body)+256), nil
}

// extended checks {es:{filter:<clause>}} and ANDs Scope.Filters into it.
func (rw *rewriter) extended(v *value) (*value, error) {
	if !v.isObject() {
		return nil, malformed("not an object")
	}
	for _, m := range v.members {
		if m.key != "es" {
			return nil, forbidden("extended key %q", m.key)
		}
	}
	es := v.get("es")
	if es == nil {
		es = newObject()
	}
	if !es.isObject() {
		return nil, malformed("es is not an object")
	}
	for _, m := range es.members {
		if m.key != "filter" {
			return nil, forbidden("extended.es key %q", m.key)
		}
	}
	filter := es.get("filter")
	if filter != nil {
		if !filter.isObject() {
			return nil, malformed("extended.es.filter is not an object")
		}
		if err := scan(filter); err != nil {
			return nil, err
		}
	}
	if len(rw.filters) > 0 {
		clauses := rw.filters
		if filter != nil {
			clauses = append([]*value{filter}, rw.filters...)
		}
		filter = newObject(member{"bool", newObject(member{"filter", newArray(clauses...)})})
	}
	if filter == nil {
		return newObject(member{"es", newObject()}), nil
	}
	return newObject(member{"es", newObject(member{"filter", filter})}), nil
}
