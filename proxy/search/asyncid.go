package search

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// An async-search id is a handle on a stored result: whoever presents it
// reads that result, whatever the query was. kshare therefore hands the
// browser only ids bound to the share, and forwards a poll only when the id
// it carries verifies.

const (
	idPrefix = "ks1."
	// minIDKey is the shortest IDKey UnbindID accepts; a missing key must
	// not make every MAC predictable.
	minIDKey = 16
	// maxWrappedID bounds what UnbindID decodes. Elasticsearch ids are
	// about 100 characters.
	maxWrappedID = 2048
)

var b64 = base64.RawURLEncoding

// BindID returns id bound to shareID under key:
// ks1.<base64url(id)>.<base64url(mac[:16])>, where mac is HMAC-SHA256 over
// shareID, a zero byte and id (the separator keeps ("ab","c") and ("a","bc")
// apart). The form is safe in a URL path segment.
func BindID(key []byte, shareID, id string) string {
	return idPrefix + b64.EncodeToString([]byte(id)) + "." + b64.EncodeToString(idMAC(key, shareID, id))
}

// UnbindID returns the async id inside wrapped if BindID made it for
// shareID under key. Anything else – a raw Elasticsearch id, another
// share's id, a tampered one, a key shorter than 16 bytes – is ErrForbidden.
func UnbindID(key []byte, shareID, wrapped string) (string, error) {
	if len(key) < minIDKey {
		return "", forbidden("async id: no key to verify it")
	}
	if len(wrapped) > maxWrappedID || !strings.HasPrefix(wrapped, idPrefix) {
		return "", forbidden("async id not issued by kshare")
	}
	enc, sig, ok := strings.Cut(wrapped[len(idPrefix):], ".")
	if !ok {
		return "", forbidden("async id not issued by kshare")
	}
	id, err1 := b64.DecodeString(enc)
	mac, err2 := b64.DecodeString(sig)
	if err1 != nil || err2 != nil {
		return "", forbidden("async id not issued by kshare")
	}
	if !hmac.Equal(mac, idMAC(key, shareID, string(id))) {
		return "", forbidden("async id not issued for this share")
	}
	return string(id), nil
}

func idMAC(key []byte, shareID, id string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(shareID))
	h.Write([]byte{0})
	h.Write([]byte(id))
	return h.Sum(nil)[:16]
}

// WrapResponseIDs replaces the async id in one answer object with its bound
// form (BindID). It understands:
//   - an /internal/search answer {id:"<async id>", rawResponse, isRunning, ...},
//     and the raw _async_search answer 9.x streams, whose top-level id is
//     the same;
//   - one bsearch line {id:<item number>, result:{id:"<async id>", ...}};
//     error lines {id, error} come back unchanged.
//
// Only the top level (and bsearch's result) is re-written; member values are
// copied byte for byte, so multi-megabyte hits cost one scan. line must be
// plain JSON: the caller turns bsearch compression off. A line without an
// async id comes back as it is; a rewritten one is compact at the top level,
// without a trailing newline.
func WrapResponseIDs(line []byte, key []byte, shareID string) ([]byte, error) {
	top, err := rawMembers(line)
	if err != nil {
		return nil, err
	}
	id := top.find("id")
	res := top.find("result")
	switch {
	case res != nil && id != nil && isJSONNumber(*id):
		inner, err := rawMembers(*res)
		if err != nil {
			return nil, err
		}
		if !inner.bind(key, shareID) {
			return line, nil
		}
		*res = inner.encode()
	case !top.bind(key, shareID):
		return line, nil
	}
	return top.encode(), nil
}

// rawObject is an object's members with their values as raw text.
type rawObject []rawMember

type rawMember struct {
	key string
	val []byte
}

// rawMembers splits one JSON object into members without decoding their
// values, checking the whole text as strictly as parse does (duplicate keys
// aside: answers come from Kibana).
func rawMembers(data []byte) (rawObject, error) {
	if !utf8.Valid(data) {
		return nil, malformed("answer is not valid UTF-8")
	}
	p := parser{src: string(data)}
	p.skipSpace()
	if p.pos >= len(p.src) || p.src[p.pos] != '{' {
		return nil, malformed("answer is not a JSON object")
	}
	p.pos++
	var obj rawObject
	for {
		p.skipSpace()
		if p.pos < len(p.src) && p.src[p.pos] == '}' && len(obj) == 0 {
			break
		}
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		start := p.pos
		if err := p.skip(1); err != nil {
			return nil, err
		}
		obj = append(obj, rawMember{key, data[start:p.pos]})
		p.skipSpace()
		if p.pos < len(p.src) && p.src[p.pos] == '}' {
			break
		}
		if p.pos >= len(p.src) || p.src[p.pos] != ',' {
			return nil, p.fail("expected ',' or '}'")
		}
		p.pos++
	}
	p.pos++ // '}'
	p.skipSpace()
	if p.pos != len(p.src) {
		return nil, p.fail("data after the answer")
	}
	return obj, nil
}

func (o rawObject) find(key string) *[]byte {
	for i := range o {
		if o[i].key == key {
			return &o[i].val
		}
	}
	return nil
}

// bind replaces every string member "id" with its bound form and reports
// whether it found one.
func (o rawObject) bind(key []byte, shareID string) bool {
	found := false
	for i := range o {
		if o[i].key != "id" || len(o[i].val) == 0 || o[i].val[0] != '"' {
			continue
		}
		p := parser{src: string(o[i].val)}
		id, err := p.str()
		if err != nil || id == "" {
			continue
		}
		o[i].val = appendString(nil, BindID(key, shareID, id))
		found = true
	}
	return found
}

func (o rawObject) encode() []byte {
	n := 2
	for _, m := range o {
		n += len(m.key) + len(m.val) + 4
	}
	b := append(make([]byte, 0, n), '{')
	for i, m := range o {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, m.key)
		b = append(b, ':')
		b = append(b, m.val...)
	}
	return append(b, '}')
}

func isJSONNumber(raw []byte) bool {
	return len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'))
}
