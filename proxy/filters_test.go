package proxy

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestEncodeFiltersAndClauses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		kvs        []string
		op, query  string
		wantJSON   string
		wantClause string
		err        bool
	}{
		{name: "none", wantJSON: ""},
		{name: "and", kvs: []string{"customer_gender=FEMALE", "geoip.country_iso_code=US"},
			wantClause: `[{"match_phrase":{"customer_gender":"FEMALE"}},{"match_phrase":{"geoip.country_iso_code":"US"}}]`},
		{name: "or", kvs: []string{"a=1", "b=x=y"}, op: "OR",
			wantClause: `[{"bool":{"minimum_should_match":1,"should":[{"match_phrase":{"a":"1"}},{"match_phrase":{"b":"x=y"}}]}}]`},
		{name: "raw query", query: `{"term":{"region":"eu"}}`, wantClause: `[{"term":{"region":"eu"}}]`},
		{name: "bad op", kvs: []string{"a=1"}, op: "xor", err: true},
		{name: "no equals", kvs: []string{"a"}, err: true},
		{name: "empty field", kvs: []string{"=1"}, err: true},
		{name: "two clauses in raw query", query: `{"term":{"a":1},"match":{"b":2}}`, err: true},
		{name: "raw query not JSON", query: `{term`, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EncodeFilters(tt.kvs, tt.op, tt.query)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				if !errors.Is(err, ErrBadFilter) {
					t.Errorf("error %v is not ErrBadFilter", err)
				}
				return
			}
			if tt.wantClause == "" {
				if got != tt.wantJSON {
					t.Errorf("EncodeFilters = %q, want %q", got, tt.wantJSON)
				}
				return
			}
			cl, err := filterClauses(got)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(cl)
			if string(b) != tt.wantClause {
				t.Errorf("clauses = %s, want %s", b, tt.wantClause)
			}
		})
	}
	if _, err := filterClauses("{broken"); err == nil {
		t.Error("a broken stored filter gave no error")
	}
}
