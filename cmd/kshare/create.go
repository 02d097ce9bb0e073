package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kshare/kshare/proxy"
	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/tokens"
	"github.com/kshare/kshare/tokens/datemath"
)

// createParams are the inputs of "kshare share create".
type createParams struct {
	Dashboard, Visualization, URL string
	Space                         string
	Mode                          string
	From, To                      string
	fromSet, toSet                bool // --from/--to given (beat the URL's _g)
	TZ                            string
	TTL                           time.Duration
	ttlSet                        bool
	Label                         string
	Banner                        string   // "on", "off" or "" (configured default)
	FrameAncestors                []string // origins that may frame this share
	Filters                       []string // field=value per-link data filters
	FilterOp                      string   // and | or
	FilterQuery                   string   // one raw Elasticsearch query clause
}

// created is what "share create" reports.
type created struct {
	Share   tokens.Share
	Title   string
	URL     string // holds the secret: shown once, never logged
	TTL     time.Duration
	Notices []string
}

// createShare checks the object in Kibana, resolves the time range and
// writes the share. It is the one code path behind "share create" and
// "serve --share".
func createShare(ctx context.Context, d *deps, p createParams, now time.Time) (created, error) {
	var out created
	line, err := d.cached.Line(ctx)
	if err != nil {
		return out, fmt.Errorf("detect kibana version: %w", err)
	}
	target, err := resolveTarget(p, d.cfg.Kibana.BasePath())
	if err != nil {
		return out, usageError{err}
	}
	sh := tokens.Share{Space: target.Space, Label: p.Label, Created: now.UTC(),
		Banner: p.Banner, FrameAncestors: p.FrameAncestors}
	if sh.Filters, err = proxy.EncodeFilters(p.Filters, p.FilterOp, p.FilterQuery); err != nil {
		return out, usageError{err}
	}
	obj, err := findObject(ctx, d, line, target)
	if err != nil {
		return out, err
	}
	sh.Kind, sh.ObjectID, out.Title = target.Kind, obj.ID, obj.Title()
	if err := setTime(ctx, d, line, &sh, p, target, now); err != nil {
		return out, err
	}
	ttl, notices := effectiveTTL(p, d.cfg.Shares.DefaultTTL, d.cfg.Shares.MaxTTL)
	sh, tok, err := d.store.Create(ctx, sh, ttl)
	if err != nil {
		return out, err // the store names the operation
	}
	out.Share, out.TTL, out.Notices = sh, ttl, notices
	out.URL = strings.TrimSuffix(d.cfg.PublicURL, "/") + d.cfg.SharePrefix + "/" + tok.String()
	return out, nil
}

// resolveTarget turns --dashboard, --visualization or --url into one object.
func resolveTarget(p createParams, basePath string) (kbn.ObjectURL, error) {
	n := 0
	for _, s := range []string{p.Dashboard, p.Visualization, p.URL} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return kbn.ObjectURL{}, errors.New("give exactly one of --dashboard, --visualization or --url")
	}
	var t kbn.ObjectURL
	switch {
	case p.Dashboard != "":
		t = kbn.ObjectURL{Kind: kbn.KindDashboard, ID: p.Dashboard}
	case p.Visualization != "":
		t = kbn.ObjectURL{Kind: kbn.KindVisualization, ID: p.Visualization}
	default:
		var err error
		if t, err = kbn.ParseObjectURL(p.URL, basePath); err != nil {
			return t, err
		}
	}
	space := strings.TrimPrefix(p.Space, "default")
	if p.Space != "" && t.Space != "" && space != t.Space {
		return t, fmt.Errorf("--space %q conflicts with the space %q in --url", p.Space, t.Space)
	}
	if space != "" {
		t.Space = space
	}
	return t, nil
}

