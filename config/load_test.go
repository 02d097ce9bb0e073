package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
)

// envMap returns an env lookup over m, so tests never read the process
// environment.
func envMap(m map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// loadString is Load over a YAML string ("" for no file) and an env map.
func loadString(t *testing.T, yaml string, env map[string]string) (Config, error) {
	t.Helper()
	if yaml == "" {
		return Load(nil, envMap(env), nil)
	}
	return Load(strings.NewReader(yaml), envMap(env), nil)
}

func TestLoadNothingIsDefault(t *testing.T) {
	t.Parallel()
	for name, load := range map[string]func() (Config, error){
		"Load nil":      func() (Config, error) { return Load(nil, nil, nil) },
		"LoadFile none": func() (Config, error) { return LoadFile("", envMap(nil), nil) },
		"empty YAML":    func() (Config, error) { return Load(strings.NewReader(""), nil, nil) },
		"empty sections": func() (Config, error) {
			return Load(strings.NewReader("kibana:\nredis:\n  tls:\n"), nil, nil)
		},
		"flags not set": func() (Config, error) {
			fs := pflag.NewFlagSet("kshare", pflag.ContinueOnError)
			BindFlags(fs)
			return Load(nil, nil, fs)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := load()
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if diff := cmp.Diff(Default(), got); diff != "" {
				t.Errorf("config differs from Default (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	t.Parallel()
	got, err := LoadFile("testdata/kshare.yaml", envMap(nil), nil)
	if err != nil {
		t.Fatalf("LoadFile: %v", err)
	}
	want := Default()
	want.Listen = "0.0.0.0:8443"
	want.PublicURL = "https://share.example.com"
	want.SharePrefix = "/shared"
	want.Kibana = Kibana{
		URL:                   "https://kibana.internal:5601/logs/",
		Line:                  "7.10",
		APIKey:                "aWQ6a2V5", // read from testdata/api-key
		CAFile:                "/etc/kshare/kibana-ca.pem",
		DialTimeout:           3 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		IdleConnsPerHost:      64,
		ObjectCacheTTL:        30 * time.Second,
		VersionCheckInterval:  5 * time.Minute,
	}
	want.Redis.Mode = RedisSentinel
	want.Redis.Addrs = []string{"sentinel-1.internal:26379", "sentinel-2.internal:26379"}
	want.Redis.MasterName = "kshare"
	want.Redis.Username = "kshare"
	want.Redis.Password = "redis-pass-in-yaml"
	want.Redis.DB = 2
	want.Redis.TLS.Enabled = true
	want.Redis.KeyPrefix = "shares:"
	want.Redis.Timeout = 500 * time.Millisecond
	want.Shares = Shares{DefaultTTL: 30 * 24 * time.Hour, MaxTTL: 90 * 24 * time.Hour,
		DefaultMode: "saved"}
	want.Log = Log{Level: "warn", Format: "json"}
	want.Policy = Policy{Mode: PolicyReport, ReportShare: "sh_01"}
	want.HTTP.MaxBodyBytes = 1 << 20
	want.Metrics.Listen = "127.0.0.1:9090"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadFile (-want +got):\n%s", diff)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("the example file does not validate:\n%v", err)
	}
	if got.Kibana.BasePath() != "/logs" {
		t.Errorf("BasePath = %q, want /logs", got.Kibana.BasePath())
	}
}

func TestLoadFileMissing(t *testing.T) {
	t.Parallel()
	_, err := LoadFile("testdata/no-such.yaml", nil, nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want one wrapping os.ErrNotExist", err)
	}
}

// sample is a non-default value for a key, as the environment and as YAML
// write it, and how the loaded Config must differ from Default.
type sample struct {
	env, yaml string
	apply     func(c *Config)
}

// sampleFor returns a sample for k. A *_file secret gets a real file in dir
// and must land in its secret, the file key left empty.
func sampleFor(t *testing.T, k key, dir string) sample {
	t.Helper()
	var probe Config
	for _, s := range secretFiles(&probe) {
		if s.key != k.path {
			continue
		}
		path := filepath.Join(dir, "secret")
		if err := os.WriteFile(path, []byte("from-file\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		secret := strings.TrimSuffix(k.path, "_file")
		return sample{env: path, yaml: strconv.Quote(path), apply: func(c *Config) {
			field(c, secret).SetString("from-file")
		}}
	}
	set := func(v any) func(c *Config) {
		return func(c *Config) { field(c, k.path).Set(reflect.ValueOf(v)) }
	}
	f := field(&probe, k.path)
	switch {
	case f.Type() == durationType:
		return sample{"7m", `"7m"`, set(7 * time.Minute)}
	case f.Kind() == reflect.String:
		v := "x-" + k.path
		return sample{v, strconv.Quote(v), set(v)}
	case f.Kind() == reflect.Bool:
		return sample{"true", "true", set(true)}
	case f.Kind() == reflect.Int:
		return sample{"7", "7", set(7)}
	case f.Kind() == reflect.Int64:
		return sample{"7", "7", set(int64(7))}
	case f.Kind() == reflect.Slice:
		return sample{" a:1, b:2 ", `["a:1", "b:2"]`, set([]string{"a:1", "b:2"})}
	}
	t.Fatalf("no sample for %s of type %s", k.path, f.Type())
	return sample{}
}

// yamlFor writes value at a dotted path as a nested YAML document.
func yamlFor(path, value string) string {
	var b strings.Builder
	parts := strings.Split(path, ".")
	for i, p := range parts {
		b.WriteString(strings.Repeat("  ", i) + p + ":")
		if i == len(parts)-1 {
			b.WriteString(" " + value)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestEveryKeyFromEachSource sets each key alone through the environment,
// through YAML and (where it has one) through its flag, and checks that
// exactly that setting changed. It catches a key Viper would not decode
// because nothing else made the key known.
func TestEveryKeyFromEachSource(t *testing.T) {
	t.Parallel()
	for _, k := range keys {
		t.Run(k.path, func(t *testing.T) {
			t.Parallel()
			s := sampleFor(t, k, t.TempDir())
			want := Default()
			s.apply(&want)
			sources := map[string]func() (Config, error){
				"env " + k.env(): func() (Config, error) {
					return Load(nil, envMap(map[string]string{k.env(): s.env}), nil)
				},
				"yaml": func() (Config, error) {
					return Load(strings.NewReader(yamlFor(k.path, s.yaml)), nil, nil)
				},
			}
			if k.flag != "" {
				sources["flag --"+k.flag] = func() (Config, error) {
					fs := pflag.NewFlagSet("kshare", pflag.ContinueOnError)
					BindFlags(fs)
					if err := fs.Parse([]string{"--" + k.flag + "=" + s.env}); err != nil {
						t.Fatal(err)
					}
					return Load(nil, nil, fs)
				}
			}
			for name, load := range sources {
				got, err := load()
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", name, diff)
				}
			}
		})
	}
}

func TestPrecedence(t *testing.T) {
	t.Parallel()
	const file = "listen: file:1\nredis:\n  embedded: false\n  addr: file:2\n"
	tests := []struct {
		name         string
		file         string
		env          map[string]string
		args         []string
		wantListen   string
		wantEmbedded bool
	}{
		{name: "default", wantListen: ":8080"},
		{name: "file beats default", file: file, wantListen: "file:1"},
		{name: "env beats file", file: file,
			env:        map[string]string{"KSHARE_LISTEN": "env:1", "KSHARE_REDIS_EMBEDDED": "true"},
			wantListen: "env:1", wantEmbedded: true},
		{name: "empty env is unset", file: file,
			env: map[string]string{"KSHARE_LISTEN": ""}, wantListen: "file:1"},
		{name: "flag beats env and file", file: file,
			env:        map[string]string{"KSHARE_LISTEN": "env:1", "KSHARE_REDIS_EMBEDDED": "true"},
			args:       []string{"--listen", "flag:1", "--embedded-redis=false"},
			wantListen: "flag:1", wantEmbedded: false},
		{name: "unset flag leaves env", env: map[string]string{"KSHARE_LISTEN": "env:1"},
			args: []string{"--log-level", "debug"}, wantListen: "env:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := pflag.NewFlagSet("kshare", pflag.ContinueOnError)
			BindFlags(fs)
			fs.String("unrelated", "", "a flag config does not own")
			if err := fs.Parse(append(tt.args, "--unrelated=x")); err != nil {
				t.Fatal(err)
			}
			var c Config
			var err error
			if tt.file != "" {
				c, err = Load(strings.NewReader(tt.file), envMap(tt.env), fs)
			} else {
				c, err = Load(nil, envMap(tt.env), fs)
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Listen != tt.wantListen || c.Redis.Embedded != tt.wantEmbedded {
				t.Errorf("listen=%q embedded=%v, want %q %v",
					c.Listen, c.Redis.Embedded, tt.wantListen, tt.wantEmbedded)
			}
		})
	}
}

// problemsOf returns the problems of a *ValidationError, failing otherwise.
func problemsOf(t *testing.T, err error) []Problem {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a *ValidationError", err)
	}
	return ve.Problems
}

func TestLoadProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want []Problem
	}{
		{name: "unknown keys",
			yaml: "colour: red\nkibana:\n  usrname: bob\nredis:\n  tls: true\n",
			want: []Problem{
				{Key: "colour", Message: "unknown key (line 1)"},
				{Key: "kibana.usrname", Message: "unknown key (line 3)"},
				{Key: "redis.tls", Message: "is a section of settings, not a value (line 5)"},
			}},
		{name: "key set twice", yaml: "listen: :1\nkibana:\n  url: x\nListen: :2\n",
			want: []Problem{{Key: "listen", Message: "set twice, on lines 1 and 4"}}},
		{name: "section for a value", yaml: "listen:\n  port: 80\n",
			want: []Problem{{Key: "listen", Value: "map[port:80]",
				Message: "want a value, got a section"}}},
		{name: "nested list item", yaml: "redis:\n  addrs: [[a]]\n",
			want: []Problem{{Key: "redis.addrs", Value: "[[a]]",
				Message: "want a list of single values"}}},
		{name: "bad duration in file", yaml: "redis:\n  timeout: 2 seconds\n",
			want: []Problem{{Key: "redis.timeout", Value: "2 seconds",
				Message: `want a duration such as "5s", "1h30m" or "7d"`}}},
		{name: "bare number duration", yaml: "kibana:\n  dial_timeout: 5\n",
			want: []Problem{{Key: "kibana.dial_timeout", Value: "5",
				Message: `want a duration with a unit, such as "5s" or "7d"`}}},
		{name: "bad env values", env: map[string]string{
			"KSHARE_HTTP_IDLE_TIMEOUT":   "soon",
			"KSHARE_REDIS_DB":            "two",
			"KSHARE_REDIS_TLS_ENABLED":   "yes please",
			"KSHARE_HTTP_MAX_BODY_BYTES": "4MiB",
		}, want: []Problem{
			{Key: "redis.db", Value: "two", Message: "want a whole number"},
			{Key: "redis.tls.enabled", Value: "yes please", Message: "want true or false"},
			{Key: "http.idle_timeout", Value: "soon",
				Message: `want a duration such as "5s", "1h30m" or "7d"`},
			{Key: "http.max_body_bytes", Value: "4MiB", Message: "want a whole number"},
		}},
		{name: "list for a string", yaml: "listen: [a, b]\n",
			want: []Problem{{Key: "listen", Value: "[a b]",
				Message: "want a single value, got a list"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := loadString(t, tt.yaml, tt.env)
			if diff := cmp.Diff(tt.want, problemsOf(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoadKeepsText checks that YAML scalars reach each setting as written.
func TestLoadKeepsText(t *testing.T) {
	t.Parallel()
	c, err := loadString(t, `
shares: {default_ttl: 7d, max_ttl: 0}
kibana:
  password: 0x1F
  username: 012
  line: 7.10
redis:
  addrs: one:1, two:2
  embedded: TRUE
metrics:
  listen: ~
`, map[string]string{"KSHARE_KIBANA_OBJECT_CACHE_TTL": " 1h30m "})
	if err != nil {
		t.Fatal(err)
	}
	got := []any{c.Shares.DefaultTTL, c.Shares.MaxTTL, c.Kibana.Password,
		c.Kibana.Username, c.Kibana.Line, c.Redis.Addrs, c.Redis.Embedded,
		c.Metrics.Listen, c.Kibana.ObjectCacheTTL}
	want := []any{7 * 24 * time.Hour, time.Duration(0), "0x1F", "012", "7.10",
		[]string{"one:1", "two:2"}, true, "", 90 * time.Minute}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestYAMLAlias(t *testing.T) {
	t.Parallel()
	c, err := loadString(t, "kibana:\n  dial_timeout: &t 3s\nredis:\n  dial_timeout: *t\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Redis.DialTimeout != 3*time.Second {
		t.Errorf("redis.dial_timeout = %s, want the alias's 3s", c.Redis.DialTimeout)
	}
}

func TestYAMLDocumentErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, yaml, want string }{
		{"syntax", "listen: :8080\nkibana:\n  url: [unclosed\n",
			"load config: parse: yaml: line 2: did not find expected ',' or ']'"},
		{"tab", "listen: :8080\n\tkibana: x\n",
			"load config: parse: yaml: line 2: found a tab character"},
		{"two documents", "listen: :1\n---\nlisten: :2\n",
			"load config: parse: line 2: a second YAML document"},
		{"not a mapping", "- listen\n",
			"load config: parse: line 1: want a mapping of settings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := loadString(t, tt.yaml, nil)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to start %q", err, tt.want)
			}
		})
	}
	for _, empty := range []string{"# only a comment\n", "---\n", "~\n"} {
		if _, err := loadString(t, empty, nil); err != nil {
			t.Errorf("Load(%q): %v", empty, err)
		}
	}
}

func TestSecretFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	pw := write("pw", "file-s3cret\r\n")
	key := write("key", "aWQ6a2V5\n")
	empty := write("empty", "\n")
	missing := filepath.Join(dir, "missing")

	c, err := Load(nil, envMap(map[string]string{
		"KSHARE_KIBANA_URL":                   "http://kibana:5601",
		"KSHARE_KIBANA_USERNAME":              "kshare",
		"KSHARE_KIBANA_PASSWORD_FILE":         pw,
		"KSHARE_REDIS_SENTINEL_PASSWORD_FILE": key,
		"KSHARE_REDIS_PASSWORD":               "direct",
		"KSHARE_REDIS_PASSWORD_FILE":          pw,
		"KSHARE_KIBANA_API_KEY_FILE":          "",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kibana.Password != "file-s3cret" || c.Kibana.PasswordFile != "" {
		t.Errorf("kibana password %q file %q, want the file's content and no file",
			c.Kibana.Password, c.Kibana.PasswordFile)
	}
	if c.Redis.SentinelPassword != "aWQ6a2V5" {
		t.Errorf("sentinel password %q", c.Redis.SentinelPassword)
	}
	// Both set: left alone for Validate to report.
	if c.Redis.Password != "direct" || c.Redis.PasswordFile != pw {
		t.Errorf("redis password %q file %q, want both kept", c.Redis.Password,
			c.Redis.PasswordFile)
	}
	want := []Problem{{Key: "redis.password_file", Value: pw,
		Message: "set redis.password or redis.password_file, not both"}}
	if diff := cmp.Diff(want, problemsOf(t, c.Validate())); diff != "" {
		t.Errorf("Validate (-want +got):\n%s", diff)
	}

	_, err = Load(nil, envMap(map[string]string{
		"KSHARE_KIBANA_API_KEY_FILE":  missing,
		"KSHARE_REDIS_PASSWORD_FILE":  empty,
		"KSHARE_KIBANA_PASSWORD_FILE": dir, // a directory cannot be read
	}), nil)
	got := problemsOf(t, err)
	wantKeys := []string{"kibana.password_file", "kibana.api_key_file", "redis.password_file"}
	wantPaths := []string{dir, missing, empty}
	if len(got) != len(wantKeys) {
		t.Fatalf("problems = %v, want %v", got, wantKeys)
	}
	for i, p := range got {
		if p.Key != wantKeys[i] || p.Value != wantPaths[i] {
			t.Errorf("problem %d = %v, want key %s and path %s", i, p,
				wantKeys[i], wantPaths[i])
		}
	}
	if !strings.Contains(err.Error(), "no such file") {
		t.Errorf("error %q does not give the reason", err)
	}
}

func TestBindFlags(t *testing.T) {
	t.Parallel()
	fs := pflag.NewFlagSet("kshare", pflag.ContinueOnError)
	BindFlags(fs)
	usage := fs.FlagUsages()
	def := Default()
	n := 0
	for _, k := range keys {
		if k.flag == "" {
			continue
		}
		n++
		f := fs.Lookup(k.flag)
		if f == nil {
			t.Errorf("flag --%s not registered", k.flag)
			continue
		}
		if !strings.Contains(f.Usage, k.env()) {
			t.Errorf("--%s usage %q does not name %s", k.flag, f.Usage, k.env())
		}
		if want := display(k.path, field(&def, k.path).Interface()); f.DefValue != want {
			t.Errorf("--%s default %q, want %q", k.flag, f.DefValue, want)
		}
		want := "(default " + strconv.Quote(f.DefValue) + ")"
		if f.Value.Type() == "bool" {
			want = "default " + f.DefValue + ")"
		}
		if f.DefValue != "" && !strings.Contains(usage, want) {
			t.Errorf("help does not show --%s %s:\n%s", k.flag, want, usage)
		}
	}
	if n != 10 {
		t.Errorf("%d flags, want the 10 of the contract", n)
	}
	if fs.Lookup("embedded-redis") == nil || fs.Lookup("kibana-url") == nil {
		t.Errorf("contract flags missing:\n%s", usage)
	}
}
