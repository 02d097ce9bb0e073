package tokens

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Mode says which time range a share shows.
type Mode string

// Share modes.
const (
	// Snapshot shares show a fixed, absolute time window (Share.From/To).
	Snapshot Mode = "snapshot"
	// Saved shares show the time range saved with the Kibana object.
	Saved Mode = "saved"
)

// Object kinds a share can point at.
const (
	KindDashboard     = "dashboard"
	KindVisualization = "visualization"
	KindLens          = "lens"
)

// Limits on free-text fields, so a record stays small and printable.
const (
	maxObjectLen = 256
	maxLabelLen  = 200 // characters, not bytes
	maxExprLen   = 256
)

// Share is everything the proxy needs about one share.
type Share struct {
	ID       string    // non-secret share ID, part of the key name
	Mode     Mode      // Snapshot or Saved
	Kind     string    // "dashboard" | "visualization" | "lens"
	ObjectID string    // Kibana saved-object ID
	Space    string    // Kibana space ID; "" = default space
	From, To time.Time // snapshot: absolute UTC window; zero for saved shares

	// FromExpr and ToExpr are what the admin asked for (e.g. "now-24h"),
	// kept for display only; From and To are authoritative.
	FromExpr, ToExpr string

	TZ      string    // IANA zone name, e.g. "UTC", "Europe/Berlin"
	Label   string    // free text for the admin, at most 200 characters
	Created time.Time // when the share was created, UTC
	Paused  bool      // a paused share is kept but refuses recipients

	// Banner is "on" or "off" to override the configured time-frame banner
	// for this share; "" follows the configuration.
	Banner string
	// FrameAncestors are the origins (https://host[:port]) allowed to frame
	// this share, on top of the configured ones; empty adds none.
	FrameAncestors []string
	// Filters is the share's per-link data filter as JSON (see the proxy's
	// search enforcement); "" means none.
	Filters string
}

// Limits on the optional fields.
const (
	maxFrameAncestors = 16
	maxFiltersLen     = 8 << 10
)

var originRE = regexp.MustCompile(`^https?://[a-z0-9.\-]+(:[0-9]{1,5})?$`)

var spaceRE = regexp.MustCompile(`^[a-z0-9_\-]*$`)

// Validate checks sh against the share rules and reports every problem it
// finds in one error wrapping [ErrInvalid]. It ignores ID and Created, which
// Create assigns. An empty TZ is accepted and means UTC.
func (sh Share) Validate() error {
	var bad []string
	add := func(format string, args ...any) {
		bad = append(bad, fmt.Sprintf(format, args...))
	}
	switch sh.Mode {
	case Snapshot:
		if sh.From.IsZero() || sh.To.IsZero() {
			add("snapshot share needs from and to")
		} else if sh.From.After(sh.To) {
			add("from %s is after to %s", stamp(sh.From), stamp(sh.To))
		}
	case Saved:
		if !sh.From.IsZero() || !sh.To.IsZero() {
			add("saved share must not carry from or to")
		}
	default:
		add("mode %s is not snapshot or saved", clip(string(sh.Mode)))
	}
	if !validKind(sh.Kind) {
		add("kind %s is not dashboard, visualization or lens", clip(sh.Kind))
	}
	if p := checkText(sh.ObjectID, maxObjectLen); p != "" || sh.ObjectID == "" {
		add("object id %s", orEmpty(p))
	}
	if !spaceRE.MatchString(sh.Space) {
		add("space %s does not match %s", clip(sh.Space), spaceRE)
	}
	if p := checkText(sh.FromExpr, maxExprLen); p != "" {
		add("from expression %s", p)
	}
	if p := checkText(sh.ToExpr, maxExprLen); p != "" {
		add("to expression %s", p)
	}
	if err := checkTZ(sh.TZ); err != "" {
		add("tz %s %s", clip(sh.TZ), err)
	}
	if p := checkText(sh.Label, maxLabelLen); p != "" {
		add("label %s", p)
	}
	if sh.Banner != "" && sh.Banner != "on" && sh.Banner != "off" {
		add("banner %s is not on or off", clip(sh.Banner))
	}
	if len(sh.FrameAncestors) > maxFrameAncestors {
		add("more than %d frame ancestors", maxFrameAncestors)
	}
	for _, o := range sh.FrameAncestors {
		if !originRE.MatchString(o) {
			add("frame ancestor %s is not an origin such as https://example.com", clip(o))
		}
	}
	if len(sh.Filters) > maxFiltersLen || (sh.Filters != "" && !json.Valid([]byte(sh.Filters))) {
		add("filters are not JSON of at most %d bytes", maxFiltersLen)
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(bad, "; "))
	}
	return nil
}

func validKind(k string) bool {
	return k == KindDashboard || k == KindVisualization || k == KindLens
}

