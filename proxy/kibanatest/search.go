package kibanatest

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// rawResponse is an empty Elasticsearch search answer with N total hits.
// hits.total is a plain number: Kibana shims ES 7's {value,relation} back to
// a number for the browser (shimHitsTotal).
func (s *Server) rawResponse() map[string]any {
	s.mu.Lock()
	total := s.searchTotal
	s.mu.Unlock()
	return map[string]any{
		"took": 1, "timed_out": false,
		"_shards": map[string]any{"total": 1, "successful": 1, "skipped": 0, "failed": 0},
		"hits":    map[string]any{"total": total, "max_score": nil, "hits": []any{}},
	}
}

// nextAsyncID returns an async-search id shaped like Elasticsearch's (base64,
// so it may hold '/', '+' and '=' that a proxy must escape in paths).
func (s *Server) nextAsyncID() string {
	s.mu.Lock()
	s.asyncSeq++
	n := s.asyncSeq
	s.mu.Unlock()
	return base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("\x14kibanatest:%s:async:%d",
		s.prof.line.Name, n)))
}

// strategies are the search strategies the line's server registers
// (kibana-api.md §1.6).
func (s *Server) strategyKnown(name string) bool {
	switch {
	case s.prof.line.OSD:
		return name == "opensearch" || name == "opensearch-with-long-numerals"
	case s.prof.line.AtLeast(8, 0):
		return contains([]string{"es", "ese", "eql", "sql", "esql", "esql_async", "rollup"}, name)
	}
	return contains([]string{"es", "ese", "eql"}, name)
}

// searchResult is the data plugin's answer for one search. Async strategies
// carry the async-search id: the one polled, or a new one.
func (s *Server) searchResult(strategy, id string) map[string]any {
	out := map[string]any{
		"rawResponse": s.rawResponse(), "isPartial": false, "isRunning": false,
		"total": 1, "loaded": 1,
	}
	if strategy == "ese" || strategy == "eql" || strategy == "esql_async" || id != "" {
		if id == "" {
			id = s.nextAsyncID()
		}
		out["id"] = id
	}
	if s.prof.line.AtLeast(7, 12) {
		out["isRestored"] = false
	}
	return out
}

func strategyMissing(name string) string {
	return fmt.Sprintf("Search strategy %s not found", name)
}

