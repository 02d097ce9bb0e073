package datemath

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// fuzzZones are the evaluation zones the fuzzer picks from.
var fuzzZones = []*time.Location{time.UTC, berlin, newYork, kolkata, saoPaulo}

// FuzzParse checks that no input panics, that every failure is a *Error
// naming a piece of the input, and that successes are repeatable instants
// in UTC within the JavaScript Date range.
func FuzzParse(f *testing.F) {
	for _, a := range arithmetic {
		f.Add("now"+a.math, false, uint8(0), uint8(0))
		f.Add("2014-01-01T06:06:06.666Z||"+a.math, true, uint8(1), uint8(1))
	}
	for _, s := range fuzzSeeds {
		f.Add(s, false, uint8(1), uint8(1))
		f.Add(s, true, uint8(2), uint8(0))
	}
	f.Fuzz(func(t *testing.T, expr string, roundUp bool, zone, dow uint8) {
		opt := Options{
			Now:       wednesday,
			RoundUp:   roundUp,
			Location:  fuzzZones[int(zone)%len(fuzzZones)],
			WeekStart: time.Weekday(dow % 7),
		}
		got, err := Parse(expr, opt)
		again, errAgain := Parse(expr, opt)
		if !got.Equal(again) || (err == nil) != (errAgain == nil) {
			t.Fatalf("Parse(%q) not repeatable: %v, %v then %v, %v",
				expr, got, err, again, errAgain)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error %v is not a *Error", expr, err)
			}
			if e.Expr != expr || !strings.Contains(expr, e.Part) || e.Reason == "" {
				t.Fatalf("Parse(%q) error %#v does not name a part of the input", expr, e)
			}
			return
		}
		if got.Location() != time.UTC || !inRange(got) {
			t.Fatalf("Parse(%q) = %v, want a UTC instant in range", expr, got)
		}
	})
}

// fuzzSeeds adds the interesting inputs from the other tables.
var fuzzSeeds = []string{
	"", " ", "now", "now/d", "now-1d/d+8h+50m", "now/w", "now/M", "now/y",
	"2026-01-01||+1M/M", "2026-01-31||+1M", "2024-02-29||+1y",
	"Mon Apr 09 2018 17:56:08 GMT-0400", "Mon Apr 09 2018 17:56:08 GMT-0400 (EDT)",
	"Mon Apr 09 2018 17:56:08 GMT-0400 (Eastern Daylight Time)",
	"2018-04-09T21:56:08.000Z", "1523310968000", "2026-01-01T10:00:00.123+02:00",
	"2026-01-01 10:00:00", "2026-01-01T24:00", "2026", "2026045", "20260214",
	"2026-03-29T02:30", "2026-10-25T02:30", "8640000000000000",
	"now-5x", "now&1d", "now-", "now/2y", "now/0.5y", "now-1d)", "nowadays", "||+1d",
	"now+300000y", "now-99999999999999999999d", "2026-02-30", "2026-01-01T10:00:00+25:00",
}

func BenchmarkParse(b *testing.B) {
	cases := []struct {
		name, expr string
		opt        Options
	}{
		{"relative", "now-15m", Options{Now: wednesday}},
		{"math and rounding in zone", "now-1d/d+8h+50m",
			Options{Now: wednesday, Location: berlin, RoundUp: true}},
		{"iso", "2018-04-09T21:56:08.000Z", Options{Now: wednesday}},
		{"js date", "Mon Apr 09 2018 17:56:08 GMT-0400 (EDT)", Options{Now: wednesday}},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Parse(bc.expr, bc.opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
