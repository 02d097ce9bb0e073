package proxy

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/tokens"
)

// What kshare does with a request that a rule allows.
type action int

const (
	// forward with the service credentials, under the share's space.
	actForward action = iota
	// forward, then rewrite the bootstrap page (the object's app page).
	actPage
	// answer locally; never forwarded.
	actLocal
	// forward without credentials: static files outside all share paths.
	actStatic
)

// lines is a predicate over Kibana lines; nil means every line.
type lines func(kbn.Line) bool

var (
	legacy    lines = func(l kbn.Line) bool { return l.Legacy() }
	platform  lines = func(l kbn.Line) bool { return !l.Legacy() }
	since715  lines = func(l kbn.Line) bool { return l.AtLeast(7, 15) }
	since8    lines = func(l kbn.Line) bool { return !l.OSD && l.AtLeast(8, 0) }
	since89   lines = func(l kbn.Line) bool { return l.AtLeast(8, 9) }
	since9    lines = func(l kbn.Line) bool { return l.AtLeast(9, 0) }
	bsearch   lines = func(l kbn.Line) bool { return l.AtLeast(7, 11) && !l.AtLeast(9, 0) }
	osdOnly   lines = func(l kbn.Line) bool { return l.OSD }
	kibanaAll lines = func(l kbn.Line) bool { return !l.OSD }
	xpack7    lines = func(l kbn.Line) bool { return !l.OSD && !l.Legacy() }
)

// rule is one row of a policy table. A request is allowed when some row
// matches its method, canonical path, Kibana line and (if set) query.
type rule struct {
	name   string
	method string // GET also allows HEAD
	path   string // segments; {x} is one segment, {build} a build prefix, ** the rest
	on     lines
	act    action
	local  string                // for actLocal: the name of the local answer
	query  func(url.Values) bool // nil: any query
	check  func(target) bool     // nil: no per-share condition
	resp   string                // name of a jsonRewriters entry for Kibana's answer
	guard  string                // name of a guards entry: a check against the closure
	search string                // name of a searchRewriters entry: the body is checked and rewritten
}

// target is what a rule's check looks at.
type target struct {
	line  kbn.Line
	share *tokens.Share
	segs  []string
}

