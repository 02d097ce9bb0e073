package datemath

import (
	"errors"
	"testing"
	"time"

	// Embed the zone database so the zone tests do not depend on the host.
	_ "time/tzdata"
)

// layout shows results at Kibana's precision, always in UTC.
const layout = "2006-01-02T15:04:05.000Z07:00"

var (
	berlin   = mustLocation("Europe/Berlin")
	newYork  = mustLocation("America/New_York")
	kolkata  = mustLocation("Asia/Kolkata")
	saoPaulo = mustLocation("America/Sao_Paulo")
)

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// kibanaAnchor is the instant Kibana's own datemath tests use.
var kibanaAnchor = mustTime("2014-01-01T06:06:06.666Z")

// wednesday is a mid-week, mid-month instant for the rounding tests.
var wednesday = mustTime("2026-03-18T14:37:42.123Z")

// parseCase is one Parse call and the UTC instant it must return.
type parseCase struct {
	name string
	expr string
	opt  Options
	want string
}

func runParseCases(t *testing.T, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tc.expr, tc.opt)
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tc.expr, err)
			}
			if got.Location() != time.UTC {
				t.Errorf("Parse(%q) location = %v, want UTC", tc.expr, got.Location())
			}
			if s := got.Format(layout); s != tc.want {
				t.Errorf("Parse(%q) = %s, want %s", tc.expr, s, tc.want)
			}
		})
	}
}

// arithmetic mirrors Kibana's "subtraction" and "addition" tests: 5, 12 and
// 247 of every unit, relative to now and to the same instant anchored with ||.
var arithmetic = []struct{ math, want string }{
	{"+5ms", "2014-01-01T06:06:06.671Z"},
	{"-5ms", "2014-01-01T06:06:06.661Z"},
	{"+5s", "2014-01-01T06:06:11.666Z"},
	{"-5s", "2014-01-01T06:06:01.666Z"},
	{"+5m", "2014-01-01T06:11:06.666Z"},
	{"-5m", "2014-01-01T06:01:06.666Z"},
	{"+5h", "2014-01-01T11:06:06.666Z"},
	{"-5h", "2014-01-01T01:06:06.666Z"},
	{"+5d", "2014-01-06T06:06:06.666Z"},
	{"-5d", "2013-12-27T06:06:06.666Z"},
	{"+5w", "2014-02-05T06:06:06.666Z"},
	{"-5w", "2013-11-27T06:06:06.666Z"},
	{"+5M", "2014-06-01T06:06:06.666Z"},
	{"-5M", "2013-08-01T06:06:06.666Z"},
	{"+5y", "2019-01-01T06:06:06.666Z"},
	{"-5y", "2009-01-01T06:06:06.666Z"},
	{"+12ms", "2014-01-01T06:06:06.678Z"},
	{"-12ms", "2014-01-01T06:06:06.654Z"},
	{"+12s", "2014-01-01T06:06:18.666Z"},
	{"-12s", "2014-01-01T06:05:54.666Z"},
	{"+12m", "2014-01-01T06:18:06.666Z"},
	{"-12m", "2014-01-01T05:54:06.666Z"},
	{"+12h", "2014-01-01T18:06:06.666Z"},
	{"-12h", "2013-12-31T18:06:06.666Z"},
	{"+12d", "2014-01-13T06:06:06.666Z"},
	{"-12d", "2013-12-20T06:06:06.666Z"},
	{"+12w", "2014-03-26T06:06:06.666Z"},
	{"-12w", "2013-10-09T06:06:06.666Z"},
	{"+12M", "2015-01-01T06:06:06.666Z"},
	{"-12M", "2013-01-01T06:06:06.666Z"},
	{"+12y", "2026-01-01T06:06:06.666Z"},
	{"-12y", "2002-01-01T06:06:06.666Z"},
	{"+247ms", "2014-01-01T06:06:06.913Z"},
	{"-247ms", "2014-01-01T06:06:06.419Z"},
	{"+247s", "2014-01-01T06:10:13.666Z"},
	{"-247s", "2014-01-01T06:01:59.666Z"},
	{"+247m", "2014-01-01T10:13:06.666Z"},
	{"-247m", "2014-01-01T01:59:06.666Z"},
	{"+247h", "2014-01-11T13:06:06.666Z"},
	{"-247h", "2013-12-21T23:06:06.666Z"},
	{"+247d", "2014-09-05T06:06:06.666Z"},
	{"-247d", "2013-04-29T06:06:06.666Z"},
	{"+247w", "2018-09-26T06:06:06.666Z"},
	{"-247w", "2009-04-08T06:06:06.666Z"},
	{"+247M", "2034-08-01T06:06:06.666Z"},
	{"-247M", "1993-06-01T06:06:06.666Z"},
	{"+247y", "2261-01-01T06:06:06.666Z"},
	{"-247y", "1767-01-01T06:06:06.666Z"},
}

