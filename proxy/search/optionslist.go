package search

// Options-list controls (8.x dashboards) do not send a search body: the
// browser posts what to list and the data view title in the path, and
// Kibana's server builds the search, putting the body's filters into
// query.bool.filter and its runtimeFieldMap into runtime_mappings
// (src/plugins/controls/server/options_list/options_list_suggestions_route.ts).
// kshare holds the filters to the share like any search query and refuses
// what would let the client reach past them.

// optionsListKeys are the body members Kibana's controls send (8.3–9.x),
// each with its check. Anything else is refused.
var optionsListKeys = map[string]func(v *value) error{
	"size":                  hitCount,
	"fieldName":             needNonEmptyString,
	"textFieldName":         needString,
	"sort":                  needObject,
	"filters":               needArray,
	"fieldSpec":             checkFieldSpec,
	"allowExpensiveQueries": needBool,
	"runPastTimeout":        needBool,
	"ignoreValidations":     needBool,
	"searchString":          needString,
	"searchTechnique":       needString,
	"selectedOptions":       needStrings,
	"runtimeFieldMap":       needEmptyObject,
}

func needStrings(v *value) error {
	if !v.isArray() {
		return malformed("not an array")
	}
	for _, e := range v.elems() {
		if !e.isString() {
			return malformed("not an array of strings")
		}
	}
	return nil
}

func needNonEmptyString(v *value) error {
	if !v.isString() || v.s == "" {
		return malformed("not a non-empty string")
	}
	return nil
}

// checkFieldSpec refuses a field spec that carries a script or a runtime
// field definition: Kibana's suggestion aggregations read them, so the
// client would choose what is computed.
func checkFieldSpec(v *value) error {
	if !v.isObject() {
		return malformed("not an object")
	}
	for _, k := range []string{"script", "runtimeField", "lang"} {
		if v.get(k) != nil {
			return forbidden("fieldSpec.%s", k)
		}
	}
	if s := v.get("scripted"); s != nil && s.kind == kTrue {
		return forbidden("scripted fieldSpec")
	}
	return nil
}

// OptionsList checks an options-list request for the data view title in
// its path and returns the body to forward: the same members, with
// filters replaced by one clause that ANDs the client's filters with the
// share's window, filters and panel restrictions.
func OptionsList(index string, body []byte, sc Scope) ([]byte, error) {
	rw, err := newRewriter(sc, false)
	if err != nil {
		return nil, err
	}
	idx, err := rw.checkIndex(newString(index))
	if err != nil {
		return nil, err
	}
	tf, err := rw.timeField(idx)
	if err != nil {
		return nil, err
	}
	root, err := parseObject(body)
	if err != nil {
		return nil, err
	}
	if root.get("fieldName") == nil {
		return nil, malformed("options list body without fieldName")
	}
	for _, m := range root.members {
		check, ok := optionsListKeys[m.key]
		if !ok {
			return nil, forbidden("options list key %q", m.key)
		}
		if err := check(m.val); err != nil {
			return nil, at(m.key, err)
		}
	}
	if err := scan(root); err != nil {
		return nil, err
	}
	rw.index = idx
	var client *value
	if f := root.get("filters"); f != nil && len(f.members) > 0 {
		client = newObject(member{"bool", newObject(member{"filter", f})})
	}
	root.set("filters", newArray(rw.scoped(client, tf)))
	return encode(root, len(body)+512), nil
}
