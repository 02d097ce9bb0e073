package tokens

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

// server is one Redis for one subtest of the store suite.
type server struct {
	client redis.UniversalClient
	// elapse lets d pass as far as key TTLs are concerned: a real sleep for
	// redis-server, a FastForward for miniredis.
	elapse func(d time.Duration)
	// stop and restart simulate an outage; nil where the backend cannot.
	stop, restart func()
}

// prefixes keeps subtests apart when a backend shares one server.
var prefixes atomic.Int64

// fixture is what each suite test starts from.
type fixture struct {
	t   *testing.T
	ctx context.Context
	srv server
	s   *Store
}

func newFixture(t *testing.T, newServer func(*testing.T) server) *fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	srv := newServer(t)
	prefix := fmt.Sprintf("kshare-test-%d:", prefixes.Add(1))
	return &fixture{t: t, ctx: ctx, srv: srv, s: NewStore(srv.client, prefix)}
}

func (f *fixture) create(sh Share, ttl time.Duration) (Share, Token) {
	f.t.Helper()
	got, tok, err := f.s.Create(f.ctx, sh, ttl)
	if err != nil {
		f.t.Fatalf("Create: %v", err)
	}
	return got, tok
}

// wantErr fails unless err wraps want, and checks that err does not leak tok.
func (f *fixture) wantErr(what string, err, want error, tok Token) {
	f.t.Helper()
	if !errors.Is(err, want) {
		f.t.Fatalf("%s: error = %v, want %v", what, err, want)
	}
	noSecret(f.t, what, err, tok)
}

func noSecret(t *testing.T, what string, err error, tok Token) {
	t.Helper()
	if err != nil && tok.Secret() != "" && strings.Contains(err.Error(), tok.Secret()) {
		t.Fatalf("%s: error %q contains the secret", what, err)
	}
}

func (f *fixture) exists(id string) bool {
	f.t.Helper()
	n, err := f.srv.client.Exists(f.ctx, f.s.Key(id)).Result()
	if err != nil {
		f.t.Fatalf("EXISTS: %v", err)
	}
	return n == 1
}

func (f *fixture) pttl(id string) time.Duration {
	f.t.Helper()
	d, err := f.srv.client.PTTL(f.ctx, f.s.Key(id)).Result()
	if err != nil {
		f.t.Fatalf("PTTL: %v", err)
	}
	return d
}

// runStoreSuite is the behaviour every share-store backend must show.
// newServer returns a Redis for one subtest; subtests run in parallel.
func runStoreSuite(t *testing.T, newServer func(*testing.T) server) {
	for _, tc := range []struct {
		name string
		run  func(*fixture)
	}{
		{"RoundTrip", testRoundTrip},
		{"WrongSecret", testWrongSecret},
		{"UnknownID", testUnknownID},
		{"MalformedToken", testMalformedToken},
		{"Delete", testDelete},
		{"RawDEL", testRawDEL},
		{"Expiry", testExpiry},
		{"PauseResume", testPauseResume},
		{"PauseDeleted", testPauseDeleted},
		{"UpdateKeepsTTL", testUpdateKeepsTTL},
		{"UpdateRefuses", testUpdateRefuses},
		{"IncompleteRecord", testIncompleteRecord},
		{"StoresOnlyHash", testStoresOnlyHash},
		{"List", testList},
		{"ListPrefixIsLiteral", testListPrefixIsLiteral},
		{"NeverOverwrites", testNeverOverwrites},
		{"Cancelled", testCancelled},
		{"RedisDown", testRedisDown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(newFixture(t, newServer))
		})
	}
}

func testRoundTrip(f *fixture) {
	for _, in := range []Share{snapshotShare(), savedShare()} {
		sh, tok := f.create(in, time.Hour)
		if sh.ID != tok.ID || !ValidID(sh.ID) {
			f.t.Fatalf("Create returned id %q and token id %q", sh.ID, tok.ID)
		}
		parsed, err := ParseToken(tok.String())
		if err != nil {
			f.t.Fatalf("ParseToken: %v", err)
		}
		got, err := f.s.Lookup(f.ctx, parsed)
		if err != nil {
			f.t.Fatalf("Lookup: %v", err)
		}
		if d := cmp.Diff(sh, got); d != "" {
			f.t.Errorf("Lookup (-created +looked up):\n%s", d)
		}
		adm, ttl, err := f.s.Get(f.ctx, sh.ID)
		if err != nil || ttl <= 0 || ttl > time.Hour {
			f.t.Fatalf("Get = ttl %v, %v; want (0, 1h]", ttl, err)
		}
		if d := cmp.Diff(sh, adm); d != "" {
			f.t.Errorf("Get (-created +got):\n%s", d)
		}
	}
}

