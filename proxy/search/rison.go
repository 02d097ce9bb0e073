package search

import (
	"regexp"
	"strings"
)

// Rison is the URL dialect Kibana's maps put a tile's search body in
// (requestBody): objects (k:v,…), arrays !(…), !t !f !n, numbers, and
// strings that are bare when id-safe and quoted with ' otherwise, ! escaping
// ! and '. kshare turns it into JSON text for the strict parser, so keys
// keep their order and duplicate or case-variant keys are refused as in
// any other body, and writes the checked tree back as rison.

// risonJSON converts rison text to JSON text.
func risonJSON(s string) ([]byte, error) {
	c := &risonConv{s: s, out: make([]byte, 0, len(s)+len(s)/4)}
	if err := c.value(0); err != nil {
		return nil, err
	}
	if c.i != len(c.s) {
		return nil, malformed("rison: trailing text at %d", c.i)
	}
	return c.out, nil
}

type risonConv struct {
	s   string
	i   int
	out []byte
}

// jsonNumber is JSON's number grammar; rison's is looser (leading zeros,
// a bare "-"), and what kshare forwards must read the same in both.
var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// risonNotID are the characters that end a bare rison string.
const risonNotID = " '!:(),*@$"

func (c *risonConv) value(depth int) error {
	if depth > maxDepth {
		return malformed("rison: nested deeper than %d", maxDepth)
	}
	if c.i >= len(c.s) {
		return malformed("rison: unexpected end")
	}
	switch ch := c.s[c.i]; {
	case ch == '(':
		return c.object(depth)
	case ch == '!':
		return c.bang(depth)
	case ch == '\'':
		str, err := c.quoted()
		c.out = appendString(c.out, str)
		return err
	case ch == '-' || ch >= '0' && ch <= '9':
		return c.number()
	default:
		str, err := c.bare()
		c.out = appendString(c.out, str)
		return err
	}
}

func (c *risonConv) object(depth int) error {
	c.i++ // (
	c.out = append(c.out, '{')
	for first := true; ; first = false {
		if c.i < len(c.s) && c.s[c.i] == ')' {
			c.i++
			c.out = append(c.out, '}')
			return nil
		}
		if !first {
			if c.i >= len(c.s) || c.s[c.i] != ',' {
				return malformed("rison: want , or ) at %d", c.i)
			}
			c.i++
			c.out = append(c.out, ',')
		}
		key, err := c.key()
		if err != nil {
			return err
		}
		if c.i >= len(c.s) || c.s[c.i] != ':' {
			return malformed("rison: want : at %d", c.i)
		}
		c.i++
		c.out = append(appendString(c.out, key), ':')
		if err := c.value(depth + 1); err != nil {
			return err
		}
	}
}

func (c *risonConv) key() (string, error) {
	if c.i < len(c.s) && c.s[c.i] == '\'' {
		return c.quoted()
	}
	return c.bare()
}

func (c *risonConv) bang(depth int) error {
	if c.i+1 >= len(c.s) {
		return malformed("rison: dangling !")
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
		return c.array(depth)
	default:
		return malformed("rison: unknown !%c", ch)
	}
	return nil
}

func (c *risonConv) array(depth int) error {
	c.out = append(c.out, '[')
	for first := true; ; first = false {
		if c.i < len(c.s) && c.s[c.i] == ')' {
			c.i++
			c.out = append(c.out, ']')
			return nil
		}
		if !first {
			if c.i >= len(c.s) || c.s[c.i] != ',' {
				return malformed("rison: want , or ) at %d", c.i)
			}
			c.i++
			c.out = append(c.out, ',')
		}
		if err := c.value(depth + 1); err != nil {
			return err
		}
	}
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
				return "", malformed("rison: bad escape at %d", c.i)
			}
			b.WriteByte(c.s[c.i+1])
			c.i += 2
		default:
			b.WriteByte(ch)
			c.i++
		}
	}
	return "", malformed("rison: unterminated string")
}

func (c *risonConv) number() error {
	start := c.i
	for c.i < len(c.s) && strings.IndexByte("0123456789-+.eE", c.s[c.i]) >= 0 {
		c.i++
	}
	n := c.s[start:c.i]
	if !jsonNumber.MatchString(n) {
		return malformed("rison: bad number %q", short(n))
	}
	c.out = append(c.out, n...)
	return nil
}

func (c *risonConv) bare() (string, error) {
	start := c.i
	for c.i < len(c.s) && strings.IndexByte(risonNotID, c.s[c.i]) < 0 {
		c.i++
	}
	if c.i == start {
		return "", malformed("rison: empty value at %d", c.i)
	}
	return c.s[start:c.i], nil
}

// appendRison writes v as rison; strings are quoted unless plainly
// id-safe, which every rison reader accepts.
func appendRison(b []byte, v *value) []byte {
	switch v.kind {
	case kObject:
		b = append(b, '(')
		for i, m := range v.members {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendRisonString(b, m.key)
			b = append(b, ':')
			b = appendRison(b, m.val)
		}
		return append(b, ')')
	case kArray:
		b = append(b, "!("...)
		for i, e := range v.elems() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendRison(b, e)
		}
		return append(b, ')')
	case kString:
		return appendRisonString(b, v.s)
	case kNumber:
		return append(b, v.s...)
	case kTrue:
		return append(b, "!t"...)
	case kFalse:
		return append(b, "!f"...)
	default:
		return append(b, "!n"...)
	}
}

func appendRisonString(b []byte, s string) []byte {
	if risonPlain(s) {
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

// risonPlain reports whether s can go bare: letters, digits and _ . / ~ -,
// not starting with a digit or -.
func risonPlain(s string) bool {
	if s == "" || s[0] == '-' || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		ok := ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' ||
			strings.IndexByte("_./~-", ch) >= 0
		if !ok {
			return false
		}
	}
	return true
}
