package datemath

import "time"

// maxMillis bounds a JavaScript Date: ±8.64e15 ms around the epoch
// (ECMA-262 "Time Values and Time Range"). Kibana cannot represent
// anything outside it, so neither do we.
const maxMillis = 8_640_000_000_000_000

func inRange(t time.Time) bool {
	ms := t.UnixMilli()
	return -maxMillis <= ms && ms <= maxMillis
}

// wall is a wall-clock reading, in whatever zone the caller has in mind.
type wall struct {
	y      int
	mo     time.Month
	d      int
	h, mi  int
	s, ns  int
	offset int // zone offset (seconds east of UTC) the reading came from, or noOffset
}

// noOffset marks a wall reading that did not come from an instant, such as
// a date written without an offset.
const noOffset = -1 << 31

func wallOf(t time.Time) wall {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	_, off := t.Zone()
	return wall{y: y, mo: mo, d: d, h: h, mi: mi, s: s, ns: t.Nanosecond(), offset: off}
}

// same reports whether w and v read the same, whatever their offsets.
func (w wall) same(v wall) bool {
	w.offset, v.offset = 0, 0
	return w == v
}

// normalized carries overflowing fields (day 32, month 13) into the next
// larger ones, as time.Date does; the offset is kept.
func (w wall) normalized() wall {
	n := wallOf(time.Date(w.y, w.mo, w.d, w.h, w.mi, w.s, w.ns, time.UTC))
	n.offset = w.offset
	return n
}

// in returns the instant at which loc's clocks read w.
//
// moment sets calendar fields with the offset it had and then looks the
// offset up again keeping the wall clock, so when the reading happens twice
// (the repeated hour when DST ends) it keeps the offset w came from if that
// offset is one of the two. Otherwise the earlier instant wins, as when
// moment-timezone parses such a time. A reading inside a DST gap is taken
// with the offset from before the gap, which moves it forward by the gap
// (02:30 becomes 03:30), as JavaScript's Date and moment-timezone do. Go's
// time.Date promises neither, and in a gap west of UTC it moves backward.
func (w wall) in(loc *time.Location) time.Time {
	w = w.normalized()
	if w.offset != noOffset {
		if t, ok := w.at(loc, w.offset); ok {
			return t
		}
	}
	guess := time.Date(w.y, w.mo, w.d, w.h, w.mi, w.s, w.ns, loc)
	var first, gap time.Time
	var found bool
	// The offsets in force half a day either side of the guess are the
	// only candidates: no zone changes its offset twice within that window.
	for i, probe := range []time.Duration{-12 * time.Hour, 0, 12 * time.Hour} {
		_, off := guess.Add(probe).Zone()
		t, ok := w.at(loc, off)
		if ok && (!found || t.Before(first)) {
			first, found = t, true
		}
		// The offset before a gap is the smaller one, so it gives the
		// latest instant.
		if i == 0 || t.After(gap) {
			gap = t
		}
	}
	if found {
		return first
	}
	return gap
}

// at returns the instant w names if read with the given offset, and whether
// loc's clocks really read w at that instant.
func (w wall) at(loc *time.Location, offset int) (time.Time, bool) {
	t := time.Date(w.y, w.mo, w.d, w.h, w.mi, w.s, w.ns, time.FixedZone("", offset)).In(loc)
	_, off := t.Zone()
	return t, off == offset && w.same(wallOf(t))
}

// add adds n units to t. Like moment, ms, s, m and h are fixed durations
// while d, w, M and y move the wall clock in t's zone, so "now-1d" across a
// DST change keeps the time of day.
func add(t time.Time, n int64, u unit) time.Time {
	w := wallOf(t)
	switch u {
	case day:
		w.d += int(n)
	case week:
		w.d += 7 * int(n)
	case month:
		w = addMonths(w, n)
	case year:
		w = addMonths(w, 12*n)
	default:
		return time.UnixMilli(t.UnixMilli() + n*u.millis()).In(t.Location())
	}
	return w.in(t.Location())
}

// addMonths moves w by n months, clamping the day to the end of the target
// month as moment does: Jan 31 + 1M is Feb 28 (or 29).
func addMonths(w wall, n int64) wall {
	total := int64(w.y)*12 + int64(w.mo-1) + n
	y := total / 12
	if total%12 < 0 {
		y--
	}
	w.y, w.mo = int(y), time.Month(total-y*12+1)
	w.d = min(w.d, daysIn(w.y, w.mo))
	return w
}

func daysIn(y int, mo time.Month) int {
	return time.Date(y, mo+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func daysInYear(y int) int {
	return 337 + daysIn(y, time.February)
}

// round moves t to the start of its unit, or with up to the unit's last
// millisecond (moment's startOf and endOf), in t's zone.
func round(t time.Time, u unit, up bool, weekStart time.Weekday) time.Time {
	switch u {
	case millisecond:
		return t
	case second, minute:
		// moment truncates the instant for these, ignoring the offset.
		return roundFixed(t, 0, u.millis(), up)
	case hour:
		// moment truncates the wall clock, so in a zone such as
		// Asia/Kolkata (+05:30) hours start at :00 local, :30 UTC.
		_, off := t.Zone()
		return roundFixed(t, int64(off)*1000, u.millis(), up)
	}
	w := wallOf(t)
	w.h, w.mi, w.s, w.ns = 0, 0, 0, 0
	last := 0 // days from the first to the last day of the unit
	switch u {
	case week:
		w.d -= (int(t.Weekday()) - int(weekStart) + 7) % 7
		last = 6
	case month:
		w.d = 1
		last = daysIn(w.y, w.mo) - 1
	case year:
		w.mo, w.d = time.January, 1
		last = daysInYear(w.y) - 1
	}
	if up {
		w.d += last
		w.h, w.mi, w.s, w.ns = 23, 59, 59, int(time.Second-time.Millisecond)
	}
	return w.in(t.Location())
}

// roundFixed rounds t down to a multiple of size milliseconds, counted
// from the epoch shifted by shift, or up to the last millisecond before the
// next multiple.
func roundFixed(t time.Time, shift, size int64, up bool) time.Time {
	ms := t.UnixMilli()
	r := (ms + shift) % size
	if r < 0 {
		r += size
	}
	start := ms - r
	if up {
		start += size - 1
	}
	return time.UnixMilli(start).In(t.Location())
}
