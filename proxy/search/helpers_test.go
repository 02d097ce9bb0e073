package search_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kshare/kshare/proxy/search"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/golden")

const (
	ecommerce = "kibana_sample_data_ecommerce"
	logstash  = "logstash-*"
	shareID   = "share-1"
)

var idKey = []byte("0123456789abcdef0123456789abcdef")

// The windows the fixtures were captured with (testdata/README.md).
var (
	jul21From = mustTime("2021-07-19T15:57:34.890Z")
	jul21To   = mustTime("2021-07-26T15:57:34.890Z")
	oct21From = mustTime("2021-10-04T12:17:32.367Z")
	oct21To   = mustTime("2021-10-11T12:17:32.367Z")
	apr18From = time.UnixMilli(1523310968000).UTC()
	apr18To   = time.UnixMilli(1523483768000).UTC()
)

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// scope is a share of the eCommerce sample data view (and 6.8's logstash-*)
// over [from, to].
func scope(from, to time.Time, filters ...string) search.Scope {
	sc := search.Scope{
		AllowIndex: func(index string) bool { return index == ecommerce || index == logstash },
		TimeField: func(index string) string {
			switch index {
			case ecommerce:
				return "order_date"
			case logstash:
				return "@timestamp"
			}
			return ""
		},
		From: from, To: to,
		IDKey: idKey, ShareID: shareID,
	}
	for _, f := range filters {
		sc.Filters = append(sc.Filters, json.RawMessage(f))
	}
	return sc
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decode reads JSON into generic values, numbers kept as text.
func decode(t testing.TB, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode: %v\n%s", err, b)
	}
	return v
}

// path walks decoded JSON: string steps index objects, int steps arrays.
func path(t testing.TB, v any, steps ...any) any {
	t.Helper()
	for i, s := range steps {
		switch s := s.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("path %v: step %d is not an object", steps, i)
			}
			v = m[s]
		case int:
			a, ok := v.([]any)
			if !ok || s >= len(a) {
				t.Fatalf("path %v: step %d is not an array with %d elements", steps, i, s+1)
			}
			v = a[s]
		}
	}
	return v
}

// isoRange and msRange are the window clauses the rewrite adds.
func isoRange(field string, from, to time.Time) any {
	return map[string]any{"range": map[string]any{field: map[string]any{
		"gte":    from.UTC().Format("2006-01-02T15:04:05.000Z"),
		"lte":    to.UTC().Format("2006-01-02T15:04:05.000Z"),
		"format": "strict_date_optional_time",
	}}}
}

func msRange(field string, from, to time.Time) any {
	return map[string]any{"range": map[string]any{field: map[string]any{
		"gte":    json.Number(itoa(from.UnixMilli())),
		"lte":    json.Number(itoa(to.UnixMilli())),
		"format": "epoch_millis",
	}}}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// scopedQuery is what a rewritten body's query must be.
func scopedQuery(orig, window any, filters ...any) any {
	if orig == nil {
		orig = map[string]any{"match_all": map[string]any{}}
	}
	clauses := append([]any{orig, window}, filters...)
	return map[string]any{"bool": map[string]any{"filter": clauses}}
}

// golden compares got with testdata/golden/name, pretty-printed for review.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	pretty := prettyJSON(t, got)
	file := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(file, pretty, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(pretty)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

// prettyJSON indents a JSON document or each line of NDJSON.
func prettyJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if err := json.Indent(&out, []byte(line), "", "  "); err != nil {
			t.Fatalf("indent: %v\n%s", err, line)
		}
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// editJSON decodes b, lets edit change it and encodes it again.
func editJSON(t testing.TB, b []byte, edit func(v map[string]any)) []byte {
	t.Helper()
	v := decode(t, b).(map[string]any)
	edit(v)
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
