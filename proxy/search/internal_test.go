package search_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kshare/kshare/proxy/search"
)

const eseFixture = "kibana-7.10_internal-search-ese.reconstructed.json"

func TestInternalSearchGolden(t *testing.T) {
	t.Parallel()
	in := readFile(t, eseFixture)
	out, err := search.InternalSearch(in, "ese", scope(jul21From, jul21To))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "internal-search-ese-7.10.json", out)

	sent, got := decode(t, in), decode(t, out)
	want := scopedQuery(path(t, sent, "params", "body", "query"),
		isoRange("order_date", jul21From, jul21To))
	if diff := cmp.Diff(want, path(t, got, "params", "body", "query")); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(path(t, sent, "params", "body", "aggs"),
		path(t, got, "params", "body", "aggs")); diff != "" {
		t.Errorf("aggs changed:\n%s", diff)
	}
}

func TestInternalSearchEnvelope(t *testing.T) {
	t.Parallel()
	base := readFile(t, eseFixture)
	cases := []struct {
		name     string
		strategy string
		edit     func(v map[string]any)
		want     error // nil: accepted
	}{
		{"es strategy", "es", nil, nil},
		{"osd strategy", "opensearch", nil, nil},
		{"eql strategy", "eql", nil, search.ErrForbidden},
		{"esql strategy", "esql", nil, search.ErrForbidden},
		{"9.x options", "ese", func(v map[string]any) {
			v["legacyHitsTotal"] = false
			v["retrieveResults"] = true
			v["stream"] = true
			v["requestHash"] = "abc"
			v["sessionId"] = "s"
			v["isStored"] = false
			v["isRestore"] = false
		}, nil},
		{"projectRouting", "ese", func(v map[string]any) { v["projectRouting"] = "_alias:_origin" }, search.ErrForbidden},
		{"project_routing in params", "ese", func(v map[string]any) {
			v["params"].(map[string]any)["project_routing"] = "x"
		}, search.ErrForbidden},
		{"osd data_source_id", "opensearch", func(v map[string]any) { v["data_source_id"] = "ds-1" }, search.ErrForbidden},
		{"osd dataSourceId", "opensearch", func(v map[string]any) { v["dataSourceId"] = "ds-1" }, search.ErrForbidden},
		{"no params", "ese", func(v map[string]any) { delete(v, "params") }, search.ErrForbidden},
		{"strategy mismatch", "ese", func(v map[string]any) { v["strategy"] = "es" }, search.ErrForbidden},
		{"missing index", "ese", func(v map[string]any) {
			delete(v["params"].(map[string]any), "index")
		}, search.ErrForbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			body := base
			if c.edit != nil {
				body = editJSON(t, base, c.edit)
			}
			out, err := search.InternalSearch(body, c.strategy, scope(jul21From, jul21To))
			if c.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range []string{"sessionId", "isStored", "isRestore"} {
					if bytes.Contains(out, []byte(k)) {
						t.Errorf("%s forwarded", k)
					}
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestInternalSearchPoll(t *testing.T) {
	t.Parallel()
	id := "FlJnMFNEWWFLUTNDX3dxYUpMNnVmNGcdSmZBN0JkRHRTUWFyWlhMYnl0MjVyUToxMDM4NQ=="
	body := readFile(t, "kibana-7.10_internal-search-ese-poll.reconstructed.json")
	sc := scope(jul21From, jul21To)
	cases := []struct {
		name, wrapped string
		body          string
		ok            bool
	}{
		{"re-sent params", search.BindID(idKey, shareID, id), string(body), true},
		{"empty body", search.BindID(idKey, shareID, id), "", true},
		{"9.x wait only", search.BindID(idKey, shareID, id),
			`{"params":{"wait_for_completion_timeout":"100ms"}}`, true},
		{"poll param smuggling", search.BindID(idKey, shareID, id),
			`{"params":{"keep_alive":"100d"}}`, false},
		{"raw id", id, string(body), false},
		{"foreign share", search.BindID(idKey, "share-2", id), string(body), false},
		{"no key", search.BindID(nil, shareID, id), string(body), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sc := sc
			if c.name == "no key" {
				sc.IDKey = nil
			}
			got, out, err := search.InternalSearchPoll([]byte(c.body), "ese", c.wrapped, sc)
			if !c.ok {
				if !errors.Is(err, search.ErrForbidden) {
					t.Fatalf("err = %v, want ErrForbidden", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != id {
				t.Errorf("id = %q, want %q", got, id)
			}
			if err := search.StrictValid(out); err != nil {
				t.Errorf("output: %v", err)
			}
			if c.body == string(body) && !strings.Contains(string(out),
				`"gte":"2021-07-19T15:57:34.890Z","lte":"2021-07-26T15:57:34.890Z",`+
					`"format":"strict_date_optional_time"}}}]}}`) {
				t.Errorf("re-sent params not scoped: %s", out)
			}
		})
	}
}

// bodyWith is a minimal /internal/search body around a search body.
func bodyWith(searchBody string) []byte {
	return []byte(`{"params":{"index":"kibana_sample_data_ecommerce","body":` + searchBody + `}}`)
}

// TestBodyRules holds the body allow-list, the aggregation allow-list and
// the deep checks; every case names what the error must mention.
func TestBodyRules(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body string
		want       error  // nil: accepted
		mention    string // substring of the error
	}{
		{"empty body", `{}`, nil, ""},
		{"saved search",
			`{"version":true,"size":500,"sort":[{"order_date":{"order":"desc",` +
				`"unmapped_type":"boolean"}}],"highlight":{"fields":{"*":{}}},` +
				`"search_after":[1627315054890]}`, nil, ""},
		{"input control",
			`{"timeout":"1000ms","terminate_after":100000,"size":0,` +
				`"aggs":{"termsAgg":{"terms":{"field":"category.keyword",` +
				`"order":{"_count":"desc"},"size":5}}}}`, nil, ""},
		{"track_total_hits in body", `{"track_total_hits":true,"seq_no_primary_term":true}`, nil, ""},
		{"painless script field",
			`{"script_fields":{"x":{"script":{"source":"doc['taxful_total_price'].value * 2",` +
				`"lang":"painless"}}}}`, nil, ""},
		{"empty runtime mappings, as Kibana sends them", `{"runtime_mappings":{}}`, nil, ""},
		{"runtime field shadowing the time field",
			`{"runtime_mappings":{"order_date":{"type":"date",` +
				`"script":{"source":"emit(System.currentTimeMillis())"}}}}`, search.ErrForbidden, "runtime_mappings"},
		{"has_child with inner hits",
			`{"query":{"has_child":{"type":"c","query":{"match_all":{}},"inner_hits":{}}}}`, search.ErrForbidden, "has_child"},
		{"scripted field filter",
			`{"query":{"script":{"script":{"source":"doc['x'].value > params.v",` +
				`"lang":"painless","params":{"v":1}}}}}`, nil, ""},
		{"bucket script string",
			`{"aggs":{"a":{"date_histogram":{"field":"order_date","fixed_interval":"1d"},` +
				`"aggs":{"s":{"sum":{"field":"x"}},` +
				`"b":{"bucket_script":{"buckets_path":{"s":"s"},"script":"params.s / 2"}}}}}}`, nil, ""},
		{"suggest",
			`{"suggest":{"s":{"text":"x","term":{"field":"y"}}}}`, search.ErrForbidden, `"suggest"`},
		{"knn",
			`{"knn":{"field":"v","query_vector":[1],"k":1,"num_candidates":1}}`, search.ErrForbidden, `"knn"`},
		{"pit", `{"pit":{"id":"abc","keep_alive":"1m"}}`, search.ErrForbidden, `"pit"`},
		{"profile", `{"profile":true}`, search.ErrForbidden, `"profile"`},
		{"post_filter", `{"post_filter":{"match_all":{}}}`, search.ErrForbidden, `"post_filter"`},
		{"collapse", `{"collapse":{"field":"x"}}`, search.ErrForbidden, `"collapse"`},
		{"rescore", `{"rescore":{}}`, search.ErrForbidden, `"rescore"`},
		{"indices_boost", `{"indices_boost":[{"a":1}]}`, search.ErrForbidden, `"indices_boost"`},
		{"min_score", `{"min_score":1}`, search.ErrForbidden, `"min_score"`},
		{"explain", `{"explain":true}`, search.ErrForbidden, `"explain"`},
		{"retriever",
			`{"retriever":{"standard":{"query":{"match_all":{}}}}}`, search.ErrForbidden, `"retriever"`},
		{"size too large", `{"size":20000}`, search.ErrForbidden, "size"},
		{"from plus size", `{"from":9000,"size":2000}`, search.ErrForbidden, "from+size"},
		{"global agg",
			`{"aggs":{"all":{"global":{},"aggs":{"c":{"value_count":{"field":"x"}}}}}}`, search.ErrForbidden, `"global"`},
		{"nested global agg",
			`{"aggs":{"t":{"terms":{"field":"x"},"aggs":{"g":{"global":{}}}}}}`, search.ErrForbidden, "aggs.t.aggs.g"},
		{"scripted_metric",
			`{"aggs":{"m":{"scripted_metric":{"map_script":"state.x = 1"}}}}`, search.ErrForbidden, `"scripted_metric"`},
		{"significant_terms background",
			`{"aggs":{"s":{"significant_terms":{"field":"x",` +
				`"background_filter":{"match_all":{}}}}}}`, search.ErrForbidden, "background_filter"},
		{"significant_text",
			`{"aggs":{"s":{"significant_text":{"field":"x"}}}}`, search.ErrForbidden, `"significant_text"`},
		{"unknown agg",
			`{"aggs":{"a":{"adjacency_matrix":{"filters":{}}}}}`, search.ErrForbidden, `"adjacency_matrix"`},
		{"terms min_doc_count 0",
			`{"aggs":{"t":{"terms":{"field":"x","min_doc_count":0}}}}`, search.ErrForbidden, "min_doc_count"},
		{"histogram min_doc_count 0",
			`{"aggs":{"h":{"date_histogram":{"field":"order_date","fixed_interval":"1d",` +
				`"min_doc_count":0}}}}`, nil, ""},
		{"agg with two types",
			`{"aggs":{"a":{"sum":{"field":"x"},"avg":{"field":"x"}}}}`, search.ErrMalformed, "two types"},
		{"terms lookup",
			`{"query":{"terms":{"user":{"index":"users","id":"1","path":"f"}}}}`, search.ErrForbidden, "terms lookup"},
		{"terms lookup in filter agg",
			`{"aggs":{"f":{"filter":{"terms":{"user":{"index":"users","id":"1",` +
				`"path":"f"}}}}}}`, search.ErrForbidden, "terms lookup"},
		{"wrapper query", `{"query":{"wrapper":{"query":"e30="}}}`, search.ErrForbidden, "wrapper"},
		{"more_like_this",
			`{"query":{"more_like_this":{"like":[{"_index":"secret","_id":"1"}]}}}`, search.ErrForbidden, "more_like_this"},
		{"indexed shape",
			`{"query":{"geo_shape":{"g":{"indexed_shape":{"index":"shapes","id":"1"}}}}}`, search.ErrForbidden, "indexed shape"},
		{"lookup runtime field",
			`{"runtime_mappings":{"l":{"type":"lookup","target_index":"secret",` +
				`"input_field":"a","target_field":"b","fetch_fields":["c"]}}}`, search.ErrForbidden, "runtime_mappings"},
		{"stored script",
			`{"script_fields":{"x":{"script":{"id":"my-script"}}}}`, search.ErrForbidden, "stored script"},
		{"mustache script",
			`{"script_fields":{"x":{"script":{"source":"{{x}}","lang":"mustache"}}}}`, search.ErrForbidden, "mustache"},
		{"script in sort",
			`{"sort":[{"_script":{"type":"number","script":{"id":"s"},"order":"asc"}}]}`, search.ErrForbidden, "stored script"},
		{"long script",
			`{"script_fields":{"x":{"script":"` + strings.Repeat("1+", 9000) + `1"}}}`, search.ErrForbidden, "script source"},
		{"query not object", `{"query":[]}`, search.ErrMalformed, "query"},
		{"aggs and aggregations", `{"aggs":{},"aggregations":{}}`, search.ErrMalformed, "both"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, err := search.InternalSearch(bodyWith(c.body), "ese", scope(jul21From, jul21To))
			if c.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if err := search.StrictValid(out); err != nil {
					t.Fatalf("output: %v", err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.mention) {
				t.Errorf("err = %v, want it to mention %s", err, c.mention)
			}
		})
	}
}

// TestSignificantTermsPinned: the background set is the window, not the
// whole index.
func TestSignificantTermsPinned(t *testing.T) {
	t.Parallel()
	out, err := search.InternalSearch(
		bodyWith(`{"aggs":{"s":{"significant_terms":{"field":"category.keyword"}}}}`),
		"ese", scope(jul21From, jul21To))
	if err != nil {
		t.Fatal(err)
	}
	got := path(t, decode(t, out), "params", "body", "aggs", "s", "significant_terms", "background_filter")
	if diff := cmp.Diff(scopedQuery(nil, isoRange("order_date", jul21From, jul21To)), got); diff != "" {
		t.Errorf("background_filter (-want +got):\n%s", diff)
	}
}

func TestIndexRules(t *testing.T) {
	t.Parallel()
	sc := scope(jul21From, jul21To)
	titles := map[string]string{
		ecommerce: "order_date", "logs-*,metrics-*": "@timestamp", "logs-*": "@timestamp",
		"metrics-*": "@timestamp", "*": "@timestamp", "remote:logs": "@timestamp",
		"logs-*,-logs-secret": "@timestamp",
	}
	sc.AllowIndex = func(s string) bool { _, ok := titles[s]; return ok }
	sc.TimeField = func(s string) string { return titles[s] }
	cases := []struct {
		index string
		ok    bool
	}{
		{ecommerce, true},
		{"logs-*,metrics-*", true},  // a data view title, whole
		{"metrics-*,logs-*", false}, // parts allowed but no time field for the string
		{"logs-*", true},
		{"logs-2021", false}, // wildcard titles do not allow what they match
		{"kibana_sample_*", false},
		{ecommerce + ",secret", false},
		{"secret," + ecommerce, false},
		{"_all", false},
		{"*", false}, // even though AllowIndex knows it
		{"remote:logs", false},
		{"logs-*,-logs-secret", false},
		{ecommerce + ",", false},
		{"", false},
		{"<logs-{now/d}>", false},
		{"logs-* ", false},
	}
	for _, c := range cases {
		body := []byte(`{"params":{"index":` + quote(c.index) + `,"body":{}}}`)
		_, err := search.InternalSearch(body, "es", sc)
		if c.ok && err != nil {
			t.Errorf("index %q: %v", c.index, err)
		}
		if !c.ok && !errors.Is(err, search.ErrForbidden) {
			t.Errorf("index %q: err = %v, want ErrForbidden", c.index, err)
		}
	}
	_, err := search.InternalSearch([]byte(`{"params":{"index":["a"],"body":{}}}`), "es", sc)
	if !errors.Is(err, search.ErrForbidden) {
		t.Errorf("array index: err = %v", err)
	}
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	b.WriteString(strings.ReplaceAll(s, `"`, `\"`))
	b.WriteByte('"')
	return b.String()
}

// TestNoTimeField: an index the scope knows no time field for cannot hold
// the window, so it is refused even when allowed.
func TestNoTimeField(t *testing.T) {
	t.Parallel()
	sc := scope(jul21From, jul21To)
	sc.TimeField = nil
	_, err := search.InternalSearch(readFile(t, eseFixture), "ese", sc)
	if !errors.Is(err, search.ErrForbidden) || !strings.Contains(err.Error(), "time field") {
		t.Fatalf("err = %v, want ErrForbidden about the time field", err)
	}
}

// TestMalformed: strict parsing at every depth.
func TestMalformed(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, body string }{
		{"duplicate top-level",
			`{"params":{"index":"a","body":{}},` +
				`"params":{"index":"kibana_sample_data_ecommerce","body":{}}}`},
		{"duplicate index",
			`{"params":{"index":"secret","index":"kibana_sample_data_ecommerce",` +
				`"body":{}}}`},
		{"case-variant index",
			`{"params":{"Index":"secret","index":"kibana_sample_data_ecommerce",` +
				`"body":{}}}`},
		{"case-variant deep",
			`{"params":{"index":"kibana_sample_data_ecommerce",` +
				`"body":{"query":{"bool":{"filter":[{"range":{"order_date":{"gte":"2020",` +
				`"GTE":"2021"}}}]}}}}}`},
		{"duplicate deep",
			`{"params":{"index":"kibana_sample_data_ecommerce",` +
				`"body":{"aggs":{"1":{"sum":{"field":"a"}},"1":{"global":{}}}}}}`},
		{"escaped duplicate",
			`{"params":{"index":"kibana_sample_data_ecommerce","\u0069ndex":"secret",` +
				`"body":{}}}`},
		{"kelvin sign", "{\"params\":{\"index\":\"kibana_sample_data_ecommerce\",\"body\":{\"size\":0,\"\u212aey\":1,\"key\":2}}}"},
		{"trailing garbage", `{"params":{"index":"kibana_sample_data_ecommerce","body":{}}} x`},
		{"second object", `{"params":{"index":"kibana_sample_data_ecommerce","body":{}}}{}`},
		{"not an object", `[]`},
		{"truncated", `{"params":{"index":"kibana_sample_data_ecommerce","body":{}}`},
		{"invalid utf-8", "{\"params\":{\"index\":\"kibana_sample_data_ecommerce\xff\",\"body\":{}}}"},
		{"single quotes", `{'params':{}}`},
		{"trailing comma", `{"params":{"index":"kibana_sample_data_ecommerce","body":{},}}`},
		{"too deep", `{"params":{"index":"kibana_sample_data_ecommerce","body":{"query":` +
			strings.Repeat(`{"bool":{"filter":[`, 60) + `{}` + strings.Repeat(`]}}`, 60) + `}}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := search.InternalSearch([]byte(c.body), "ese", scope(jul21From, jul21To))
			if !errors.Is(err, search.ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestTooLarge(t *testing.T) {
	t.Parallel()
	big := bodyWith(`{"sort":["` + strings.Repeat("a", search.MaxBody) + `"]}`)
	sc := scope(jul21From, jul21To)
	for name, f := range map[string]func([]byte) error{
		"internal": func(b []byte) error { _, err := search.InternalSearch(b, "ese", sc); return err },
		"bsearch":  func(b []byte) error { _, err := search.Bsearch(b, sc); return err },
		"msearch6": func(b []byte) error { _, err := search.Msearch6(b, sc); return err },
		"osd":      func(b []byte) error { _, err := search.MsearchOSD(b, sc); return err },
		"tsvb":     func(b []byte) error { _, err := search.TSVB(b, sc, []byte(`[]`)); return err },
		"timelion": func(b []byte) error { _, err := search.Timelion(b, sc, []string{".es()"}); return err },
	} {
		if err := f(big); !errors.Is(err, search.ErrTooLarge) {
			t.Errorf("%s: err = %v, want ErrTooLarge", name, err)
		}
	}
}

// TestScopeErrors: a broken scope is the caller's fault, not the client's,
// so it must not look like a 4xx sentinel.
func TestScopeErrors(t *testing.T) {
	t.Parallel()
	in := readFile(t, eseFixture)
	bad := []search.Scope{
		scope(jul21To, jul21From),
		scope(jul21From, jul21To, `not json`),
		scope(jul21From, jul21To, `[1]`),
		{AllowIndex: func(string) bool { return true }},
	}
	for i, sc := range bad {
		_, err := search.InternalSearch(in, "ese", sc)
		if err == nil || errors.Is(err, search.ErrForbidden) || errors.Is(err, search.ErrMalformed) {
			t.Errorf("scope %d: err = %v, want a plain error", i, err)
		}
	}
}
