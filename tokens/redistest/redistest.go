// Package redistest starts real redis-server processes for tests, so the
// share store is also checked against Redis itself and not only against an
// in-process fake.
//
// Servers listen on a free loopback port, keep nothing on disk and are
// killed by t.Cleanup. The redis-server binary must be on PATH.
package redistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startTimeout bounds how long a server may take to answer PING.
const startTimeout = 10 * time.Second

// portAttempts is how often Start tries a fresh port, in case another
// process takes the one it picked before redis-server binds it.
const portAttempts = 5

// Server is one redis-server process.
type Server struct {
	tb    testing.TB
	bin   string
	dir   string
	port  int
	extra []string // more redis-server arguments, e.g. for cluster mode
	bus   int      // cluster bus port; 0 outside cluster mode

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Start runs a redis-server on a free 127.0.0.1 port with persistence off
// and a temporary working directory, waits until it answers PING and
// registers a cleanup that kills it. It fails the test if redis-server is
// not installed.
func Start(tb testing.TB) *Server {
	tb.Helper()
	return start(tb, nil)
}

func start(tb testing.TB, extra func(s *Server) []string) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatal("redis-server not found: run .ci/run or apt-get install -y redis-server")
	}
	s := &Server{tb: tb, bin: bin, dir: tb.TempDir()}
	if extra != nil {
		s.extra = extra(s)
	}
	// Registered after TempDir, so it runs before the directory goes away.
	tb.Cleanup(s.Stop)
	for range portAttempts {
		if s.port, err = freePort(); err != nil {
			break
		}
		if err = s.launch(); err == nil {
			return s
		}
	}
	tb.Fatalf("redistest: start redis-server: %v", err)
	return nil
}

// freePort asks the kernel for an unused loopback port. The port is free
// only at that instant, hence the retries in start.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Addr returns the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Port returns the server's TCP port.
func (s *Server) Port() int { return s.port }

// Client returns a go-redis client for the server, closed by tb.Cleanup.
func (s *Server) Client(tb testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), ContextTimeoutEnabled: true})
	tb.Cleanup(func() { c.Close() })
	return c
}

// Stop kills the server, for tests of a Redis outage. It is a no-op if the
// server is not running.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Restart stops the server if it runs and starts it again on the same port,
// for recovery tests. The new server is empty: nothing was persisted.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	if err := s.launch(); err != nil {
		s.tb.Fatalf("redistest: restart redis-server: %v", err)
	}
}

// launch starts redis-server on s.port and waits for PING.
func (s *Server) launch() error {
	logPath := filepath.Join(s.dir, "redis.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close() // the child keeps its own descriptor
	args := []string{
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir,
	}
	cmd := exec.Command(s.bin, append(args, s.extra...)...)
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()

	if err := waitPing(s.Addr(), done); err != nil {
		cmd.Process.Kill()
		<-done
		return fmt.Errorf("%v; log tail: %s", err, tail(logPath))
	}
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	return nil
}

// waitPing polls addr until it answers PONG, the process exits or
// startTimeout passes.
func waitPing(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("redis-server exited")
		default:
		}
		if ping(addr) == nil {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("no PONG from %s within %v", addr, startTimeout)
}

// ping speaks raw RESP, so that waiting for the server leaves no go-redis
// pool behind.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("unexpected reply %q", line)
	}
	return nil
}

// tail returns the end of the server log, for start failures.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	const max = 800
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return strings.TrimSpace(string(b))
}

// Cluster is a Redis Cluster of masters only, each a Server on loopback.
type Cluster struct {
	nodes []*Server
}

// StartCluster runs a cluster of n masters (no replicas) with the hash slots
// split evenly between them and waits until every node reports
// cluster_state:ok. It needs redis-server 7.0 or newer (cluster-port and
// CLUSTER ADDSLOTSRANGE).
func StartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	if n < 1 {
		tb.Fatalf("redistest: cluster needs at least one node, got %d", n)
	}
	c := &Cluster{}
	for range n {
		c.nodes = append(c.nodes, start(tb, clusterArgs(tb)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := c.form(ctx); err != nil {
		tb.Fatalf("redistest: form cluster: %v", err)
	}
	return c
}

// clusterArgs picks the cluster bus port explicitly: the default, port+10000,
// may be taken or beyond 65535.
func clusterArgs(tb testing.TB) func(s *Server) []string {
	return func(s *Server) []string {
		var err error
		if s.bus, err = freePort(); err != nil {
			tb.Fatalf("redistest: cluster bus port: %v", err)
		}
		return []string{
			"--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(s.dir, "nodes.conf"),
			"--cluster-port", strconv.Itoa(s.bus),
			"--cluster-node-timeout", "5000",
		}
	}
}

// form introduces the nodes to each other, assigns the slots and waits for
// the cluster to settle.
func (c *Cluster) form(ctx context.Context) error {
	const slots = 16384
	per := slots / len(c.nodes)
	for i, s := range c.nodes {
		rc := redis.NewClient(&redis.Options{Addr: s.Addr()})
		defer rc.Close()
		if i > 0 {
			// MEET must name the bus port, since it is not port+10000.
			first := c.nodes[0]
			err := rc.Do(ctx, "CLUSTER", "MEET", "127.0.0.1", first.port, first.bus).Err()
			if err != nil {
				return err
			}
		}
		lo, hi := i*per, (i+1)*per-1
		if i == len(c.nodes)-1 {
			hi = slots - 1
		}
		if err := rc.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err(); err != nil {
			return err
		}
	}
	return c.settle(ctx)
}

// settle waits until every node sees all nodes and reports state ok.
func (c *Cluster) settle(ctx context.Context) error {
	want := fmt.Sprintf("cluster_known_nodes:%d", len(c.nodes))
	for _, s := range c.nodes {
		rc := redis.NewClient(&redis.Options{Addr: s.Addr()})
		defer rc.Close()
		for {
			info, err := rc.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") &&
				strings.Contains(info, want) {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("node %s not ready: %v", s.Addr(), ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}

// Addrs returns the host:port of every node.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.nodes))
	for i, s := range c.nodes {
		out[i] = s.Addr()
	}
	return out
}

// Nodes returns the cluster's servers, e.g. to inspect one node directly.
func (c *Cluster) Nodes() []*Server { return c.nodes }

// Client returns a cluster client for all nodes, closed by tb.Cleanup.
func (c *Cluster) Client(tb testing.TB) *redis.ClusterClient {
	cc := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:                 c.Addrs(),
		ContextTimeoutEnabled: true,
	})
	tb.Cleanup(func() { cc.Close() })
	return cc
}
