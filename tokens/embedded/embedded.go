// Package embedded runs an in-process, in-memory Redis stand-in
// (miniredis) so that kshare can be tried without a Redis server.
//
// Shares kept here vanish when the process exits, and the server has no
// authentication, so it only ever listens on a loopback address.
package embedded

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// tick is how often the server's clock is advanced. It bounds how late a
// share expires: at most about one tick after its TTL runs out.
const tick = 100 * time.Millisecond

// ErrNotLoopback is returned by Start for an address that is not on a
// loopback interface.
var ErrNotLoopback = errors.New("embedded redis: address is not loopback")

// Server is a running in-memory Redis.
type Server struct {
	m    *miniredis.Miniredis
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// Start listens on addr, which must be a loopback host and a port
// ("127.0.0.1:6379", "[::1]:0", "localhost:0"; port 0 picks a free one).
// It logs a warning that shares live in memory only. A nil log discards.
func Start(addr string, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bind, err := loopback(addr)
	if err != nil {
		return nil, err
	}
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr(bind); err != nil {
		return nil, fmt.Errorf("embedded redis: listen on %s: %w", bind, err)
	}
	s := &Server{m: m, stop: make(chan struct{}), done: make(chan struct{})}
	go s.clock()
	log.Warn("embedded redis in use: shares live in memory only and are lost on exit",
		"addr", s.Addr())
	return s, nil
}

// loopback checks addr and returns the address to bind. "localhost" becomes
// 127.0.0.1, so that name resolution cannot point the listener elsewhere.
func loopback(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("embedded redis: address %q: %w", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		return net.JoinHostPort("127.0.0.1", port), nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("%w: %q", ErrNotLoopback, addr)
	}
	return net.JoinHostPort(ip.String(), port), nil
}

// clock advances miniredis time in step with the wall clock. miniredis
// never decrements TTLs on its own, so without this shares would not
// expire.
func (s *Server) clock() {
	defer close(s.done)
	t := time.NewTicker(tick)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-s.stop:
			return
		case now := <-t.C:
			s.m.FastForward(now.Sub(last))
			last = now
		}
	}
}

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string { return s.m.Addr() }

// Close stops the server; every share in it is lost. It is safe to call
// more than once.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.stop)
		<-s.done
		s.m.Close()
	})
}
