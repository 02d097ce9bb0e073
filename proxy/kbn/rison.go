package kbn

import (
	"fmt"
	"strconv"
	"strings"
)

// Rison is the URL-friendly JSON dialect Kibana writes its _g and _a state
// in: objects (k:v,…), arrays !(…), !t !f !n, and strings that are bare when
// "id-safe" and quoted with ' otherwise (! escapes ! and ').

// risonIDChars are the characters besides letters and digits that a bare
// rison string may contain.
const risonIDChars = "-_./~"

// RisonString encodes s as a rison string, quoting it when needed.
func RisonString(s string) string {
	if s != "" && risonBare(s) {
		return s
	}
	r := strings.NewReplacer("!", "!!", "'", "!'")
	return "'" + r.Replace(s) + "'"
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
	p := &risonParser{s: s}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	if p.i != len(p.s) {
		return nil, fmt.Errorf("rison: unexpected %q at %d", p.s[p.i:], p.i)
	}
	return v, nil
}

type risonParser struct {
	s string
	i int
}

func (p *risonParser) errf(format string, a ...any) error {
	return fmt.Errorf("rison: "+format+" at %d", append(a, p.i)...)
}

func (p *risonParser) value() (any, error) {
	if p.i >= len(p.s) {
		return nil, p.errf("unexpected end")
	}
	switch c := p.s[p.i]; {
	case c == '(':
		return p.object()
	case c == '\'':
		return p.quoted()
	case c == '!':
		return p.bang()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	default:
		return p.bare()
	}
}

func (p *risonParser) object() (any, error) {
	p.i++ // (
	obj := map[string]any{}
	for first := true; ; first = false {
		if p.i < len(p.s) && p.s[p.i] == ')' {
			p.i++
			return obj, nil
		}
		if !first {
			if p.i >= len(p.s) || p.s[p.i] != ',' {
				return nil, p.errf("want , or )")
			}
			p.i++
		}
		k, err := p.value()
		ks, ok := k.(string)
		if err != nil || !ok {
			return nil, p.errf("bad object key")
		}
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, p.errf("want :")
		}
		p.i++
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		obj[ks] = v
	}
}

func (p *risonParser) array() (any, error) {
	p.i++ // (
	arr := []any{}
	for first := true; ; first = false {
		if p.i < len(p.s) && p.s[p.i] == ')' {
			p.i++
			return arr, nil
		}
		if !first {
			if p.i >= len(p.s) || p.s[p.i] != ',' {
				return nil, p.errf("want , or )")
			}
			p.i++
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
	}
}

func (p *risonParser) bang() (any, error) {
	if p.i+1 >= len(p.s) {
		return nil, p.errf("dangling !")
	}
	c := p.s[p.i+1]
	p.i += 2
	switch c {
	case 't':
		return true, nil
	case 'f':
		return false, nil
	case 'n':
		return nil, nil
	case '(':
		p.i-- // array() skips the "("
		return p.array()
	}
	return nil, p.errf("unknown !%c", c)
}

func (p *risonParser) quoted() (any, error) {
	p.i++ // '
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch c {
		case '\'':
			p.i++
			return b.String(), nil
		case '!':
			if p.i+1 >= len(p.s) || (p.s[p.i+1] != '!' && p.s[p.i+1] != '\'') {
				return nil, p.errf("bad escape")
			}
			b.WriteByte(p.s[p.i+1])
			p.i += 2
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return nil, p.errf("unterminated string")
}

func (p *risonParser) number() (any, error) {
	start := p.i
	for p.i < len(p.s) && strings.IndexByte("0123456789-+.eE", p.s[p.i]) >= 0 {
		p.i++
	}
	f, err := strconv.ParseFloat(p.s[start:p.i], 64)
	if err != nil {
		return nil, p.errf("bad number %q", p.s[start:p.i])
	}
	return f, nil
}

func (p *risonParser) bare() (any, error) {
	start := p.i
	for p.i < len(p.s) && strings.IndexByte(":,()!'", p.s[p.i]) < 0 {
		p.i++
	}
	if p.i == start {
		return nil, p.errf("empty value")
	}
	return p.s[start:p.i], nil
}