// shareRules is the deny-by-default policy under a share's path. Anything
// not listed is refused with 403 and never reaches Kibana. The list holds
// what a dashboard or visualization needs to render read-only, as measured
// on the real 7.10.2 and 7.12.1 UIs and listed in kibana-api.md §7.
//
// Rules with a guard are also checked against the shared object's closure
// (access.go): saved-object reads name only closure objects, field lookups
// only closure data views; answers to reads are checked too.
var shareRules = []rule{
	// The page and what it loads relative to the share's base path.
	{name: "app page", method: "GET", path: "/app/{app}", act: actPage, check: ownApp},
	{name: "bootstrap script", method: "GET", path: "/bootstrap.js", on: platform},
	{name: "bootstrap script 6.x", method: "GET", path: "/bundles/app/kibana/bootstrap.js",
		on: legacy},
	{name: "translations", method: "GET", path: "/translations/**"},
	{name: "ui files", method: "GET", path: "/ui/**"},
	// Under a Kibana server.basePath the page names its static files with
	// that prefix, which the rewrite moves under the share's path.
	{name: "bundles", method: "GET", path: "/{build}/bundles/**"},
	{name: "static under build prefix", method: "GET", path: "/{build}/ui/**"},
	{name: "bundles 6.x", method: "GET", path: "/bundles/**", on: legacy},
	{name: "built assets 6.x", method: "GET", path: "/built_assets/**", on: legacy},
	{name: "ui framework css", method: "GET", path: "/node_modules/@kbn/ui-framework/dist/**"},

	// Bootstrap reads made by core and plugins.
	{name: "capabilities", method: "POST", path: "/api/core/capabilities",
		on: platform, resp: "capabilities"},
	{name: "active space", method: "GET", path: "/internal/spaces/_active_space", on: xpack7},
	{name: "licensing", method: "GET", path: "/api/licensing/info", on: xpack7},
	{name: "xpack info 6.x", method: "GET", path: "/api/xpack/v1/info", on: legacy},
	{name: "settings read", method: "GET", path: "/api/kibana/settings",
		on: kibanaAll, resp: "settings"},
	{name: "settings read internal", method: "GET", path: "/internal/kibana/settings",
		on: since89, resp: "settings"},
	{name: "global settings read", method: "GET", path: "/api/kibana/global_settings",
		on: since89, resp: "settings"},
	{name: "global settings read internal", method: "GET", path: "/internal/kibana/global_settings",
		on: since89, resp: "settings"},
	{name: "settings read osd", method: "GET", path: "/api/opensearch-dashboards/settings",
		on: osdOnly, resp: "settings"},

	// Saved objects the page reads.
	{name: "saved objects bulk get", method: "POST", path: "/api/saved_objects/_bulk_get",
		guard: "bulk-get", resp: "closure-answer"},
	{name: "saved objects bulk resolve", method: "POST", path: "/api/saved_objects/_bulk_resolve",
		on: since715, guard: "bulk-get", resp: "closure-answer"},
	{name: "saved object resolve", method: "GET", path: "/api/saved_objects/resolve/{type}/{id}",
		on: since715, check: readableType(3), guard: "object-path", resp: "closure-answer"},
	{name: "saved object get", method: "GET", path: "/api/saved_objects/{type}/{id}",
		check: readableType(2), guard: "object-path", resp: "closure-answer"},
	{name: "data view titles", method: "GET", path: "/api/saved_objects/_find",
		query: onlyIndexPatterns, act: actLocal, local: "find-data-views"},
	{name: "content management get", method: "POST", path: "/api/content_management/rpc/get",
		on: since89, guard: "content-mgmt"},
	{name: "content management bulk get", method: "POST", path: "/api/content_management/rpc/bulkGet",
		on: since89, guard: "content-mgmt"},
	{name: "dashboards api get", method: "GET", path: "/api/dashboards/dashboard/{id}",
		on: since9, check: ownObject(3)},

	// Data view listings and existence checks (7.13+/8.x) come from the
	// closure too, so other data views and totals never show.
	{name: "data views list", method: "GET", path: "/api/data_views", on: since89,
		act: actLocal, local: "list-data-views"},
	{name: "data view get", method: "GET", path: "/api/data_views/data_view/{id}", on: since89,
		guard: "data-view-path"},
	{name: "has data views", method: "GET", path: "/internal/data_views/has_data_views",
		on: since89, act: actLocal, local: "has-data-views"},
	{name: "has user index pattern", method: "GET", path: "/api/index_patterns/has_user_index_pattern",
		on: since715, act: actLocal, local: "has-user-index-pattern"},

	// Field lookups.
	{name: "fields for wildcard", method: "GET", path: "/api/index_patterns/_fields_for_wildcard",
		guard: "pattern-query", query: fieldParams},
	{name: "data view fields", method: "GET", path: "/internal/data_views/_fields_for_wildcard",
		on: since89, guard: "pattern-query", query: fieldParams},
	{name: "data view fields 8.12", method: "GET", path: "/internal/data_views/fields",
		on: since89, guard: "pattern-query", query: fieldParams},
	{name: "tsvb fields", method: "GET", path: "/api/metrics/fields",
		on: platform, guard: "index-query", query: onlyParams("index", "type")},

	// Searches the panels make (kibana-api.md §1.6, §1.7).
	{name: "msearch 6.x", method: "POST", path: "/elasticsearch/_msearch",
		on: legacy, search: "msearch6", query: onlyParams()},
	{name: "search", method: "POST", path: "/internal/search/{strategy}",
		on: platform, check: strategy(2), search: "internal", resp: "async-answer", query: onlyParams()},
	{name: "search poll", method: "POST", path: "/internal/search/{strategy}/{id}",
		on: platform, check: strategy(2), search: "internal-poll", resp: "async-answer", query: onlyParams()},
	{name: "search cancel", method: "DELETE", path: "/internal/search/{strategy}/{id}",
		on: platform, check: strategy(2), search: "cancel", query: onlyParams()},
	{name: "bsearch", method: "POST", path: "/internal/bsearch",
		on: bsearch, search: "bsearch", query: onlyParams("compress")},
	{name: "msearch osd", method: "POST", path: "/internal/_msearch",
		on: osdOnly, search: "msearch-osd", query: onlyParams()},
	{name: "tsvb data", method: "POST", path: "/api/metrics/vis/data",
		search: "tsvb", query: onlyParams()},
	{name: "timelion", method: "POST", path: "/api/timelion/run",
		on: kibanaAll, search: "timelion"},
	{name: "timelion internal", method: "POST", path: "/internal/timelion/run",
		on: since89, search: "timelion"},
	{name: "timeline osd", method: "POST", path: "/api/timeline/run",
		on: osdOnly, search: "timelion"},
	{name: "input controls", method: "GET", path: "/api/input_control_vis/settings"},
	// Elastic Maps vector tiles: the search body travels rison-encoded in
	// requestBody (search.Tile); 7.x wrote x/y/z as parameters, later
	// lines as path segments, 8.x moved the routes to /internal.
	{name: "maps tile", method: "GET", path: "/api/maps/mvt/getTile", on: xpack7,
		search: "mvt", query: tileParams},
	{name: "maps grid tile", method: "GET", path: "/api/maps/mvt/getGridTile", on: xpack7,
		search: "mvt", query: tileParams},
	{name: "maps tile zxy", method: "GET", path: "/api/maps/mvt/getTile/{z}/{x}/{y}", on: xpack7,
		check: tileSegments, search: "mvt", query: tileParams},
	{name: "maps grid tile zxy", method: "GET", path: "/api/maps/mvt/getGridTile/{z}/{x}/{y}", on: xpack7,
		check: tileSegments, search: "mvt", query: tileParams},
	{name: "maps tile internal", method: "GET", path: "/internal/maps/mvt/getTile/{z}/{x}/{y}", on: xpack7,
		check: tileSegments, search: "mvt", query: tileParams},
	{name: "maps grid tile internal", method: "GET", path: "/internal/maps/mvt/getGridTile/{z}/{x}/{y}",
		on: xpack7, check: tileSegments, search: "mvt", query: tileParams},
	// 8.x options-list controls post what to list; the data view title is
	// the last segment (search.OptionsList).
	{name: "options list", method: "POST", path: "/api/kibana/controls/optionsList/{index}",
		on: since8, search: "options-list", query: onlyParams()},
	{name: "options list internal", method: "POST", path: "/internal/controls/optionsList/{index}",
		on: since8, search: "options-list", query: onlyParams()},

	// Answered by kshare: writes the UI makes on its own, telemetry, and
	// the current user, which would otherwise name the service account.
	{name: "settings write", method: "POST", path: "/api/kibana/settings",
		act: actLocal, local: "settings"},
	{name: "settings write osd", method: "POST", path: "/api/opensearch-dashboards/settings",
		on: osdOnly, act: actLocal, local: "settings"},
	{name: "ui counters", method: "POST", path: "/api/ui_counters/_report",
		act: actLocal, local: "ok"},
	{name: "ui metric", method: "POST", path: "/api/ui_metric/report", act: actLocal, local: "ok"},
	{name: "feature usage", method: "POST", path: "/internal/licensing/feature_usage/register",
		act: actLocal, local: "ok"},
	{name: "telemetry config", method: "GET", path: "/api/telemetry/v2/config",
		act: actLocal, local: "telemetry"},
	{name: "telemetry config internal", method: "GET", path: "/internal/telemetry/config",
		act: actLocal, local: "telemetry"},
	{name: "telemetry notice", method: "PUT", path: "/api/telemetry/v2/userHasSeenNotice",
		act: actLocal, local: "ok"},
	{name: "telemetry notice internal", method: "PUT", path: "/internal/telemetry/userHasSeenNotice",
		act: actLocal, local: "ok"},
	{name: "telemetry last reported", method: "GET", path: "/internal/telemetry/last_reported",
		act: actLocal, local: "ok"},
	{name: "insecure cluster alert", method: "GET", path: "/internal/security_oss/display_insecure_cluster_alert",
		act: actLocal, local: "no-alert"},
	{name: "security oss state", method: "GET", path: "/internal/security_oss/app_state",
		act: actLocal, local: "oss-state"},
	{name: "current user", method: "GET", path: "/internal/security/me",
		act: actLocal, local: "me"},
	{name: "current user 6.x", method: "GET", path: "/api/security/v1/me",
		act: actLocal, local: "me"},
}

