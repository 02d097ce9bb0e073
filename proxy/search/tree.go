package search

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// kind is the JSON type of a value.
type kind uint8

const (
	kObject kind = iota + 1
	kArray
	kString
	kNumber
	kTrue
	kFalse
	kNull
)

// value is one parsed JSON value. Objects keep their members in input order
// so a rewritten body reads like the one the browser sent (and golden files
// stay stable); numbers keep their exact text, so a 13-digit preference or a
// 64-bit id never passes through float64.
type value struct {
	kind    kind
	s       string   // string contents (unescaped) or number text
	members []member // kObject members, or kArray elements (key "")
}

// member is one key/value pair of an object, or one array element.
type member struct {
	key string
	val *value
}

// maxDepth bounds nesting. Kibana's deepest bodies (Lens time shift inside
// filters aggs) stay below 30; the rewrite adds four levels.
const maxDepth = 100

// parse reads exactly one JSON value from data, strictly: RFC 8259 syntax,
// valid UTF-8, no duplicate keys and no keys that differ only by case in
// any object, nothing but white space after the value.
//
// This is a hand-written scanner rather than json.Decoder.Token: Token boxes
// every token in an interface and alone cost ~70 µs for the 5 KB captured
// bsearch3 body on the development machine, over the whole request budget.
// tree_test.go keeps a Decoder.Token-based reference parser (refParse) and
// FuzzParse holds the two to the same answers.
func parse(data []byte) (*value, error) {
	if len(data) > MaxBody {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(data))
	}
	if !utf8.Valid(data) {
		return nil, malformed("body is not valid UTF-8")
	}
	p := parser{src: string(data)}
	v, err := p.value(0)
	if err == nil {
		p.skipSpace()
		if p.pos != len(p.src) {
			err = p.fail("data after the JSON value")
		}
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// parser scans src. Strings without escapes are slices of src, so the only
// copy of the body is the one string conversion in parse.
type parser struct {
	src   string
	pos   int
	nodes []value  // slab the nodes are cut from, to allocate in blocks
	stack []member // members of the containers being read
	ascii bool     // the last string read was all ASCII
}

func (p *parser) fail(what string) error {
	return fmt.Errorf("%w: %s at offset %d", ErrMalformed, what, p.pos)
}

func (p *parser) node(k kind) *value {
	if len(p.nodes) == 0 {
		p.nodes = make([]value, 64)
	}
	v := &p.nodes[0]
	p.nodes = p.nodes[1:]
	v.kind = k
	return v
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (*value, error) {
	if depth > maxDepth {
		return nil, p.fail("nesting too deep")
	}
	p.skipSpace()
	if p.pos >= len(p.src) {
		return nil, p.fail("unexpected end of input")
	}
	switch c := p.src[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		v := p.node(kString)
		v.s = s
		return v, nil
	case c == '-' || (c >= '0' && c <= '9'):
		s, err := p.number()
		if err != nil {
			return nil, err
		}
		v := p.node(kNumber)
		v.s = s
		return v, nil
	}
	k, err := p.literal()
	if err != nil {
		return nil, err
	}
	return p.node(k), nil
}

// literal reads true, false or null.
func (p *parser) literal() (kind, error) {
	for _, l := range []struct {
		word string
		k    kind
	}{{"true", kTrue}, {"false", kFalse}, {"null", kNull}} {
		if strings.HasPrefix(p.src[p.pos:], l.word) {
			p.pos += len(l.word)
			return l.k, nil
		}
	}
	return 0, p.fail("unexpected character")
}

func (p *parser) object(depth int) (*value, error) {
	p.pos++ // '{'
	base := len(p.stack)
	ascii := true
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		return p.node(kObject), nil
	}
	for {
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		ascii = ascii && p.ascii
		val, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		p.stack = append(p.stack, member{key, val})
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.fail("unexpected end of object")
		}
		if c := p.src[p.pos]; c == '}' {
			p.pos++
			break
		} else if c != ',' {
			return nil, p.fail("expected ',' or '}'")
		}
		p.pos++
	}
	v := p.node(kObject)
	v.members = p.pop(base)
	if err := checkKeys(v.members, ascii); err != nil {
		return nil, err
	}
	return v, nil
}

