package closure

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Cache keeps computed closures for a short time, keyed by space and root,
// so that a page load (dozens of saved-object reads and searches) computes
// its closure once, while edits to a shared object (a panel added or
// removed) apply after at most TTL. Errors are not kept. Concurrent Gets
// of one key share one computation.
type Cache struct {
	f   Fetcher
	ttl time.Duration

	// Now is the clock (nil: time.Now); tests set it before first use.
	Now func() time.Time

	mu      sync.Mutex
	entries map[cacheKey]*cacheEntry
}

type cacheKey struct {
	space string
	root  Ref
}

type cacheEntry struct {
	done chan struct{} // closed when c and err are set
	c    *Closure
	err  error
	at   time.Time
}

// NewCache returns a cache that computes closures with f and keeps each
// for ttl.
func NewCache(f Fetcher, ttl time.Duration) *Cache {
	return &Cache{f: f, ttl: ttl, entries: map[cacheKey]*cacheEntry{}}
}

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Get returns the closure of root in space, computing it when none is
// kept or the kept one is older than the TTL. The closure returned is
// shared: callers must not change it.
func (c *Cache) Get(ctx context.Context, space string, root Ref) (*Closure, error) {
	key := cacheKey{space: normSpace(space), root: root}
	for {
		e, owner := c.entry(key)
		if owner {
			c.compute(ctx, key, space, e)
		}
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		// A computation cancelled by its own caller's context is no answer
		// for the others: they try again with theirs.
		if !owner && isCancel(e.err) && ctx.Err() == nil {
			continue
		}
		return e.c, e.err
	}
}

// entry returns the key's fresh or pending entry, or a new one that the
// caller (owner) must compute.
func (c *Cache) entry(key cacheKey) (e *cacheEntry, owner bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if e := c.entries[key]; e != nil && (e.at.IsZero() || now.Sub(e.at) < c.ttl) {
		return e, false
	}
	c.prune(now)
	e = &cacheEntry{done: make(chan struct{})}
	c.entries[key] = e
	return e, true
}

// compute fills e; a failed computation is dropped from the cache. The
// entry is settled even if Compute panics, so that waiters do not hang.
func (c *Cache) compute(ctx context.Context, key cacheKey, space string, e *cacheEntry) {
	var cl *Closure
	err := errors.New("compute closure: interrupted")
	defer func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		e.c, e.err, e.at = cl, err, c.now()
		if err != nil && c.entries[key] == e {
			delete(c.entries, key)
		}
		close(e.done)
	}()
	cl, err = Compute(ctx, c.f, space, key.root)
}

// prune drops expired entries, so that the cache holds at most the
// closures used within the last TTL. Called with mu held.
func (c *Cache) prune(now time.Time) {
	for k, e := range c.entries {
		if !e.at.IsZero() && now.Sub(e.at) >= c.ttl {
			delete(c.entries, k)
		}
	}
}

func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
