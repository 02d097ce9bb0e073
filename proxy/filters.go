package proxy

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// LinkFilter is a share's per-link data filter: field/value terms combined
// with AND or OR, and optionally one raw Elasticsearch query clause, added
// to every search the share's panels make. Recipients never see it.
type LinkFilter struct {
	Op    string          `json:"op"` // "and" or "or"
	Terms []FilterTerm    `json:"terms,omitempty"`
	Query json.RawMessage `json:"query,omitempty"`
}

// FilterTerm is one field=value condition (an exact phrase match).
type FilterTerm struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

// ErrBadFilter is returned for filter flags that cannot be used.
var ErrBadFilter = errors.New("bad filter")

// EncodeFilters turns --filter field=value flags, --filter-op and an
// optional raw query clause into the JSON a share stores ("" for none).
func EncodeFilters(kvs []string, op, rawQuery string) (string, error) {
	f := LinkFilter{Op: strings.ToLower(op)}
	if f.Op == "" {
		f.Op = "and"
	}
	if f.Op != "and" && f.Op != "or" {
		return "", fmt.Errorf("%w: --filter-op %q: want and or or", ErrBadFilter, op)
	}
	for _, kv := range kvs {
		field, value, ok := strings.Cut(kv, "=")
		field = strings.TrimSpace(field)
		if !ok || field == "" || strings.ContainsAny(field, " \t\"\\") {
			return "", fmt.Errorf("%w: --filter %q: want field=value", ErrBadFilter, kv)
		}
		f.Terms = append(f.Terms, FilterTerm{Field: field, Value: value})
	}
	if rawQuery != "" {
		var clause map[string]json.RawMessage
		if err := json.Unmarshal([]byte(rawQuery), &clause); err != nil || len(clause) != 1 {
			return "", fmt.Errorf("%w: --filter-query must be one JSON query clause such as "+
				`{"term":{"region":"eu"}}`, ErrBadFilter)
		}
		f.Query = json.RawMessage(rawQuery)
	}
	if len(f.Terms) == 0 && f.Query == nil {
		return "", nil
	}
	b, err := json.Marshal(f)
	return string(b), err
}

// filterClauses returns the Elasticsearch clauses a share's filter adds to
// every search item's bool.filter. A stored filter that does not parse
// yields an error: the search is refused rather than run unfiltered.
func filterClauses(stored string) ([]json.RawMessage, error) {
	if stored == "" {
		return nil, nil
	}
	var f LinkFilter
	if err := json.Unmarshal([]byte(stored), &f); err != nil {
		return nil, fmt.Errorf("%w: stored filter: %v", ErrBadFilter, err)
	}
	var terms []json.RawMessage
	for _, t := range f.Terms {
		b, _ := json.Marshal(map[string]any{"match_phrase": map[string]any{t.Field: t.Value}})
		terms = append(terms, b)
	}
	var out []json.RawMessage
	switch {
	case len(terms) == 0:
	case f.Op == "or":
		b, _ := json.Marshal(map[string]any{"bool": map[string]any{
			"should": terms, "minimum_should_match": 1}})
		out = append(out, b)
	default:
		out = append(out, terms...)
	}
	if f.Query != nil {
		out = append(out, f.Query)
	}
	return out, nil
}
