package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kshare/kshare/proxy"
	"github.com/kshare/kshare/tokens"
)

func (a *app) shareCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "share",
		Short: "Create, list, show, pause, resume and revoke shares",
	}
	c.AddCommand(a.shareCreateCmd(), a.shareUpdateCmd(), a.shareListCmd(), a.shareShowCmd(),
		a.shareRevokeCmd(), a.sharePauseCmd(true), a.sharePauseCmd(false))
	return c
}

func (a *app) shareCreateCmd() *cobra.Command {
	var p createParams
	var output string
	c := &cobra.Command{
		Use:   "create (--dashboard ID | --visualization ID | --url KIBANA_URL) [flags]",
		Short: "Create a share and print its link (shown only this once)",
		Long: `Create a share of one dashboard or visualization and print its link.

Snapshot shares (the default) freeze --from/--to to absolute times now, in the
share's time zone, so every recipient sees the same data. Saved-object shares
(--mode saved) always open the object with its own saved time and filters.
--url takes the address copied from Kibana's address bar: the object, the
space and the _g time range are read from it.

The link carries a secret that kshare does not keep (Redis holds only a hash):
it is printed once, as the last line of text output.`,
		Example: `  kshare share create --dashboard 722b74f0-b882-11e8-a6d9-e546fe2bba5f --from now-24h
  kshare share create --url 'https://kibana.example/s/ops/app/dashboards#/view/ID?_g=(time:(from:now-7d,to:now))'
  kshare share create --visualization ID --mode saved --ttl 720h --label "status board" -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p.fromSet, p.toSet = cmd.Flags().Changed("from"), cmd.Flags().Changed("to")
			p.ttlSet = cmd.Flags().Changed("ttl")
			if output != "text" && output != "json" {
				return usageError{fmt.Errorf("-o %q: want text or json", output)}
			}
			return a.withDeps(cmd, func(d *deps) error {
				res, err := createShare(ctxOf(cmd), d, p, time.Now())
				if err != nil {
					return err
				}
				return printCreated(a.stdout, a.stderr, res, output)
			})
		},
	}
	f := c.Flags()
	f.StringVar(&p.Dashboard, "dashboard", "", "id of the dashboard to share")
	f.StringVar(&p.Visualization, "visualization", "", "id of the visualization (or Lens object) to share")
	f.StringVar(&p.URL, "url", "", "Kibana address of the object, as copied from the browser")
	f.StringVar(&p.Space, "space", "", "Kibana space of the object (default: the default space)")
	f.StringVar(&p.Mode, "mode", "",
		"snapshot (freeze the range now) or saved (follow the object); default shares.default_mode")
	f.StringVar(&p.From, "from", "now-24h", "start of a snapshot's range: Kibana date math or an ISO date")
	f.StringVar(&p.To, "to", "now", "end of a snapshot's range: Kibana date math or an ISO date")
	f.StringVar(&p.TZ, "tz", "", "time zone for rounding and display (default: the space's dateFormat:tz, else UTC)")
	f.Var(dayDuration{&p.TTL}, "ttl",
		"lifetime of the share, e.g. 7d or 36h; 0 = never expires (default shares.default_ttl)")
	f.StringVar(&p.Label, "label", "", "a note for admins, shown by \"share list\" and in the banner")
	f.StringVar(&p.Banner, "banner", "", "on or off: the time-frame banner (default recipient.banner_snapshot / _saved)")
	f.StringSliceVar(&p.FrameAncestors, "frame-ancestor", nil,
		"origin that may show this share in a frame, e.g. https://intranet.example (repeatable)")
	addFilterFlags(f, &p.Filters, &p.FilterOp, &p.FilterQuery)
	f.StringVarP(&output, "output", "o", "text", "text or json")
	return c
}

// addFilterFlags registers the per-link data filter flags.
func addFilterFlags(f *pflag.FlagSet, kvs *[]string, op, query *string) {
	f.StringArrayVar(kvs, "filter", nil,
		"field=value: only documents matching it are shown (repeatable; hidden from recipients)")
	f.StringVar(op, "filter-op", "and", "how several --filter combine: and or or")
	f.StringVar(query, "filter-query", "",
		`one raw Elasticsearch query clause added to every search, e.g. '{"term":{"region":"eu"}}'`)
}

func printCreated(stdout, stderr io.Writer, res created, output string) error {
	for _, n := range res.Notices {
		fmt.Fprintln(stderr, "note:", n)
	}
	if output == "json" {
		return json.NewEncoder(stdout).Encode(map[string]any{
			"id": res.Share.ID, "url": res.URL, "mode": res.Share.Mode, "kind": res.Share.Kind,
			"object": res.Share.ObjectID, "title": res.Title, "space": res.Share.Space,
			"from": timeOrNil(res.Share.From), "to": timeOrNil(res.Share.To),
			"tz": res.Share.TZ, "label": res.Share.Label, "expires_at": expiry(res.Share.Created, res.TTL),
		})
	}
	fmt.Fprintf(stdout, "Created share %s: %s %q", res.Share.ID, res.Share.Kind, res.Title)
	if res.Share.Mode == tokens.Snapshot {
		fmt.Fprintf(stdout, ", %s to %s (%s)\n", res.Share.From.Format(time.RFC3339),
			res.Share.To.Format(time.RFC3339), res.Share.TZ)
	} else {
		fmt.Fprintln(stdout, ", following the object's saved time")
	}
	if res.TTL > 0 {
		fmt.Fprintf(stdout, "Expires %s (in %s).\n", res.Share.Created.Add(res.TTL).Format(time.RFC3339), res.TTL)
	} else {
		fmt.Fprintln(stdout, "Never expires.")
	}
	fmt.Fprintln(stdout, "The link below is shown only this once: kshare keeps only a hash of its secret.")
	fmt.Fprintln(stdout, res.URL)
	return nil
}

func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func expiry(created time.Time, ttl time.Duration) any {
	if ttl <= 0 {
		return nil
	}
	return created.Add(ttl).UTC().Format(time.RFC3339)
}

func (a *app) shareListCmd() *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "list",
		Short: "List shares (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withDeps(cmd, func(d *deps) error {
				list, err := d.store.List(ctxOf(cmd))
				if err != nil {
					return err // the store names the operation
				}
				if output == "json" {
					rows := make([]map[string]any, 0, len(list))
					for _, l := range list {
						rows = append(rows, shareJSON(l.Share, l.TTL))
					}
					return json.NewEncoder(a.stdout).Encode(rows)
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tKIND\tOBJECT\tSPACE\tMODE\tPAUSED\tEXPIRES IN\tLABEL")
				for _, l := range list {
					s := l.Share
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%t\t%s\t%s\n", s.ID, s.Kind, s.ObjectID,
						orDash(s.Space), s.Mode, s.Paused, ttlText(l.TTL), s.Label)
				}
				return tw.Flush()
			})
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return c
}

func (a *app) shareShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show one share (never its secret)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withDeps(cmd, func(d *deps) error {
				sh, ttl, err := d.store.Get(ctxOf(cmd), args[0])
				if err != nil {
					return fmt.Errorf("show share %s: %w", args[0], err)
				}
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(shareJSON(sh, ttl))
			})
		},
	}
}

func shareJSON(s tokens.Share, ttl time.Duration) map[string]any {
	m := map[string]any{
		"id": s.ID, "mode": s.Mode, "kind": s.Kind, "object": s.ObjectID, "space": s.Space,
		"tz": s.TZ, "label": s.Label, "created": s.Created.UTC().Format(time.RFC3339),
		"paused": s.Paused, "from": timeOrNil(s.From), "to": timeOrNil(s.To),
		"from_expr": s.FromExpr, "to_expr": s.ToExpr, "expires_in": nil,
	}
	if ttl > 0 {
		m["expires_in"] = ttl.Round(time.Second).String()
	}
	return m
}

func (a *app) shareRevokeCmd() *cobra.Command {
	var label, object string
	c := &cobra.Command{
		Use:   "revoke [ID] [--label L | --object ID]",
		Short: "Revoke shares: the next request through their links is refused",
		Long: `Revoke a share by deleting its Redis key. The next request through its link
is refused. --label and --object revoke every share with that label or object.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n := len(args)
			if label != "" {
				n++
			}
			if object != "" {
				n++
			}
			if n != 1 {
				return usageError{errors.New("give exactly one of ID, --label or --object")}
			}
			return a.withDeps(cmd, func(d *deps) error {
				ids := args
				if len(ids) == 0 {
					var err error
					if ids, err = matchingShares(cmd, d, label, object); err != nil {
						return err
					}
				}
				for _, id := range ids {
					if err := d.store.Delete(ctxOf(cmd), id); err != nil {
						return fmt.Errorf("revoke share %s: %w", id, err)
					}
					fmt.Fprintln(a.stdout, "revoked", id)
				}
				return nil
			})
		},
	}
	c.Flags().StringVar(&label, "label", "", "revoke every share with this label")
	c.Flags().StringVar(&object, "object", "", "revoke every share of this object id")
	return c
}

