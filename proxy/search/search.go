// Package search validates and rewrites the search requests a shared
// dashboard sends to Kibana, so that what reaches Kibana reads only the
// share's indices, only inside the share's time window and only through the
// share's own filters.
//
// Every entry point parses the body strictly – RFC 8259 JSON (NDJSON for
// 6.x), valid UTF-8, at most MaxBody bytes, nothing after the value, and no
// duplicate keys or keys differing only by case at any depth, because Go's
// encoding/json and Kibana's JSON.parse would read those differently – then
// checks each search item against allow-lists (index, body keys,
// aggregation types, query constructs, scripts), rewrites it and returns a
// body serialised from the checked tree: kshare never forwards the bytes
// the browser sent.
//
// # Time window
//
// Each item's query q becomes
//
//	{"bool":{"filter":[q, {"range":{<time field>:{gte: From, lte: To, ...}}}, Filters...]}}
//
// so q keeps its meaning inside the window (Lens time-shift ranges, Vega's
// bool.must range, saved-search filters all still apply) and nothing outside
// the window can match, whatever q asks for. The time field comes from
// Scope.TimeField; an index without one is refused, because the window could
// not be enforced. Aggregations see only matching documents; the few that
// can look past the query (global, significant_terms' background set,
// terms with min_doc_count 0) are refused or pinned to the window.
//
// # What the caller does
//
// The caller maps ErrForbidden to 403, ErrMalformed to 400, ErrTooLarge to
// 413 and any other error to 500 (those come from a broken Scope or saved
// object, not from the request). It also:
//   - refuses compressed request bodies and strips bsearch's response
//     compression (query compress=true from 7.16, header X-Chunk-Encoding in
//     7.11–7.15) so answer lines stay plain JSON for WrapResponseIDs;
//   - unbinds the async id in /internal/search/{strategy}/{id} paths (see
//     InternalSearchPoll) and in DELETE cancels (UnbindID);
//   - passes every answer that may carry an async id through WrapResponseIDs;
//   - refuses query-string parameters on the search routes it does not
//     understand (OSD's dataSourceId, _msearch's own parameters).
package search

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Scope is what one share may search.
type Scope struct {
	// AllowIndex reports whether index is a data view title or saved index
	// string of the shared object's closure. It must match exact strings, not
	// patterns: "logs-*" is allowed only if that very string is a title. nil
	// allows nothing.
	AllowIndex func(index string) bool
	// TimeField returns the data view time field for an index string as the
	// item names it. "" means none is known and the item is refused. nil is
	// the same as always "".
	TimeField func(index string) string
	// From and To bound the share's window (inclusive). Both must be set and
	// To must not be before From.
	From, To time.Time
	// Filters are extra Elasticsearch query clauses ANDed into every item:
	// the object's saved filters and per-link filters. They are trusted (they
	// come from kshare's own records) and are not checked against the
	// allow-lists, only parsed.
	Filters []json.RawMessage
	// IndexFilters, when set, returns extra trusted clauses for items on one
	// index (the union of what the shared object's panels on it may show);
	// nil or an empty answer adds none.
	IndexFilters func(index string) []json.RawMessage
	// ControlField, when set, reports whether an input control of the
	// shared object lists field of index. A body that only lists such a
	// field's values is scoped without IndexFilters and without its own
	// query (control.go).
	ControlField func(index, field string) bool
	// IDKey signs async-search ids handed to the browser (BindID). Shorter
	// than 16 bytes means no poll verifies.
	IDKey []byte
	// ShareID is the share async ids are bound to.
	ShareID string
}

// Outcomes callers tell apart. Errors wrap them with the detail (which key,
// aggregation or index) after a colon.
var (
	// ErrForbidden means the request asks for something the share does not
	// allow (403).
	ErrForbidden = errors.New("search not allowed")
	// ErrMalformed means the body is not strict JSON or NDJSON, or has
	// duplicate or case-variant keys (400).
	ErrMalformed = errors.New("malformed search")
	// ErrTooLarge means the body exceeds MaxBody (413).
	ErrTooLarge = errors.New("search body too large")
)

// MaxBody is the largest request body accepted, in bytes. Kibana's own
// limit for these routes is 1 MB by default (server.maxPayload); a batch of
// 25 Lens panels stays well under 100 KB.
const MaxBody = 4 << 20

// forbidden and malformed build wrapped sentinel errors.
func forbidden(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrForbidden}, args...)...)
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// isoLayout is how Kibana writes range bounds (Date.toISOString).
const isoLayout = "2006-01-02T15:04:05.000Z"

// window is the share's window with the bounds rounded inwards to whole
// milliseconds, the resolution of every form Kibana and Elasticsearch use.
type window struct {
	from, to       time.Time
	fromMS, toMS   int64
	fromISO, toISO string
}

