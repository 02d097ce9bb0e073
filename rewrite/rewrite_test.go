package rewrite

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGolden keeps the rewritten page and its metadata (pretty-printed, so
// a change reads as a diff) for every line.
func TestGolden(t *testing.T) {
	for _, l := range testLines {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			out := rewritePage(t, readPage(t, l.page), testOptions())
			md := prettyMetadata(t, metadataOf(t, out))
			checkGolden(t, l.name+".html", out)
			checkGolden(t, l.name+".metadata.json", md)
		})
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./rewrite -update)", err)
	}
	if !bytes.Equal(got, want) {
		// Line-wise diff: the metadata attribute is one long line, which is
		// why the pretty metadata file exists next to it.
		t.Errorf("%s differs (-want +got):\n%s", name,
			cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")))
	}
}

// TestBootstrapLines checks the rewrite's promises on every line's page.
func TestBootstrapLines(t *testing.T) {
	for _, l := range testLines {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			in := readPage(t, l.page)
			out := rewritePage(t, in, testOptions())
			md := metadataOf(t, out)
			t.Run("base paths", func(t *testing.T) { checkBasePaths(t, md) })
			t.Run("bootstrap script", func(t *testing.T) { checkBootstrapScript(t, out) })
			t.Run("head injection", func(t *testing.T) { checkHead(t, in, out) })
			t.Run("recipient safe", func(t *testing.T) { checkRecipientSafe(t, l.name, md) })
			t.Run("settings", func(t *testing.T) { checkSettings(t, md) })
			t.Run("numbers round-trip", func(t *testing.T) {
				inMD := metadataOf(t, in)
				if got, want := md["buildNumber"], inMD["buildNumber"]; got != want {
					t.Errorf("buildNumber = %v (%T), want %v", got, got, want)
				}
			})
		})
	}
}

func checkBasePaths(t *testing.T, md map[string]any) {
	for _, k := range []string{"basePath", "serverBasePath", "legacyMetadata.basePath",
		"vars.serverBasePath"} {
		if v, ok := lookup(md, k); ok && v != testShare {
			t.Errorf("%s = %q, want the share base", k, v)
		}
	}
	if _, ok := md["basePath"]; !ok {
		t.Error("basePath missing")
	}
	// 6.8 pages carry no i18n block (legacy metadata keys).
	if u, ok := lookup(md, "i18n.translationsUrl"); ok {
		if s, _ := u.(string); !strings.HasPrefix(s, testShare+"/translations/") {
			t.Errorf("translationsUrl = %q, want it under the share", s)
		}
	}
}

func checkBootstrapScript(t *testing.T, out []byte) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	doc.Find("script[src]").Each(func(_ int, s *goquery.Selection) {
		src, _ := s.Attr("src")
		if strings.HasSuffix(src, "/bootstrap.js") {
			found++
			if !strings.HasPrefix(src, testShare+"/") {
				t.Errorf("bootstrap script %q not under the share", src)
			}
		}
	})
	if found != 1 {
		t.Errorf("found %d bootstrap scripts, want 1", found)
	}
}

func checkHead(t *testing.T, in, out []byte) {
	if n := countNodes(t, out, `head > meta[name="referrer"][content="no-referrer"]`); n != 1 {
		t.Errorf("%d referrer metas, want 1", n)
	}
	if n := countNodes(t, out, "style#kshare"); n != 1 {
		t.Errorf("%d kshare styles, want 1", n)
	}
	if n := countNodes(t, out, "head > style#kshare:last-child"); n != 1 {
		t.Error("kshare style is not the last element of head")
	}
	if !bytes.Contains(out, []byte(HideCSS())) {
		t.Error("HideCSS text missing from the page")
	}
	if a, b := inlineScripts(t, in), inlineScripts(t, out); a != b {
		t.Errorf("inline scripts: %d before, %d after", a, b)
	}
	if a, b := countNodes(t, in, "script"), countNodes(t, out, "script"); a != b {
		t.Errorf("scripts: %d before, %d after", a, b)
	}
}

