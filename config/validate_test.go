package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// valid returns a configuration that passes Validate.
func valid() Config {
	c := Default()
	c.Kibana.URL = "https://kibana.internal:5601"
	c.Kibana.Username = "kshare"
	c.Kibana.Password = "pw"
	return c
}

// keysOf returns the key of each problem in err, nil for a nil error.
func keysOf(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var out []string
	for _, p := range problemsOf(t, err) {
		out = append(out, p.Key)
	}
	return out
}

func TestDefaultNeedsOnlyKibanaURL(t *testing.T) {
	t.Parallel()
	err := Default().Validate()
	want := []Problem{{Key: "kibana.url", Message: "required"}}
	if diff := cmp.Diff(want, problemsOf(t, err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if err := valid().Validate(); err != nil {
		t.Errorf("valid(): %v", err)
	}
}

// TestValidateListsEveryProblem breaks every rule at once and expects each
// problem, in order, with its key path.
func TestValidateListsEveryProblem(t *testing.T) {
	t.Parallel()
	c := Config{
		Listen:      "8080",
		PublicURL:   "ftp://share.example.com",
		SharePrefix: "/app",
		Kibana: Kibana{
			Line: "7.1", Username: "u", APIKey: "id:key",
			ResponseHeaderTimeout: -time.Second, ObjectCacheTTL: -1,
		},
		Redis: Redis{
			Mode: RedisSentinel, DB: -1, Embedded: true,
			Password: "p", PasswordFile: "/run/secrets/redis",
			TLS: RedisTLS{CAFile: "ca.pem", InsecureSkipVerify: true},
		},
		Shares:  Shares{DefaultTTL: -time.Hour, DefaultMode: "live"},
		Log:     Log{Level: "verbose", Format: "xml"},
		Policy:  Policy{Mode: "audit"},
		HTTP:    HTTP{MaxHeaderBytes: -1},
		Metrics: Metrics{Listen: "metrics"},
	}
	want := []string{
		"listen", "public_url", "share_prefix",
		"kibana.url", "kibana.line", "kibana.dial_timeout",
		"kibana.response_header_timeout", "kibana.object_cache_ttl",
		"kibana.version_check_interval", "kibana.idle_conns_per_host",
		"kibana.password", "kibana.api_key", "kibana.api_key",
		"redis.password_file",
		"redis.master_name", "redis.addrs", "redis.db", "redis.tls.ca_file",
		"redis.tls.insecure_skip_verify", "redis.embedded", "redis.dial_timeout",
		"redis.timeout",
		"shares.default_ttl", "shares.default_mode",
		"log.level", "log.format", "policy.mode",
		"http.read_header_timeout", "http.idle_timeout", "http.shutdown_timeout",
		"http.max_header_bytes", "http.max_body_bytes",
		"metrics.listen",
	}
	err := c.Validate()
	if diff := cmp.Diff(want, keysOf(t, err)); diff != "" {
		t.Errorf("problem keys (-want +got):\n%s", diff)
	}
	if lines := strings.Count(err.Error(), "\n") + 1; lines != len(want) {
		t.Errorf("Error() has %d lines, want one per problem (%d):\n%v",
			lines, len(want), err)
	}
}

func TestValidateRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(c *Config)
		want   []string // problem keys; nil means valid
		msg    string   // a substring of the first problem
	}{
		{name: "listen on a free port", change: func(c *Config) { c.Listen = "127.0.0.1:0" }},
		{name: "listen bad port", change: func(c *Config) { c.Listen = ":http" },
			want: []string{"listen"}, msg: "port"},
		{name: "public_url with path and slash",
			change: func(c *Config) { c.PublicURL = "https://example.com/tools/" }},
		{name: "public_url relative", change: func(c *Config) { c.PublicURL = "/kshare" },
			want: []string{"public_url"}, msg: "absolute"},
		{name: "public_url no host", change: func(c *Config) { c.PublicURL = "https:///x" },
			want: []string{"public_url"}, msg: "no host"},
		{name: "public_url query",
			change: func(c *Config) { c.PublicURL = "https://example.com/?a=b" },
			want:   []string{"public_url"}, msg: "query"},
		{name: "public_url fragment",
			change: func(c *Config) { c.PublicURL = "https://example.com/#x" },
			want:   []string{"public_url"}, msg: "fragment"},
		{name: "public_url userinfo",
			change: func(c *Config) { c.PublicURL = "https://me:pw@example.com" },
			want:   []string{"public_url"}, msg: "credentials"},
		{name: "prefix ok", change: func(c *Config) { c.SharePrefix = "/Share_links-2" }},
		{name: "prefix no slash", change: func(c *Config) { c.SharePrefix = "kshare" },
			want: []string{"share_prefix"}, msg: "start"},
		{name: "prefix trailing slash", change: func(c *Config) { c.SharePrefix = "/kshare/" },
			want: []string{"share_prefix"}, msg: "end"},
		{name: "prefix two segments", change: func(c *Config) { c.SharePrefix = "/a/b" },
			want: []string{"share_prefix"}, msg: "one path segment"},
		{name: "prefix root", change: func(c *Config) { c.SharePrefix = "/" },
			want: []string{"share_prefix"}, msg: "one path segment"},
		{name: "prefix spaces route", change: func(c *Config) { c.SharePrefix = "/s" },
			want: []string{"share_prefix"}, msg: "collides"},
		{name: "prefix route any case", change: func(c *Config) { c.SharePrefix = "/Bundles" },
			want: []string{"share_prefix"}, msg: "collides"},
		{name: "prefix build number", change: func(c *Config) { c.SharePrefix = "/48920" },
			want: []string{"share_prefix"}, msg: "build number"},
		{name: "prefix build hash", change: func(c *Config) { c.SharePrefix = "/a1b2c3d4e5f6" },
			want: []string{"share_prefix"}, msg: "build hash"},
		{name: "prefix is kibana base path", change: func(c *Config) {
			c.SharePrefix = "/logs"
			c.Kibana.URL = "https://kibana.internal/logs/"
		}, want: []string{"share_prefix"}, msg: "base path"},
		{name: "kibana url query",
			change: func(c *Config) { c.Kibana.URL = "http://kibana:5601/?x=1" },
			want:   []string{"kibana.url"}, msg: "query"},
		{name: "kibana url userinfo",
			change: func(c *Config) { c.Kibana.URL = "http://u:hunter2@kibana:5601" },
			want:   []string{"kibana.url"}, msg: "kibana.username"},
		{name: "every line", change: func(c *Config) { c.Kibana.Line = "osd-2" }},
		{name: "7.1 for 7.10", change: func(c *Config) { c.Kibana.Line = "7.1" },
			want: []string{"kibana.line"}, msg: "did you mean 7.10?"},
		{name: "unknown line", change: func(c *Config) { c.Kibana.Line = "8.x" },
			want: []string{"kibana.line"}, msg: "want auto, 6.8, 7.10, 7.17, 8.13, 8.15, 9.1 or osd-2"},
		{name: "api key alone", change: func(c *Config) {
			c.Kibana.Username, c.Kibana.Password = "", ""
			c.Kibana.APIKey = "aWQ6a2V5"
		}},
		{name: "api key file alone", change: func(c *Config) {
			c.Kibana.Username, c.Kibana.Password = "", ""
			c.Kibana.APIKeyFile = "/run/secrets/key"
		}},
		{name: "no credentials", change: func(c *Config) {
			c.Kibana.Username, c.Kibana.Password = "", ""
		}},
		{name: "password without user", change: func(c *Config) { c.Kibana.Username = "" },
			want: []string{"kibana.username"}},
		{name: "api key and password", change: func(c *Config) { c.Kibana.APIKey = "aWQ6a2V5" },
			want: []string{"kibana.api_key"}, msg: "not both"},
		{name: "password and its file", change: func(c *Config) {
			c.Kibana.PasswordFile = "/run/secrets/pw"
		}, want: []string{"kibana.password_file"}, msg: "not both"},
		{name: "standalone two addrs", change: func(c *Config) { c.Redis.Addrs = []string{"a:1", "b:2"} },
			want: []string{"redis.addrs"}, msg: "one address"},
		{name: "standalone no addr", change: func(c *Config) { c.Redis.Addr = "" },
			want: []string{"redis.addr"}, msg: "required"},
		{name: "redis addr without port", change: func(c *Config) { c.Redis.Addr = "redis" },
			want: []string{"redis.addr"}, msg: "host:port"},
		{name: "redis mode", change: func(c *Config) { c.Redis.Mode = "replica" },
			want: []string{"redis.mode"}, msg: "standalone, sentinel or cluster"},
		{name: "sentinel ok", change: func(c *Config) {
			c.Redis.Mode, c.Redis.MasterName = RedisSentinel, "mymaster"
			c.Redis.Addrs = []string{"s1:26379", "s2:26379"}
		}},
		{name: "sentinel uses addr", change: func(c *Config) {
			c.Redis.Mode, c.Redis.MasterName = RedisSentinel, "mymaster"
		}},
		{name: "cluster db", change: func(c *Config) {
			c.Redis.Mode, c.Redis.DB = RedisCluster, 3
			c.Redis.Addrs = []string{"n1:6379", "n2:6379", "n3:6379"}
		}, want: []string{"redis.db"}, msg: "cluster"},
		{name: "cluster bad node", change: func(c *Config) {
			c.Redis.Mode = RedisCluster
			c.Redis.Addrs = []string{"n1:6379", "n2"}
		}, want: []string{"redis.addrs"}, msg: "host:port"},
		{name: "redis tls", change: func(c *Config) {
			c.Redis.TLS = RedisTLS{Enabled: true, CAFile: "ca.pem", InsecureSkipVerify: true}
		}},
		{name: "embedded", change: func(c *Config) { c.Redis.Embedded = true }},
		{name: "ttl under cap", change: func(c *Config) { c.Shares.MaxTTL = 30 * 24 * time.Hour }},
		{name: "ttl over cap", change: func(c *Config) { c.Shares.MaxTTL = time.Hour },
			want: []string{"shares.default_ttl"}, msg: "longer than shares.max_ttl (1h)"},
		{name: "forever under cap", change: func(c *Config) {
			c.Shares.DefaultTTL, c.Shares.MaxTTL = 0, time.Hour
		}, want: []string{"shares.default_ttl"}, msg: "never expire"},
		{name: "forever without cap", change: func(c *Config) { c.Shares.DefaultTTL = 0 }},
		{name: "saved mode", change: func(c *Config) { c.Shares.DefaultMode = "saved" }},
		{name: "report one share", change: func(c *Config) {
			c.Policy = Policy{Mode: PolicyReport, ReportShare: "abc"}
		}},
		{name: "report share while enforcing",
			change: func(c *Config) { c.Policy.ReportShare = "abc" },
			want:   []string{"policy.report_share"}, msg: "policy.mode is report"},
		{name: "metrics on", change: func(c *Config) { c.Metrics.Listen = "127.0.0.1:9090" }},
		{name: "metrics on the proxy port", change: func(c *Config) { c.Metrics.Listen = ":8080" },
			want: []string{"metrics.listen"}, msg: "differ"},
		{name: "object cache off", change: func(c *Config) { c.Kibana.ObjectCacheTTL = 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := valid()
			tt.change(&c)
			err := c.Validate()
			if diff := cmp.Diff(tt.want, keysOf(t, err)); diff != "" {
				t.Fatalf("problem keys (-want +got):\n%s\n%v", diff, err)
			}
			if err != nil && !strings.Contains(problemsOf(t, err)[0].Message, tt.msg) {
				t.Errorf("message %q does not say %q", problemsOf(t, err)[0].Message, tt.msg)
			}
		})
	}
}

