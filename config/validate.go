package config

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kshare/kshare/proxy/kbn"
)

// Problem is one thing wrong with a configuration.
type Problem struct {
	// Key is the dotted path of the setting, such as "kibana.url".
	Key string
	// Value is the offending value as written, REDACTED for a secret, or ""
	// when the setting is missing.
	Value string
	// Message says what is wrong and, where it helps, what would be right.
	Message string
}

// String renders the problem as one line: key "value": message.
func (p Problem) String() string {
	if p.Value == "" {
		return p.Key + ": " + p.Message
	}
	return fmt.Sprintf("%s %q: %s", p.Key, p.Value, p.Message)
}

// ValidationError lists every problem found in a configuration, so that one
// run of `kshare config check` shows them all.
type ValidationError struct {
	Problems []Problem
}

// Error returns one line per problem.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problem builds a Problem whose value is shown as display shows it, so
// secrets are redacted.
func problem(path string, value any, msg string) Problem {
	return Problem{Key: path, Value: display(path, value), Message: msg}
}

// checker collects problems.
type checker struct {
	problems []Problem
}

func (ch *checker) add(path string, value any, format string, args ...any) {
	ch.problems = append(ch.problems, problem(path, value, fmt.Sprintf(format, args...)))
}

// Validate checks c and returns a *ValidationError listing every problem, or
// nil. It reads no files and opens no connections.
func (c Config) Validate() error {
	var ch checker
	ch.listenAddr("listen", c.Listen)
	ch.httpURL("public_url", c.PublicURL, "put no credentials in it")
	ch.sharePrefix(c.SharePrefix, c.Kibana.BasePath())
	ch.kibana(c.Kibana)
	ch.credentials(c.Kibana)
	ch.secretSources(c)
	ch.redis(c.Redis)
	ch.shares(c.Shares)
	ch.oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	ch.oneOf("log.format", c.Log.Format, "text", "json")
	ch.policy(c.Policy)
	ch.http(c.HTTP)
	if c.Metrics.Listen != "" {
		ch.listenAddr("metrics.listen", c.Metrics.Listen)
		if c.Metrics.Listen == c.Listen {
			ch.add("metrics.listen", c.Metrics.Listen, "must differ from listen")
		}
	}
	for _, o := range c.Recipient.FrameAncestors {
		if !originRE.MatchString(o) {
			ch.add("recipient.frame_ancestors", o, "want an origin such as https://intranet.example")
		}
	}
	if len(ch.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: ch.problems}
}

// listenAddr checks an address to listen on. Port 0 picks a free port.
func (ch *checker) listenAddr(path, addr string) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		ch.add(path, addr, `want host:port, such as ":8080" or "127.0.0.1:8080"`)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		ch.add(path, addr, "port must be a number from 0 to 65535")
	}
}

// dialAddr checks an address to connect to.
func (ch *checker) dialAddr(path, addr string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		ch.add(path, addr, `want host:port, such as "redis.internal:6379"`)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		ch.add(path, addr, "port must be a number from 1 to 65535")
	}
}

// httpURL checks an absolute http or https URL and reports at most one
// problem; noUser says where credentials belong instead.
func (ch *checker) httpURL(path, raw, noUser string) {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		ch.add(path, raw, "required")
	case err != nil:
		ch.add(path, raw, "not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		ch.add(path, raw, "want an absolute http:// or https:// URL")
	case u.Host == "":
		ch.add(path, raw, "has no host")
	case u.User != nil:
		ch.add(path, raw, "must not hold credentials: %s", noUser)
	case u.RawQuery != "" || u.ForceQuery:
		ch.add(path, raw, "must not have a query")
	case u.Fragment != "":
		ch.add(path, raw, "must not have a fragment")
	}
}