func TestParseArithmetic(t *testing.T) {
	t.Parallel()
	var cases []parseCase
	for _, a := range arithmetic {
		cases = append(cases,
			parseCase{name: "now" + a.math, expr: "now" + a.math,
				opt: Options{Now: kibanaAnchor}, want: a.want},
			parseCase{name: "anchored" + a.math, expr: "2014-01-01T06:06:06.666Z||" + a.math,
				opt: Options{Now: wednesday}, want: a.want},
			// RoundUp only matters for rounding.
			parseCase{name: "roundUp" + a.math, expr: "now" + a.math,
				opt: Options{Now: kibanaAnchor, RoundUp: true}, want: a.want},
		)
	}
	cases = append(cases,
		parseCase{"now alone", "now", Options{Now: kibanaAnchor}, "2014-01-01T06:06:06.666Z"},
		parseCase{"count defaults to one", "now-d", Options{Now: kibanaAnchor},
			"2013-12-31T06:06:06.666Z"},
		parseCase{"explicit count of zero", "now+0y", Options{Now: kibanaAnchor},
			"2014-01-01T06:06:06.666Z"},
		parseCase{"leading zeros", "now-007m", Options{Now: kibanaAnchor},
			"2014-01-01T05:59:06.666Z"},
		parseCase{"several steps", "now-1h+30m-15s", Options{Now: kibanaAnchor},
			"2014-01-01T05:35:51.666Z"},
		parseCase{"sub-millisecond now is truncated", "now",
			Options{Now: kibanaAnchor.Add(999 * time.Microsecond)}, "2014-01-01T06:06:06.666Z"},
		parseCase{"now in another zone", "now", Options{Now: kibanaAnchor.In(kolkata)},
			"2014-01-01T06:06:06.666Z"},
	)
	runParseCases(t, cases)
}

func TestParseAnchored(t *testing.T) {
	t.Parallel()
	now := Options{Now: wednesday}
	runParseCases(t, []parseCase{
		{"month then round", "2026-01-01||+1M/M", now, "2026-02-01T00:00:00.000Z"},
		{"month then round up", "2026-01-01||+1M/M",
			Options{Now: wednesday, RoundUp: true}, "2026-02-28T23:59:59.999Z"},
		{"empty math", "2026-01-01||", now, "2026-01-01T00:00:00.000Z"},
		{"epoch millis anchor", "1523310968000||/d", now, "2018-04-09T00:00:00.000Z"},
		{"offset anchor rounds in UTC", "2026-01-01T23:30:00-05:00||/d", now,
			"2026-01-02T00:00:00.000Z"},
		{"offset anchor rounds in location", "2026-01-01T23:30:00-05:00||/d",
			Options{Now: wednesday, Location: newYork}, "2026-01-01T05:00:00.000Z"},
		{"javascript date anchor", "Mon Apr 09 2018 17:56:08 GMT-0400 (EDT)||/d",
			Options{Now: wednesday, Location: newYork}, "2018-04-09T04:00:00.000Z"},
		{"anchor ignores now", "2026-01-01||-1d", Options{Now: kibanaAnchor},
			"2025-12-31T00:00:00.000Z"},
	})
}

func TestParseRounding(t *testing.T) {
	t.Parallel()
	units := []struct{ unit, start, end string }{
		{"ms", "2026-03-18T14:37:42.123Z", "2026-03-18T14:37:42.123Z"},
		{"s", "2026-03-18T14:37:42.000Z", "2026-03-18T14:37:42.999Z"},
		{"m", "2026-03-18T14:37:00.000Z", "2026-03-18T14:37:59.999Z"},
		{"h", "2026-03-18T14:00:00.000Z", "2026-03-18T14:59:59.999Z"},
		{"d", "2026-03-18T00:00:00.000Z", "2026-03-18T23:59:59.999Z"},
		{"w", "2026-03-15T00:00:00.000Z", "2026-03-21T23:59:59.999Z"},
		{"M", "2026-03-01T00:00:00.000Z", "2026-03-31T23:59:59.999Z"},
		{"y", "2026-01-01T00:00:00.000Z", "2026-12-31T23:59:59.999Z"},
	}
	var cases []parseCase
	for _, u := range units {
		cases = append(cases,
			parseCase{"start of " + u.unit, "now/" + u.unit, Options{Now: wednesday}, u.start},
			parseCase{"end of " + u.unit, "now/" + u.unit,
				Options{Now: wednesday, RoundUp: true}, u.end},
			parseCase{"explicit count of one " + u.unit, "now/1" + u.unit,
				Options{Now: wednesday}, u.start},
		)
	}
	cases = append(cases,
		parseCase{"end of leap February", "2024-02-10||/M",
			Options{Now: wednesday, RoundUp: true}, "2024-02-29T23:59:59.999Z"},
		parseCase{"end of leap year", "2024-02-10||/y",
			Options{Now: wednesday, RoundUp: true}, "2024-12-31T23:59:59.999Z"},
		parseCase{"rounding an already round instant", "2026-03-01||/M",
			Options{Now: wednesday}, "2026-03-01T00:00:00.000Z"},
		parseCase{"before the epoch", "1969-12-31T23:59:59.500Z||/s",
			Options{Now: wednesday}, "1969-12-31T23:59:59.000Z"},
		parseCase{"before the epoch up", "1969-12-31T23:59:59.500Z||/s",
			Options{Now: wednesday, RoundUp: true}, "1969-12-31T23:59:59.999Z"},
	)
	runParseCases(t, cases)
}

