package search

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// refParse is the reference strict parser: json.Decoder.Token with a
// token-level duplicate and case-variant key check. parse must agree with
// it on every input (FuzzParse); it is too slow for the request path.
func refParse(data []byte) (any, error) {
	if len(data) > MaxBody {
		return nil, ErrTooLarge
	}
	if !utf8.Valid(data) {
		return nil, errors.New("invalid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := refValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the value")
	}
	return v, nil
}

func refValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("too deep")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil // string, json.Number, bool or nil
	}
	switch d {
	case '{':
		obj := map[string]any{}
		var keys []string
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k := kt.(string)
			for _, prev := range keys {
				if strings.EqualFold(prev, k) {
					return nil, errors.New("duplicate or case-variant key")
				}
			}
			keys = append(keys, k)
			if obj[k], err = refValue(dec, depth+1); err != nil {
				return nil, err
			}
		}
		_, err := dec.Token()
		return obj, err
	case '[':
		arr := []any{}
		for dec.More() {
			v, err := refValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := dec.Token()
		return arr, err
	}
	return nil, errors.New("unexpected delimiter")
}

// roundTrip is what parse's tree reads as, through encode and a plain
// decoder.
func roundTrip(t testing.TB, v *value) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(encode(v, 0)))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("encode produced invalid JSON: %v", err)
	}
	return out
}

func TestParse(t *testing.T) {
	t.Parallel()
	ok := []string{
		`{}`, `[]`, `0`, `-0.5e+10`, `"x"`, `true`, `null`, " {\"a\" : [1, 2.5, \"s\"]}\r\n",
		`{"a":"\u00e9\ud83d\ude00\n\"\\\/"}`, `{"lone":"\ud800x"}`, `{"pair":"\ud800\udc00"}`,
		`{"a":1,"b":{"a":2}}`, `{"K":1,"k2":2}`, `{"\u2028":"\u2029"}`,
	}
	for _, in := range ok {
		v, err := parse([]byte(in))
		if err != nil {
			t.Errorf("parse(%q): %v", in, err)
			continue
		}
		want, err := refParse([]byte(in))
		if err != nil {
			t.Fatalf("refParse(%q): %v", in, err)
		}
		if got := roundTrip(t, v); !reflect.DeepEqual(got, want) {
			t.Errorf("parse(%q) = %#v, want %#v", in, got, want)
		}
	}
	bad := []string{
		``, ` `, `{`, `{"a"}`, `{"a":1,}`, `[1,]`, `01`, `1.`, `.5`, `+1`, `1e`, `--1`,
		`"\x"`, `"\u12"`, `"\u12g4"`, "\"a\tb\"", `tru`, `nul`, `{"a":1}}`, `{} {}`, `'a'`,
		`{"a":1,"a":2}`, `{"a":1,"A":2}`, `{"k":1,"\u212a":2}`, `{"x":{"ß":1,"ẞ":2}}`,
		"\xef\xbb\xbf{}", "{\"a\":\"\xc3\"}", strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2),
	}
	for _, in := range bad {
		if _, err := parse([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("parse(%q) err = %v, want ErrMalformed", in, err)
		}
		if _, err := refParse([]byte(in)); err == nil {
			t.Errorf("refParse(%q) accepted what parse must refuse", in)
		}
	}
}

// TestCheckKeysMany exercises the map path used for objects with more than
// 16 keys.
func TestCheckKeysMany(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(`{`)
	for i := 0; i < 40; i++ {
		b.WriteString(`"k` + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + `":1,`)
	}
	good := b.String() + `"last":1}`
	if _, err := parse([]byte(good)); err != nil {
		t.Fatalf("40 distinct keys: %v", err)
	}
	for _, dup := range []string{`"ka":2}`, `"KA":2}`, `"\u212aa":2}`} {
		if _, err := parse([]byte(b.String() + dup)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s among 40 keys: err = %v", dup, err)
		}
	}
}

// FuzzParse holds parse to the Decoder.Token reference: same verdict, and
// the same value when both accept.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.json")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{`{"a":"\ud800\udc00","A":1}`, `[1,-0.0e-0,"\u0000"]`, `{"ſ":1,"S":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := parse(data)
		checkSkip(t, data, err)
		want, refErr := refParse(data)
		if (err == nil) != (refErr == nil) {
			t.Fatalf("parse err = %v, reference err = %v", err, refErr)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("parse error without sentinel: %v", err)
			}
			return
		}
		if got := roundTrip(t, v); !reflect.DeepEqual(got, want) {
			t.Fatalf("parse = %#v, reference = %#v", got, want)
		}
		if _, err := parse(encode(v, 0)); err != nil {
			t.Fatalf("encoded output does not re-parse: %v", err)
		}
	})
}

// checkSkip holds skip (the answer scanner) to parse's verdict, key clashes
// aside: skip does not look for them.
func checkSkip(t *testing.T, data []byte, parseErr error) {
	if len(data) > MaxBody || !utf8.Valid(data) {
		return
	}
	p := parser{src: string(data)}
	err := p.skip(0)
	if err == nil {
		p.skipSpace()
		if p.pos != len(p.src) {
			err = p.fail("data after the JSON value")
		}
	}
	// A key clash stops parse early, so skip may still find a later
	// syntax error (testdata/fuzz/FuzzParse/b23fa5e261032b7e).
	clash := errors.Is(parseErr, errDupKey) || errors.Is(parseErr, errCaseKey)
	if (parseErr == nil && err != nil) || (err == nil && parseErr != nil && !clash) {
		t.Fatalf("skip err = %v, parse err = %v", err, parseErr)
	}
}
