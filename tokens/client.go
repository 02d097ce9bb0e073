package tokens

import (
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis deployment modes for ClientOptions.Mode.
const (
	ModeStandalone = "standalone"
	ModeSentinel   = "sentinel"
	ModeCluster    = "cluster"
)

// ClientOptions describe how to reach Redis. They mirror the redis section of
// the kshare configuration; NewClient checks that they fit together.
type ClientOptions struct {
	// Mode is "standalone" (the default when empty), "sentinel" or "cluster".
	Mode string

	// Addrs are host:port pairs: the one server (standalone), the Sentinels
	// (sentinel) or some cluster nodes to discover the rest from (cluster).
	Addrs []string

	// MasterName is the Sentinel master group name; sentinel mode only.
	MasterName string

	// Username and Password authenticate to the Redis server (ACL user;
	// empty Username means "default").
	Username, Password string

	// SentinelUsername and SentinelPassword authenticate to the Sentinels
	// themselves; sentinel mode only.
	SentinelUsername, SentinelPassword string

	// DB is the database number; must be 0 in cluster mode.
	DB int

	// TLS enables TLS with this configuration; nil means plain TCP.
	TLS *tls.Config

	// DialTimeout bounds connecting; Timeout bounds each socket read and
	// write. 0 means the go-redis default (5 s).
	DialTimeout, Timeout time.Duration
}

// NewClient returns a Redis client for o. Reads always go to the master,
// never to replicas, because a lagging replica could still serve a share
// that an admin has just deleted. Context deadlines are honoured on the
// socket (ContextTimeoutEnabled), so a request deadline bounds a lookup.
func NewClient(o ClientOptions) (redis.UniversalClient, error) {
	if err := o.check(); err != nil {
		return nil, fmt.Errorf("new redis client: %w", err)
	}
	switch o.mode() {
	case ModeSentinel:
		return redis.NewFailoverClient(o.failover()), nil
	case ModeCluster:
		return redis.NewClusterClient(o.cluster()), nil
	}
	return redis.NewClient(o.standalone()), nil
}

func (o ClientOptions) mode() string {
	if o.Mode == "" {
		return ModeStandalone
	}
	return o.Mode
}

// check reports every combination problem at once. It never prints a
// password.
func (o ClientOptions) check() error {
	var bad []string
	add := func(format string, args ...any) {
		bad = append(bad, fmt.Sprintf(format, args...))
	}
	mode := o.mode()
	switch mode {
	case ModeStandalone:
		if len(o.Addrs) != 1 {
			add("standalone mode needs exactly one address, got %d", len(o.Addrs))
		}
	case ModeSentinel:
		if o.MasterName == "" {
			add("sentinel mode needs a master name")
		}
	case ModeCluster:
		if o.DB != 0 {
			add("cluster mode has only db 0, got %d", o.DB)
		}
	default:
		add("mode %s is not standalone, sentinel or cluster", clip(o.Mode))
	}
	if len(o.Addrs) == 0 {
		add("no address")
	}
	for i, a := range o.Addrs {
		if strings.TrimSpace(a) == "" {
			add("address %d is empty", i)
		}
	}
	if mode != ModeSentinel && (o.MasterName != "" || o.SentinelUsername != "" ||
		o.SentinelPassword != "") {
		add("master name and sentinel credentials need sentinel mode")
	}
	if o.DB < 0 {
		add("db %d is negative", o.DB)
	}
	if o.DialTimeout < 0 || o.Timeout < 0 {
		add("timeouts must not be negative")
	}
	if len(bad) > 0 {
		return errors.New(strings.Join(bad, "; "))
	}
	return nil
}

func (o ClientOptions) standalone() *redis.Options {
	return &redis.Options{
		Addr:                  o.Addrs[0],
		Username:              o.Username,
		Password:              o.Password,
		DB:                    o.DB,
		TLSConfig:             o.TLS,
		DialTimeout:           o.DialTimeout,
		ReadTimeout:           o.Timeout,
		WriteTimeout:          o.Timeout,
		ContextTimeoutEnabled: true,
	}
}

// failover leaves ReplicaOnly, RouteByLatency and RouteRandomly false: any
// of them sends reads to replicas.
func (o ClientOptions) failover() *redis.FailoverOptions {
	return &redis.FailoverOptions{
		MasterName:            o.MasterName,
		SentinelAddrs:         o.Addrs,
		SentinelUsername:      o.SentinelUsername,
		SentinelPassword:      o.SentinelPassword,
		Username:              o.Username,
		Password:              o.Password,
		DB:                    o.DB,
		TLSConfig:             o.TLS,
		DialTimeout:           o.DialTimeout,
		ReadTimeout:           o.Timeout,
		WriteTimeout:          o.Timeout,
		ContextTimeoutEnabled: true,
	}
}

// cluster leaves ReadOnly, RouteByLatency and RouteRandomly false for the
// same reason as failover.
func (o ClientOptions) cluster() *redis.ClusterOptions {
	return &redis.ClusterOptions{
		Addrs:                 o.Addrs,
		Username:              o.Username,
		Password:              o.Password,
		TLSConfig:             o.TLS,
		DialTimeout:           o.DialTimeout,
		ReadTimeout:           o.Timeout,
		WriteTimeout:          o.Timeout,
		ContextTimeoutEnabled: true,
	}
}