func TestParseMathAndRounding(t *testing.T) {
	t.Parallel()
	now := Options{Now: wednesday}
	up := Options{Now: wednesday, RoundUp: true}
	runParseCases(t, []parseCase{
		{"yesterday at 08:50", "now-1d/d+8h+50m", now, "2026-03-17T08:50:00.000Z"},
		{"yesterday at 08:50 rounded up", "now-1d/d+8h+50m", up, "2026-03-18T08:49:59.999Z"},
		{"zero seconds then round", "now-0s/s", now, "2026-03-18T14:37:42.000Z"},
		{"17 seconds then round", "now-17s/s", now, "2026-03-18T14:37:25.000Z"},
		{"add 555ms round ms", "now+555ms/ms", now, "2026-03-18T14:37:42.678Z"},
		{"subtract 555ms round s", "now-555ms/s", now, "2026-03-18T14:37:41.000Z"},
		{"start of yesterday", "now/d-1d", now, "2026-03-17T00:00:00.000Z"},
		{"last day of month", "now/M+1M-1d", now, "2026-03-31T00:00:00.000Z"},
		{"previous week", "now-1w/w", now, "2026-03-08T00:00:00.000Z"},
		{"previous week up", "now-1w/w", up, "2026-03-14T23:59:59.999Z"},
		{"previous month", "now-1M/M", now, "2026-02-01T00:00:00.000Z"},
		{"previous month up", "now-1M/M", up, "2026-02-28T23:59:59.999Z"},
		{"two roundings", "now/M/y", now, "2026-01-01T00:00:00.000Z"},
		{"round then add hours", "now/h+90m", now, "2026-03-18T15:30:00.000Z"},
	})
}

func TestParseWeekStart(t *testing.T) {
	t.Parallel()
	sunday := mustTime("2026-03-15T10:00:00Z")
	opt := func(now time.Time, ws time.Weekday, up bool) Options {
		return Options{Now: now, WeekStart: ws, RoundUp: up}
	}
	runParseCases(t, []parseCase{
		{"sunday start", "now/w", opt(wednesday, time.Sunday, false), "2026-03-15T00:00:00.000Z"},
		{"sunday start up", "now/w", opt(wednesday, time.Sunday, true), "2026-03-21T23:59:59.999Z"},
		{"monday start", "now/w", opt(wednesday, time.Monday, false), "2026-03-16T00:00:00.000Z"},
		{"monday start up", "now/w", opt(wednesday, time.Monday, true), "2026-03-22T23:59:59.999Z"},
		{"tuesday start", "now/w", opt(wednesday, time.Tuesday, false), "2026-03-17T00:00:00.000Z"},
		{"wednesday start", "now/w", opt(wednesday, time.Wednesday, false),
			"2026-03-18T00:00:00.000Z"},
		{"wednesday start up", "now/w", opt(wednesday, time.Wednesday, true),
			"2026-03-24T23:59:59.999Z"},
		{"saturday start", "now/w", opt(wednesday, time.Saturday, false),
			"2026-03-14T00:00:00.000Z"},
		{"on a sunday, sunday start", "now/w", opt(sunday, time.Sunday, false),
			"2026-03-15T00:00:00.000Z"},
		{"on a sunday, monday start", "now/w", opt(sunday, time.Monday, false),
			"2026-03-09T00:00:00.000Z"},
		{"on a sunday, monday start up", "now/w", opt(sunday, time.Monday, true),
			"2026-03-15T23:59:59.999Z"},
		{"monday start across a year", "2026-01-01||/w", opt(wednesday, time.Monday, false),
			"2025-12-29T00:00:00.000Z"},
		{"berlin monday start", "now/w",
			Options{Now: mustTime("2026-03-29T10:00:00Z"), WeekStart: time.Monday,
				Location: berlin},
			"2026-03-22T23:00:00.000Z"},
		{"berlin monday start up across DST", "now/w",
			Options{Now: mustTime("2026-03-29T10:00:00Z"), WeekStart: time.Monday,
				Location: berlin, RoundUp: true}, "2026-03-29T21:59:59.999Z"},
	})
	// Kibana's own checks: the week starts on the locale's day, and ends
	// the day before the next start.
	for ws := time.Sunday; ws <= time.Saturday; ws++ {
		start, err := Parse("now-1w/w", Options{Now: wednesday, WeekStart: ws})
		if err != nil || start.Weekday() != ws {
			t.Errorf("week start %v: got %v (%v), %v", ws, start, start.Weekday(), err)
		}
		end, err := Parse("now-1w/w", Options{Now: wednesday, WeekStart: ws, RoundUp: true})
		if err != nil || end.Weekday() != (ws+6)%7 || end.Sub(start) != 7*24*time.Hour-1e6 {
			t.Errorf("week start %v: end %v (%v), %v", ws, end, end.Weekday(), err)
		}
	}
}

