package tokens

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
)

// Token layout: <id>.<secret>. Both parts are fixed length and every string
// over their alphabets is a canonical encoding (80 bits is exactly 16 base32
// digits, 192 bits exactly 32 base64 digits), so a token has one spelling.
const (
	idBytes     = 10 // 80 random bits: unguessable enough to avoid collisions
	secretBytes = 24 // 192 random bits: the part that grants access
	idLen       = 16
	secretLen   = 32
	tokenLen    = idLen + 1 + secretLen

	redacted = "REDACTED"
)

// hashDomain separates share-secret hashes from any other SHA-256 use, and
// its version lets a future scheme coexist with stored v1 hashes.
const hashDomain = "kshare-share-v1\x00"

// hashLen is the length of a stored secret hash: hex of SHA-256.
const hashLen = 2 * sha256.Size

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").
	WithPadding(base32.NoPadding)

// Token is a link token: a non-secret share ID and the secret that grants
// access to that share.
//
// Printing a Token with fmt (%v, %s, %+v, %#v, %q) or logging it with slog
// shows only "<id>.REDACTED". Only [Token.String] and [Token.Secret] reveal
// the secret.
type Token struct {
	// ID names the share; it appears in the Redis key and may be logged.
	ID     string
	secret string
}

// NewToken returns a token with a fresh random ID and secret from
// crypto/rand.
func NewToken() (Token, error) {
	var b [idBytes + secretBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Token{}, fmt.Errorf("new token: %v", err)
	}
	return Token{
		ID:     idEncoding.EncodeToString(b[:idBytes]),
		secret: base64.RawURLEncoding.EncodeToString(b[idBytes:]),
	}, nil
}

// ParseToken parses the string form of a token, as it appears in a share
// link. Anything but the exact layout is rejected with an error wrapping
// [ErrUnknown]; the error never repeats the input.
func ParseToken(s string) (Token, error) {
	// The length check comes first so that oversized input costs nothing.
	if len(s) != tokenLen || s[idLen] != '.' {
		return Token{}, fmt.Errorf("parse token: %w", ErrUnknown)
	}
	t := Token{ID: s[:idLen], secret: s[idLen+1:]}
	if !t.valid() {
		return Token{}, fmt.Errorf("parse token: %w", ErrUnknown)
	}
	return t, nil
}

// ValidID reports whether id has the form of a share ID (16 characters of
// lower-case base32). It says nothing about whether the share exists.
func ValidID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}

func validSecret(s string) bool {
	if len(s) != secretLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' ||
			'0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// valid also guards Tokens built as literals, whose secret is empty.
func (t Token) valid() bool { return ValidID(t.ID) && validSecret(t.secret) }

// Secret returns the secret part of the token. The caller needs it only to
// build the share link once; it must not be logged or stored.
func (t Token) Secret() string { return t.secret }

// String returns the FULL token, secret included, for building the share
// link. Hazard: whoever holds this string can open the share, so never pass
// it to a logger, an error message or a metric. fmt verbs do not call
// String (see [Token.Format]); only an explicit call reveals the secret.
func (t Token) String() string { return t.ID + "." + t.secret }

// redactedString is what logs and fmt show instead of the token.
func (t Token) redactedString() string { return t.ID + "." + redacted }

// LogValue makes slog record the token as "<id>.REDACTED".
func (t Token) LogValue() slog.Value { return slog.StringValue(t.redactedString()) }

// Format implements fmt.Formatter so that every fmt verb, including %v, %s,
// %q and %#v, prints the redacted form. Without it fmt would call String
// and print the secret.
func (t Token) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", t.redactedString())
		return
	}
	fmt.Fprint(f, t.redactedString())
}

// hashSecret returns the value kept in the share's "secret" field:
// hex(SHA-256(hashDomain + id + "\x00" + secret)). Binding the ID into the
// hash stops a stored hash from being replayed under another share's key.
func hashSecret(id, secret string) [hashLen]byte {
	// A stack buffer keeps Lookup free of allocations for valid tokens.
	var buf [len(hashDomain) + idLen + 1 + secretLen]byte
	b := append(buf[:0], hashDomain...)
	b = append(b, id...)
	b = append(b, 0)
	b = append(b, secret...)
	sum := sha256.Sum256(b)
	var out [hashLen]byte
	hex.Encode(out[:], sum[:])
	return out
}

// dummyHash stands in for the stored hash when a share is missing, so that
// Lookup does the same work for unknown IDs as for wrong secrets. No secret
// hashes to it: it is not even hex.
var dummyHash = []byte(strings.Repeat("x", hashLen))

// secretMatches compares the token's hash with the stored one in constant
// time. A missing or malformed stored value is replaced by dummyHash before
// the comparison, and then fails whatever the comparison says.
func secretMatches(t Token, stored string, present bool) bool {
	want := hashSecret(t.ID, t.secret)
	got := []byte(stored)
	ok := present && len(got) == hashLen
	if !ok {
		got = dummyHash
	}
	eq := subtle.ConstantTimeCompare(got, want[:]) == 1
	return eq && ok
}
