package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kshare/kshare/config"
	"github.com/kshare/kshare/proxy/kbn"
)

// TestAnswersRewrittenForRecipients: capabilities offer no writes, settings
// reads carry the page's filtered set, and the current user is not the
// service account; the UI's own writes are answered without reaching Kibana.
func TestAnswersRewrittenForRecipients(t *testing.T) {
	t.Parallel()
	e := newEnv(t, kbn.L717, envOptions{settings: map[string]any{
		"timelion:quandl.key": "quandl-secret", "dateFormat:tz": "Europe/Berlin",
		"defaultRoute": "/app/dev_tools",
	}})
	res := e.create(createParams{Dashboard: e.kib.DashboardID(), TZ: "America/New_York"})
	base := sharePath(res.URL)

	_, body := e.do("POST", base+"/api/core/capabilities", `{"applications":[]}`, nil)
	var caps map[string]map[string]any
	if err := json.Unmarshal([]byte(body), &caps); err != nil {
		t.Fatalf("capabilities: %v: %s", err, body)
	}
	for app, m := range caps {
		for k, v := range m {
			if v == true && isWriteWord(k) {
				t.Errorf("capability %s.%s still true", app, k)
			}
		}
	}
	if caps["dashboard"]["show"] != true {
		t.Error("dashboard.show turned off: the page would not render")
	}

	_, body = e.do("GET", base+"/api/kibana/settings", "", nil)
	if strings.Contains(body, "quandl") || strings.Contains(body, "defaultRoute") {
		t.Errorf("settings read shows the service account's settings: %s", body)
	}
	if !strings.Contains(body, `"dateFormat:tz":{"userValue":"America/New_York"}`) {
		t.Errorf("settings read lacks the share's time zone: %s", body)
	}

	n := len(e.kib.Requests())
	for _, c := range []struct{ method, path, body, want string }{
		{"POST", "/api/kibana/settings", `{"changes":{"defaultIndex":"x"}}`, `"defaultIndex":{"userValue":"x"}`},
		{"POST", "/api/ui_counters/_report", `{}`, `{}`},
		{"GET", "/internal/security/me", "", `"username":"kshare-recipient"`},
		{"GET", "/api/telemetry/v2/config", "", `"optIn":false`},
	} {
		resp, body := e.do(c.method, base+c.path, c.body, map[string]string{"Content-Type": "application/json"})
		if resp.StatusCode != 200 || !strings.Contains(body, c.want) {
			t.Errorf("%s %s: %d %s", c.method, c.path, resp.StatusCode, body)
		}
	}
	if got := e.requestsSince(n); len(got) != 0 {
		t.Fatalf("locally answered requests reached Kibana: %v", spaces(got))
	}
}

func isWriteWord(k string) bool {
	for _, w := range []string{"save", "create", "delete", "edit", "share"} {
		if strings.Contains(strings.ToLower(k), w) {
			return true
		}
	}
	return false
}

// TestReportMode forwards and logs what enforce mode refuses, still
// refuses the always-dangerous set, and can be limited to one share.
func TestReportMode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, kbn.L710, envOptions{mutate: func(c *config.Config) {
		c.Policy.Mode = config.PolicyReport
	}})
	a := e.create(createParams{Dashboard: e.kib.DashboardID()})
	n := len(e.kib.Requests())
	resp, _ := e.do("GET", sharePath(a.URL)+"/app/discover", "", nil)
	if resp.StatusCode != 200 || len(e.requestsSince(n)) != 1 {
		t.Fatalf("report mode: other app page %d, %d upstream", resp.StatusCode, len(e.requestsSince(n)))
	}
	if !strings.Contains(e.logs.String(), "report mode") || !strings.Contains(e.logs.String(), "path=/app/discover") {
		t.Errorf("report mode did not log the request:\n%s", e.logs.String())
	}
	n = len(e.kib.Requests())
	for _, c := range []struct{ method, path string }{
		{"POST", "/api/console/proxy?path=_search&method=GET"},
		{"POST", "/api/saved_objects/dashboard/x"},
		{"GET", "/api/saved_objects/_export"},
		{"GET", "/api/security/role"},
		{"DELETE", "/api/saved_objects/dashboard/x"},
		{"POST", "/internal/session"},
	} {
		if resp, _ := e.do(c.method, sharePath(a.URL)+c.path, "{}", nil); resp.StatusCode != 403 {
			t.Errorf("report mode let %s %s through: %d", c.method, c.path, resp.StatusCode)
		}
	}
	if got := e.requestsSince(n); len(got) != 0 {
		t.Fatalf("dangerous requests reached Kibana in report mode: %v", spaces(got))
	}

	only := newEnv(t, kbn.L710, envOptions{mutate: func(c *config.Config) {
		c.Policy.Mode = config.PolicyReport
		c.Policy.ReportShare = "aaaaaaaaaaaaaaaa"
	}})
	b := only.create(createParams{Dashboard: only.kib.DashboardID()})
	if resp, _ := only.do("GET", sharePath(b.URL)+"/app/discover", "", nil); resp.StatusCode != 403 {
		t.Errorf("report mode limited to another share still forwarded: %d", resp.StatusCode)
	}
}

// TestReportModeClosure: in report mode a saved-object read outside the
// closure is forwarded and logged; enforce mode refuses it.
func TestReportModeClosure(t *testing.T) {
	t.Parallel()
	e := newEnv(t, kbn.L717, envOptions{mutate: func(c *config.Config) {
		c.Policy.Mode = config.PolicyReport
	}})
	res := e.create(createParams{Dashboard: e.kib.DashboardID()})
	n := len(e.kib.Requests())
	resp, _ := e.do("GET", sharePath(res.URL)+"/api/saved_objects/dashboard/"+flightsDashboard, "", nil)
	if resp.StatusCode != 200 || len(e.requestsSince(n)) != 1 {
		t.Fatalf("report mode, read outside the closure: %d, %d forwarded", resp.StatusCode, len(e.requestsSince(n)))
	}
	if !strings.Contains(e.logs.String(), "rule=\"saved object get\"") {
		t.Errorf("report mode did not log the rule:\n%s", e.logs.String())
	}
}
