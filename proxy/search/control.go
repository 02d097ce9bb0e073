package search

// Input controls (Kibana's legacy input_control_vis) list the values of one
// field: a list control asks for one terms aggregation, a range control
// for the field's min and max, both with size 0. The values a control
// shows are the same whatever the other panels filter on, so such a body
// is not held to the index's panel restrictions (Scope.IndexFilters).
// Its own query is dropped instead (it still gets the window, the share's
// filters and the dashboard's saved ones): a client-chosen query would
// turn the aggregation's counts into a probe of documents the panels
// cannot show. A chained control's parent selection is dropped with it,
// so the child lists every value of its field in the window.

// controlTermsKeys are the terms options a list control sends.
var controlTermsKeys = map[string]bool{
	"field": true, "size": true, "order": true, "include": true, "execution_hint": true,
}

// isControlBody reports whether body only lists the values of a field
// that an input control on index lists.
func (rw *rewriter) isControlBody(index string, body *value) bool {
	if rw.sc.ControlField == nil {
		return false
	}
	size := body.get("size")
	if size == nil || size.kind != kNumber || size.s != "0" {
		return false
	}
	aggs := body.get("aggs")
	if aggs == nil {
		aggs = body.get("aggregations")
	}
	field, ok := controlAggField(aggs)
	return ok && rw.sc.ControlField(index, field)
}

// controlAggField returns the field of a control's aggregations: one
// terms aggregation with list-control options, or exactly a min and a max
// on one field; no sub-aggregations, no scripts.
func controlAggField(aggs *value) (string, bool) {
	if !aggs.isObject() {
		return "", false
	}
	fields := map[string]bool{}
	types := map[string]bool{}
	for _, m := range aggs.members {
		a := m.val
		if !a.isObject() || len(a.members) != 1 {
			return "", false
		}
		typ, body := a.members[0].key, a.members[0].val
		f, ok := onlyField(typ, body)
		if !ok || types[typ] {
			return "", false
		}
		types[typ] = true
		fields[f] = true
	}
	if len(fields) != 1 {
		return "", false
	}
	switch {
	case len(types) == 1 && types["terms"]:
	case len(types) == 2 && types["min"] && types["max"]:
	default:
		return "", false
	}
	for f := range fields {
		return f, true
	}
	return "", false
}

// onlyField returns the field a terms, min or max aggregation reads when
// its body holds nothing a control does not send.
func onlyField(typ string, body *value) (string, bool) {
	if !body.isObject() {
		return "", false
	}
	field := body.get("field")
	if !field.isString() || field.s == "" {
		return "", false
	}
	for _, m := range body.members {
		switch {
		case typ == "terms" && controlTermsKeys[m.key]:
		case (typ == "min" || typ == "max") && m.key == "field":
		default:
			return "", false
		}
	}
	switch typ {
	case "terms", "min", "max":
		return field.s, true
	}
	return "", false
}