func (p *parser) array(depth int) (*value, error) {
	p.pos++ // '['
	base := len(p.stack)
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		p.pos++
		return p.node(kArray), nil
	}
	for {
		el, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		p.stack = append(p.stack, member{val: el})
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.fail("unexpected end of array")
		}
		if c := p.src[p.pos]; c == ']' {
			p.pos++
			break
		} else if c != ',' {
			return nil, p.fail("expected ',' or ']'")
		}
		p.pos++
	}
	v := p.node(kArray)
	v.members = p.pop(base)
	return v, nil
}

// skip reads one value as strictly as value does, duplicate keys aside,
// without building it: answers are Kibana's, and their members are copied
// through unchanged (WrapResponseIDs).
func (p *parser) skip(depth int) error {
	if depth > maxDepth {
		return p.fail("nesting too deep")
	}
	p.skipSpace()
	if p.pos >= len(p.src) {
		return p.fail("unexpected end of input")
	}
	var err error
	switch c := p.src[p.pos]; {
	case c == '{' || c == '[':
		err = p.skipContainer(depth)
	case c == '"':
		err = p.skipStr()
	case c == '-' || (c >= '0' && c <= '9'):
		_, err = p.number()
	default:
		_, err = p.literal()
	}
	return err
}

// skipStr checks a string like str without unescaping it, so answers full of
// escaped text cost no allocation.
func (p *parser) skipStr() error {
	p.pos++
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '"':
			p.pos++
			return nil
		case c < 0x20:
			return p.fail("control character in string")
		case c != '\\':
			p.pos++
			continue
		}
		if p.pos+1 >= len(p.src) {
			break
		}
		switch p.src[p.pos+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			p.pos += 2
		case 'u':
			if _, ok := hex4(p.src, p.pos+2); !ok {
				return p.fail("invalid \\u escape")
			}
			p.pos += 6
		default:
			return p.fail("invalid escape")
		}
	}
	return p.fail("unterminated string")
}

func (p *parser) skipContainer(depth int) error {
	obj := p.src[p.pos] == '{'
	closer := byte(']')
	if obj {
		closer = '}'
	}
	p.pos++
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == closer {
		p.pos++
		return nil
	}
	for {
		if obj {
			if err := p.skipKey(); err != nil {
				return err
			}
		}
		if err := p.skip(depth + 1); err != nil {
			return err
		}
		p.skipSpace()
		switch {
		case p.pos >= len(p.src):
			return p.fail("unexpected end of input")
		case p.src[p.pos] == closer:
			p.pos++
			return nil
		case p.src[p.pos] != ',':
			return p.fail("expected ',' or a closing bracket")
		}
		p.pos++
	}
}

// skipKey is key for skip.
func (p *parser) skipKey() error {
	p.skipSpace()
	if p.pos >= len(p.src) || p.src[p.pos] != '"' {
		return p.fail("expected object key")
	}
	if err := p.skipStr(); err != nil {
		return err
	}
	return p.colon()
}

// colon reads the ':' after a key.
func (p *parser) colon() error {
	p.skipSpace()
	if p.pos >= len(p.src) || p.src[p.pos] != ':' {
		return p.fail("expected ':'")
	}
	p.pos++
	return nil
}

// key reads an object key and the colon after it.
func (p *parser) key() (string, error) {
	p.skipSpace()
	if p.pos >= len(p.src) || p.src[p.pos] != '"' {
		return "", p.fail("expected object key")
	}
	k, err := p.str()
	if err != nil {
		return "", err
	}
	return k, p.colon()
}

// pop moves the members above base off the stack into their own slice.
func (p *parser) pop(base int) []member {
	ms := make([]member, len(p.stack)-base)
	copy(ms, p.stack[base:])
	p.stack = p.stack[:base]
	return ms
}

