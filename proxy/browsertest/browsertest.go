// Package browsertest drives a headless Chromium for tests: what a share
// recipient's browser really draws and requests, which an HTTP client
// cannot tell.
//
// Each New starts its own Chromium (Debian's /usr/bin/chromium) with a fresh
// temporary profile, like an incognito window, records every network request
// the page makes, and answers layout questions from computed style and
// geometry: is an element displayed, how big is it, is it on the page and on
// top at its centre. Failed checks save a screenshot (see Browser.Errorf).
//
// The flags keep Chromium quiet on a machine without a network: without
// --disable-background-networking and friends it keeps trying update,
// sync and field-trial servers and floods the log with refused connections.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// MissingChromium is the message New fails (or skips) with when no Chromium
// is installed.
const MissingChromium = "chromium not found: run .ci/test.sh or apt-get install -y chromium"

// ArtifactsEnv names the directory that screenshots go to. Unset, they go
// to the test's temporary directory (removed after the test).
const ArtifactsEnv = "KSHARE_TEST_ARTIFACTS"

// Default viewport in CSS pixels.
const (
	DefaultWidth  = 1280
	DefaultHeight = 900
)

// startTimeout bounds the start of Chromium and its first tab; a loaded
// 2-core machine running two other Chromiums needs a few seconds.
const startTimeout = 30 * time.Second

// Options configures one browser.
type Options struct {
	// BlockThirdPartyCookies makes the browser refuse cookies in a
	// third-party context, as Chrome's incognito default and Safari do.
	BlockThirdPartyCookies bool
	// Width and Height set the viewport in CSS pixels; 0 means
	// DefaultWidth × DefaultHeight.
	Width, Height int
}

// Request is one network request the page made.
type Request struct {
	URL    string // without the fragment
	Method string
	// Status is the HTTP status of the response; 0 while none has arrived,
	// or when the request failed (see Failed).
	Status int
	// Failed is Chromium's error text (net::ERR_…) for a request that got
	// no response, or was blocked or cancelled ("" otherwise). A fetch whose
	// body the page never reads ends cancelled after its response, so it
	// has both a Status and Failed "net::ERR_ABORTED".
	Failed string
	// Type is the resource type: Document, Script, XHR, Fetch, Image, ….
	Type string
	done bool
}

// Browser is one headless Chromium with one tab. It is not safe for
// concurrent use by several goroutines, except Requests and Console.
type Browser struct {
	tb  testing.TB
	ctx context.Context // the tab; cancelled by cleanup

	mu      sync.Mutex
	reqs    []*Request
	byID    map[network.RequestID]*Request
	console []string
	shots   int
}

// New starts Chromium for tb and closes it when the test ends. Without
// Chromium it fails the test with MissingChromium, or skips it when the
// environment variable CI is unset (a developer machine without a browser).
func New(tb testing.TB, o Options) *Browser {
	tb.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("CI") == "" {
			tb.Skip(MissingChromium)
		}
		tb.Fatal(MissingChromium)
	}
	if o.Width == 0 || o.Height == 0 {
		o.Width, o.Height = DefaultWidth, DefaultHeight
	}
	// The profile directory is made before the cleanup that stops Chromium
	// is registered, so cleanups (last in, first out) stop Chromium before
	// its profile is removed.
	profile := tb.TempDir()
	if err := writePreferences(profile, o); err != nil {
		tb.Fatalf("browsertest: %v", err)
	}
	b := &Browser{tb: tb, byID: map[network.RequestID]*Request{}}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		allocatorOptions(path, profile, o)...)
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(b.listen))
	tb.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	b.ctx = ctx
	if err := b.start(o); err != nil {
		tb.Fatalf("browsertest: start chromium: %v", err)
	}
	return b
}

// debianChromium is where Debian's chromium package puts its launcher; a
// variable so the package's tests can pretend it is missing.
var debianChromium = "/usr/bin/chromium"

// chromiumPath finds Debian's Chromium, or any chromium on PATH.
func chromiumPath() string {
	if _, err := os.Stat(debianChromium); err == nil {
		return debianChromium
	}
	p, _ := exec.LookPath("chromium")
	return p
}

func allocatorOptions(path, profile string, o Options) []chromedp.ExecAllocatorOption {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(o.Width, o.Height),
	}
	for _, f := range []string{
		"headless", "no-sandbox", "disable-gpu", "disable-quic", "no-first-run",
		"disable-background-networking", "disable-component-update", "disable-sync",
		// Small /dev/shm in containers crashes renderers; hidden
		// scrollbars keep layout widths equal to the viewport.
		"disable-dev-shm-usage", "hide-scrollbars", "mute-audio",
		"no-default-browser-check", "disable-default-apps", "disable-extensions",
	} {
		opts = append(opts, chromedp.Flag(f, true))
	}
	return opts
}

