package proxy

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// errKQL is returned for saved KQL kshare cannot translate: the share's
// searches are then refused rather than run without the saved query.
var errKQL = errors.New("saved KQL query not supported")

// kqlClause translates a saved KQL query into an Elasticsearch clause with
// the shapes Kibana's own translation produces (match, match_phrase,
// query_string for wildcards, exists, range, multi_match for free text,
// bool for and, or and not), so that adding it next to the browser's query
// leaves a faithful request's results unchanged. Nested field queries
// (a:{ b:c }) are not supported.
func kqlClause(q string) (json.RawMessage, error) {
	p := &kqlParser{toks: kqlTokens(q)}
	v, err := p.or(false, "")
	if err != nil {
		return nil, err
	}
	if p.i != len(p.toks) {
		return nil, fmt.Errorf("%w: unexpected %q", errKQL, p.toks[p.i].text)
	}
	b, err := json.Marshal(v)
	return b, err
}

type kqlTok struct {
	kind byte // 'w' word, 'q' quoted, '(' ')' ':' or 'r' range operator
	text string
}

func kqlTokens(s string) []kqlTok {
	var out []kqlTok
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == ':':
			out = append(out, kqlTok{c, string(c)})
			i++
		case c == '<' || c == '>':
			op := string(c)
			if i+1 < len(s) && s[i+1] == '=' {
				op += "="
			}
			out = append(out, kqlTok{'r', op})
			i += len(op)
		case c == '"':
			j, b := i+1, strings.Builder{}
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
				j++
			}
			out = append(out, kqlTok{'q', b.String()})
			i = j + 1
		default:
			j, b := i, strings.Builder{}
			for j < len(s) && !strings.ContainsRune(" \t\n\r():<>\"", rune(s[j])) {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
				j++
			}
			out = append(out, kqlTok{'w', b.String()})
			i = j
		}
	}
	return out
}

type kqlParser struct {
	toks []kqlTok
	i    int
}

func (p *kqlParser) peekKeyword(kw string) bool {
	return p.i < len(p.toks) && p.toks[p.i].kind == 'w' && strings.EqualFold(p.toks[p.i].text, kw)
}

// or parses a disjunction; inField is true inside f:( … ), where terms are
// values of field.
func (p *kqlParser) or(inField bool, field string) (any, error) {
	first, err := p.and(inField, field)
	if err != nil {
		return nil, err
	}
	parts := []any{first}
	for p.peekKeyword("or") {
		p.i++
		next, err := p.and(inField, field)
		if err != nil {
			return nil, err
		}
		parts = append(parts, next)
	}
	if len(parts) == 1 {
		return first, nil
	}
	return map[string]any{"bool": map[string]any{"should": parts, "minimum_should_match": 1}}, nil
}

func (p *kqlParser) and(inField bool, field string) (any, error) {
	first, err := p.not(inField, field)
	if err != nil {
		return nil, err
	}
	parts := []any{first}
	for p.peekKeyword("and") {
		p.i++
		next, err := p.not(inField, field)
		if err != nil {
			return nil, err
		}
		parts = append(parts, next)
	}
	if len(parts) == 1 {
		return first, nil
	}
	return map[string]any{"bool": map[string]any{"filter": parts}}, nil
}

func (p *kqlParser) not(inField bool, field string) (any, error) {
	if p.peekKeyword("not") {
		p.i++
		inner, err := p.not(inField, field)
		if err != nil {
			return nil, err
		}
		return map[string]any{"bool": map[string]any{"must_not": []any{inner}}}, nil
	}
	return p.primary(inField, field)
}

func (p *kqlParser) primary(inField bool, field string) (any, error) {
	if p.i >= len(p.toks) {
		return nil, fmt.Errorf("%w: unexpected end", errKQL)
	}
	t := p.toks[p.i]
	switch {
	case t.kind == '(':
		p.i++
		v, err := p.or(inField, field)
		if err != nil {
			return nil, err
		}
		if p.i >= len(p.toks) || p.toks[p.i].kind != ')' {
			return nil, fmt.Errorf("%w: missing )", errKQL)
		}
		p.i++
		return v, nil
	case inField && (t.kind == 'w' || t.kind == 'q'):
		p.i++
		return kqlValue(field, t), nil
	case t.kind == 'w' && p.i+1 < len(p.toks) && p.toks[p.i+1].kind == ':':
		p.i += 2
		if p.i < len(p.toks) && p.toks[p.i].kind == '(' {
			return p.primary(true, t.text)
		}
		if p.i >= len(p.toks) || (p.toks[p.i].kind != 'w' && p.toks[p.i].kind != 'q') {
			return nil, fmt.Errorf("%w: no value for %s", errKQL, t.text)
		}
		v := p.toks[p.i]
		p.i++
		return kqlValue(t.text, v), nil
	case t.kind == 'w' && p.i+2 < len(p.toks) && p.toks[p.i+1].kind == 'r':
		op, v := p.toks[p.i+1].text, p.toks[p.i+2].text
		p.i += 3
		name := map[string]string{"<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}[op]
		return map[string]any{"range": map[string]any{t.text: map[string]any{name: v}}}, nil
	case t.kind == 'w' || t.kind == 'q':
		p.i++
		typ := "best_fields"
		if t.kind == 'q' {
			typ = "phrase"
		}
		return map[string]any{"multi_match": map[string]any{"type": typ, "query": t.text, "lenient": true}}, nil
	}
	return nil, fmt.Errorf("%w: unexpected %q", errKQL, t.text)
}

// kqlValue is one field:value condition.
func kqlValue(field string, v kqlTok) any {
	should := func(q any) any {
		return map[string]any{"bool": map[string]any{"should": []any{q}, "minimum_should_match": 1}}
	}
	switch {
	case v.kind == 'q':
		return should(map[string]any{"match_phrase": map[string]any{field: v.text}})
	case v.text == "*":
		return map[string]any{"exists": map[string]any{"field": field}}
	case strings.Contains(v.text, "*"):
		return should(map[string]any{"query_string": map[string]any{"fields": []string{field}, "query": v.text}})
	}
	return should(map[string]any{"match": map[string]any{field: v.text}})
}
