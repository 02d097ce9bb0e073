package main

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/proxy/kibanatest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeEmbeddedQuickStart is the README's first command: serve with
// the embedded store and --share prints a working link, and "share create"
// in another process reaches the same store.
func TestServeEmbeddedQuickStart(t *testing.T) {
	kib := kibanatest.New(t, kibanatest.Options{Line: kbn.L710})
	listen, redisAddr := freeAddr(t), freeAddr(t)
	env := map[string]string{
		"KSHARE_KIBANA_URL": kib.URL, "KSHARE_LISTEN": listen,
		"KSHARE_PUBLIC_URL": "http://" + listen, "KSHARE_REDIS_ADDR": redisAddr,
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errOut := &syncBuffer{}, &syncBuffer{}
	root := newRootEnv(out, errOut, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	root.SetArgs([]string{"serve", "--embedded-redis", "--share",
		kib.URL + "/app/dashboards#/view/" + kib.DashboardID()})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	link := waitForLink(t, out, done)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first share's link: %d", resp.StatusCode)
	}
	if !strings.Contains(errOut.String(), "memory only") {
		t.Error("serve --embedded-redis did not warn that shares live in memory only")
	}
	if o, _, err := runCLI(t, env, "share", "create", "--dashboard", kib.DashboardID()); err != nil {
		t.Fatalf("share create against the embedded store: %v\n%s", err, o)
	}
	o, _, err := runCLI(t, env, "share", "list", "-o", "json")
	if err != nil || strings.Count(o, `"id"`) != 2 {
		t.Fatalf("share list: %v\n%s", err, o)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after the stop signal", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func waitForLink(t *testing.T, out *syncBuffer, done <-chan error) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(l, "http://") && strings.Contains(l, "/kshare/") {
				return strings.TrimSpace(l)
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended early: %v\n%s", err, out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("serve printed no link:\n%s", out.String())
	return ""
}
