package closure

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTimelionIndices(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		expr string
		want []string
	}{
		{"kibana-6.x fixture: no index", ".es(*, metric=avg:bytes, split=ip:5)", nil},
		{"named", ".es(index=logstash-*, timefield=@timestamp)", []string{"logstash-*"}},
		{"long name", ".elasticsearch(index=metricbeat-*)", []string{"metricbeat-*"}},
		{"quoted", `.es(index="waf-logs-*", q='a:b')`, []string{"waf-logs-*"}},
		{"single quoted", `.es(index='logs-*')`, []string{"logs-*"}},
		{"spaces", `.es( index = logs-* , metric=count)`, []string{"logs-*"}},
		{"positional", `.es(*, count, host, logs-*)`, []string{"logs-*"}},
		{"positional after named is not index", `.es(q=*, count, host, logs-*)`, nil},
		{"several calls", ".es(index=a-*).label(A), .es(index=b-*).divide(.es(index=c-*))",
			[]string{"a-*", "b-*", "c-*"}},
		{"call inside a quoted query is text", `.es(q=".es(index=evil-*)", index=ok-*)`,
			[]string{"ok-*"}},
		{"nested parens in args", `.es(index=x-*, q="(a OR b)").if(eq, 0, null)`, []string{"x-*"}},
		{"other functions", ".static(10), .graphite(index=nope)", nil},
		{"no arguments", ".es()", nil},
		{"unterminated", ".es(index=logs-*", []string{"logs-*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, timelionIndices(tt.expr)); diff != "" {
				t.Errorf("timelionIndices(%q) (-want +got):\n%s", tt.expr, diff)
			}
		})
	}
}

func TestVegaIndices(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec string
		want []string
	}{
		{"hjson quoteless",
			"data: {\n url: {\n  index: kibana_sample_data_ecommerce\n  %context%: true\n }\n}",
			[]string{"kibana_sample_data_ecommerce"}},
		{"json", `{"data": {"url": {"index": "logs-*", "body": {}}}}`, []string{"logs-*"}},
		{"single quotes", "url: {'index': 'a-*'}", []string{"a-*"}},
		{"comma list", "url: {\n index: a-*,b-*\n}", []string{"a-*,b-*"}},
		{"trailing comma", "url: {\n index: a-*,\n body: {}\n}", []string{"a-*"}},
		{"line comment", "// index: old-*\nurl: {\n index: new-*\n}", []string{"new-*"}},
		{"hash comment", "  # index: old-*\nurl: {index: \"new-*\"}", []string{"new-*"}},
		{"block comment", "/*\nindex: old-*\n*/ url: {index: \"new-*\"}", []string{"new-*"}},
		{"url with slashes keeps the rest",
			"$schema: https://vega.github.io/schema/vega/v5.json\nindex: x",
			[]string{"x"}},
		{"zindex is not index", `{"mark": {"zindex": 1}, "url": {"index": "y"}}`, []string{"y"}},
		{"index as a value", `{"as": ["index"], "field": "_index"}`, nil},
		{"quote in a comment", "// don't\nindex: z", []string{"z"}},
		{"apostrophe in a quoteless value", "title: Don't panic\nindex: z", []string{"z"}},
		{"two urls", "url: {index: \"a\"}\nurl: {index: \"b\"}", []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, vegaIndices(tt.spec)); diff != "" {
				t.Errorf("vegaIndices(%q) (-want +got):\n%s", tt.spec, diff)
			}
		})
	}
}