func TestParseTimeZones(t *testing.T) {
	t.Parallel()
	in := func(loc *time.Location, now string, up bool) Options {
		return Options{Now: mustTime(now), Location: loc, RoundUp: up}
	}
	runParseCases(t, []parseCase{
		// Europe/Berlin springs forward at 2026-03-29 01:00Z (02:00 → 03:00).
		{"berlin spring day start", "now/d", in(berlin, "2026-03-29T10:00:00Z", false),
			"2026-03-28T23:00:00.000Z"},
		{"berlin spring day end", "now/d", in(berlin, "2026-03-29T10:00:00Z", true),
			"2026-03-29T21:59:59.999Z"},
		{"berlin spring minus a day keeps wall clock", "now-1d",
			in(berlin, "2026-03-29T10:00:00Z", false), "2026-03-28T11:00:00.000Z"},
		{"berlin spring minus 24h is a duration", "now-24h",
			in(berlin, "2026-03-29T10:00:00Z", false), "2026-03-28T10:00:00.000Z"},
		{"berlin spring plus a week", "now+1w", in(berlin, "2026-03-25T10:00:00Z", false),
			"2026-04-01T09:00:00.000Z"},
		{"berlin into the gap moves forward", "now+1d",
			in(berlin, "2026-03-28T01:30:00Z", false), "2026-03-29T01:30:00.000Z"},
		// It falls back at 2026-10-25 01:00Z (03:00 → 02:00).
		{"berlin autumn day start", "now/d", in(berlin, "2026-10-25T12:00:00Z", false),
			"2026-10-24T22:00:00.000Z"},
		{"berlin autumn day end", "now/d", in(berlin, "2026-10-25T12:00:00Z", true),
			"2026-10-25T22:59:59.999Z"},
		{"berlin autumn minus a day keeps wall clock", "now-1d",
			in(berlin, "2026-10-25T12:00:00Z", false), "2026-10-24T11:00:00.000Z"},
		{"berlin repeated hour from winter keeps winter offset", "now-1d",
			in(berlin, "2026-10-26T01:30:00Z", false), "2026-10-25T01:30:00.000Z"},
		{"berlin repeated hour from summer keeps summer offset", "now+1d",
			in(berlin, "2026-10-24T00:30:00Z", false), "2026-10-25T00:30:00.000Z"},
		{"berlin first 02:30 rounds to first 02:00", "now/h",
			in(berlin, "2026-10-25T00:30:00Z", false), "2026-10-25T00:00:00.000Z"},
		{"berlin second 02:30 rounds to second 02:00", "now/h",
			in(berlin, "2026-10-25T01:30:00Z", false), "2026-10-25T01:00:00.000Z"},
		{"berlin month start in winter from summer", "now/M",
			in(berlin, "2026-03-29T10:00:00Z", false), "2026-02-28T23:00:00.000Z"},
		{"berlin year end", "now/y", in(berlin, "2026-03-29T10:00:00Z", true),
			"2026-12-31T22:59:59.999Z"},
		// America/New_York: the local day differs from the UTC day.
		{"new york evening day start", "now/d", in(newYork, "2026-03-18T02:00:00Z", false),
			"2026-03-17T04:00:00.000Z"},
		{"new york evening day end", "now/d", in(newYork, "2026-03-18T02:00:00Z", true),
			"2026-03-18T03:59:59.999Z"},
		{"new york DST day start", "now/d", in(newYork, "2026-03-08T17:00:00Z", false),
			"2026-03-08T05:00:00.000Z"},
		{"new york DST day end", "now/d", in(newYork, "2026-03-08T17:00:00Z", true),
			"2026-03-09T03:59:59.999Z"},
		{"new york into the gap moves forward", "now+1d",
			in(newYork, "2026-03-07T07:30:00Z", false), "2026-03-08T07:30:00.000Z"},
		{"new york gap wall clock moves forward", "2026-03-08T02:30",
			in(newYork, "2026-03-18T00:00:00Z", false), "2026-03-08T07:30:00.000Z"},
		{"new york repeated wall clock takes the first", "2026-11-01T01:30",
			in(newYork, "2026-03-18T00:00:00Z", false), "2026-11-01T05:30:00.000Z"},
		// Asia/Kolkata is +05:30 all year.
		{"kolkata day start", "now/d", in(kolkata, "2026-03-18T20:00:00Z", false),
			"2026-03-18T18:30:00.000Z"},
		{"kolkata day end", "now/d", in(kolkata, "2026-03-18T20:00:00Z", true),
			"2026-03-19T18:29:59.999Z"},
		{"kolkata hour start is on the local hour", "now/h",
			in(kolkata, "2026-03-18T20:00:00Z", false), "2026-03-18T19:30:00.000Z"},
		{"kolkata hour end", "now/h", in(kolkata, "2026-03-18T20:00:00Z", true),
			"2026-03-18T20:29:59.999Z"},
		// Brazil began DST at midnight in 2018: 2018-11-04 had no 00:00.
		{"sao paulo day without midnight", "now/d", in(saoPaulo, "2018-11-04T15:00:00Z", false),
			"2018-11-04T03:00:00.000Z"},
		{"sao paulo previous day end", "now-1d/d", in(saoPaulo, "2018-11-04T15:00:00Z", true),
			"2018-11-04T02:59:59.999Z"},
	})
}

