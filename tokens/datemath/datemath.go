// Package datemath evaluates Kibana date math such as "now-15m", "now/d" or
// "2026-01-01||+1M/M" the way Kibana's @elastic/datemath (later @kbn/datemath,
// see kibana-api.md §4) does, so that kshare can pin a dashboard's relative
// time range to the instants Kibana itself would have queried.
//
// Kibana evaluates date math with moment.js. Where moment's behaviour is
// implicit (month-end clamping, DST gaps and repeated hours, week start) the
// choices here follow moment and say so beside the code.
//
// Absolute dates may be written as
//
//   - ISO 8601 / RFC 3339, with or without time, seconds, fraction and
//     offset: "2026-01-01", "2026-01-01T10:00", "2026-01-01 10:00:00",
//     "2026-01-01T10:00:00.123+02:00", "2018-04-09T21:56:08.000Z";
//   - JavaScript's Date.toString, which 6.x dashboards store:
//     "Mon Apr 09 2018 17:56:08 GMT-0400", optionally followed by
//     " (EDT)" or " (Eastern Daylight Time)";
//   - epoch milliseconds, "1523310968000"; a run of four to eight digits is
//     instead read as moment's basic ISO date ("2026", "20260214").
//
// Dates without an offset are wall-clock readings in Options.Location.
//
// Results have millisecond precision, like a JavaScript Date: sub-millisecond
// parts of Options.Now and of parsed dates are truncated. They are limited to
// the JavaScript Date range (about ±275,000 years around 1970).
package datemath

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Options control how an expression is evaluated.
type Options struct {
	// Now is the instant "now" stands for. It is required: a zero Now makes
	// Parse fail with ErrNoNow, even for absolute dates, so that a forgotten
	// clock shows up at once rather than on the first relative expression.
	Now time.Time
	// RoundUp makes "/unit" go to the last millisecond of the unit (moment's
	// endOf) instead of its start. Kibana sets it for the `to` bound only.
	RoundUp bool
	// Location is the zone used for rounding, for calendar arithmetic
	// (d, w, M, y) and for dates written without an offset. Kibana takes it
	// from dateFormat:tz. Nil means UTC.
	Location *time.Location
	// WeekStart is the first day of the week for "/w" (Kibana's
	// dateFormat:dow). The zero value is Sunday, moment's default.
	WeekStart time.Weekday
}

// ErrNoNow is returned when Options.Now is the zero time.
var ErrNoNow = errors.New("options.Now is not set")

// ErrReversed is returned by Range when from evaluates to a later instant
// than to.
var ErrReversed = errors.New("from is after to")

// Error describes an expression that is not valid date math. Parse returns
// it as a *Error for every kind of bad input.
type Error struct {
	// Expr is the whole expression as given.
	Expr string
	// Part is the offending piece of Expr, e.g. "-5x" in "now-5x"; it is
	// empty only when there is nothing to point at (an empty expression, a
	// missing date before "||").
	Part string
	// Reason says what is wrong with Part, e.g. `unknown unit "x"`.
	Reason string
}

// Error formats e as `date math "now-5x": unknown unit "x" in "-5x"`.
func (e *Error) Error() string {
	if e.Part == "" {
		return fmt.Sprintf("date math %q: %s", e.Expr, e.Reason)
	}
	return fmt.Sprintf("date math %q: %s in %q", e.Expr, e.Reason, e.Part)
}

// Parse evaluates expr and returns the instant it stands for, in UTC.
//
// expr is "now" or an absolute date, optionally followed by math; an absolute
// date is separated from its math by "||" ("2026-01-01||+1M/M"). Math is a
// sequence of "+N<unit>", "-N<unit>" and "/<unit>" (N defaults to 1) with the
// units ms s m h d w M y. See the package documentation for the date forms.
func Parse(expr string, opt Options) (time.Time, error) {
	if opt.Now.IsZero() {
		return time.Time{}, fmt.Errorf("date math %q: %w", expr, ErrNoNow)
	}
	if strings.TrimSpace(expr) == "" {
		return time.Time{}, &Error{Expr: expr, Part: expr, Reason: "empty expression"}
	}
	loc := opt.Location
	if loc == nil {
		loc = time.UTC
	}
	anchor, math, err := evalAnchor(expr, opt.Now, loc)
	if err != nil {
		return time.Time{}, err
	}
	ops, err := parseMath(expr, math)
	if err != nil {
		return time.Time{}, err
	}
	t := anchor
	for _, o := range ops {
		if t, err = o.apply(t, opt); err != nil {
			return time.Time{}, &Error{Expr: expr, Part: o.text, Reason: err.Error()}
		}
	}
	return t.UTC(), nil
}

// Range evaluates a time range the way Kibana's calculateBounds does: from
// without rounding up, to with rounding up, so "now/d" to "now/d" covers the
// whole day. opt.RoundUp is ignored. It fails with ErrReversed when from
// is after to; equal bounds are allowed.
func Range(from, to string, opt Options) (time.Time, time.Time, error) {
	opt.RoundUp = false
	start, err := Parse(from, opt)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	opt.RoundUp = true
	end, err := Parse(to, opt)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if start.After(end) {
		return time.Time{}, time.Time{}, fmt.Errorf("date range %q to %q: %w (%s > %s)",
			from, to, ErrReversed, start.Format(time.RFC3339Nano), end.Format(time.RFC3339Nano))
	}
	return start, end, nil
}

// IsRelative reports whether expr depends on the current time, that is
// whether it mentions "now". Like Kibana's own checks it looks at the text
// only; it does not validate expr.
func IsRelative(expr string) bool {
	return strings.Contains(expr, "now")
}

// WeekdayByName returns the weekday for an English day name as Kibana's
// dateFormat:dow setting stores it ("Sunday", "Monday", …). Case is ignored.
func WeekdayByName(name string) (time.Weekday, bool) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(name, d.String()) {
			return d, true
		}
	}
	return time.Sunday, false
}

// evalAnchor splits expr into its anchor and math and evaluates the anchor
// in loc. Like Kibana, only a leading "now" makes an expression relative;
// anything else is a date, with math only after "||".
func evalAnchor(expr string, now time.Time, loc *time.Location) (time.Time, string, error) {
	if rest, ok := strings.CutPrefix(expr, "now"); ok {
		t := now.Truncate(time.Millisecond).In(loc)
		if !inRange(t) {
			return time.Time{}, "", &Error{Expr: expr, Part: "now", Reason: "date out of range"}
		}
		return t, rest, nil
	}
	date, math, _ := strings.Cut(expr, "||")
	if date == "" {
		return time.Time{}, "", &Error{Expr: expr, Reason: `missing date before "||"`}
	}
	t, reason := parseDate(date, loc)
	if reason != "" {
		return time.Time{}, "", &Error{Expr: expr, Part: date, Reason: reason}
	}
	return t, math, nil
}
