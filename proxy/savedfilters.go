package proxy

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/kshare/kshare/tokens"
)

// savedClauses returns the shared dashboard's own saved filters and Lucene
// query as Elasticsearch clauses, so that removing them from _a in the
// address bar shows nothing more: kshare adds them to every search item
// next to the window. Filters that are disabled are skipped; negated ones
// become must_not.
// Filters and queries saved on single panels are held per index instead
// (panelfilters.go).
func (s *Server) savedClauses(ctx context.Context, sh *tokens.Share) ([]json.RawMessage, error) {
	if sh.Kind != "dashboard" {
		return nil, nil
	}
	obj, err := s.opt.Objects.Object(ctx, sh.Space, "dashboard", sh.ObjectID)
	if err != nil {
		return nil, err
	}
	var meta struct {
		SearchSourceJSON string `json:"searchSourceJSON"`
	}
	if raw, ok := obj.Attributes["kibanaSavedObjectMeta"]; !ok || json.Unmarshal(raw, &meta) != nil {
		return nil, nil
	}
	var src struct {
		Query  json.RawMessage   `json:"query"`
		Filter []json.RawMessage `json:"filter"`
	}
	if json.Unmarshal([]byte(meta.SearchSourceJSON), &src) != nil {
		return nil, nil
	}
	return savedSearchClauses(src.Filter, src.Query)
}

// savedSearchClauses turns saved filters and queries (a search source's,
// a Lens state's, a map layer's) into the clauses they AND together. A
// query kshare cannot translate is an error; callers refuse or match
// nothing, never drop it.
func savedSearchClauses(filters []json.RawMessage, queries ...json.RawMessage) ([]json.RawMessage, error) {
	var out []json.RawMessage
	for _, f := range filters {
		if c := filterClause(f); c != nil {
			out = append(out, c)
		}
	}
	for _, q := range queries {
		c, err := queryClause(q)
		if err != nil {
			return nil, err
		}
		if c != nil {
			out = append(out, c)
		}
	}
	return out, nil
}

// filterClause turns one saved Kibana filter into a query clause: its
// "query" member (7.x+), or the filter itself minus meta and $state (6.x
// range, exists and geo filters sit at the top level). A disabled filter
// gives nil; one kshare cannot read gives match_none, so it fails closed.
func filterClause(raw json.RawMessage) json.RawMessage {
	var f map[string]json.RawMessage
	if json.Unmarshal(raw, &f) != nil {
		return matchNone
	}
	var meta struct {
		Disabled bool `json:"disabled"`
		Negate   bool `json:"negate"`
	}
	_ = json.Unmarshal(f["meta"], &meta)
	if meta.Disabled {
		return nil
	}
	delete(f, "meta")
	delete(f, "$state")
	clause := f["query"]
	if clause == nil {
		if len(f) != 1 {
			return matchNone
		}
		b, _ := json.Marshal(f)
		clause = b
	}
	if meta.Negate {
		b, _ := json.Marshal(map[string]any{"bool": map[string]any{"must_not": []json.RawMessage{clause}}})
		return b
	}
	return clause
}

// queryClause turns the saved query into a clause: Lucene as query_string,
// KQL through kqlClause (an untranslatable one is an error, so the share's
// searches are refused rather than run without it).
func queryClause(raw json.RawMessage) (json.RawMessage, error) {
	var q struct {
		Language string `json:"language"`
		Query    any    `json:"query"`
	}
	if json.Unmarshal(raw, &q) != nil {
		return nil, nil
	}
	if text, ok := q.Query.(string); ok && q.Language == "kuery" && strings.TrimSpace(text) != "" {
		return kqlClause(text)
	}
	return luceneClause(raw), nil
}

// luceneClause turns a saved Lucene query into a query_string clause; an
// empty query, and KQL, give none.
func luceneClause(raw json.RawMessage) json.RawMessage {
	var q struct {
		Language string          `json:"language"`
		Query    json.RawMessage `json:"query"`
	}
	if json.Unmarshal(raw, &q) != nil || q.Language != "lucene" {
		return nil
	}
	var text string
	if json.Unmarshal(q.Query, &text) == nil {
		if strings.TrimSpace(text) == "" || strings.TrimSpace(text) == "*" {
			return nil
		}
		b, _ := json.Marshal(map[string]any{"query_string": map[string]any{
			"query": text, "analyze_wildcard": true}})
		return b
	}
	// 6.x stores the query as DSL: {"query_string":{"query":"*"}}.
	var dsl map[string]map[string]any
	if json.Unmarshal(q.Query, &dsl) == nil {
		if qs, ok := dsl["query_string"]; ok && (qs["query"] == "*" || qs["query"] == "") {
			return nil
		}
		return q.Query
	}
	return nil
}