// internalSearch is POST /internal/search/{strategy}[/{id}] (7.10+, OSD):
// submit, or poll an async search whose id is in the path.
func (s *Server) internalSearch(c *call) {
	strategy := c.vars["strategy"]
	if !s.strategyKnown(strategy) {
		c.fail(http.StatusNotFound, strategyMissing(strategy))
		return
	}
	var req struct {
		Params json.RawMessage `json:"params"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		c.badRequest("[request body]: expected a plain object value, but found [null] instead.")
		return
	}
	c.json(http.StatusOK, s.searchResult(strategy, c.vars["id"]))
}

// deleteSearch cancels an async search; Kibana answers 200 with no body.
func (s *Server) deleteSearch(c *call) {
	if !s.strategyKnown(c.vars["strategy"]) {
		c.fail(http.StatusNotFound, strategyMissing(c.vars["strategy"]))
		return
	}
	c.bytes(http.StatusOK, "application/json; charset=utf-8", nil)
}

// bsearchItem is one entry of a /internal/bsearch batch.
type bsearchItem struct {
	Request struct {
		ID     string          `json:"id"`
		Params json.RawMessage `json:"params"`
	} `json:"request"`
	Options struct {
		Strategy string `json:"strategy"`
	} `json:"options"`
}

// bsearch is POST /internal/bsearch (7.11–8.x): a JSON batch in, NDJSON out,
// one {"id":i,"result":…} line per item, each flushed on its own as bfetch
// streams them. With ?compress=true or X-Chunk-Encoding: deflate every line
// is base64(zlib deflate(json)), as bfetch's deflateResponse sends it.
func (s *Server) bsearch(c *call) {
	var req struct {
		Batch []bsearchItem `json:"batch"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		c.badRequest("[request body.batch]: expected value of type [array] but got [undefined]")
		return
	}
	compress := c.r.URL.Query().Get("compress") == "true" ||
		strings.EqualFold(c.r.Header.Get("X-Chunk-Encoding"), "deflate")
	h := c.w.Header()
	h.Set("Content-Type", "application/x-ndjson")
	h.Set("Cache-Control", "private, no-cache, no-store, must-revalidate")
	h.Set("X-Accel-Buffering", "no")
	c.w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(c.w)
	rc.Flush() //nolint:errcheck // headers first, as bfetch does
	s.mu.Lock()
	pause := s.streamDelay
	s.mu.Unlock()
	for i, item := range req.Batch {
		if i > 0 && !sleepCtx(c, pause) {
			return
		}
		line := s.bsearchLine(i, item)
		if compress {
			line = deflateLine(line)
		}
		if _, err := c.w.Write(append(line, '\n')); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

func (s *Server) bsearchLine(i int, item bsearchItem) []byte {
	strategy := item.Options.Strategy
	if strategy == "" {
		strategy = "es"
	}
	var v any
	if s.strategyKnown(strategy) {
		v = map[string]any{"id": i, "result": s.searchResult(strategy, item.Request.ID)}
	} else {
		v = map[string]any{"id": i, "error": map[string]any{
			"statusCode": http.StatusNotFound, "message": strategyMissing(strategy),
		}}
	}
	b, _ := json.Marshal(v)
	return b
}

func deflateLine(b []byte) []byte {
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	zw.Write(b) //nolint:errcheck // writes to memory
	zw.Close()  //nolint:errcheck // writes to memory
	return []byte(base64.StdEncoding.EncodeToString(buf.Bytes()))
}

func sleepCtx(c *call, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.r.Context().Done():
		return false
	}
}

// legacyMsearch is 6.x POST /elasticsearch/_msearch: NDJSON header/body
// pairs in, {"responses":[…]} out, one answer per pair (kibana-api.md §2.1).
func (s *Server) legacyMsearch(c *call) {
	n := 0
	for _, line := range bytes.Split(c.body, []byte("\n")) {
		if len(bytes.TrimSpace(line)) > 0 {
			n++
		}
	}
	if n == 0 || n%2 != 0 {
		c.badRequest("[illegal_argument_exception] Validation Failed: 1: no requests added;")
		return
	}
	out := make([]any, n/2)
	for i := range out {
		r := s.rawResponse()
		r["status"] = http.StatusOK
		out[i] = r
	}
	c.json(http.StatusOK, map[string]any{"responses": out})
}

// legacySearch is 6.x POST /elasticsearch/{index}/_search.
func (s *Server) legacySearch(c *call) { c.json(http.StatusOK, s.rawResponse()) }

// internalMsearch is POST /internal/_msearch (7.10, OSD):
// {"searches":[{"header","body"}]} in, {"body":{"responses":[…]}} out.
func (s *Server) internalMsearch(c *call) {
	var req struct {
		Searches []json.RawMessage `json:"searches"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		c.badRequest("[request body.searches]: expected value of type [array] but got [undefined]")
		return
	}
	out := make([]any, len(req.Searches))
	for i := range out {
		out[i] = s.rawResponse()
	}
	c.json(http.StatusOK, map[string]any{"body": map[string]any{"responses": out}})
}

// tsvb is POST /api/metrics/vis/data: one entry per requested panel, keyed
// by panel id, with empty series (kibana-api.md §2.6).
func (s *Server) tsvb(c *call) {
	var req struct {
		Panels []struct {
			ID     string `json:"id"`
			Type   string `json:"type"`
			Series []struct {
				ID string `json:"id"`
			} `json:"series"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil || len(req.Panels) == 0 {
		c.badRequest("[request body.panels]: expected value of type [array] but got [undefined]")
		return
	}
	out := map[string]any{
		"type":              req.Panels[0].Type,
		"uiRestrictions":    map[string]any{"whiteListedMetrics": map[string]any{"*": true}},
		"trackedEsSearches": map[string]any{},
	}
	for _, p := range req.Panels {
		series := []any{}
		for _, sr := range p.Series {
			series = append(series, map[string]any{"id": sr.ID, "label": "", "data": []any{}})
		}
		out[p.ID] = map[string]any{"id": p.ID, "annotations": map[string]any{}, "series": series}
	}
	c.json(http.StatusOK, out)
}

// timelion is POST /api/timelion/run (OSD /api/timeline/run): an empty
// series list per sheet expression.
func (s *Server) timelion(c *call) {
	c.json(http.StatusOK, map[string]any{
		"sheet": []any{map[string]any{"type": "seriesList", "list": []any{}}},
		"stats": map[string]any{"invokeTime": 0, "queryCount": 0, "queryTime": 0, "sheetTime": 0},
	})
}

// tile answers a vector tile request as Kibana does when Elasticsearch
// has no features for it: an empty protobuf. Kibana itself answers 400 for
// a missing requestBody or index.
func (s *Server) tile(c *call) {
	q := c.r.URL.Query()
	if q.Get("requestBody") == "" || q.Get("index") == "" || q.Get("geometryFieldName") == "" {
		c.badRequest("Bad Request")
		return
	}
	c.bytes(http.StatusOK, "application/x-protobuf", nil)
}

// optionsList answers an options-list control with no suggestions, after
// the same body validation Kibana does (fieldName, size and
// allowExpensiveQueries are required).
func (s *Server) optionsList(c *call) {
	var req struct {
		Size                  *float64 `json:"size"`
		FieldName             string   `json:"fieldName"`
		AllowExpensiveQueries *bool    `json:"allowExpensiveQueries"`
	}
	if json.Unmarshal(c.body, &req) != nil || req.Size == nil || req.FieldName == "" ||
		req.AllowExpensiveQueries == nil {
		c.badRequest("[request body]: invalid options list request")
		return
	}
	c.json(http.StatusOK, map[string]any{"suggestions": []any{}, "totalCardinality": 0,
		"invalidSelections": []any{}, "rejected": false})
}
