package redistest

import (
	"context"
	"testing"
	"time"
)

func TestStartStopRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := Start(t)
	c := s.Client(t)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("set: %v", err)
	}
	s.Stop()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("ping after Stop: got nil error")
	}
	s.Restart()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("ping after Restart: %v", err)
	}
	// Nothing persists across a restart.
	if n, err := c.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Fatalf("exists after Restart = %d, %v; want 0, nil", n, err)
	}
}

func TestCluster(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl := StartCluster(t, 3)
	cc := cl.Client(t)
	// Keys in different slots must land on different nodes and still work.
	for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
		if err := cc.Set(ctx, k, k, 0).Err(); err != nil {
			t.Fatalf("set %s: %v", k, err)
		}
	}
	var total int64
	for _, n := range cl.Nodes() {
		size, err := n.Client(t).DBSize(ctx).Result()
		if err != nil {
			t.Fatalf("dbsize %s: %v", n.Addr(), err)
		}
		total += size
	}
	if total != 6 {
		t.Fatalf("keys over all nodes = %d, want 6", total)
	}
}