func TestParseMonthEnd(t *testing.T) {
	t.Parallel()
	now := Options{Now: wednesday}
	runParseCases(t, []parseCase{
		{"jan 31 plus a month", "2026-01-31||+1M", now, "2026-02-28T00:00:00.000Z"},
		{"jan 31 plus a month in a leap year", "2024-01-31||+1M", now, "2024-02-29T00:00:00.000Z"},
		{"mar 31 minus a month", "2026-03-31||-1M", now, "2026-02-28T00:00:00.000Z"},
		{"may 31 plus a month", "2026-05-31||+1M", now, "2026-06-30T00:00:00.000Z"},
		{"clamping is per step", "2026-01-31||+1M+1M", now, "2026-03-28T00:00:00.000Z"},
		{"two months at once", "2026-01-31||+2M", now, "2026-03-31T00:00:00.000Z"},
		{"across a year end", "2026-12-31||+2M", now, "2027-02-28T00:00:00.000Z"},
		{"back across a year", "2026-01-15||-13M", now, "2024-12-15T00:00:00.000Z"},
		{"leap day plus a year", "2024-02-29||+1y", now, "2025-02-28T00:00:00.000Z"},
		{"leap day minus four years", "2024-02-29||-4y", now, "2020-02-29T00:00:00.000Z"},
		{"now minus a month keeps time", "now-1M",
			Options{Now: mustTime("2026-03-31T12:00:00Z")}, "2026-02-28T12:00:00.000Z"},
		{"berlin month end keeps wall clock", "now-1M",
			Options{Now: mustTime("2026-03-31T10:00:00Z"), Location: berlin},
			"2026-02-28T11:00:00.000Z"},
	})
}

