package rewrite

import (
	"regexp"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// moveMarkupURLs moves the page's own URLs that go through Kibana's base
// path under the share's base path.
//
// The bootstrap script (/bootstrap.js, 6.8 /bundles/app/<app>/bootstrap.js)
// always moves, base path or not: it is generated per request and must be
// fetched through the share with the service credentials. Other script,
// link and msapplication-config URLs and url(…) in inline styles (the
// @font-face block) move only when they start with a non-empty old base
// path; with an empty one they stay root-relative for kshare's static
// allow-list. Absolute URLs (other hosts, a CDN) are never touched.
func moveMarkupURLs(doc *goquery.Document, mv mover) {
	doc.Find("script[src]").Each(func(_ int, s *goquery.Selection) {
		src, _ := s.Attr("src")
		if isBootstrapScript(src) {
			s.SetAttr("src", mv.under(src))
			return
		}
		moveAttr(s, "src", mv)
	})
	doc.Find("link[href]").Each(func(_ int, s *goquery.Selection) {
		moveAttr(s, "href", mv)
	})
	doc.Find(`meta[name="msapplication-config"][content]`).Each(
		func(_ int, s *goquery.Selection) { moveAttr(s, "content", mv) })
	doc.Find("style").Each(func(_ int, s *goquery.Selection) {
		moveStyleURLs(s, mv)
	})
}

// isBootstrapScript reports a root-relative URL whose path ends in
// /bootstrap.js.
func isBootstrapScript(src string) bool {
	path, _, _ := strings.Cut(src, "?")
	return rootRelative(path) && strings.HasSuffix(path, "/bootstrap.js")
}

// moveAttr moves one attribute value if it starts with an old base path.
func moveAttr(s *goquery.Selection, attr string, mv mover) {
	v, _ := s.Attr(attr)
	if moved, ok := mv.move(v); ok {
		s.SetAttr(attr, moved)
	}
}

// cssURL finds the target of url(…) in CSS, quoted or not.
var cssURL = regexp.MustCompile(`url\(\s*(['"]?)([^'")\s]+)`)

// moveStyleURLs rewrites url(…) targets in a <style> element's text.
func moveStyleURLs(s *goquery.Selection, mv mover) {
	for _, n := range s.Nodes {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.TextNode || !strings.Contains(c.Data, "url(") {
				continue
			}
			c.Data = cssURL.ReplaceAllStringFunc(c.Data, func(m string) string {
				sub := cssURL.FindStringSubmatchIndex(m)
				target := m[sub[4]:sub[5]]
				moved, ok := mv.move(target)
				if !ok {
					return m
				}
				return m[:sub[4]] + moved
			})
		}
	}
}

// kshareStyleID marks the one <style> element kshare injects.
const kshareStyleID = "kshare"

// injectHead adds the referrer policy and kshare's stylesheet to <head>.
//
// The referrer meta goes right after <meta charset> (or first in head), so
// it governs every request the page makes, including head-level favicons
// and stylesheets (which may sit on a CDN): the page URL holds the share
// secret. The style goes last in head: Kibana's bootstrap.js inserts its
// stylesheets before <meta name="add-styles-here"> and 8.x emotion styles
// after <meta name="emotion">, so kshare's rules come after both and win
// ties between !important declarations.
//
// Earlier copies of either (a page rewritten twice) are removed first, so
// the page carries exactly one of each.
func injectHead(doc *goquery.Document, extraCSS string) {
	doc.Find(`meta[name="referrer" i]`).Remove()
	doc.Find("style#" + kshareStyleID).Remove()

	head := doc.Find("head").First()
	referrer := element(atom.Meta, "name", "referrer", "content", "no-referrer")
	if charset := head.ChildrenFiltered("meta[charset]").First(); charset.Length() > 0 {
		charset.AfterNodes(referrer)
	} else {
		head.PrependNodes(referrer)
	}

	style := element(atom.Style, "id", kshareStyleID)
	style.AppendChild(&html.Node{Type: html.TextNode, Data: styleText(extraCSS)})
	head.AppendNodes(style)
}

// styleText is HideCSS plus the caller's CSS. The renderer writes style
// text raw, so "</" (which could close the element early and start markup)
// becomes "<\/", which CSS reads the same inside strings and which is
// invalid anywhere else either way.
func styleText(extraCSS string) string {
	css := HideCSS()
	if extraCSS != "" {
		css += strings.ReplaceAll(extraCSS, "</", `<\/`) + "\n"
	}
	return css
}

// element builds an element node with attributes given as name, value pairs.
func element(a atom.Atom, attrs ...string) *html.Node {
	n := &html.Node{Type: html.ElementNode, DataAtom: a, Data: a.String()}
	for i := 0; i+1 < len(attrs); i += 2 {
		n.Attr = append(n.Attr, html.Attribute{Key: attrs[i], Val: attrs[i+1]})
	}
	return n
}

// BannerID is the id of the banner element kshare adds to a page.
const BannerID = "kshare-banner"

// BannerHeight is the banner's height in CSS pixels.
const BannerHeight = 24

// bannerCSS fixes the banner at the top and moves the application down by
// its height, whichever way a line reserves room for its header: body
// padding (6.8–7.x, OSD), the .app-wrapper offset (≤7.13, OSD) or the
// fixed-header offsets 8.x/9.x read from CSS variables. Every rule carries
// "html" to win over layoutCSS's zero offsets. Widths are left alone, so
// Kibana's panel grid computes the same columns as without the banner.
const bannerCSS = `#kshare-banner{position:fixed;top:0;left:0;right:0;height:24px;` +
	`z-index:2147483000;box-sizing:border-box;padding:0 12px;margin:0;` +
	`font:12px/24px system-ui,-apple-system,"Segoe UI",sans-serif;` +
	`background:#343741;color:#fff;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
html body[data-kshare-banner]::before{content:attr(data-kshare-banner);position:fixed;top:0;` +
	`left:0;right:0;height:24px;z-index:2147483000;box-sizing:border-box;padding:0 12px;margin:0;` +
	`font:12px/24px system-ui,-apple-system,"Segoe UI",sans-serif;` +
	`background:#343741;color:#fff;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
html body:has(> #kshare-banner)::before{content:none}
html body,html body.kbnBody,html body.kbnBody--chromeVisible,html body.euiBody--headerIsFixed` +
	`{padding-top:24px!important}
html body.kbnBody{--euiFixedHeadersOffset:24px!important;--kbnAppHeadersOffset:24px!important}
html body div.app-wrapper,html body div.kbnAppWrapper{top:24px!important}
html body #app-fixed-viewport{top:24px!important}
`

// injectBanner puts the banner first in <body> and its text into a body
// attribute. Kibana's start-up code empties <body> (7.10.2 core.entry.js sets
// rootDomElement.textContent = ""), which removes the element; the
// attribute survives and bannerCSS draws it as body::before, with no
// script. Where the element survives, it is shown instead.
func injectBanner(doc *goquery.Document, text string) {
	doc.Find("#" + BannerID).Remove()
	div := element(atom.Div, "id", BannerID, "role", "note", "aria-label", "Time frame of this shared view")
	div.AppendChild(&html.Node{Type: html.TextNode, Data: text})
	doc.Find("body").First().SetAttr("data-kshare-banner", text).PrependNodes(div)
}
