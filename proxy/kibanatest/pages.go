package kibanatest

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync/atomic"
)

// renderPage fills the request's base path into the page, as the real
// templates do (kibana-ui.md §1.6, §2.2–2.4):
//   - metadata basePath (6.8 also legacyMetadata.basePath) is the request's
//     base path, space included; serverBasePath is server.basePath;
//   - bootstrap.js, and up to 7.17 the favicons, fonts and translations
//     (uiPublicUrl = <basePath>/ui), use the request's base path: a 7.12 page
//     in a space loads them under /s/<space> (real-kibana README);
//   - stylesheets, bundles and, from 8.12, everything under the asset prefix
//     use server.basePath (getStylesheetPaths / staticAssets);
//   - 9.x builds translationsUrl from serverBasePath (§2.3).
//   - 6.8 also injects the active space into vars (spaces plugin).
func (s *Server) renderPage(reqBase, space string) string {
	page := string(s.basis.page)
	srv := s.opts.BasePath
	if s.prof.line.Legacy() && space != defaultSpace {
		page = strings.Replace(page, attrJSON(spaceJSON(defaultSpace)), attrJSON(spaceJSON(space)), 1)
	}
	if reqBase == "" && srv == "" {
		return page
	}
	reqA, srvA := html.EscapeString(reqBase), html.EscapeString(srv)
	q := func(v string) string { return "&quot;" + v + "&quot;" }
	pairs := []string{
		q("basePath") + ":" + q(""), q("basePath") + ":" + q(reqA),
		q("serverBasePath") + ":" + q(""), q("serverBasePath") + ":" + q(srvA),
		`src="/bootstrap.js"`, `src="` + reqA + `/bootstrap.js"`,
		`src="/bundles/app/kibana/bootstrap.js"`, `src="` + reqA + `/bundles/app/kibana/bootstrap.js"`,
		`href="/ui/legacy_`, `href="` + srvA + `/ui/legacy_`,
		`href="/node_modules/`, `href="` + srvA + `/node_modules/`,
		`href="/ui/`, `href="` + reqA + `/ui/`,
		`url('/ui/`, `url('` + reqA + `/ui/`,
	}
	tr := reqA
	if s.prof.line.AtLeast(9, 0) {
		tr = srvA
	}
	pairs = append(pairs,
		q("translationsUrl")+":&quot;/translations/", q("translationsUrl")+":&quot;"+tr+"/translations/")
	if ap := s.prof.assetPrefix; ap != "" {
		pairs = append(pairs,
			`"`+ap+`/`, `"`+srvA+ap+`/`,
			`'`+ap+`/`, `'`+srvA+ap+`/`,
			q(ap), q(srvA+ap),
			"&quot;"+ap+"/", "&quot;"+srvA+ap+"/",
		)
	}
	return strings.NewReplacer(pairs...).Replace(page)
}

// attrJSON encodes v as the pages hold metadata: JSON, keys in the order
// the fixture uses for spaces, HTML-attribute-escaped.
func attrJSON(v map[string]any) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range []string{"id", "name", "description", "color", "disabledFeatures", "_reserved"} {
		val, ok := v[k]
		if !ok {
			continue
		}
		if i > 0 {
			b.WriteByte(',')
		}
		kj, _ := json.Marshal(k)
		vj, _ := json.Marshal(val)
		b.Write(kj)
		b.WriteByte(':')
		b.Write(vj)
	}
	b.WriteByte('}')
	return strings.ReplaceAll(html.EscapeString(b.String()), "&#34;", "&quot;")
}

var sessionSeq atomic.Int64

// page serves the bootstrap HTML with the line's headers (headers.json) and
// a session cookie, gzip-compressed when the client accepts it (hapi
// compression, kibana-ui.md §2.6).
func (s *Server) page(c *call) {
	body := []byte(s.withAppBody(s.renderPage(c.rp.reqBase, c.rp.space)))
	h := c.w.Header()
	for k, v := range s.basis.pageHeaders {
		h.Set(k, v)
	}
	cookiePath := s.opts.BasePath
	if cookiePath == "" {
		cookiePath = "/"
	}
	h.Add("Set-Cookie", fmt.Sprintf("%s=Fe26.2**kibanatest%06d; HttpOnly; Path=%s",
		s.prof.cookie, sessionSeq.Add(1), cookiePath))
	h.Set("Vary", "accept-encoding")
	if acceptsGzip(c.r) {
		body = gzipBytes(body)
		h.Set("Content-Encoding", "gzip")
	}
	c.bytes(http.StatusOK, "text/html; charset=utf-8", body)
}

// withAppBody splices SetAppBody's body in after the metadata element.
func (s *Server) withAppBody(page string) string {
	s.mu.Lock()
	app := s.appBody
	s.mu.Unlock()
	if app == nil {
		return page
	}
	closing := "</" + s.prof.headerPrefix() + "-injected-metadata>"
	i, j := strings.Index(page, closing), strings.LastIndex(page, "</body>")
	if i < 0 || j < i {
		return page // every fixture page has both
	}
	i += len(closing)
	return page[:i] + string(app) + page[j:]
}

