package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestKeysMatchConfig holds the key table and the Config struct together:
// a field without a key would be unreachable from env and flags.
func TestKeysMatchConfig(t *testing.T) {
	t.Parallel()
	var fields, table []string
	for path := range fieldIndex() {
		fields = append(fields, path)
	}
	envs := map[string]bool{}
	flags := map[string]bool{}
	for _, k := range keys {
		table = append(table, k.path)
		if envs[k.env()] {
			t.Errorf("%s: env %s used twice", k.path, k.env())
		}
		envs[k.env()] = true
		if k.flag != "" && flags[k.flag] {
			t.Errorf("%s: flag --%s used twice", k.path, k.flag)
		}
		flags[k.flag] = true
		if !strings.HasSuffix(k.help, ".") || strings.Contains(k.help, "\n") {
			t.Errorf("%s: help %q should be sentences on one line", k.path, k.help)
		}
	}
	slices.Sort(fields)
	slices.Sort(table)
	if diff := cmp.Diff(fields, table); diff != "" {
		t.Errorf("Config fields (-) vs key table (+):\n%s", diff)
	}
}

func TestEnvNames(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]string{
		"listen":            "KSHARE_LISTEN",
		"public_url":        "KSHARE_PUBLIC_URL",
		"kibana.url":        "KSHARE_KIBANA_URL",
		"redis.addr":        "KSHARE_REDIS_ADDR",
		"redis.tls.ca_file": "KSHARE_REDIS_TLS_CA_FILE",
	} {
		if got := (key{path: path}).env(); got != want {
			t.Errorf("env(%s) = %s, want %s", path, got, want)
		}
	}
}

func TestReference(t *testing.T) {
	t.Parallel()
	ref := Reference()
	for _, k := range keys {
		row := fmt.Sprintf("| `%s` | `%s` |", k.path, k.env())
		if !strings.Contains(ref, row) {
			t.Errorf("Reference lacks a row starting %s", row)
		}
		if k.flag != "" && !strings.Contains(ref, "`--"+k.flag+"`") {
			t.Errorf("Reference does not mention --%s", k.flag)
		}
	}
	for _, env := range []string{"KSHARE_LISTEN", "KSHARE_PUBLIC_URL",
		"KSHARE_KIBANA_URL", "KSHARE_REDIS_ADDR"} {
		if !strings.Contains(ref, "`"+env+"`") {
			t.Errorf("Reference does not mention %s", env)
		}
	}
	for _, want := range []string{"| `shares.default_ttl` | `KSHARE_SHARES_DEFAULT_TTL` | `168h` |",
		"| `listen` | `KSHARE_LISTEN` | `:8080` |", "| `kibana.url` | `KSHARE_KIBANA_URL` | (none) |",
		"| `http.max_body_bytes` | `KSHARE_HTTP_MAX_BODY_BYTES` | `4194304` |"} {
		if !strings.Contains(ref, want) {
			t.Errorf("Reference lacks %s", want)
		}
	}
	// Every row has exactly the four cells: no help text breaks the table.
	for _, line := range strings.Split(ref, "\n") {
		if strings.HasPrefix(line, "| `") && strings.Count(line, " | ") != 3 {
			t.Errorf("row has more than four cells: %s", line)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"168h": "168h", "2m": "2m", "90s": "1m30s", "1h30m": "1h30m", "0s": "0s",
		"500ms": "500ms", "1h0m5s": "1h0m5s",
	} {
		d, ok := parseDuration(in)
		if !ok {
			t.Fatalf("parseDuration(%q) failed", in)
		}
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestSecretsNeverShown puts distinctive secrets into every secret setting
// and a URL, then searches every rendering of the config and its errors.
func TestSecretsNeverShown(t *testing.T) {
	t.Parallel()
	secrets := []string{"kib-s3cret-pw", "aWQ6a2V5LXMzY3JldA==", "redis-s3cret-pw",
		"sentinel-s3cret-pw", "url-s3cret-pw", "url-s3cret-user"}
	c := Default()
	c.PublicURL = "https://" + secrets[5] + "@example.com"
	c.Kibana.URL = "https://kshare:" + secrets[4] + "@kibana"
	c.Kibana.Username = "kshare"
	c.Kibana.Password = secrets[0]
	c.Kibana.APIKey = secrets[1] // with a password too: a problem naming the key
	c.Redis.Password = secrets[2]
	c.Redis.PasswordFile = "/run/secrets/redis" // both set: another problem
	c.Redis.SentinelPassword = secrets[3]

	var js, text bytes.Buffer
	slog.New(slog.NewJSONHandler(&js, nil)).Info("start", "config", c)
	slog.New(slog.NewTextHandler(&text, nil)).Info("start", "config", c,
		"kibana", c.Kibana, "redis", c.Redis)
	err := c.Validate()
	renderings := map[string]string{
		"Validate":   err.Error(),
		"problems":   fmt.Sprint(problemsOf(t, err)),
		"json log":   js.String(),
		"text log":   text.String(),
		"%v":         fmt.Sprintf("%v", c),
		"%+v":        fmt.Sprintf("%+v", c),
		"%#v":        fmt.Sprintf("%#v", c),
		"kibana %#v": fmt.Sprintf("%#v %+v", c.Kibana, c.Kibana),
		"redis %#v":  fmt.Sprintf("%#v %+v", c.Redis, c.Redis),
		"warnings":   strings.Join(c.Warnings(), "\n"),
	}
	for name, out := range renderings {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s shows secret %q:\n%s", name, s, out)
			}
		}
	}
	if !strings.Contains(js.String(), `"password":"REDACTED"`) ||
		!strings.Contains(js.String(), `"api_key":"REDACTED"`) ||
		!strings.Contains(js.String(), `"username":"kshare"`) {
		t.Errorf("json log does not show what is set:\n%s", js.String())
	}
	if !strings.Contains(err.Error(), `kibana.api_key "REDACTED"`) {
		t.Errorf("problem values are not marked REDACTED:\n%v", err)
	}
}

// TestLoadErrorsHideSecrets checks that a secret of the wrong shape is not
// echoed by Load either.
func TestLoadErrorsHideSecrets(t *testing.T) {
	t.Parallel()
	_, err := loadString(t, "kibana:\n  password: [first-s3cret, second-s3cret]\n", nil)
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("err = %v, want an error without the secret", err)
	}
	if !strings.Contains(err.Error(), "kibana.password") {
		t.Errorf("err = %v, want it to name the key", err)
	}
}

func TestLogValueGroups(t *testing.T) {
	t.Parallel()
	var text bytes.Buffer
	c := Default()
	c.Redis.TLS.Enabled = true
	slog.New(slog.NewTextHandler(&text, nil)).Info("start", "config", c)
	for _, want := range []string{"config.listen=:8080", "config.kibana.password=\"\"",
		"config.redis.tls.enabled=true", "config.shares.default_ttl=168h0m0s"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, text.String())
		}
	}
}