// rootRules is the allow-list outside every share path: static files that
// the bootstrap code loads from Kibana's server base path. They are
// forwarded without credentials, so they can only ever reach what Kibana
// serves to anyone.
var rootRules = []rule{
	{name: "bundles", method: "GET", path: "/{build}/bundles/**", act: actStatic},
	{name: "static under build prefix", method: "GET", path: "/{build}/ui/**", act: actStatic},
	{name: "bundles 6.x", method: "GET", path: "/bundles/**", act: actStatic, on: legacy},
	{name: "built assets 6.x", method: "GET", path: "/built_assets/**", act: actStatic, on: legacy},
	{name: "ui files", method: "GET", path: "/ui/**", act: actStatic},
	{name: "ui framework css", method: "GET", path: "/node_modules/@kbn/ui-framework/dist/**",
		act: actStatic},
	{name: "eui css 6.x", method: "GET", path: "/node_modules/@elastic/eui/dist/**",
		act: actStatic, on: legacy},
	{name: "translations", method: "GET", path: "/translations/**", act: actStatic},
}

// closureLocals are the local answers built from the share's closure.
var closureLocals = map[string]bool{"find-data-views": true, "list-data-views": true,
	"has-data-views": true, "has-user-index-pattern": true}

// needsClosure reports whether handling the rule needs the share's
// closure: guards, answer rewrites and checks, searches, closure-built
// local answers and the app page (its default data view).
func (r rule) needsClosure() bool {
	return r.guard != "" || r.resp != "" || r.search != "" || closureLocals[r.local] || r.act == actPage
}

