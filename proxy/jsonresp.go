package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/kshare/kshare/rewrite"
)

// maxRewrittenJSON bounds the Kibana answers kshare reads to rewrite;
// everything else streams.
const maxRewrittenJSON = 4 << 20

// jsonRewriters edit Kibana's JSON answers for the rules that name them.
var jsonRewriters = map[string]func(s *Server, rq *request, v map[string]any) error{
	"capabilities": readOnlyCapabilities,
	"settings":     recipientSettings,
}

// rewriteJSON reads a bounded JSON answer, edits it and re-encodes it.
func (s *Server) rewriteJSON(req *http.Request, resp *http.Response, rq *request) *http.Response {
	fn := jsonRewriters[rq.respRewrite]
	body, err := decodeBody(resp)
	var v map[string]any
	if err == nil {
		b, rerr := io.ReadAll(io.LimitReader(body, maxRewrittenJSON+1))
		switch {
		case rerr != nil:
			err = rerr
		case len(b) > maxRewrittenJSON:
			err = errors.New("answer too large to rewrite")
		default:
			err = json.Unmarshal(b, &v)
		}
	}
	if err == nil {
		err = fn(s, rq, v)
	}
	var out []byte
	if err == nil {
		out, err = json.Marshal(v)
	}
	if err != nil {
		return s.replace(req, resp, rq, refKibanaDown)
	}
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(out))
	resp.ContentLength = int64(len(out))
	resp.Header.Del("Content-Encoding")
	resp.Header.Del("Etag")
	resp.Header.Set("Content-Length", strconv.Itoa(len(out)))
	resp.Header.Set("Content-Type", "application/json; charset=utf-8")
	s.logDone(req, rq, resp.StatusCode)
	return resp
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
