package main

import (
	"testing"

	"github.com/kshare/kshare/proxy/browsertest"
)

// chromiumSlots bounds how many Chromiums the package's tests run at once:
// each takes most of a core while it lays out a page, and the suite runs
// its tests in parallel on small CI machines.
var chromiumSlots = make(chan struct{}, 2)

// newBrowser starts a headless Chromium with a fresh profile once a slot is
// free; the slot is given back after the browser has closed (cleanups run
// last in, first out).
func newBrowser(t *testing.T) *browsertest.Browser {
	t.Helper()
	chromiumSlots <- struct{}{}
	t.Cleanup(func() { <-chromiumSlots })
	return browsertest.New(t, browsertest.Options{})
}