func checkRecipientSafe(t *testing.T, line string, md map[string]any) {
	if _, ok := md["publicBaseUrl"]; ok {
		t.Error("publicBaseUrl present")
	}
	if v, ok := md["clusterInfo"]; ok && !cmp.Equal(v, map[string]any{}) {
		t.Errorf("clusterInfo = %v, want {}", v)
	}
	for _, k := range []string{"apmConfig", "vars.apmConfig"} {
		if v, ok := lookup(md, k); ok && v != nil {
			t.Errorf("%s = %v, want null", k, v)
		}
	}
	// 6.8 has no env block.
	if v, ok := lookup(md, "env.packageInfo.buildSha"); md["env"] != nil && (!ok || v == "") {
		t.Error("env.packageInfo.buildSha must stay: asset URLs depend on it")
	}
	if cfg, ok := plugin(md, "telemetry"); ok {
		for k, v := range cfg {
			if b, isBool := v.(bool); isBool && b && k != "sendUsageFrom" {
				t.Errorf("telemetry config %s = true", k)
			}
		}
	}
	if cfg, ok := plugin(md, "newsfeed"); ok {
		if v, _ := lookup(cfg, "service.urlRoot"); v != NewsfeedURLRoot {
			t.Errorf("newsfeed urlRoot = %v", v)
		}
	}
	if line == "6.8" {
		want := map[string]any{"vars.telemetryEnabled": false, "vars.telemetryBanner": false,
			"vars.elasticsearchUrl": "", "legacyMetadata.serverName": "kibana",
			"legacyMetadata.buildSha": ""}
		for k, w := range want {
			if v, _ := lookup(md, k); v != w {
				t.Errorf("%s = %v, want %v", k, v, w)
			}
		}
	}
}

func checkSettings(t *testing.T, md map[string]any) {
	user := userSettings(t, md)
	want := map[string]any{
		"state:storeInSessionStorage": false,
		"telemetry:optIn":             false,
		"hideAnnouncements":           true,
		"dateFormat:tz":               "UTC",
		"timepicker:timeDefaults": `{"from":"2026-12-01T00:00:00.000Z",` +
			`"to":"2026-12-02T00:00:00.000Z"}`,
	}
	for k, w := range want {
		got, _ := user[k].(map[string]any)
		if got["userValue"] != w {
			t.Errorf("user %s = %v, want userValue %v", k, user[k], w)
		}
	}
	if _, ok := user["buildNum"]; !ok {
		t.Error("buildNum user value dropped")
	}
}

// TestUserSettingsFiltered feeds user values a recipient must not get and
// ones rendering needs.
func TestUserSettingsFiltered(t *testing.T) {
	for _, l := range testLines {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			page := editPage(t, readPage(t, l.page), func(md map[string]any) {
				u := childMap(childMap(childMap(md, "legacyMetadata"), "uiSettings"), "user")
				u["timelion:quandl.key"] = map[string]any{"userValue": "QUANDLSECRET"}
				u["defaultRoute"] = map[string]any{"userValue": "/app/secret-route"}
				u["xpackDashboardMode:roles"] = map[string]any{"userValue": []any{"r"}}
				u["notifications:banner"] = map[string]any{"userValue": "internal memo"}
				u["dateFormat"] = map[string]any{"userValue": "YYYY-MM-DD"}
				u["format:bytes:defaultPattern"] = map[string]any{"userValue": "0b"}
				u["state:storeInSessionStorage"] = map[string]any{"userValue": true}
				u["dateFormat:tz"] = map[string]any{"userValue": "Europe/Paris",
					"isOverridden": true}
			}, nil)
			out := rewritePage(t, page, testOptions())
			for _, leak := range []string{"QUANDLSECRET", "secret-route", "internal memo"} {
				if bytes.Contains(out, []byte(leak)) {
					t.Errorf("%q reached the page", leak)
				}
			}
			user := userSettings(t, metadataOf(t, out))
			for _, k := range []string{"timelion:quandl.key", "defaultRoute",
				"xpackDashboardMode:roles", "notifications:banner"} {
				if _, ok := user[k]; ok {
					t.Errorf("%s kept", k)
				}
			}
			want := map[string]any{"dateFormat": "YYYY-MM-DD",
				"format:bytes:defaultPattern": "0b", "state:storeInSessionStorage": false,
				"dateFormat:tz": "UTC"}
			for k, w := range want {
				if got, _ := user[k].(map[string]any); got["userValue"] != w {
					t.Errorf("%s = %v, want userValue %v", k, user[k], w)
				}
			}
		})
	}
}

