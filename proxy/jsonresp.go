package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/kshare/kshare/rewrite"
)

// maxRewrittenJSON bounds the Kibana answers kshare reads to rewrite;
// everything else streams.
const maxRewrittenJSON = 4 << 20

// jsonRewriters edit or check Kibana's JSON answers for the rules that
// name them. An error refuses the answer: errNotInClosure as 403, anything
// else as Kibana failing.
var jsonRewriters = map[string]rewriterFunc{
	"capabilities":   editJSON(readOnlyCapabilities),
	"settings":       editJSON(recipientSettings),
	"closure-answer": checkClosureAnswer,
	"async-answer":   asyncAnswer,
}

// maxSearchAnswer bounds a search answer kshare reads to bind its async id;
// saved-search hits can be large.
const maxSearchAnswer = 64 << 20

// rewriteJSON reads a bounded JSON answer and passes it through the rule's
// rewriter.
func (s *Server) rewriteJSON(req *http.Request, resp *http.Response, rq *request) *http.Response {
	fn := jsonRewriters[rq.respRewrite]
	body, err := decodeBody(resp)
	var out []byte
	if err == nil {
		limit := int64(maxRewrittenJSON)
		if rq.respRewrite == "async-answer" {
			limit = maxSearchAnswer
		}
		b, rerr := io.ReadAll(io.LimitReader(body, limit+1))
		switch {
		case rerr != nil:
			err = rerr
		case int64(len(b)) > limit:
			err = errors.New("answer too large to rewrite")
		default:
			out, err = fn(s, rq, b)
		}
	}
	if err != nil {
		f := refKibanaDown
		if errors.Is(err, errNotInClosure) {
			f = refForbidden
		}
		return s.replace(req, resp, rq, f)
	}
	setBody(resp, out, "application/json; charset=utf-8")
	s.logDone(req, rq, resp.StatusCode)
	return resp
}

// setBody replaces an answer's body with b, which kshare rewrote from the
// decoded original: new length, no content coding, no stale ETag.
func setBody(resp *http.Response, b []byte, contentType string) {
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	resp.Header.Del("Content-Encoding")
	resp.Header.Del("Etag")
	resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
	resp.Header.Set("Content-Type", contentType)
}

// rewriterFunc edits or checks one JSON answer.
type rewriterFunc func(s *Server, rq *request, body []byte) ([]byte, error)

// editJSON adapts an in-place edit of a JSON object to a rewriter.
func editJSON(edit func(s *Server, rq *request, v map[string]any) error) rewriterFunc {
	return func(s *Server, rq *request, b []byte) ([]byte, error) {
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, err
		}
		if err := edit(s, rq, v); err != nil {
			return nil, err
		}
		return json.Marshal(v)
	}
}

// checkClosureAnswer holds a saved-object answer to the closure: a
// resolve may answer with an alias target outside it. Without a closure
// (no ClosureSource configured) answers pass unchanged.
func checkClosureAnswer(_ *Server, rq *request, b []byte) ([]byte, error) {
	if rq.closure == nil {
		return b, nil
	}
	if err := rq.closure.CheckAnswer(b); err != nil {
		return nil, fmt.Errorf("%w: %v", errNotInClosure, err)
	}
	return b, nil
}

// writeCapabilityWords mark capabilities that let the UI offer a change:
// save, edit, create, share or delete buttons.
var writeCapabilityWords = []string{"save", "create", "delete", "edit", "write", "manage",
	"share", "store", "generate", "download", "import", "export"}

// readOnlyApps are capability sections a recipient never needs at all.
var readOnlyApps = map[string]bool{"management": true, "savedObjectsManagement": true,
	"advancedSettings": true, "dev_tools": true, "indexPatterns": true, "dataViews": true}

// readOnlyCapabilities turns off every capability that offers a change, so
// the UI shows no save, edit, create, share or delete.
func readOnlyCapabilities(_ *Server, _ *request, caps map[string]any) error {
	for app, v := range caps {
		m, ok := v.(map[string]any)
		if !ok || app == "catalogue" {
			continue
		}
		for k, cv := range m {
			if _, isBool := cv.(bool); !isBool {
				continue
			}
			if readOnlyApps[app] || isWriteCapability(k) {
				m[k] = false
			}
		}
	}
	return nil
}

func isWriteCapability(k string) bool {
	lk := strings.ToLower(k)
	for _, w := range writeCapabilityWords {
		if strings.Contains(lk, w) {
			return true
		}
	}
	return false
}

// recipientSettings filters a settings read to what the page carries.
func recipientSettings(s *Server, rq *request, v map[string]any) error {
	user, _ := v["settings"].(map[string]any)
	opt := s.pageOptions(rq.ctx, rq)
	v["settings"] = rewrite.RecipientSettings(user, opt.Settings)
	return nil
}
