package config

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
)

// envPrefix starts every environment variable kshare reads.
const envPrefix = "KSHARE_"

// A key is one setting. Its dotted path is the field's yaml tags joined by
// ".", so keys and Config fields correspond one to one (TestKeysMatchConfig
// holds the two together).
type key struct {
	path   string // as written in YAML: "kibana.url"
	flag   string // long command-line flag, "" for none
	secret bool   // shown as REDACTED and never echoed in an error
	url    bool   // a URL whose userinfo password is redacted when shown
	// help is the meaning, unit and what empty or zero means. Its first
	// sentence doubles as flag usage, so it should read well alone.
	help string
}

// env returns the environment variable for the key: KSHARE_ and the path
// upper-cased with "." turned into "_" (kibana.url → KSHARE_KIBANA_URL).
func (k key) env() string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(k.path, ".", "_"))
}

// keys is every setting, in the order Reference lists them.
var keys = []key{
	{path: "listen", flag: "listen", help: "Address the proxy serves on, host:port. " +
		"An empty host means every interface."},
	{path: "public_url", flag: "public-url", url: true, help: "Absolute URL " +
		"recipients reach kshare at; the base of every share link. " +
		"It is never derived from a request's Host header."},
	{path: "share_prefix", flag: "share-prefix", help: "First path segment of " +
		"share links, one segment such as /kshare. " +
		"It must not be a path Kibana serves (app, api, s, bundles …)."},

	{path: "kibana.url", flag: "kibana-url", url: true, help: "Kibana's address " +
		"(required). Its path is Kibana's server.basePath."},
	{path: "kibana.line", flag: "kibana-line", help: "Kibana release line: " +
		"auto, 6.8, 7.10, 7.17, 8.13, 8.15, 9.1 or osd-2. " +
		"auto detects it from /api/status."},
	{path: "kibana.username", help: "Kibana user for basic authentication; " +
		"needs kibana.password."},
	{path: "kibana.password", secret: true, help: "Password of kibana.username."},
	{path: "kibana.password_file", help: "File holding kibana.password " +
		"(a trailing newline is dropped)."},
	{path: "kibana.api_key", secret: true, help: "Elasticsearch API key in " +
		"the base64 id:key form Kibana shows; instead of username and password."},
	{path: "kibana.api_key_file", help: "File holding kibana.api_key " +
		"(a trailing newline is dropped)."},
	{path: "kibana.ca_file", help: "PEM bundle to trust for Kibana's TLS " +
		"certificate. Empty means the system roots."},
	{path: "kibana.insecure_skip_verify", help: "Skip TLS certificate checks " +
		"towards Kibana."},
	{path: "kibana.dial_timeout", help: "Time allowed to connect to Kibana."},
	{path: "kibana.response_header_timeout", help: "Time allowed for Kibana's " +
		"response headers once a request is sent."},
	{path: "kibana.idle_conns_per_host", help: "Idle connections to Kibana " +
		"kept open."},
	{path: "kibana.object_cache_ttl", help: "How long saved objects and " +
		"advanced settings read from Kibana are cached. 0 turns the cache off."},
	{path: "kibana.version_check_interval", help: "How often the Kibana line " +
		"is detected again, to notice an upgrade or restart."},

	{path: "redis.mode", flag: "redis-mode", help: "Redis deployment: " +
		"standalone, sentinel or cluster."},
	{path: "redis.addr", flag: "redis-addr", help: "Redis server, host:port " +
		"(standalone mode)."},
	{path: "redis.addrs", help: "Sentinels or cluster nodes, host:port each; " +
		"comma-separated in the environment. Empty means redis.addr."},
	{path: "redis.master_name", help: "Master set the sentinels watch " +
		"(sentinel mode)."},
	{path: "redis.username", help: "Redis ACL user."},
	{path: "redis.password", secret: true, help: "Redis password."},
	{path: "redis.password_file", help: "File holding redis.password " +
		"(a trailing newline is dropped)."},
	{path: "redis.sentinel_password", secret: true, help: "Password of the " +
		"sentinels themselves (sentinel mode)."},
	{path: "redis.sentinel_password_file", help: "File holding " +
		"redis.sentinel_password (a trailing newline is dropped)."},
	{path: "redis.db", help: "Database number; must be 0 in cluster mode."},
	{path: "redis.tls.enabled", help: "Use TLS towards Redis."},
	{path: "redis.tls.ca_file", help: "PEM bundle to trust for Redis. " +
		"Empty means the system roots."},
	{path: "redis.tls.insecure_skip_verify", help: "Skip TLS certificate " +
		"checks towards Redis."},
	{path: "redis.key_prefix", help: "Prefix of every Redis key kshare writes."},
	{path: "redis.embedded", flag: "embedded-redis", help: "Run an in-process " +
		"store on loopback instead of Redis. Shares live in memory only and " +
		"vanish on restart; for trials."},
	{path: "redis.dial_timeout", help: "Time allowed to connect to Redis."},
	{path: "redis.timeout", help: "Time allowed for each Redis read or write."},

	{path: "shares.default_ttl", help: "Lifetime of a new share when the " +
		"admin gives none. 0 means it never expires."},
	{path: "shares.max_ttl", help: "Longest lifetime an admin may give a share. " +
		"0 means no cap."},
	{path: "shares.default_mode", help: "Mode of a new share: snapshot (state " +
		"at share time) or saved (the saved object as it is when opened)."},

	{path: "log.level", flag: "log-level", help: "Log level: debug, info, " +
		"warn or error."},
	{path: "log.format", flag: "log-format", help: "Log format: text or json."},

	{path: "policy.mode", help: "What happens to a request a share's policy " +
		"does not allow: enforce refuses it, report logs it and lets it through."},
	{path: "policy.report_share", help: "Share ID to which report mode is " +
		"limited; other shares stay enforced. Empty means every share."},

	{path: "http.read_header_timeout", help: "Time allowed to read a " +
		"request's headers."},
	{path: "http.idle_timeout", help: "Idle time after which a keep-alive " +
		"connection is closed."},
	{path: "http.max_header_bytes", help: "Largest request header, in bytes."},
	{path: "http.shutdown_timeout", help: "Time in-flight requests get to " +
		"finish after the first stop signal."},
	{path: "http.max_body_bytes", help: "Largest request body forwarded to " +
		"Kibana, in bytes."},

	{path: "metrics.listen", help: "Address serving Prometheus /metrics, " +
		"host:port. Empty turns metrics off."},

	{path: "recipient.banner_snapshot", help: "Show the banner that names the " +
		"pinned time window on snapshot shares. A share can override it."},
	{path: "recipient.banner_saved", help: "Show that banner on saved-object " +
		"shares too."},
	{path: "recipient.frame_ancestors", help: "Origins such as " +
		"https://intranet.example that may show shares in a frame; comma-separated " +
		"in the environment. Empty means no site may frame a share."},
}