// TestSpaceBasePath serves each page as if from space "team": basePath
// "/s/team" in the metadata and every root-relative URL of the markup
// under it, as 7.x renders it. Nothing of the space may reach the page.
func TestSpaceBasePath(t *testing.T) {
	for _, l := range testLines {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			in := readPage(t, l.page)
			page := editPage(t, in, func(md map[string]any) {
				md["basePath"] = "/s/team"
				if lm, ok := md["legacyMetadata"].(map[string]any); ok {
					setIfPresent(lm, "basePath", "/s/team")
				}
				if i18n, ok := md["i18n"].(map[string]any); ok {
					u, _ := i18n["translationsUrl"].(string)
					i18n["translationsUrl"] = "/s/team" + u
				}
				md["publicBaseUrl"] = "https://kibana.internal.example/s/team"
			}, prefixMarkup("/s/team"))
			out := rewritePage(t, page, testOptions())
			for _, leak := range []string{"/s/team", "kibana.internal.example"} {
				if i := bytes.Index(out, []byte(leak)); i >= 0 {
					t.Errorf("%q left in the page: …%s…", leak, around(out, i))
				}
			}
			md := metadataOf(t, out)
			checkBasePaths(t, md)
			checkBootstrapScript(t, out)
			checkMarkupUnderShare(t, out)
			t.Logf("metadata strings moved: %v", movedKeys(metadataOf(t, page), md))
		})
	}
}

// TestServerBasePath adds server.basePath "/kibana" under the space:
// serverBasePath-derived asset URLs (8.x assetsHrefBase, 9.x stylesheets)
// must move as well.
func TestServerBasePath(t *testing.T) {
	for _, l := range testLines {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			page := editPage(t, readPage(t, l.page), func(md map[string]any) {
				if _, ok := md["serverBasePath"]; ok {
					md["serverBasePath"] = "/kibana"
				}
				if vars, ok := md["vars"].(map[string]any); ok {
					setIfPresent(vars, "serverBasePath", "/kibana")
				}
				md["basePath"] = "/kibana/s/team"
				walkStrings(md, func(s string) (string, bool) {
					for _, p := range []string{"/translations/", "/c3e8f0b1a2d4", "/72346",
						"/7f9c3a1d2e4b"} {
						if strings.HasPrefix(s, p) {
							return "/kibana" + s, true
						}
					}
					return s, false
				})
			}, prefixMarkup("/kibana"))
			out := rewritePage(t, page, testOptions())
			for _, leak := range []string{"/s/team", `"/kibana/`, `'/kibana/`} {
				if i := bytes.Index(out, []byte(leak)); i >= 0 {
					t.Errorf("%q left in the page: …%s…", leak, around(out, i))
				}
			}
			md := metadataOf(t, out)
			// Plugin configs keep their own paths: newsfeed's pathTemplate
			// is "/kibana/v{VERSION}.json" whatever server.basePath is.
			leaves := map[string]string{}
			stringLeaves(md, "", leaves)
			for k, v := range leaves {
				if strings.HasPrefix(v, "/kibana") && !strings.HasPrefix(k, "uiPlugins") {
					t.Errorf("%s = %q still under the server base path", k, v)
				}
			}
			checkBasePaths(t, md)
			if v, ok := md["assetsHrefBase"].(string); ok && !strings.HasPrefix(v, testShare+"/") {
				t.Errorf("assetsHrefBase = %q, want it under the share", v)
			}
			checkMarkupUnderShare(t, out)
			t.Logf("metadata strings moved: %v", movedKeys(metadataOf(t, page), md))
		})
	}
}

// prefixMarkup puts every root-relative href, src, msapplication-config and
// inline style url() of a page under prefix.
func prefixMarkup(prefix string) func(doc *goquery.Document) {
	return func(doc *goquery.Document) {
		for _, a := range [][2]string{{"link[href]", "href"}, {"script[src]", "src"},
			{`meta[name="msapplication-config"]`, "content"}} {
			doc.Find(a[0]).Each(func(_ int, s *goquery.Selection) {
				if v, _ := s.Attr(a[1]); rootRelative(v) {
					s.SetAttr(a[1], prefix+v)
				}
			})
		}
		doc.Find("style").Each(func(_ int, s *goquery.Selection) {
			for _, n := range s.Nodes {
				if c := n.FirstChild; c != nil {
					c.Data = strings.ReplaceAll(c.Data, "url('/", "url('"+prefix+"/")
				}
			}
		})
	}
}

// checkMarkupUnderShare: every root-relative link and script URL and every
// inline-style url() of a page served under a base path ends up under the
// share.
func checkMarkupUnderShare(t *testing.T, out []byte) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	doc.Find("link[href], script[src]").Each(func(_ int, s *goquery.Selection) {
		v, ok := s.Attr("href")
		if !ok {
			v, _ = s.Attr("src")
		}
		if rootRelative(v) && !strings.HasPrefix(v, testShare+"/") {
			t.Errorf("%s %q not under the share", goquery.NodeName(s), v)
		}
	})
	doc.Find("style").Each(func(_ int, s *goquery.Selection) {
		for _, m := range cssURL.FindAllStringSubmatch(s.Text(), -1) {
			if rootRelative(m[2]) && !strings.HasPrefix(m[2], testShare+"/") {
				t.Errorf("style url %q not under the share", m[2])
			}
		}
	})
}

