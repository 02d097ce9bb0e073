package datemath

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Kibana hands absolute dates to moment(), which accepts ISO 8601 and falls
// back to the browser's Date parser. These are the forms kshare meets in
// saved objects and URLs; each is matched whole.
var (
	// isoDate is moment's extended ISO 8601 form: a date, optionally a
	// time after "T" or a space, optionally an offset after the time.
	isoDate = regexp.MustCompile(`^(\d{4})-(\d\d)(?:-(\d\d)` +
		`(?:[T ](\d\d)(?::(\d\d)(?::(\d\d)(?:[.,](\d+))?)?)?` +
		`(Z|[+-]\d\d(?::?\d\d)?)?)?)?$`)

	// jsDate is JavaScript's Date.prototype.toString, which 6.x dashboards
	// store in timeFrom/timeTo: "Mon Apr 09 2018 17:56:08 GMT-0400 (EDT)".
	// The zone name in parentheses is optional and localised, so it is
	// ignored; so is the weekday, as JavaScript's parser does.
	jsDate = regexp.MustCompile(`^(?:Sun|Mon|Tue|Wed|Thu|Fri|Sat) ` +
		`(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d\d?) (\d{4}) ` +
		`(\d\d):(\d\d):(\d\d) GMT([+-]\d{4})(?: \([^()]+\))?$`)

	digitsOnly = regexp.MustCompile(`^-?\d+$`)
)

// TODO(kshare): moment also takes ISO week dates ("2026-W03-2"), ordinal
// dates ("2026-045"), six-digit years and, through the browser's Date
// parser, many informal forms. None has been seen in a dashboard or URL, so
// they are rejected until one is.

// fields is a parsed date before it is checked and placed in time.
type fields struct {
	y, mo, d, h, mi, s, ms int
	offset                 int  // seconds east of UTC, if hasOffset
	hasOffset              bool // false: the date is a wall reading in the evaluation zone
}

// parseDate parses an absolute date, interpreting one without an offset in
// loc. On failure it returns the reason instead.
func parseDate(s string, loc *time.Location) (time.Time, string) {
	var f fields
	var reason string
	switch {
	case digitsOnly.MatchString(s):
		return parseDigits(s, loc)
	case isoDate.MatchString(s):
		f, reason = isoFields(isoDate.FindStringSubmatch(s))
	case jsDate.MatchString(s):
		f, reason = jsFields(jsDate.FindStringSubmatch(s))
	default:
		return time.Time{}, "unparseable date"
	}
	if reason == "" {
		reason = f.check()
	}
	if reason != "" {
		return time.Time{}, reason
	}
	return f.time(loc), ""
}

// parseDigits reads a run of digits. Four to eight digits are moment's basic
// ISO dates (YYYY, YYYYMM, YYYYDDD, YYYYMMDD); as epoch milliseconds they
// would all fall on 1 January 1970, which no dashboard means. Anything else
// is epoch milliseconds, the form Kibana URLs and APIs use.
func parseDigits(s string, loc *time.Location) (time.Time, string) {
	if n := len(s); n >= 4 && n <= 8 && s[0] != '-' {
		y, _ := strconv.Atoi(s[:4])
		f := fields{y: y, mo: 1, d: 1}
		switch n {
		case 5:
			return time.Time{}, "unparseable date"
		case 6:
			f.mo, _ = strconv.Atoi(s[4:])
		case 7:
			f.d, _ = strconv.Atoi(s[4:])
			if f.d < 1 || f.d > daysInYear(y) {
				return time.Time{}, fmt.Sprintf("invalid day of year %q", s[4:])
			}
			return f.time(loc), ""
		case 8:
			f.mo, _ = strconv.Atoi(s[4:6])
			f.d, _ = strconv.Atoi(s[6:])
		}
		if reason := f.check(); reason != "" {
			return time.Time{}, reason
		}
		return f.time(loc), ""
	}
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms < -maxMillis || ms > maxMillis {
		return time.Time{}, "date out of range"
	}
	return time.UnixMilli(ms).In(loc), ""
}

// isoFields reads the submatches of isoDate.
func isoFields(m []string) (fields, string) {
	f := fields{mo: 1, d: 1}
	f.y, _ = strconv.Atoi(m[1])
	f.mo, _ = strconv.Atoi(m[2])
	if m[3] != "" {
		f.d, _ = strconv.Atoi(m[3])
	}
	f.h, _ = strconv.Atoi(m[4]) // empty submatches read as 0
	f.mi, _ = strconv.Atoi(m[5])
	f.s, _ = strconv.Atoi(m[6])
	if frac := m[7]; frac != "" {
		// moment keeps milliseconds and drops finer digits.
		frac = (frac + "00")[:3]
		f.ms, _ = strconv.Atoi(frac)
	}
	switch zone := m[8]; {
	case zone == "Z":
		f.hasOffset = true
	case zone != "":
		f.hasOffset = true
		return f, f.parseOffset(zone)
	}
	return f, ""
}

// jsFields reads the submatches of jsDate.
func jsFields(m []string) (fields, string) {
	var f fields
	mo, _ := time.Parse("Jan", m[1])
	f.mo = int(mo.Month())
	f.d, _ = strconv.Atoi(m[2])
	f.y, _ = strconv.Atoi(m[3])
	f.h, _ = strconv.Atoi(m[4])
	f.mi, _ = strconv.Atoi(m[5])
	f.s, _ = strconv.Atoi(m[6])
	f.hasOffset = true
	return f, f.parseOffset(m[7])
}

// parseOffset reads "+hh", "+hhmm" or "+hh:mm" into f.offset.
func (f *fields) parseOffset(z string) string {
	digits := z[1:]
	if len(digits) == 5 {
		digits = digits[:2] + digits[3:]
	}
	h, _ := strconv.Atoi(digits[:2])
	m := 0
	if len(digits) == 4 {
		m, _ = strconv.Atoi(digits[2:])
	}
	if h > 23 || m > 59 {
		return fmt.Sprintf("invalid offset %q", z)
	}
	f.offset = (h*60 + m) * 60
	if z[0] == '-' {
		f.offset = -f.offset
	}
	return ""
}

// check rejects impossible fields, as moment marks such dates invalid
// rather than rolling them over. Hour 24 is allowed only as 24:00:00.000,
// which moment reads as midnight at the end of the day.
func (f *fields) check() string {
	switch {
	case f.mo < 1 || f.mo > 12:
		return fmt.Sprintf("invalid month %02d", f.mo)
	case f.d < 1 || f.d > daysIn(f.y, time.Month(f.mo)):
		return fmt.Sprintf("invalid day %02d", f.d)
	case f.h == 24 && f.mi == 0 && f.s == 0 && f.ms == 0:
		return ""
	case f.h > 23 || f.mi > 59 || f.s > 59:
		return fmt.Sprintf("invalid time %02d:%02d:%02d", f.h, f.mi, f.s)
	}
	return ""
}

// time places checked fields in time, in loc unless they carry an offset.
func (f fields) time(loc *time.Location) time.Time {
	ns := f.ms * int(time.Millisecond)
	if f.hasOffset {
		zone := time.FixedZone("", f.offset)
		return time.Date(f.y, time.Month(f.mo), f.d, f.h, f.mi, f.s, ns, zone).In(loc)
	}
	w := wall{y: f.y, mo: time.Month(f.mo), d: f.d, h: f.h, mi: f.mi, s: f.s, ns: ns,
		offset: noOffset}
	return w.in(loc)
}