func TestParseAbsolute(t *testing.T) {
	t.Parallel()
	utc := Options{Now: wednesday}
	at := func(loc *time.Location) Options { return Options{Now: wednesday, Location: loc} }
	const legacy = "2018-04-09T21:56:08.000Z"
	runParseCases(t, []parseCase{
		// The forms 6.x dashboards store in timeFrom/timeTo.
		{"6.x js date", "Mon Apr 09 2018 17:56:08 GMT-0400", utc, legacy},
		{"6.x js date with abbreviation", "Mon Apr 09 2018 17:56:08 GMT-0400 (EDT)", utc, legacy},
		{"6.x js date with zone name",
			"Mon Apr 09 2018 17:56:08 GMT-0400 (Eastern Daylight Time)", utc, legacy},
		{"6.x js date ignores location", "Mon Apr 09 2018 17:56:08 GMT-0400 (EDT)",
			at(berlin), legacy},
		{"6.x js date with localised zone name",
			"Mon Apr 09 2018 23:56:08 GMT+0200 (Mitteleuropäische Sommerzeit)", utc, legacy},
		{"6.x moment iso", "2018-04-09T21:56:08.000Z", utc, legacy},
		{"6.x moment iso ignores location", "2018-04-09T21:56:08.000Z", at(kolkata), legacy},
		{"epoch millis", "1523310968000", utc, legacy},
		{"epoch millis ignores location", "1523310968000", at(newYork), legacy},
		{"epoch zero", "0", utc, "1970-01-01T00:00:00.000Z"},
		{"negative epoch millis", "-1000", utc, "1969-12-31T23:59:59.000Z"},
		{"latest javascript date", "8640000000000000", utc, "275760-09-13T00:00:00.000Z"},
		// ISO 8601 / RFC 3339.
		{"date only", "2026-01-01", utc, "2026-01-01T00:00:00.000Z"},
		{"date only in new york", "2026-01-01", at(newYork), "2026-01-01T05:00:00.000Z"},
		{"date only in kolkata", "2026-01-01", at(kolkata), "2025-12-31T18:30:00.000Z"},
		{"year and month", "2026-02", utc, "2026-02-01T00:00:00.000Z"},
		{"hour only", "2026-01-01T10", utc, "2026-01-01T10:00:00.000Z"},
		{"minutes", "2026-01-01T10:00", utc, "2026-01-01T10:00:00.000Z"},
		{"minutes in berlin", "2026-01-01T10:00", at(berlin), "2026-01-01T09:00:00.000Z"},
		{"utc", "2026-01-01T10:00:00Z", utc, "2026-01-01T10:00:00.000Z"},
		{"millis and offset", "2026-01-01T10:00:00.123+02:00", utc, "2026-01-01T08:00:00.123Z"},
		{"space separator", "2026-01-01 10:00:00", utc, "2026-01-01T10:00:00.000Z"},
		{"space separator in new york", "2026-01-01 10:00:00", at(newYork),
			"2026-01-01T15:00:00.000Z"},
		{"offset without colon", "2026-01-01T10:00:00+0530", utc, "2026-01-01T04:30:00.000Z"},
		{"offset hours only", "2026-01-01T10:00:00-08", utc, "2026-01-01T18:00:00.000Z"},
		{"nanoseconds truncated", "2026-01-01T10:00:00.123999999Z", utc,
			"2026-01-01T10:00:00.123Z"},
		{"one fraction digit", "2026-01-01T10:00:00.5Z", utc, "2026-01-01T10:00:00.500Z"},
		{"comma fraction", "2026-01-01T10:00:00,25Z", utc, "2026-01-01T10:00:00.250Z"},
		{"hour 24 is next midnight", "2026-01-01T24:00", utc, "2026-01-02T00:00:00.000Z"},
		{"leap day", "2024-02-29", utc, "2024-02-29T00:00:00.000Z"},
		{"wall clock in gap moves forward", "2026-03-29T02:30", at(berlin),
			"2026-03-29T01:30:00.000Z"},
		{"repeated wall clock takes the first", "2026-10-25T02:30", at(berlin),
			"2026-10-25T00:30:00.000Z"},
		// moment's basic ISO dates.
		{"basic year", "2026", utc, "2026-01-01T00:00:00.000Z"},
		{"basic year month", "202602", utc, "2026-02-01T00:00:00.000Z"},
		{"basic ordinal", "2026045", utc, "2026-02-14T00:00:00.000Z"},
		{"basic date", "20260214", at(newYork), "2026-02-14T05:00:00.000Z"},
	})
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, expr, part, reason string
	}{
		{"empty", "", "", "empty expression"},
		{"blank", "   ", "   ", "empty expression"},
		{"unknown unit", "now-5x", "-5x", `unknown unit "x"`},
		{"unknown unit f", "now+5f", "+5f", `unknown unit "f"`},
		{"elasticsearch hour alias", "now-1H", "-1H", `unknown unit "H"`},
		{"quarter", "now-1q", "-1q", `unknown unit "q"`},
		{"upper case day", "now/D", "/D", `unknown unit "D"`},
		{"unit with extra letters", "now-1dd", "-1dd", `unknown unit "dd"`},
		{"unit after good steps", "now-1d/d+8x", "+8x", `unknown unit "x"`},
		{"unknown operator", "now&1d", "&1d", `unknown operator "&"`},
		{"unknown operator star", "now-1d*2d", "*2d", `unknown operator "*"`},
		{"minus alone", "now-", "-", "missing unit"},
		{"plus alone", "now+", "+", "missing unit"},
		{"slash alone", "now/", "/", "missing unit"},
		{"trailing operator", "now-1d/d+", "+", "missing unit"},
		{"count without unit", "now-0", "-0", "missing unit"},
		{"double zero without unit", "now-00", "-00", "missing unit"},
		{"triple zero without unit", "now-000", "-000", "missing unit"},
		{"space before unit", "now-5 d", "-5", "missing unit"},
		{"double sign", "now--5d", "-", "missing unit"},
		{"round by two", "now/2y", "/2y", "rounding needs a count of 1, not 2"},
		{"round by zero", "now/0d", "/0d", "rounding needs a count of 1, not 0"},
		{"round by half", "now/0.5y", "/0.5y", "count must be a whole number"},
		{"fractional count", "now-1.5h", "-1.5h", "count must be a whole number"},
		{"closing parenthesis", "now-1d)", ")", "unexpected text"},
		{"trailing space", "now-1d ", " ", "unexpected text"},
		{"trailing digit", "now-1d5", "5", "unexpected text"},
		{"word starting with now", "nowadays", "adays", "unexpected text"},
		{"now with bars", "now||-1d", "||-1d", "unexpected text"},
		{"now after bars", "2026-01-01||now", "now", "unexpected text"},
		{"count overflows int64", "now-99999999999999999999d", "-99999999999999999999d",
			"number too large"},
		{"years out of range", "now+300000y", "+300000y", "result out of range"},
		{"huge years", "now-9223372036854775807y", "-9223372036854775807y",
			"result out of range"},
		{"huge millis", "now+9000000000000000000ms", "+9000000000000000000ms",
			"result out of range"},
		{"days out of range", "now-1000000000d", "-1000000000d", "result out of range"},
		{"months out of range", "2026-01-01||+3300000M", "+3300000M", "result out of range"},
		{"garbage", "garbage", "garbage", "unparseable date"},
		{"upper case now", "NOW", "NOW", "unparseable date"},
		{"leading space", " now", " now", "unparseable date"},
		{"missing date before bars", "||+1d", "", `missing date before "||"`},
		{"bad date before bars", "garbage||+1d", "garbage", "unparseable date"},
		{"bad math after date", "2026-01-01||+1x", "+1x", `unknown unit "x"`},
		{"month 13", "2026-13-01", "2026-13-01", "invalid month 13"},
		{"month 0", "2026-00-01", "2026-00-01", "invalid month 00"},
		{"february 30", "2026-02-30", "2026-02-30", "invalid day 30"},
		{"february 29 in a common year", "2026-02-29||/d", "2026-02-29", "invalid day 29"},
		{"hour 25", "2026-01-01T25:00", "2026-01-01T25:00", "invalid time 25:00:00"},
		{"hour 24 with minutes", "2026-01-01T24:30", "2026-01-01T24:30", "invalid time 24:30:00"},
		{"leap second", "2026-01-01T23:59:60Z", "2026-01-01T23:59:60Z", "invalid time 23:59:60"},
		{"offset hour 25", "2026-01-01T10:00:00+25:00", "2026-01-01T10:00:00+25:00",
			`invalid offset "+25:00"`},
		{"lower case t", "2026-01-01t10:00", "2026-01-01t10:00", "unparseable date"},
		{"offset on a date", "2026-01-01Z", "2026-01-01Z", "unparseable date"},
		{"trailing text after date", "2026-01-01T10:00:00Z junk", "2026-01-01T10:00:00Z junk",
			"unparseable date"},
		{"epoch beyond int64", "99999999999999999999", "99999999999999999999",
			"date out of range"},
		{"epoch beyond javascript", "8640000000000001", "8640000000000001", "date out of range"},
		{"five digits", "20261", "20261", "unparseable date"},
		{"ordinal 366 in a common year", "2026366", "2026366", `invalid day of year "366"`},
		{"basic month 13", "202613", "202613", "invalid month 13"},
		{"js date april 31", "Mon Apr 31 2018 17:56:08 GMT-0400",
			"Mon Apr 31 2018 17:56:08 GMT-0400", "invalid day 31"},
		{"js date unclosed zone name", "Mon Apr 09 2018 17:56:08 GMT-0400 (EDT",
			"Mon Apr 09 2018 17:56:08 GMT-0400 (EDT", "unparseable date"},
		{"js date without offset", "Mon Apr 09 2018 17:56:08", "Mon Apr 09 2018 17:56:08",
			"unparseable date"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tc.expr, Options{Now: wednesday})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) = %v, %v; want *Error", tc.expr, got, err)
			}
			if e.Expr != tc.expr || e.Part != tc.part || e.Reason != tc.reason {
				t.Errorf("Parse(%q) error = %#v,\nwant Part %q, Reason %q",
					tc.expr, e, tc.part, tc.reason)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	cases := []struct{ expr, want string }{
		{"now-5x", `date math "now-5x": unknown unit "x" in "-5x"`},
		{"", `date math "": empty expression`},
		{"||-1d", `date math "||-1d": missing date before "||"`},
		{"garbage", `date math "garbage": unparseable date in "garbage"`},
	}
	for _, tc := range cases {
		_, err := Parse(tc.expr, Options{Now: wednesday})
		if err == nil || err.Error() != tc.want {
			t.Errorf("Parse(%q) error = %v, want %s", tc.expr, err, tc.want)
		}
	}
}

