package kibanatest

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// The fixture pack copied from the shared fixtures (see testdata/README.md).
// It is embedded so that tests in other packages can run the stand-in
// without reading outside this package.
//
//go:embed testdata/pages testdata/dashboards testdata/search testdata/README.md
var fixtures embed.FS

// Fixture returns one embedded fixture file by its path under testdata/,
// e.g. "search/klt-2021-07/dashboard-bsearch1.json" or
// "pages/kibana-7.10.html". The pages are the raw fixtures, before the
// server fills in versions and base paths.
func Fixture(name string) ([]byte, error) {
	b, err := fixtures.ReadFile(path.Join("testdata", name))
	if err != nil {
		return nil, fmt.Errorf("kibanatest fixture: %w", err)
	}
	return b, nil
}

// metadataAttr finds the injected-metadata attribute of a bootstrap page:
// <kbn-injected-metadata data="…"> (OSD: osd-injected-metadata), whose value
// is HTML-escaped JSON (kibana-ui.md §2.2).
var metadataAttr = regexp.MustCompile(`<(?:kbn|osd)-injected-metadata data="([^"]*)"`)

// pageMeta is the part of the injected metadata the profile needs.
type pageMeta struct {
	Version        string `json:"version"`
	BuildNumber    int    `json:"buildNumber"`
	Branch         string `json:"branch"`
	AssetsHrefBase string `json:"assetsHrefBase"`
	Env            struct {
		PackageInfo struct {
			Branch   string `json:"branch"`
			BuildSha string `json:"buildSha"`
		} `json:"packageInfo"`
	} `json:"env"`
	LegacyMetadata struct {
		Branch   string `json:"branch"`
		BuildSha string `json:"buildSha"`
	} `json:"legacyMetadata"`
}

// readPage reads build number, SHA and asset prefix from the line's page.
func (p *profile) readPage() error {
	raw, err := Fixture("pages/" + p.page)
	if err != nil {
		return err
	}
	m := metadataAttr.FindSubmatch(raw)
	if m == nil {
		return fmt.Errorf("kibanatest: page %s: no injected metadata", p.page)
	}
	var meta pageMeta
	if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &meta); err != nil {
		return fmt.Errorf("kibanatest: page %s metadata: %w", p.page, err)
	}
	p.buildNum = meta.BuildNumber
	p.pageVersion = meta.Version
	p.buildSHA = firstNonEmpty(meta.Env.PackageInfo.BuildSha, meta.LegacyMetadata.BuildSha)
	p.pageBranch = firstNonEmpty(meta.Env.PackageInfo.Branch, meta.LegacyMetadata.Branch,
		meta.Branch)
	switch {
	case meta.AssetsHrefBase != "":
		p.assetPrefix = meta.AssetsHrefBase
	case p.newPlatform():
		p.assetPrefix = "/" + strconv.Itoa(meta.BuildNumber)
	}
	return nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// pageTemplate returns the fixture page with the version numbers replaced by
// the profile's version (the fixtures carry illustrative numbers for some
// lines, e.g. 7.17.18), so that the kbn-version the browser code echoes from
// the metadata passes the server's version check (kibana-api.md §1.9).
func (p *profile) pageTemplate() ([]byte, error) {
	raw, err := Fixture("pages/" + p.page)
	if err != nil {
		return nil, err
	}
	q := func(s string) string { return "&quot;" + s + "&quot;" }
	r := strings.NewReplacer(
		q(p.pageVersion), q(p.version),
		q("branch")+":"+q(p.pageBranch), q("branch")+":"+q(branchOf(p.version)),
	)
	return []byte(r.Replace(string(raw))), nil
}

// branchOf turns "2.11.0" into "2.11".
func branchOf(version string) string {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return version
	}
	return parts[0] + "." + parts[1]
}

// headerFile is testdata/pages/headers.json.
type headerFile struct {
	Lines map[string]struct {
		Headers map[string]string `json:"headers"`
	} `json:"lines"`
}

// dynamicHeaders are the entries of headers.json that show example values of
// per-response headers; the server sets these itself.
var dynamicHeaders = map[string]bool{
	"date": true, "connection": true, "transfer-encoding": true,
	"content-encoding": true, "vary": true,
}

// pageHeaders returns the static response headers of the line's page.
func (p *profile) pageHeaders() (map[string]string, error) {
	raw, err := Fixture("pages/headers.json")
	if err != nil {
		return nil, err
	}
	var hf headerFile
	if err := json.Unmarshal(raw, &hf); err != nil {
		return nil, fmt.Errorf("kibanatest: headers.json: %w", err)
	}
	entry, ok := hf.Lines[p.headers]
	if !ok {
		return nil, fmt.Errorf("kibanatest: headers.json has no line %q", p.headers)
	}
	out := make(map[string]string, len(entry.Headers))
	for k, v := range entry.Headers {
		if !dynamicHeaders[k] {
			out[k] = v
		}
	}
	return out, nil
}

// globalHeaderNames are page headers that Kibana adds to every response, not
// only to rendered pages: kbn-name (lifecycle_handlers) and the
// securityResponseHeaders (kibana-ui.md §2.6).
var globalHeaderNames = []string{
	"kbn-name", "x-content-type-options", "referrer-policy",
	"permissions-policy", "cross-origin-opener-policy",
}

// loadExports reads the line's saved-object exports, in file order. The 6.x
// file is a dashboards-export envelope {"version","objects":[…]}; the others
// are _export ndjson whose last line is the export summary, which is skipped.
func (p *profile) loadExports() ([]map[string]any, error) {
	var out []map[string]any
	for _, name := range p.exports {
		raw, err := Fixture("dashboards/" + name)
		if err != nil {
			return nil, err
		}
		objs, err := parseExport(raw)
		if err != nil {
			return nil, fmt.Errorf("kibanatest: %s: %w", name, err)
		}
		out = append(out, objs...)
	}
	return out, nil
}

func parseExport(raw []byte) ([]map[string]any, error) {
	var env struct {
		Objects []map[string]any `json:"objects"`
	}
	// A whole-file JSON value is the 6.x envelope; ndjson fails to parse as one.
	if json.Unmarshal(raw, &env) == nil && env.Objects != nil {
		err := decodeJSON(raw, &env)
		return env.Objects, err
	}
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
		var o map[string]any
		if err := decodeJSON(line, &o); err != nil {
			return nil, err
		}
		if _, ok := o["type"]; ok {
			out = append(out, o)
		}
	}
	return out, nil
}

// decodeJSON decodes with UseNumber so numbers pass through unchanged.
func decodeJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}
