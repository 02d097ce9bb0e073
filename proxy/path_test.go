package proxy

import (
	"strings"
	"testing"
)

func TestCanonicalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, want string
		err             error
	}{
		{"plain", "/api/saved_objects/_bulk_get", "/api/saved_objects/_bulk_get", nil},
		{"root", "/", "/", nil},
		{"repeated slashes collapse", "//api///core//capabilities", "/api/core/capabilities", nil},
		{"trailing slash kept as a signal", "/app/dashboards/", "/app/dashboards/", nil},
		{"percent escapes normalised", "/api/saved_objects/dashboard/a%62c", "/api/saved_objects/dashboard/abc", nil},
		{"space escaped", "/api/x/a%20b", "/api/x/a%20b", nil},
		{"colon kept", "/api/x/a:b", "/api/x/a:b", nil},
		{"dot segment", "/app/./dashboards", "", errPathBad},
		{"dot dot segment", "/api/../internal/x", "", errPathBad},
		{"encoded dot dot", "/api/%2e%2e/x", "", errPathBad},
		{"encoded dot dot mixed case", "/api/%2E./x", "", errPathBad},
		{"encoded slash", "/api/saved_objects%2f_export", "", errPathBad},
		{"encoded backslash", "/api/a%5cb", "", errPathBad},
		{"raw backslash", "/api\\x", "", errPathBad},
		{"NUL encoded", "/api/a%00b", "", errPathBad},
		{"control byte", "/api/a\x01b", "", errPathBad},
		{"raw space", "/api/a b", "", errPathBad},
		{"non-ASCII byte", "/api/\xc3\xa9", "", errPathBad},
		{"bad escape", "/api/%zz", "", errPathBad},
		{"not origin form", "api/x", "", errPathBad},
		{"too long", "/" + strings.Repeat("a", maxPathBytes), "", errPathTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := canonicalize(tt.raw)
			if err != tt.err {
				t.Fatalf("canonicalize(%q) err = %v, want %v", tt.raw, err, tt.err)
			}
			if err == nil && c.escaped != tt.want {
				t.Errorf("canonicalize(%q) = %q, want %q", tt.raw, c.escaped, tt.want)
			}
		})
	}
}

func TestCanonicalizeIsIdempotent(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"/a//b/c%20d/", "/api/x/a%3Ab", "/%41PI/x"} {
		c1, err := canonicalize(raw)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := canonicalize(c1.escaped)
		if err != nil || c2.escaped != c1.escaped {
			t.Errorf("canonical form of %q not stable: %q then %q (%v)", raw, c1.escaped, c2.escaped, err)
		}
	}
}

func TestSplitShare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw, tok, rest string
		ok             bool
	}{
		{"/kshare/TOK", "TOK", "", true},
		{"/kshare/TOK/", "TOK", "/", true},
		{"/kshare/TOK/app/dashboards", "TOK", "/app/dashboards", true},
		{"/kshare/TOK//api", "TOK", "//api", true},
		{"/kshare", "", "", false},
		{"/ksharex/TOK", "", "", false},
		{"/app/kshare/TOK", "", "", false},
	}
	for _, tt := range tests {
		tok, rest, ok := splitShare(tt.raw, "/kshare")
		if tok != tt.tok || rest != tt.rest || ok != tt.ok {
			t.Errorf("splitShare(%q) = %q, %q, %v; want %q, %q, %v", tt.raw, tok, rest, ok, tt.tok, tt.rest, tt.ok)
		}
	}
}

func TestEditCSP(t *testing.T) {
	t.Parallel()
	in := "script-src 'self'; frame-ancestors 'self'; report-uri https://kibana.internal/csp; style-src 'unsafe-inline' 'self'"
	want := "script-src 'self'; style-src 'unsafe-inline' 'self'; frame-ancestors 'none'"
	if got := editCSP(in, nil); got != want {
		t.Errorf("editCSP = %q, want %q", got, want)
	}
	if got := editCSP("", nil); got != "frame-ancestors 'none'" {
		t.Errorf("editCSP(\"\") = %q", got)
	}
	if got := editCSP("", []string{"https://a.example", "http://b.example:8080"}); got !=
		"frame-ancestors https://a.example http://b.example:8080" {
		t.Errorf("editCSP with origins = %q", got)
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	tok := "abcdefghijklmnop.ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	if got := Redact("GET /kshare/" + tok + "/app"); strings.Contains(got, "ABCDEFGHIJ") {
		t.Errorf("Redact left the secret: %s", got)
	}
}