// lookupKey returns the key with the given path.
func lookupKey(path string) (key, bool) {
	for _, k := range keys {
		if k.path == path {
			return k, true
		}
	}
	return key{}, false
}

// fieldIndex maps each setting's path to its field in Config, for
// reflect.Value.FieldByIndex.
var fieldIndex = sync.OnceValue(func() map[string][]int {
	m := make(map[string][]int)
	indexFields(reflect.TypeFor[Config](), "", nil, m)
	return m
})

// indexFields records in m the index of every leaf field of struct type t.
// A leaf is any field that is not itself a struct; time.Duration is an int.
func indexFields(t reflect.Type, prefix string, index []int, m map[string][]int) {
	for i := range t.NumField() {
		f := t.Field(i)
		path := prefix + f.Tag.Get("yaml")
		idx := append(append([]int(nil), index...), i)
		if f.Type.Kind() == reflect.Struct {
			indexFields(f.Type, path+".", idx, m)
			continue
		}
		m[path] = idx
	}
}

// field returns the field of *c that holds the setting at path. It panics for
// a path missing from Config, which TestKeysMatchConfig rules out.
func field(c *Config, path string) reflect.Value {
	idx, ok := fieldIndex()[path]
	if !ok {
		panic("config: no field for key " + path)
	}
	return reflect.ValueOf(c).Elem().FieldByIndex(idx)
}

// isSection reports whether path is a prefix of some key, such as "redis" or
// "redis.tls".
func isSection(path string) bool {
	for _, k := range keys {
		if strings.HasPrefix(k.path, path+".") {
			return true
		}
	}
	return false
}

// Reference returns a Markdown description of every setting: its YAML key,
// environment variable, default and meaning. It is built from the key table
// the loader uses, so it cannot fall out of step with it.
func Reference() string {
	var b strings.Builder
	b.WriteString(referenceIntro)
	b.WriteString("| Key | Environment variable | Default | Meaning |\n")
	b.WriteString("| --- | --- | --- | --- |\n")
	def := Default()
	for _, k := range keys {
		help := k.help
		if k.flag != "" {
			help += " Flag `--" + k.flag + "`."
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s |\n", k.path, k.env(),
			referenceDefault(field(&def, k.path).Interface()),
			strings.ReplaceAll(help, "|", `\|`))
	}
	return b.String()
}

const referenceIntro = `Settings are read, each overriding the one before, ` +
	`from the defaults, the YAML file, ` + "`KSHARE_*`" + ` environment ` +
	`variables and command-line flags. An empty environment variable counts ` +
	`as unset. Durations use Go syntax (` + "`5s`, `1h30m`" + `) or whole ` +
	`days (` + "`7d`" + `). Lists are YAML lists, or comma-separated in the ` +
	`environment. Each secret can instead be read from a file named by its ` +
	"`_file`" + ` key; setting both is an error. Unknown keys in the file ` +
	"are an error.\n\n"

// referenceDefault renders a default value for the Reference table.
func referenceDefault(v any) string {
	switch v := v.(type) {
	case string:
		if v == "" {
			return "(none)"
		}
		return "`" + v + "`"
	case []string:
		if len(v) == 0 {
			return "(none)"
		}
		return "`" + strings.Join(v, ",") + "`"
	case time.Duration:
		return "`" + formatDuration(v) + "`"
	default:
		return fmt.Sprintf("`%v`", v)
	}
}

// formatDuration writes d as Go does, without the zero minutes and seconds
// Go appends to whole hours and minutes: 168h rather than 168h0m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
