package closure

import (
	"encoding/json"
	"regexp"
	"strings"
)

// timelionIndices returns the index arguments of the .es() and
// .elasticsearch() calls of a Timelion expression, named (index=…) or
// fourth positional (the function's arguments are q, metric, split,
// index, …). Quoted text is skipped, so an expression inside a query
// string is not read as a call.
func timelionIndices(expr string) []string {
	var out []string
	for i := 0; i < len(expr); i++ {
		switch c := expr[i]; {
		case c == '"' || c == '\'':
			i = skipQuoted(expr, i, true)
		case c == '.':
			name, rest := callName(expr[i+1:])
			if name != "es" && name != "elasticsearch" {
				continue
			}
			start := len(expr) - len(rest)
			if idx, ok := esIndexArg(splitArgs(expr, start)); ok {
				out = append(out, idx)
			}
			// Go on inside the arguments: they may hold nested calls.
			i = start - 1
		}
	}
	return out
}

// callName reads "name(" at the start of s and returns the name and the
// text after the parenthesis; "" when s does not start a call.
func callName(s string) (string, string) {
	n := 0
	for n < len(s) && (isIdent(s[n])) {
		n++
	}
	rest := strings.TrimLeft(s[n:], " \t\r\n")
	if n == 0 || !strings.HasPrefix(rest, "(") {
		return "", s
	}
	return s[:n], rest[1:]
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// skipQuoted returns the index of the quote closing the string that
// starts at s[i]. A string not closed (or, without multiline, not closed
// on its line) ends before the end of the text (or of the line).
func skipQuoted(s string, i int, multiline bool) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			return j
		case '\n':
			if !multiline {
				return j - 1
			}
		}
	}
	return len(s) - 1
}

// splitArgs splits the argument list that starts at s[start] (just after
// the opening parenthesis) at its top-level commas, up to the closing
// parenthesis.
func splitArgs(s string, start int) []string {
	var args []string
	depth, from := 0, start
	for i := start; i < len(s); i++ {
		switch s[i] {
		case '"', '\'':
			i = skipQuoted(s, i, true)
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			if depth == 0 {
				return append(args, s[from:i])
			}
			depth--
		case ',':
			if depth == 0 {
				args = append(args, s[from:i])
				from = i + 1
			}
		}
	}
	return append(args, s[from:])
}

// namedArg matches "name=" at the start of a Timelion argument.
var namedArg = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=`)

// esIndexArg returns the index argument of one .es() call.
func esIndexArg(args []string) (string, bool) {
	positional, named := 0, false
	for _, a := range args {
		if m := namedArg.FindStringSubmatchIndex(a); m != nil {
			named = true
			if a[m[2]:m[3]] == "index" {
				return unquoteArg(a[m[1]:]), true
			}
			continue
		}
		if named || strings.TrimSpace(a) == "" {
			continue
		}
		if positional++; positional == 4 {
			return unquoteArg(a), true
		}
	}
	return "", false
}

// unquoteArg trims an argument and removes its quotes.
func unquoteArg(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		s = strings.ReplaceAll(s[1:len(s)-1], `\`+s[:1], s[:1])
	}
	return s
}

// vegaIndex matches an index key and its value in a Vega spec, which is
// HJSON: keys and values may be quoted with " or ', or not at all (then
// the value runs to the end of the line).
var vegaIndex = regexp.MustCompile(`(?m)(?:^|[\s{,])["']?index["']?[ \t]*:[ \t]*` +
	`("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|[^\s"'{\[][^\n]*)`)

// vegaIndices returns the index values of a Vega spec, found by a
// tolerant scan of the text with its comments removed; the spec is not
// parsed, so an index anywhere in it counts.
func vegaIndices(spec string) []string {
	var out []string
	for _, m := range vegaIndex.FindAllStringSubmatch(stripComments(spec), -1) {
		v := m[1]
		switch v[0] {
		case '"':
			var s string
			if json.Unmarshal([]byte(v), &s) == nil {
				out = append(out, s)
			}
		case '\'':
			out = append(out, unquoteArg(v))
		default:
			out = append(out, strings.TrimRight(strings.TrimSpace(v), ", \t"))
		}
	}
	return out
}

// stripComments removes // and /* */ comments outside quoted strings,
// and # comments at the start of a line (HJSON).
func stripComments(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '"' || s[i] == '\'':
			j := skipQuoted(s, i, false)
			b.WriteString(s[i : j+1])
			i = j
		case strings.HasPrefix(s[i:], "//"), s[i] == '#' && lineStart(s, i):
			for i < len(s) && s[i] != '\n' {
				i++
			}
			b.WriteByte('\n')
		case strings.HasPrefix(s[i:], "/*"):
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return b.String()
			}
			i += end + 3
			b.WriteByte(' ')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// lineStart reports whether only blanks precede s[i] on its line.
func lineStart(s string, i int) bool {
	j := strings.LastIndexByte(s[:i], '\n')
	return strings.TrimSpace(s[j+1:i]) == ""
}