// buildPrefix matches the cache-busting first segment of bundle URLs: the
// build number (7.x–8.13) or the first 12 hex digits of the build SHA (8.14+).
var buildPrefix = regexp.MustCompile(`^([0-9]{1,12}|[0-9a-f]{12})$`)

// match returns the first rule of table that allows the request.
func match(table []rule, l kbn.Line, sh *tokens.Share, method string, c canonical, q url.Values) (rule, bool) {
	for _, r := range table {
		if !methodOK(r.method, method) || (r.on != nil && !r.on(l)) {
			continue
		}
		if c.trailing || !pathMatches(r.path, c.segments) {
			continue
		}
		if r.query != nil && !r.query(q) {
			continue
		}
		if r.check != nil && !r.check(target{line: l, share: sh, segs: c.segments}) {
			continue
		}
		return r, true
	}
	return rule{}, false
}

func methodOK(want, got string) bool {
	return want == got || (want == http.MethodGet && got == http.MethodHead)
}

func pathMatches(pattern string, segs []string) bool {
	pat := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	for i, p := range pat {
		if p == "**" {
			return len(segs) > i
		}
		if i >= len(segs) {
			return false
		}
		switch {
		case p == "{build}":
			if !buildPrefix.MatchString(segs[i]) {
				return false
			}
		case strings.HasPrefix(p, "{"):
			// any one segment
		case p != segs[i]:
			return false
		}
	}
	return len(segs) == len(pat)
}

// ownApp allows only the app that shows the shared object: another app's
// page would give the recipient the rest of Kibana.
func ownApp(t target) bool {
	return t.share != nil && len(t.segs) == 2 && t.segs[1] == kbn.App(t.line, t.share.Kind)
}

// readableTypes are the saved-object types a dashboard's panels read.
var readableTypes = map[string]bool{
	"dashboard": true, "visualization": true, "lens": true, "search": true,
	"index-pattern": true, "map": true, "tag": true, "config": true,
}

func readableType(at int) func(target) bool {
	return func(t target) bool { return len(t.segs) > at && readableTypes[t.segs[at]] }
}

func ownObject(at int) func(target) bool {
	return func(t target) bool {
		return t.share != nil && len(t.segs) > at && t.segs[at] == t.share.ObjectID
	}
}

// searchStrategies are the strategies a dashboard's panels use: es and ese
// on Kibana, opensearch on OpenSearch Dashboards. eql, sql and esql are
// refused: they are not needed to render and cannot be checked yet.
var searchStrategies = map[string]bool{"es": true, "ese": true, "opensearch": true}

