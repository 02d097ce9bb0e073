package search_test

import (
	"encoding/json"
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
	// 8.x browsers encode the body once more; it reads the same.
	// (encodeURIComponent keeps !'() but escapes : and ,)
	encoded := strings.NewReplacer(":", "%3A", ",", "%2C").Replace(tileBody)
	twice, err := search.Tile(ecommerce, encoded, sc)
	if err != nil || twice != out {
		t.Errorf("an encoded body: %v\n%s\nwant\n%s", err, twice, out)
	}
	if strings.Contains(out, "%") {
		t.Errorf("forwarded body holds a %%: %s", out)
	}
	// A control-shaped tile is still held to the panel restrictions: Kibana
	// serves a hits tile whatever size and aggs say.
	rsc := scope(oct21From, oct21To)
	rsc.IndexFilters = func(string) []json.RawMessage {
		return []json.RawMessage{json.RawMessage(`{"term":{"panel":"only"}}`)}
	}
	rsc.ControlField = func(string, string) bool { return true }
	ctl, err := search.Tile(ecommerce, `(aggs:(a:(terms:(field:team.keyword))),fields:!(email),size:0,query:(term:(x:y)))`, rsc)
	if err != nil || !strings.Contains(ctl, "(term:(panel:only))") || !strings.Contains(ctl, "(term:(x:y))") {
		t.Errorf("control-shaped tile: %v\n%s", err, ctl)
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
		// Kibana 8.x decodes once more: a %27 inside a quoted string would
		// end it there and let a second query in (attack pass).
		{"percent escape", ecommerce, `(query:(match_all:()),fields:!('a%27),query:(match_all:()),fields:%21(%27'))`, search.ErrMalformed},
		{"stray percent", ecommerce, `(q:'50%')`, search.ErrMalformed},
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
