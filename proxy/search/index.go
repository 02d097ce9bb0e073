package search

import (
	"strconv"
	"strings"
)

// maxIndexLen bounds an index string; data view titles listing many
// patterns stay far below it.
const maxIndexLen = 4096

// checkIndex returns the index string an item names once it is allowed.
//
// The string must be non-empty and either allowed as a whole (a data view
// title such as "logs-*,metrics-*") or part by part. Whatever AllowIndex
// says, no part may be empty, "_all" or "*" (everything), hold ':'
// (cross-cluster), start with '-' (exclusions change what a pattern means)
// or hold characters Elasticsearch reads as syntax (date math <...>, path
// separators, white space). A wildcard part is therefore allowed only when
// AllowIndex knows that exact string.
func (rw *rewriter) checkIndex(v *value) (string, error) {
	if v == nil {
		return "", forbidden("missing index")
	}
	if !v.isString() {
		return "", forbidden("index is not a string")
	}
	index := v.s
	if index == "" {
		return "", forbidden("empty index")
	}
	if len(index) > maxIndexLen {
		return "", forbidden("index string too long")
	}
	parts := strings.Split(index, ",")
	for _, p := range parts {
		if err := checkIndexPart(p); err != nil {
			return "", err
		}
	}
	allow := rw.sc.AllowIndex
	if allow == nil {
		return "", forbidden("index %s not in this share", short(index))
	}
	if allow(index) {
		return index, nil
	}
	for _, p := range parts {
		if !allow(p) {
			return "", forbidden("index %s not in this share", short(p))
		}
	}
	return index, nil
}

func checkIndexPart(p string) error {
	switch {
	case p == "":
		return forbidden("empty part in index list")
	case p == "_all" || p == "*":
		return forbidden("index %q names every index", p)
	case strings.HasPrefix(p, "-"):
		return forbidden("index exclusion %s", short(p))
	case strings.Contains(p, ":"):
		return forbidden("cross-cluster index %s", short(p))
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || strings.IndexByte(`"\/<>|?#`, c) >= 0 {
			return forbidden("index %s holds %q", short(p), c)
		}
	}
	return nil
}

// short quotes s for an error message, cut to 64 bytes: index strings come
// from the client and may be 4 KB long.
func short(s string) string {
	if len(s) <= 64 {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:64]) + "..."
}

// timeField returns the time field that enforces the window for index.
func (rw *rewriter) timeField(index string) (string, error) {
	var tf string
	if rw.sc.TimeField != nil {
		tf = rw.sc.TimeField(index)
	}
	if tf == "" {
		return "", forbidden("index %s has no time field to hold the share's window", short(index))
	}
	return tf, nil
}
