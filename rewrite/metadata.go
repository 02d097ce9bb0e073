package rewrite

import "strings"

// mover moves root-relative URLs from Kibana's base paths to the share's.
//
// old is the metadata basePath: the request's base path, server.basePath plus
// the space prefix (e.g. "/kibana/s/team"). server is serverBasePath, the
// same without the space. 8.x/9.x build asset and translation URLs from
// server, 7.x page URLs from old, so both are moved; old first, being the
// longer of the two whenever both are set.
type mover struct {
	old, server, share string
}

func newMover(md map[string]any, share string) mover {
	old, _ := md["basePath"].(string)
	server, ok := md["serverBasePath"].(string)
	if !ok {
		// 6.x has no top-level serverBasePath; its spaces plugin injects
		// the same value as a var.
		vars, _ := md["vars"].(map[string]any)
		server, _ = vars["serverBasePath"].(string)
	}
	return mover{old: old, server: server, share: share}
}

// move returns s with a leading old (or server) base path replaced by the
// share base path, and whether it did so. Empty base paths never match:
// with no base path, root-relative URLs stay as they are (kshare's static
// allow-list serves them).
func (m mover) move(s string) (string, bool) {
	for _, p := range [...]string{m.old, m.server} {
		if p != "" && (s == p || strings.HasPrefix(s, p+"/")) {
			return m.share + s[len(p):], true
		}
	}
	return s, false
}

// under puts a root-relative URL under the share base path even when no old
// base path matches: strip old or server if present, then prefix share.
// Absolute and protocol-relative URLs and URLs already under the share come
// back unchanged.
func (m mover) under(s string) string {
	if moved, ok := m.move(s); ok {
		return moved
	}
	if !rootRelative(s) || s == m.share || strings.HasPrefix(s, m.share+"/") {
		return s
	}
	return m.share + s
}

// rootRelative reports a path like "/x" (not "//host/x", not "http:…").
func rootRelative(s string) bool {
	return strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//")
}

// rewriteMetadata applies the share's base path, strips what a recipient
// must not see and forces the recipient's uiSettings, in that order.
func rewriteMetadata(md map[string]any, mv mover, opt Options) {
	moveBasePaths(md, mv)
	stripRecipientUnsafe(md)
	neutralisePlugins(md)
	forceSettings(md, opt.Settings)
}

// moveBasePaths points every basePath-derived value at the share.
//
// Set explicitly: basePath; serverBasePath when present, so basePath minus
// serverBasePath is "" and the spaces plugin sees no /s/<space> prefix (the
// space never shows in the recipient's URL); 6.8's legacyMetadata.basePath
// and vars.serverBasePath (the 6.x spaces plugin's copy of server.basePath).
//
// Moved when they start with an old base path: every other string outside
// uiPlugins and the uiSettings. Of those, the rendering service derives
// from a base path i18n.translationsUrl
// (7.x: basePath-based), 8.x+ assetsHrefBase and 9.x theme.stylesheetPaths
// (serverBasePath-based; TestServerBasePath) and, by the 6.x sources,
// vars.logoutUrl. Nothing in 6.8's legacyMetadata.app or nav is prefixed
// (the browser adds the base path to nav links). Plugin configs come from
// kibana.yml, not from the base path, and a common server.basePath such as
// "/kibana" would otherwise capture newsfeed's pathTemplate
// "/kibana/v{VERSION}.json"; uiSettings are user data.
//
// i18n.translationsUrl is always put under the share when root-relative,
// because 9.x builds it from serverBasePath, which may be "" while the space
// prefix is not.
func moveBasePaths(md map[string]any, mv mover) {
	for k, v := range md {
		if k == "uiPlugins" {
			continue
		}
		lm, ok := v.(map[string]any)
		if k != "legacyMetadata" || !ok {
			moveEntry(md, k, v, mv.move)
			continue
		}
		for lk, lv := range lm {
			if lk != "uiSettings" && lk != "globalUiSettings" {
				moveEntry(lm, lk, lv, mv.move)
			}
		}
	}
	md["basePath"] = mv.share
	setIfPresent(md, "serverBasePath", mv.share)
	lm, _ := md["legacyMetadata"].(map[string]any)
	setIfPresent(lm, "basePath", mv.share)
	vars, _ := md["vars"].(map[string]any)
	setIfPresent(vars, "serverBasePath", mv.share)
	if i18n, ok := md["i18n"].(map[string]any); ok {
		if u, ok := i18n["translationsUrl"].(string); ok {
			i18n["translationsUrl"] = mv.under(u)
		}
	}
}