func strategy(at int) func(target) bool {
	return func(t target) bool { return len(t.segs) > at && searchStrategies[t.segs[at]] }
}

// onlyParams allows a query string with no parameters but these: a search
// or field route must not carry options kshare did not check, such as
// expand_wildcards on 6.x _msearch (Kibana passes it to Elasticsearch) or a
// rollup_index on field lookups.
func onlyParams(keys ...string) func(url.Values) bool {
	return func(q url.Values) bool {
		for k := range q {
			if !slices.Contains(keys, k) {
				return false
			}
		}
		return true
	}
}

// fieldParams are the parameters Kibana's field lookups send (7.x pattern,
// meta_fields; 8.x allow_no_index, include_unmapped, fields, allow_hidden;
// versioned routes apiVersion). type and rollup_index are left out.
var fieldParams = onlyParams("pattern", "meta_fields", "allow_no_index", "include_unmapped",
	"fields", "allow_hidden", "apiVersion", "field_types")

// onlyIndexPatterns lets _find list data views only, with one type
// parameter: a repeated type=dashboard would otherwise widen it.
func onlyIndexPatterns(q url.Values) bool {
	t := q["type"]
	return len(t) == 1 && t[0] == "index-pattern"
}

// tileParams are the parameters of Elastic Maps tile routes across lines
// (x-pack/…/maps/server/mvt/mvt_routes.ts), each at most once; index and
// requestBody are required.
func tileParams(q url.Values) bool {
	if !tileParamNames(q) {
		return false
	}
	for _, v := range q {
		if len(v) != 1 {
			return false
		}
	}
	return q.Get("index") != "" && q.Get("requestBody") != ""
}

var tileParamNames = onlyParams("x", "y", "z", "geometryFieldName", "index", "requestBody",
	"geoFieldType", "requestType", "buffer", "hasLabels", "token", "executionContextId",
	"renderAs", "gridPrecision", "apiVersion")

// tileSegments holds a tile path's z, x and y to numbers ("12", "7.pbf").
func tileSegments(t target) bool {
	n := len(t.segs)
	for i, s := range t.segs[n-3:] {
		if i == 2 {
			s = strings.TrimSuffix(s, ".pbf")
		}
		if s == "" || len(s) > 10 || strings.Trim(s, "0123456789") != "" {
			return false
		}
	}
	return true
}

// dangerousSegments are refused even in report mode, wherever they appear
// in a path and in any letter case: raw Elasticsearch access, the console,
// exports and imports, security, spaces, sessions, short URLs, reporting and
// OSD's security plugin.
var dangerousSegments = map[string]bool{
	"console": true, "elasticsearch": true, "_export": true, "_import": true,
	"_resolve_import_errors": true, "security": true, "spaces": true, "session": true,
	"short_url": true, "shorten_url": true, "goto": true, "reporting": true, "v1": true,
	"fleet": true, "alerting": true, "export": true, "import": true, "download": true,
	"jobs": true, "actions": true, "cases": true, "ml": true, "apm": true,
	"encrypted_saved_objects": true, "task_manager": true, "upgrade_assistant": true,
}

// reportFirstSegments are the only first segments report mode forwards:
// Kibana's apps and its API. Anything else (a space prefix or Kibana's base
// path inside the share path, static-looking paths) stays refused.
var reportFirstSegments = map[string]bool{"app": true, "api": true, "internal": true}

// alwaysDangerous reports whether a request stays refused in report mode:
// every method that can write (anything but GET and HEAD), any path with a
// dangerous segment, and paths outside /app, /api and /internal or spelled
// with upper-case letters where Kibana's routes have none.
func alwaysDangerous(method string, c canonical) bool {
	if method != http.MethodGet && method != http.MethodHead {
		return true
	}
	if len(c.segments) == 0 || !reportFirstSegments[c.segments[0]] {
		return true
	}
	for i, seg := range c.segments {
		lower := strings.ToLower(seg)
		if dangerousSegments[lower] {
			return true
		}
		if i < 2 && lower != seg {
			return true
		}
	}
	return false
}
