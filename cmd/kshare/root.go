package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/kshare/kshare/config"
)

// app holds what every subcommand shares: where output goes and how the
// configuration is found.
type app struct {
	stdout, stderr io.Writer
	configPath     string
	env            func(string) (string, bool)
	root           *cobra.Command
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	return newRootEnv(stdout, stderr, os.LookupEnv)
}

// newRootEnv builds the command tree reading the environment through env,
// so tests can pass a map.
func newRootEnv(stdout, stderr io.Writer, env func(string) (string, bool)) *cobra.Command {
	a := &app{stdout: stdout, stderr: stderr, env: env}
	root := &cobra.Command{
		Use:   "kshare",
		Short: "Share one Kibana dashboard or visualization through a link",
		Long: `kshare is a reverse proxy beside Kibana. An admin creates a share for one
dashboard or visualization; anyone with the link sees that object, and only
that object, with the time range pinned and Kibana's navigation hidden.
Shares live in Redis: deleting a share's key revokes it at once.

Configuration comes from a YAML file (--config), KSHARE_* environment
variables and flags, in increasing precedence. Run "kshare config reference"
for every key.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVarP(&a.configPath, "config", "c", "",
		"YAML config file (env KSHARE_CONFIG)")
	config.BindFlags(root.PersistentFlags())
	a.root = root
	// Commands other than serve have no logger: go-redis's own lines about
	// reconnecting would only repeat the error the command prints.
	redis.SetLogger(redisLogger{slog.New(slog.DiscardHandler)})
	root.AddCommand(a.serveCmd(), a.shareCmd(), a.configCmd())
	return root
}

// loadConfig loads and validates the configuration. Flags of cmd that
// were set on the command line take precedence.
func (a *app) loadConfig(cmd *cobra.Command) (config.Config, error) {
	path := a.configPath
	if path == "" {
		path, _ = a.env("KSHARE_CONFIG")
	}
	cfg, err := config.LoadFile(path, a.env, cmd.Flags())
	if err != nil {
		return config.Config{}, usageError{err}
	}
	if err := cfg.Validate(); err != nil {
		return config.Config{}, usageError{fmt.Errorf("invalid config:\n%w", err)}
	}
	return cfg, nil
}

// logger builds the process logger from config.
func (a *app) logger(cfg config.Config) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: lvl}
	if strings.EqualFold(cfg.Log.Format, "json") {
		return slog.New(slog.NewJSONHandler(a.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(a.stderr, opts))
}

func ctxOf(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}