func matchingShares(cmd *cobra.Command, d *deps, label, object string) ([]string, error) {
	list, err := d.store.List(ctxOf(cmd))
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, l := range list {
		if (label != "" && l.Share.Label == label) || (object != "" && l.Share.ObjectID == object) {
			ids = append(ids, l.Share.ID)
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("no share matches: %w", tokens.ErrUnknown)
	}
	return ids, nil
}

func (a *app) sharePauseCmd(pause bool) *cobra.Command {
	use, short, done := "pause ID", "Pause a share: its link is refused until resumed", "paused"
	if !pause {
		use, short, done = "resume ID", "Resume a paused share", "resumed"
	}
	return &cobra.Command{
		Use: use, Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withDeps(cmd, func(d *deps) error {
				if err := d.store.SetPaused(ctxOf(cmd), args[0], pause); err != nil {
					return fmt.Errorf("%s share %s: %w", strings.TrimSuffix(done, "d"), args[0], err)
				}
				fmt.Fprintln(a.stdout, done, args[0])
				return nil
			})
		},
	}
}

// withDeps loads config, builds the clients, runs f and closes them.
func (a *app) withDeps(cmd *cobra.Command, f func(*deps) error) error {
	cfg, err := a.loadConfig(cmd)
	if err != nil {
		return err
	}
	d, err := newDeps(cfg)
	if err != nil {
		return usageError{err}
	}
	defer d.Close()
	return f(d)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func ttlText(ttl time.Duration) string {
	if ttl <= 0 {
		return "never"
	}
	return ttl.Round(time.Second).String()
}

func (a *app) shareUpdateCmd() *cobra.Command {
	var label, banner, op, query string
	var kvs, frames []string
	var clearFilters bool
	c := &cobra.Command{
		Use:   "update ID [flags]",
		Short: "Change a share's label, banner, frame ancestors or data filters; the link stays",
		Long: `Change an existing share. The change applies to its existing link at once
and keeps the share's expiry. Only the flags given are changed.`,
		Example: `  kshare share update ID --filter customer_gender=FEMALE --filter region=eu --filter-op or
  kshare share update ID --clear-filters --banner off`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			fields := map[string]string{}
			if fl.Changed("label") {
				fields["label"] = label
			}
			if fl.Changed("banner") {
				fields["banner"] = banner
			}
			if fl.Changed("frame-ancestor") {
				fields["frame_ancestors"] = strings.Join(frames, " ")
			}
			if fl.Changed("filter") || fl.Changed("filter-query") || clearFilters {
				enc, err := proxy.EncodeFilters(kvs, op, query)
				if err != nil {
					return usageError{err}
				}
				fields["filters"] = enc
			}
			if len(fields) == 0 {
				return usageError{errors.New("nothing to change: give at least one flag")}
			}
			return a.withDeps(cmd, func(d *deps) error {
				if err := d.store.Update(ctxOf(cmd), args[0], fields); err != nil {
					return fmt.Errorf("update share %s: %w", args[0], err)
				}
				fmt.Fprintln(a.stdout, "updated", args[0])
				return nil
			})
		},
	}
	f := c.Flags()
	f.StringVar(&label, "label", "", "new label")
	f.StringVar(&banner, "banner", "", "on, off, or empty for the configured default")
	f.StringSliceVar(&frames, "frame-ancestor", nil, "origins that may frame the share (replaces the list)")
	addFilterFlags(f, &kvs, &op, &query)
	f.BoolVar(&clearFilters, "clear-filters", false, "remove the share's data filters")
	return c
}
