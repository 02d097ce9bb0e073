package rewrite

import (
	"strings"
	"sync"
)

// Hidden is one chrome element that HideCSS hides.
type Hidden struct {
	// Name says what the element is, for test failure messages.
	Name string
	// Selector is a CSS selector (no selector lists) that matches the element.
	Selector string
	// Lines names the kbn lines ("6.8", "7.10", …, "osd-2") whose chrome DOM
	// replica (testdata/chrome) shows this element in a normal dashboard view.
	// Nil means no replica shows it: it appears only in states the replicas do
	// not model (full-screen mode, project-style header, open popovers, embed
	// mode), so tests can only check that it parses.
	Lines []string
}

// Replica line sets. The 8.x replica carries 8.15 values; 8.13 renders the
// same classic chrome, so both names point at it.
var (
	allLines  = []string{"6.8", "7.10", "7.17", "8.13", "8.15", "9.1", "osd-2"}
	newChrome = []string{"7.10", "7.17", "8.13", "8.15", "9.1", "osd-2"}
	kbnNew    = []string{"7.10", "7.17", "8.13", "8.15", "9.1"}
	kbn712    = []string{"7.17", "8.13", "8.15", "9.1"}
	kbn8      = []string{"8.13", "8.15", "9.1"}
	legacy6   = []string{"6.8"}
	osdOnly   = []string{"osd-2"}
	noReplica []string
	kbnAll    = []string{"6.8", "7.10", "7.17", "8.13", "8.15", "9.1"}
)

// testSubj matches a Kibana test subject as one of the attribute's
// space-separated words: Kibana often joins several ("breadcrumb last").
func testSubj(name string) string { return `[data-test-subj~="` + name + `"]` }

// hidden is the table behind HiddenElements and HideCSS. Selectors come from
// kibana-ui.md §3 and were checked against testdata/chrome (chrome_test.go).
var hidden = []Hidden{
	// Global header, every generation.
	{"global header", testSubj("headerGlobalNav"), newChrome},
	{"global header (class)", ".headerGlobalNav", newChrome},
	{"global header bars", "#globalHeaderBars", newChrome},
	{"header first bar (7.12+)", ".header__firstBar", kbn712},
	{"header second bar (7.12+)", ".header__secondBar", kbn712},
	// The header banner is admin-set chrome; kshare shows its own banner.
	{"header top banner (7.12+)", ".header__topBanner", kbn712},
	{"6.x legacy global nav", "nav.global-nav", legacy6},
	{"6.x legacy global nav (test subject)", testSubj("globalNav"), legacy6},
	{"6.x legacy global nav (kbnGlobalNav)", ".kbnGlobalNav", noReplica},
	{"6.x K7 header (k7design on)", ".header-global-wrapper", noReplica},
	// TODO(kshare): the 8.x/9.x project (solution) side nav and the 9.x grid
	// layout's header/navigation areas are not hidden by name: no replica
	// models them, so their selectors could not be checked against panels.
	// Classic chrome is what kshare's redirect (embed=true) meets.
	{"project-style header (8.x/9.x)", testSubj("kibanaProjectHeader"), noReplica},
	{"chromeless header (8.x/9.x embed)", testSubj("kibanaHeaderChromeless"), noReplica},

	// Side navigation.
	{"collapsible nav", testSubj("collapsibleNav"), newChrome},
	{"collapsible nav (class)", ".euiCollapsibleNav", newChrome},
	{"nav toggle", testSubj("toggleNavButton"), newChrome},
	{"nav toggle section", ".header__toggleNavButtonSection", kbnNew},
	{"6.x nav collapse toggle", testSubj("globalNavToggle"), legacy6},

	// Breadcrumbs and the header app menu.
	{"breadcrumbs", testSubj("breadcrumbs"), allLines},
	{"header breadcrumbs (class)", ".euiHeaderBreadcrumbs", newChrome},
	{"breadcrumbs container (7.12+)", ".header__breadcrumbsWithExtensionContainer", kbn712},
	{"6.x local breadcrumbs", ".kuiLocalBreadcrumbs", legacy6},
	{"header app action menu", testSubj("headerAppActionMenu"), newChrome},

	// App top nav menu (Full screen / Share / Clone / Edit).
	{"top nav menu", testSubj("top-nav"), allLines},
	{"top nav menu (class)", ".kbnTopNavMenu", kbnNew},
	{"top nav menu wrapper", ".kbnTopNavMenu__wrapper", kbnNew},
	{"OSD top nav menu", ".osdTopNavMenu", osdOnly},
	{"OSD top nav menu wrapper", ".osdTopNavMenu__wrapper", osdOnly},
	{"6.x local nav", ".kuiLocalNav", legacy6},
	{"6.x top nav", ".kbnTopNav", noReplica},
	{"dashboard top nav container (8.x)", ".dashboardTopNav", kbn8},

	// Query bar.
	{"query bar", testSubj("globalQueryBar"), newChrome},
	{"query bar (class)", ".globalQueryBar", newChrome},
	{"query bar row", ".kbnQueryBar", kbnAll},
	{"OSD query bar row", ".osdQueryBar", osdOnly},
	{"query input", testSubj("queryInput"), allLines},
	{"query submit button", testSubj("querySubmitButton"), allLines},
	{"6.x query bar element", "query-bar", legacy6},
	{"6.x local search", ".kuiLocalSearch", legacy6},

	// Filter bar.
	{"filter group", ".globalFilterGroup", newChrome},
	{"filter bar", ".globalFilterBar", newChrome},
	{"filter group (test subject)", testSubj("globalFilterGroup"),
		[]string{"7.10", "7.17", "osd-2"}},
	{"unified filter bar (8.x+)", testSubj("unifiedFilterBar"), kbn8},
	{"6.x filter bar element", "filter-bar", legacy6},
	{"6.x filter bar", ".filter-bar", legacy6},
	{"add filter button", testSubj("addFilter"), allLines},
	{"filter actions button", testSubj("showFilterActions"), allLines},

	// Date picker: the EUI component, every superDatePicker* test subject
	// (the prefix form also catches the quick menu popover in its portal) and
	// the wrappers around it.
	{"super date picker", ".euiSuperDatePicker", allLines},
	{"super date picker wrapper", ".euiSuperDatePicker__flexWrapper", allLines},
	{"super date picker test subjects", `[data-test-subj^="superDatePicker"]`, allLines},
	{"date picker quick menu button", testSubj("superDatePickerToggleQuickMenuButton"), allLines},
	{"date picker show dates button", testSubj("superDatePickerShowDatesButton"),
		[]string{"7.10", "8.13", "8.15", "osd-2"}},
	{"date picker start button", testSubj("superDatePickerstartDatePopoverButton"),
		[]string{"6.8", "7.17", "9.1"}},
	{"date picker end button", testSubj("superDatePickerendDatePopoverButton"),
		[]string{"6.8", "7.17", "9.1"}},
	{"date picker apply button", testSubj("superDatePickerApplyTimeButton"), legacy6},
	{"date picker quick menu", testSubj("superDatePickerQuickMenu"), noReplica},
	{"query bar date picker wrapper", ".kbnQueryBar__datePickerWrapper", kbnNew},
	{"OSD query bar date picker wrapper", ".osdQueryBar__datePickerWrapper", osdOnly},
	{"6.x global time picker element", "kbn-global-timepicker", legacy6},
	{"6.x global time picker", testSubj("globalTimepicker"), legacy6},

	// Full-screen exit button: only rendered in full-screen mode.
	{"exit full screen logo (7.x)", testSubj("exitFullScreenModeLogo"), noReplica},
	{"exit full screen button (8.x+)", testSubj("exitFullScreenModeButton"), noReplica},
	{"exit full screen (7.x class)", ".dshExitFullScreenButton", noReplica},
	{"exit full screen (8.x class)", ".exitFullScreenButton", noReplica},

	// Header menus.
	{"help menu button", testSubj("helpMenuButton"), allLines},
	{"help menu", "#headerHelpMenu", newChrome},
	{"newsfeed button", testSubj("newsfeed"), kbnNew},
	{"user menu button", testSubj("userMenuButton"), allLines},
	{"user menu", "#headerUserMenu", kbnNew},
	{"spaces menu button", testSubj("spacesNavSelector"), kbnAll},
	{"spaces menu", "#spcMenuPopover", kbnNew},
}

