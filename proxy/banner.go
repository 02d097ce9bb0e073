package proxy

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/tokens"
)

// bannerOn tells whether a share's page carries the time-frame banner: the
// share's own setting, else the configured default for its mode.
func (s *Server) bannerOn(sh *tokens.Share) bool {
	switch sh.Banner {
	case "on":
		return true
	case "off":
		return false
	}
	if sh.Mode == tokens.Snapshot {
		return s.opt.BannerSnapshot
	}
	return s.opt.BannerSaved
}

// bannerText names the window a share shows in plain words, in the share's
// time zone: "Data from 1 Dec 2026 00:00 to 2 Dec 2026 00:00 UTC", or for a
// saved-object share "Last 24 hours", plus the share's label.
func bannerText(sh *tokens.Share, pin kbn.Pin) string {
	loc, err := time.LoadLocation(sh.TZ)
	if err != nil || sh.TZ == "" {
		loc = time.UTC
	}
	var text string
	if sh.Mode == tokens.Snapshot {
		const layout = "2 Jan 2006 15:04"
		from, to := sh.From.In(loc), sh.To.In(loc)
		text = fmt.Sprintf("Data from %s to %s %s", from.Format(layout), to.Format(layout), zoneName(to, sh.TZ))
	} else {
		text = describeRange(pin.From, pin.To) + " (" + zoneName(time.Now().In(loc), sh.TZ) + ")"
	}
	if sh.Label != "" {
		text = sh.Label + " · " + text
	}
	return text
}

func zoneName(t time.Time, tz string) string {
	if tz == "" || tz == "UTC" {
		return "UTC"
	}
	abbr, _ := t.Zone()
	return tz + " (" + abbr + ")"
}

var lastRE = regexp.MustCompile(`^now-([0-9]+)(ms|s|m|h|d|w|M|y)$`)

var unitWords = map[string]string{"ms": "millisecond", "s": "second", "m": "minute", "h": "hour",
	"d": "day", "w": "week", "M": "month", "y": "year"}

// describeRange says a saved range in words the way Kibana's quick ranges
// do ("Last 24 hours"); other ranges are shown as written.
func describeRange(from, to string) string {
	if m := lastRE.FindStringSubmatch(from); m != nil && to == "now" {
		n, _ := strconv.Atoi(m[1])
		unit := unitWords[m[2]]
		if n != 1 {
			unit += "s"
		}
		return fmt.Sprintf("Last %d %s", n, unit)
	}
	switch {
	case from == "now/d" && to == "now/d":
		return "Today"
	case from == "now/w" && to == "now/w":
		return "This week"
	}
	return "From " + from + " to " + to
}
