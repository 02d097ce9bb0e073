package tokens

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestNewClientChecks(t *testing.T) {
	t.Parallel()
	const pw = "hunter2-very-secret"
	for _, tc := range []struct {
		name string
		o    ClientOptions
		want string // "" = accepted; else a word the error must contain
	}{
		{"standalone", ClientOptions{Addrs: []string{"127.0.0.1:6379"}}, ""},
		{"standalone explicit", ClientOptions{Mode: "standalone", Addrs: []string{"r:6379"},
			DB: 3}, ""},
		{"sentinel", ClientOptions{Mode: "sentinel", Addrs: []string{"s1:26379", "s2:26379"},
			MasterName: "mymaster", SentinelPassword: pw}, ""},
		{"cluster", ClientOptions{Mode: "cluster", Addrs: []string{"c1:6379", "c2:6379"}}, ""},
		{"no address", ClientOptions{}, "address"},
		{"two standalone addresses", ClientOptions{Addrs: []string{"a:1", "b:1"}},
			"exactly one"},
		{"empty address", ClientOptions{Mode: "cluster", Addrs: []string{" "}}, "empty"},
		{"unknown mode", ClientOptions{Mode: "ring", Addrs: []string{"a:1"}}, "mode"},
		{"sentinel without master", ClientOptions{Mode: "sentinel", Addrs: []string{"s:1"}},
			"master name"},
		{"master name outside sentinel", ClientOptions{Addrs: []string{"a:1"}, MasterName: "m"},
			"sentinel mode"},
		{"sentinel password outside sentinel", ClientOptions{Mode: "cluster",
			Addrs: []string{"a:1"}, SentinelPassword: pw}, "sentinel mode"},
		{"cluster db", ClientOptions{Mode: "cluster", Addrs: []string{"a:1"}, DB: 1}, "db 0"},
		{"negative db", ClientOptions{Addrs: []string{"a:1"}, DB: -1}, "negative"},
		{"negative timeout", ClientOptions{Addrs: []string{"a:1"}, Timeout: -1}, "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.o.Password = pw
			c, err := NewClient(tc.o)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("NewClient: %v", err)
				}
				c.Close()
				return
			}
			if err == nil {
				c.Close()
				t.Fatalf("NewClient accepted %+v", tc.o)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), pw) {
				t.Errorf("error %q contains the password", err)
			}
		})
	}
}

// TestNewClientReadsFromMaster pins the options that keep reads off
// replicas: a lagging replica could serve a share that was just deleted.
func TestNewClientReadsFromMaster(t *testing.T) {
	t.Parallel()
	o := ClientOptions{Addrs: []string{"a:1"}, MasterName: "m", Timeout: 2 * time.Second,
		DialTimeout: time.Second}

	f := o.failover()
	if f.ReplicaOnly || f.RouteByLatency || f.RouteRandomly || f.UseDisconnectedReplicas {
		t.Errorf("failover options route reads to replicas: %+v", f)
	}
	if !f.ContextTimeoutEnabled || f.ReadTimeout != 2*time.Second || f.DialTimeout != time.Second {
		t.Errorf("failover timeouts not applied: %+v", f)
	}
	cl := o.cluster()
	if cl.ReadOnly || cl.RouteByLatency || cl.RouteRandomly || !cl.ContextTimeoutEnabled {
		t.Errorf("cluster options route reads to replicas: %+v", cl)
	}
	if s := o.standalone(); !s.ContextTimeoutEnabled || s.WriteTimeout != 2*time.Second {
		t.Errorf("standalone options: %+v", s)
	}

	o.Mode, o.MasterName = ModeCluster, ""
	c, err := NewClient(o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.(*redis.ClusterClient); !ok {
		t.Errorf("cluster mode built %T", c)
	}
}