// walkStrings replaces, in place, every string in maps and slices below v
// for which fn reports a change.
func walkStrings(v any, fn func(string) (string, bool)) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			moveEntry(t, k, e, fn)
		}
	case []any:
		for i, e := range t {
			if s, ok := e.(string); ok {
				if r, changed := fn(s); changed {
					t[i] = r
				}
				continue
			}
			walkStrings(e, fn)
		}
	}
}

// moveEntry applies fn to m[k] = v if it is a string, else to the strings
// below it.
func moveEntry(m map[string]any, k string, v any, fn func(string) (string, bool)) {
	if s, ok := v.(string); ok {
		if r, changed := fn(s); changed {
			m[k] = r
		}
		return
	}
	walkStrings(v, fn)
}

// stripRecipientUnsafe removes what identifies the deployment and is not
// needed to render. env.packageInfo (buildSha, buildShaShort, buildNum)
// stays: 8.14+ asset URLs are built from it.
func stripRecipientUnsafe(md map[string]any) {
	// publicBaseUrl (7.12+) names Kibana's own public address.
	delete(md, "publicBaseUrl")
	// clusterInfo (8.x) carries the Elasticsearch cluster name and uuid.
	setIfPresent(md, "clusterInfo", map[string]any{})
	// apmConfig would make the browser report to the operator's APM server.
	setIfPresent(md, "apmConfig", nil)

	vars, _ := md["vars"].(map[string]any)
	setIfPresent(vars, "apmConfig", nil)
	// 6.x: the first elasticsearch.hosts entry, read only by Console's
	// "copy as curl"; it names an internal address.
	setIfPresent(vars, "elasticsearchUrl", "")
	// 6.x telemetry switches (the opt-in itself is the uiSetting below).
	setIfPresent(vars, "telemetryEnabled", false)
	setIfPresent(vars, "telemetryBanner", false)
	setIfPresent(vars, "telemetryOptedIn", false)

	lm, _ := md["legacyMetadata"].(map[string]any)
	setIfPresent(lm, "serverName", "kibana") // server.name, an operator's label
	setIfPresent(lm, "buildSha", "")
}

// setIfPresent sets m[k] = v only when m has k, so no line gains keys its
// browser code does not know. A nil m is fine.
func setIfPresent(m map[string]any, k string, v any) {
	if _, ok := m[k]; ok {
		m[k] = v
	}
}

// NewsfeedURLRoot replaces the newsfeed plugin's service.urlRoot. The
// plugin fetches urlRoot+pathTemplate once per page load whenever its header
// button mounts (visible chrome, even if hidden by CSS): shouldFetch is true
// for a fresh page whatever fetchInterval says, and an empty urlRoot falls
// back to https://feeds.elastic.co (newsfeed/public/lib/driver.ts), so
// neither an empty value nor a long interval stops the call. A root-relative
// urlRoot goes through Kibana's http service, which prefixes the base path:
// the browser asks ShareBase+NewsfeedURLRoot+"/kibana/v<version>.json" and
// the proxy can answer 404 without calling Kibana or the internet. The failed
// fetch is recorded as done, so the plugin does not retry within the page.
// Intervals are left alone: a period above 2^31 ms overflows browser timers
// and would make the plugin poll in a tight loop.
const NewsfeedURLRoot = "/kshare-newsfeed-off"

// neutralisePlugins turns off the browser-side plugins that phone home or
// write usage data with the share's service credentials.
func neutralisePlugins(md map[string]any) {
	list, _ := md["uiPlugins"].([]any)
	for _, p := range list {
		desc, _ := p.(map[string]any)
		cfg, _ := desc["config"].(map[string]any)
		switch desc["id"] {
		case "telemetry":
			// 7.x+: no opt-in, no banner, no way for the recipient to opt in.
			for _, k := range [...]string{"enabled", "optIn", "banner",
				"allowChangingOptInStatus"} {
				setIfPresent(cfg, k, false)
			}
		case "newsfeed":
			svc, _ := cfg["service"].(map[string]any)
			setIfPresent(svc, "urlRoot", NewsfeedURLRoot)
		case "usageCollection":
			// UI counters would report the recipient's clicks as usage of
			// the service account (POST /api/ui_counters/_report).
			ui, _ := cfg["uiMetric"].(map[string]any)
			setIfPresent(ui, "enabled", false)
			uc, _ := cfg["uiCounters"].(map[string]any)
			setIfPresent(uc, "enabled", false)
		case "dataEnhanced", "data":
			// Search sessions store results for later restore as saved
			// objects written with the service account; kshare strips the
			// session options and refuses /internal/session anyway, so the
			// browser need not track one (7.12.1 dataEnhanced, 8.x data).
			search, _ := cfg["search"].(map[string]any)
			sessions, _ := search["sessions"].(map[string]any)
			setIfPresent(sessions, "enabled", false)
		}
	}
}
