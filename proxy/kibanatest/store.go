package kibanatest

import (
	"sync"
	"time"
)

// defaultSpace is Kibana's id for the space without a /s/ prefix.
const defaultSpace = "default"

// store holds saved objects per space. Saved objects in a space are stored
// as <space>:<type>:<id> in .kibana (real-kibana README), so every space gets
// its own copy and edits in one never show in another.
type store struct {
	mu     sync.Mutex
	spaces map[string]*bucket
}

// bucket is one space's objects, in export order.
type bucket struct {
	order []string
	docs  map[string]map[string]any
}

func objKey(typ, id string) string { return typ + "/" + id }

func newStore(objs []map[string]any, spaces []string) *store {
	st := &store{spaces: map[string]*bucket{}}
	for _, sp := range spaces {
		b := &bucket{docs: map[string]map[string]any{}}
		for _, o := range objs {
			k := objKey(str(o["type"]), str(o["id"]))
			b.order = append(b.order, k)
			b.docs[k] = copyMap(o)
		}
		st.spaces[sp] = b
	}
	return st
}

// get returns a copy of one object.
func (st *store) get(space, typ, id string) (map[string]any, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	b := st.spaces[space]
	if b == nil {
		return nil, false
	}
	d, ok := b.docs[objKey(typ, id)]
	if !ok {
		return nil, false
	}
	return copyMap(d), true
}

// list returns copies of every object of the space, in export order.
func (st *store) list(space string) []map[string]any {
	st.mu.Lock()
	defer st.mu.Unlock()
	b := st.spaces[space]
	if b == nil {
		return nil
	}
	out := make([]map[string]any, 0, len(b.order))
	for _, k := range b.order {
		if d, ok := b.docs[k]; ok {
			out = append(out, copyMap(d))
		}
	}
	return out
}

func (st *store) delete(space, typ, id string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	b := st.spaces[space]
	if b == nil {
		return false
	}
	k := objKey(typ, id)
	if _, ok := b.docs[k]; !ok {
		return false
	}
	delete(b.docs, k)
	return true
}

func (st *store) setAttr(space, typ, id, attr string, v any) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	b := st.spaces[space]
	if b == nil {
		return false
	}
	d, ok := b.docs[objKey(typ, id)]
	if !ok {
		return false
	}
	attrs, _ := d["attributes"].(map[string]any)
	if attrs == nil {
		attrs = map[string]any{}
		d["attributes"] = attrs
	}
	attrs[attr] = copyValue(v)
	d["updated_at"] = time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	return true
}

// copyMap deep-copies a decoded JSON object.
func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyValue(v)
	}
	return out
}

func copyValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return copyMap(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = copyValue(e)
		}
		return out
	case []string:
		return append([]string(nil), t...)
	default:
		return v // strings, json.Number, bools, nil and caller values
	}
}

// str returns v if it is a string, else "".
func str(v any) string {
	s, _ := v.(string)
	return s
}

// attrs returns the attributes object of a saved object.
func attrs(doc map[string]any) map[string]any {
	a, _ := doc["attributes"].(map[string]any)
	return a
}

// newSettings gives every space its own copy of the user settings.
func newSettings(spaces []string, user map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, sp := range spaces {
		m := map[string]any{}
		for k, v := range user {
			m[k] = copyValue(v)
		}
		out[sp] = m
	}
	return out
}

// jsonString decodes a JSON-string attribute (panelsJSON, optionsJSON, …).
func jsonString(v any) (any, bool) {
	s, ok := v.(string)
	if !ok {
		return nil, false
	}
	var out any
	if err := decodeJSON([]byte(s), &out); err != nil {
		return nil, false
	}
	return out, true
}

// put adds or replaces one object (a decoded saved object: type, id,
// attributes, references).
func (st *store) put(space string, obj map[string]any) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	b := st.spaces[space]
	if b == nil {
		return false
	}
	k := objKey(str(obj["type"]), str(obj["id"]))
	if _, ok := b.docs[k]; !ok {
		b.order = append(b.order, k)
	}
	d := copyMap(obj)
	d["updated_at"] = time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	b.docs[k] = d
	return true
}
