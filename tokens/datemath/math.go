package datemath

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// unit is a date math unit. The names are case-sensitive, as in Kibana:
// "m" is a minute and "M" a month; Elasticsearch's "H" is not accepted.
type unit int

const (
	millisecond unit = iota
	second
	minute
	hour
	day
	week
	month
	year
)

var unitNames = map[string]unit{
	"ms": millisecond, "s": second, "m": minute, "h": hour,
	"d": day, "w": week, "M": month, "y": year,
}

// millis is the fixed length of u; for calendar units it is the shortest
// length, which is what the overflow check needs.
func (u unit) millis() int64 {
	switch u {
	case second:
		return 1000
	case minute:
		return 60 * 1000
	case hour:
		return 60 * 60 * 1000
	case day:
		return 24 * 60 * 60 * 1000
	case week:
		return 7 * 24 * 60 * 60 * 1000
	case month:
		return 28 * 24 * 60 * 60 * 1000
	case year:
		return 365 * 24 * 60 * 60 * 1000
	}
	return 1
}

// op is one step of date math: add, subtract or round.
type op struct {
	kind byte // '+', '-' or '/'
	n    int64
	unit unit
	text string // the step as written, for error messages
}

// errOutOfRange is reported when a step leaves the range of a JavaScript
// Date, which is where Kibana's moment gives up too.
var errOutOfRange = errors.New("result out of range")

// parseMath splits math into steps. Errors name the step they are in.
func parseMath(expr, math string) ([]op, error) {
	var ops []op
	for i := 0; i < len(math); {
		o, next, err := parseOp(expr, math, i)
		if err != nil {
			return nil, err
		}
		ops = append(ops, o)
		i = next
	}
	return ops, nil
}

// parseOp reads the step that starts at math[i] and returns it with the
// index just past it.
func parseOp(expr, math string, i int) (op, int, error) {
	kind := math[i]
	if kind != '+' && kind != '-' && kind != '/' {
		return op{}, 0, badOperator(expr, math[i:])
	}
	digitsEnd := scan(math, i+1, isDigit)
	end := scan(math, digitsEnd, isLetter)
	digits, name := math[i+1:digitsEnd], math[digitsEnd:end]
	text := math[i:end]
	fail := func(reason string) (op, int, error) {
		return op{}, 0, &Error{Expr: expr, Part: text, Reason: reason}
	}
	switch {
	case name == "" && digitsEnd < len(math) && math[digitsEnd] == '.':
		// Kibana's own tests reject "now/0.5y"; say why instead of
		// reporting a missing unit after "0".
		text = math[i:scan(math, scan(math, digitsEnd+1, isDigit), isLetter)]
		return fail("count must be a whole number")
	case name == "":
		return fail("missing unit")
	}
	u, ok := unitNames[name]
	if !ok {
		return fail(fmt.Sprintf("unknown unit %q", name))
	}
	n := int64(1)
	if digits != "" {
		var err error
		if n, err = strconv.ParseInt(digits, 10, 64); err != nil {
			return fail("number too large")
		}
	}
	if kind == '/' && n != 1 {
		// Kibana rounds only to whole single units: "/d" or "/1d".
		return fail(fmt.Sprintf("rounding needs a count of 1, not %s", digits))
	}
	return op{kind: kind, n: n, unit: u, text: text}, end, nil
}

// badOperator explains a character that cannot start a step. A punctuation
// mark followed by a count or unit ("now*2d") reads as a wrong operator;
// anything else ("now-1d)", "now-1d 5", "nowadays") as trailing text.
func badOperator(expr, rest string) error {
	if len(rest) > 1 && isPunct(rest[0]) && (isDigit(rest[1]) || isLetter(rest[1])) {
		end := scan(rest, scan(rest, 1, isDigit), isLetter)
		return &Error{Expr: expr, Part: rest[:end],
			Reason: fmt.Sprintf("unknown operator %q", rest[:1])}
	}
	return &Error{Expr: expr, Part: rest, Reason: "unexpected text"}
}

// apply performs the step on t, which is in the evaluation zone.
func (o op) apply(t time.Time, opt Options) (time.Time, error) {
	if o.kind == '/' {
		return round(t, o.unit, opt.RoundUp, opt.WeekStart), nil
	}
	// Any count above this leaves the JavaScript Date range from any start,
	// and staying below it keeps the arithmetic far from int64 overflow.
	if o.n > 2*maxMillis/o.unit.millis() {
		return time.Time{}, errOutOfRange
	}
	n := o.n
	if o.kind == '-' {
		n = -n
	}
	r := add(t, n, o.unit)
	if !inRange(r) {
		return time.Time{}, errOutOfRange
	}
	return r, nil
}

func scan(s string, i int, ok func(byte) bool) int {
	for i < len(s) && ok(s[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isPunct(c byte) bool  { return strings.IndexByte("!\"#$%&'()*,.:;<=>?@[\\]^_`{|}~", c) >= 0 }