// number reads a number and returns its text.
func (p *parser) number() (string, error) {
	start := p.pos
	if p.src[p.pos] == '-' {
		p.pos++
	}
	switch {
	case p.pos < len(p.src) && p.src[p.pos] == '0':
		p.pos++
	case p.digits() == 0:
		return "", p.fail("invalid number")
	}
	if p.pos < len(p.src) && p.src[p.pos] == '.' {
		p.pos++
		if p.digits() == 0 {
			return "", p.fail("invalid number")
		}
	}
	if p.pos < len(p.src) && (p.src[p.pos] == 'e' || p.src[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.src) && (p.src[p.pos] == '+' || p.src[p.pos] == '-') {
			p.pos++
		}
		if p.digits() == 0 {
			return "", p.fail("invalid number")
		}
	}
	return p.src[start:p.pos], nil
}

func (p *parser) digits() int {
	n := 0
	for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
		p.pos++
		n++
	}
	return n
}

// str reads a string starting at the opening quote.
func (p *parser) str() (string, error) {
	p.pos++
	start := p.pos
	p.ascii = true
	for p.pos < len(p.src) {
		switch c := p.src[p.pos]; {
		case c >= utf8.RuneSelf:
			p.ascii = false
		case c == '"':
			s := p.src[start:p.pos]
			p.pos++
			return s, nil
		case c == '\\':
			return p.escaped(start)
		case c < 0x20:
			return "", p.fail("control character in string")
		}
		p.pos++
	}
	return "", p.fail("unterminated string")
}

// escaped finishes a string that holds escapes. Lone surrogates become
// U+FFFD, as encoding/json and JavaScript's JSON.parse-then-UTF-8 do.
func (p *parser) escaped(start int) (string, error) {
	p.ascii = false // an escape may spell any rune; take the careful path
	b := []byte(p.src[start:p.pos])
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '"':
			p.pos++
			return string(b), nil
		case c < 0x20:
			return "", p.fail("control character in string")
		case c != '\\':
			b = append(b, c)
			p.pos++
			continue
		}
		if p.pos+1 >= len(p.src) {
			break
		}
		e := p.src[p.pos+1]
		p.pos += 2
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, err := p.unicodeEscape()
			if err != nil {
				return "", err
			}
			b = utf8.AppendRune(b, r)
		default:
			return "", p.fail("invalid escape")
		}
	}
	return "", p.fail("unterminated string")
}

// unicodeEscape reads the four hex digits of a \u escape (already past "\u"), joining a
// surrogate pair when the next escape completes it.
func (p *parser) unicodeEscape() (rune, error) {
	r, ok := hex4(p.src, p.pos)
	if !ok {
		return 0, p.fail("invalid \\u escape")
	}
	p.pos += 4
	if !utf16.IsSurrogate(r) {
		return r, nil
	}
	if strings.HasPrefix(p.src[p.pos:], `\u`) {
		if r2, ok := hex4(p.src, p.pos+2); ok {
			if d := utf16.DecodeRune(r, r2); d != unicode.ReplacementChar {
				p.pos += 6
				return d, nil
			}
		}
	}
	return unicode.ReplacementChar, nil
}