var prefixSegment = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// kibanaRoutes are the first path segments Kibana or OpenSearch Dashboards
// serve on some line; a share prefix equal to one would hide it.
var kibanaRoutes = []string{
	"app", "api", "internal", "s", "n", "bundles", "built_assets", "ui",
	"translations", "node_modules", "plugins", "login", "logout", "status",
	"goto", "spaces", "security", "elasticsearch", "bootstrap.js",
	"bootstrap-anonymous.js",
}

var (
	allDigits = regexp.MustCompile(`^[0-9]+$`)
	hex12     = regexp.MustCompile(`^[0-9a-fA-F]{12}$`)
)

// sharePrefix checks the share prefix, which lives in Kibana's URL space.
func (ch *checker) sharePrefix(p, basePath string) {
	const path = "share_prefix"
	seg, ok := strings.CutPrefix(p, "/")
	base, _, _ := strings.Cut(strings.TrimPrefix(basePath, "/"), "/")
	switch {
	case !ok:
		ch.add(path, p, `must start with "/", such as "/kshare"`)
	case strings.HasSuffix(seg, "/"):
		ch.add(path, p, `must not end with "/"`)
	case !prefixSegment.MatchString(seg):
		ch.add(path, p, "must be one path segment of letters, digits, _ and -")
	case slices.Contains(kibanaRoutes, strings.ToLower(seg)):
		ch.add(path, p, "collides with Kibana's own /%s routes", seg)
	case allDigits.MatchString(seg):
		ch.add(path, p, "looks like a Kibana build number, under which "+
			"Kibana serves its assets")
	case hex12.MatchString(seg):
		ch.add(path, p, "looks like a Kibana build hash, under which "+
			"Kibana 8 and later serve their assets")
	case base != "" && strings.EqualFold(seg, base):
		ch.add(path, p, "is Kibana's base path (the path of kibana.url)")
	}
}

// kibana checks the Kibana connection settings.
func (ch *checker) kibana(k Kibana) {
	ch.httpURL("kibana.url", k.URL, "use kibana.username and kibana.password")
	if k.Line != LineAuto {
		if _, ok := kbn.ByName(k.Line); !ok {
			ch.add("kibana.line", k.Line, "want %s%s", lineNames(), lineHint(k.Line))
		}
	}
	ch.positive("kibana.dial_timeout", k.DialTimeout)
	ch.positive("kibana.response_header_timeout", k.ResponseHeaderTimeout)
	ch.notNegative("kibana.object_cache_ttl", k.ObjectCacheTTL)
	ch.positive("kibana.version_check_interval", k.VersionCheckInterval)
	if k.IdleConnsPerHost < 1 {
		ch.add("kibana.idle_conns_per_host", k.IdleConnsPerHost, "must be 1 or more")
	}
}

