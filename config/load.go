package config

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Load reads the configuration from, in increasing precedence: the defaults,
// the YAML document r (nil for none), KSHARE_* variables found through env
// (production passes os.LookupEnv; nil means none), and the flags of fs that
// were set on the command line (fs may be nil; flags BindFlags did not
// register are ignored). It then reads the *_file secrets.
//
// YAML scalars reach each setting as written, so kibana.line 7.10 needs no
// quotes. Load does not validate: call Validate. A YAML syntax error is
// returned as the parser reports it, with its line. Unknown or repeated keys,
// values of the wrong form and unreadable secret files are returned together
// as a *ValidationError (wrapped; use errors.As).
func Load(r io.Reader, env func(string) (string, bool), fs *pflag.FlagSet) (Config, error) {
	c, err := load(r, env, fs)
	if err != nil {
		return Config{}, fmt.Errorf("load config: %w", err)
	}
	return c, nil
}

// LoadFile is Load reading the YAML file at path; an empty path means no
// file.
func LoadFile(path string, env func(string) (string, bool), fs *pflag.FlagSet) (Config, error) {
	if path == "" {
		return Load(nil, env, fs)
	}
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("load config: %w", err)
	}
	defer f.Close()
	c, err := load(f, env, fs)
	if err != nil {
		return Config{}, fmt.Errorf("load config %s: %w", path, err)
	}
	return c, nil
}

// load does Load's work; its errors are not yet prefixed.
func load(r io.Reader, env func(string) (string, bool), fs *pflag.FlagSet) (Config, error) {
	// A Viper per call: the global one is shared state, and Viper is not safe
	// for concurrent use.
	v := viper.New()
	var problems []Problem
	if r != nil {
		settings, p, err := readYAML(r)
		if err != nil {
			return Config{}, fmt.Errorf("parse: %w", err)
		}
		if err := v.MergeConfigMap(settings); err != nil {
			return Config{}, fmt.Errorf("merge file: %w", err)
		}
		problems = p
	}

	// Every key gets a default, and env and flag values are written with
	// Set, so each key is known to Viper whichever source holds it. Viper
	// cannot read the environment through env, so the values are copied in;
	// Set is Viper's top layer, so flags are written after env to win.
	def := Default()
	for _, k := range keys {
		v.SetDefault(k.path, field(&def, k.path).Interface())
	}
	setEnv(v, env)
	setFlags(v, fs)

	var c Config
	for _, k := range keys {
		raw := v.Get(k.path)
		if err := assign(field(&c, k.path), raw); err != nil {
			problems = append(problems, problem(k.path, raw, err.Error()))
		}
	}
	problems = append(problems, readSecretFiles(&c)...)
	if len(problems) > 0 {
		return Config{}, &ValidationError{Problems: problems}
	}
	return c, nil
}

// setEnv copies the KSHARE_* variable of every key into v. An empty variable
// counts as unset, as Viper itself treats the environment.
func setEnv(v *viper.Viper, env func(string) (string, bool)) {
	if env == nil {
		return
	}
	for _, k := range keys {
		if s, ok := env(k.env()); ok && s != "" {
			v.Set(k.path, s)
		}
	}
}

// setFlags copies into v the flags of fs that BindFlags registered and the
// command line set. A flag left at its default must not override the file or
// the environment.
func setFlags(v *viper.Viper, fs *pflag.FlagSet) {
	if fs == nil {
		return
	}
	fs.Visit(func(f *pflag.Flag) {
		for _, k := range keys {
			if k.flag != "" && k.flag == f.Name {
				v.Set(k.path, f.Value.String())
			}
		}
	})
}

// BindFlags registers on fs the flags that override the most used settings:
// --listen, --public-url, --share-prefix, --kibana-url, --kibana-line,
// --redis-addr, --redis-mode, --log-level, --log-format and --embedded-redis.
// Their defaults are Default's, shown by pflag; the help names the
// environment variable.
func BindFlags(fs *pflag.FlagSet) {
	def := Default()
	for _, k := range keys {
		if k.flag == "" {
			continue
		}
		switch d := field(&def, k.path).Interface().(type) {
		case bool:
			// pflag shows no default for a false bool, so the usage does.
			fs.Bool(k.flag, d, flagUsage(k, fmt.Sprintf(", default %v", d)))
		case string:
			fs.String(k.flag, d, flagUsage(k, ""))
		default:
			panic(fmt.Sprintf("config: flag --%s: no flag type for %T", k.flag, d))
		}
	}
}

// flagUsage is the first sentence of a key's help, with its key, its
// environment variable and then more.
func flagUsage(k key, more string) string {
	s, _, _ := strings.Cut(k.help, ". ")
	s = strings.TrimSuffix(s, ".")
	return fmt.Sprintf("%s (%s, env %s%s)", s, k.path, k.env(), more)
}

