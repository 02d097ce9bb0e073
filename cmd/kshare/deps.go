package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/kshare/kshare/config"
	"github.com/kshare/kshare/proxy"
	"github.com/kshare/kshare/proxy/closure"
	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/tokens"
)

// deps are the parts built from the configuration.
type deps struct {
	cfg       config.Config
	rdb       redis.UniversalClient
	store     *tokens.Store
	kibana    *kbn.Client
	cached    *proxy.Cached
	closures  *closure.Cache
	transport *http.Transport
	kibanaURL *url.URL
	publicURL *url.URL
	creds     func(http.Header)
}

func (d *deps) Close() {
	if d.rdb != nil {
		_ = d.rdb.Close()
	}
	if d.transport != nil {
		d.transport.CloseIdleConnections()
	}
}

// newDeps connects nothing yet: clients dial on first use.
func newDeps(cfg config.Config) (*deps, error) {
	d := &deps{cfg: cfg}
	var err error
	if d.kibanaURL, err = url.Parse(cfg.Kibana.URL); err != nil {
		return nil, fmt.Errorf("kibana.url: %w", err)
	}
	if d.publicURL, err = url.Parse(cfg.PublicURL); err != nil {
		return nil, fmt.Errorf("public_url: %w", err)
	}
	ktls, err := kibanaTLS(cfg.Kibana)
	if err != nil {
		return nil, err
	}
	d.transport = proxy.NewTransport(proxy.TransportOptions{
		DialTimeout:           cfg.Kibana.DialTimeout,
		ResponseHeaderTimeout: cfg.Kibana.ResponseHeaderTimeout,
		IdleConnsPerHost:      cfg.Kibana.IdleConnsPerHost,
		TLS:                   ktls,
	})
	d.creds = credentials(cfg.Kibana)
	d.kibana = kbn.NewClient(d.kibanaURL, d.transport, d.creds)
	var fixed *kbn.Line
	if cfg.Kibana.Line != "" && cfg.Kibana.Line != "auto" {
		l, ok := kbn.ByName(cfg.Kibana.Line)
		if !ok {
			return nil, fmt.Errorf("kibana.line: unknown line %q", cfg.Kibana.Line)
		}
		fixed = &l
	}
	d.cached = proxy.NewCached(d.kibana, cfg.Kibana.ObjectCacheTTL, cfg.Kibana.VersionCheckInterval, fixed)
	d.closures = closure.NewCache(d.cached, cfg.Kibana.ObjectCacheTTL)
	if d.rdb, err = redisClient(cfg.Redis); err != nil {
		return nil, err
	}
	d.store = tokens.NewStore(d.rdb, cfg.Redis.KeyPrefix)
	return d, nil
}

// proxyOptions are the proxy's options from the configuration.
func (d *deps) proxyOptions(logger *slog.Logger, m *proxy.Metrics) proxy.Options {
	return proxy.Options{
		Kibana: d.kibanaURL, PublicURL: d.publicURL, SharePrefix: d.cfg.SharePrefix,
		Store: d.store, Lines: d.cached, Objects: d.cached, Closures: d.closures, Keys: d.store, Credentials: d.creds,
		Transport: d.transport, Logger: logger, MaxBody: d.cfg.HTTP.MaxBodyBytes, Metrics: m,
		Report:      d.cfg.Policy.Mode == config.PolicyReport,
		ReportShare: d.cfg.Policy.ReportShare,

		BannerSnapshot: d.cfg.Recipient.BannerSnapshot,
		BannerSaved:    d.cfg.Recipient.BannerSaved,
		FrameAncestors: d.cfg.Recipient.FrameAncestors,
	}
}

// credentials returns the function that adds the service credentials to
// every request kshare sends to Kibana on a share's behalf.
func credentials(k config.Kibana) func(http.Header) {
	switch {
	case k.APIKey != "":
		v := "ApiKey " + k.APIKey
		return func(h http.Header) { h.Set("Authorization", v) }
	case k.Username != "":
		v := "Basic " + base64.StdEncoding.EncodeToString([]byte(k.Username+":"+k.Password))
		return func(h http.Header) { h.Set("Authorization", v) }
	}
	return func(http.Header) {}
}

func kibanaTLS(k config.Kibana) (*tls.Config, error) {
	if k.CAFile == "" && !k.InsecureSkipVerify {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: k.InsecureSkipVerify}
	if k.CAFile != "" {
		pool, err := loadCA(k.CAFile)
		if err != nil {
			return nil, fmt.Errorf("kibana.ca_file: %w", err)
		}
		c.RootCAs = pool
	}
	return c, nil
}

func loadCA(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("no PEM certificates in " + path)
	}
	return pool, nil
}

func redisClient(r config.Redis) (redis.UniversalClient, error) {
	o := tokens.ClientOptions{
		Mode: r.Mode, Addrs: r.Addresses(), MasterName: r.MasterName,
		Username: r.Username, Password: r.Password, SentinelPassword: r.SentinelPassword,
		DB: r.DB, DialTimeout: r.DialTimeout, Timeout: r.Timeout,
	}
	if r.TLS.Enabled {
		c := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: r.TLS.InsecureSkipVerify}
		if r.TLS.CAFile != "" {
			pool, err := loadCA(r.TLS.CAFile)
			if err != nil {
				return nil, fmt.Errorf("redis.tls.ca_file: %w", err)
			}
			c.RootCAs = pool
		}
		o.TLS = c
	}
	return tokens.NewClient(o)
}
