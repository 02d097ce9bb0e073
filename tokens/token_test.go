package tokens

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func mustToken(t testing.TB) Token {
	t.Helper()
	tok, err := NewToken()
	if err != nil {
		t.Fatalf("NewToken: %v", err)
	}
	return tok
}

func TestNewTokenShape(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 200 {
		tok := mustToken(t)
		s := tok.String()
		if len(s) != 49 || s[16] != '.' {
			t.Fatalf("token %q: want 16 + '.' + 32 characters", s)
		}
		if !ValidID(tok.ID) || !validSecret(tok.Secret()) {
			t.Fatalf("token %q has characters outside its alphabet", s)
		}
		if seen[tok.ID] {
			t.Fatalf("duplicate id %s", tok.ID)
		}
		seen[tok.ID] = true
		back, err := ParseToken(s)
		if err != nil || back != tok {
			t.Fatalf("ParseToken(String()) = %v, %v; want the same token", back, err)
		}
	}
}

func TestParseTokenRejects(t *testing.T) {
	t.Parallel()
	good := mustToken(t).String()
	id, secret := good[:16], good[17:]
	for _, tc := range []struct{ name, in string }{
		{"empty", ""},
		{"dot only", "."},
		{"id only", id},
		{"missing dot", id + secret},
		{"dot moved", id[:15] + "." + id[15:] + secret},
		{"extra dot at end", good + "."},
		{"extra dot inside", id + "." + secret[:10] + "." + secret[11:]},
		{"two tokens", good + "." + good},
		{"too long", good + "A"},
		{"far too long", strings.Repeat("a", 1<<20)},
		{"too short", good[:48]},
		{"upper-case id", strings.ToUpper(id) + "." + secret},
		{"digit 1 in id", "1" + id[1:] + "." + secret},
		{"digit 8 in id", "8" + id[1:] + "." + secret},
		{"padding in secret", id + "." + secret[:31] + "="},
		{"std base64 plus", id + "." + secret[:31] + "+"},
		{"std base64 slash", id + "." + secret[:31] + "/"},
		{"space", id + "." + secret[:31] + " "},
		{"NUL", id + "." + secret[:31] + "\x00"},
		{"non-ASCII", id + "." + secret[:30] + "é"},
		{"percent-encoded", id + "%2E" + secret[2:]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tok, err := ParseToken(tc.in)
			if !errors.Is(err, ErrUnknown) {
				t.Fatalf("ParseToken(%.60q) error = %v, want ErrUnknown", tc.in, err)
			}
			if tok != (Token{}) {
				t.Errorf("ParseToken returned a non-zero token on error")
			}
			if tc.in != "" && strings.Contains(err.Error(), tc.in) {
				t.Errorf("error %q repeats the input", err)
			}
		})
	}
}

func TestTokenRedaction(t *testing.T) {
	t.Parallel()
	tok := mustToken(t)
	want := tok.ID + ".REDACTED"
	for _, verb := range []string{"%v", "%s", "%+v", "%#v", "%q", "%x", "%d", "%10v"} {
		got := fmt.Sprintf(verb, tok)
		if strings.Contains(got, tok.Secret()) || !strings.Contains(got, want) {
			t.Errorf("Sprintf(%s) = %q, want the redacted form %q", verb, got, want)
		}
	}
	// Wrapped in a struct, a pointer and an error, fmt still redacts.
	wrapped := []string{
		fmt.Sprintf("%+v", struct{ T Token }{tok}),
		fmt.Sprint(&tok),
		fmt.Errorf("open %v: %w", tok, ErrUnknown).Error(),
		fmt.Sprint([]Token{tok}),
	}
	for _, got := range wrapped {
		if strings.Contains(got, tok.Secret()) {
			t.Errorf("formatted %q leaks the secret", got)
		}
	}
	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		log := slog.New(h(&buf))
		log.Info("share opened", "token", tok, slog.Group("g", "t", tok), "any", any(tok))
		if strings.Contains(buf.String(), tok.Secret()) || !strings.Contains(buf.String(), want) {
			t.Errorf("%s log %q: want redacted token and no secret", name, buf.String())
		}
	}
	if tok.String() != tok.ID+"."+tok.Secret() {
		t.Errorf("String() = %q, want the full token", tok.String())
	}
}

// TestHashSecretKnownAnswer pins the stored hash format, which must stay
// stable for existing shares: hex(SHA-256("kshare-share-v1\0" id "\0" secret)).
func TestHashSecretKnownAnswer(t *testing.T) {
	t.Parallel()
	id, secret := "abcdefghijklmnop", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	sum := sha256.Sum256([]byte("kshare-share-v1\x00" + id + "\x00" + secret))
	got := hashSecret(id, secret)
	if string(got[:]) != hex.EncodeToString(sum[:]) {
		t.Fatalf("hashSecret = %s, want %x", got, sum)
	}
	other := hashSecret("abcdefghijklmnoq", secret)
	if got == other {
		t.Fatal("hash does not depend on the id")
	}
}

func TestSecretMatches(t *testing.T) {
	t.Parallel()
	tok := mustToken(t)
	h := hashSecret(tok.ID, tok.Secret())
	good := string(h[:])
	for _, tc := range []struct {
		name    string
		stored  string
		present bool
		want    bool
	}{
		{"match", good, true, true},
		{"missing", "", false, false},
		{"empty", "", true, false},
		{"other hash", strings.Repeat("0", hashLen), true, false},
		{"dummy", string(dummyHash), true, false},
		{"truncated", good[:hashLen-1], true, false},
		{"upper-case hex", strings.ToUpper(good), true, false},
		{"plain secret", tok.Secret(), true, false},
	} {
		if got := secretMatches(tok, tc.stored, tc.present); got != tc.want {
			t.Errorf("%s: secretMatches = %v, want %v", tc.name, got, tc.want)
		}
	}
}
