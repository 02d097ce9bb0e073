package closure

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kshare/kshare/proxy/kbn"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func oneVisDashboard(visID string) kbn.SavedObject {
	return obj(typeDashboard, "d", map[string]any{}, ref("panel_0", typeVis, visID))
}

func TestCacheTTL(t *testing.T) {
	t.Parallel()
	const ttl = 30 * time.Second
	f := newFake(t, oneVisDashboard("v1"), vis("v1", "pie", map[string]any{}),
		vis("v2", "pie", map[string]any{}))
	clock := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	cache := NewCache(f, ttl)
	cache.Now = clock.now
	ctx := context.Background()
	root := Ref{typeDashboard, "d"}

	first, err := cache.Get(ctx, "", root)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.reads(); n != 2 {
		t.Fatalf("%d reads, want 2", n)
	}

	// Within the TTL the dashboard's edit is not seen yet.
	f.put(oneVisDashboard("v2"))
	clock.advance(ttl - time.Second)
	again, err := cache.Get(ctx, "default", root) // "" and "default" are one space
	if err != nil {
		t.Fatal(err)
	}
	if again != first || f.reads() != 2 {
		t.Errorf("recomputed within the TTL (%d reads)", f.reads())
	}

	// After it the edit applies: v1 left the share, v2 joined.
	clock.advance(time.Second)
	fresh, err := cache.Get(ctx, "", root)
	if err != nil {
		t.Fatal(err)
	}
	if fresh == first || fresh.Has(typeVis, "v1") || !fresh.Has(typeVis, "v2") {
		t.Errorf("after the TTL: v1 %v, v2 %v", fresh.Has(typeVis, "v1"), fresh.Has(typeVis, "v2"))
	}

	// Another space is another closure.
	if _, err := cache.Get(ctx, "marketing", root); err != nil {
		t.Fatal(err)
	}
	if n := f.reads(); n != 6 {
		t.Errorf("%d reads, want 6", n)
	}
}

func TestCacheDoesNotKeepErrors(t *testing.T) {
	t.Parallel()
	f := newFake(t, oneVisDashboard("v1"), vis("v1", "pie", map[string]any{}))
	f.fail(Ref{typeVis, "v1"}, kbn.ErrUnavailable)
	cache := NewCache(f, time.Hour)
	ctx := context.Background()
	root := Ref{typeDashboard, "d"}
	if _, err := cache.Get(ctx, "", root); !errors.Is(err, kbn.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	f.fail(Ref{typeVis, "v1"}, nil)
	c, err := cache.Get(ctx, "", root)
	if err != nil || !c.Has(typeVis, "v1") {
		t.Fatalf("after recovery: %v", err)
	}
	if _, err := cache.Get(ctx, "", Ref{typeDashboard, "nope"}); !errors.Is(err, kbn.ErrNotFound) {
		t.Errorf("unknown root: err = %v, want ErrNotFound", err)
	}
}

func TestCacheSharesOneComputation(t *testing.T) {
	t.Parallel()
	f := newFake(t, oneVisDashboard("v1"), vis("v1", "pie", map[string]any{}))
	f.gate = make(chan struct{})
	cache := NewCache(f, time.Minute)
	const callers = 8
	var wg sync.WaitGroup
	results := make([]*Closure, callers)
	for i := range callers {
		wg.Go(func() {
			c, err := cache.Get(context.Background(), "", Ref{typeDashboard, "d"})
			if err != nil {
				t.Error(err)
			}
			results[i] = c
		})
	}
	// Let the callers queue behind the first read, then release it.
	time.Sleep(20 * time.Millisecond)
	close(f.gate)
	wg.Wait()
	if n := f.reads(); n != 2 {
		t.Errorf("%d reads, want 2", n)
	}
	for i, c := range results {
		if c != results[0] {
			t.Errorf("caller %d got another closure", i)
		}
	}
}

// A caller that gives up does not spoil the computation for the others.
func TestCacheOwnerCancelled(t *testing.T) {
	t.Parallel()
	f := newFake(t, oneVisDashboard("v1"), vis("v1", "pie", map[string]any{}))
	f.gate = make(chan struct{})
	cache := NewCache(f, time.Minute)
	root := Ref{typeDashboard, "d"}
	ctx, cancel := context.WithCancel(context.Background())
	ownerDone := make(chan error)
	go func() {
		_, err := cache.Get(ctx, "", root)
		ownerDone <- err
	}()
	time.Sleep(10 * time.Millisecond)
	waiterDone := make(chan error)
	go func() {
		_, err := cache.Get(context.Background(), "", root)
		waiterDone <- err
	}()
	time.Sleep(10 * time.Millisecond)
	cancel()
	if err := <-ownerDone; !errors.Is(err, context.Canceled) {
		t.Errorf("owner: err = %v, want Canceled", err)
	}
	close(f.gate)
	if err := <-waiterDone; err != nil {
		t.Errorf("waiter: %v", err)
	}
}
