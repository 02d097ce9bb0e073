package kibanatest

import (
	"net/http"
	"net/url"
	"strings"
)

// endpoint is one route. Patterns are "/"-separated segments; "{name}"
// matches one segment, a final "{name...}" matches zero or more. A GET
// route also answers HEAD, as hapi does. Methods that do not match give 404,
// again as in hapi (no 405).
type endpoint struct {
	method string
	segs   []string
	h      func(*call)
}

func (e endpoint) match(method string, segs []string) (map[string]string, bool) {
	if e.method != method && !(e.method == http.MethodGet && method == http.MethodHead) {
		return nil, false
	}
	vars := map[string]string{}
	for i, p := range e.segs {
		if name, ok := strings.CutSuffix(p, "...}"); ok {
			vars[strings.TrimPrefix(name, "{")] = strings.Join(segs[i:], "/")
			return vars, true
		}
		if i >= len(segs) {
			return nil, false
		}
		if strings.HasPrefix(p, "{") {
			vars[strings.Trim(p, "{}")] = segs[i]
			continue
		}
		if p != segs[i] {
			return nil, false
		}
	}
	return vars, len(segs) == len(e.segs)
}

// router is the line's route table, built once in New.
type router []endpoint

func (rt *router) add(method, pattern string, h func(*call)) {
	*rt = append(*rt, endpoint{method: method, segs: strings.Split(pattern[1:], "/"), h: h})
}

// lookup finds the endpoint for an escaped path; segments are unescaped one
// by one, so an id holding %2F stays one segment.
func (rt router) lookup(method, escaped string) (endpoint, map[string]string, bool) {
	raw := strings.Split(strings.TrimPrefix(escaped, "/"), "/")
	segs := make([]string, len(raw))
	for i, r := range raw {
		s, err := url.PathUnescape(r)
		if err != nil || s == "" || s == "." || s == ".." {
			return endpoint{}, nil, false
		}
		segs[i] = s
	}
	for _, e := range rt {
		if vars, ok := e.match(method, segs); ok {
			return e, vars, true
		}
	}
	return endpoint{}, nil, false
}

// route dispatches an authenticated request.
func (s *Server) route(c *call) {
	p := c.rp.rest
	if p == "/" {
		if c.r.Method != http.MethodGet && c.r.Method != http.MethodHead {
			c.notFound()
			return
		}
		s.home(c)
		return
	}
	if strings.HasSuffix(p, "/") {
		s.trailingSlash(c)
		return
	}
	e, vars, ok := s.table.lookup(c.r.Method, p)
	if !ok {
		c.notFound()
		return
	}
	if strings.HasPrefix(p, "/internal/") && !s.internalOriginOK(c) {
		return
	}
	c.vars = vars
	e.h(c)
}

// buildRoutes registers what the line has. Line differences cite
// kibana-api.md sections.
func (s *Server) buildRoutes() router {
	p := s.prof
	var rt router
	const get, post = http.MethodGet, http.MethodPost

	// Pages and the bootstrap script (kibana-ui.md §2.1).
	if p.line.Legacy() {
		rt.add(get, "/app/kibana", s.page)
		rt.add(get, "/bundles/app/kibana/bootstrap.js", s.bootstrap)
	} else {
		rt.add(get, "/app/{app}/{rest...}", s.page)
		rt.add(get, "/bootstrap.js", s.bootstrap)
	}

	// Core and plugin bootstrap reads (§1.3).
	rt.add(get, "/api/status", s.apiStatus)
	settings := "/api/kibana/settings"
	if p.line.OSD {
		settings = "/api/opensearch-dashboards/settings"
	}
	rt.add(get, settings, s.getSettings)
	rt.add(post, settings, s.postSettings)
	rt.add(get, "/api/input_control_vis/settings", s.inputControlSettings)
	s.addPluginReads(&rt)

	// Saved objects (§1.4, §3.2).
	rt.add(get, "/api/saved_objects/_find", s.findObjects)
	rt.add(post, "/api/saved_objects/_bulk_get", s.bulkGet)
	rt.add(post, "/api/saved_objects/_export", s.exportObjects)
	rt.add(get, "/api/saved_objects/{type}/{id}", s.getObject)
	if p.hasResolve() {
		rt.add(post, "/api/saved_objects/_bulk_resolve", s.bulkResolve)
		rt.add(get, "/api/saved_objects/resolve/{type}/{id}", s.resolveObject)
	}
	if p.hasContentMgmt() {
		rt.add(post, "/api/content_management/rpc/get", s.contentGet)
	}
	if p.hasDashboardsAPI() {
		rt.add(get, "/api/dashboards/dashboard/{id}", s.dashboardsAPI)
	}
	if p.line.Legacy() {
		rt.add(get, "/api/kibana/dashboards/export", s.legacyDashboardExport)
	}

	// Field lists (§1.5).
	if p.line.AtLeast(8, 0) {
		rt.add(get, "/internal/data_views/_fields_for_wildcard", s.fieldsForWildcard)
		rt.add(get, "/internal/data_views/fields", s.fieldsForWildcard)
	} else {
		rt.add(get, "/api/index_patterns/_fields_for_wildcard", s.fieldsForWildcard)
	}

	s.addSearchRoutes(&rt)
	rt.add(post, "/api/console/proxy", s.consoleProxy)
	return rt
}