func testWrongSecret(f *fixture) {
	_, tok := f.create(snapshotShare(), 0)
	other := mustToken(f.t)
	wrong, err := ParseToken(tok.ID + "." + other.Secret())
	if err != nil {
		f.t.Fatal(err)
	}
	_, err = f.s.Lookup(f.ctx, wrong)
	f.wantErr("wrong secret", err, ErrUnknown, tok)
	noSecret(f.t, "wrong secret", err, wrong)

	// A wrong secret and an unknown share must read the same to a caller.
	_, errUnknown := f.s.Lookup(f.ctx, other)
	if err.Error() != errUnknown.Error() {
		f.t.Errorf("wrong secret says %q, unknown share says %q", err, errUnknown)
	}
}

func testUnknownID(f *fixture) {
	tok := mustToken(f.t)
	_, err := f.s.Lookup(f.ctx, tok)
	f.wantErr("unknown id", err, ErrUnknown, tok)
	_, _, err = f.s.Get(f.ctx, tok.ID)
	f.wantErr("get unknown", err, ErrUnknown, tok)
	if f.exists(tok.ID) {
		f.t.Error("Lookup created a key")
	}
}

func testMalformedToken(f *fixture) {
	sh, tok := f.create(snapshotShare(), 0)
	// Token literals bypass ParseToken; Lookup must still refuse them.
	for _, bad := range []Token{{}, {ID: sh.ID}, {ID: "x", secret: tok.secret},
		{ID: strings.ToUpper(sh.ID), secret: tok.secret}} {
		_, err := f.s.Lookup(f.ctx, bad)
		f.wantErr(fmt.Sprintf("Lookup(%v)", bad), err, ErrUnknown, tok)
	}
	for _, s := range []string{"", tok.String() + "x", tok.ID + tok.Secret(),
		tok.String() + ".", strings.Replace(tok.String(), ".", "..", 1), "../" + tok.String()} {
		if _, err := ParseToken(s); !errors.Is(err, ErrUnknown) {
			f.t.Errorf("ParseToken(%.60q) error = %v, want ErrUnknown", s, err)
		}
	}
}

func testDelete(f *fixture) {
	sh, tok := f.create(snapshotShare(), 0)
	if err := f.s.Delete(f.ctx, sh.ID); err != nil {
		f.t.Fatalf("Delete: %v", err)
	}
	_, err := f.s.Lookup(f.ctx, tok)
	f.wantErr("lookup after Delete", err, ErrUnknown, tok)
	f.wantErr("second Delete", f.s.Delete(f.ctx, sh.ID), ErrUnknown, tok)
	f.wantErr("Delete bad id", f.s.Delete(f.ctx, "*"), ErrUnknown, tok)
}

// testRawDEL is revocation the way an operator does it: redis-cli DEL.
func testRawDEL(f *fixture) {
	sh, tok := f.create(snapshotShare(), 0)
	if _, err := f.s.Lookup(f.ctx, tok); err != nil {
		f.t.Fatalf("Lookup: %v", err)
	}
	if err := f.srv.client.Del(f.ctx, f.s.Key(sh.ID)).Err(); err != nil {
		f.t.Fatalf("DEL: %v", err)
	}
	_, err := f.s.Lookup(f.ctx, tok)
	f.wantErr("lookup after DEL", err, ErrUnknown, tok)
}

func testExpiry(f *fixture) {
	sh, tok := f.create(savedShare(), time.Second)
	if _, ttl, err := f.s.Get(f.ctx, sh.ID); err != nil || ttl <= 0 || ttl > time.Second {
		f.t.Fatalf("Get = ttl %v, %v; want (0, 1s]", ttl, err)
	}
	f.srv.elapse(1200 * time.Millisecond)
	_, err := f.s.Lookup(f.ctx, tok)
	f.wantErr("lookup after expiry", err, ErrUnknown, tok)
	if f.exists(sh.ID) {
		f.t.Error("key still exists after its TTL")
	}
}

