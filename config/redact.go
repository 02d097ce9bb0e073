package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// redacted replaces a secret that is set wherever a value is shown.
const redacted = "REDACTED"

// shown returns v as it may be shown for the setting at path: a set secret
// becomes REDACTED and the password in a URL's userinfo is masked. Other
// values are returned unchanged.
func shown(path string, v any) any {
	k, _ := lookupKey(path)
	switch {
	case k.secret:
		if v == nil || v == "" {
			return ""
		}
		return redacted
	case k.url:
		if s, ok := v.(string); ok {
			return redactURL(s)
		}
	}
	return v
}

// redactURL masks a URL's userinfo, user name too, since some services take
// a token as the user. A string that does not parse is kept only if it holds
// no "@", which could start userinfo.
func redactURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil && strings.Contains(s, "@"):
		return redacted
	case err != nil || u.User == nil:
		return s
	}
	u.User = url.User(redacted)
	return u.String()
}

// display renders the value of the setting at path as text, redacted as
// shown says.
func display(path string, v any) string {
	switch v := shown(path, v).(type) {
	case string:
		return v
	case time.Duration:
		return formatDuration(v)
	case []string:
		return strings.Join(v, ",")
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// LogValue logs the configuration grouped by section, secrets REDACTED.
func (c Config) LogValue() slog.Value { return groupValue(reflect.ValueOf(c), "") }

// LogValue logs the Kibana settings, secrets REDACTED.
func (k Kibana) LogValue() slog.Value { return groupValue(reflect.ValueOf(k), "kibana.") }

// LogValue logs the Redis settings, secrets REDACTED.
func (r Redis) LogValue() slog.Value { return groupValue(reflect.ValueOf(r), "redis.") }

// String renders the configuration as key=value pairs, secrets REDACTED.
func (c Config) String() string { return pairs(reflect.ValueOf(c), "") }

// GoString is String, so that %#v does not print secrets either.
func (c Config) GoString() string { return c.String() }

// String renders the Kibana settings as key=value pairs, secrets REDACTED.
func (k Kibana) String() string { return pairs(reflect.ValueOf(k), "kibana.") }

// GoString is String, so that %#v does not print secrets either.
func (k Kibana) GoString() string { return k.String() }

// String renders the Redis settings as key=value pairs, secrets REDACTED.
func (r Redis) String() string { return pairs(reflect.ValueOf(r), "redis.") }

// GoString is String, so that %#v does not print secrets either.
func (r Redis) GoString() string { return r.String() }

// groupValue renders struct v, whose settings' paths start with prefix, as
// an slog group with one nested group per section.
func groupValue(v reflect.Value, prefix string) slog.Value {
	t := v.Type()
	attrs := make([]slog.Attr, 0, t.NumField())
	for i := range t.NumField() {
		name := t.Field(i).Tag.Get("yaml")
		f := v.Field(i)
		if f.Kind() == reflect.Struct {
			attrs = append(attrs, slog.Attr{Key: name,
				Value: groupValue(f, prefix+name+".")})
			continue
		}
		attrs = append(attrs, slog.Any(name, shown(prefix+name, f.Interface())))
	}
	return slog.GroupValue(attrs...)
}

// pairs renders struct v, whose settings' paths start with prefix, as
// space-separated path=value pairs in field order.
func pairs(v reflect.Value, prefix string) string {
	var b strings.Builder
	var walk func(v reflect.Value, prefix string)
	walk = func(v reflect.Value, prefix string) {
		t := v.Type()
		for i := range t.NumField() {
			path := prefix + t.Field(i).Tag.Get("yaml")
			f := v.Field(i)
			if f.Kind() == reflect.Struct {
				walk(f, path+".")
				continue
			}
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(path + "=" + strconv.Quote(display(path, f.Interface())))
		}
	}
	walk(v, prefix)
	return b.String()
}
