package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kshare/kshare/config"
	"github.com/kshare/kshare/proxy/kbn"
)

// runCLI runs kshare with args and an environment given as a map, the way
// a shell would, and returns stdout, stderr and the error.
func runCLI(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootEnv(&out, &errOut, func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// cliEnv is the environment that points the CLI at an env's Kibana and Redis.
func (e *env) cliEnv() map[string]string {
	return map[string]string{
		"KSHARE_KIBANA_URL": e.d.cfg.Kibana.URL, "KSHARE_KIBANA_USERNAME": svcUser,
		"KSHARE_KIBANA_PASSWORD": svcPass, "KSHARE_REDIS_ADDR": e.d.cfg.Redis.Addr,
		"KSHARE_PUBLIC_URL": e.d.cfg.PublicURL,
	}
}

func TestCLIShareLifecycle(t *testing.T) {
	e := newEnv(t, kbn.L717, envOptions{spaces: []string{"team"}})
	env := e.cliEnv()
	url := e.kib.URL + "/s/team/app/dashboards#/view/" + e.kib.DashboardID() +
		"?_g=(time:(from:now-7d,to:now))"
	out, stderr, err := runCLI(t, env, "share", "create", "--url", url, "--label", "ops board", "-o", "json")
	if err != nil {
		t.Fatalf("create: %v (%s)", err, stderr)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("create -o json printed %q: %v", out, err)
	}
	id, _ := res["id"].(string)
	link, _ := res["url"].(string)
	if id == "" || !strings.HasPrefix(link, e.d.cfg.PublicURL+"/kshare/"+id+".") || res["space"] != "team" {
		t.Fatalf("create -o json = %v", res)
	}
	from, _ := time.Parse(time.RFC3339Nano, res["from"].(string))
	to, _ := time.Parse(time.RFC3339Nano, res["to"].(string))
	if d := to.Sub(from); d < 7*24*time.Hour-time.Minute || d > 7*24*time.Hour+time.Minute {
		t.Errorf("--url _g now-7d..now froze to %s..%s", from, to)
	}

	out, _, err = runCLI(t, env, "share", "create", "--dashboard", e.kib.DashboardID(), "--ttl", "0")
	if err != nil || !strings.Contains(out, "Never expires") {
		t.Fatalf("create --ttl 0: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, e.d.cfg.PublicURL+"/kshare/") {
		t.Errorf("the link is not the last line of text output: %q", last)
	}

	out, _, err = runCLI(t, env, "share", "list")
	if err != nil || !strings.Contains(out, id) || !strings.Contains(out, "ops board") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	if strings.Contains(out, strings.TrimPrefix(link, e.d.cfg.PublicURL+"/kshare/"+id+".")) {
		t.Fatal("list printed a secret")
	}
	if _, _, err := runCLI(t, env, "share", "update", id, "--filter", "customer_gender=FEMALE",
		"--filter", "geoip.region_name=Cairo Governorate", "--filter-op", "or", "--banner", "off"); err != nil {
		t.Fatal(err)
	}
	sh, ttlAfter, err := e.d.store.Get(t.Context(), id)
	if err != nil || !strings.Contains(sh.Filters, `"op":"or"`) || sh.Banner != "off" || ttlAfter <= 0 {
		t.Fatalf("after update: %+v ttl %s (%v)", sh, ttlAfter, err)
	}
	if _, _, err := runCLI(t, env, "share", "update", id, "--filter", "novalue"); err == nil {
		t.Error("update accepted --filter without =")
	}
	if _, _, err := runCLI(t, env, "share", "pause", id); err != nil {
		t.Fatal(err)
	}
	out, _, _ = runCLI(t, env, "share", "show", id)
	if !strings.Contains(out, `"paused": true`) {
		t.Errorf("show after pause: %s", out)
	}
	if _, _, err := runCLI(t, env, "share", "revoke", "--label", "ops board"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, env, "share", "show", id); err == nil {
		t.Error("show after revoke succeeded")
	}
}

func TestCLICreateRefusals(t *testing.T) {
	e := newEnv(t, kbn.L815, envOptions{})
	env := e.cliEnv()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing object", []string{"--dashboard", "no-such-id"}, `does not exist`},
		{"two targets", []string{"--dashboard", "a", "--visualization", "b"}, "exactly one"},
		{"unsupported app", []string{"--url", e.kib.URL + "/app/discover#/view/x"}, "kshare shares dashboards"},
		{"bad date math", []string{"--dashboard", e.kib.DashboardID(), "--from", "now-5x"}, `unknown unit "x"`},
		{"bad zone", []string{"--dashboard", e.kib.DashboardID(), "--tz", "Mars/Olympus"}, "not a time zone"},
		{"bad mode", []string{"--dashboard", e.kib.DashboardID(), "--mode", "live"}, "want snapshot or saved"},
		{"reversed range", []string{"--dashboard", e.kib.DashboardID(), "--from", "now", "--to", "now-1d"}, "after"},
	}
	for _, tt := range tests {
		_, _, err := runCLI(t, env, append([]string{"share", "create"}, tt.args...)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tt.name, err, tt.want)
		}
	}
	list, err := e.d.store.List(t.Context())
	if err != nil || len(list) != 0 {
		t.Fatalf("refused creates left %d shares (%v)", len(list), err)
	}
}

func TestCLITTLCapAndSavedMode(t *testing.T) {
	e := newEnv(t, kbn.L710, envOptions{settings: map[string]any{"dateFormat:tz": "Europe/Berlin"}})
	env := e.cliEnv()
	env["KSHARE_SHARES_MAX_TTL"] = "48h"
	env["KSHARE_SHARES_DEFAULT_TTL"] = "24h"
	out, stderr, err := runCLI(t, env, "share", "create", "--dashboard", e.kib.DashboardID(),
		"--ttl", "5d", "--mode", "saved", "-o", "json")
	if err != nil || !strings.Contains(stderr, "capped") {
		t.Fatalf("create: %v, stderr %q", err, stderr)
	}
	var res map[string]any
	_ = json.Unmarshal([]byte(out), &res)
	if res["tz"] != "Europe/Berlin" || res["mode"] != "saved" || res["from"] != nil {
		t.Errorf("saved share = %v; want the space's zone and no frozen range", res)
	}
	_, ttl, err := e.d.store.Get(t.Context(), res["id"].(string))
	if err != nil || ttl > 48*time.Hour || ttl < 47*time.Hour {
		t.Errorf("ttl = %s (%v), want capped to 48h", ttl, err)
	}
}

// TestSavedShareFollowsEdits: a saved-object share's link reflects an
// edit to the dashboard's saved time within the object cache's TTL.
func TestSavedShareFollowsEdits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, kbn.L717, envOptions{})
	res := e.create(createParams{Dashboard: e.kib.DashboardID(), Mode: "saved"})
	resp, _ := e.do("GET", sharePath(res.URL), "", nil)
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "time:(from:now-7d,to:now)") ||
		!strings.Contains(loc, "pause:!f,value:900000") {
		t.Fatalf("saved share entry %q lacks the dashboard's own time and refresh", loc)
	}
	e.kib.SetObjectAttr("default", "dashboard", e.kib.DashboardID(), "timeFrom", "now-30d")
	time.Sleep(100 * time.Millisecond) // object_cache_ttl is 50ms in tests
	resp, _ = e.do("GET", sharePath(res.URL), "", nil)
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "time:(from:now-30d,to:now)") {
		t.Fatalf("after the edit the entry is %q, want now-30d", loc)
	}
	e.kib.SetObjectAttr("default", "dashboard", e.kib.DashboardID(), "timeRestore", false)
	time.Sleep(100 * time.Millisecond)
	resp, _ = e.do("GET", sharePath(res.URL), "", nil)
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "time:(from:now-15m,to:now)") {
		t.Fatalf("without timeRestore the entry is %q, want timepicker:timeDefaults now-15m..now", loc)
	}
	e.kib.DeleteObject("default", "dashboard", e.kib.DashboardID())
	time.Sleep(100 * time.Millisecond)
	resp, body := e.do("GET", sharePath(res.URL), "", map[string]string{"Accept": "text/html"})
	if resp.StatusCode != 404 || !strings.Contains(body, "no longer exists") {
		t.Fatalf("deleted object: %d %q", resp.StatusCode, body)
	}
}