// lineNames lists the accepted kibana.line values.
func lineNames() string {
	names := []string{LineAuto}
	for _, l := range kbn.Lines() {
		names = append(names, l.Name)
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// lineHint points a near miss at the line meant.
func lineHint(line string) string {
	if line == "7.1" {
		return "; did you mean 7.10?"
	}
	return ""
}

// credentials checks that Kibana gets one complete kind of credentials.
func (ch *checker) credentials(k Kibana) {
	hasPassword := k.Password != "" || k.PasswordFile != ""
	hasKey := k.APIKey != "" || k.APIKeyFile != ""
	switch {
	case k.Username != "" && !hasPassword:
		ch.add("kibana.password", "", "required with kibana.username")
	case k.Username == "" && hasPassword:
		ch.add("kibana.username", "", "required with kibana.password")
	}
	if hasKey && (k.Username != "" || hasPassword) {
		ch.add("kibana.api_key", k.APIKey, "set kibana.api_key or "+
			"kibana.username and kibana.password, not both")
	}
	if k.APIKey != "" && !isEncodedAPIKey(k.APIKey) {
		ch.add("kibana.api_key", k.APIKey, "want the base64 form of id:key "+
			"that Kibana shows as the encoded key")
	}
}

// isEncodedAPIKey reports whether s is base64 of "id:key", the form the
// ApiKey authorization scheme takes.
func isEncodedAPIKey(s string) bool {
	b, err := base64.StdEncoding.DecodeString(s)
	return err == nil && strings.Count(string(b), ":") == 1 &&
		!strings.HasPrefix(string(b), ":") && !strings.HasSuffix(string(b), ":")
}

// secretSources reports each secret given both directly and as a file.
func (ch *checker) secretSources(c Config) {
	for _, s := range secretFiles(&c) {
		if *s.value != "" && *s.path != "" {
			secret := strings.TrimSuffix(s.key, "_file")
			ch.add(s.key, *s.path, "set %s or %s, not both", secret, s.key)
		}
	}
}

// redis checks the Redis settings.
func (ch *checker) redis(r Redis) {
	ch.oneOf("redis.mode", r.Mode, RedisStandalone, RedisSentinel, RedisCluster)
	addrKey := "redis.addrs"
	if len(r.Addrs) == 0 {
		addrKey = "redis.addr"
	}
	addrs := r.Addresses()
	for _, a := range addrs {
		ch.dialAddr(addrKey, a)
	}
	switch r.Mode {
	case RedisStandalone:
		if len(addrs) == 0 {
			ch.add("redis.addr", "", "required")
		} else if len(addrs) > 1 {
			ch.add("redis.addrs", strings.Join(addrs, ","), "standalone mode "+
				"takes one address; several need sentinel or cluster mode")
		}
	case RedisSentinel:
		if r.MasterName == "" {
			ch.add("redis.master_name", "", "required in sentinel mode")
		}
		if len(addrs) == 0 {
			ch.add("redis.addrs", "", "sentinel mode needs a sentinel address")
		}
	case RedisCluster:
		if len(addrs) == 0 {
			ch.add("redis.addrs", "", "cluster mode needs a node address")
		}
		if r.DB != 0 {
			ch.add("redis.db", r.DB, "must be 0 in cluster mode")
		}
	}
	ch.redisMore(r)
}

// redisMore checks the Redis settings that do not depend on the mode.
func (ch *checker) redisMore(r Redis) {
	if r.DB < 0 {
		ch.add("redis.db", r.DB, "must be 0 or more")
	}
	if !r.TLS.Enabled && r.TLS.CAFile != "" {
		ch.add("redis.tls.ca_file", r.TLS.CAFile,
			"has no effect unless redis.tls.enabled is true")
	}
	if !r.TLS.Enabled && r.TLS.InsecureSkipVerify {
		ch.add("redis.tls.insecure_skip_verify", true,
			"has no effect unless redis.tls.enabled is true")
	}
	if r.Embedded && r.Mode != RedisStandalone {
		ch.add("redis.embedded", true, "works only with redis.mode standalone")
	}
	ch.positive("redis.dial_timeout", r.DialTimeout)
	ch.positive("redis.timeout", r.Timeout)
}

// shares checks what new shares get by default.
func (ch *checker) shares(s Shares) {
	ch.notNegative("shares.default_ttl", s.DefaultTTL)
	ch.notNegative("shares.max_ttl", s.MaxTTL)
	if s.MaxTTL > 0 && s.DefaultTTL == 0 {
		ch.add("shares.default_ttl", s.DefaultTTL, "0 means never expire, "+
			"which shares.max_ttl (%s) forbids", formatDuration(s.MaxTTL))
	} else if s.MaxTTL > 0 && s.DefaultTTL > s.MaxTTL {
		ch.add("shares.default_ttl", s.DefaultTTL, "is longer than "+
			"shares.max_ttl (%s)", formatDuration(s.MaxTTL))
	}
	ch.oneOf("shares.default_mode", s.DefaultMode, "snapshot", "saved")
}

// policy checks the policy settings.
func (ch *checker) policy(p Policy) {
	ch.oneOf("policy.mode", p.Mode, PolicyEnforce, PolicyReport)
	if p.ReportShare != "" && p.Mode == PolicyEnforce {
		ch.add("policy.report_share", p.ReportShare,
			"has no effect unless policy.mode is report")
	}
}

// http checks the HTTP server limits.
func (ch *checker) http(h HTTP) {
	ch.positive("http.read_header_timeout", h.ReadHeaderTimeout)
	ch.positive("http.idle_timeout", h.IdleTimeout)
	ch.positive("http.shutdown_timeout", h.ShutdownTimeout)
	if h.MaxHeaderBytes <= 0 {
		ch.add("http.max_header_bytes", h.MaxHeaderBytes, "must be more than 0")
	}
	if h.MaxBodyBytes <= 0 {
		ch.add("http.max_body_bytes", h.MaxBodyBytes, "must be more than 0")
	}
}

func (ch *checker) oneOf(path, value string, allowed ...string) {
	if !slices.Contains(allowed, value) {
		last := len(allowed) - 1
		ch.add(path, value, "want %s or %s",
			strings.Join(allowed[:last], ", "), allowed[last])
	}
}

func (ch *checker) positive(path string, d time.Duration) {
	if d <= 0 {
		ch.add(path, d, "must be more than 0")
	}
}

func (ch *checker) notNegative(path string, d time.Duration) {
	if d < 0 {
		ch.add(path, d, "must not be negative")
	}
}

// Warnings returns what is valid but risky in c, one sentence each, for
// kshare to log at start.
func (c Config) Warnings() []string {
	var w []string
	if u, err := url.Parse(c.PublicURL); err == nil && u.Scheme == "http" &&
		!isLoopback(u.Hostname()) {
		w = append(w, fmt.Sprintf("public_url %q uses plain http on a "+
			"non-loopback host: share links and the tokens in them cross the "+
			"network unencrypted", display("public_url", c.PublicURL)))
	}
	if u, err := url.Parse(c.PublicURL); err == nil && isLoopback(u.Hostname()) {
		_, lport, _ := net.SplitHostPort(c.Listen)
		if pport := u.Port(); lport != "" && lport != "0" && pport != "" && pport != lport {
			w = append(w, fmt.Sprintf("public_url %q names port %s but listen is %q: "+
				"links will point where kshare does not listen", display("public_url", c.PublicURL),
				pport, c.Listen))
		}
	}
	k := c.Kibana
	if k.Username == "" && k.APIKey == "" && k.APIKeyFile == "" {
		w = append(w, "kibana has no credentials: kshare calls Kibana "+
			"anonymously, which works only if Kibana allows anonymous access")
	}
	if k.InsecureSkipVerify {
		w = append(w, "kibana.insecure_skip_verify is true: Kibana's TLS "+
			"certificate is not checked")
	}
	if c.Redis.TLS.Enabled && c.Redis.TLS.InsecureSkipVerify {
		w = append(w, "redis.tls.insecure_skip_verify is true: Redis's TLS "+
			"certificate is not checked")
	}
	if c.Policy.Mode == PolicyReport {
		w = append(w, "policy.mode is report: "+reportScope(c.Policy)+
			" may make requests their policy forbids; they are only logged")
	}
	if c.Redis.Embedded {
		w = append(w, "redis.embedded is true: shares live in memory only "+
			"and are lost when kshare stops")
	}
	return w
}

// reportScope names the shares report mode applies to.
func reportScope(p Policy) string {
	if p.ReportShare != "" {
		return fmt.Sprintf("share %q", p.ReportShare)
	}
	return "every share"
}

// isLoopback reports whether host names this machine only.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") ||
		strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// originRE is an origin as CSP frame-ancestors takes it: scheme, host, port.
var originRE = regexp.MustCompile(`^https?://[a-z0-9.\-]+(:[0-9]{1,5})?$`)
