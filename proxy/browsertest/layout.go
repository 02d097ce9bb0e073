package browsertest

import (
	"encoding/json"
	"fmt"
)

// Box is what the layout says about one element.
type Box struct {
	// Element names the element: tag, id, classes and data-test-subj.
	Element string
	// X, Y, Width and Height are its border box in document coordinates
	// (CSS pixels from the top left of the page, not of the viewport).
	X, Y, Width, Height float64
	// Visible is true when a person would see the element: it and its
	// ancestors are displayed and not fully transparent, it is
	// visibility:visible, has a non-zero size, lies at least partly inside
	// the page, and at its centre no other element is drawn on top of it
	// (document.elementFromPoint returns it or something inside it).
	Visible bool
	// Why says why it is not visible, e.g. "display:none on div.app",
	// "opacity:0", "visibility:hidden", "zero size", "off-screen" or
	// "covered by div#overlay"; "" when Visible.
	Why string
}

// String describes the box for failure messages.
func (x Box) String() string {
	s := fmt.Sprintf("%s at (%.0f,%.0f) %.0f×%.0f", x.Element, x.X, x.Y, x.Width, x.Height)
	if !x.Visible {
		s += ": " + x.Why
	}
	return s
}

// Boxes returns one Box for each element matching the CSS selector sel, in
// document order; none when nothing matches. To test coverage at an
// element's centre, Boxes scrolls that centre into the viewport first, so
// the page may be left scrolled.
func (b *Browser) Boxes(sel string) ([]Box, error) {
	arg, err := json.Marshal(sel)
	if err != nil {
		return nil, err
	}
	var out []Box
	if err := b.Eval("("+inspectJS+")("+string(arg)+")", &out); err != nil {
		return nil, fmt.Errorf("boxes %s: %w", sel, err)
	}
	return out, nil
}

// Visible reports whether any element matching sel is visible (see Box).
func (b *Browser) Visible(sel string) (bool, error) {
	boxes, err := b.Boxes(sel)
	if err != nil {
		return false, err
	}
	for _, x := range boxes {
		if x.Visible {
			return true, nil
		}
	}
	return false, nil
}

// Count returns how many elements match sel.
func (b *Browser) Count(sel string) (int, error) {
	arg, err := json.Marshal(sel)
	if err != nil {
		return 0, err
	}
	var n int
	if err := b.Eval("document.querySelectorAll("+string(arg)+").length", &n); err != nil {
		return 0, fmt.Errorf("count %s: %w", sel, err)
	}
	return n, nil
}

// inspectJS computes a Box per matching element. Style first (display and
// opacity inherit visually but not in getComputedStyle, so ancestors are
// walked), then geometry against the whole page, then the hit test at the
// centre, which also catches clipping by an overflow:hidden ancestor.
const inspectJS = `function (sel) {
  const name = (n) => {
    if (!n || !n.tagName) return String(n);
    let s = n.tagName.toLowerCase();
    if (n.id) s += '#' + n.id;
    if (typeof n.className === 'string' && n.className.trim())
      s += '.' + n.className.trim().split(/\s+/).slice(0, 3).join('.');
    const subj = n.getAttribute('data-test-subj');
    if (subj) s += '[data-test-subj="' + subj + '"]';
    return s;
  };
  const why = (el) => {
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      const cs = getComputedStyle(n);
      const at = n === el ? '' : ' on ' + name(n);
      if (cs.display === 'none') return 'display:none' + at;
      if (parseFloat(cs.opacity) === 0) return 'opacity:0' + at;
    }
    const cs = getComputedStyle(el);
    if (cs.visibility !== 'visible') return 'visibility:' + cs.visibility;
    let r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return 'zero size';
    const de = document.documentElement;
    const pw = Math.max(de.scrollWidth, innerWidth), ph = Math.max(de.scrollHeight, innerHeight);
    if (r.right + scrollX <= 0 || r.bottom + scrollY <= 0 ||
        r.left + scrollX >= pw || r.top + scrollY >= ph) return 'off-screen';
    let cx = r.left + r.width / 2, cy = r.top + r.height / 2;
    if (cx < 0 || cy < 0 || cx >= innerWidth || cy >= innerHeight) {
      el.scrollIntoView({block: 'center', inline: 'center'});
      r = el.getBoundingClientRect();
      cx = r.left + r.width / 2; cy = r.top + r.height / 2;
    }
    const hit = document.elementFromPoint(cx, cy);
    if (!hit) return 'off-screen';
    if (hit !== el && !el.contains(hit)) return 'covered by ' + name(hit);
    return '';
  };
  return Array.from(document.querySelectorAll(sel), (el) => {
    const w = why(el), r = el.getBoundingClientRect();
    return {Element: name(el), X: r.left + scrollX, Y: r.top + scrollY,
      Width: r.width, Height: r.height, Visible: w === '', Why: w};
  });
}`