// writePreferences seeds the fresh profile. Chromium 156 blocks
// third-party cookies in a profile without preferences (cookies arrive
// blocked for "UserPreferences"), and Network.setCookieControls does not
// lift that; the profile setting cookie_controls_mode does (0 allows them,
// 1 blocks them, as chrome://settings/cookies would set it).
func writePreferences(profile string, o Options) error {
	mode := 0
	if o.BlockThirdPartyCookies {
		mode = 1
	}
	prefs := fmt.Sprintf(`{"profile":{"cookie_controls_mode":%d}}`, mode)
	dir := filepath.Join(profile, "Default")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Preferences"), []byte(prefs), 0o644); err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	return nil
}

// start launches the browser and opens its tab with a bounded wait. The
// first action on a chromedp context owns the browser's lifetime, so it
// runs on b.ctx itself and the timeout is enforced beside it.
func (b *Browser) start(o Options) error {
	errc := make(chan error, 1)
	go func() {
		err := chromedp.Do(b.ctx, chromedp.EmulateViewport(int64(o.Width), int64(o.Height)))
		errc <- err
	}()
	select {
	case err := <-errc:
		return err
	case <-time.After(startTimeout):
		return fmt.Errorf("no answer within %s", startTimeout)
	}
}

// Open navigates to url and waits until the JavaScript expression ready is
// truthy (checked every 100 ms), or timeout passes. An empty ready waits
// for the load event only. It returns an error naming what did not happen;
// the browser stays usable for further checks and screenshots.
func (b *Browser) Open(url string, timeout time.Duration, ready string) error {
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return fmt.Errorf("open %s: %w", url, err)
	}
	if ready == "" {
		return nil
	}
	return b.wait(ctx, ready)
}

// WaitFor waits until the JavaScript expression cond is truthy, checking
// every 100 ms, for at most timeout.
func (b *Browser) WaitFor(cond string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	return b.wait(ctx, cond)
}

func (b *Browser) wait(ctx context.Context, cond string) error {
	expr := "!!(" + cond + ")"
	for {
		// A navigation in progress destroys the execution context; that
		// error only means "not yet".
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("wait for %s: %w (last: %v)", cond, ctx.Err(), err)
			}
			return fmt.Errorf("wait for %s: %w", cond, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Eval evaluates a JavaScript expression in the page and decodes its JSON
// value into out (nil discards it). Promises are awaited.
func (b *Browser) Eval(expr string, out any) error {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("eval: decode %.80s: %w", raw, err)
	}
	return nil
}

// Location returns the page's current URL, fragment included.
func (b *Browser) Location() string {
	var loc string
	if err := b.Eval("location.href", &loc); err != nil {
		b.tb.Errorf("browsertest: %v", err)
	}
	return loc
}

// Requests returns a copy of every request recorded so far, in the order
// they were sent. A redirect is one entry per hop. Only the tab's own
// requests are seen: dedicated workers and frames from another site are
// separate DevTools targets, whose requests (beyond a frame's document)
// are not recorded.
func (b *Browser) Requests() []Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Request, len(b.reqs))
	for i, r := range b.reqs {
		out[i] = *r
	}
	return out
}

// InFlight reports how many recorded requests have not finished yet.
func (b *Browser) InFlight() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, r := range b.reqs {
		if !r.done {
			n++
		}
	}
	return n
}

// Console returns console errors and warnings, uncaught exceptions and the
// browser's own log entries (CSP violations, failed loads), in order.
func (b *Browser) Console() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.console...)
}

// Screenshot saves a PNG of the whole page as <test>-<name>.png in the
// artifacts directory (ArtifactsEnv, else the test's temporary directory)
// and returns its path.
func (b *Browser) Screenshot(name string) (string, error) {
	dir := os.Getenv(ArtifactsEnv)
	if dir == "" {
		dir = b.tb.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("screenshot: %w", err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return "", fmt.Errorf("screenshot: %w", err)
	}
	path := filepath.Join(dir, fileName(b.tb.Name())+"-"+fileName(name)+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return "", fmt.Errorf("screenshot: %w", err)
	}
	return path, nil
}

// Errorf reports a failed check like tb.Errorf. The first failure of the
// browser also saves a screenshot (Screenshot "failure") and names its
// path, so a report shows what the page looked like; later failures add
// none, as they mostly describe the same page.
func (b *Browser) Errorf(format string, args ...any) {
	b.tb.Helper()
	msg := fmt.Sprintf(format, args...)
	b.mu.Lock()
	first := b.shots == 0
	b.shots++
	b.mu.Unlock()
	if first {
		path, err := b.Screenshot("failure")
		if err != nil {
			msg += " (" + err.Error() + ")"
		} else {
			msg += " (screenshot: " + path + ")"
		}
	}
	b.tb.Error(msg)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func fileName(s string) string { return unsafeName.ReplaceAllString(s, "_") }

// String describes the request for failure messages.
func (r Request) String() string {
	s := r.Method + " " + r.URL
	if r.Status != 0 {
		s += fmt.Sprintf(" → %d", r.Status)
	}
	switch {
	case r.Failed != "":
		s += " (" + r.Failed + ")"
	case r.Status == 0:
		s += " (pending)"
	}
	return s
}

// trimURL cuts long URLs for logs.
func trimURL(u string) string {
	if len(u) > 200 {
		return u[:200] + "…"
	}
	return strings.TrimSpace(u)
}
