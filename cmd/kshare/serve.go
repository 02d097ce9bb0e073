package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/kshare/kshare/config"
	"github.com/kshare/kshare/proxy"
	"github.com/kshare/kshare/tokens/embedded"
)

func (a *app) serveCmd() *cobra.Command {
	var shareURL string
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the kshare proxy",
		Long: `Run the kshare proxy in front of Kibana.

With --embedded-redis kshare starts its own in-memory Redis-protocol store on a
loopback address (redis.addr), so "kshare share create" and redis-cli in
another terminal work without a Redis server. Shares are lost when kshare
stops: use it to try kshare, not in production.

With --share KIBANA_URL a first snapshot share of that object is created at
start and its link printed.`,
		Example: `  kshare serve --embedded-redis --kibana-url http://127.0.0.1:5601 \
      --share 'http://127.0.0.1:5601/app/dashboards#/view/ID'
  KSHARE_KIBANA_URL=https://kibana:5601 KSHARE_REDIS_ADDR=redis:6379 kshare serve`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig(cmd)
			if err != nil {
				return err
			}
			return a.serve(ctxOf(cmd), cfg, shareURL)
		},
	}
	c.Flags().StringVar(&shareURL, "share", "", "create a first share of this Kibana address at start and print its link")
	return c
}

func (a *app) serve(ctx context.Context, cfg config.Config, shareURL string) error {
	logger := a.logger(cfg)
	for _, w := range cfg.Warnings() {
		if cfg.Redis.Embedded && strings.HasPrefix(w, "redis.embedded") {
			continue // the embedded store says so itself, with its address
		}
		logger.Warn("risky configuration", "detail", w)
	}
	redis.SetLogger(redisLogger{logger})
	if cfg.Redis.Embedded {
		srv, err := embedded.Start(cfg.Redis.Addr, logger)
		if err != nil {
			return usageError{fmt.Errorf("%w (choose another with --redis-addr)", err)}
		}
		defer srv.Close()
		cfg.Redis.Mode, cfg.Redis.Addr, cfg.Redis.Addrs = "standalone", srv.Addr(), nil
	}
	d, err := newDeps(cfg)
	if err != nil {
		return usageError{err}
	}
	defer d.Close()
	if l, err := d.cached.Line(ctx); err != nil {
		logger.Warn("kibana not reachable yet; requests fail until it answers", "err", err)
	} else {
		logger.Info("kibana detected", "line", l.Name)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	h, err := proxy.New(d.proxyOptions(logger, proxy.NewMetrics(reg)))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w (choose another with --listen, and set --public-url to match)", err)
	}
	logger.Info("kshare listening", "addr", ln.Addr().String(), "public_url", cfg.PublicURL)
	if shareURL != "" {
		if err := a.firstShare(ctx, d, shareURL); err != nil {
			_ = ln.Close()
			return err
		}
	}
	if cfg.Metrics.Listen != "" {
		go serveMetrics(ctx, cfg.Metrics.Listen, reg, logger)
	}
	return runServer(ctx, cfg, h, ln, logger)
}

func (a *app) firstShare(ctx context.Context, d *deps, shareURL string) error {
	res, err := createShare(ctx, d, createParams{URL: shareURL, From: "now-24h", To: "now"}, time.Now())
	if err != nil {
		return fmt.Errorf("--share: %w", err)
	}
	return printCreated(a.stdout, a.stderr, res, "text")
}

// runServer serves until ctx ends, then drains for the shutdown timeout.
func runServer(ctx context.Context, cfg config.Config, h http.Handler, ln net.Listener, logger *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout,
		IdleTimeout:       cfg.HTTP.IdleTimeout,
		MaxHeaderBytes:    cfg.HTTP.MaxHeaderBytes,
		ErrorLog:          log.New(proxy.ErrorLogWriter(logger), "", 0),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", cfg.HTTP.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.HTTP.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func serveMetrics(ctx context.Context, addr string, reg *prometheus.Registry, logger *slog.Logger) {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	logger.Info("metrics listening", "addr", addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("metrics server failed", "err", err)
	}
}

// redisLogger sends go-redis's own log lines (reconnects, dial failures)
// through kshare's logger at debug level instead of its own stderr format.
type redisLogger struct{ log *slog.Logger }

// Printf logs one go-redis line.
func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "redis client: "+fmt.Sprintf(format, v...))
}