// findObject reads the object from Kibana with the service credentials. A
// --visualization id on 8.x/9.x may name a Lens object.
func findObject(ctx context.Context, d *deps, l kbn.Line, t kbn.ObjectURL) (kbn.SavedObject, error) {
	types := []string{t.Kind}
	if t.Kind == kbn.KindVisualization && !l.Legacy() && !l.OSD {
		types = append(types, kbn.KindLens)
	}
	var lastErr error
	for _, typ := range types {
		obj, err := d.kibana.Object(ctx, t.Space, typ, t.ID)
		if err == nil {
			return obj, nil
		}
		if !errors.Is(err, kbn.ErrNotFound) {
			return kbn.SavedObject{}, fmt.Errorf("check object in kibana: %w", err)
		}
		lastErr = err
	}
	where := "the default space"
	if t.Space != "" {
		where = fmt.Sprintf("space %q", t.Space)
	}
	return kbn.SavedObject{}, fmt.Errorf("%s %q does not exist in %s of this Kibana: %w",
		t.Kind, t.ID, where, lastErr)
}

// setTime fills the share's mode and time: snapshots freeze the range now,
// in the share's zone; saved-object shares follow the object.
func setTime(ctx context.Context, d *deps, l kbn.Line, sh *tokens.Share, p createParams,
	t kbn.ObjectURL, now time.Time) error {
	mode := p.Mode
	if mode == "" {
		mode = d.cfg.Shares.DefaultMode
	}
	settings, err := d.kibana.Settings(ctx, sh.Space, l)
	if err != nil {
		return fmt.Errorf("read kibana settings: %w", err)
	}
	tz, loc, err := shareZone(p.TZ, settings)
	if err != nil {
		return usageError{err}
	}
	sh.TZ = tz
	switch tokens.Mode(mode) {
	case tokens.Saved:
		sh.Mode = tokens.Saved
		return nil
	case tokens.Snapshot:
		sh.Mode = tokens.Snapshot
	default:
		return usageError{fmt.Errorf("--mode %q: want snapshot or saved", mode)}
	}
	from, to := p.From, p.To
	if t.From != "" && t.To != "" && !p.fromSet && !p.toSet {
		from, to = t.From, t.To
	}
	week, _ := datemath.WeekdayByName(fmt.Sprint(settings["dateFormat:dow"]))
	opt := datemath.Options{Now: now, Location: loc, WeekStart: week}
	if sh.From, sh.To, err = datemath.Range(from, to, opt); err != nil {
		return usageError{fmt.Errorf("time range: %w", err)}
	}
	sh.FromExpr, sh.ToExpr = from, to
	return nil
}

// shareZone picks the share's time zone: --tz, else the space's
// dateFormat:tz when it names a zone (its default "Browser" does not), else UTC.
func shareZone(flag string, settings map[string]any) (string, *time.Location, error) {
	name := flag
	if name == "" {
		if s, ok := settings["dateFormat:tz"].(string); ok && s != "Browser" {
			name = s
		}
	}
	if name == "" {
		name = "UTC"
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		if flag != "" {
			return "", nil, fmt.Errorf("--tz %q: not a time zone name (want e.g. UTC, Europe/Berlin)", flag)
		}
		return "UTC", time.UTC, nil
	}
	return name, loc, nil
}

// effectiveTTL applies the default and the configured maximum.
func effectiveTTL(p createParams, def, max time.Duration) (time.Duration, []string) {
	ttl := def
	if p.ttlSet {
		ttl = p.TTL
	}
	var notes []string
	switch {
	case max > 0 && ttl == 0:
		notes = append(notes, fmt.Sprintf("shares.max_ttl is %s: the share expires then instead of never", max))
		ttl = max
	case max > 0 && ttl > max:
		notes = append(notes, fmt.Sprintf("--ttl %s is above shares.max_ttl: capped to %s", ttl, max))
		ttl = max
	case ttl == 0:
		notes = append(notes, "--ttl 0: this share never expires; revoke it with \"kshare share revoke\"")
	}
	return ttl, notes
}
