package proxy

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/rewrite"
)

// redirect rewrites a Location that stays inside what the share allows
// and replaces every other redirect (another host, another space, Kibana's
// login page) with a refusal page.
func (s *Server) redirect(req *http.Request, resp *http.Response, rq *request) *http.Response {
	target, f, ok := s.mapLocation(req, resp.Header.Get("Location"), rq)
	if !ok {
		return s.replace(req, resp, rq, f)
	}
	resp.Header.Set("Location", target)
	s.logDone(req, rq, resp.StatusCode)
	return resp
}

// loginPaths are where Kibana sends a request whose credentials failed.
var loginPaths = []string{"/login", "/logout", "/spaces/space_selector", "/security/"}

func (s *Server) mapLocation(req *http.Request, loc string, rq *request) (string, refusal, bool) {
	u, err := req.URL.Parse(loc)
	if err != nil || u.Host != s.opt.Kibana.Host || rq.static {
		return "", refRedirect, false
	}
	p := u.EscapedPath()
	if s.basePth != "" {
		var found bool
		if p, found = strings.CutPrefix(p, s.basePth); !found {
			return "", refRedirect, false
		}
	}
	p, ok := stripSpace(p, rq.share.Space)
	if !ok {
		return "", refRedirect, false
	}
	for _, lp := range loginPaths {
		if p == lp || strings.HasPrefix(p, lp+"/") || strings.HasPrefix(p, lp+"?") {
			return "", refKibanaAuth, false
		}
	}
	c, err := canonicalize(orSlash(p))
	if err != nil {
		return "", refRedirect, false
	}
	if _, ok := match(shareRules, rq.line, rq.share, http.MethodGet, c, u.Query()); !ok {
		return "", refRedirect, false
	}
	tail := c.escaped
	if u.RawQuery != "" {
		tail += "?" + u.RawQuery
	}
	if u.Fragment != "" {
		tail += "#" + u.EscapedFragment()
	}
	return s.absoluteShareURL(rq.base, tail), refusal{}, true
}

// stripSpace removes the share's own space prefix from a Kibana path; a
// path in another space is refused.
func stripSpace(p, space string) (string, bool) {
	sp := kbn.SpacePath(space)
	if !strings.HasPrefix(p, "/s/") {
		// No space prefix: the default space, right only for its shares.
		return p, sp == ""
	}
	if sp == "" {
		return "", false
	}
	rest, found := strings.CutPrefix(p, sp)
	if !found || (rest != "" && !strings.HasPrefix(rest, "/")) {
		return "", false
	}
	return rest, true
}

// rewritePage decodes, rewrites and re-encodes the object's bootstrap page.
func (s *Server) rewritePage(req *http.Request, resp *http.Response, rq *request) *http.Response {
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || req.Method == http.MethodHead {
		s.logDone(req, rq, resp.StatusCode)
		return resp
	}
	body, err := decodeBody(resp)
	var out bytes.Buffer
	if err == nil {
		err = rewrite.Bootstrap(&out, body, s.pageOptions(req.Context(), rq))
	}
	if err != nil {
		f := refKibanaDown
		if errors.Is(err, rewrite.ErrNotBootstrap) {
			// A 200 HTML page that is not Kibana's app: typically a login
			// form served by an auth proxy in front of Kibana.
			f = refKibanaAuth
		}
		s.log.LogAttrs(req.Context(), slog.LevelWarn, "page rewrite failed",
			shareAttr(rq), slog.String(keyErr, err.Error()))
		return s.replace(req, resp, rq, f)
	}
	setBody(resp, out.Bytes(), "text/html; charset=utf-8")
	s.logDone(req, rq, resp.StatusCode)
	return resp
}

func decodeBody(resp *http.Response) (io.Reader, error) {
	switch ce := strings.ToLower(resp.Header.Get("Content-Encoding")); ce {
	case "", "identity":
		return resp.Body, nil
	case "gzip", "x-gzip":
		return gzip.NewReader(resp.Body)
	default:
		return nil, errors.New("page in unexpected encoding " + strconv.Quote(ce))
	}
}

// pageOptions are the rewrite settings for one share's page: the pinned
// time as the default range and the share's time zone, so that Kibana's
// own time handling agrees with the link.
func (s *Server) pageOptions(ctx context.Context, rq *request) rewrite.Options {
	opt := rewrite.Options{ShareBase: rq.base, Settings: map[string]any{}}
	if rq.share.TZ != "" {
		opt.Settings["dateFormat:tz"] = rq.share.TZ
	}
	if rq.closure != nil {
		// Kibana loads the space's default data view on start and, with
		// none set, writes one; naming a closure data view keeps both
		// inside the share.
		if id := firstDataView(rq.closure); id != "" {
			opt.Settings["defaultIndex"] = id
		}
	}
	if pin, err := s.pin(ctx, rq.share, rq.line); err == nil {
		opt.Settings["timepicker:timeDefaults"] = timeDefaults(pin)
		if s.bannerOn(rq.share) {
			opt.Banner = bannerText(rq.share, pin)
		}
	}
	return opt
}

func timeDefaults(p kbn.Pin) string {
	q := func(s string) string { return strconv.Quote(s) }
	return `{"from":` + q(p.From) + `,"to":` + q(p.To) + `}`
}

// absoluteShareURL is the public, absolute URL of a path under a share.
func (s *Server) absoluteShareURL(base, pathAndHash string) string {
	u := *s.opt.PublicURL
	u.RawQuery, u.Fragment = "", ""
	prefix := strings.TrimSuffix(u.String(), "/")
	return prefix + base + pathAndHash
}
