// Package rewrite turns Kibana's bootstrap HTML page (the /app/... page that
// carries kbn-injected-metadata, or osd-injected-metadata for OpenSearch
// Dashboards) into the page a share recipient gets: Kibana's own browser
// code sends every call under the share's base path, the chrome is hidden by
// an injected stylesheet, and metadata a recipient must not see is removed.
//
// Kibana builds its UI in the browser from that metadata (kibana-ui.md §2),
// so the rewrite works on the metadata JSON and on a handful of URLs in the
// markup; it never adds a script, since Kibana's CSP blocks inline scripts.
package rewrite

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/PuerkitoBio/goquery"
)

// Options for rewriting one bootstrap page. ShareBase contains the link
// secret: never log it or put it in errors.
type Options struct {
	// ShareBase is the browser-visible base path of the share, e.g.
	// "/kshare/<token>": root-relative, no trailing slash. Required.
	ShareBase string
	// Settings are uiSettings forced as user values, e.g.
	// "timepicker:timeDefaults": `{"from":"…","to":"…"}` or
	// "dateFormat:tz": "UTC". They are merged after the built-in
	// recipient-safe ones, so they win. Nil adds nothing.
	Settings map[string]any
	// ExtraCSS is appended inside kshare's <style> after HideCSS (later: the
	// share banner). Plain CSS, escaped by the caller; "</" is neutralised so
	// it cannot close the style element. Empty adds nothing.
	ExtraCSS string
	// Banner is the text of the time-frame banner, a slim bar fixed at the
	// top of the page that says which window the share shows. Plain text
	// (the renderer escapes it); empty means no banner.
	Banner string
}

// ErrNotBootstrap means the page has no kbn-/osd-injected-metadata element,
// or its JSON is not an object: it is not a Kibana bootstrap page.
var ErrNotBootstrap = errors.New("not a kibana bootstrap page")

// ErrTooLarge means the page is longer than MaxPageBytes.
var ErrTooLarge = errors.New("page too large")

// MaxPageBytes bounds how much of a page Bootstrap and Metadata read. Real
// pages are 65–130 KB (testdata/pages); parsing costs ~12 bytes of garbage
// per input byte, so the bound also bounds memory per request.
const MaxPageBytes = 8 << 20

// metadataSelector finds the element Kibana's bootstrap code reads.
const metadataSelector = "kbn-injected-metadata, osd-injected-metadata"

// Bootstrap reads a bootstrap page from src (at most MaxPageBytes), rewrites
// it for the share described by opt and writes UTF-8 HTML to dst. Nothing is
// written unless the page was rewritten; errors wrap ErrNotBootstrap or
// ErrTooLarge where the page is at fault.
func Bootstrap(dst io.Writer, src io.Reader, opt Options) error {
	if !validShareBase(opt.ShareBase) {
		// The value itself stays out of the message: it holds the secret.
		return errors.New("rewrite bootstrap: share base must be a root-relative path " +
			"without trailing slash")
	}
	doc, err := readDocument(src)
	if err != nil {
		return fmt.Errorf("rewrite bootstrap: %w", err)
	}
	el, md, err := findMetadata(doc)
	if err != nil {
		return fmt.Errorf("rewrite bootstrap: %w", err)
	}

	// The metadata's old base paths say which URLs in the markup point
	// through Kibana's base path; read them before they are replaced.
	mv := newMover(md, opt.ShareBase)
	rewriteMetadata(md, mv, opt)
	data, err := encodeMetadata(md)
	if err != nil {
		return fmt.Errorf("rewrite bootstrap: encode metadata: %w", err)
	}
	el.SetAttr("data", data)

	moveMarkupURLs(doc, mv)
	css := opt.ExtraCSS
	if opt.Banner != "" {
		injectBanner(doc, opt.Banner)
		css = bannerCSS + css
	}
	injectHead(doc, css)

	if err := goquery.Render(dst, doc.Selection); err != nil {
		return fmt.Errorf("rewrite bootstrap: render: %w", err)
	}
	return nil
}

// Metadata decodes the injected metadata of a bootstrap page read from src
// (at most MaxPageBytes). Numbers are json.Number so they round-trip.
func Metadata(src io.Reader) (map[string]any, error) {
	doc, err := readDocument(src)
	if err != nil {
		return nil, fmt.Errorf("read metadata: %w", err)
	}
	_, md, err := findMetadata(doc)
	if err != nil {
		return nil, fmt.Errorf("read metadata: %w", err)
	}
	return md, nil
}

// validShareBase accepts "/x" and "/x/y" but not "", "/", "x", "//host" or
// a trailing slash, any of which would make the joined URLs ambiguous.
func validShareBase(s string) bool {
	return len(s) > 1 && s[0] == '/' && s[1] != '/' && !strings.HasSuffix(s, "/") &&
		!strings.ContainsAny(s, "?#\\\"'<> \t\r\n")
}

// readDocument reads at most MaxPageBytes and parses the whole document.
func readDocument(src io.Reader) (*goquery.Document, error) {
	b, err := io.ReadAll(io.LimitReader(src, MaxPageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read page: %w", err)
	}
	if len(b) > MaxPageBytes {
		return nil, ErrTooLarge
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("parse page: %w", err)
	}
	return doc, nil
}

// findMetadata returns the metadata element and its decoded JSON object.
// A second metadata element is refused: Kibana reads only the first, and the
// second would reach the recipient unrewritten.
func findMetadata(doc *goquery.Document) (*goquery.Selection, map[string]any, error) {
	sel := doc.Find(metadataSelector)
	switch sel.Length() {
	case 0:
		return nil, nil, fmt.Errorf("%w: no injected metadata element", ErrNotBootstrap)
	case 1:
	default:
		return nil, nil, fmt.Errorf("%w: %d injected metadata elements",
			ErrNotBootstrap, sel.Length())
	}
	raw, ok := sel.Attr("data")
	if !ok {
		return nil, nil, fmt.Errorf("%w: injected metadata has no data", ErrNotBootstrap)
	}
	md, err := decodeMetadata(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: injected metadata: %v", ErrNotBootstrap, err)
	}
	return sel, md, nil
}

// decodeMetadata decodes exactly one JSON object, keeping numbers as
// json.Number so build numbers and sizes come back digit for digit.
//
// TODO(kshare): decoding and re-encoding are half the cost of a rewrite
// (~1.5 of 3.5 ms for an 8.15 page), mostly uiSettings.defaults, which is
// never changed and could stay json.RawMessage; not worth the extra code
// at one rewrite per page load.
func decodeMetadata(raw string) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	md, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not a JSON object")
	}
	return md, nil
}

// encodeMetadata writes md compactly with sorted keys. HTML escaping is off
// because the renderer escapes the attribute value anyway.
func encodeMetadata(md map[string]any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(md); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}
