package rewrite

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"github.com/kshare/kshare/proxy/kbn"
	"golang.org/x/net/html"
)

// replicas maps each chrome DOM replica to the lines it stands for.
var replicas = []struct {
	file  string
	lines []string
}{
	{"kibana-6.8-dashboard.html", []string{"6.8"}},
	{"kibana-7.10-dashboard.html", []string{"7.10"}},
	{"kibana-7.17-dashboard.html", []string{"7.17"}},
	{"kibana-8.x-dashboard.html", []string{"8.13", "8.15"}},
	{"kibana-9.x-dashboard.html", []string{"9.1"}},
	{"opensearch-dashboards-2.x-dashboard.html", []string{"osd-2"}},
}

func readReplica(t *testing.T, file string) *goquery.Document {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "chrome", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := goquery.NewDocumentFromReader(f)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestHiddenTable: every selector parses as one CSS selector, appears once,
// names only known lines and is in HideCSS.
func TestHiddenTable(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	css := HideCSS()
	for _, h := range HiddenElements() {
		if _, err := cascadia.Parse(h.Selector); err != nil {
			t.Errorf("%s: %q is not one selector: %v", h.Name, h.Selector, err)
		}
		if seen[h.Selector] {
			t.Errorf("%s: %q listed twice", h.Name, h.Selector)
		}
		seen[h.Selector] = true
		for _, l := range h.Lines {
			if _, ok := kbn.ByName(l); !ok {
				t.Errorf("%s: unknown line %q", h.Name, l)
			}
		}
		if !strings.Contains(css, h.Selector+"{display:none!important}\n") {
			t.Errorf("%s: not hidden by HideCSS", h.Name)
		}
	}
	for _, p := range PanelSelectors() {
		if _, err := cascadia.ParseGroup(p); err != nil {
			t.Errorf("panel selector %q: %v", p, err)
		}
	}
}

// TestHiddenMatchesReplicas: each selector matches in exactly the replicas
// of the lines it names, so Lines doubles as the record of which replica
// carries which element.
func TestHiddenMatchesReplicas(t *testing.T) {
	for _, r := range replicas {
		t.Run(r.lines[0], func(t *testing.T) {
			t.Parallel()
			doc := readReplica(t, r.file)
			for _, h := range HiddenElements() {
				n := doc.Find(h.Selector).Length()
				want := slices.Contains(h.Lines, r.lines[0])
				switch {
				case want && n == 0:
					t.Errorf("%s: %s matches nothing", h.Name, h.Selector)
				case !want && n > 0:
					t.Errorf("%s: %s matches %d elements but Lines omits %s",
						h.Name, h.Selector, n, r.lines[0])
				}
			}
			for _, l := range r.lines[1:] {
				for _, h := range HiddenElements() {
					if slices.Contains(h.Lines, l) != slices.Contains(h.Lines, r.lines[0]) {
						t.Errorf("%s: lines %s and %s share a replica", h.Name, l, r.lines[0])
					}
				}
			}
		})
	}
}

// TestPanelsStayVisible: no hidden selector matches a panel, an ancestor of
// one (that would hide the dashboard) or anything inside one.
func TestPanelsStayVisible(t *testing.T) {
	for _, r := range replicas {
		t.Run(r.lines[0], func(t *testing.T) {
			t.Parallel()
			doc := readReplica(t, r.file)
			panels := doc.Find(strings.Join(PanelSelectors(), ", "))
			if n := doc.Find(testSubj("dashboardPanel")).Length(); n != 2 {
				t.Fatalf("replica has %d dashboard panels, want 2", n)
			}
			for _, h := range HiddenElements() {
				doc.Find(h.Selector).Each(func(_ int, s *goquery.Selection) {
					for _, p := range panels.Nodes {
						if related(s.Nodes[0], p) {
							t.Errorf("%s (%s) hides panel content %s", h.Name, h.Selector,
								describe(p))
							return
						}
					}
				})
			}
		})
	}
}

// related reports whether a is p, an ancestor of p or inside p.
func related(a, p *html.Node) bool {
	return a == p || contains(a, p) || contains(p, a)
}

func contains(outer, inner *html.Node) bool {
	for n := inner.Parent; n != nil; n = n.Parent {
		if n == outer {
			return true
		}
	}
	return false
}

func describe(n *html.Node) string {
	var b strings.Builder
	b.WriteString(n.Data)
	for _, a := range n.Attr {
		if a.Key == "class" || a.Key == "data-test-subj" {
			b.WriteString("[" + a.Key + "=" + a.Val + "]")
		}
	}
	return b.String()
}

// TestHideCSSShape: nothing that could end the style element, and the
// layout fixes are present.
func TestHideCSSShape(t *testing.T) {
	t.Parallel()
	css := HideCSS()
	if strings.Contains(css, "<") {
		t.Error("HideCSS contains markup")
	}
	for _, want := range []string{"padding-top:0!important", "left:0!important"} {
		if !strings.Contains(css, want) {
			t.Errorf("HideCSS lacks %q", want)
		}
	}
}