// bootstrap serves the boot script. Its bundle URLs use server.basePath and
// the asset prefix, as the real template.js.hbs does (kibana-ui.md §2.4).
func (s *Server) bootstrap(c *call) {
	bundles := s.opts.BasePath + s.prof.assetPrefix + "/bundles"
	var files []string
	if s.prof.line.Legacy() {
		files = []string{
			s.opts.BasePath + "/built_assets/dlls/vendors.bundle.dll.js",
			bundles + "/commons.bundle.js", bundles + "/kibana.bundle.js",
		}
	} else {
		files = []string{
			bundles + "/kbn-ui-shared-deps/kbn-ui-shared-deps.js",
			bundles + "/core/core.entry.js",
			bundles + "/plugin/dashboard/dashboard.plugin.js",
		}
	}
	js := fmt.Sprintf("/* kibanatest bootstrap for %s %s */\n"+
		"window.__kbnBundles__ = %q;\nvar kbnBootstrapFiles = [%q, %q, %q];\n",
		s.prof.distName, s.prof.version, bundles, files[0], files[1], files[2])
	sum := sha1.Sum([]byte(js))
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	h := c.w.Header()
	h.Set("Cache-Control", "must-revalidate")
	h.Set("ETag", etag)
	if c.r.Header.Get("If-None-Match") == etag {
		c.w.WriteHeader(http.StatusNotModified)
		return
	}
	c.bytes(http.StatusOK, "application/javascript; charset=utf-8", []byte(js))
}

// servePublic answers the routes Kibana registers without authentication:
// static files and the login page. It reports whether it answered.
func (s *Server) servePublic(c *call) bool {
	if c.r.Method != http.MethodGet && c.r.Method != http.MethodHead {
		return false
	}
	p := c.rp.rest
	if s.isLoginPath(p) {
		c.bytes(http.StatusOK, "text/html; charset=utf-8", []byte(loginPage))
		return true
	}
	if !s.isStatic(p) {
		return false
	}
	s.static(c, p)
	return true
}

func (s *Server) isLoginPath(p string) bool {
	if s.prof.line.OSD {
		return p == "/app/login"
	}
	return p == "/login"
}

const loginPage = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">` +
	`<title>Elastic</title></head><body><div data-test-subj="loginForm">` +
	`kibanatest login page</div></body></html>`

// isStatic reports whether p is one of the static routes of
// kibana-api.md §1.2 / §7 for the line.
func (s *Server) isStatic(p string) bool {
	for _, pre := range []string{"/ui/", "/node_modules/", "/translations/"} {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	if s.prof.line.Legacy() {
		return strings.HasPrefix(p, "/built_assets/") ||
			(strings.HasPrefix(p, "/bundles/") && !strings.HasSuffix(p, "/bootstrap.js"))
	}
	ap := s.prof.assetPrefix
	return strings.HasPrefix(p, ap+"/bundles/") ||
		(s.prof.prefixedUI() && strings.HasPrefix(p, ap+"/ui/"))
}

// static answers with a small body and the long cache lifetime of
// cache-busted assets.
func (s *Server) static(c *call, p string) {
	ctype := mime.TypeByExtension(path.Ext(p))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	body := []byte("kibanatest static " + p + "\n")
	switch path.Ext(p) {
	case ".js", ".css":
		body = []byte("/* kibanatest static " + p + " */\n")
	case ".json":
		body = []byte(`{"formats":{},"messages":{}}`)
	}
	cc := "max-age=31536000"
	if s.prof.line.AtLeast(8, 12) {
		cc = "public, max-age=31536000, immutable"
	}
	c.w.Header().Set("Cache-Control", cc)
	c.bytes(http.StatusOK, ctype, body)
}

// home answers GET / with a redirect to the defaultRoute setting under the
// request's base path, space included (core_app; real-kibana README:
// "302 Location: /app/home").
func (s *Server) home(c *call) {
	target := s.prof.homeApp
	if v, ok := s.userSetting(c.rp.space, "defaultRoute").(string); ok && v != "" {
		target = v
	}
	c.redirect(http.StatusFound, c.rp.reqBase+target)
}

// trailingSlash strips a trailing slash by redirect: 6.x answered 301 from
// its '/{p*}' route, 7.10+ core_app answers 302 (kibana-api.md §1.2).
func (s *Server) trailingSlash(c *call) {
	if c.r.Method != http.MethodGet && c.r.Method != http.MethodHead {
		c.notFound()
		return
	}
	loc := c.rp.reqBase + strings.TrimRight(c.rp.rest, "/")
	if c.r.URL.RawQuery != "" {
		loc += "?" + c.r.URL.RawQuery
	}
	code := http.StatusFound
	if s.prof.line.Legacy() {
		code = http.StatusMovedPermanently
	}
	c.redirect(code, loc)
}
