package kibanatest

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// principal is who a request authenticated as.
type principal struct {
	username string
	apiKey   bool
}

// authenticate enforces Options.Username/APIKey like Kibana's security
// plugin. It reports false after answering the request itself.
func (s *Server) authenticate(c *call) bool {
	if s.opts.Username == "" && s.opts.APIKey == "" {
		c.user = principal{username: "elastic"} // security off: anyone is let in
		return true
	}
	who, presented := s.credentials(c.r)
	if who != nil {
		c.user = *who
		return true
	}
	s.mu.Lock()
	mode := s.authMode
	s.mu.Unlock()
	if mode == AuthModeLoginRedirect || s.canRedirect(c) {
		c.redirect(http.StatusFound, s.loginURL(c))
		return false
	}
	s.unauthorized(c, presented)
	return false
}

// credentials checks the Authorization header. It returns the principal when
// the credentials are valid and, either way, what kind was presented.
func (s *Server) credentials(r *http.Request) (*principal, string) {
	scheme, value, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	switch strings.ToLower(scheme) {
	case "basic":
		user, pass, ok := r.BasicAuth()
		if ok && s.opts.Username != "" && same(user, s.opts.Username) &&
			same(pass, s.opts.Password) {
			return &principal{username: user}, "basic"
		}
		if !ok {
			user = ""
		}
		return nil, "basic:" + user
	case "apikey":
		if s.opts.APIKey != "" && same(strings.TrimSpace(value), s.opts.APIKey) {
			return &principal{username: "api_key", apiKey: true}, "apikey"
		}
		return nil, "apikey"
	case "":
		return nil, ""
	}
	return nil, "other"
}

func same(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// canRedirect mirrors the security plugin's canRedirectRequest: requests to
// API routes, and XHRs (they carry kbn-xsrf or kbn-version), get a 401;
// everything else, i.e. a browser navigating to a page, is sent to the login
// page.
func (s *Server) canRedirect(c *call) bool {
	p := c.rp.rest
	api := strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/internal/") ||
		(s.prof.line.Legacy() && strings.HasPrefix(p, "/elasticsearch/"))
	pre := s.prof.headerPrefix()
	return !api && !hasHeader(c.r, pre+"-xsrf") && !hasHeader(c.r, pre+"-version")
}

// loginURL is where Kibana sends an unauthenticated browser:
// <serverBasePath>/login?next=<request base path + path + query>; the OSD
// security plugin uses /app/login?nextUrl=….
func (s *Server) loginURL(c *call) string {
	next := c.rp.raw
	if c.r.URL.RawQuery != "" {
		next += "?" + c.r.URL.RawQuery
	}
	if s.prof.line.OSD {
		return s.opts.BasePath + "/app/login?nextUrl=" + encodeURIComponent(next)
	}
	return s.opts.BasePath + "/login?next=" + encodeURIComponent(next)
}

// encodeURIComponent escapes like JavaScript's function of that name.
func encodeURIComponent(v string) string {
	return strings.ReplaceAll(url.QueryEscape(v), "+", "%20")
}

// unauthorized answers 401 with the challenge Elasticsearch returned, which
// Kibana passes on. Credentials never appear in the message.
func (s *Server) unauthorized(c *call, presented string) {
	msg := "Unauthorized"
	switch {
	case strings.HasPrefix(presented, "basic:") && presented != "basic:":
		msg = fmt.Sprintf("[security_exception]: unable to authenticate user [%s] "+
			"for REST request [/_security/_authenticate]", strings.TrimPrefix(presented, "basic:"))
	case presented == "apikey":
		msg = "[security_exception]: unable to authenticate with provided credentials"
	}
	if s.prof.line.OSD {
		msg = "Authentication Exception" // security-dashboards-plugin wording
	}
	h := c.w.Header()
	if s.opts.Username != "" || s.opts.APIKey == "" {
		h.Add("WWW-Authenticate", `Basic realm="security" charset="UTF-8"`)
	}
	if s.opts.APIKey != "" {
		h.Add("WWW-Authenticate", "ApiKey")
	}
	c.fail(http.StatusUnauthorized, msg)
}

// checkHeaders applies Kibana's onPostAuth checks that do not depend on the
// route: XSRF and the client version (kibana-api.md §1.9).
func (s *Server) checkHeaders(c *call) bool {
	pre := s.prof.headerPrefix()
	safe := c.r.Method == http.MethodGet || c.r.Method == http.MethodHead
	version, hasVersion := c.r.Header[http.CanonicalHeaderKey(pre+"-version")]
	if !safe && !hasVersion && !hasHeader(c.r, pre+"-xsrf") {
		c.badRequest(fmt.Sprintf("Request must contain a %s-xsrf header.", pre))
		return false
	}
	if hasVersion && (len(version) == 0 || version[0] != s.prof.version) {
		s.outOfDate(c, strings.Join(version, ","))
		return false
	}
	return true
}

// outOfDate is the version-check refusal. 6.x (hapi Boom) sent only the
// sentence; 7.10+ adds the two versions and attributes.
func (s *Server) outOfDate(c *call, got string) {
	msg := "Browser client is out of date, please refresh the page"
	if s.prof.line.Legacy() {
		c.badRequest(msg)
		return
	}
	pre := s.prof.headerPrefix()
	e := errBody(http.StatusBadRequest, fmt.Sprintf(
		`%s ("%s-version" header was "%s" but should be "%s")`, msg, pre, got, s.prof.version))
	e.Attributes = map[string]any{"expected": s.prof.version, "got": got}
	c.json(http.StatusBadRequest, e)
}

// internalOriginOK applies 9.x's restrictInternalApis to an internal route:
// the request must carry x-elastic-internal-origin (any value) or the query
// parameter elasticInternalOrigin (not "false") (kibana-api.md §1.9).
func (s *Server) internalOriginOK(c *call) bool {
	if !s.prof.restrictsInternal() || hasHeader(c.r, "x-elastic-internal-origin") {
		return true
	}
	q := c.r.URL.Query()
	if q.Has("elasticInternalOrigin") && q.Get("elasticInternalOrigin") != "false" {
		return true
	}
	uri := c.rp.rest
	if c.r.URL.RawQuery != "" {
		uri += "?" + c.r.URL.RawQuery
	}
	c.badRequest(fmt.Sprintf("uri [%s] with method [%s] exists but is not available "+
		"with the current configuration", uri, strings.ToLower(c.r.Method)))
	return false
}

func hasHeader(r *http.Request, name string) bool {
	_, ok := r.Header[http.CanonicalHeaderKey(name)]
	return ok
}
