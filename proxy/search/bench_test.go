package search_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/kshare/kshare/proxy/search"
)

func benchmark(b *testing.B, body []byte, f func([]byte) error) {
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := f(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBsearch4KB is the budget case: four Lens panels (one with a time
// shift) in one compact 4170-byte batch. Target ≤ 50 µs.
func BenchmarkBsearch4KB(b *testing.B) {
	sc := scope(jul21From, jul21To)
	benchmark(b, readFile(b, "bench-bsearch-4k.json"), func(body []byte) error {
		_, err := search.Bsearch(body, sc)
		return err
	})
}

// BenchmarkBsearchCaptured is the whole captured 9-panel batch, as the
// load-testing repo stores it (pretty-printed, 23.5 KB).
func BenchmarkBsearchCaptured(b *testing.B) {
	sc := scope(jul21From, jul21To)
	benchmark(b, readFile(b, "klt-2021-07/dashboard-bsearch1.json"), func(body []byte) error {
		_, err := search.Bsearch(body, sc)
		return err
	})
}

func BenchmarkMsearch6(b *testing.B) {
	sc := scope(apr18From, apr18To)
	benchmark(b, readFile(b, msearch6Fixture), func(body []byte) error {
		_, err := search.Msearch6(body, sc)
		return err
	})
}

func BenchmarkInternalSearch(b *testing.B) {
	sc := scope(jul21From, jul21To)
	benchmark(b, readFile(b, eseFixture), func(body []byte) error {
		_, err := search.InternalSearch(body, "ese", sc)
		return err
	})
}

func BenchmarkWrapResponseIDs(b *testing.B) {
	line := []byte(`{"id":0,"result":{"id":"FnQyVXpoaWV0UTVPYTFIdnNvY1o3Y2cbU2RnNXhreHFRMDI3N0VTYXhuT0FKQTo3NTEw",` +
		`"rawResponse":{"took":3,"timed_out":false,"hits":{"total":4675,"max_score":null,"hits":[]},` +
		`"aggregations":{"0":{"buckets":[{"key":1626652800000,"doc_count":143,"1":{"value":10023.5}}]}}},` +
		`"isPartial":false,"isRunning":false,"total":1,"loaded":1}}`)
	benchmark(b, line, func(body []byte) error {
		_, err := search.WrapResponseIDs(body, idKey, shareID)
		return err
	})
}

// BenchmarkWrapResponseIDsLarge is a saved-search answer: 500 hits of about
// 1 KB each, the id at the end (the worst place for the scan).
func BenchmarkWrapResponseIDsLarge(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"id":0,"result":{"rawResponse":{"took":3,"hits":{"total":4675,"hits":[`)
	for i := range 500 {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"_index":"kibana_sample_data_ecommerce","_id":"` + strconv.Itoa(i) +
			`","_source":{"customer_full_name":"Eddie Underwood","products":[` +
			strings.Repeat(`{"product_name":"Basic T-shirt - dark blue\/white","price":11.99},`, 12) +
			`{}]}}`)
	}
	sb.WriteString(`]}},"isPartial":false,"isRunning":false,` +
		`"id":"FnQyVXpoaWV0UTVPYTFIdnNvY1o3Y2cbU2RnNXhreHFRMDI3N0VTYXhuT0FKQTo3NTEw"}}`)
	benchmark(b, []byte(sb.String()), func(body []byte) error {
		_, err := search.WrapResponseIDs(body, idKey, shareID)
		return err
	})
}

// BenchmarkBaselineUnmarshal4KB decodes the 4 KB batch with encoding/json
// into generic values and does nothing else: a machine-independent yardstick
// for BenchmarkBsearch4KB on a busy host.
func BenchmarkBaselineUnmarshal4KB(b *testing.B) {
	benchmark(b, readFile(b, "bench-bsearch-4k.json"), func(body []byte) error {
		var v any
		return json.Unmarshal(body, &v)
	})
}

// BenchmarkTile is one maps documents-layer tile: rison to JSON, check,
// scope and back to rison.
func BenchmarkTile(b *testing.B) {
	sc := scope(oct21From, oct21To)
	benchmark(b, []byte(tileBody), func(body []byte) error {
		_, err := search.Tile(ecommerce, string(body), sc)
		return err
	})
}

// BenchmarkOptionsList is one 8.x options-list control request.
func BenchmarkOptionsList(b *testing.B) {
	sc := scope(oct21From, oct21To)
	benchmark(b, []byte(optionsBody), func(body []byte) error {
		_, err := search.OptionsList(ecommerce, body, sc)
		return err
	})
}
