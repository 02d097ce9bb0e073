package config

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// readYAML parses a YAML document into settings for Viper, checking its keys
// against the key table on the way.
//
// The file is parsed here rather than by Viper so that every scalar keeps the
// text it was written with: YAML would read kibana.line 7.10 as the number
// 7.1, and an unquoted password such as 0x1F as 31. Each setting converts the
// text itself (see assign). Parsing nodes also gives each key its line for
// the messages about unknown and repeated keys.
func readYAML(r io.Reader) (map[string]any, []Problem, error) {
	dec := yaml.NewDecoder(r)
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return nil, nil, fmt.Errorf("line %d: a second YAML document; "+
			"kshare reads one", next.Line)
	} else if !errors.Is(err, io.EOF) {
		return nil, nil, err
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, nil, nil
	}
	top := deref(doc.Content[0])
	if top.Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("line %d: want a mapping of settings "+
			"at the top of the file", top.Line)
	}
	var fr fileReader
	return fr.section(top, ""), fr.problems, nil
}

// fileReader collects the problems found while reading a file's keys.
type fileReader struct {
	problems []Problem
}

// section converts a mapping node whose keys start with prefix. Key names
// are lower-cased, as Viper treats them.
func (fr *fileReader) section(n *yaml.Node, prefix string) map[string]any {
	out := make(map[string]any)
	lines := make(map[string]int)
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], deref(n.Content[i+1])
		name := strings.ToLower(kn.Value)
		path := prefix + name
		if first, dup := lines[name]; dup {
			fr.add(path, "set twice, on lines %d and %d", first, kn.Line)
			continue
		}
		lines[name] = kn.Line
		_, isKey := lookupKey(path)
		switch {
		case isKey:
			out[name] = scalars(vn)
		case isSection(path) && vn.Kind == yaml.MappingNode:
			out[name] = fr.section(vn, path+".")
		case isSection(path) && isNull(vn):
			// An empty section, such as "redis:" with nothing under it.
		case isSection(path):
			fr.add(path, "is a section of settings, not a value (line %d)", kn.Line)
		default:
			fr.add(path, "unknown key (line %d)", kn.Line)
		}
	}
	return out
}

func (fr *fileReader) add(path, format string, args ...any) {
	fr.problems = append(fr.problems, Problem{Key: path, Message: fmt.Sprintf(format, args...)})
}

// scalars converts a value node keeping each scalar's text: a scalar becomes
// its string (nil for null), a sequence []any, a mapping map[string]any.
func scalars(n *yaml.Node) any {
	n = deref(n)
	switch n.Kind {
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			out[i] = scalars(c)
		}
		return out
	case yaml.MappingNode:
		out := make(map[string]any)
		for i := 0; i+1 < len(n.Content); i += 2 {
			out[strings.ToLower(n.Content[i].Value)] = scalars(n.Content[i+1])
		}
		return out
	}
	if isNull(n) {
		return nil
	}
	return n.Value
}

// deref follows an alias (*name) to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// isNull reports whether n is YAML's null: nothing, ~ or null, unquoted.
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}
