package search_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kshare/kshare/proxy/search"
)

// tileBody is a documents-layer requestBody as Kibana's maps write it:
// the client's own time range (2020) and a query in rison.
const tileBody = `(_source:!f,fields:!((field:order_date,format:epoch_millis),geoip.location),` +
	`query:(bool:(filter:!((range:(order_date:(format:strict_date_optional_time,gte:'2020-01-01T00:00:00.000Z',` +
	`lte:'2020-01-02T00:00:00.000Z')))),must:!(),must_not:!(),should:!())),` +
	`runtime_mappings:(),size:10000,sort:!((order_date:(order:desc,unmapped_type:boolean))),` +
	`stored_fields:!(geoip.location,order_date),track_total_hits:10001)`

func TestTile(t *testing.T) {
	t.Parallel()
	sc := scope(oct21From, oct21To, `{"term":{"team":"it's!"}}`)
	out, err := search.Tile(ecommerce, tileBody, sc)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`(range:(order_date:(gte:'2021-10-04T12:17:32.367Z',lte:'2021-10-11T12:17:32.367Z',format:strict_date_optional_time)))`,
		`(term:(team:'it!'s!!'))`,        // the share's filter, quoted with rison escapes
		`gte:'2020-01-01T00:00:00.000Z'`, // the client's range kept, inside the window's AND
		`size:10000`, `track_total_hits:10001`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("tile body lacks %s:\n%s", want, out)
		}
	}
	// What kshare forwards reads back to the same tree.
	again, err := search.Tile(ecommerce, out, sc)
	if err != nil || !strings.Contains(again, `(term:(team:'it!'s!!'))`) {
		t.Errorf("re-reading the forwarded body: %v\n%s", err, again)
	}

	bad := []struct {
		name, index, body string
		want              error
	}{
		{"another index", "other-*", tileBody, search.ErrForbidden},
		{"every index", "*", tileBody, search.ErrForbidden},
		{"global aggregation", ecommerce, `(aggs:(g:(global:())),size:0)`, search.ErrForbidden},
		{"runtime field", ecommerce, `(runtime_mappings:(order_date:(type:date)))`, search.ErrForbidden},
		{"duplicate key", ecommerce, `(size:1,size:2)`, search.ErrMalformed},
		{"case-variant key", ecommerce, `(query:(match_all:()),Query:(match_all:()))`, search.ErrMalformed},
		{"leading zero number", ecommerce, `(size:010)`, search.ErrMalformed},
		{"unterminated", ecommerce, `(size:1`, search.ErrMalformed},
		{"bad escape", ecommerce, `(q:'a!b')`, search.ErrMalformed},
		{"too deep", ecommerce, strings.Repeat("!(", 200) + strings.Repeat(")", 200), search.ErrMalformed},
		{"too long", ecommerce, "(a:'" + strings.Repeat("x", search.MaxTileBody) + "')", search.ErrTooLarge},
	}
	for _, c := range bad {
		if _, err := search.Tile(c.index, c.body, sc); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// FuzzTile: no rison input panics, and whatever is accepted re-reads.
func FuzzTile(f *testing.F) {
	f.Add(tileBody)
	f.Add(`(aggs:(gridSplit:(geotile_grid:(field:geoip.location,precision:8))),size:0)`)
	f.Add(`(a:!(!t,!f,!n,-1.5e3,'x!!y'))`)
	sc := scope(oct21From, oct21To)
	f.Fuzz(func(t *testing.T, body string) {
		out, err := search.Tile(ecommerce, body, sc)
		if err != nil {
			return
		}
		if _, err := search.Tile(ecommerce, out, sc); err != nil {
			t.Fatalf("forwarded body %q does not re-read: %v", out, err)
		}
	})
}