// movedKeys lists the metadata paths whose string value changed.
func movedKeys(before, after map[string]any) []string {
	b, a := map[string]string{}, map[string]string{}
	stringLeaves(before, "", b)
	stringLeaves(after, "", a)
	var out []string
	for k, v := range b {
		if w, ok := a[k]; ok && w != v && strings.HasPrefix(w, testShare) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func around(b []byte, i int) string {
	lo, hi := max(0, i-60), min(len(b), i+60)
	return string(b[lo:hi])
}

// TestMovedKeys pins which metadata strings a space base path moves, per
// line, beyond the explicitly set ones.
func TestMovedKeys(t *testing.T) {
	want := map[string][]string{
		"6.8":   {"basePath", "legacyMetadata.basePath", "vars.serverBasePath"},
		"7.10":  {"basePath", "i18n.translationsUrl", "serverBasePath"},
		"7.17":  {"basePath", "i18n.translationsUrl", "serverBasePath"},
		"8.13":  {"basePath", "i18n.translationsUrl", "serverBasePath"},
		"8.15":  {"basePath", "i18n.translationsUrl", "serverBasePath"},
		"9.1":   {"basePath", "i18n.translationsUrl", "serverBasePath"},
		"osd-2": {"basePath", "i18n.translationsUrl", "serverBasePath"},
	}
	for _, l := range testLines {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			in := readPage(t, l.page)
			out := rewritePage(t, in, testOptions())
			got := movedKeys(metadataOf(t, in), metadataOf(t, out))
			if d := cmp.Diff(want[l.name], got); d != "" {
				t.Errorf("moved keys (-want +got):\n%s", d)
			}
		})
	}
}

// TestNotBootstrap: pages that are not Kibana's bootstrap page.
func TestNotBootstrap(t *testing.T) {
	kbn := string(readPage(t, "kibana-7.10.html"))
	tests := []struct{ name, page string }{
		{"plain html", "<!DOCTYPE html><html><head><title>x</title></head><body>hi</body></html>"},
		{"empty", ""},
		{"invalid json", `<html><body><kbn-injected-metadata data="{&quot;basePath&quot;:">` +
			`</kbn-injected-metadata></body></html>`},
		{"json array", `<html><body><kbn-injected-metadata data="[1,2]"></kbn-injected-metadata>`},
		{"json string", `<kbn-injected-metadata data="&quot;x&quot;"></kbn-injected-metadata>`},
		{"trailing data", `<osd-injected-metadata data="{} {}"></osd-injected-metadata>`},
		{"no data attribute", `<kbn-injected-metadata></kbn-injected-metadata>`},
		{"two metadata elements", strings.Replace(kbn, "<kbn-csp",
			`<kbn-injected-metadata data="{}"></kbn-injected-metadata><kbn-csp`, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := Bootstrap(&out, strings.NewReader(tt.page), testOptions())
			if !errors.Is(err, ErrNotBootstrap) {
				t.Fatalf("Bootstrap error = %v, want ErrNotBootstrap", err)
			}
			if out.Len() != 0 {
				t.Error("output written on error")
			}
			if _, err := Metadata(strings.NewReader(tt.page)); !errors.Is(err, ErrNotBootstrap) {
				t.Errorf("Metadata error = %v, want ErrNotBootstrap", err)
			}
		})
	}
}

// TestTooLarge: one byte over MaxPageBytes is refused before parsing; a
// page of exactly MaxPageBytes is read.
func TestTooLarge(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("a"), MaxPageBytes+1)
	if err := Bootstrap(&bytes.Buffer{}, bytes.NewReader(big), testOptions()); !errors.Is(err,
		ErrTooLarge) {
		t.Errorf("Bootstrap error = %v, want ErrTooLarge", err)
	}
	if _, err := Metadata(bytes.NewReader(big)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Metadata error = %v, want ErrTooLarge", err)
	}
	err := Bootstrap(&bytes.Buffer{}, bytes.NewReader(big[:MaxPageBytes]), testOptions())
	if !errors.Is(err, ErrNotBootstrap) {
		t.Errorf("page of exactly MaxPageBytes: error = %v, want ErrNotBootstrap", err)
	}
}

