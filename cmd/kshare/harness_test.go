package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kshare/kshare/config"
	"github.com/kshare/kshare/proxy"
	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/proxy/kibanatest"
	"github.com/kshare/kshare/tokens/redistest"
)

// Service credentials the stand-in demands and kshare sends.
const (
	svcUser = "kshare_svc"
	svcPass = "svc-Pa55word"
)

// env is one end-to-end setup: a real redis-server, a Kibana stand-in for
// one line, and kshare in front of it, built through the same code the
// CLI uses.
type env struct {
	t     *testing.T
	line  kbn.Line
	kib   *kibanatest.Server
	redis *redistest.Server
	d     *deps
	srv   *httptest.Server
	logs  *syncBuffer
}

type envOptions struct {
	basePath string
	spaces   []string
	settings map[string]any
	mutate   func(*config.Config)
	// kibanaURL, if set, points kshare at a running Kibana (such as the real
	// 7.10.2 and 7.12.1 of realkibana_test.go, which run without security)
	// instead of a stand-in: e.kib stays nil and no credentials are sent.
	kibanaURL string
}

func newEnv(t *testing.T, line kbn.Line, o envOptions) *env {
	t.Helper()
	e := &env{t: t, line: line, logs: &syncBuffer{}}
	e.redis = redistest.Start(t)
	if o.kibanaURL == "" {
		e.kib = kibanatest.New(t, kibanatest.Options{
			Line: line, BasePath: o.basePath, Username: svcUser, Password: svcPass,
			Spaces: o.spaces, Settings: o.settings,
		})
	}
	e.srv = httptest.NewUnstartedServer(nil)
	cfg := config.Default()
	cfg.PublicURL = "http://" + e.srv.Listener.Addr().String()
	if o.kibanaURL != "" {
		cfg.Kibana.URL = o.kibanaURL
		cfg.Kibana.ResponseHeaderTimeout = 30 * time.Second
	} else {
		cfg.Kibana.URL = e.kib.URL + o.basePath
		cfg.Kibana.Username, cfg.Kibana.Password = svcUser, svcPass
		cfg.Kibana.ResponseHeaderTimeout = 2 * time.Second
	}
	cfg.Kibana.ObjectCacheTTL = 50 * time.Millisecond
	cfg.Redis.Addr = e.redis.Addr()
	cfg.Redis.Timeout = 500 * time.Millisecond
	cfg.Log.Level = "debug"
	if o.mutate != nil {
		o.mutate(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	d, err := newDeps(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	e.d = d
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := proxy.New(d.proxyOptions(logger, nil))
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Config.Handler = h
	e.srv.Config.MaxHeaderBytes = cfg.HTTP.MaxHeaderBytes
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	return e
}

// create makes a share through the CLI's code path.
func (e *env) create(p createParams) created {
	e.t.Helper()
	if p.From == "" && p.To == "" {
		p.From, p.To = "now-24h", "now"
	}
	res, err := createShare(context.Background(), e.d, p, time.Now())
	if err != nil {
		e.t.Fatalf("create share: %v", err)
	}
	return res
}

// client never follows redirects and keeps no cookies, like a fresh
// browser tab seen one response at a time.
func (e *env) client() *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// do sends one request to kshare with a path relative to its root and
// returns the response with its body read.
func (e *env) do(method, path string, body string, hdr map[string]string) (*http.Response, string) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := e.client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// sharePath is a share link's path: <prefix>/<token>.
func sharePath(link string) string {
	_, p, _ := strings.Cut(strings.TrimPrefix(link, "http://"), "/")
	return "/" + p
}

// requestsSince returns the requests kshare forwarded on a recipient's
// behalf that the stand-in recorded after n. kshare's own reads (line
// detection, closures, saved time) carry no X-Forwarded-For and are left
// out; allRequestsSince keeps them.
func (e *env) requestsSince(n int) []kibanatest.Request {
	var out []kibanatest.Request
	for _, r := range e.allRequestsSince(n) {
		if r.Header.Get("X-Forwarded-For") != "" {
			out = append(out, r)
		}
	}
	return out
}

// allRequestsSince returns every request the stand-in recorded after n.
func (e *env) allRequestsSince(n int) []kibanatest.Request {
	all := e.kib.Requests()
	if n > len(all) {
		return nil
	}
	return all[n:]
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