func TestParseRequiresNow(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{"now", "2026-01-01", ""} {
		_, err := Parse(expr, Options{})
		if !errors.Is(err, ErrNoNow) {
			t.Errorf("Parse(%q) without Now = %v, want ErrNoNow", expr, err)
		}
	}
}

func TestRange(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, from, to string
		opt            Options
		wantFrom       string
		wantTo         string
	}{
		{"last 15 minutes", "now-15m", "now", Options{Now: wednesday},
			"2026-03-18T14:22:42.123Z", "2026-03-18T14:37:42.123Z"},
		{"today", "now/d", "now/d", Options{Now: wednesday},
			"2026-03-18T00:00:00.000Z", "2026-03-18T23:59:59.999Z"},
		{"opt.RoundUp is ignored", "now/d", "now/d", Options{Now: wednesday, RoundUp: true},
			"2026-03-18T00:00:00.000Z", "2026-03-18T23:59:59.999Z"},
		{"yesterday in berlin", "now-1d/d", "now-1d/d",
			Options{Now: wednesday, Location: berlin},
			"2026-03-16T23:00:00.000Z", "2026-03-17T22:59:59.999Z"},
		{"this week from monday", "now/w", "now/w", Options{Now: wednesday, WeekStart: time.Monday},
			"2026-03-16T00:00:00.000Z", "2026-03-22T23:59:59.999Z"},
		{"equal bounds", "now", "now", Options{Now: wednesday},
			"2026-03-18T14:37:42.123Z", "2026-03-18T14:37:42.123Z"},
		{"6.x absolute range", "Mon Apr 09 2018 17:56:08 GMT-0400 (EDT)",
			"2018-04-09T22:56:08.000Z", Options{Now: wednesday},
			"2018-04-09T21:56:08.000Z", "2018-04-09T22:56:08.000Z"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			from, to, err := Range(tc.from, tc.to, tc.opt)
			if err != nil {
				t.Fatalf("Range(%q, %q) error: %v", tc.from, tc.to, err)
			}
			if f, g := from.Format(layout), to.Format(layout); f != tc.wantFrom || g != tc.wantTo {
				t.Errorf("Range(%q, %q) = %s, %s; want %s, %s",
					tc.from, tc.to, f, g, tc.wantFrom, tc.wantTo)
			}
		})
	}
}

