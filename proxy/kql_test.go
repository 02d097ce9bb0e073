package proxy

import (
	"errors"
	"testing"
)

func TestKQLClause(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`customer_gender:FEMALE`, `{"bool":{"minimum_should_match":1,"should":[{"match":{"customer_gender":"FEMALE"}}]}}`},
		{`category:"Men's Clothing"`, `{"bool":{"minimum_should_match":1,"should":[{"match_phrase":{"category":"Men's Clothing"}}]}}`},
		{`a:1 and not b:2`, `{"bool":{"filter":[{"bool":{"minimum_should_match":1,"should":[{"match":{"a":"1"}}]}},` +
			`{"bool":{"must_not":[{"bool":{"minimum_should_match":1,"should":[{"match":{"b":"2"}}]}}]}}]}}`},
		{`a:x OR a:y`, `{"bool":{"minimum_should_match":1,"should":[{"bool":{"minimum_should_match":1,"should":[{"match":{"a":"x"}}]}},` +
			`{"bool":{"minimum_should_match":1,"should":[{"match":{"a":"y"}}]}}]}}`},
		{`geo.src:(CN or US)`, `{"bool":{"minimum_should_match":1,"should":[{"bool":{"minimum_should_match":1,"should":[{"match":{"geo.src":"CN"}}]}},` +
			`{"bool":{"minimum_should_match":1,"should":[{"match":{"geo.src":"US"}}]}}]}}`},
		{`bytes >= 100`, `{"range":{"bytes":{"gte":"100"}}}`},
		{`products.product_name:*trouser*`, `{"bool":{"minimum_should_match":1,"should":[{"query_string":{"fields":["products.product_name"],"query":"*trouser*"}}]}}`},
		{`tags:*`, `{"exists":{"field":"tags"}}`},
		{`error`, `{"multi_match":{"lenient":true,"query":"error","type":"best_fields"}}`},
	}
	for _, tt := range tests {
		got, err := kqlClause(tt.in)
		if err != nil || string(got) != tt.want {
			t.Errorf("kqlClause(%q) = %s, %v\nwant %s", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{`a:`, `(a:1`, `a:1 )`, `a:{ b:c }`} {
		if _, err := kqlClause(bad); !errors.Is(err, errKQL) {
			t.Errorf("kqlClause(%q) err = %v, want errKQL", bad, err)
		}
	}
}