// addPluginReads registers the x-pack and OSS plugin reads of §1.3.
func (s *Server) addPluginReads(rt *router) {
	p := s.prof
	const get, post = http.MethodGet, http.MethodPost
	switch {
	case p.line.Legacy():
		rt.add(get, "/api/security/v1/me", s.securityMe)
		rt.add(get, "/api/xpack/v1/info", s.xpackInfo)
		rt.add(get, "/api/spaces/space", s.listSpaces)
		rt.add(post, "/api/ui_metric/report", s.okStatus)
	case p.line.OSD:
		rt.add(get, "/api/v1/auth/authinfo", s.osdAuthInfo)
		rt.add(post, "/api/core/capabilities", s.capabilities)
		rt.add(post, "/api/ui_metric/report", s.okStatus)
	default:
		rt.add(post, "/api/core/capabilities", s.capabilities)
		rt.add(get, "/internal/security/me", s.securityMe)
		rt.add(get, "/internal/spaces/_active_space", s.activeSpace)
		rt.add(get, "/api/spaces/space", s.listSpaces)
		rt.add(get, "/api/licensing/info", s.licensingInfo)
	}
	// The insecure-cluster alert of security_oss lived from 7.10 to 7.x;
	// security is on by default from 8.0.
	if !p.line.OSD && p.line.AtLeast(7, 10) && !p.line.AtLeast(8, 0) {
		rt.add(get, "/internal/security_oss/display_insecure_cluster_alert", s.insecureAlert)
		rt.add(get, "/internal/security_oss/app_state", s.securityOSSAppState)
	}
	// ui_metric until 7.11, ui_counters from 7.12.
	if p.line.AtLeast(7, 12) {
		rt.add(post, "/api/ui_counters/_report", s.okStatus)
	} else if p.line.AtLeast(7, 0) {
		rt.add(post, "/api/ui_metric/report", s.okStatus)
	}
}

// addSearchRoutes registers the search endpoints of §1.6 and §1.7.
func (s *Server) addSearchRoutes(rt *router) {
	p := s.prof
	const post, del = http.MethodPost, http.MethodDelete
	if p.line.Legacy() {
		rt.add(post, "/elasticsearch/_msearch", s.legacyMsearch)
		rt.add(post, "/elasticsearch/{index}/_search", s.legacySearch)
	} else {
		rt.add(post, "/internal/search/{strategy}", s.internalSearch)
		rt.add(post, "/internal/search/{strategy}/{id}", s.internalSearch)
		rt.add(del, "/internal/search/{strategy}/{id}", s.deleteSearch)
	}
	if p.hasBsearch() {
		rt.add(post, "/internal/bsearch", s.bsearch)
	}
	// /internal/_msearch (courier:batchSearches) is the 7.10-era batch route
	// that OSD kept; bsearch replaced it in 7.11.
	if p.newPlatform() && !p.line.AtLeast(7, 11) {
		rt.add(post, "/internal/_msearch", s.internalMsearch)
	}
	rt.add(post, "/api/metrics/vis/data", s.tsvb)
	rt.add(post, "/api/timelion/run", s.timelion)
	if p.line.AtLeast(8, 13) {
		rt.add(post, "/internal/timelion/run", s.timelion)
	}
	if p.line.OSD {
		rt.add(post, "/api/timeline/run", s.timelion)
	}
	s.addTileRoutes(rt)
	if p.line.AtLeast(8, 0) && !p.line.OSD {
		rt.add(post, "/api/kibana/controls/optionsList/{index}", s.optionsList)
		rt.add(post, "/internal/controls/optionsList/{index}", s.optionsList)
	}
}

// addTileRoutes registers Elastic Maps' vector tile routes (kibana-api.md
// §1.7): 7.x under /api with x, y, z as parameters (7.10) or path
// segments, 8.x and 9.x under /internal.
func (s *Server) addTileRoutes(rt *router) {
	p := s.prof
	if p.line.OSD || p.line.Legacy() {
		return
	}
	const get = http.MethodGet
	for _, kind := range []string{"getTile", "getGridTile"} {
		switch {
		case p.line.AtLeast(8, 0):
			rt.add(get, "/internal/maps/mvt/"+kind+"/{z}/{x}/{y}", s.tile)
		case p.line.AtLeast(7, 11):
			rt.add(get, "/api/maps/mvt/"+kind+"/{z}/{x}/{y}", s.tile)
		default:
			rt.add(get, "/api/maps/mvt/"+kind, s.tile)
		}
	}
}
