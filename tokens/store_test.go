package tokens

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/kshare/kshare/tokens/redistest"
)

// testClient connects to addr with few retries, so outage tests fail fast;
// the defaults spend about 1.7 s per call redialling a refused port.
func testClient(t *testing.T, addr string) redis.UniversalClient {
	return closeWith(t, redis.NewClient(&redis.Options{
		Addr: addr, ContextTimeoutEnabled: true, DialerRetries: 1, MaxRetries: 1,
	}))
}

func closeWith(t *testing.T, c redis.UniversalClient) redis.UniversalClient {
	t.Cleanup(func() { c.Close() })
	return c
}

// miniServer is an in-process miniredis per subtest.
func miniServer(t *testing.T) server {
	m := miniredis.RunT(t)
	return server{
		client: testClient(t, m.Addr()),
		elapse: m.FastForward,
		stop:   m.Close,
		restart: func() {
			if err := m.Restart(); err != nil {
				t.Fatalf("miniredis restart: %v", err)
			}
		},
	}
}

// miniClusterServer talks to miniredis through a ClusterClient, which
// miniredis answers as a one-node cluster; it covers List's ForEachMaster
// path without a real cluster.
func miniClusterServer(t *testing.T) server {
	m := miniredis.RunT(t)
	c := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs: []string{m.Addr()}, ContextTimeoutEnabled: true,
	})
	return server{client: closeWith(t, c), elapse: m.FastForward}
}

// realServer is a redis-server process per subtest.
func realServer(t *testing.T) server {
	s := redistest.Start(t)
	return server{
		client:  testClient(t, s.Addr()),
		elapse:  time.Sleep,
		stop:    s.Stop,
		restart: s.Restart,
	}
}

func TestStoreMiniredis(t *testing.T) {
	t.Parallel()
	runStoreSuite(t, miniServer)
}

func TestStoreMiniredisCluster(t *testing.T) {
	t.Parallel()
	runStoreSuite(t, miniClusterServer)
}

func TestStoreRedis(t *testing.T) {
	t.Parallel()
	runStoreSuite(t, realServer)
}

// TestStoreRedisCluster runs the suite on a three-master Redis Cluster,
// shared by all subtests (each uses its own key prefix). Outage tests are
// skipped: a restarted node would come back empty.
func TestStoreRedisCluster(t *testing.T) {
	t.Parallel()
	var once sync.Once
	var cl *redistest.Cluster
	runStoreSuite(t, func(sub *testing.T) server {
		// The cluster belongs to the parent test, so that it outlives
		// each subtest and is stopped when all of them are done.
		once.Do(func() { cl = redistest.StartCluster(t, 3) })
		if cl == nil {
			sub.Fatal("cluster did not start")
		}
		return server{client: closeWith(sub, cl.Client(sub)), elapse: time.Sleep}
	})
}

func TestKey(t *testing.T) {
	t.Parallel()
	if got := NewStore(nil, "").Key("abc"); got != "kshare:share:abc" {
		t.Errorf("default Key = %q", got)
	}
	if got := NewStore(nil, "x:").Key("abc"); got != "x:share:abc" {
		t.Errorf("Key with prefix x: = %q", got)
	}
}

func TestCreateRejectsInvalid(t *testing.T) {
	t.Parallel()
	// Validation happens before Redis is touched: a nil client would panic.
	s := NewStore(nil, "")
	bad := snapshotShare()
	bad.Kind = "canvas"
	if _, _, err := s.Create(context.Background(), bad, 0); !isInvalid(err) {
		t.Errorf("bad kind: error = %v, want ErrInvalid", err)
	}
	if _, _, err := s.Create(context.Background(), snapshotShare(), -time.Second); !isInvalid(err) {
		t.Errorf("negative ttl: error = %v, want ErrInvalid", err)
	}
}

func TestCreateNormalizes(t *testing.T) {
	t.Parallel()
	m := miniredis.RunT(t)
	c := closeWith(t, redis.NewClient(&redis.Options{Addr: m.Addr()}))
	s := NewStore(c, "")
	in := savedShare()
	in.TZ = ""
	in.ID = "ignored"
	sh, tok, err := s.Create(context.Background(), in, 0)
	if err != nil {
		t.Fatal(err)
	}
	if sh.TZ != "UTC" || sh.ID != tok.ID || sh.Created.IsZero() ||
		sh.Created.Location() != time.UTC {
		t.Errorf("Create returned %+v; want TZ UTC, its own ID and a UTC Created", sh)
	}
}

