package rewrite

import "strings"

// keptSettings are the user-set uiSettings a recipient's page keeps: those
// that change how a dashboard or visualization renders or which documents
// its searches match. Keys ending in ":" are prefixes. Everything else
// (notifications, csv, savedObjects, defaultRoute, timelion — which includes
// timelion:quandl.key and timelion:graphite.url, read server-side anyway —,
// xpackDashboardMode:roles, solution settings) is dropped: the browser then
// uses the registered default, and Kibana's server still applies its stored
// values to the searches it runs.
var keptSettings = []string{
	// Data view of saved searches without one.
	"defaultIndex",
	// Kibana keeps it in every config object.
	"buildNum",
	// 6.x header choice; both header forms are hidden.
	"k7design",
	// Dates, numbers and field formatters.
	"dateFormat", "dateFormat:", "dateNanosFormat", "format:",
	// Time defaults, quick ranges, refresh interval.
	"timepicker:",
	// Dark mode, theme version; 6.x dark dashboards.
	"theme:", "dashboard:",
	// Colour mapping, labs switch, map WMS defaults, TSVB max buckets.
	"visualization:", "visualize:", "metrics:", "histogram:",
	// How searches are built and sent: query syntax, timeouts, frozen
	// indices, shard preference.
	"courier:", "query:", "search:",
	// Saved search panels.
	"doc_table:", "discover:", "defaultColumns", "sort:options", "metaFields",
	"shortDots:enable", "truncate:maxHeight",
	// Animations.
	"accessibility:",
}

// builtinSettings are forced on every line before Options.Settings. A key
// a line does not register is harmless: the browser only reads it where the
// setting exists.
var builtinSettings = map[string]any{
	// Full state in the URL: a hashed _g=h@… would only live in the
	// recipient's sessionStorage and could not be pinned by the share link.
	"state:storeInSessionStorage": false,
	// 6.x keeps the telemetry opt-in as this setting; false also means
	// "already answered", so no opt-in banner.
	"telemetry:optIn": false,
	// 8.x: no "what's new" callouts or tours.
	"hideAnnouncements": true,
}

// keepSetting reports whether key is on the keptSettings allow-list.
func keepSetting(key string) bool {
	for _, k := range keptSettings {
		if key == k || strings.HasSuffix(k, ":") && strings.HasPrefix(key, k) {
			return true
		}
	}
	return false
}

// forceSettings filters the user values of legacyMetadata.uiSettings (and
// 8.x globalUiSettings) to the allow-list, then sets builtinSettings and
// extra as user values, extra last so the caller wins.
func forceSettings(md map[string]any, extra map[string]any) {
	lm := childMap(md, "legacyMetadata")
	if global, ok := lm["globalUiSettings"].(map[string]any); ok {
		if user, ok := global["user"].(map[string]any); ok {
			filterUser(user)
		}
	}
	user := childMap(childMap(lm, "uiSettings"), "user")
	filterUser(user)
	for k, v := range builtinSettings {
		user[k] = map[string]any{"userValue": v}
	}
	for k, v := range extra {
		user[k] = map[string]any{"userValue": v}
	}
}

// filterUser deletes the user values that keepSetting refuses.
func filterUser(user map[string]any) {
	for k := range user {
		if !keepSetting(k) {
			delete(user, k)
		}
	}
}

// childMap returns m[k] as a map, creating it when missing or not a map, so
// the forced settings always land where the browser reads them.
func childMap(m map[string]any, k string) map[string]any {
	if c, ok := m[k].(map[string]any); ok {
		return c
	}
	c := map[string]any{}
	m[k] = c
	return c
}

// RecipientSettings turns the user settings of a settings API answer
// (key → {"userValue": v}) into what a recipient may see: the same
// allow-list and forced values as the bootstrap page, so the page and
// GET /api/kibana/settings agree.
func RecipientSettings(user map[string]any, extra map[string]any) map[string]any {
	if user == nil {
		user = map[string]any{}
	}
	filterUser(user)
	for k, v := range builtinSettings {
		user[k] = map[string]any{"userValue": v}
	}
	for k, v := range extra {
		user[k] = map[string]any{"userValue": v}
	}
	return user
}
