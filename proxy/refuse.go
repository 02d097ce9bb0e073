package proxy

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"
	"strings"
)

// refusal is one kind of answer kshare gives instead of Kibana's. What the
// recipient reads (title, message) is fixed text: it never carries internal
// detail such as addresses, error strings or the service account.
type refusal struct {
	status  int
	reason  string // short, stable name for logs and metrics
	title   string
	message string
}

// The refusals a recipient can meet.
var (
	refUnknown = refusal{http.StatusNotFound, "unknown_share", "This link is not valid",
		"The link is wrong, has been revoked, or has expired. Ask the person who sent it for a new link."}
	refPaused = refusal{http.StatusForbidden, "paused", "This link is paused",
		"The person who shared it has paused it for now. Try again later, or ask them about it."}
	refStoreDown = refusal{http.StatusServiceUnavailable, "store_unavailable", "Temporarily unavailable",
		"The sharing service cannot check links right now. Try again in a few minutes."}
	refForbidden = refusal{http.StatusForbidden, "forbidden", "Not available through this link",
		"This link shows one shared dashboard or visualization only."}
	refBadRequest = refusal{http.StatusBadRequest, "bad_request", "Bad request",
		"The address or request is malformed."}
	refTooLong = refusal{http.StatusRequestURITooLong, "uri_too_long", "Address too long",
		"The address is longer than this service accepts."}
	refTooLarge = refusal{http.StatusRequestEntityTooLarge, "body_too_large", "Request too large",
		"The request body is larger than this service accepts."}
	refMethod = refusal{http.StatusMethodNotAllowed, "method", "Method not allowed",
		"This service does not accept that kind of request."}
	refEncoding = refusal{http.StatusUnsupportedMediaType, "body_encoding", "Unsupported request",
		"Compressed request bodies are not accepted."}
	refNotFound = refusal{http.StatusNotFound, "not_found", "Not found",
		"There is nothing at this address."}
	refObjectGone = refusal{http.StatusNotFound, "object_deleted", "The shared item no longer exists",
		"The dashboard or visualization behind this link was deleted. Ask the person who sent it for a new link."}
	refKibanaAuth = refusal{http.StatusBadGateway, "kibana_auth", "The dashboard cannot be shown right now",
		"The sharing service could not sign in to Kibana. Please tell the person who sent you the link."}
	refKibanaDown = refusal{http.StatusBadGateway, "kibana_unavailable", "The dashboard cannot be shown right now",
		"Kibana is not answering. Try again in a few minutes."}
	refKibanaSlow = refusal{http.StatusGatewayTimeout, "kibana_timeout", "The dashboard cannot be shown right now",
		"Kibana took too long to answer. Try again in a few minutes."}
	refRedirect = refusal{http.StatusBadGateway, "redirect_refused", "Not available through this link",
		"Kibana tried to send you somewhere this link does not cover."}
)

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;margin:0;background:#f5f7fa;color:#1a1c21}
main{max-width:34rem;margin:15vh auto;padding:2rem;background:#fff;border-radius:6px;
box-shadow:0 1px 3px rgba(0,0,0,.15)}h1{font-size:1.4rem;margin-top:0}p{line-height:1.5}
small{color:#69707d}</style></head>
<body><main><h1>{{.Title}}</h1><p>{{.Message}}</p><small>Error {{.Status}}</small></main></body></html>
`))

// body renders the refusal as a page or as Kibana's JSON error shape, so
// that an open dashboard shows a readable message after a revoke.
func (f refusal) body(asJSON bool) (contentType string, b []byte) {
	if asJSON {
		b, _ = json.Marshal(map[string]any{
			"statusCode": f.status,
			"error":      http.StatusText(f.status),
			"message":    f.title + ". " + f.message,
		})
		return "application/json; charset=utf-8", b
	}
	var buf bytes.Buffer
	_ = pageTmpl.Execute(&buf, map[string]any{"Title": f.title, "Message": f.message, "Status": f.status})
	return "text/html; charset=utf-8", buf.Bytes()
}

// write sends the refusal with kshare's response headers.
func (f refusal) write(w http.ResponseWriter, asJSON bool) {
	ct, b := f.body(asJSON)
	h := w.Header()
	setShareHeaders(h)
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	if f.status == http.StatusMethodNotAllowed {
		h.Set("Allow", "GET, HEAD, POST, PUT, DELETE, OPTIONS")
	}
	w.WriteHeader(f.status)
	_, _ = w.Write(b)
}

// wantsJSON tells API calls (which get Kibana's JSON error shape) from page
// loads (which get a readable page).
func wantsJSON(r *http.Request, rest string) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return true
	}
	if strings.HasPrefix(rest, "/api/") || strings.HasPrefix(rest, "/internal/") ||
		strings.HasPrefix(rest, "/elasticsearch/") {
		return true
	}
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "json") && !strings.Contains(accept, "text/html")
}