func newWindow(sc Scope) (window, error) {
	if sc.From.IsZero() || sc.To.IsZero() || sc.To.Before(sc.From) {
		return window{}, errors.New("search: scope window is unset or inverted")
	}
	from := sc.From.UTC()
	if from.Nanosecond()%int(time.Millisecond) != 0 {
		from = from.Truncate(time.Millisecond).Add(time.Millisecond)
	}
	to := sc.To.UTC().Truncate(time.Millisecond)
	return window{
		from: from, to: to,
		fromMS: from.UnixMilli(), toMS: to.UnixMilli(),
		fromISO: from.Format(isoLayout), toISO: to.Format(isoLayout),
	}, nil
}

// clamp returns t moved into the window.
func (w window) clamp(t time.Time) time.Time {
	switch {
	case t.Before(w.from):
		return w.from
	case t.After(w.to):
		return w.to
	}
	return t
}

// clampBound rewrites one client time bound (TSVB timerange, Timelion time):
// an absolute time (ISO string or epoch milliseconds) is clamped into the
// window; anything else (date math, garbage, missing) becomes edge, the
// window's bound on that side. A number stays a number.
func (w window) clampBound(v *value, edge time.Time) *value {
	if v != nil && v.kind == kNumber {
		if ms, err := strconv.ParseInt(v.s, 10, 64); err == nil {
			return newNumber(w.clamp(time.UnixMilli(ms)).UnixMilli())
		}
		return newNumber(edge.UnixMilli())
	}
	t := edge
	if v.isString() {
		if p, err := time.Parse(time.RFC3339Nano, v.s); err == nil {
			t = w.clamp(p.UTC())
		}
	}
	return newString(t.UTC().Format(isoLayout))
}

// rewriter holds what one call needs to check and rewrite items.
type rewriter struct {
	sc      Scope
	win     window
	epoch   bool     // 6.x: range bounds in epoch_millis
	filters []*value // Scope.Filters, parsed
	index   string   // the item being rewritten (searchBody sets it) for IndexFilters
	control bool     // the item is an input control's (searchBody sets it)
}

func newRewriter(sc Scope, epoch bool) (*rewriter, error) {
	win, err := newWindow(sc)
	if err != nil {
		return nil, err
	}
	rw := &rewriter{sc: sc, win: win, epoch: epoch}
	for i, raw := range sc.Filters {
		f, err := parse(raw)
		if err == nil && !f.isObject() {
			err = errors.New("not an object")
		}
		if err != nil {
			// %v, not %w: a bad saved filter is kshare's fault, not a 400.
			return nil, fmt.Errorf("search: scope filter %d: %v", i, err)
		}
		rw.filters = append(rw.filters, f)
	}
	return rw, nil
}

// rangeClause is the window as a range query on field.
func (rw *rewriter) rangeClause(field string) *value {
	var bounds *value
	if rw.epoch {
		bounds = newObject(
			member{"gte", newNumber(rw.win.fromMS)},
			member{"lte", newNumber(rw.win.toMS)},
			member{"format", newString("epoch_millis")})
	} else {
		bounds = newObject(
			member{"gte", newString(rw.win.fromISO)},
			member{"lte", newString(rw.win.toISO)},
			member{"format", newString("strict_date_optional_time")})
	}
	return newObject(member{"range", newObject(member{field, bounds})})
}

// scoped ANDs q (match_all when nil) with the window on field and the
// scope's filters.
func (rw *rewriter) scoped(q *value, field string) *value {
	if q == nil {
		q = newObject(member{"match_all", newObject()})
	}
	clauses := make([]*value, 0, 2+len(rw.filters))
	clauses = append(clauses, q, rw.rangeClause(field))
	clauses = append(clauses, rw.filters...)
	if rw.sc.IndexFilters != nil && rw.index != "" && !rw.control {
		for _, raw := range rw.sc.IndexFilters(rw.index) {
			if f, err := parse(raw); err == nil && f.isObject() {
				clauses = append(clauses, f)
			} else {
				// A clause kshare built itself does not parse: match nothing
				// rather than drop the restriction.
				clauses = append(clauses, newObject(member{"match_none", newObject()}))
			}
		}
	}
	return newObject(member{"bool", newObject(member{"filter", newArray(clauses...)})})
}

// parseObject parses body and insists on a top-level object.
func parseObject(body []byte) (*value, error) {
	root, err := parse(body)
	if err != nil {
		return nil, err
	}
	if !root.isObject() {
		return nil, malformed("body is not a JSON object")
	}
	return root, nil
}

// rewriteList rewrites every element of a batch body {name:[…]} with fn and
// encodes {name:[rewritten…]}; an element's error names its position.
func rewriteList(body []byte, name string, list *value, fn func(*value) (*value, error)) ([]byte, error) {
	items := make([]*value, len(list.members))
	for i, it := range list.members {
		var err error
		if items[i], err = fn(it.val); err != nil {
			return nil, at(fmt.Sprintf("%s[%d]", name, i), err)
		}
	}
	out := newObject(member{name, newArray(items...)})
	return encode(out, len(body)+512*len(items)), nil
}