func TestProblemString(t *testing.T) {
	t.Parallel()
	c := valid()
	c.Listen = "8080"
	c.Redis.Addr = ""
	want := "listen \"8080\": want host:port, such as \":8080\" or \"127.0.0.1:8080\"\n" +
		"redis.addr: required"
	if got := c.Validate().Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
}

func TestWarnings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(c *Config)
		want   []string // a substring of each warning, in order
	}{
		{name: "none", change: func(*Config) {}},
		{name: "loopback http", change: func(c *Config) { c.PublicURL = "http://localhost:8080" }},
		{name: "ipv6 loopback", change: func(c *Config) { c.PublicURL = "http://[::1]:8080" }},
		{name: "https", change: func(c *Config) { c.PublicURL = "https://share.example.com" }},
		{name: "plain http", change: func(c *Config) { c.PublicURL = "http://share.example.com" },
			want: []string{`public_url "http://share.example.com" uses plain http`}},
		{name: "no credentials", change: func(c *Config) { c.Kibana.Username = "" },
			want: []string{"kibana has no credentials"}},
		{name: "api key counts", change: func(c *Config) {
			c.Kibana.Username, c.Kibana.APIKey = "", "aWQ6a2V5"
		}},
		{name: "risky", change: func(c *Config) {
			c.Kibana.InsecureSkipVerify = true
			c.Redis.TLS = RedisTLS{Enabled: true, InsecureSkipVerify: true}
			c.Policy = Policy{Mode: PolicyReport, ReportShare: "abc"}
			c.Redis.Embedded = true
		}, want: []string{"kibana.insecure_skip_verify", "redis.tls.insecure_skip_verify",
			`policy.mode is report: share "abc"`, "redis.embedded"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := valid()
			tt.change(&c)
			got := c.Warnings()
			if len(got) != len(tt.want) {
				t.Fatalf("warnings = %q, want %d", got, len(tt.want))
			}
			for i, w := range got {
				if !strings.Contains(w, tt.want[i]) {
					t.Errorf("warning %d = %q, want it to say %q", i, w, tt.want[i])
				}
			}
		})
	}
}

func TestHelpers(t *testing.T) {
	t.Parallel()
	for url, want := range map[string]string{
		"":                            "",
		"http://kibana:5601":          "",
		"http://kibana:5601/":         "",
		"https://kibana/logs":         "/logs",
		"https://kibana/a/b//":        "/a/b",
		"http://[bad":                 "",
		"https://kibana/logs/?x=1#ab": "/logs",
	} {
		if got := (Kibana{URL: url}).BasePath(); got != want {
			t.Errorf("BasePath(%q) = %q, want %q", url, got, want)
		}
	}
	r := Redis{Addr: "a:1"}
	if diff := cmp.Diff([]string{"a:1"}, r.Addresses()); diff != "" {
		t.Errorf("Addresses: %s", diff)
	}
	r.Addrs = []string{"b:2", "c:3"}
	if diff := cmp.Diff([]string{"b:2", "c:3"}, r.Addresses()); diff != "" {
		t.Errorf("Addresses: %s", diff)
	}
	c := Default()
	c.PublicURL = "https://example.com/"
	if got := c.ShareURL("tok"); got != "https://example.com/kshare/tok" {
		t.Errorf("ShareURL = %q", got)
	}
}
