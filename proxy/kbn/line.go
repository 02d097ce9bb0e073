// Package kbn holds what kshare knows about each Kibana line: how versions map
// to the behaviour the proxy depends on (URL forms, required headers, page
// markup). Lines are the ones kshare is tested against; a version between two
// lines behaves like the older one.
package kbn

import (
	"fmt"
	"strconv"
	"strings"
)

// Line is one Kibana (or OpenSearch Dashboards) release line.
type Line struct {
	// Name is the short name used in config, test names and fixtures:
	// "6.8", "7.10", "7.17", "8.13", "8.15", "9.1" or "osd-2".
	Name string
	// Major and Minor are the version the line stands for.
	Major, Minor int
	// OSD is true for OpenSearch Dashboards.
	OSD bool
}

// The lines kshare supports and tests.
var (
	L68  = Line{Name: "6.8", Major: 6, Minor: 8}
	L710 = Line{Name: "7.10", Major: 7, Minor: 10}
	L717 = Line{Name: "7.17", Major: 7, Minor: 17}
	L813 = Line{Name: "8.13", Major: 8, Minor: 13}
	L815 = Line{Name: "8.15", Major: 8, Minor: 15}
	L91  = Line{Name: "9.1", Major: 9, Minor: 1}
	OSD2 = Line{Name: "osd-2", Major: 2, Minor: 0, OSD: true}
)

// Lines returns every supported line, oldest Kibana first, OSD last.
func Lines() []Line { return []Line{L68, L710, L717, L813, L815, L91, OSD2} }

// ByName returns the line with the given Name.
func ByName(name string) (Line, bool) {
	for _, l := range Lines() {
		if l.Name == name {
			return l, true
		}
	}
	return Line{}, false
}

// FromVersion maps a version number such as "7.12.1" or "8.15.3-SNAPSHOT" to
// a line carrying that exact major and minor. Majors 1 and 2 are OpenSearch
// Dashboards (Kibana never shipped them); majors below 6 are refused.
func FromVersion(v string) (Line, error) {
	core, _, _ := strings.Cut(strings.TrimSpace(v), "-")
	parts := strings.Split(core, ".")
	if len(parts) < 2 {
		return Line{}, fmt.Errorf("kibana version %q: want major.minor", v)
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || major < 0 || minor < 0 {
		return Line{}, fmt.Errorf("kibana version %q: not a number", v)
	}
	switch {
	case major == 1 || major == 2:
		return Line{Name: "osd-2", Major: major, Minor: minor, OSD: true}, nil
	case major < 6 || major > 9:
		return Line{}, fmt.Errorf("kibana version %q: kshare supports 6.8 to 9.x", v)
	}
	return Line{Name: fmt.Sprintf("%d.%d", major, minor), Major: major, Minor: minor}, nil
}

// AtLeast reports whether a Kibana line is major.minor or newer. It is always
// false for OpenSearch Dashboards, whose numbers are not Kibana's.
func (l Line) AtLeast(major, minor int) bool {
	if l.OSD {
		return false
	}
	return l.Major > major || (l.Major == major && l.Minor >= minor)
}

// Legacy reports whether the line still runs the legacy platform, where a
// dashboard lives inside the single "kibana" app (6.x).
func (l Line) Legacy() bool { return !l.OSD && l.Major < 7 }

// String returns the line's name.
func (l Line) String() string { return l.Name }
