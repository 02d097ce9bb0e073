package search_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kshare/kshare/proxy/search"
)

// optionsBody is an 8.x options-list control request: the browser's own
// filters (here a 2020 range) and what to list.
const optionsBody = `{"size":10,"fieldName":"category.keyword","allowExpensiveQueries":true,` +
	`"sort":{"by":"_count","direction":"desc"},"searchString":"Wo","searchTechnique":"prefix",` +
	`"selectedOptions":["Women's Clothing"],"runtimeFieldMap":{},` +
	`"fieldSpec":{"name":"category.keyword","type":"string","aggregatable":true},` +
	`"filters":[{"bool":{"filter":[{"range":{"order_date":{"gte":"2020-01-01T00:00:00.000Z","lte":"2030-01-01T00:00:00.000Z"}}}]}}]}`

func TestOptionsList(t *testing.T) {
	t.Parallel()
	sc := scope(oct21From, oct21To, `{"term":{"team":"red"}}`)
	out, err := search.OptionsList(ecommerce, []byte(optionsBody), sc)
	if err != nil {
		t.Fatal(err)
	}
	got := string(out)
	for _, want := range []string{
		`"filters":[{"bool":{"filter":[{"bool":{"filter":[{"bool":{"filter":[{"range":{"order_date":{"gte":"2020-01-01T00:00:00.000Z"`,
		`{"range":{"order_date":{"gte":"2021-10-04T12:17:32.367Z","lte":"2021-10-11T12:17:32.367Z"`,
		`{"term":{"team":"red"}}`, `"fieldName":"category.keyword"`, `"selectedOptions":["Women's Clothing"]`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("forwarded body lacks %s:\n%s", want, got)
		}
	}
	edit := func(old, new string) string { return strings.Replace(optionsBody, old, new, 1) }
	bad := []struct {
		name, index, body string
		want              error
	}{
		{"another index", "kibana_sample_data_logs", optionsBody, search.ErrForbidden},
		{"every index", "*", optionsBody, search.ErrForbidden},
		{"runtime field", ecommerce, edit(`"runtimeFieldMap":{}`, `"runtimeFieldMap":{"order_date":{"type":"date"}}`), search.ErrForbidden},
		{"scripted field spec", ecommerce, edit(`"aggregatable":true`, `"aggregatable":true,"script":"1","scripted":true`), search.ErrForbidden},
		{"unknown key", ecommerce, edit(`"size":10`, `"size":10,"index":"other"`), search.ErrForbidden},
		{"stored script in a filter", ecommerce, edit(`{"bool":{"filter":[{"range"`, `{"script":{"script":{"id":"x"}},"bool":{"filter":[{"range"`), search.ErrForbidden},
		{"no field", ecommerce, `{"size":10,"allowExpensiveQueries":true}`, search.ErrMalformed},
		{"duplicate key", ecommerce, edit(`"size":10`, `"size":10,"size":11`), search.ErrMalformed},
		{"options not strings", ecommerce, edit(`["Women's Clothing"]`, `[{"a":1}]`), search.ErrMalformed},
		{"huge size", ecommerce, edit(`"size":10`, `"size":100000`), search.ErrForbidden},
	}
	for _, c := range bad {
		if _, err := search.OptionsList(c.index, []byte(c.body), sc); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}