func testPauseResume(f *fixture) {
	sh, tok := f.create(snapshotShare(), time.Hour)
	if err := f.s.SetPaused(f.ctx, sh.ID, true); err != nil {
		f.t.Fatalf("pause: %v", err)
	}
	got, err := f.s.Lookup(f.ctx, tok)
	f.wantErr("lookup paused", err, ErrPaused, tok)
	if got.ID != sh.ID || !got.Paused {
		f.t.Errorf("paused lookup returned %+v, want the share with Paused", got)
	}
	if err := f.s.SetPaused(f.ctx, sh.ID, false); err != nil {
		f.t.Fatalf("resume: %v", err)
	}
	if got, err := f.s.Lookup(f.ctx, tok); err != nil || got.Paused {
		f.t.Fatalf("lookup resumed = paused %v, %v; want ok", got.Paused, err)
	}
	if ttl := f.pttl(sh.ID); ttl < 59*time.Minute {
		f.t.Errorf("TTL after pause/resume = %v, want about 1h", ttl)
	}
}

// testPauseDeleted guards against HSET re-creating a revoked share.
func testPauseDeleted(f *fixture) {
	sh, tok := f.create(snapshotShare(), 0)
	if err := f.s.Delete(f.ctx, sh.ID); err != nil {
		f.t.Fatal(err)
	}
	f.wantErr("pause deleted", f.s.SetPaused(f.ctx, sh.ID, true), ErrUnknown, tok)
	f.wantErr("resume deleted", f.s.SetPaused(f.ctx, sh.ID, false), ErrUnknown, tok)
	f.wantErr("update deleted", f.s.Update(f.ctx, sh.ID, map[string]string{"label": "x"}),
		ErrUnknown, tok)
	if f.exists(sh.ID) {
		f.t.Fatal("pause/update of a deleted share re-created its key")
	}
}

func testUpdateKeepsTTL(f *fixture) {
	sh, tok := f.create(snapshotShare(), time.Hour)
	from := "2024-05-01T12:00:00+02:00" // stored normalised to UTC
	err := f.s.Update(f.ctx, sh.ID, map[string]string{"label": "renamed", "from": from})
	if err != nil {
		f.t.Fatalf("Update: %v", err)
	}
	got, err := f.s.Lookup(f.ctx, tok)
	if err != nil {
		f.t.Fatalf("Lookup: %v", err)
	}
	wantFrom := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	if got.Label != "renamed" || !got.From.Equal(wantFrom) || got.ObjectID != sh.ObjectID {
		f.t.Errorf("after Update: %+v", got)
	}
	raw, _ := f.srv.client.HGet(f.ctx, f.s.Key(sh.ID), "from").Result()
	if raw != "2024-05-01T10:00:00Z" {
		f.t.Errorf("stored from = %q, want UTC", raw)
	}
	if ttl := f.pttl(sh.ID); ttl < 59*time.Minute {
		f.t.Errorf("TTL after Update = %v, want about 1h", ttl)
	}

	// A share without expiry stays without.
	sh2, _ := f.create(savedShare(), 0)
	if err := f.s.Update(f.ctx, sh2.ID, map[string]string{"paused": "1"}); err != nil {
		f.t.Fatal(err)
	}
	if _, ttl, err := f.s.Get(f.ctx, sh2.ID); err != nil || ttl != NoExpiry {
		f.t.Errorf("Get after Update = ttl %v, %v; want NoExpiry", ttl, err)
	}
}