// TestGarbage: non-UTF-8 and mangled input must not panic.
func TestGarbage(t *testing.T) {
	t.Parallel()
	latin1 := []byte("<html><head><meta charset=\"iso-8859-1\"></head><body>" +
		"<kbn-injected-metadata data=\"{&quot;basePath&quot;:&quot;/caf\xe9&quot;," +
		"&quot;x&quot;:&quot;\xff\xfe&quot;}\"></kbn-injected-metadata>" +
		"<p>Gr\xfc\xdfe</p><script src=\"/caf\xe9/bootstrap.js\"></script></body></html>")
	inputs := [][]byte{latin1, []byte("\x00\x01\x02<\xff>"), []byte("<kbn-injected-metadata data")}
	page := readPage(t, "kibana-8.15.html")
	for _, cut := range []int{1, 100, 2000, 5000, len(page) / 2, len(page) - 10} {
		inputs = append(inputs, page[:cut])
	}
	seed := uint32(1)
	for n := 0; n < 20; n++ {
		b := make([]byte, 512)
		for i := range b {
			seed = seed*1664525 + 1013904223
			b[i] = byte(seed >> 24)
		}
		inputs = append(inputs, b)
	}
	for i, in := range inputs {
		var out bytes.Buffer
		err := Bootstrap(&out, bytes.NewReader(in), testOptions())
		if err != nil && !errors.Is(err, ErrNotBootstrap) {
			t.Errorf("input %d: unexpected error %v", i, err)
		}
	}
	// The Latin-1 page is a bootstrap page; its bad bytes become U+FFFD in
	// the re-encoded JSON, and the base path still moves.
	out := rewritePage(t, latin1, testOptions())
	if md := metadataOf(t, out); md["basePath"] != testShare {
		t.Errorf("basePath = %v", md["basePath"])
	}
}

// TestShareBaseValidated: a bad share base is refused and never echoed.
func TestShareBaseValidated(t *testing.T) {
	t.Parallel()
	page := readPage(t, "kibana-7.10.html")
	for _, sb := range []string{"", "/", "kshare/x", "/kshare/SECRETTOKEN/", "//evil/x",
		"/kshare/SECRET\"x"} {
		err := Bootstrap(&bytes.Buffer{}, bytes.NewReader(page), Options{ShareBase: sb})
		if err == nil {
			t.Errorf("share base %q accepted", sb)
			continue
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("error %q names the share base", err)
		}
	}
}

// TestErrorsNameNoSecret: errors of a valid call never carry ShareBase.
func TestErrorsNameNoSecret(t *testing.T) {
	t.Parallel()
	opt := testOptions()
	for _, in := range []string{"", "<kbn-injected-metadata data=\"{x\">",
		strings.Repeat("a", MaxPageBytes+1)} {
		err := Bootstrap(&bytes.Buffer{}, strings.NewReader(in), opt)
		if err == nil || strings.Contains(err.Error(), "TESTTOKEN") {
			t.Errorf("error = %v", err)
		}
	}
}

// TestExtraCSS cannot close kshare's style element and start markup.
func TestExtraCSS(t *testing.T) {
	t.Parallel()
	in := readPage(t, "kibana-8.15.html")
	opt := testOptions()
	opt.ExtraCSS = `.kshareBanner{content:"</style><script>alert(1)</script>"}`
	out := rewritePage(t, in, opt)
	if a, b := countNodes(t, in, "script"), countNodes(t, out, "script"); a != b {
		t.Errorf("scripts: %d before, %d after", a, b)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	css := doc.Find("style#kshare").Text()
	if !strings.HasPrefix(css, HideCSS()) || !strings.Contains(css, `.kshareBanner{`) {
		t.Errorf("kshare style = %q…", css[max(0, len(css)-120):])
	}
}

// TestIdempotent: rewriting a rewritten page changes nothing.
func TestIdempotent(t *testing.T) {
	for _, l := range testLines {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			once := rewritePage(t, readPage(t, l.page), testOptions())
			twice := rewritePage(t, once, testOptions())
			if !bytes.Equal(once, twice) {
				t.Error("second rewrite changed the page")
			}
		})
	}
}

// TestMetadataRoundTrip: Metadata on a fixture gives the JSON a browser
// would parse, numbers as json.Number.
func TestMetadataRoundTrip(t *testing.T) {
	t.Parallel()
	md := metadataOf(t, readPage(t, "kibana-7.10.html"))
	if n, ok := md["buildNumber"].(json.Number); !ok || n.String() != "36136" {
		t.Errorf("buildNumber = %#v", md["buildNumber"])
	}
}