func TestConfigCheck(t *testing.T) {
	e := newEnv(t, kbn.L710, envOptions{})
	out, _, err := runCLI(t, e.cliEnv(), "config", "check")
	if err != nil {
		t.Fatalf("config check: %v\n%s", err, out)
	}
	for _, want := range []string{"redis: ok", "kibana: ok, version 7.10.2", "service account can write"} {
		if !strings.Contains(out, want) {
			t.Errorf("config check output lacks %q:\n%s", want, out)
		}
	}
	env := e.cliEnv()
	env["KSHARE_REDIS_ADDR"] = "127.0.0.1:1"
	env["KSHARE_PUBLIC_URL"] = "http://share.example.com"
	out, _, err = runCLI(t, env, "config", "check")
	if err == nil || !strings.Contains(out, "redis: FAILED") || !strings.Contains(out, "plain http") {
		t.Errorf("check with Redis down and plain http: err %v\n%s", err, out)
	}
	env = e.cliEnv()
	env["KSHARE_SHARE_PREFIX"] = "/app"
	env["KSHARE_LISTEN"] = "nonsense"
	_, _, err = runCLI(t, env, "config", "check")
	if err == nil || !strings.Contains(err.Error(), "share_prefix") || !strings.Contains(err.Error(), "listen") {
		t.Errorf("invalid config: err = %v, want every problem listed", err)
	}
}

// TestReadmeCarriesConfigReference keeps the README's configuration table
// in step with the key table it is generated from.
func TestReadmeCarriesConfigReference(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), config.Reference()) {
		t.Fatal("README.md's configuration section differs from `kshare config reference`; paste its output")
	}
}
