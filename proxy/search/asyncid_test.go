package search_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kshare/kshare/proxy/search"
)

func TestBindID(t *testing.T) {
	t.Parallel()
	id := "FlJnMFNEWWFLUTNDX3dxYUpMNnVmNGcdSmZBN0JkRHRTUWFyWlhMYnl0MjVyUToxMDM4NQ=="
	w := search.BindID(idKey, shareID, id)
	if !strings.HasPrefix(w, "ks1.") || strings.ContainsAny(w, "/+=") {
		t.Errorf("bound id %q is not a ks1 path-safe form", w)
	}
	got, err := search.UnbindID(idKey, shareID, w)
	if err != nil || got != id {
		t.Fatalf("UnbindID = %q, %v", got, err)
	}
	bad := map[string]string{
		"raw":              id,
		"other share":      search.BindID(idKey, "share-2", id),
		"shifted boundary": search.BindID(idKey, "share-", "1"+id),
		"swapped id":       "ks1." + strings.SplitN(search.BindID(idKey, shareID, "other"), ".", 3)[1] + "." + strings.SplitN(w, ".", 3)[2],
		"no mac":           strings.Join(strings.SplitN(w, ".", 3)[:2], "."),
		"bad base64":       "ks1.!!!." + strings.SplitN(w, ".", 3)[2],
		"other version":    "ks2" + w[3:],
		"empty":            "",
		"huge":             "ks1." + strings.Repeat("A", 5000) + ".AAAA",
	}
	for name, w := range bad {
		if _, err := search.UnbindID(idKey, shareID, w); !errors.Is(err, search.ErrForbidden) {
			t.Errorf("%s: err = %v, want ErrForbidden", name, err)
		}
	}
	if _, err := search.UnbindID([]byte("short"), shareID, search.BindID([]byte("short"), shareID, id)); !errors.Is(err, search.ErrForbidden) {
		t.Errorf("short key: err = %v, want ErrForbidden", err)
	}
}

func TestWrapResponseIDs(t *testing.T) {
	t.Parallel()
	id := "FkZtdEVvTEZrVEpDWnBHUmJTVWNjT1EcTFFURnlpS0VUdTJGQU5yUEdnX29lZzoxMTEyMA=="
	bound := search.BindID(idKey, shareID, id)
	cases := []struct{ name, in, want string }{
		{"internal search answer",
			`{"id":"` + id + `","rawResponse":{"took":1,"hits":{"total":3,"hits":[{"_id":"x"}]}},"isPartial":false,"isRunning":true}`,
			`{"id":"` + bound + `","rawResponse":{"took":1,"hits":{"total":3,"hits":[{"_id":"x"}]}},"isPartial":false,"isRunning":true}`},
		{"bsearch line",
			`{"id":3,"result":{"id":"` + id + `","rawResponse":{"hits":{"hits":[{"id":"doc"}]}},"isRunning":false}}`,
			`{"id":3,"result":{"id":"` + bound + `","rawResponse":{"hits":{"hits":[{"id":"doc"}]}},"isRunning":false}}`},
		{"bsearch es result without id", `{"id":0,"result":{"rawResponse":{}}}`, `{"id":0,"result":{"rawResponse":{}}}`},
		{"bsearch error", `{"id":1,"error":{"statusCode":400,"message":"x"}}`, `{"id":1,"error":{"statusCode":400,"message":"x"}}`},
		{"raw async answer (9.x stream)",
			`{"id":"` + id + `","is_partial":false,"is_running":false,"response":{}}`,
			`{"id":"` + bound + `","is_partial":false,"is_running":false,"response":{}}`},
		{"no id", `{"rawResponse":{}}`, `{"rawResponse":{}}`},
	}
	for _, c := range cases {
		got, err := search.WrapResponseIDs([]byte(c.in), idKey, shareID)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if string(got) != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
	for _, in := range []string{"", "[]", `{"id":`, `eJx...base64-deflate`, `{"id":"a"} x`} {
		if _, err := search.WrapResponseIDs([]byte(in), idKey, shareID); !errors.Is(err, search.ErrMalformed) {
			t.Errorf("%q: err = %v, want ErrMalformed", in, err)
		}
	}
}

// TestPollRoundTrip: an id kshare wrapped in an answer is one the next poll
// may use.
func TestPollRoundTrip(t *testing.T) {
	t.Parallel()
	id := "FnQyVXpoaWV0UTVPYTFIdnNvY1o3Y2cbU2RnNXhreHFRMDI3N0VTYXhuT0FKQTo3NTEw"
	answer, err := search.WrapResponseIDs([]byte(`{"id":0,"result":{"id":"`+id+`","isRunning":true}}`), idKey, shareID)
	if err != nil {
		t.Fatal(err)
	}
	wrapped := path(t, decode(t, answer), "result", "id").(string)
	poll := strings.Replace(string(readFile(t, "klt-2021-07/dashboard-bsearch6.json")), id, wrapped, 1)
	out, err := search.Bsearch([]byte(poll), scope(jul21From, jul21To))
	if err != nil {
		t.Fatal(err)
	}
	if got := path(t, decode(t, out), "batch", 0, "request", "id"); got != id {
		t.Errorf("forwarded id = %v, want %v", got, id)
	}
}

// FuzzWrapResponseIDs: any answer either is refused as malformed or comes
// back as valid JSON whose async id unbinds to the one Kibana sent.
func FuzzWrapResponseIDs(f *testing.F) {
	f.Add([]byte(`{"id":"abc","rawResponse":{"hits":{"hits":[]}},"isRunning":true}`))
	f.Add([]byte(`{"id":2,"result":{"id":"Fn\u0041==","isPartial":false}}`))
	f.Add([]byte(`{"id":1,"error":{"message":"x"}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		out, err := search.WrapResponseIDs(line, idKey, shareID)
		if err != nil {
			if !errors.Is(err, search.ErrMalformed) {
				t.Fatalf("error without sentinel: %v", err)
			}
			return
		}
		if err := search.StrictValid(line); err == nil {
			if err := search.StrictValid(out); err != nil {
				t.Fatalf("output does not re-parse: %v\n%s", err, out)
			}
		}
		if !json.Valid(out) {
			t.Fatalf("output is not JSON: %s", out)
		}
		var in, got map[string]any
		_ = json.Unmarshal(line, &in)
		_ = json.Unmarshal(out, &got)
		if id, ok := in["id"].(string); ok && id != "" {
			if u, err := search.UnbindID(idKey, shareID, got["id"].(string)); err != nil || u != id {
				t.Fatalf("id %q came back as %v", id, got["id"])
			}
		}
	})
}
