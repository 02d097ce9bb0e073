package search_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kshare/kshare/proxy/search"
)

// requestError reports whether err is one a request can cause: the scopes
// the fuzzers use are valid, so anything else is a bug.
func requestError(err error) bool {
	return errors.Is(err, search.ErrForbidden) || errors.Is(err, search.ErrMalformed) ||
		errors.Is(err, search.ErrTooLarge)
}

// checkScoped fails unless body (decoded) carries exactly the window as the
// second clause of a top-level bool.filter.
func checkScoped(t *testing.T, body, window any) {
	t.Helper()
	b, ok := body.(map[string]any)
	if !ok {
		t.Fatalf("forwarded body is %T", body)
	}
	q, ok := b["query"].(map[string]any)
	if !ok || len(q) != 1 {
		t.Fatalf("forwarded query is not {bool}: %v", b["query"])
	}
	boolQ, ok := q["bool"].(map[string]any)
	if !ok || len(boolQ) != 1 {
		t.Fatalf("forwarded bool has other members: %v", q["bool"])
	}
	filter, ok := boolQ["filter"].([]any)
	if !ok || len(filter) != 2 {
		t.Fatalf("forwarded bool.filter is not [query, window]: %v", boolQ["filter"])
	}
	if diff := cmp.Diff(window, filter[1]); diff != "" {
		t.Fatalf("window clause (-want +got):\n%s", diff)
	}
}

func allowedIndex(t *testing.T, v any) {
	t.Helper()
	if v != ecommerce && v != logstash {
		t.Fatalf("forwarded index %v is not allowed", v)
	}
}

func addSeeds(f *testing.F, pattern string) {
	files, _ := filepath.Glob(filepath.Join("testdata", pattern))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzBsearch(f *testing.F) {
	addSeeds(f, "klt-*/*bsearch*.json")
	addSeeds(f, "klt-*/visualize-vega.json")
	addSeeds(f, "bench-bsearch-4k.json")
	poll, err := os.ReadFile("testdata/klt-2021-07/dashboard-bsearch6.json")
	if err != nil {
		f.Fatal(err)
	}
	id := "FnQyVXpoaWV0UTVPYTFIdnNvY1o3Y2cbU2RnNXhreHFRMDI3N0VTYXhuT0FKQTo3NTEw"
	f.Add(bytes.Replace(poll, []byte(id), []byte(search.BindID(idKey, shareID, id)), 1))
	f.Add([]byte(`{"batch":[{"request":{"id":"` + search.BindID(idKey, shareID, "x") + `"}}]}`))

	sc := scope(jul21From, jul21To)
	window := isoRange("order_date", jul21From, jul21To)
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := search.Bsearch(data, sc)
		if err != nil {
			if !requestError(err) {
				t.Fatalf("error without sentinel: %v", err)
			}
			return
		}
		if err := search.StrictValid(out); err != nil {
			t.Fatalf("output does not re-parse: %v\n%s", err, out)
		}
		for _, it := range path(t, decode(t, out), "batch").([]any) {
			req := path(t, it, "request").(map[string]any)
			params, _ := req["params"].(map[string]any)
			if params == nil {
				if _, ok := req["id"]; !ok {
					t.Fatalf("item without params or id forwarded: %v", it)
				}
				continue
			}
			if _, ok := params["index"]; !ok {
				if _, ok := req["id"]; !ok || len(params) > 1 {
					t.Fatalf("params without index forwarded: %v", params)
				}
				continue
			}
			allowedIndex(t, params["index"])
			checkScoped(t, params["body"], window)
		}
	})
}

func FuzzMsearch6(f *testing.F) {
	addSeeds(f, "*.ndjson")
	f.Add([]byte("{\"index\":\"logstash-*\"}\n{}\n"))
	f.Add([]byte("{\"index\":\"logstash-*\"}\r\n{\"query\":{\"match_all\":{}}}"))

	sc := scope(apr18From, apr18To)
	window := msRange("@timestamp", apr18From, apr18To)
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := search.Msearch6(data, sc)
		if err != nil {
			if !requestError(err) {
				t.Fatalf("error without sentinel: %v", err)
			}
			return
		}
		if !bytes.HasSuffix(out, []byte("\n")) {
			t.Fatalf("output does not end in a newline: %q", out)
		}
		lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
		if len(lines)%2 != 0 {
			t.Fatalf("odd line count %d", len(lines))
		}
		for i, line := range lines {
			if err := search.StrictValid([]byte(line)); err != nil {
				t.Fatalf("line %d does not re-parse: %v\n%s", i, err, line)
			}
			v := decode(t, []byte(line))
			if i%2 == 0 {
				allowedIndex(t, path(t, v, "index"))
			} else {
				checkScoped(t, v, window)
			}
		}
	})
}
