// Package config holds kshare's settings: what each one means, its default,
// how it is read from a YAML file, KSHARE_* environment variables and flags,
// and which combinations are invalid or risky.
//
// Loading, defaulting and validating are separate steps without side effects
// beyond reading the *_file secrets: Load merges the sources, Validate lists
// every problem at once, Warnings names what is valid but risky. The table of
// keys in keys.go drives the loader, the flags and Reference, so a setting
// added there works from every source and shows up in the documentation.
package config

import (
	"net/url"
	"strings"
	"time"
)

// Values of Kibana.Line, Redis.Mode and Policy.Mode that code branches on.
const (
	// LineAuto asks kshare to detect the Kibana line from /api/status.
	LineAuto = "auto"

	RedisStandalone = "standalone"
	RedisSentinel   = "sentinel"
	RedisCluster    = "cluster"

	// PolicyEnforce refuses requests a share's policy does not allow.
	PolicyEnforce = "enforce"
	// PolicyReport logs such requests and lets them through.
	PolicyReport = "report"
)

// Config is every kshare setting. Reference() lists the same keys with their
// environment variables and defaults; the YAML key of a field is its yaml tag.
type Config struct {
	// Listen is the host:port the proxy serves on; an empty host means every
	// interface. Default ":8080".
	Listen string `yaml:"listen"`
	// PublicURL is the absolute URL recipients reach kshare at, and the base of
	// every share link. It is never derived from a request's Host header,
	// which a client controls. Default "http://127.0.0.1:8080".
	PublicURL string `yaml:"public_url"`
	// SharePrefix is the first path segment of share links, such as "/kshare"
	// (the default). It must not be a path Kibana itself serves.
	SharePrefix string `yaml:"share_prefix"`

	Kibana  Kibana  `yaml:"kibana"`
	Redis   Redis   `yaml:"redis"`
	Shares  Shares  `yaml:"shares"`
	Log     Log     `yaml:"log"`
	Policy  Policy  `yaml:"policy"`
	HTTP    HTTP    `yaml:"http"`
	Metrics Metrics `yaml:"metrics"`

	Recipient Recipient `yaml:"recipient"`
}

// Recipient is what a recipient's page shows and where it may be embedded.
type Recipient struct {
	// BannerSnapshot shows the time-frame banner on snapshot shares unless a
	// share says otherwise. Default true.
	BannerSnapshot bool `yaml:"banner_snapshot"`
	// BannerSaved shows it on saved-object shares. Default false.
	BannerSaved bool `yaml:"banner_saved"`
	// FrameAncestors are origins (https://host[:port]) that may frame every
	// share; empty (the default) means no site may frame one.
	FrameAncestors []string `yaml:"frame_ancestors"`
}

// Kibana is how kshare reaches Kibana and authenticates to it.
type Kibana struct {
	// URL is Kibana's address (required). Its path is Kibana's
	// server.basePath, e.g. "https://kibana.internal:5601/logs".
	URL string `yaml:"url"`
	// Line is the Kibana release line: "auto" (the default) detects it from
	// /api/status; otherwise one of the names in proxy/kbn (6.8, 7.10, 7.17,
	// 8.13, 8.15, 9.1, osd-2).
	Line string `yaml:"line"`
	// Username and Password are a Kibana user for basic authentication.
	// PasswordFile names a file holding the password instead; Load reads it
	// into Password and clears PasswordFile (setting both is a problem).
	Username     string `yaml:"username"`
	Password     string `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
	// APIKey is an Elasticsearch API key in the base64 "id:key" form Kibana
	// shows when it creates one; an alternative to Username and Password.
	// APIKeyFile names a file holding it instead, read like PasswordFile.
	APIKey     string `yaml:"api_key"`
	APIKeyFile string `yaml:"api_key_file"`
	// CAFile is a PEM bundle to trust for Kibana's TLS certificate; empty
	// means the system roots.
	CAFile string `yaml:"ca_file"`
	// InsecureSkipVerify turns off TLS certificate checks towards Kibana.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
	// DialTimeout bounds opening a connection to Kibana. Default 5s.
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// ResponseHeaderTimeout bounds the wait for Kibana's response headers
	// once a request is sent. Default 60s.
	ResponseHeaderTimeout time.Duration `yaml:"response_header_timeout"`
	// IdleConnsPerHost is how many idle connections to Kibana are kept.
	// Default 32.
	IdleConnsPerHost int `yaml:"idle_conns_per_host"`
	// ObjectCacheTTL is how long saved objects and advanced settings read
	// from Kibana are cached; 0 turns the cache off. Default 10s.
	ObjectCacheTTL time.Duration `yaml:"object_cache_ttl"`
	// VersionCheckInterval is how often the Kibana line is detected again, so
	// an upgrade behind kshare is noticed. Default 60s.
	VersionCheckInterval time.Duration `yaml:"version_check_interval"`
}

// Redis is where shares are stored.
type Redis struct {
	// Mode is "standalone" (the default), "sentinel" or "cluster".
	Mode string `yaml:"mode"`
	// Addr is the host:port of a standalone server. Default "127.0.0.1:6379".
	Addr string `yaml:"addr"`
	// Addrs lists sentinels or cluster nodes; when empty, Addr is used.
	Addrs []string `yaml:"addrs"`
	// MasterName is the master set the sentinels watch (sentinel mode).
	MasterName string `yaml:"master_name"`
	// Username and Password authenticate to Redis (ACL user, or only a
	// password for requirepass). PasswordFile names a file holding the
	// password instead; Load reads it into Password and clears the file.
	Username     string `yaml:"username"`
	Password     string `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
	// SentinelPassword authenticates to the sentinels themselves; it can be
	// read from SentinelPasswordFile like Password.
	SentinelPassword     string `yaml:"sentinel_password"`
	SentinelPasswordFile string `yaml:"sentinel_password_file"`
	// DB is the database number (must be 0 in cluster mode). Default 0.
	DB int `yaml:"db"`
	// TLS configures encryption to Redis.
	TLS RedisTLS `yaml:"tls"`
	// KeyPrefix starts every key kshare writes. Default "kshare:".
	KeyPrefix string `yaml:"key_prefix"`
	// Embedded runs an in-process store on loopback instead of connecting to
	// Redis; shares live in memory only and vanish on restart. Default false.
	Embedded bool `yaml:"embedded"`
	// DialTimeout bounds opening a connection. Default 5s.
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// Timeout bounds each read and write. Default 2s.
	Timeout time.Duration `yaml:"timeout"`
}