// layoutCSS lets the application fill the page once the chrome is gone.
// Kibana reserves room for the fixed headers and the docked nav with body
// padding (EUI euiBody--headerIsFixed, 7.12+ kbnBody--chromeVisible, 8.x
// padding-top: var(--euiFixedHeadersOffset)) and, up to 7.13 and in OSD, with
// .app-wrapper offsets. EUI docks the nav with an !important body padding,
// so those rules carry an element in the selector to win on specificity.
const layoutCSS = `body,body.kbnBody,body.kbnBody--chromeVisible,` +
	`body.euiBody--headerIsFixed{padding-top:0!important}
html body.euiBody--collapsibleNavIsDocked{padding-left:0!important;` +
	`padding-inline-start:0!important}
body.kbnBody{--euiFixedHeadersOffset:0px!important;--kbnAppHeadersOffset:0px!important;` +
	`--kbnHeaderBannerHeight:0px!important}
div.app-wrapper,div.kbnAppWrapper{left:0!important;top:0!important;` +
	`margin-left:0!important;padding-left:0!important}
`

// panels are the selectors of what a recipient must see. The visualize app
// mounts the visualization into .visEditor__content with chrome and into
// .visualize inside .visEditor without it (embed mode).
var panels = []string{
	testSubj("dashboardPanel"),
	".dshPanel",
	testSubj("embeddablePanel"),
	".embPanel",
	".visEditor__content",
	".visEditor .visualize",
	testSubj("visualizationLoader"),
}

// hideCSS is built once: the table never changes after init.
var hideCSS = sync.OnceValue(func() string {
	var b strings.Builder
	for _, h := range hidden {
		// One rule per selector: a browser drops a whole rule when it does
		// not understand one selector of a list.
		b.WriteString(h.Selector)
		b.WriteString("{display:none!important}\n")
	}
	b.WriteString(layoutCSS)
	return b.String()
})

// HideCSS returns the stylesheet text kshare injects into every bootstrap
// page: display:none for each HiddenElements selector, then layout fixes so
// the application fills the page.
func HideCSS() string { return hideCSS() }

// HiddenElements returns what HideCSS hides, for browser tests to assert on.
// The slice is a copy.
func HiddenElements() []Hidden {
	out := make([]Hidden, len(hidden))
	for i, h := range hidden {
		h.Lines = append([]string(nil), h.Lines...)
		out[i] = h
	}
	return out
}

// PanelSelectors returns selectors of dashboard panels and of the visualize
// app's visualization, which must stay visible. The slice is a copy.
func PanelSelectors() []string { return append([]string(nil), panels...) }