func hex4(s string, at int) (rune, bool) {
	if at+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[at : at+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// errCaseKey and errDupKey name the two key clashes; both are ErrMalformed.
var (
	errDupKey  = errors.New("duplicate key")
	errCaseKey = errors.New("keys differ only by case")
)

// checkKeys refuses duplicate keys and keys equal under Unicode simple case
// folding. Go's encoding/json matches struct fields case-insensitively and
// keeps the last duplicate, while Kibana's JSON.parse is case-sensitive: a
// body the two read differently must never get past the check.
//
// ascii says every key is ASCII: then only keys of equal length can clash,
// which skips most comparisons.
func checkKeys(ms []member, ascii bool) error {
	if len(ms) < 2 {
		return nil
	}
	if len(ms) <= 16 {
		for i := 1; i < len(ms); i++ {
			for j := 0; j < i; j++ {
				if ascii && len(ms[j].key) != len(ms[i].key) {
					continue
				}
				if err := clash(ms[j].key, ms[i].key); err != nil {
					return err
				}
			}
		}
		return nil
	}
	seen := make(map[string]string, len(ms))
	for _, m := range ms {
		f := foldKey(m.key)
		if prev, ok := seen[f]; ok {
			return clash(prev, m.key)
		}
		seen[f] = m.key
	}
	return nil
}

func clash(a, b string) error {
	switch {
	case a == b:
		return fmt.Errorf("%w: %w %q", ErrMalformed, errDupKey, b)
	case strings.EqualFold(a, b):
		return fmt.Errorf("%w: %w: %q and %q", ErrMalformed, errCaseKey, a, b)
	}
	return nil
}

// foldKey maps s to one representative of its simple-case-folding class:
// every rune becomes the smallest rune of its folding orbit, so two keys
// fold equal exactly when strings.EqualFold says they are equal.
func foldKey(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		min := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < min {
				min = f
			}
		}
		b = utf8.AppendRune(b, min)
	}
	return string(b)
}

// Accessors. Nil-safe so checks can chain lookups.

func (v *value) isObject() bool { return v != nil && v.kind == kObject }
func (v *value) isArray() bool  { return v != nil && v.kind == kArray }
func (v *value) isString() bool { return v != nil && v.kind == kString }

// get returns the member named key, or nil.
func (v *value) get(key string) *value {
	if !v.isObject() {
		return nil
	}
	for _, m := range v.members {
		if m.key == key {
			return m.val
		}
	}
	return nil
}

// set replaces the member named key, or appends it.
func (v *value) set(key string, val *value) {
	for i := range v.members {
		if v.members[i].key == key {
			v.members[i].val = val
			return
		}
	}
	v.members = append(v.members, member{key, val})
}

// Constructors for the values the rewrite adds.

func newObject(ms ...member) *value { return &value{kind: kObject, members: ms} }

// sized returns an empty object with room for n members.
func sized(n int) *value { return &value{kind: kObject, members: make([]member, 0, n)} }
func newArray(es ...*value) *value {
	v := &value{kind: kArray, members: make([]member, len(es))}
	for i, e := range es {
		v.members[i].val = e
	}
	return v
}

// elems returns an array's elements.
func (v *value) elems() []*value {
	if !v.isArray() {
		return nil
	}
	es := make([]*value, len(v.members))
	for i, m := range v.members {
		es[i] = m.val
	}
	return es
}

// push appends an element to an array.
func (v *value) push(e *value)  { v.members = append(v.members, member{val: e}) }
func newString(s string) *value { return &value{kind: kString, s: s} }
func newNumber(n int64) *value {
	return &value{kind: kNumber, s: strconv.FormatInt(n, 10)}
}

// encode serialises v compactly. Only parse's output and the constructors
// above feed it, so every string is valid UTF-8.
func encode(v *value, sizeHint int) []byte {
	return appendValue(make([]byte, 0, sizeHint), v)
}

func appendValue(b []byte, v *value) []byte {
	switch v.kind {
	case kObject:
		b = append(b, '{')
		for i, m := range v.members {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, m.key)
			b = append(b, ':')
			b = appendValue(b, m.val)
		}
		return append(b, '}')
	case kArray:
		b = append(b, '[')
		for i, e := range v.members {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, e.val)
		}
		return append(b, ']')
	case kString:
		return appendString(b, v.s)
	case kNumber:
		return append(b, v.s...)
	case kTrue:
		return append(b, "true"...)
	case kFalse:
		return append(b, "false"...)
	}
	return append(b, "null"...)
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string. U+2028 and U+2029 are escaped so
// the output is also safe to embed in JavaScript.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != '\u2028' && r != '\u2029' {
				i += size
				continue
			}
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
