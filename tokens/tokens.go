// Package tokens holds kshare's share records and the link tokens that open
// them, and stores both in Redis.
//
// A share is one Redis hash, <prefix>share:<id>. Deleting that key revokes
// the share completely and the key's own TTL is the share's expiry, so an
// operator can manage shares with redis-cli alone. Redis never sees a link
// secret: the hash keeps only a salted SHA-256 of it (see [Token]).
package tokens

import "errors"

// Sentinel errors. Callers branch on them with errors.Is; the text around
// them names the operation and never contains a secret.
var (
	// ErrUnknown means there is no usable share for the request: the key is
	// missing, the secret is wrong, the record is incomplete or the token is
	// malformed. These cases are deliberately indistinguishable, so that a
	// recipient cannot probe which share IDs exist.
	ErrUnknown = errors.New("unknown share")

	// ErrPaused means the share exists and the secret matched, but an admin
	// has paused it. Lookup returns the share alongside this error.
	ErrPaused = errors.New("share paused")

	// ErrUnavailable means Redis could not answer (down, timeout, refused).
	// It says nothing about whether the share exists.
	ErrUnavailable = errors.New("share store unavailable")

	// ErrInvalid means Create or Update was given fields that break the
	// share rules; it is wrapped with the detail.
	ErrInvalid = errors.New("invalid share")
)
