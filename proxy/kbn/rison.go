package kbn

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Rison is the URL-friendly JSON dialect Kibana writes its _g and _a state
// and maps tile bodies in: objects (k:v,…), arrays !(…), !t !f !n,
// numbers, and strings that are bare when "id-safe" and quoted with '
// otherwise (! escapes ! and ').

// risonIDChars are the characters besides letters and digits that kshare
// writes in a bare rison string. Readers accept more; quoting is always
// valid.
const risonIDChars = "-_./~"

// risonNotID are the characters that end a bare string when reading (the
// rison reference grammar's not-idchar set).
const risonNotID = " '!:(),*@$"

// RisonMaxDepth bounds the nesting RisonJSON accepts.
const RisonMaxDepth = 100

// RisonString encodes s as a rison string, quoting it when needed.
func RisonString(s string) string {
	return string(AppendRisonString(nil, s))
}

// AppendRisonString appends s encoded as a rison string to b.
func AppendRisonString(b []byte, s string) []byte {
	if s != "" && risonBare(s) {
		return append(b, s...)
	}
	b = append(b, '\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '!' || s[i] == '\'' {
			b = append(b, '!')
		}
		b = append(b, s[i])
	}
	return append(b, '\'')
}

func risonBare(s string) bool {
	if c := s[0]; c == '-' || (c >= '0' && c <= '9') {
		return false
	}
	for _, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.ContainsRune(risonIDChars, c)
		if !ok {
			return false
		}
	}
	return true
}

// DecodeRison parses one rison value into Go values: map[string]any, []any,
// string, float64, bool or nil.
func DecodeRison(s string) (any, error) {
	text, err := RisonJSON(s)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(text, &v); err != nil {
		return nil, fmt.Errorf("rison: %v", err)
	}
	return v, nil
}

// RisonJSON converts one rison value to JSON text, keeping the order and
// spelling of keys (duplicates included, for a strict reader to refuse)
// and the text of numbers, which must follow JSON's number grammar (rison
// allows more, and a reader of both must read them the same).
func RisonJSON(s string) ([]byte, error) {
	c := &risonConv{s: s, out: make([]byte, 0, len(s)+len(s)/4)}
	if err := c.value(0); err != nil {
		return nil, err
	}
	if c.i != len(c.s) {
		return nil, c.errf("unexpected %q", short(c.s[c.i:]))
	}
	return c.out, nil
}

type risonConv struct {
	s   string
	i   int
	out []byte
}

func (c *risonConv) errf(format string, a ...any) error {
	return fmt.Errorf("rison: "+format+" at %d", append(a, c.i)...)
}

// jsonNumber is JSON's number grammar.
var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

func (c *risonConv) value(depth int) error {
	if depth > RisonMaxDepth {
		return c.errf("nested deeper than %d", RisonMaxDepth)
	}
	if c.i >= len(c.s) {
		return c.errf("unexpected end")
	}
	switch ch := c.s[c.i]; {
	case ch == '(':
		c.i++
		return c.list(depth, '{', '}', true)
	case ch == '!':
		return c.bang(depth)
	case ch == '-' || ch >= '0' && ch <= '9':
		return c.number()
	default:
		str, err := c.str()
		c.out = appendJSONString(c.out, str)
		return err
	}
}

// list reads the members of an object (keyed) or the elements of an
// array up to the closing ")"; c.i is past the opening "(".
func (c *risonConv) list(depth int, open, close byte, keyed bool) error {
	c.out = append(c.out, open)
	for first := true; ; first = false {
		if c.i < len(c.s) && c.s[c.i] == ')' {
			c.i++
			c.out = append(c.out, close)
			return nil
		}
		if !first {
			if c.i >= len(c.s) || c.s[c.i] != ',' {
				return c.errf("want , or )")
			}
			c.i++
			c.out = append(c.out, ',')
		}
		if keyed {
			if err := c.key(); err != nil {
				return err
			}
		}
		if err := c.value(depth + 1); err != nil {
			return err
		}
	}
}

// key reads an object key and its ":".
func (c *risonConv) key() error {
	k, err := c.str()
	if err != nil {
		return err
	}
	if c.i >= len(c.s) || c.s[c.i] != ':' {
		return c.errf("want :")
	}
	c.i++
	c.out = append(appendJSONString(c.out, k), ':')
	return nil
}

func (c *risonConv) bang(depth int) error {
	if c.i+1 >= len(c.s) {
		return c.errf("dangling !")
	}
	ch := c.s[c.i+1]
	c.i += 2
	switch ch {
	case 't':
		c.out = append(c.out, "true"...)
	case 'f':
		c.out = append(c.out, "false"...)
	case 'n':
		c.out = append(c.out, "null"...)
	case '(':
		return c.list(depth, '[', ']', false)
	default:
		return c.errf("unknown !%c", ch)
	}
	return nil
}

// str reads a quoted or bare string.
func (c *risonConv) str() (string, error) {
	if c.i < len(c.s) && c.s[c.i] == '\'' {
		return c.quoted()
	}
	start := c.i
	for c.i < len(c.s) && strings.IndexByte(risonNotID, c.s[c.i]) < 0 {
		c.i++
	}
	if c.i == start {
		return "", c.errf("empty value")
	}
	return c.s[start:c.i], nil
}

func (c *risonConv) quoted() (string, error) {
	c.i++ // '
	var b strings.Builder
	for c.i < len(c.s) {
		switch ch := c.s[c.i]; ch {
		case '\'':
			c.i++
			return b.String(), nil
		case '!':
			if c.i+1 >= len(c.s) || (c.s[c.i+1] != '!' && c.s[c.i+1] != '\'') {
				return "", c.errf("bad escape")
			}
			b.WriteByte(c.s[c.i+1])
			c.i += 2
		default:
			b.WriteByte(ch)
			c.i++
		}
	}
	return "", c.errf("unterminated string")
}

func (c *risonConv) number() error {
	start := c.i
	for c.i < len(c.s) && strings.IndexByte("0123456789-+.eE", c.s[c.i]) >= 0 {
		c.i++
	}
	n := c.s[start:c.i]
	if !jsonNumber.MatchString(n) {
		return c.errf("bad number %q", short(n))
	}
	c.out = append(c.out, n...)
	return nil
}

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes
// U+FFFD, as JSON readers would read it.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

// short clips s for an error message.
func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
