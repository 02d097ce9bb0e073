package closure

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// bulkItem is one entry of a _bulk_get or _bulk_resolve request.
type bulkItem struct {
	Type, ID   string
	Namespaces []string // nil when absent or null
	hasNS      bool
}

// CheckBulkGet checks the body of a _bulk_get or _bulk_resolve request,
// a JSON array of {type, id[, fields][, namespaces]} (kibana-api.md §1.4):
// every item must name an object of the closure, or one the closure
// references that does not exist (Kibana answers it with an error item;
// refusing it would break the whole page), and namespaces, when given,
// may only name the share's space. Unknown, duplicate or case-variant keys
// are refused: Go's decoder and Kibana's could read them differently.
// It returns an error wrapping ErrNotInClosure or ErrMalformed.
func (c *Closure) CheckBulkGet(body []byte) error {
	items, err := parseBulkGet(body)
	if err != nil {
		return fmt.Errorf("check bulk get: %w", err)
	}
	for i, it := range items {
		if err := c.checkItem(it); err != nil {
			return fmt.Errorf("check bulk get item %d: %w", i, err)
		}
	}
	return nil
}

func (c *Closure) checkItem(it bulkItem) error {
	if it.hasNS && it.Namespaces != nil {
		if len(it.Namespaces) == 0 {
			return fmt.Errorf("%w: empty namespaces", ErrMalformed)
		}
		for _, ns := range it.Namespaces {
			// "*" would read the object from every space.
			if ns == "*" || normSpace(ns) != c.Space {
				return fmt.Errorf("%w: namespace %q", ErrNotInClosure, ns)
			}
		}
	}
	if !c.Has(it.Type, it.ID) && !c.missing(it.Type, it.ID) {
		return fmt.Errorf("%w: %s/%s", ErrNotInClosure, it.Type, it.ID)
	}
	return nil
}

// parseBulkGet reads a bulk request token by token, so that duplicate
// and case-variant keys are seen (encoding/json matches struct fields
// case-insensitively and keeps the last duplicate).
func parseBulkGet(body []byte) ([]bulkItem, error) {
	if !utf8.Valid(body) {
		return nil, fmt.Errorf("%w: not UTF-8", ErrMalformed)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := expectDelim(dec, '['); err != nil {
		return nil, err
	}
	var items []bulkItem
	for dec.More() {
		it, err := readItem(dec)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", len(items), err)
		}
		items = append(items, it)
	}
	if err := expectDelim(dec, ']'); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the array", ErrMalformed)
	}
	return items, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("%w: want %q", ErrMalformed, want)
	}
	return nil
}

// readItem reads one {type, id, fields, namespaces} object.
func readItem(dec *json.Decoder) (bulkItem, error) {
	var it bulkItem
	if err := expectDelim(dec, '{'); err != nil {
		return it, err
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return it, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return it, fmt.Errorf("%w: duplicate key %q", ErrMalformed, key)
		}
		seen[key] = true
		if err := readField(dec, key, &it); err != nil {
			return it, err
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return it, err
	}
	if it.Type == "" || it.ID == "" {
		return it, fmt.Errorf("%w: type and id are required", ErrMalformed)
	}
	return it, nil
}

// readField decodes the value of one item key; the key set is Kibana's
// route schema, which refuses unknown keys too.
func readField(dec *json.Decoder, key string, it *bulkItem) error {
	var err error
	switch key {
	case "type":
		err = dec.Decode(&it.Type)
	case "id":
		err = dec.Decode(&it.ID)
	case "fields":
		var fields []string
		err = dec.Decode(&fields)
	case "namespaces":
		it.hasNS = true
		err = dec.Decode(&it.Namespaces)
	default:
		return fmt.Errorf("%w: unknown key %q", ErrMalformed, key)
	}
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrMalformed, key, err)
	}
	return nil
}

// CheckAnswer checks Kibana's answer to a saved-object read: _bulk_get
// ({saved_objects:[…]}), _bulk_resolve ({resolved_objects:[…]}), resolve
// ({saved_object, outcome, alias_target_id}) or get (the object itself).
// Every object returned, and every alias target a resolve names, must be
// in the closure; error items (an object not found) pass. Objects that
// the closure only knows as missing do not pass: one created since the
// closure was computed waits for the next computation.
func (c *Closure) CheckAnswer(body []byte) error {
	top, err := fields(body)
	if err != nil {
		return fmt.Errorf("check answer: %w", err)
	}
	switch {
	case top["saved_objects"] != nil:
		err = c.eachItem(top["saved_objects"], c.checkAnswered)
	case top["resolved_objects"] != nil:
		err = c.eachItem(top["resolved_objects"], c.checkResolved)
	case top["saved_object"] != nil:
		err = c.checkResolved(body)
	case top["id"] != nil || top["type"] != nil:
		err = c.checkAnswered(body)
	case top["statusCode"] != nil && top["error"] != nil:
		// An error answer (404) returns no object.
	default:
		err = fmt.Errorf("%w: unknown answer shape", ErrMalformed)
	}
	if err != nil {
		return fmt.Errorf("check answer: %w", err)
	}
	return nil
}

// fields decodes a JSON object into its members, keys matched exactly.
func fields(raw []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	return m, nil
}

func (c *Closure) eachItem(raw json.RawMessage, check func([]byte) error) error {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return fmt.Errorf("%w: not an array", ErrMalformed)
	}
	for i, item := range list {
		if err := check(item); err != nil {
			return fmt.Errorf("item %d: %w", i, err)
		}
	}
	return nil
}

// checkAnswered checks one returned object: {id, type, …} or an error
// item {id, type, error}.
func (c *Closure) checkAnswered(raw []byte) error {
	m, err := fields(raw)
	if err != nil {
		return err
	}
	if e := m["error"]; e != nil && string(e) != "null" {
		return nil
	}
	var typ, id string
	if json.Unmarshal(m["type"], &typ) != nil || json.Unmarshal(m["id"], &id) != nil {
		return fmt.Errorf("%w: object without type or id", ErrMalformed)
	}
	if !c.Has(typ, id) {
		return fmt.Errorf("%w: %s/%s", ErrNotInClosure, typ, id)
	}
	return nil
}

// checkResolved checks one resolve result. With outcome aliasMatch the
// object returned is the alias target; with conflict, alias_target_id
// names a second object the page offers to open. Both must be in the
// closure.
func (c *Closure) checkResolved(raw []byte) error {
	m, err := fields(raw)
	if err != nil {
		return err
	}
	so := m["saved_object"]
	if so == nil {
		return fmt.Errorf("%w: resolve result without saved_object", ErrMalformed)
	}
	if err := c.checkAnswered(so); err != nil {
		return err
	}
	obj, _ := fields(so)
	var typ, alias string
	_ = json.Unmarshal(obj["type"], &typ)
	if a := m["alias_target_id"]; a != nil && string(a) != "null" {
		if json.Unmarshal(a, &alias) != nil {
			return fmt.Errorf("%w: alias_target_id", ErrMalformed)
		}
	}
	if alias != "" && !c.Has(typ, alias) {
		return fmt.Errorf("%w: alias target %s/%s", ErrNotInClosure, typ, alias)
	}
	return nil
}
