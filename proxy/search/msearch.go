package search

import (
	"bytes"
	"fmt"
)

// Msearch6 checks 6.x's POST /elasticsearch/_msearch: NDJSON header/body
// line pairs, each line one JSON object. The window goes in as epoch
// milliseconds (format epoch_millis), as 6.x's own time filter does. The
// output is one compact line per input line, each ending in a newline, as
// Elasticsearch requires. Blank lines and an odd line count are malformed;
// a missing final newline is tolerated.
func Msearch6(body []byte, sc Scope) ([]byte, error) {
	if len(body) > MaxBody {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(body))
	}
	rw, err := newRewriter(sc, true)
	if err != nil {
		return nil, err
	}
	lines := bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n"))
	if len(lines)%2 != 0 {
		return nil, malformed("msearch has a header without a body")
	}
	out := make([]byte, 0, len(body)+256*len(lines))
	for i := 0; i < len(lines); i += 2 {
		h, b, err := rw.msearchPair(lines[i], lines[i+1])
		if err != nil {
			return nil, at(fmt.Sprintf("search %d", i/2), err)
		}
		out = append(appendValue(out, h), '\n')
		out = append(appendValue(out, b), '\n')
	}
	return out, nil
}

func (rw *rewriter) msearchPair(header, body []byte) (*value, *value, error) {
	h, err := parseLine(header)
	if err != nil {
		return nil, nil, at("header", err)
	}
	b, err := parseLine(body)
	if err != nil {
		return nil, nil, at("body", err)
	}
	return rw.headerAndBody(h, b)
}

func parseLine(line []byte) (*value, error) {
	if len(bytes.TrimSpace(line)) == 0 {
		return nil, malformed("blank line")
	}
	return parseObject(line)
}

// headerAndBody checks an msearch header ({index, preference, ...}) and
// rewrites its body.
func (rw *rewriter) headerAndBody(h, b *value) (*value, *value, error) {
	if h == nil {
		h = newObject() // no header: no index, refused below
	}
	if !h.isObject() {
		return nil, nil, malformed("header is not an object")
	}
	index, err := rw.checkIndex(h.get("index"))
	if err != nil {
		return nil, nil, err
	}
	for _, m := range h.members {
		switch {
		case m.key == "index":
		case routingKeys[m.key]:
			return nil, nil, forbidden("search routing %q", m.key)
		default:
			if err := searchParam(m); err != nil {
				return nil, nil, at("header "+m.key, err)
			}
		}
	}
	out, err := rw.searchBody(index, b)
	if err != nil {
		return nil, nil, err
	}
	return h, out, nil
}

// MsearchOSD checks OSD's (and 7.x's batchSearches) POST /internal/_msearch:
// {searches:[{header:{index, preference}, body:{...}}, ...]}. data_source_id
// (OSD multiple data sources) is refused wherever it appears.
func MsearchOSD(body []byte, sc Scope) ([]byte, error) {
	rw, err := newRewriter(sc, false)
	if err != nil {
		return nil, err
	}
	root, err := parseObject(body)
	if err != nil {
		return nil, err
	}
	for _, m := range root.members {
		if routingKeys[m.key] {
			return nil, forbidden("search routing %q", m.key)
		}
		if m.key != "searches" {
			return nil, forbidden("msearch key %q", m.key)
		}
	}
	searches := root.get("searches")
	if !searches.isArray() {
		return nil, malformed("msearch body is not {searches:[...]}")
	}
	return rewriteList(body, "searches", searches, rw.osdSearch)
}

func (rw *rewriter) osdSearch(s *value) (*value, error) {
	if !s.isObject() {
		return nil, malformed("search is not an object")
	}
	for _, m := range s.members {
		if routingKeys[m.key] {
			return nil, forbidden("search routing %q", m.key)
		}
		if m.key != "header" && m.key != "body" {
			return nil, forbidden("search key %q", m.key)
		}
	}
	h, b, err := rw.headerAndBody(s.get("header"), s.get("body"))
	if err != nil {
		return nil, err
	}
	return newObject(member{"header", h}, member{"body", b}), nil
}
