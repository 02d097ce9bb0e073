package tokens

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/redis/go-redis/v9"
)

// DefaultKeyPrefix is the key prefix NewStore uses when given "".
const DefaultKeyPrefix = "kshare:"

// NoExpiry is the TTL that Get and List report for a share without expiry.
const NoExpiry time.Duration = -1

// createAttempts bounds the retries when a fresh ID is already taken. With
// 80-bit IDs a single collision is already astronomically unlikely, so
// running out means the random source is broken.
const createAttempts = 3

// listBatch is the SCAN COUNT hint and the pipeline size for List.
const listBatch = 200

// Store keeps shares in Redis, one hash per share. It is safe for
// concurrent use.
type Store struct {
	rdb    redis.UniversalClient
	prefix string

	// newToken is NewToken, replaceable by tests to force an ID collision.
	newToken func() (Token, error)
}

// Listed is one share as List reports it.
type Listed struct {
	Share
	TTL time.Duration // remaining lifetime; NoExpiry if the key has none
}

// createScript writes a new share only if its key does not exist yet, and
// sets the TTL in the same step, so no reader ever sees a half-written or
// immortal share.
// KEYS[1] = share key; ARGV[1] = TTL in ms (0 = none); ARGV[2..] = pairs.
var createScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
local ttl = tonumber(ARGV[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`)

// updateScript sets fields only on an existing key. A bare HSET would
// re-create a revoked or expired share as an incomplete, immortal record.
// HSET keeps the key's TTL. KEYS[1] = share key; ARGV = field/value pairs.
var updateScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
`)

// NewStore returns a Store that keeps shares under keyPrefix
// (DefaultKeyPrefix if empty) in rdb. The Store does not own rdb; the caller
// closes it.
func NewStore(rdb redis.UniversalClient, keyPrefix string) *Store {
	if keyPrefix == "" {
		keyPrefix = DefaultKeyPrefix
	}
	return &Store{rdb: rdb, prefix: keyPrefix, newToken: NewToken}
}

// Key returns the Redis key of share id, e.g. "kshare:share:<id>".
// Deleting this key revokes the share.
func (s *Store) Key(id string) string { return s.prefix + "share:" + id }

// Create stores a new share with a fresh ID and secret and returns the share
// as stored (ID, Created and TZ filled in, times in UTC) and its token. A
// ttl of 0 means no expiry. sh.ID is ignored; a zero sh.Created means now.
// Create never overwrites an existing key.
func (s *Store) Create(ctx context.Context, sh Share, ttl time.Duration) (Share, Token, error) {
	const op = "create share"
	if err := sh.Validate(); err != nil {
		return Share{}, Token{}, fmt.Errorf("%s: %w", op, err)
	}
	if ttl < 0 {
		return Share{}, Token{}, fmt.Errorf("%s: %w: negative ttl %v", op, ErrInvalid, ttl)
	}
	sh = normalize(sh)
	for range createAttempts {
		tok, err := s.newToken()
		if err != nil {
			return Share{}, Token{}, fmt.Errorf("%s: %w", op, err)
		}
		sh.ID = tok.ID
		created, err := s.write(ctx, sh, tok, ttl)
		if err != nil {
			return Share{}, Token{}, unavailable(op, err)
		}
		if created {
			return sh, tok, nil
		}
	}
	return Share{}, Token{}, fmt.Errorf("%s: %d random ids in a row were taken", op, createAttempts)
}

func normalize(sh Share) Share {
	if sh.Created.IsZero() {
		sh.Created = time.Now()
	}
	if sh.TZ == "" {
		sh.TZ = "UTC"
	}
	// UTC also drops the monotonic clock reading, so the returned share
	// compares equal to what Lookup decodes later.
	sh.Created = sh.Created.UTC()
	sh.From, sh.To = sh.From.UTC(), sh.To.UTC()
	if sh.Mode == Saved {
		sh.From, sh.To = time.Time{}, time.Time{}
	}
	return sh
}

// write runs createScript; it reports false if the key already existed.
func (s *Store) write(ctx context.Context, sh Share, tok Token, ttl time.Duration) (bool, error) {
	hash := hashSecret(tok.ID, tok.secret)
	kv := encode(sh)
	args := make([]any, 0, 1+len(kv)+2)
	args = append(args, ceilMillis(ttl))
	for _, v := range kv {
		args = append(args, v)
	}
	args = append(args, fSecret, string(hash[:]))
	n, err := createScript.Run(ctx, s.rdb, []string{s.Key(sh.ID)}, args...).Int()
	return n == 1, err
}

// ceilMillis rounds up, so that a positive sub-millisecond ttl does not
// become 0, which means "no expiry".
func ceilMillis(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// Lookup returns the share that tok opens. It fails with [ErrUnknown] if the
// share is missing, the secret is wrong or the record is incomplete, with
// [ErrUnavailable] if Redis cannot answer, and returns the share together
// with [ErrPaused] if the share is paused. All errors are wrapped.
func (s *Store) Lookup(ctx context.Context, tok Token) (Share, error) {
	const op = "lookup share"
	if !tok.valid() {
		return Share{}, fmt.Errorf("%s: %w", op, ErrUnknown)
	}
	// HGETALL of a missing key is an empty map and no error, not redis.Nil.
	rec, err := s.rdb.HGetAll(ctx, s.Key(tok.ID)).Result()
	if err != nil {
		return Share{}, readErr(op, err)
	}
	// Compare before looking at anything else, and also when the key is
	// missing (against a dummy), so that wrong secrets and unknown IDs take
	// the same path.
	stored, present := rec[fSecret]
	if !secretMatches(tok, stored, present) {
		return Share{}, fmt.Errorf("%s: %w", op, ErrUnknown)
	}
	sh, ok := decode(tok.ID, rec)
	if !ok {
		return Share{}, fmt.Errorf("%s: %w", op, ErrUnknown)
	}
	if sh.Paused {
		return sh, fmt.Errorf("%s: %w", op, ErrPaused)
	}
	return sh, nil
}

// Get returns share id and its remaining TTL (NoExpiry if none) for an
// admin. It does not need the secret, so it must never serve recipients.
func (s *Store) Get(ctx context.Context, id string) (Share, time.Duration, error) {
	l, err := s.get(ctx, "get share", id)
	return l.Share, l.TTL, err
}

func (s *Store) get(ctx context.Context, op, id string) (Listed, error) {
	if !ValidID(id) {
		return Listed{}, fmt.Errorf("%s: %w", op, ErrUnknown)
	}
	var all *redis.MapStringStringCmd
	var pttl *redis.DurationCmd
	// MULTI so that the record and its TTL are read at the same instant.
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		all = p.HGetAll(ctx, s.Key(id))
		pttl = p.PTTL(ctx, s.Key(id))
		return nil
	})
	if err != nil {
		return Listed{}, readErr(op, err)
	}
	l, ok := listed(id, all.Val(), pttl.Val())
	if !ok {
		return Listed{}, fmt.Errorf("%s: %w", op, ErrUnknown)
	}
	return l, nil
}

