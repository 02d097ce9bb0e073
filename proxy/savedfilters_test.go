package proxy

import (
	"encoding/json"
	"testing"
)

func TestSavedFilterClauses(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"7.x phrase filter", `{"meta":{"index":"x","negate":false,"disabled":false},"query":{"match_phrase":{"a":"b"}},"$state":{"store":"appState"}}`,
			`{"match_phrase":{"a":"b"}}`},
		{"negated", `{"meta":{"negate":true},"query":{"match_phrase":{"a":"b"}}}`, `{"bool":{"must_not":[{"match_phrase":{"a":"b"}}]}}`},
		{"disabled", `{"meta":{"disabled":true},"query":{"match_phrase":{"a":"b"}}}`, ``},
		{"6.x range filter", `{"meta":{},"range":{"bytes":{"gte":1}}}`, `{"range":{"bytes":{"gte":1}}}`},
		{"unknown shape fails closed", `{"meta":{},"a":{},"b":{}}`, `{"match_none":{}}`},
		{"unreadable fails closed", `[1]`, `{"match_none":{}}`},
	}
	for _, tt := range tests {
		got := filterClause(json.RawMessage(tt.in))
		if string(got) != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	for in, want := range map[string]string{
		`{"language":"lucene","query":"geo.src:CN"}`:                     `{"query_string":{"analyze_wildcard":true,"query":"geo.src:CN"}}`,
		`{"language":"lucene","query":""}`:                               ``,
		`{"language":"kuery","query":"a:b"}`:                             ``,
		`{"language":"lucene","query":{"query_string":{"query":"*"}}}`:   ``,
		`{"language":"lucene","query":{"query_string":{"query":"x:1"}}}`: `{"query_string":{"query":"x:1"}}`,
	} {
		if got := luceneClause(json.RawMessage(in)); string(got) != want {
			t.Errorf("luceneClause(%s) = %s, want %s", in, got, want)
		}
	}
}
