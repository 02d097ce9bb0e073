package tokens

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// sharedKeyBytes is the size of a key shared by every kshare replica.
const sharedKeyBytes = 32

// SharedKey returns a random key that every kshare replica using this
// Redis agrees on, creating it on first use (SET NX, no expiry): replicas
// need no shared configuration to verify each other's MACs, such as the
// binding of async search ids to a share. Deleting the key rotates it;
// whatever it signed then stops verifying.
func (s *Store) SharedKey(ctx context.Context, name string) ([]byte, error) {
	const op = "shared key"
	key := s.prefix + "key:" + name
	fresh := make([]byte, sharedKeyBytes)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := s.rdb.SetNX(ctx, key, hex.EncodeToString(fresh), 0).Err(); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", op, ErrUnavailable, redact(err))
	}
	v, err := s.rdb.Get(ctx, key).Result()
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", op, ErrUnavailable, redact(err))
	}
	b, err := hex.DecodeString(v)
	if err != nil || len(b) < 16 {
		return nil, fmt.Errorf("%s: %w: key %s is not a hex key", op, ErrUnavailable, key)
	}
	return b, nil
}
