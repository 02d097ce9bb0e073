package search_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kshare/kshare/proxy/search"
)

// bsearchFixtures are the captured submits (no async poll among them).
var bsearchFixtures = []struct {
	file     string
	from, to time.Time
}{
	{"klt-2021-07/dashboard-bsearch1.json", jul21From, jul21To},
	{"klt-2021-07/dashboard-bsearch2.json", jul21From, jul21To},
	{"klt-2021-07/dashboard-bsearch3.json", jul21From, jul21To},
	{"klt-2021-07/dashboard-bsearch4.json", jul21From, jul21To},
	{"klt-2021-07/dashboard-bsearch5.json", jul21From, jul21To},
	{"klt-2021-07/visualize-vega.json", jul21From, jul21To},
	{"klt-2021-10/dashboard-bsearch1.json", oct21From, oct21To},
	{"klt-2021-10/dashboard-bsearch2.json", oct21From, oct21To},
	{"klt-2021-10/dashboard-bsearch3.json", oct21From, oct21To},
}

// TestBsearchKeepsMeaning: in-window captured requests come out with the
// original query intact inside bool.filter, the window next to it, the aggs
// and every other body key untouched and the session options gone.
func TestBsearchKeepsMeaning(t *testing.T) {
	t.Parallel()
	for _, fx := range bsearchFixtures {
		t.Run(fx.file, func(t *testing.T) {
			t.Parallel()
			in := readFile(t, fx.file)
			out, err := search.Bsearch(in, scope(fx.from, fx.to))
			if err != nil {
				t.Fatal(err)
			}
			if err := search.StrictValid(out); err != nil {
				t.Fatalf("output does not re-parse strictly: %v", err)
			}
			want := decode(t, in)
			got := decode(t, out)
			items := path(t, want, "batch").([]any)
			for i := range items {
				checkItem(t, path(t, want, "batch", i), path(t, got, "batch", i),
					isoRange("order_date", fx.from, fx.to))
			}
		})
	}
}

// checkItem compares one rewritten bsearch item with the one sent.
func checkItem(t *testing.T, sent, got, window any) {
	t.Helper()
	sentBody := path(t, sent, "request", "params", "body").(map[string]any)
	gotBody := path(t, got, "request", "params", "body").(map[string]any)
	if diff := cmp.Diff(scopedQuery(sentBody["query"], window), gotBody["query"]); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
	delete(sentBody, "query")
	delete(gotBody, "query")
	if diff := cmp.Diff(sentBody, gotBody); diff != "" {
		t.Errorf("rest of body changed (-sent +forwarded):\n%s", diff)
	}
	wantOpts := path(t, sent, "options").(map[string]any)
	for _, k := range []string{"sessionId", "isStored", "isRestore"} {
		delete(wantOpts, k)
	}
	if diff := cmp.Diff(wantOpts, path(t, got, "options")); diff != "" {
		t.Errorf("options (-want +got):\n%s", diff)
	}
	wantParams := path(t, sent, "request", "params").(map[string]any)
	gotParams := path(t, got, "request", "params").(map[string]any)
	delete(wantParams, "body")
	delete(gotParams, "body")
	if diff := cmp.Diff(wantParams, gotParams); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
}

// TestBsearchOutOfWindow: a client asking for 2020 still gets the share's
// window around its query, so nothing from 2020 can match.
func TestBsearchOutOfWindow(t *testing.T) {
	t.Parallel()
	in := strings.ReplaceAll(string(readFile(t, "klt-2021-07/dashboard-bsearch4.json")),
		"2021-07-", "2020-01-")
	from, to := jul21From.Add(24*time.Hour), jul21To.Add(-24*time.Hour)
	out, err := search.Bsearch([]byte(in), scope(from, to))
	if err != nil {
		t.Fatal(err)
	}
	q := path(t, decode(t, out), "batch", 0, "request", "params", "body", "query")
	sent := path(t, decode(t, []byte(in)), "batch", 0, "request", "params", "body", "query")
	if diff := cmp.Diff(scopedQuery(sent, isoRange("order_date", from, to)), q); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
	if strings.Contains(string(out), "2021-07-19T15:57:34.890Z") {
		t.Errorf("the client's own window leaked into the scope: %s", out)
	}
}

func TestBsearchScopeFilters(t *testing.T) {
	t.Parallel()
	f1 := `{"match_phrase":{"customer_gender":"FEMALE"}}`
	f2 := `{"term":{"geoip.country_iso_code":"FR"}}`
	in := readFile(t, "klt-2021-07/dashboard-bsearch4.json")
	out, err := search.Bsearch(in, scope(jul21From, jul21To, f1, f2))
	if err != nil {
		t.Fatal(err)
	}
	q := path(t, decode(t, out), "batch", 0, "request", "params", "body", "query")
	sent := path(t, decode(t, in), "batch", 0, "request", "params", "body", "query")
	want := scopedQuery(sent, isoRange("order_date", jul21From, jul21To),
		decode(t, []byte(f1)), decode(t, []byte(f2)))
	if diff := cmp.Diff(want, q); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
}