// listed decodes one record read together with its PTTL; PTTL is -2 when
// the key vanished.
func listed(id string, rec map[string]string, pttl time.Duration) (Listed, bool) {
	if _, ok := rec[fSecret]; !ok || pttl == -2 {
		return Listed{}, false
	}
	sh, ok := decode(id, rec)
	if pttl < 0 {
		pttl = NoExpiry
	}
	return Listed{Share: sh, TTL: pttl}, ok
}

// List returns every readable share under the store's prefix, oldest
// first. On a Redis Cluster it scans every master, since SCAN only sees the
// keys of the node it runs on. Records that cannot be decoded are left out.
//
// TODO(kshare): report undecodable records instead of skipping them, so an
// admin can find and delete them; not now because the admin CLI has no
// place to show them yet.
func (s *Store) List(ctx context.Context) ([]Listed, error) {
	const op = "list shares"
	var mu sync.Mutex
	found := map[string]Listed{} // SCAN may return a key more than once
	collect := func(l Listed) {
		mu.Lock()
		found[l.ID] = l
		mu.Unlock()
	}
	var err error
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			return s.scan(ctx, c, collect)
		})
	} else {
		err = s.scan(ctx, s.rdb, collect)
	}
	if err != nil {
		return nil, unavailable(op, err)
	}
	out := slices.Collect(maps.Values(found))
	slices.SortFunc(out, func(a, b Listed) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// scan walks the keys of one node and hands each decodable share to
// collect.
func (s *Store) scan(ctx context.Context, c redis.Cmdable, collect func(Listed)) error {
	match := globEscape(s.Key("")) + "*"
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, match, listBatch).Result()
		if err != nil {
			return err
		}
		if err := s.fetch(ctx, c, keys, collect); err != nil {
			return err
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// fetch reads the records of keys in one pipeline. A key that is not a hash
// (WRONGTYPE) is skipped like any other undecodable record.
func (s *Store) fetch(ctx context.Context, c redis.Cmdable, keys []string,
	collect func(Listed)) error {
	type pair struct {
		id   string
		all  *redis.MapStringStringCmd
		pttl *redis.DurationCmd
	}
	pairs := make([]pair, 0, len(keys))
	p := c.Pipeline()
	for _, k := range keys {
		id := strings.TrimPrefix(k, s.Key(""))
		if !ValidID(id) {
			continue
		}
		pairs = append(pairs, pair{id, p.HGetAll(ctx, k), p.PTTL(ctx, k)})
	}
	if len(pairs) == 0 {
		return nil
	}
	if _, err := p.Exec(ctx); err != nil && !isReply(err) {
		return err
	}
	for _, pr := range pairs {
		if pr.all.Err() != nil || pr.pttl.Err() != nil {
			continue
		}
		if l, ok := listed(pr.id, pr.all.Val(), pr.pttl.Val()); ok {
			collect(l)
		}
	}
	return nil
}

// isReply reports whether err is an error reply from Redis (the server
// answered) rather than a failure to talk to it.
func isReply(err error) bool {
	var re redis.Error
	return errors.As(err, &re)
}

// globEscape quotes the SCAN MATCH metacharacters in a literal prefix.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Delete removes share id, which revokes it completely. It fails with
// [ErrUnknown] if there is no such key.
func (s *Store) Delete(ctx context.Context, id string) error {
	const op = "delete share"
	if !ValidID(id) {
		return fmt.Errorf("%s: %w", op, ErrUnknown)
	}
	n, err := s.rdb.Del(ctx, s.Key(id)).Result()
	if err != nil {
		return unavailable(op, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", op, ErrUnknown)
	}
	return nil
}

// SetPaused pauses or resumes share id. It changes an existing key only and
// keeps its TTL; for a missing key it fails with [ErrUnknown].
func (s *Store) SetPaused(ctx context.Context, id string, paused bool) error {
	op := "resume share"
	if paused {
		op = "pause share"
	}
	if !ValidID(id) {
		return fmt.Errorf("%s: %w", op, ErrUnknown)
	}
	return s.set(ctx, op, id, []any{fPaused, flag(paused)})
}

// set runs updateScript.
func (s *Store) set(ctx context.Context, op, id string, kv []any) error {
	n, err := updateScript.Run(ctx, s.rdb, []string{s.Key(id)}, kv...).Int()
	if err != nil {
		return unavailable(op, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", op, ErrUnknown)
	}
	return nil
}

// updatable lists the fields Update may set. "v" and "secret" are absent on
// purpose: changing them would break or take over the share.
var updatable = map[string]bool{
	fMode: true, fKind: true, fObject: true, fSpace: true, fFrom: true, fTo: true,
	fFromExpr: true, fToExpr: true, fTZ: true, fLabel: true, fCreated: true,
	fPaused: true, fBanner: true, fFrames: true, fFilters: true,
}

// Update sets the named hash fields of an existing share and keeps its TTL.
// Field names are those of the Redis record (e.g. "label", "from", "to",
// "paused"); "v" and "secret" are refused. Update reads the record, applies
// fields and validates the result like Create, so that it cannot leave a
// share that Lookup would reject; times are stored normalised to UTC. It
// fails with [ErrUnknown] if the share is missing and [ErrInvalid] for bad
// fields.
//
// TODO(kshare): two concurrent Updates can each validate against the old
// record; a WATCH transaction would close that, not done now because admin
// edits are rare and each still leaves every field individually valid.
func (s *Store) Update(ctx context.Context, id string, fields map[string]string) error {
	const op = "update share"
	if err := checkFields(fields); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	cur, err := s.get(ctx, op, id)
	if err != nil {
		return err
	}
	rec := maps.Collect(pairs(encode(cur.Share)))
	maps.Copy(rec, fields)
	next, bad := decodeField(id, rec)
	if bad != "" {
		return fmt.Errorf("%s: %w: field %s: bad or missing value", op, ErrInvalid, bad)
	}
	if err := next.Validate(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	enc := maps.Collect(pairs(encode(next)))
	kv := make([]any, 0, 2*len(fields))
	for _, f := range slices.Sorted(maps.Keys(fields)) {
		v, ok := enc[f]
		if !ok {
			// Only from and to can be absent: a saved share has none.
			return fmt.Errorf("%s: %w: %s share has no field %s", op, ErrInvalid, next.Mode, f)
		}
		kv = append(kv, f, v)
	}
	return s.set(ctx, op, id, kv)
}

func checkFields(fields map[string]string) error {
	if len(fields) == 0 {
		return fmt.Errorf("%w: no fields to update", ErrInvalid)
	}
	for f := range fields {
		if !updatable[f] {
			return fmt.Errorf("%w: field %s cannot be updated", ErrInvalid, clip(f))
		}
	}
	return nil
}

// pairs yields alternating field/value strings as key/value pairs.
func pairs(kv []string) func(yield func(string, string) bool) {
	return func(yield func(string, string) bool) {
		for i := 0; i+1 < len(kv); i += 2 {
			if !yield(kv[i], kv[i+1]) {
				return
			}
		}
	}
}

// readErr maps a failed read of one share key. WRONGTYPE means the key
// holds something other than a hash: not a share, like any other record
// that does not decode.
func readErr(op string, err error) error {
	if redis.HasErrorPrefix(err, "WRONGTYPE") {
		return fmt.Errorf("%s: %w", op, ErrUnknown)
	}
	return unavailable(op, err)
}

// unavailable wraps a Redis failure. A cancelled or expired context stays
// visible to errors.Is, so the proxy can tell a client that hung up from a
// Redis outage.
func unavailable(op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w: %w", op, ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w: %v", op, ErrUnavailable, redact(err))
}

// redact bounds the text of a Redis error before it reaches an error string
// and a log line. The secret itself never travels to Redis (only its hash
// does), but server and network errors are third-party text: keep it to one
// printable line of limited length.
func redact(err error) string {
	const max = 200
	msg := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, err.Error())
	if len(msg) > max {
		msg = msg[:max] + "…"
	}
	return msg
}
