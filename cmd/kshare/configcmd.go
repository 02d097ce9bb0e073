package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kshare/kshare/config"
)

func (a *app) configCmd() *cobra.Command {
	c := &cobra.Command{Use: "config", Short: "Check or describe the configuration"}
	c.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Validate the configuration, then check that Kibana and Redis answer",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig(cmd)
			if err != nil {
				return err
			}
			return a.checkConfig(ctxOf(cmd), cfg)
		},
	}, &cobra.Command{
		Use:   "reference",
		Short: "Print every configuration key with its env variable, default and meaning",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprint(a.stdout, config.Reference())
			return nil
		},
	})
	return c
}

func (a *app) checkConfig(ctx context.Context, cfg config.Config) error {
	fmt.Fprintln(a.stdout, "configuration: ok")
	for _, w := range cfg.Warnings() {
		fmt.Fprintln(a.stdout, "warning:", w)
	}
	if cfg.Redis.Embedded {
		fmt.Fprintln(a.stdout, "redis: embedded (started by serve; not checked)")
	}
	d, err := newDeps(cfg)
	if err != nil {
		return usageError{err}
	}
	defer d.Close()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var failed []string
	if !cfg.Redis.Embedded {
		if err := d.rdb.Ping(ctx).Err(); err != nil {
			failed = append(failed, "redis")
			fmt.Fprintln(a.stdout, "redis: FAILED:", err)
		} else {
			fmt.Fprintln(a.stdout, "redis: ok")
		}
	}
	if err := a.checkKibana(ctx, d); err != nil {
		failed = append(failed, "kibana")
		fmt.Fprintln(a.stdout, "kibana: FAILED:", err)
	}
	if len(failed) > 0 {
		return errors.New("check failed: " + strings.Join(failed, ", "))
	}
	return nil
}

func (a *app) checkKibana(ctx context.Context, d *deps) error {
	st, err := d.kibana.Status(ctx)
	if err != nil {
		return err
	}
	line, err := d.cached.Line(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "kibana: ok, version %s (line %s)\n", st.Version, line.Name)
	caps, err := d.kibana.Capabilities(ctx, "", line)
	if err != nil {
		fmt.Fprintln(a.stdout, "warning: could not read the service account's capabilities:", err)
		return nil
	}
	if w := writeCapabilities(caps); len(w) > 0 {
		fmt.Fprintf(a.stdout, "warning: the service account can write (%s); give kshare a "+
			"read-only role (Kibana without security lets anyone write)\n", strings.Join(w, ", "))
	}
	return nil
}

// writeCapabilities lists the write capabilities granted to the service account.
func writeCapabilities(caps map[string]map[string]bool) []string {
	checks := [][2]string{
		{"dashboard", "showWriteControls"}, {"visualize", "save"},
		{"advancedSettings", "save"}, {"savedObjectsManagement", "delete"},
		{"indexPatterns", "save"}, {"dev_tools", "show"},
	}
	var out []string
	for _, c := range checks {
		if caps[c[0]][c[1]] {
			out = append(out, c[0]+"."+c[1])
		}
	}
	return out
}