// RedisTLS configures TLS towards Redis.
type RedisTLS struct {
	// Enabled turns TLS on. Default false.
	Enabled bool `yaml:"enabled"`
	// CAFile is a PEM bundle to trust; empty means the system roots.
	CAFile string `yaml:"ca_file"`
	// InsecureSkipVerify turns off certificate checks.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// Shares holds what a new share gets when the admin does not say.
type Shares struct {
	// DefaultTTL is how long a new share lives; 0 means it never expires.
	// Default 168h (7 days).
	DefaultTTL time.Duration `yaml:"default_ttl"`
	// MaxTTL caps the lifetime an admin may give a share; 0 means no cap.
	MaxTTL time.Duration `yaml:"max_ttl"`
	// DefaultMode is "snapshot" (the default: the state at share time) or
	// "saved" (the saved object as it is when opened).
	DefaultMode string `yaml:"default_mode"`
}

// Log configures kshare's own log.
type Log struct {
	// Level is debug, info (the default), warn or error.
	Level string `yaml:"level"`
	// Format is text (the default) or json.
	Format string `yaml:"format"`
}

// Policy chooses what happens to a request a share's policy does not allow.
type Policy struct {
	// Mode is "enforce" (the default: refuse it) or "report" (log it and let
	// it through, to tune a policy).
	Mode string `yaml:"mode"`
	// ReportShare limits report mode to the share with this ID; the others
	// stay enforced. Empty means every share.
	ReportShare string `yaml:"report_share"`
}

// HTTP tunes kshare's HTTP server.
type HTTP struct {
	// ReadHeaderTimeout bounds reading a request's headers. Default 10s.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	// IdleTimeout closes keep-alive connections idle this long. Default 120s.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// MaxHeaderBytes caps a request's header size. Default 32768.
	MaxHeaderBytes int `yaml:"max_header_bytes"`
	// ShutdownTimeout is how long in-flight requests may finish after the
	// first stop signal. Default 15s.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// MaxBodyBytes caps a request body forwarded to Kibana. Default 4 MiB.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
}

// Metrics configures the Prometheus endpoint.
type Metrics struct {
	// Listen is the host:port serving /metrics, kept apart from the public
	// listener; empty (the default) turns metrics off.
	Listen string `yaml:"listen"`
}

// Default returns the configuration kshare runs with when nothing is set.
// Kibana.URL has no default, so it does not validate on its own.
func Default() Config {
	return Config{
		Listen:      ":8080",
		PublicURL:   "http://127.0.0.1:8080",
		SharePrefix: "/kshare",
		Kibana: Kibana{
			Line:                  LineAuto,
			DialTimeout:           5 * time.Second,
			ResponseHeaderTimeout: 60 * time.Second,
			IdleConnsPerHost:      32,
			ObjectCacheTTL:        10 * time.Second,
			VersionCheckInterval:  60 * time.Second,
		},
		Redis: Redis{
			Mode:        RedisStandalone,
			Addr:        "127.0.0.1:6379",
			KeyPrefix:   "kshare:",
			DialTimeout: 5 * time.Second,
			Timeout:     2 * time.Second,
		},
		Shares:    Shares{DefaultTTL: 7 * 24 * time.Hour, DefaultMode: "snapshot"},
		Recipient: Recipient{BannerSnapshot: true},
		Log:       Log{Level: "info", Format: "text"},
		Policy:    Policy{Mode: PolicyEnforce},
		HTTP: HTTP{
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    32 << 10,
			ShutdownTimeout:   15 * time.Second,
			MaxBodyBytes:      4 << 20,
		},
	}
}

// BasePath returns the path of the Kibana URL without a trailing slash, which
// is Kibana's server.basePath: "" when Kibana is served at the root or the URL
// does not parse.
func (k Kibana) BasePath() string {
	u, err := url.Parse(k.URL)
	if err != nil {
		return ""
	}
	return strings.TrimRight(u.Path, "/")
}

// Addresses returns the Redis addresses to dial: Addrs, or Addr alone when
// Addrs is empty.
func (r Redis) Addresses() []string {
	if len(r.Addrs) > 0 {
		return r.Addrs
	}
	if r.Addr == "" {
		return nil
	}
	return []string{r.Addr}
}

// ShareURL returns the link for a share token:
// PublicURL + SharePrefix + "/" + token, without doubling a slash when
// PublicURL ends in one. The result contains the token, a secret: do not log
// it.
func (c Config) ShareURL(token string) string {
	return strings.TrimRight(c.PublicURL, "/") + c.SharePrefix + "/" + token
}