func TestRangeErrors(t *testing.T) {
	t.Parallel()
	opt := Options{Now: wednesday}
	if _, _, err := Range("now", "now-1d", opt); !errors.Is(err, ErrReversed) {
		t.Errorf("Range(now, now-1d) = %v, want ErrReversed", err)
	}
	// "now/d" without roundUp then with it would be fine; reversed it is not.
	if _, _, err := Range("now+1d/d", "now/d", opt); !errors.Is(err, ErrReversed) {
		t.Errorf("Range(now+1d/d, now/d) = %v, want ErrReversed", err)
	}
	for _, bad := range [][2]string{{"now-5x", "now"}, {"now", "garbage"}} {
		_, _, err := Range(bad[0], bad[1], opt)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Range(%q, %q) = %v, want *Error", bad[0], bad[1], err)
		}
	}
	if _, _, err := Range("now", "now", Options{}); !errors.Is(err, ErrNoNow) {
		t.Errorf("Range without Now = %v, want ErrNoNow", err)
	}
}

func TestIsRelative(t *testing.T) {
	t.Parallel()
	cases := []struct {
		expr string
		want bool
	}{
		{"now", true},
		{"now-15m", true},
		{"now/d", true},
		{"2026-01-01||+1d", false},
		{"2026-01-01", false},
		{"1523310968000", false},
		{"", false},
	}
	for _, tc := range cases {
		if got := IsRelative(tc.expr); got != tc.want {
			t.Errorf("IsRelative(%q) = %v, want %v", tc.expr, got, tc.want)
		}
	}
}

func TestWeekdayByName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		want time.Weekday
		ok   bool
	}{
		{"Sunday", time.Sunday, true},
		{"Monday", time.Monday, true},
		{"Tuesday", time.Tuesday, true},
		{"Wednesday", time.Wednesday, true},
		{"Thursday", time.Thursday, true},
		{"Friday", time.Friday, true},
		{"Saturday", time.Saturday, true},
		{"monday", time.Monday, true},
		{"Mon", time.Sunday, false},
		{"", time.Sunday, false},
		{"Funday", time.Sunday, false},
	}
	for _, tc := range cases {
		got, ok := WeekdayByName(tc.name)
		if got != tc.want || ok != tc.ok {
			t.Errorf("WeekdayByName(%q) = %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
