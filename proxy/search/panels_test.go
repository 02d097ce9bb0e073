package search_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kshare/kshare/proxy/search"
)

// savedPanels returns a captured TSVB body's panels, standing in for the
// saved visualization's params.
func savedPanels(t *testing.T, file string) json.RawMessage {
	t.Helper()
	var body struct{ Panels json.RawMessage }
	if err := json.Unmarshal(readFile(t, file), &body); err != nil {
		t.Fatal(err)
	}
	return body.Panels
}

func TestTSVB(t *testing.T) {
	t.Parallel()
	for _, file := range []string{
		"klt-2021-07/dashboard-timeSeriesPayload.json",
		"klt-2021-07/dashboard-gaugePayload.json",
	} {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			in := readFile(t, file)
			saved := savedPanels(t, file)
			out, err := search.TSVB(in, scope(jul21From, jul21To), saved)
			if err != nil {
				t.Fatal(err)
			}
			sent, got := decode(t, in).(map[string]any), decode(t, out).(map[string]any)
			delete(sent, "searchSession")
			if diff := cmp.Diff(sent, got); diff != "" {
				t.Errorf("in-window body changed beyond the session (-sent +got):\n%s", diff)
			}
		})
	}
	out, err := search.TSVB(readFile(t, "klt-2021-07/dashboard-timeSeriesPayload.json"),
		scope(jul21From, jul21To),
		savedPanels(t, "klt-2021-07/dashboard-timeSeriesPayload.json"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "tsvb-timeseries.json", out)
}

// TestTSVBTamperedPanels: whatever panels the browser sends, the forwarded
// body carries the saved ones.
func TestTSVBTamperedPanels(t *testing.T) {
	t.Parallel()
	file := "klt-2021-07/dashboard-timeSeriesPayload.json"
	saved := savedPanels(t, file)
	tampered := editJSON(t, readFile(t, file), func(v map[string]any) {
		p := path(t, v, "panels", 0).(map[string]any)
		p["index_pattern"] = "security-*"
		p["use_kibana_indexes"] = false
		p["series"] = []any{map[string]any{"id": "x", "override_index_pattern": 1,
			"series_index_pattern": ".kibana", "metrics": []any{map[string]any{"type": "count"}}}}
		v["panels"] = append(v["panels"].([]any), map[string]any{"index_pattern": "*"})
	})
	out, err := search.TSVB(tampered, scope(jul21From, jul21To), saved)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(decode(t, saved), path(t, decode(t, out), "panels")); diff != "" {
		t.Errorf("forwarded panels differ from the saved ones (-saved +got):\n%s", diff)
	}

	// A single saved panel object becomes the one-element array TSVB reads.
	one, _ := json.Marshal(path(t, decode(t, saved), 0))
	out, err = search.TSVB(tampered, scope(jul21From, jul21To), one)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(decode(t, saved), path(t, decode(t, out), "panels")); diff != "" {
		t.Errorf("single panel (-saved +got):\n%s", diff)
	}
}

func TestTSVBTimerange(t *testing.T) {
	t.Parallel()
	from, to := jul21From.Add(24*time.Hour), jul21To.Add(-24*time.Hour)
	iso := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
	tr := func(min, max string) map[string]any { return map[string]any{"min": min, "max": max} }
	cases := []struct {
		name             string
		timerange        any
		wantMin, wantMax string
	}{
		{"wider than window", tr("2020-01-01T00:00:00.000Z", "2030-01-01T00:00:00.000Z"),
			iso(from), iso(to)},
		{"all in 2020", tr("2020-01-01T00:00:00.000Z", "2020-02-01T00:00:00.000Z"),
			iso(from), iso(from)},
		{"inside", tr("2021-07-22T00:00:00.000Z", "2021-07-23T00:00:00+02:00"),
			"2021-07-22T00:00:00.000Z", "2021-07-22T22:00:00.000Z"},
		{"date math", tr("now-100y", "now"), iso(from), iso(to)},
		{"missing bounds", map[string]any{"timezone": "UTC"}, iso(from), iso(to)},
	}
	saved := savedPanels(t, "klt-2021-07/dashboard-gaugePayload.json")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			body := editJSON(t, readFile(t, "klt-2021-07/dashboard-gaugePayload.json"),
				func(v map[string]any) { v["timerange"] = c.timerange })
			out, err := search.TSVB(body, scope(from, to), saved)
			if err != nil {
				t.Fatal(err)
			}
			got := decode(t, out)
			if m := path(t, got, "timerange", "min"); m != c.wantMin {
				t.Errorf("min = %v, want %v", m, c.wantMin)
			}
			if m := path(t, got, "timerange", "max"); m != c.wantMax {
				t.Errorf("max = %v, want %v", m, c.wantMax)
			}
		})
	}
}