func TestBsearchGolden(t *testing.T) {
	t.Parallel()
	out, err := search.Bsearch(readFile(t, "klt-2021-07/dashboard-bsearch3.json"),
		scope(jul21From, jul21To))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "bsearch-klt-2021-07-bsearch3.json", out)
}

// TestBsearchPoll covers the captured async polls: the raw Elasticsearch id
// the capture holds is refused; the same id bound to this share goes through
// unbound; bound to another share or tampered with, it is refused.
func TestBsearchPoll(t *testing.T) {
	t.Parallel()
	polls := []struct{ file, id string }{
		{"klt-2021-07/dashboard-bsearch6.json",
			"FnQyVXpoaWV0UTVPYTFIdnNvY1o3Y2cbU2RnNXhreHFRMDI3N0VTYXhuT0FKQTo3NTEw"},
		{"klt-2021-10/dashboard-bsearch4.json",
			"FkZtdEVvTEZrVEpDWnBHUmJTVWNjT1EcTFFURnlpS0VUdTJGQU5yUEdnX29lZzoxMTEyMA=="},
	}
	for _, p := range polls {
		raw := string(readFile(t, p.file))
		from, to := jul21From, jul21To
		if strings.HasPrefix(p.file, "klt-2021-10") {
			from, to = oct21From, oct21To
		}
		sc := scope(from, to)
		bound := search.BindID(idKey, shareID, p.id)
		tampered := bound[:len(bound)-2] + "AA"
		cases := []struct {
			name, id string
			ok       bool
		}{
			{"raw id", p.id, false},
			{"bound", bound, true},
			{"other share", search.BindID(idKey, "share-2", p.id), false},
			{"other key", search.BindID([]byte("another key, 16+ bytes"), shareID, p.id), false},
			{"tampered", tampered, false},
		}
		for _, c := range cases {
			t.Run(p.file+"/"+c.name, func(t *testing.T) {
				body := strings.Replace(raw, p.id, c.id, 1)
				out, err := search.Bsearch([]byte(body), sc)
				if !c.ok {
					if !errors.Is(err, search.ErrForbidden) {
						t.Fatalf("err = %v, want ErrForbidden", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				got := path(t, decode(t, out), "batch", 0, "request", "id")
				if got != p.id {
					t.Errorf("forwarded id = %v, want %v", got, p.id)
				}
			})
		}
	}
}

func TestBsearchRefusals(t *testing.T) {
	t.Parallel()
	base := readFile(t, "klt-2021-07/dashboard-bsearch4.json")
	item := func(v map[string]any) map[string]any {
		return path(t, v, "batch", 0).(map[string]any)
	}
	params := func(v map[string]any) map[string]any {
		return path(t, v, "batch", 0, "request", "params").(map[string]any)
	}
	cases := []struct {
		name string
		edit func(v map[string]any)
		want error
	}{
		{"other index", func(v map[string]any) { params(v)["index"] = "secret-index" }, search.ErrForbidden},
		{"missing index", func(v map[string]any) { delete(params(v), "index") }, search.ErrForbidden},
		{"empty index", func(v map[string]any) { params(v)["index"] = "" }, search.ErrForbidden},
		{"strategy esql", func(v map[string]any) {
			item(v)["options"].(map[string]any)["strategy"] = "esql"
		}, search.ErrForbidden},
		{"project routing", func(v map[string]any) {
			item(v)["options"].(map[string]any)["projectRouting"] = "_alias:*"
		}, search.ErrForbidden},
		{"unknown option", func(v map[string]any) {
			item(v)["options"].(map[string]any)["indexPattern"] = map[string]any{}
		}, search.ErrForbidden},
		{"unknown request key", func(v map[string]any) {
			item(v)["request"].(map[string]any)["indexType"] = "rollup"
		}, search.ErrForbidden},
		{"unknown params key", func(v map[string]any) { params(v)["routing"] = "x" }, search.ErrForbidden},
		{"expand wildcards all", func(v map[string]any) { params(v)["expand_wildcards"] = "all" }, search.ErrForbidden},
		{"no request", func(v map[string]any) { delete(item(v), "request") }, search.ErrMalformed},
		{"extra top-level key", func(v map[string]any) { v["x"] = 1 }, search.ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := search.Bsearch(editJSON(t, base, c.edit), scope(jul21From, jul21To))
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestBsearchStripsSessions(t *testing.T) {
	t.Parallel()
	in := readFile(t, "klt-2021-07/dashboard-bsearch1.json")
	out, err := search.Bsearch(in, scope(jul21From, jul21To))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"sessionId", "isStored", "isRestore", "c6b4f1a6"} {
		if strings.Contains(string(out), k) {
			t.Errorf("forwarded body still holds %q", k)
		}
	}
}
