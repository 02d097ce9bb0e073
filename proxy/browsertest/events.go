package browsertest

import (
	"fmt"
	"strings"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
)

// listen records network and console events. chromedp calls it on the
// goroutine that reads the tab's messages, so it only appends under the
// lock and must not call back into the browser.
func (b *Browser) listen(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		b.requestSent(ev)
	case *network.EventResponseReceived:
		if r := b.byID[ev.RequestID]; r != nil && ev.Response != nil {
			r.Status = int(ev.Response.Status)
		}
	case *network.EventLoadingFinished:
		if r := b.byID[ev.RequestID]; r != nil {
			r.done = true
		}
	case *network.EventLoadingFailed:
		if r := b.byID[ev.RequestID]; r != nil {
			r.done, r.Failed = true, ev.ErrorText
			if ev.BlockedReason != "" {
				r.Failed += " (blocked: " + string(ev.BlockedReason) + ")"
			}
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError ||
			ev.Type == runtime.ConsoleAPICalledTypeWarning {
			b.console = append(b.console, "console."+string(ev.Type)+": "+argsText(ev.Args))
		}
	case *runtime.EventExceptionThrown:
		if d := ev.ExceptionDetails; d != nil {
			b.console = append(b.console, "exception: "+exceptionText(d))
		}
	case *log.EventEntryAdded:
		if e := ev.Entry; e != nil {
			b.console = append(b.console, fmt.Sprintf("log %s %s: %s %s",
				e.Source, e.Level, e.Text, trimURL(e.URL)))
		}
	}
}

// requestSent adds a request. Chromium reuses the request id for each hop
// of a redirect and reports the previous hop's response with the next
// request, so that hop is closed first.
func (b *Browser) requestSent(ev *network.EventRequestWillBeSent) {
	if prev := b.byID[ev.RequestID]; prev != nil && ev.RedirectResponse != nil {
		prev.Status, prev.done = int(ev.RedirectResponse.Status), true
	}
	if ev.Request == nil {
		return
	}
	r := &Request{URL: ev.Request.URL, Method: ev.Request.Method, Type: string(ev.Type)}
	b.reqs = append(b.reqs, r)
	b.byID[ev.RequestID] = r
}

func argsText(args []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range args {
		switch {
		case len(a.Value) > 0:
			parts = append(parts, strings.Trim(string(a.Value), `"`))
		case a.Description != "":
			parts = append(parts, a.Description)
		default:
			parts = append(parts, string(a.Type))
		}
	}
	return strings.Join(parts, " ")
}

func exceptionText(d *runtime.ExceptionDetails) string {
	s := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		s += " " + d.Exception.Description
	}
	if d.URL != "" {
		s += fmt.Sprintf(" at %s:%d", trimURL(d.URL), d.LineNumber+1)
	}
	return s
}