func TestCeilMillis(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]int64{
		0: 0, time.Nanosecond: 1, time.Millisecond: 1, 1001 * time.Microsecond: 2,
		time.Hour: 3_600_000,
	} {
		if got := ceilMillis(d); got != want {
			t.Errorf("ceilMillis(%v) = %d, want %d", d, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	got := redact(errString("a\r\nb" + string(make([]byte, 500))))
	if len(got) > 210 || got[:4] != "a  b" {
		t.Errorf("redact = %q", got)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func isInvalid(err error) bool { return errors.Is(err, ErrInvalid) }

// BenchmarkLookup measures one Lookup round trip against miniredis over
// loopback TCP: token check, HGETALL, hash compare and decode.
func BenchmarkLookup(b *testing.B) {
	m := miniredis.RunT(b)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	b.Cleanup(func() { c.Close() })
	s := NewStore(c, "")
	ctx := context.Background()
	_, tok, err := s.Create(ctx, snapshotShare(), 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Lookup(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookupUnknown is the miss path, which must cost about the same.
func BenchmarkLookupUnknown(b *testing.B) {
	m := miniredis.RunT(b)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	b.Cleanup(func() { c.Close() })
	s := NewStore(c, "")
	ctx := context.Background()
	tok := mustToken(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Lookup(ctx, tok); err == nil {
			b.Fatal("unknown share found")
		}
	}
}

// BenchmarkParseToken is the cost before Redis is asked at all.
func BenchmarkParseToken(b *testing.B) {
	s := mustToken(b).String()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseToken(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookupWrongSecret is the wrong-secret path: the record is read
// and compared, then refused before decoding.
func BenchmarkLookupWrongSecret(b *testing.B) {
	m := miniredis.RunT(b)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	b.Cleanup(func() { c.Close() })
	s := NewStore(c, "")
	ctx := context.Background()
	_, tok, err := s.Create(ctx, snapshotShare(), 0)
	if err != nil {
		b.Fatal(err)
	}
	tok.secret = mustToken(b).secret
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Lookup(ctx, tok); err == nil {
			b.Fatal("wrong secret accepted")
		}
	}
}

// BenchmarkLookupRedis is Lookup against a real redis-server; unlike the
// miniredis figures, allocations here are the client's alone.
func BenchmarkLookupRedis(b *testing.B) {
	srv := redistest.Start(b)
	s := NewStore(srv.Client(b), "")
	ctx := context.Background()
	_, tok, err := s.Create(ctx, snapshotShare(), 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Lookup(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckRecord is the CPU work Lookup adds to the round trip:
// hashing, the constant-time compare and decoding a record.
func BenchmarkCheckRecord(b *testing.B) {
	tok := mustToken(b)
	sh := normalize(snapshotShare())
	sh.ID = tok.ID
	rec := map[string]string{}
	for k, v := range pairs(encode(sh)) {
		rec[k] = v
	}
	h := hashSecret(tok.ID, tok.Secret())
	rec[fSecret] = string(h[:])
	b.ReportAllocs()
	for b.Loop() {
		stored, ok := rec[fSecret]
		if !secretMatches(tok, stored, ok) {
			b.Fatal("no match")
		}
		if _, ok := decode(tok.ID, rec); !ok {
			b.Fatal("decode")
		}
	}
}

func TestSharedKeyAgreesAcrossStores(t *testing.T) {
	t.Parallel()
	m := miniredis.RunT(t)
	a := NewStore(redis.NewClient(&redis.Options{Addr: m.Addr()}), "")
	b := NewStore(redis.NewClient(&redis.Options{Addr: m.Addr()}), "")
	ka, err := a.SharedKey(t.Context(), "async")
	if err != nil {
		t.Fatal(err)
	}
	kb, err := b.SharedKey(t.Context(), "async")
	if err != nil || string(ka) != string(kb) || len(ka) != sharedKeyBytes {
		t.Fatalf("replicas disagree on the shared key (%v)", err)
	}
	other, _ := a.SharedKey(t.Context(), "other")
	if string(other) == string(ka) {
		t.Fatal("two key names gave the same key")
	}
}