func testUpdateRefuses(f *fixture) {
	sh, tok := f.create(snapshotShare(), 0)
	before, _, _ := f.s.Get(f.ctx, sh.ID)
	for name, fields := range map[string]map[string]string{
		"secret":         {"secret": strings.Repeat("0", 64)},
		"version":        {"v": "2"},
		"unknown field":  {"lable": "typo"},
		"nothing":        {},
		"from after to":  {"from": "2030-01-01T00:00:00Z"},
		"bad time":       {"to": "tomorrow"},
		"bad paused":     {"paused": "yes"},
		"bad kind":       {"kind": "canvas"},
		"bad tz":         {"tz": "Mars/Olympus"},
		"long label":     {"label": strings.Repeat("x", 201)},
		"saved with to":  {"mode": "saved", "to": "2030-01-01T00:00:00Z"},
		"mixed good/bad": {"label": "ok", "secret": "x"},
	} {
		err := f.s.Update(f.ctx, sh.ID, fields)
		f.wantErr("Update "+name, err, ErrInvalid, tok)
	}
	after, _, err := f.s.Get(f.ctx, sh.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	if d := cmp.Diff(before, after); d != "" {
		f.t.Errorf("refused updates changed the share (-before +after):\n%s", d)
	}
	if _, err := f.s.Lookup(f.ctx, tok); err != nil {
		f.t.Errorf("Lookup after refused updates: %v", err)
	}
}

func testIncompleteRecord(f *fixture) {
	for _, field := range []string{"v", "mode", "kind", "object", "created", "secret",
		"from", "to"} {
		sh, tok := f.create(snapshotShare(), 0)
		if err := f.srv.client.HDel(f.ctx, f.s.Key(sh.ID), field).Err(); err != nil {
			f.t.Fatal(err)
		}
		_, err := f.s.Lookup(f.ctx, tok)
		f.wantErr("lookup without "+field, err, ErrUnknown, tok)
		_, _, err = f.s.Get(f.ctx, sh.ID)
		f.wantErr("get without "+field, err, ErrUnknown, tok)
	}
	for field, value := range map[string]string{"v": "2", "created": "yesterday",
		"paused": "yes", "mode": "live", "to": "soon"} {
		sh, tok := f.create(snapshotShare(), 0)
		if err := f.srv.client.HSet(f.ctx, f.s.Key(sh.ID), field, value).Err(); err != nil {
			f.t.Fatal(err)
		}
		_, err := f.s.Lookup(f.ctx, tok)
		f.wantErr(fmt.Sprintf("lookup with %s=%q", field, value), err, ErrUnknown, tok)
	}
	// A key that is not a hash at all is not a share either.
	tok := mustToken(f.t)
	if err := f.srv.client.Set(f.ctx, f.s.Key(tok.ID), "x", 0).Err(); err != nil {
		f.t.Fatal(err)
	}
	_, err := f.s.Lookup(f.ctx, tok)
	f.wantErr("lookup of a string key", err, ErrUnknown, tok)
	_, _, err = f.s.Get(f.ctx, tok.ID)
	f.wantErr("get of a string key", err, ErrUnknown, tok)
}

// testStoresOnlyHash checks that Redis never holds the secret, only its
// hash, under the documented field layout.
func testStoresOnlyHash(f *fixture) {
	sh, tok := f.create(snapshotShare(), 0)
	rec, err := f.srv.client.HGetAll(f.ctx, f.s.Key(sh.ID)).Result()
	if err != nil {
		f.t.Fatal(err)
	}
	for k, v := range rec {
		if strings.Contains(v, tok.Secret()) {
			f.t.Errorf("field %s holds the secret", k)
		}
	}
	want := hashSecret(tok.ID, tok.Secret())
	if rec["secret"] != string(want[:]) {
		f.t.Errorf("secret field = %q, want the v1 hash", rec["secret"])
	}
	for k, v := range map[string]string{"v": "1", "mode": "snapshot", "kind": "dashboard",
		"space": "ops", "paused": "0", "from": "2024-05-01T10:00:00.123456789Z",
		"tz": "Europe/Berlin", "from_expr": "now-24h"} {
		if rec[k] != v {
			f.t.Errorf("field %s = %q, want %q", k, rec[k], v)
		}
	}
}

func testList(f *fixture) {
	want := map[string]time.Duration{}
	for i := range 25 { // enough to spread over every cluster node
		ttl := time.Duration(0)
		if i%2 == 0 {
			ttl = time.Hour
		}
		sh, _ := f.create(savedShare(), ttl)
		want[sh.ID] = ttl
	}
	// Things under the prefix that are not shares are skipped.
	junk := mustToken(f.t)
	f.srv.client.Set(f.ctx, f.s.Key(junk.ID), "not a hash", 0)
	f.srv.client.HSet(f.ctx, f.s.Key("not-an-id"), "v", "1")
	f.srv.client.HSet(f.ctx, f.s.Key(mustToken(f.t).ID), "v", "1") // incomplete

	got, err := f.s.List(f.ctx)
	if err != nil {
		f.t.Fatalf("List: %v", err)
	}
	if len(got) != len(want) {
		f.t.Fatalf("List returned %d shares, want %d", len(got), len(want))
	}
	for i, l := range got {
		ttl, ok := want[l.ID]
		switch {
		case !ok:
			f.t.Errorf("List returned unknown share %s", l.ID)
		case ttl == 0 && l.TTL != NoExpiry:
			f.t.Errorf("share %s: TTL %v, want NoExpiry", l.ID, l.TTL)
		case ttl > 0 && (l.TTL <= 59*time.Minute || l.TTL > time.Hour):
			f.t.Errorf("share %s: TTL %v, want about 1h", l.ID, l.TTL)
		}
		if i > 0 && l.Created.Before(got[i-1].Created) {
			f.t.Errorf("List not sorted by Created")
		}
	}
}

// testListPrefixIsLiteral checks that glob characters in a prefix do not
// widen the SCAN pattern to another tenant's keys.
func testListPrefixIsLiteral(f *fixture) {
	base := strings.TrimSuffix(f.s.prefix, ":")
	glob := NewStore(f.srv.client, base+"[ab]*?:")
	other := NewStore(f.srv.client, base+"a-other:")
	if _, _, err := other.Create(f.ctx, savedShare(), 0); err != nil {
		f.t.Fatal(err)
	}
	mine, _, err := glob.Create(f.ctx, savedShare(), 0)
	if err != nil {
		f.t.Fatal(err)
	}
	got, err := glob.List(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != mine.ID {
		f.t.Errorf("List with a glob prefix returned %d shares, want only its own", len(got))
	}
}

func testNeverOverwrites(f *fixture) {
	first, tok := f.create(snapshotShare(), 0)
	calls := 0
	f.s.newToken = func() (Token, error) { // every fresh id is taken
		calls++
		return Token{ID: tok.ID, secret: mustToken(f.t).secret}, nil
	}
	in := snapshotShare()
	in.Label = "intruder"
	_, _, err := f.s.Create(f.ctx, in, 0)
	if err == nil {
		f.t.Fatal("Create over an existing id succeeded")
	}
	noSecret(f.t, "collision", err, tok)
	if calls != createAttempts {
		f.t.Errorf("Create tried %d ids, want %d", calls, createAttempts)
	}
	got, err := f.s.Lookup(f.ctx, tok)
	if err != nil || got.Label != first.Label {
		f.t.Fatalf("original share after collision = %q, %v; want it unchanged", got.Label, err)
	}

	// One collision is survived by drawing another id.
	calls = 0
	f.s.newToken = func() (Token, error) {
		calls++
		if calls == 1 {
			return tok, nil
		}
		return NewToken()
	}
	sh, _, err := f.s.Create(f.ctx, in, 0)
	if err != nil || sh.ID == tok.ID {
		f.t.Fatalf("Create after one collision = %s, %v; want a new id", sh.ID, err)
	}
}

func testCancelled(f *fixture) {
	_, tok := f.create(snapshotShare(), 0)
	ctx, cancel := context.WithCancel(f.ctx)
	cancel()
	_, err := f.s.Lookup(ctx, tok)
	f.wantErr("cancelled lookup", err, ErrUnavailable, tok)
	if !errors.Is(err, context.Canceled) {
		f.t.Errorf("cancelled lookup: error %v does not wrap context.Canceled", err)
	}
}

func testRedisDown(f *fixture) {
	if f.srv.stop == nil {
		f.t.Skip("backend cannot simulate an outage")
	}
	sh, tok := f.create(snapshotShare(), 0)
	f.srv.stop()

	// Each call gets its own deadline, well beyond the client's retries, so
	// that the failure seen is the refused connection and not the deadline.
	down := func(what string, call func(context.Context) error) {
		ctx, cancel := context.WithTimeout(f.ctx, 10*time.Second)
		defer cancel()
		err := call(ctx)
		f.wantErr(what+" while down", err, ErrUnavailable, tok)
		if errors.Is(err, ErrUnknown) || errors.Is(err, context.DeadlineExceeded) {
			f.t.Errorf("%s while down: error %v, want a plain outage", what, err)
		}
	}
	down("lookup", func(ctx context.Context) error {
		_, err := f.s.Lookup(ctx, tok)
		return err
	})
	down("create", func(ctx context.Context) error {
		_, _, err := f.s.Create(ctx, snapshotShare(), 0)
		return err
	})
	down("get", func(ctx context.Context) error {
		_, _, err := f.s.Get(ctx, sh.ID)
		return err
	})
	down("list", func(ctx context.Context) error {
		_, err := f.s.List(ctx)
		return err
	})
	down("delete", func(ctx context.Context) error { return f.s.Delete(ctx, sh.ID) })
	down("pause", func(ctx context.Context) error { return f.s.SetPaused(ctx, sh.ID, true) })
	down("update", func(ctx context.Context) error {
		return f.s.Update(ctx, sh.ID, map[string]string{"label": "x"})
	})

	// The same Store recovers once Redis is back; the restarted server
	// may or may not still hold the old share, so use a new one.
	f.srv.restart()
	_, tok2 := f.create(savedShare(), 0)
	if _, err := f.s.Lookup(f.ctx, tok2); err != nil {
		f.t.Fatalf("lookup after restart: %v", err)
	}
}
