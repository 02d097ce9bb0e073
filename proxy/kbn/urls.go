package kbn

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Object kinds kshare can share.
const (
	KindDashboard     = "dashboard"
	KindVisualization = "visualization"
	KindLens          = "lens"
)

// App returns the Kibana app that shows an object kind on a line: 6.x keeps
// everything inside the single "kibana" app (kibana-ui.md §1.1).
func App(l Line, kind string) string {
	switch {
	case l.Legacy():
		return "kibana"
	case kind == KindDashboard:
		return "dashboards"
	case kind == KindLens:
		return "lens"
	default:
		return "visualize"
	}
}

// hashRoute is the app-internal route of an object (kibana-ui.md §1.1).
func hashRoute(l Line, kind, id string) string {
	id = url.PathEscape(id)
	switch {
	case l.Legacy() && kind == KindDashboard:
		return "/dashboard/" + id
	case l.Legacy():
		return "/visualize/edit/" + id
	case kind == KindDashboard:
		return "/view/" + id
	default:
		return "/edit/" + id
	}
}

// Pin is the time state kshare puts into _g.
type Pin struct {
	From, To string  // ISO instants for snapshots, date math for saved shares
	Refresh  Refresh // auto refresh; snapshots are always paused
}

// EntryPath returns the app path and hash (no base path) that opens an
// object with chrome hidden and the time pinned, e.g.
// /app/dashboards#/view/ID?embed=true&hide-filter-bar=true&_g=(…).
//
// embed goes into the hash query because both core's chrome and the
// dashboard app read it there; 8.9+ want the literal value "true"
// (elastic/kibana#159754), which every older line accepts too.
func EntryPath(l Line, kind, id string, p Pin) string {
	q := "embed=true"
	if kind == KindDashboard {
		q += "&hide-filter-bar=true"
	}
	q += "&_g=" + GlobalState(l, p)
	return "/app/" + App(l, kind) + "#" + hashRoute(l, kind, id) + "?" + q
}

// GlobalState renders _g for a pin. 6.x wants a mode next to from and to.
func GlobalState(l Line, p Pin) string {
	pause := "!f"
	if p.Refresh.Pause {
		pause = "!t"
	}
	t := "from:" + RisonString(p.From)
	if l.Legacy() {
		mode := "relative"
		if !IsRelative(p.From) && !IsRelative(p.To) {
			mode = "absolute"
		}
		t += ",mode:" + mode
	}
	t += ",to:" + RisonString(p.To)
	return fmt.Sprintf("(refreshInterval:(pause:%s,value:%d),time:(%s))", pause, p.Refresh.Value, t)
}

// IsRelative reports whether a time bound is date math relative to now.
func IsRelative(s string) bool { return strings.Contains(s, "now") }

// ObjectURL is what an admin's copied Kibana address names.
type ObjectURL struct {
	Space    string
	Kind     string // dashboard or visualization (lens: KindLens)
	ID       string
	From, To string // from _g.time, when present
}

// ErrUnsupportedURL is returned for Kibana addresses kshare cannot share.
var ErrUnsupportedURL = errors.New("unsupported kibana address")

var spaceRE = regexp.MustCompile(`^/s/([a-z0-9_\-]+)(/.*)$`)

// ParseObjectURL reads the object, space and _g time range from an address
// copied from the browser's address bar, on any line. basePath is Kibana's
// server.basePath, stripped first when present.
func ParseObjectURL(raw, basePath string) (ObjectURL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Path == "" {
		return ObjectURL{}, fmt.Errorf("%w: %q is not a URL", ErrUnsupportedURL, raw)
	}
	var out ObjectURL
	p := strings.TrimSuffix(u.Path, "/")
	if basePath != "" && strings.HasPrefix(p, basePath+"/") {
		p = strings.TrimPrefix(p, basePath)
	}
	if m := spaceRE.FindStringSubmatch(p); m != nil {
		out.Space, p = m[1], m[2]
	}
	route, query, _ := strings.Cut(u.Fragment, "?")
	if err := out.setObject(p, route); err != nil {
		return ObjectURL{}, err
	}
	return out, out.setTime(query)
}

func (o *ObjectURL) setObject(appPath, route string) error {
	parts := strings.Split(strings.Trim(route, "/"), "/")
	app := strings.TrimPrefix(appPath, "/app/")
	switch {
	case app == "dashboards" && len(parts) >= 2 && parts[0] == "view":
		o.Kind, o.ID = KindDashboard, parts[1]
	case app == "visualize" && len(parts) >= 2 && parts[0] == "edit":
		o.Kind, o.ID = KindVisualization, parts[1]
	case app == "lens" && len(parts) >= 2 && parts[0] == "edit":
		o.Kind, o.ID = KindLens, parts[1]
	case app == "kibana" && len(parts) >= 2 && parts[0] == "dashboard":
		o.Kind, o.ID = KindDashboard, parts[1]
	case app == "kibana" && len(parts) >= 3 && parts[0] == "visualize" && parts[1] == "edit":
		o.Kind, o.ID = KindVisualization, parts[2]
	default:
		return fmt.Errorf("%w: %s#%s: kshare shares dashboards (#/view/ID), "+
			"visualizations (#/edit/ID) and Lens; this address names neither",
			ErrUnsupportedURL, appPath, route)
	}
	id, err := url.PathUnescape(o.ID)
	if err != nil || id == "" || id == "create" {
		return fmt.Errorf("%w: no saved object id in %q", ErrUnsupportedURL, route)
	}
	o.ID = id
	return nil
}

func (o *ObjectURL) setTime(query string) error {
	q, err := url.ParseQuery(query)
	if err != nil {
		return fmt.Errorf("%w: bad hash query: %v", ErrUnsupportedURL, err)
	}
	g := q.Get("_g")
	if g == "" {
		return nil
	}
	if strings.HasPrefix(g, "h@") {
		return fmt.Errorf("%w: _g is a session-storage hash (state:storeInSessionStorage "+
			"is on); pass --from and --to instead", ErrUnsupportedURL)
	}
	v, err := DecodeRison(g)
	if err != nil {
		return fmt.Errorf("%w: _g: %v", ErrUnsupportedURL, err)
	}
	state, _ := v.(map[string]any)
	t, _ := state["time"].(map[string]any)
	o.From, _ = t["from"].(string)
	o.To, _ = t["to"].(string)
	return nil
}
