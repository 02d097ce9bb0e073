package closure

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
)

var (
	fixtureOnce     sync.Once
	ecommerceCl     *Closure
	metricbeatCl    *Closure
	fixtureClErr    error
	ecommerceVisID  = "ed8436b0-b88b-11e8-a6d9-e546fe2bba5f"
	ecommerceSearch = "3ba638e0-b894-11e8-a6d9-e546fe2bba5f"
	flightsVisID    = "8f4d0c00-4c86-11e8-b3d7-01146121b73d" // exists, not shared
)

// fixtureClosures returns the closures of the 7.10 eCommerce dashboard
// and of the 8.0 Metricbeat dashboard (default space). They are shared:
// tests only read them.
func fixtureClosures(t *testing.T) (ecommerce, metricbeat *Closure) {
	t.Helper()
	fixtureOnce.Do(func() {
		ctx := context.Background()
		ecommerceCl, fixtureClErr = Compute(ctx, newFake(t, fixtureObjects(t, ecommerceFile)...),
			"", Ref{typeDashboard, ecommerceDash})
		if fixtureClErr == nil {
			metricbeatCl, fixtureClErr = Compute(ctx, newFake(t, fixtureObjects(t, metricbeat8)...),
				"default", Ref{typeDashboard, metricbeatID})
		}
	})
	if fixtureClErr != nil {
		t.Fatal(fixtureClErr)
	}
	return ecommerceCl, metricbeatCl
}

// item is one bulk-get entry as JSON.
func item(typ, id string, extra ...string) string {
	s := `{"type":"` + typ + `","id":"` + id + `"`
	for _, e := range extra {
		s += "," + e
	}
	return s + "}"
}

func TestCheckBulkGet(t *testing.T) {
	t.Parallel()
	ecommerce, metricbeat := fixtureClosures(t)
	dash := item(typeDashboard, ecommerceDash)
	dashWith := func(extra string) string {
		return "[" + item(typeDashboard, ecommerceDash, extra) + "]"
	}
	list := func(items ...string) string { return "[" + strings.Join(items, ",") + "]" }
	// raw writes an item by hand, for keys item cannot write.
	raw := func(members string) string { return `[{"type":"dashboard",` + members + `}]` }
	in, out := `"id":"`+ecommerceDash+`"`, `"id":"`+flightsDash+`"`
	tests := []struct {
		name string
		c    *Closure
		body string
		want error
	}{
		{"kibana-7.10 dashboard and data view", ecommerce,
			list(dash, item(typeDataView, ecommerceDV)), nil},
		{"kibana-7.10 visualization with fields", ecommerce,
			list(item(typeVis, ecommerceVisID, `"fields":["title","visState"]`)), nil},
		{"kibana-7.10 saved search", ecommerce, list(item(typeSearch, ecommerceSearch)), nil},
		{"config refused", ecommerce, list(item(typeConfig, "7.10.2")), ErrNotInClosure},
		{"empty list", ecommerce, "[]", nil},
		{"whitespace around", ecommerce, " \n[ " + dash + " ]\n", nil},
		{"namespaces share space", ecommerce, dashWith(`"namespaces":["default"]`), nil},
		{"namespaces null", ecommerce, dashWith(`"namespaces":null`), nil},
		{"kibana-8.0 missing data view may be asked for", metricbeat,
			list(item(typeDataView, "metricbeat-*")), nil},

		{"object outside", ecommerce, list(item(typeVis, flightsVisID)), ErrNotInClosure},
		{"one outside among many", ecommerce,
			list(dash, item(typeVis, ecommerceVisID), item(typeVis, flightsVisID)),
			ErrNotInClosure},
		{"id under another type", ecommerce, list(item(typeSearch, ecommerceVisID)),
			ErrNotInClosure},
		{"type case differs", ecommerce, list(item("Dashboard", ecommerceDash)), ErrNotInClosure},
		{"another dashboard", ecommerce, list(item(typeDashboard, flightsDash)), ErrNotInClosure},
		{"namespaces star", ecommerce, dashWith(`"namespaces":["*"]`), ErrNotInClosure},
		{"namespaces star among the share's", ecommerce,
			dashWith(`"namespaces":["default","*"]`), ErrNotInClosure},
		{"namespaces other space", ecommerce, dashWith(`"namespaces":["marketing"]`),
			ErrNotInClosure},
		{"namespaces empty", ecommerce, dashWith(`"namespaces":[]`), ErrMalformed},
		{"namespaces not a list", ecommerce, dashWith(`"namespaces":"default"`), ErrMalformed},

		{"not JSON", ecommerce, `[{"type":`, ErrMalformed},
		{"empty body", ecommerce, ``, ErrMalformed},
		{"object not array", ecommerce, dash, ErrMalformed},
		{"data after array", ecommerce, "[" + dash + "][]", ErrMalformed},
		{"item not an object", ecommerce, `["dashboard"]`, ErrMalformed},
		{"duplicate id", ecommerce, raw(in + "," + out), ErrMalformed},
		{"duplicate id escaped", ecommerce, raw(in + `,"\u0069d":"x"`), ErrMalformed},
		{"case-variant id", ecommerce, raw(in + `,"ID":"` + flightsDash + `"`), ErrMalformed},
		{"case-variant keys only", ecommerce,
			`[{"Type":"dashboard","Id":"` + ecommerceDash + `"}]`, ErrMalformed},
		{"unknown key", ecommerce, dashWith(`"search":"*"`), ErrMalformed},
		{"id not a string", ecommerce, raw(`"id":1`), ErrMalformed},
		{"id missing", ecommerce, `[{"type":"dashboard"}]`, ErrMalformed},
		{"id empty", ecommerce, raw(`"id":""`), ErrMalformed},
		{"fields not strings", ecommerce, dashWith(`"fields":[1]`), ErrMalformed},
		{"invalid UTF-8", ecommerce, list(item(typeDashboard, ecommerceDash+"\xff")), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.c.CheckBulkGet([]byte(tt.body))
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("CheckBulkGet(%s) = %v, want %v", tt.body, err, tt.want)
			}
		})
	}
}

