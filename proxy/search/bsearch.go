package search

// bsearchStrategies are the strategies a bsearch item may name; an item
// without one runs Kibana's default, which is es or ese.
var bsearchStrategies = map[string]bool{"es": true, "ese": true}

// Bsearch checks POST /internal/bsearch (7.11–8.x):
// {batch:[{request:{params} | {id, params}, options:{strategy, ...}}, ...]}.
//
// Each item's params are checked like InternalSearch's. An item with
// request.id polls an async search: the id must be one kshare bound to this
// share (Scope.IDKey, Scope.ShareID; see BindID) and is forwarded unbound.
// Options other than strategy (es or ese), legacyHitsTotal,
// retrieveResults and executionContext are refused; session options are
// dropped.
func Bsearch(body []byte, sc Scope) ([]byte, error) {
	rw, err := newRewriter(sc, false)
	if err != nil {
		return nil, err
	}
	root, err := parseObject(body)
	if err != nil {
		return nil, err
	}
	batch := root.get("batch")
	if len(root.members) != 1 || !batch.isArray() {
		return nil, malformed("bsearch body is not {batch:[...]}")
	}
	return rewriteList(body, "batch", batch, rw.bsearchItem)
}

func (rw *rewriter) bsearchItem(it *value) (*value, error) {
	if !it.isObject() {
		return nil, malformed("item is not an object")
	}
	out := sized(len(it.members))
	for _, m := range it.members {
		var err error
		switch m.key {
		case "request":
			m.val, err = rw.bsearchRequest(m.val)
		case "options":
			m.val, err = bsearchOptions(m.val)
		default:
			err = forbidden("item key %q", m.key)
		}
		if err != nil {
			return nil, at(m.key, err)
		}
		out.members = append(out.members, m)
	}
	if it.get("request") == nil {
		return nil, malformed("item has no request")
	}
	return out, nil
}

func (rw *rewriter) bsearchRequest(v *value) (*value, error) {
	if !v.isObject() {
		return nil, malformed("not an object")
	}
	poll := v.get("id") != nil
	out := sized(len(v.members))
	for _, m := range v.members {
		var err error
		switch m.key {
		case "params":
			m.val, err = rw.params(m.val, poll)
		case "id":
			m.val, err = rw.unbind(m.val)
		default:
			err = forbidden("request key %q", m.key)
		}
		if err != nil {
			return nil, at(m.key, err)
		}
		out.members = append(out.members, m)
	}
	if !poll && v.get("params") == nil {
		return nil, forbidden("missing params")
	}
	return out, nil
}

func (rw *rewriter) unbind(v *value) (*value, error) {
	if !v.isString() {
		return nil, malformed("async id is not a string")
	}
	id, err := UnbindID(rw.sc.IDKey, rw.sc.ShareID, v.s)
	if err != nil {
		return nil, err
	}
	return newString(id), nil
}

func bsearchOptions(v *value) (*value, error) {
	if !v.isObject() {
		return nil, malformed("not an object")
	}
	out := sized(len(v.members))
	for _, m := range v.members {
		switch {
		case sessionKeys[m.key]:
			continue
		case routingKeys[m.key]:
			return nil, forbidden("search routing %q", m.key)
		case m.key == "strategy":
			if !m.val.isString() || !bsearchStrategies[m.val.s] {
				return nil, forbidden("search strategy %s", describe(m.val))
			}
		default:
			if err := optionValue(m); err != nil {
				return nil, err
			}
		}
		out.members = append(out.members, m)
	}
	return out, nil
}
