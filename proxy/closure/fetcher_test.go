package closure

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/proxy/kibanatest"
)

// fakeFetcher serves saved objects from memory and counts the reads.
type fakeFetcher struct {
	mu    sync.Mutex
	objs  map[Ref]kbn.SavedObject
	errs  map[Ref]error
	calls map[Ref]int
	space string        // when set, reads of another space fail the test
	gate  chan struct{} // when set, reads wait until it is closed
	t     testing.TB
}

func newFake(t testing.TB, objs ...kbn.SavedObject) *fakeFetcher {
	f := &fakeFetcher{
		objs: map[Ref]kbn.SavedObject{}, errs: map[Ref]error{}, calls: map[Ref]int{}, t: t,
	}
	for _, o := range objs {
		f.put(o)
	}
	return f
}

func (f *fakeFetcher) put(o kbn.SavedObject) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objs[Ref{Type: o.Type, ID: o.ID}] = o
}

func (f *fakeFetcher) fail(r Ref, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs[r] = err
}

func (f *fakeFetcher) reads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		n += c
	}
	return n
}

func (f *fakeFetcher) Object(ctx context.Context, space, typ, id string) (kbn.SavedObject, error) {
	r := Ref{Type: typ, ID: id}
	f.mu.Lock()
	f.calls[r]++
	so, ok := f.objs[r]
	err := f.errs[r]
	gate, want := f.gate, f.space
	f.mu.Unlock()
	if want != "" && space != want {
		f.t.Errorf("read %s in space %q, want %q", r, space, want)
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return kbn.SavedObject{}, ctx.Err()
		}
	}
	switch {
	case err != nil:
		return kbn.SavedObject{}, fmt.Errorf("read %s %q: %w", typ, id, err)
	case !ok:
		return kbn.SavedObject{}, fmt.Errorf("read %s %q: %w", typ, id, kbn.ErrNotFound)
	}
	return so, nil
}

// fixtureObjects parses a fixture export: the 6.x dashboards-export
// envelope {"version","objects":[…]} or _export ndjson, whose summary
// line (no type) is skipped.
func fixtureObjects(t testing.TB, name string) []kbn.SavedObject {
	t.Helper()
	raw, err := kibanatest.Fixture("dashboards/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Objects []kbn.SavedObject `json:"objects"`
	}
	if json.Unmarshal(raw, &env) == nil && env.Objects != nil {
		return env.Objects
	}
	var out []kbn.SavedObject
	for i, line := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
		var o kbn.SavedObject
		if err := json.Unmarshal(line, &o); err != nil {
			t.Fatalf("%s line %d: %v", name, i+1, err)
		}
		if o.Type != "" {
			out = append(out, o)
		}
	}
	return out
}

// obj builds a saved object for crafted tests. Attribute values are
// marshalled; pass js(…) for Kibana's JSON-string attributes.
func obj(typ, id string, attrs map[string]any, refs ...kbn.Reference) kbn.SavedObject {
	so := kbn.SavedObject{Type: typ, ID: id, Attributes: map[string]json.RawMessage{}}
	for k, v := range attrs {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		so.Attributes[k] = b
	}
	so.References = refs
	return so
}

// js returns v as JSON text, the way Kibana stores panelsJSON, visState
// and searchSourceJSON.
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func ref(name, typ, id string) kbn.Reference {
	return kbn.Reference{Name: name, Type: typ, ID: id}
}

func dataView(id, title, timeField string) kbn.SavedObject {
	return obj(typeDataView, id, map[string]any{"title": title, "timeFieldName": timeField})
}

// vis builds a visualization with a visState of the given type and params.
func vis(id, visType string, params any, refs ...kbn.Reference) kbn.SavedObject {
	return obj(typeVis, id, map[string]any{
		"title":    id,
		"visState": js(map[string]any{"type": visType, "params": params}),
		"kibanaSavedObjectMeta": map[string]any{"searchSourceJSON": js(map[string]any{
			"indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index",
		})},
	}, refs...)
}
