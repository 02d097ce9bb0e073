package kibanatest_test

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/proxy/kibanatest"
)

func TestBsearchStreamsLines(t *testing.T) {
	t.Parallel()
	for _, l := range []kbn.Line{kbn.L717, kbn.L813, kbn.L815} {
		t.Run(l.Name, func(t *testing.T) {
			t.Parallel()
			s := kibanatest.New(t, kibanatest.Options{Line: l})
			body, err := kibanatest.Fixture("search/klt-2021-07/dashboard-bsearch1.json")
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("POST", s.URL+"/internal/bsearch", bytes.NewReader(body))
			req.Header.Set("kbn-xsrf", "1")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.Header.Get("Content-Type") != "application/x-ndjson" {
				t.Errorf("content type %q", resp.Header.Get("Content-Type"))
			}
			lines, times := readLines(t, resp.Body)
			if len(lines) != 9 {
				t.Fatalf("%d lines, want 9", len(lines))
			}
			if gap := times[1].Sub(times[0]); gap < 40*time.Millisecond {
				t.Errorf("second line %v after the first, want >= 40ms", gap)
			}
			for i, ln := range lines {
				var item struct {
					ID     int
					Result struct {
						ID          string
						RawResponse struct{ Hits struct{ Total int } }
					}
				}
				if err := json.Unmarshal(ln, &item); err != nil || item.ID != i ||
					item.Result.ID == "" || item.Result.RawResponse.Hits.Total != kibanatest.DefaultSearchTotal {
					t.Errorf("line %d = %s (%v)", i, ln, err)
				}
			}
		})
	}
}

// readLines reads NDJSON line by line, noting when each line arrived.
func readLines(t *testing.T, r io.Reader) ([][]byte, []time.Time) {
	t.Helper()
	var lines [][]byte
	var times []time.Time
	var buf []byte
	chunk := make([]byte, 64<<10)
	for {
		n, err := r.Read(chunk)
		buf = append(buf, chunk[:n]...)
		for {
			i := bytes.IndexByte(buf, '\n')
			if i < 0 {
				break
			}
			lines = append(lines, append([]byte(nil), buf[:i]...))
			times = append(times, time.Now())
			buf = buf[i+1:]
		}
		if errors.Is(err, io.EOF) {
			return lines, times
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestBsearchCompressed(t *testing.T) {
	t.Parallel()
	for _, l := range []kbn.Line{kbn.L717, kbn.L815} {
		for _, mode := range []string{"query", "header"} {
			t.Run(l.Name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				s := kibanatest.New(t, kibanatest.Options{Line: l})
				s.SetStreamDelay(0)
				path, hdr := "/internal/bsearch?compress=true", []string{"kbn-xsrf", "1"}
				if mode == "header" {
					path, hdr = "/internal/bsearch", append(hdr, "X-Chunk-Encoding", "deflate")
				}
				body := `{"batch":[{"request":{"params":{}},"options":{"strategy":"ese"}},` +
					`{"request":{"params":{}},"options":{"strategy":"es"}}]}`
				resp, b := do(t, s, "POST", path, body, hdr...)
				if resp.StatusCode != 200 {
					t.Fatalf("%d %s", resp.StatusCode, b)
				}
				lines := strings.Split(strings.TrimSpace(string(b)), "\n")
				if len(lines) != 2 {
					t.Fatalf("lines %q", lines)
				}
				for i, ln := range lines {
					item := decode(t, inflate(t, ln))
					if item["id"] != float64(i) || item["result"] == nil {
						t.Errorf("line %d: %v", i, item)
					}
				}
			})
		}
	}
}

// inflate undoes bfetch's line compression: base64, then zlib.
func inflate(t *testing.T, line string) []byte {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(line)
	if err != nil {
		t.Fatalf("base64 %q: %v", line, err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSearchEndpoints(t *testing.T) {
	t.Parallel()
	msearch, _ := kibanatest.Fixture("search/kibana-6.8_elasticsearch-msearch.reconstructed.ndjson")
	ese, _ := kibanatest.Fixture("search/kibana-7.10_internal-search-ese.reconstructed.json")
	tsvb, _ := kibanatest.Fixture("search/klt-2021-07/dashboard-timeSeriesPayload.json")
	tests := []struct {
		line       kbn.Line
		path, body string
		want       string // a key of the answer
	}{
		{kbn.L68, "/elasticsearch/_msearch", string(msearch), "responses"},
		{kbn.L710, "/internal/search/ese", string(ese), "rawResponse"},
		{kbn.L710, "/internal/search/ese/Rm9v", string(ese), "rawResponse"},
		{kbn.L91, "/internal/search/es", string(ese), "rawResponse"},
		{kbn.OSD2, "/internal/search/opensearch", string(ese), "rawResponse"},
		{kbn.OSD2, "/internal/_msearch", `{"searches":[{"header":{},"body":{}}]}`, "body"},
		{kbn.L717, "/api/metrics/vis/data", string(tsvb), "61ca57f0-469d-11e7-af02-69e470af7417"},
		{kbn.L710, "/api/timelion/run", `{"sheet":[".es(*)"]}`, "sheet"},
		{kbn.L813, "/api/console/proxy?path=_search&method=GET", `{}`, "cluster_name"},
	}
	for _, tt := range tests {
		t.Run(tt.line.Name+tt.path, func(t *testing.T) {
			t.Parallel()
			s := kibanatest.New(t, kibanatest.Options{Line: tt.line})
			hdr := append(xsrf(tt.line), "x-elastic-internal-origin", "Kibana")
			resp, b := do(t, s, "POST", tt.path, tt.body, hdr...)
			if resp.StatusCode != 200 {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
			m := decode(t, b)
			if _, ok := m[tt.want]; !ok {
				t.Errorf("answer %.300s has no %q", b, tt.want)
			}
			if tt.line == kbn.L68 && len(m["responses"].([]any)) != 3 {
				t.Errorf("msearch responses = %d, want 3", len(m["responses"].([]any)))
			}
		})
	}
}