// durationType is the type of time.Duration, which assign parses itself.
var durationType = reflect.TypeFor[time.Duration]()

// assign stores raw in dst. raw is a default, of dst's type already, or text
// from the file, the environment or a flag, which is parsed for dst's type;
// or, from the file, a list or a section. Errors name the expected form but
// not the value, which the caller shows only when it is not secret.
func assign(dst reflect.Value, raw any) error {
	switch v := raw.(type) {
	case nil:
		dst.SetZero()
		return nil
	case string:
		return parseInto(dst, v)
	case []any:
		if dst.Kind() != reflect.Slice {
			return errors.New("want a single value, got a list")
		}
		l, err := listItems(v)
		dst.Set(reflect.ValueOf(l))
		return err
	case map[string]any:
		return errors.New("want a value, got a section")
	}
	if reflect.TypeOf(raw) != dst.Type() {
		return fmt.Errorf("want %s, got %T", dst.Type(), raw)
	}
	dst.Set(reflect.ValueOf(raw))
	return nil
}

// parseInto parses s for the type of dst and stores it.
func parseInto(dst reflect.Value, s string) error {
	if dst.Type() == durationType {
		d, err := toDuration(s)
		dst.SetInt(int64(d))
		return err
	}
	switch dst.Kind() {
	case reflect.String:
		dst.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return errors.New("want true or false")
		}
		dst.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, dst.Type().Bits())
		if err != nil {
			return errors.New("want a whole number")
		}
		dst.SetInt(n)
	case reflect.Slice:
		dst.Set(reflect.ValueOf(trimItems(strings.Split(s, ","))))
	default:
		return fmt.Errorf("no conversion to %s", dst.Type())
	}
	return nil
}

// toDuration parses Go duration syntax or whole days ("7d"). A bare number
// other than 0 is refused rather than read in some unit.
func toDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, ok := parseDuration(s); ok {
		return d, nil
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return 0, errors.New(`want a duration with a unit, such as "5s" or "7d"`)
	}
	return 0, errors.New(`want a duration such as "5s", "1h30m" or "7d"`)
}

// maxDays is the most days a time.Duration holds.
const maxDays = math.MaxInt64 / int64(24*time.Hour)

// parseDuration parses Go duration syntax, or a whole number of days with
// the suffix "d", which Go does not know.
func parseDuration(s string) (time.Duration, bool) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n < -maxDays || n > maxDays {
			return 0, false
		}
		return time.Duration(n) * 24 * time.Hour, true
	}
	d, err := time.ParseDuration(s)
	return d, err == nil
}

// listItems converts a YAML list of single values.
func listItems(l []any) ([]string, error) {
	items := make([]string, 0, len(l))
	for _, e := range l {
		switch e := e.(type) {
		case string:
			items = append(items, e)
		case nil:
		default:
			return nil, errors.New("want a list of single values")
		}
	}
	return trimItems(items), nil
}

// trimItems drops blanks around items and empty items; nil when none is
// left, as for an unset list.
func trimItems(items []string) []string {
	var out []string
	for _, s := range items {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// A secretFile pairs a secret with the key of the file that may hold it.
type secretFile struct {
	key         string
	value, path *string
}

// secretFiles returns the secrets of c that can be read from a file.
func secretFiles(c *Config) []secretFile {
	return []secretFile{
		{"kibana.password_file", &c.Kibana.Password, &c.Kibana.PasswordFile},
		{"kibana.api_key_file", &c.Kibana.APIKey, &c.Kibana.APIKeyFile},
		{"redis.password_file", &c.Redis.Password, &c.Redis.PasswordFile},
		{"redis.sentinel_password_file", &c.Redis.SentinelPassword,
			&c.Redis.SentinelPasswordFile},
	}
}

// readSecretFiles fills each secret whose file alone is set from that file,
// dropping trailing newlines, and clears the file key so a loaded Config
// holds each secret once. When both are set neither is touched, and Validate
// reports it.
func readSecretFiles(c *Config) []Problem {
	var out []Problem
	for _, s := range secretFiles(c) {
		if *s.path == "" || *s.value != "" {
			continue
		}
		b, err := os.ReadFile(*s.path)
		if err != nil {
			// The error names the path only; the content is never shown.
			out = append(out, Problem{Key: s.key, Value: *s.path,
				Message: "read secret: " + pathErrorReason(err)})
			continue
		}
		secret := strings.TrimRight(string(b), "\r\n")
		if secret == "" {
			out = append(out, Problem{Key: s.key, Value: *s.path,
				Message: "secret file is empty"})
			continue
		}
		*s.value, *s.path = secret, ""
	}
	return out
}

// pathErrorReason returns the reason of a file error without the path,
// which the problem already carries.
func pathErrorReason(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
