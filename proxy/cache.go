package proxy

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/kshare/kshare/proxy/kbn"
)

// KibanaSource is the part of kbn.Client the caches wrap.
type KibanaSource interface {
	ObjectSource
	LineSource
}

// Cached wraps a Kibana client with short-lived caches: saved objects and
// settings for ttl (so a saved-object share sees edits within seconds), the
// Kibana line for lineTTL (so a Kibana upgrade is noticed after a restart).
type Cached struct {
	src     KibanaSource
	ttl     time.Duration
	lineTTL time.Duration
	fixed   *kbn.Line
	now     func() time.Time

	mu      sync.Mutex
	objects map[string]cacheEntry
	line    kbn.Line
	lineAt  time.Time
}

type cacheEntry struct {
	at  time.Time
	obj kbn.SavedObject
	set map[string]any
	err error
}

// maxCacheEntries bounds the caches; past it they are emptied, which is
// cheap for a cache whose entries live seconds.
const maxCacheEntries = 4096

// NewCached returns a caching source. fixed, when non-nil, is the line from
// config and no detection is done.
func NewCached(src KibanaSource, ttl, lineTTL time.Duration, fixed *kbn.Line) *Cached {
	return &Cached{src: src, ttl: ttl, lineTTL: lineTTL, fixed: fixed, now: time.Now,
		objects: map[string]cacheEntry{}}
}

// Object returns a saved object, cached. Not-found answers are cached too,
// so a deleted object cannot be used to make kshare hammer Kibana.
func (c *Cached) Object(ctx context.Context, space, typ, id string) (kbn.SavedObject, error) {
	key := "o\x00" + space + "\x00" + typ + "\x00" + id
	if e, ok := c.get(key); ok {
		return e.obj, e.err
	}
	obj, err := c.src.Object(ctx, space, typ, id)
	c.put(key, cacheEntry{obj: obj, err: cacheable(err)}, err)
	return obj, err
}

// Settings returns a space's user settings, cached.
func (c *Cached) Settings(ctx context.Context, space string, l kbn.Line) (map[string]any, error) {
	key := "s\x00" + space
	if e, ok := c.get(key); ok {
		return e.set, e.err
	}
	set, err := c.src.Settings(ctx, space, l)
	c.put(key, cacheEntry{set: set, err: cacheable(err)}, err)
	return set, err
}

// Line returns the configured line, or the detected one. When detection
// fails after an earlier success, the last known line is kept.
func (c *Cached) Line(ctx context.Context) (kbn.Line, error) {
	if c.fixed != nil {
		return *c.fixed, nil
	}
	c.mu.Lock()
	if !c.lineAt.IsZero() && c.now().Sub(c.lineAt) < c.lineTTL {
		l := c.line
		c.mu.Unlock()
		return l, nil
	}
	c.mu.Unlock()
	l, err := c.src.Line(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		if !c.lineAt.IsZero() {
			return c.line, nil
		}
		return kbn.Line{}, err
	}
	c.line, c.lineAt = l, c.now()
	return l, nil
}

func (c *Cached) get(key string) (cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.objects[key]
	if !ok || c.now().Sub(e.at) >= c.ttl {
		return cacheEntry{}, false
	}
	return e, true
}

func (c *Cached) put(key string, e cacheEntry, err error) {
	if err != nil && e.err == nil {
		return // transient failures are not cached
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.objects) >= maxCacheEntries {
		c.objects = map[string]cacheEntry{}
	}
	e.at = c.now()
	c.objects[key] = e
}

// cacheable keeps only answers worth caching: an object that does not exist.
func cacheable(err error) error {
	if err != nil && isNotFound(err) {
		return err
	}
	return nil
}

func isNotFound(err error) bool { return errors.Is(err, kbn.ErrNotFound) }
