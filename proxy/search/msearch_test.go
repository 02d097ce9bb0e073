package search_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kshare/kshare/proxy/search"
)

const msearch6Fixture = "kibana-6.8_elasticsearch-msearch.reconstructed.ndjson"

func ndjson(t *testing.T, b []byte) []any {
	t.Helper()
	var out []any
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		out = append(out, decode(t, []byte(line)))
	}
	return out
}

func TestMsearch6(t *testing.T) {
	t.Parallel()
	in := readFile(t, msearch6Fixture)
	out, err := search.Msearch6(in, scope(apr18From, apr18To))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "msearch-6.8.ndjson", out)
	if !strings.HasSuffix(string(out), "}\n") {
		t.Error("output does not end in a newline")
	}
	sent, got := ndjson(t, in), ndjson(t, out)
	if len(got) != len(sent) {
		t.Fatalf("%d lines, want %d", len(got), len(sent))
	}
	for i := 0; i < len(sent); i += 2 {
		if diff := cmp.Diff(sent[i], got[i]); diff != "" {
			t.Errorf("header %d changed:\n%s", i/2, diff)
		}
		sb, gb := sent[i+1].(map[string]any), got[i+1].(map[string]any)
		want := scopedQuery(sb["query"], msRange("@timestamp", apr18From, apr18To))
		if diff := cmp.Diff(want, gb["query"]); diff != "" {
			t.Errorf("body %d query (-want +got):\n%s", i/2, diff)
		}
		delete(sb, "query")
		delete(gb, "query")
		if diff := cmp.Diff(sb, gb); diff != "" {
			t.Errorf("body %d changed beyond the query:\n%s", i/2, diff)
		}
	}
}

func TestMsearch6Refusals(t *testing.T) {
	t.Parallel()
	good := string(readFile(t, msearch6Fixture))
	lines := strings.Split(strings.TrimSuffix(good, "\n"), "\n")
	cases := []struct {
		name, body string
		want       error
	}{
		{"no final newline", strings.TrimSuffix(good, "\n"), nil},
		{"crlf", strings.ReplaceAll(good, "\n", "\r\n"), nil},
		{"other index", strings.Replace(good, `"index":"logstash-*"`, `"index":".kibana"`, 1), search.ErrForbidden},
		{"all indices", strings.Replace(good, `"index":"logstash-*"`, `"index":"_all"`, 1), search.ErrForbidden},
		{"no index", strings.Replace(good, `"index":"logstash-*",`, ``, 1), search.ErrForbidden},
		{"empty header", "{}\n" + lines[1] + "\n", search.ErrForbidden},
		{"routing", strings.Replace(good, `"ignore_unavailable":true`, `"routing":"x"`, 1), search.ErrForbidden},
		{"global agg", lines[0] + "\n" + `{"aggs":{"g":{"global":{}}}}` + "\n", search.ErrForbidden},
		{"odd lines", strings.Join(lines[:3], "\n") + "\n", search.ErrMalformed},
		{"blank line", lines[0] + "\n\n" + lines[1] + "\n", search.ErrMalformed},
		{"two objects on a line", lines[0] + lines[0] + "\n" + lines[1] + "\n", search.ErrMalformed},
		{"duplicate key", `{"index":"logstash-*","index":"secret"}` + "\n{}\n", search.ErrMalformed},
		{"empty", "", search.ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := search.Msearch6([]byte(c.body), scope(apr18From, apr18To))
			if c.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestMsearchOSD(t *testing.T) {
	t.Parallel()
	in := readFile(t, "constructed/osd-internal-msearch.json")
	out, err := search.MsearchOSD(in, scope(jul21From, jul21To))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "msearch-osd.json", out)
	got := path(t, decode(t, out), "searches", 0, "body", "query")
	sent := path(t, decode(t, in), "searches", 0, "body", "query")
	if diff := cmp.Diff(scopedQuery(sent, isoRange("order_date", jul21From, jul21To)), got); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}

	search0 := func(v map[string]any) map[string]any {
		return path(t, v, "searches", 0).(map[string]any)
	}
	cases := []struct {
		name string
		edit func(v map[string]any)
		want error
	}{
		{"data_source_id top", func(v map[string]any) { v["data_source_id"] = "ds" }, search.ErrForbidden},
		{"data_source_id in search", func(v map[string]any) { search0(v)["data_source_id"] = "ds" }, search.ErrForbidden},
		{"data_source_id in header", func(v map[string]any) {
			search0(v)["header"].(map[string]any)["data_source_id"] = "ds"
		}, search.ErrForbidden},
		{"no header", func(v map[string]any) { delete(search0(v), "header") }, search.ErrForbidden},
		{"other index", func(v map[string]any) {
			search0(v)["header"].(map[string]any)["index"] = "security-auditlog-*"
		}, search.ErrForbidden},
		{"no searches", func(v map[string]any) { delete(v, "searches") }, search.ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := search.MsearchOSD(editJSON(t, in, c.edit), scope(jul21From, jul21To))
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}
