package rewrite

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

const testShare = "/kshare/TESTTOKEN"

// testLine ties a kbn line name to its bootstrap page fixture.
type testLine struct {
	name, page string
}

var testLines = []testLine{
	{"6.8", "kibana-6.8.html"},
	{"7.10", "kibana-7.10.html"},
	{"7.17", "kibana-7.17.html"},
	{"8.13", "kibana-8.13.html"},
	{"8.15", "kibana-8.15.html"},
	{"9.1", "kibana-9.1.html"},
	{"osd-2", "opensearch-dashboards-2.x.html"},
}

func testOptions() Options {
	return Options{
		ShareBase: testShare,
		Settings: map[string]any{
			"timepicker:timeDefaults": `{"from":"2026-12-01T00:00:00.000Z",` +
				`"to":"2026-12-02T00:00:00.000Z"}`,
			"dateFormat:tz": "UTC",
		},
	}
}

func readPage(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "pages", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rewritePage runs Bootstrap and fails the test on error.
func rewritePage(t testing.TB, page []byte, opt Options) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := Bootstrap(&out, bytes.NewReader(page), opt); err != nil {
		t.Fatalf("Bootstrap: %v", err)
	}
	return out.Bytes()
}

// metadataOf decodes the metadata of a rendered page.
func metadataOf(t testing.TB, page []byte) map[string]any {
	t.Helper()
	md, err := Metadata(bytes.NewReader(page))
	if err != nil {
		t.Fatalf("Metadata: %v", err)
	}
	return md
}

// editPage changes a fixture before the rewrite: fn edits the decoded
// metadata, markup (if not nil) the parsed document.
func editPage(t testing.TB, page []byte, fn func(md map[string]any),
	markup func(doc *goquery.Document)) []byte {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	el, md, err := findMetadata(doc)
	if err != nil {
		t.Fatal(err)
	}
	fn(md)
	data, err := encodeMetadata(md)
	if err != nil {
		t.Fatal(err)
	}
	el.SetAttr("data", data)
	if markup != nil {
		markup(doc)
	}
	var b bytes.Buffer
	if err := goquery.Render(&b, doc.Selection); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// lookup follows a dotted path of map keys ("legacyMetadata.basePath").
func lookup(md map[string]any, path string) (any, bool) {
	var v any = md
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// plugin returns the config of the uiPlugins entry with the given id.
func plugin(md map[string]any, id string) (map[string]any, bool) {
	list, _ := md["uiPlugins"].([]any)
	for _, p := range list {
		d, _ := p.(map[string]any)
		if d["id"] == id {
			cfg, _ := d["config"].(map[string]any)
			return cfg, true
		}
	}
	return nil, false
}

// userSettings returns legacyMetadata.uiSettings.user.
func userSettings(t testing.TB, md map[string]any) map[string]any {
	t.Helper()
	v, ok := lookup(md, "legacyMetadata.uiSettings.user")
	u, _ := v.(map[string]any)
	if !ok || u == nil {
		t.Fatal("no legacyMetadata.uiSettings.user")
	}
	return u
}

// prettyMetadata is the golden form of metadata: indented, sorted keys.
func prettyMetadata(t testing.TB, md map[string]any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(md); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// stringLeaves flattens every string in md to path → value.
func stringLeaves(v any, path string, out map[string]string) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			stringLeaves(e, strings.TrimPrefix(path+"."+k, "."), out)
		}
	case []any:
		for i, e := range t {
			stringLeaves(e, path+"["+strconv.Itoa(i)+"]", out)
		}
	case string:
		out[path] = t
	}
}

// countNodes counts elements matching sel in a page.
func countNodes(t testing.TB, page []byte, sel string) int {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	return doc.Find(sel).Length()
}

// inlineScripts counts <script> elements without src.
func inlineScripts(t testing.TB, page []byte) int {
	t.Helper()
	return countNodes(t, page, "script:not([src])")
}