func TestCheckBulkGetOtherSpace(t *testing.T) {
	t.Parallel()
	f := newFake(t, fixtureObjects(t, flightsFile)...)
	c, err := Compute(context.Background(), f, "marketing", Ref{typeDashboard, flightsDash})
	if err != nil {
		t.Fatal(err)
	}
	for body, want := range map[string]error{
		"[" + item(typeDashboard, flightsDash, `"namespaces":["marketing"]`) + "]": nil,
		"[" + item(typeDashboard, flightsDash, `"namespaces":["default"]`) + "]":   ErrNotInClosure,
		"[" + item(typeDashboard, flightsDash) + "]":                               nil,
	} {
		if err := c.CheckBulkGet([]byte(body)); want == nil && err != nil ||
			want != nil && !errors.Is(err, want) {
			t.Errorf("CheckBulkGet(%s) = %v, want %v", body, err, want)
		}
	}
}

// answered is a returned saved object as Kibana sends it.
func answered(typ, id string) string {
	return `{"id":"` + id + `","type":"` + typ + `","attributes":{"title":"t"},"references":[]}`
}

func notFoundItem(typ, id string) string {
	return `{"id":"` + id + `","type":"` + typ + `","error":{"statusCode":404,` +
		`"error":"Not Found","message":"Saved object [` + typ + `/` + id + `] not found"}}`
}

func resolved(so, outcome, alias string) string {
	s := `{"saved_object":` + so + `,"outcome":"` + outcome + `"`
	if alias != "" {
		s += `,"alias_target_id":"` + alias + `","alias_purpose":"savedObjectConversion"`
	}
	return s + "}"
}

func TestCheckAnswer(t *testing.T) {
	t.Parallel()
	ecommerce, _ := fixtureClosures(t)
	inVis, outVis := answered(typeVis, ecommerceVisID), answered(typeVis, flightsVisID)
	bulk := func(items ...string) string {
		return `{"saved_objects":[` + strings.Join(items, ",") + "]}"
	}
	bulkResolve := func(items ...string) string {
		return `{"resolved_objects":[` + strings.Join(items, ",") + "]}"
	}
	exact := func(so string) string { return resolved(so, "exactMatch", "") }
	tests := []struct {
		name string
		body string
		want error
	}{
		{"bulk get in closure", bulk(answered(typeDashboard, ecommerceDash), inVis), nil},
		{"bulk get with not-found item", bulk(inVis, notFoundItem(typeVis, "deleted")), nil},
		{"bulk get config refused", bulk(answered(typeConfig, "7.10.2")), ErrNotInClosure},
		{"bulk get empty", bulk(), nil},
		{"bulk get outside", bulk(inVis, outVis), ErrNotInClosure},
		{"get in closure", inVis, nil},
		{"get outside", outVis, ErrNotInClosure},
		{"get not found answer",
			`{"statusCode":404,"error":"Not Found","message":"Saved object [x/y] not found"}`, nil},
		{"resolve exact match", exact(inVis), nil},
		{"resolve alias match inside", resolved(inVis, "aliasMatch", ecommerceVisID), nil},
		{"resolve alias match outside", resolved(outVis, "aliasMatch", flightsVisID),
			ErrNotInClosure},
		{"resolve alias target outside, object inside",
			resolved(inVis, "aliasMatch", flightsVisID), ErrNotInClosure},
		{"resolve conflict with target outside", resolved(inVis, "conflict", flightsVisID),
			ErrNotInClosure},
		{"resolve not found", exact(notFoundItem(typeVis, "gone")), nil},
		{"bulk resolve in closure",
			bulkResolve(exact(inVis), exact(answered(typeDataView, ecommerceDV))), nil},
		{"bulk resolve alias outside",
			bulkResolve(exact(inVis), resolved(outVis, "aliasMatch", flightsVisID)),
			ErrNotInClosure},

		{"not JSON", `{"saved_objects":`, ErrMalformed},
		{"array", `[` + inVis + `]`, ErrMalformed},
		{"unknown shape", `{"total":1,"page":1}`, ErrMalformed},
		{"saved_objects not a list", `{"saved_objects":{}}`, ErrMalformed},
		{"object without id", bulk(`{"type":"visualization","attributes":{}}`), ErrMalformed},
		{"resolve without object", bulkResolve(`{"outcome":"exactMatch"}`), ErrMalformed},
		{"alias id not a string",
			`{"saved_object":` + inVis + `,"outcome":"aliasMatch","alias_target_id":5}`,
			ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := ecommerce.CheckAnswer([]byte(tt.body))
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("CheckAnswer(%s) = %v, want %v", tt.body, err, tt.want)
			}
		})
	}
}

func TestCheckErrorsNameTheObject(t *testing.T) {
	t.Parallel()
	ecommerce, _ := fixtureClosures(t)
	err := ecommerce.CheckBulkGet([]byte("[" + item(typeVis, flightsVisID) + "]"))
	if err == nil || !strings.Contains(err.Error(), flightsVisID) ||
		!strings.HasPrefix(err.Error(), "check bulk get") {
		t.Errorf("error = %v", err)
	}
}
