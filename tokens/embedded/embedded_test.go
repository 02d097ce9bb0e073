package embedded

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func start(t *testing.T, addr string, log *slog.Logger) *Server {
	t.Helper()
	s, err := Start(addr, log)
	if err != nil {
		t.Fatalf("Start(%q): %v", addr, err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestTTLExpiresInRealTime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := start(t, "127.0.0.1:0", nil)
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	t.Cleanup(func() { c.Close() })

	if err := c.HSet(ctx, "k", "f", "v").Err(); err != nil {
		t.Fatalf("hset: %v", err)
	}
	if err := c.Expire(ctx, "k", time.Second).Err(); err != nil {
		t.Fatalf("expire: %v", err)
	}
	if n, _ := c.Exists(ctx, "k").Result(); n != 1 {
		t.Fatalf("key missing right after EXPIRE")
	}
	time.Sleep(1500 * time.Millisecond)
	if n, err := c.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Fatalf("after 1.5s: exists = %d, %v; want 0, nil", n, err)
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{
		":0",            // every interface
		"0.0.0.0:0",     // every IPv4 interface
		"[::]:0",        // every IPv6 interface
		"192.0.2.1:0",   // a routable address
		"10.0.0.1:0",    // a private address
		"example.com:0", // a name that could resolve anywhere
		"[::1%lo]:0",    // zones are not accepted
		"127.0.0.1",     // no port
	} {
		t.Run(addr, func(t *testing.T) {
			t.Parallel()
			s, err := Start(addr, nil)
			if err == nil {
				s.Close()
				t.Fatalf("Start(%q) succeeded, want refusal", addr)
			}
		})
	}
	if _, err := Start("0.0.0.0:0", nil); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("Start(0.0.0.0:0) error = %v, want ErrNotLoopback", err)
	}
}

func TestAcceptsLoopback(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ addr, wantHost string }{
		{"127.0.0.1:0", "127.0.0.1"},
		{"127.0.0.2:0", "127.0.0.2"},
		{"localhost:0", "127.0.0.1"},
		{"[::1]:0", "::1"},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			t.Parallel()
			if tc.wantHost == "::1" && !hasIPv6Loopback() {
				t.Skip("no IPv6 loopback here")
			}
			s := start(t, tc.addr, nil)
			host, _, _ := net.SplitHostPort(s.Addr())
			if host != tc.wantHost {
				t.Errorf("listening on %s, want host %s", s.Addr(), tc.wantHost)
			}
		})
	}
}

func hasIPv6Loopback() bool {
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func TestWarnsMemoryOnly(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	start(t, "127.0.0.1:0", log)
	out := buf.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "memory only") {
		t.Errorf("log = %q, want a WARN about memory-only shares", out)
	}
}

func TestCloseTwice(t *testing.T) {
	t.Parallel()
	s, err := Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s.Close()
}