func validMode(m Mode) bool { return m == Snapshot || m == Saved }

// checkText returns what is wrong with a free-text field, or "".
func checkText(s string, maxChars int) string {
	switch {
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case utf8.RuneCountInString(s) > maxChars:
		return fmt.Sprintf("is longer than %d characters", maxChars)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "contains control characters"
	}
	return ""
}

func orEmpty(problem string) string {
	if problem == "" {
		return "is empty"
	}
	return problem
}

// checkTZ rejects "Local": it would mean the zone of whichever machine
// renders the share, not one the admin chose.
func checkTZ(tz string) string {
	if tz == "Local" {
		return "is not an IANA zone name"
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return "is not a known time zone"
	}
	return ""
}

// clip quotes a user-supplied value for an error message and cuts it short,
// so that a megabyte of garbage does not end up in a log line.
func clip(s string) string {
	const max = 40
	if len(s) > max {
		s = s[:max] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// Hash field names of a share record.
const (
	fVersion  = "v"
	fMode     = "mode"
	fKind     = "kind"
	fObject   = "object"
	fSpace    = "space"
	fFrom     = "from"
	fTo       = "to"
	fFromExpr = "from_expr"
	fToExpr   = "to_expr"
	fTZ       = "tz"
	fLabel    = "label"
	fCreated  = "created"
	fPaused   = "paused"
	fSecret   = "secret"
	fBanner   = "banner"
	fFrames   = "frame_ancestors"
	fFilters  = "filters"

	recordVersion = "1"
)

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseStamp(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t.UTC(), err == nil
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// encode returns the hash fields of sh, except the secret, as alternating
// field/value pairs in a fixed order.
func encode(sh Share) []string {
	kv := []string{
		fVersion, recordVersion,
		fMode, string(sh.Mode),
		fKind, sh.Kind,
		fObject, sh.ObjectID,
		fSpace, sh.Space,
		fFromExpr, sh.FromExpr,
		fToExpr, sh.ToExpr,
		fTZ, sh.TZ,
		fLabel, sh.Label,
		fCreated, stamp(sh.Created),
		fPaused, flag(sh.Paused),
		fBanner, sh.Banner,
		fFrames, strings.Join(sh.FrameAncestors, " "),
		fFilters, sh.Filters,
	}
	if sh.Mode == Snapshot {
		kv = append(kv, fFrom, stamp(sh.From), fTo, stamp(sh.To))
	}
	return kv
}

// decode turns a share hash back into a Share. It reports false for a
// record it cannot trust: a required field missing, an unknown version or an
// unparseable value. It checks syntax only; TZ is not loaded here because
// time.LoadLocation reads the zone database on every call, and Create and
// Update have already checked it.
func decode(id string, rec map[string]string) (Share, bool) {
	sh, bad := decodeField(id, rec)
	return sh, bad == ""
}

// decodeField is decode that names the first field it rejects.
func decodeField(id string, rec map[string]string) (sh Share, bad string) {
	sh = Share{
		ID:       id,
		Mode:     Mode(rec[fMode]),
		Kind:     rec[fKind],
		ObjectID: rec[fObject],
		Space:    rec[fSpace],
		FromExpr: rec[fFromExpr],
		ToExpr:   rec[fToExpr],
		TZ:       rec[fTZ],
		Label:    rec[fLabel],
		Banner:   rec[fBanner],
		Filters:  rec[fFilters],
	}
	if f := strings.Fields(rec[fFrames]); len(f) > 0 {
		sh.FrameAncestors = f
	}
	var okCreated, okPaused, okFrom, okTo bool
	sh.Created, okCreated = parseStamp(rec[fCreated])
	sh.Paused, okPaused = parseFlag(rec[fPaused])
	if sh.Mode == Snapshot {
		sh.From, okFrom = parseStamp(rec[fFrom])
		sh.To, okTo = parseStamp(rec[fTo])
	} else {
		okFrom, okTo = true, true
	}
	for _, c := range [...]struct {
		field string
		ok    bool
	}{
		{fVersion, rec[fVersion] == recordVersion},
		{fMode, validMode(sh.Mode)},
		{fKind, validKind(sh.Kind)},
		{fObject, sh.ObjectID != ""},
		{fSpace, spaceRE.MatchString(sh.Space)},
		{fCreated, okCreated},
		{fPaused, okPaused},
		{fFrom, okFrom},
		{fTo, okTo},
	} {
		if !c.ok {
			return sh, c.field
		}
	}
	return sh, ""
}

// parseFlag treats a missing paused field as "not paused": the field is not
// required, so that a share hand-written with redis-cli works.
func parseFlag(s string) (bool, bool) {
	switch s {
	case "", "0":
		return false, true
	case "1":
		return true, true
	}
	return false, false
}
