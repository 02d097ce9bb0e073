package kbn

import (
	"encoding/json"
	"strings"
)

// SavedObject is a Kibana saved object as the saved-objects API returns it.
type SavedObject struct {
	ID         string                     `json:"id"`
	Type       string                     `json:"type"`
	Attributes map[string]json.RawMessage `json:"attributes"`
	References []Reference                `json:"references"`
	Namespaces []string                   `json:"namespaces,omitempty"`
}

// Reference is one entry of a saved object's references.
type Reference struct {
	Name string `json:"name"`
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Refresh is a dashboard's auto-refresh setting.
type Refresh struct {
	Pause bool  `json:"pause"`
	Value int64 `json:"value"`
}

// Str returns a string attribute, or "" when absent or not a string.
func (o SavedObject) Str(name string) string {
	var s string
	if raw, ok := o.Attributes[name]; ok {
		_ = json.Unmarshal(raw, &s)
	}
	return s
}

// Bool returns a boolean attribute, false when absent.
func (o SavedObject) Bool(name string) bool {
	var b bool
	if raw, ok := o.Attributes[name]; ok {
		_ = json.Unmarshal(raw, &b)
	}
	return b
}

// Title is the object's title attribute.
func (o SavedObject) Title() string { return o.Str("title") }

// SavedTime returns the time range stored with a dashboard, when it has one:
// Kibana applies it only when timeRestore is true and both bounds exist.
func (o SavedObject) SavedTime() (from, to string, ok bool) {
	from, to = o.Str("timeFrom"), o.Str("timeTo")
	if !o.Bool("timeRestore") || strings.TrimSpace(from) == "" || strings.TrimSpace(to) == "" {
		return "", "", false
	}
	return from, to, true
}

// SavedRefresh returns the dashboard's stored refresh interval, when
// timeRestore is on.
func (o SavedObject) SavedRefresh() (Refresh, bool) {
	raw, ok := o.Attributes["refreshInterval"]
	if !ok || !o.Bool("timeRestore") {
		return Refresh{}, false
	}
	var r Refresh
	if err := json.Unmarshal(raw, &r); err != nil {
		return Refresh{}, false
	}
	return r, true
}