func TestTSVBFilters(t *testing.T) {
	t.Parallel()
	file := "klt-2021-07/dashboard-timeSeriesPayload.json"
	f := `{"term":{"customer_gender":"FEMALE"}}`
	out, err := search.TSVB(readFile(t, file), scope(jul21From, jul21To, f), savedPanels(t, file))
	if err != nil {
		t.Fatal(err)
	}
	got := decode(t, out)
	want := []any{map[string]any{
		"meta":  map[string]any{"alias": nil, "negate": false, "disabled": false},
		"query": decode(t, []byte(f)),
	}}
	if diff := cmp.Diff(want, path(t, got, "filters")); diff != "" {
		t.Errorf("filters (-want +got):\n%s", diff)
	}
	// The saved annotation ignores global filters; with share filters it
	// must not.
	if v := path(t, got, "panels", 0, "annotations", 0, "ignore_global_filters"); v != json.Number("0") {
		t.Errorf("annotation ignore_global_filters = %v, want 0", v)
	}

	for name, body := range map[string]string{
		"unknown key":    `{"panels":[],"timerange":{},"index":"x"}`,
		"terms lookup":   `{"filters":[{"meta":{},"query":{"terms":{"a":{"index":"secret","id":"1","path":"p"}}}}]}`,
		"timerange junk": `{"timerange":{"min":"x","script":"y"}}`,
	} {
		_, err := search.TSVB([]byte(body), scope(jul21From, jul21To), savedPanels(t, file))
		if !errors.Is(err, search.ErrForbidden) {
			t.Errorf("%s: err = %v, want ErrForbidden", name, err)
		}
	}
}

func TestTimelion(t *testing.T) {
	t.Parallel()
	in := readFile(t, "constructed/timelion-run.json")
	saved := []string{".es(index=kibana_sample_data_ecommerce, timefield=order_date).label('Orders')"}
	tampered := editJSON(t, in, func(v map[string]any) {
		v["sheet"] = []any{".es(index=.security*, timefield=@timestamp)", ".graphite(metric=x)"}
		v["time"].(map[string]any)["from"] = "2000-01-01T00:00:00.000Z"
	})
	from, to := jul21From.Add(time.Hour), jul21To
	out, err := search.Timelion(tampered, scope(from, to), saved)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "timelion-run.json", out)
	got := decode(t, out)
	if diff := cmp.Diff([]any{saved[0]}, path(t, got, "sheet")); diff != "" {
		t.Errorf("sheet (-saved +got):\n%s", diff)
	}
	if v := path(t, got, "time", "from"); v != from.Format("2006-01-02T15:04:05.000Z") {
		t.Errorf("time.from = %v", v)
	}
	if strings.Contains(string(out), "sessionId") {
		t.Error("search session forwarded")
	}

	f := `{"term":{"customer_gender":"FEMALE"}}`
	out, err = search.Timelion(in, scope(jul21From, jul21To, f), saved)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"bool": map[string]any{"filter": []any{
		path(t, decode(t, in), "extended", "es", "filter"), decode(t, []byte(f)),
	}}}
	if diff := cmp.Diff(want, path(t, decode(t, out), "extended", "es", "filter")); diff != "" {
		t.Errorf("extended filter (-want +got):\n%s", diff)
	}

	if _, err := search.Timelion(in, scope(jul21From, jul21To), nil); err == nil ||
		errors.Is(err, search.ErrForbidden) {
		t.Errorf("empty saved sheet: err = %v, want a plain error", err)
	}
	for name, body := range map[string]string{
		"unknown key":    `{"sheet":[],"es":{}}`,
		"extended other": `{"extended":{"es":{"filter":{}},"graphite":{}}}`,
		"wrapper filter": `{"extended":{"es":{"filter":{"wrapper":{"query":"e30="}}}}}`,
	} {
		if _, err := search.Timelion([]byte(body), scope(jul21From, jul21To), saved); !errors.Is(err, search.ErrForbidden) {
			t.Errorf("%s: err = %v, want ErrForbidden", name, err)
		}
	}
}
