package query

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// parser is a recursive-descent parser over the expression text. It scans
// as it goes rather than tokenizing first, because what a character means
// depends on where it is: "!" is "not" before a comparison and part of an
// operator after a subject, and "[" opens a list after "in" but is a
// character class in a regular expression.
type parser struct {
	src   string
	off   int // byte offset of the next unread character
	depth int // open "(" and "not" around the current position

	groups  bool // a comparison reads task:group
	dynamic bool // a comparison reads what changes while an instance runs
}

// errorf returns a *Error at byte offset off, turned into a 1-based
// character position (off is always within [0, len(src)]).
func (p *parser) errorf(off int, format string, args ...any) *Error {
	return &Error{Pos: utf8.RuneCountInString(p.src[:off]) + 1, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) parse() (node, *Error) {
	if n := utf8.RuneCountInString(p.src); n > maxLength {
		return nil, &Error{Pos: maxLength + 1, Msg: fmt.Sprintf("the expression is %d characters long; the limit is %d", n, maxLength)}
	}
	p.skipSpace()
	if p.off == len(p.src) {
		return nil, &Error{Pos: 1, Msg: `the expression is empty; expected a comparison such as "attribute:ecs.instance-type == t2.small"`}
	}
	x, err := p.or()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.off < len(p.src) {
		return nil, p.errorf(p.off, "%s", p.afterComparison())
	}
	return x, nil
}

// afterComparison describes what may follow a complete comparison and what
// was found instead, for the error when a comparison is followed by
// something that cannot continue the expression.
func (p *parser) afterComparison() string {
	if p.src[p.off] == ')' {
		return `found ")" with no "(" open before it`
	}
	tok := p.token(p.off)
	return fmt.Sprintf(`expected "and", "or", ")" or the end of the expression, found %s`, quote(tok)) + caseHint(tok)
}

// caseHint explains why tok, which looks like a keyword, is not one.
func caseHint(tok string) string {
	if strings.EqualFold(tok, "and") || strings.EqualFold(tok, "or") {
		return " (and, or and not are lower case)"
	}
	return ""
}

// or parses: and { ( "or" | "||" ) and }.
func (p *parser) or() (node, *Error) {
	xs, err := p.chain(p.and, "or", "||")
	if err != nil || len(xs) == 1 {
		return first(xs), err
	}
	return anyOf(xs), nil
}

// and parses: unary { ( "and" | "&&" ) unary }.
func (p *parser) and() (node, *Error) {
	xs, err := p.chain(p.unary, "and", "&&")
	if err != nil || len(xs) == 1 {
		return first(xs), err
	}
	return allOf(xs), nil
}

// chain parses: operand { keyword operand }, for either keyword.
func (p *parser) chain(operand func() (node, *Error), word, symbol string) ([]node, *Error) {
	var xs []node
	for {
		x, err := operand()
		if err != nil {
			return nil, err
		}
		xs = append(xs, x)
		if !p.keyword(word, symbol) {
			return xs, nil
		}
	}
}

func first(xs []node) node {
	if len(xs) == 0 {
		return nil
	}
	return xs[0]
}

// unary parses: ( "not" | "!" ) unary | "(" or ")" | comparison.
func (p *parser) unary() (node, *Error) {
	p.skipSpace()
	start := p.off
	if p.keyword("not", "!") {
		if err := p.enter(start); err != nil {
			return nil, err
		}
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		p.depth--
		return negation{x}, nil
	}
	if start == len(p.src) {
		return nil, p.errorf(start, "expected a comparison such as %q, found end of expression", "attribute:ecs.instance-type == t2.small")
	}
	if p.src[start] != '(' {
		return p.comparison()
	}
	if err := p.enter(start); err != nil {
		return nil, err
	}
	p.off++
	x, err := p.or()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.off == len(p.src) || p.src[p.off] != ')' {
		return nil, p.errorf(p.off, `expected ")" to close the "(" at position %d, found %s`,
			utf8.RuneCountInString(p.src[:start])+1, p.found(p.off))
	}
	p.off++
	p.depth--
	return x, nil
}

// enter opens one level of nesting at off, refusing the 65th.
func (p *parser) enter(off int) *Error {
	p.depth++
	if p.depth > maxDepth {
		return p.errorf(off, "the expression nests deeper than %d levels of parentheses and not", maxDepth)
	}
	return nil
}

// comparison parses: subject operator [argument].
func (p *parser) comparison() (node, *Error) {
	subjOff := p.off
	s, attr, err := p.subject()
	if err != nil {
		return nil, err
	}
	subjText := p.src[subjOff:p.off]
	p.skipSpace()
	opOff := p.off
	spelled, o, err := p.operator(subjText)
	if err != nil {
		return nil, err
	}
	if !subjects[s].ops.has(o.op) {
		return nil, p.errorf(opOff, "operator %q is not allowed for %s; use one of %s",
			spelled, subjects[s].name, subjects[s].ops)
	}
	l := &leaf{subj: s, attr: attr, op: o.op, neg: o.neg}
	switch o.op {
	case opExists:
		err = p.noArgument(spelled)
	case opIn:
		err = p.list(l, spelled)
	default:
		err = p.argument(l, spelled)
	}
	if err != nil {
		return nil, err
	}
	p.groups = p.groups || s == subjTaskGroup
	p.dynamic = p.dynamic || subjects[s].dynamic
	return l, nil
}

// subject reads a subject at p.off.
func (p *parser) subject() (subject, string, *Error) {
	start := p.off
	for p.off < len(p.src) && !endsSubject(p.src[p.off]) {
		p.off++
	}
	word := p.src[start:p.off]
	if name, ok := strings.CutPrefix(word, attributePrefix); ok {
		return subjAttribute, name, p.checkAttributeName(start+len(attributePrefix), name)
	}
	if s, ok := subjectsByName[word]; ok {
		return s, "", nil
	}
	const want = "agentConnected, agentVersion, attribute:<name>, ec2InstanceId, registeredAt, runningTasksCount or task:group"
	if word == "" {
		return 0, "", p.errorf(start, "expected a subject (%s), found %s", want, p.found(start))
	}
	msg := fmt.Sprintf("unknown subject %s; expected %s", quote(word), want)
	for name := range subjectsByName {
		if strings.EqualFold(word, name) {
			msg += fmt.Sprintf(" (subjects are case-sensitive: %q)", name)
		}
	}
	switch strings.ToLower(word) {
	case "and", "or", "not":
		msg += " (and, or and not are lower case, and need a comparison on each side)"
	}
	return 0, "", p.errorf(start, "%s", msg)
}

// checkAttributeName validates the name of attribute:<name>, found at off.
func (p *parser) checkAttributeName(off int, name string) *Error {
	if name == "" {
		return p.errorf(off, "expected an attribute name after %q, found %s", attributePrefix, p.found(off))
	}
	for i := 0; i < len(name); i++ {
		if !isAttributeNameChar(name[i]) {
			r, _ := utf8.DecodeRuneInString(name[i:])
			return p.errorf(off+i, `attribute names consist of letters, digits and _ . / \ -; found %q in %s`, r, quote(name))
		}
	}
	if len(name) > maxAttributeName {
		return p.errorf(off, "attribute names are at most %d characters; %s is %d", maxAttributeName, quote(name), len(name))
	}
	return nil
}

// operator reads an operator at p.off, after the subject subj.
func (p *parser) operator(subj string) (string, opSpec, *Error) {
	start := p.off
	rest := p.src[start:]
	var spelled string
	switch {
	case rest == "":
	case isWordChar(rest[0]):
		end := 1
		for end < len(rest) && isWordChar(rest[end]) {
			end++
		}
		spelled = rest[:end]
	default:
		for _, s := range symbolOperators {
			if strings.HasPrefix(rest, s) && (!isWordChar(s[len(s)-1]) || len(rest) == len(s) || !isWordChar(rest[len(s)])) {
				spelled = s
				break
			}
		}
	}
	if o, ok := operators[spelled]; ok {
		p.off += len(spelled)
		return spelled, o, nil
	}
	msg := fmt.Sprintf("expected an operator after %s (==, !=, >, >=, <, <=, exists, !exists, in, !in, =~, !~ or their names such as equals), found %s", quote(subj), p.found(start))
	tok := p.token(start)
	for name := range operators {
		if strings.EqualFold(tok, name) {
			msg += fmt.Sprintf(" (operators are case-sensitive: %q)", name)
		}
	}
	if strings.HasPrefix(tok, "=") { // "==" and "=~" would have parsed
		msg += ` (did you mean "=="?)`
	}
	return "", opSpec{}, p.errorf(start, "%s", msg)
}

// noArgument checks that nothing but the end of a comparison follows an
// exists operator, so that "attribute:x exists y" is reported where y is.
func (p *parser) noArgument(spelled string) *Error {
	p.skipSpace()
	if p.off == len(p.src) || p.src[p.off] == ')' {
		return nil
	}
	save := p.off
	if p.keyword("and", "&&") || p.keyword("or", "||") {
		p.off = save
		return nil
	}
	return p.errorf(p.off, "%q takes no argument, found %s%s", spelled, p.found(p.off), caseHint(p.token(p.off)))
}

// argument reads the single argument of l's operator and binds it to l.
func (p *parser) argument(l *leaf, spelled string) *Error {
	p.skipSpace()
	start := p.off
	if start < len(p.src) && p.src[start] == '[' && l.op != opMatches {
		return p.errorf(start, `%q takes one value, not a list: found "[" (use "in" to compare with a list)`, spelled)
	}
	v, err := p.value(false, fmt.Sprintf("an argument after %q", spelled))
	if err != nil {
		return err
	}
	if msg := l.bind(v, spelled); msg != "" {
		return p.errorf(start, "%s", msg)
	}
	return nil
}

// list reads the "[a, b, ...]" argument of an in operator into l.
func (p *parser) list(l *leaf, spelled string) *Error {
	p.skipSpace()
	open := p.off
	if open == len(p.src) || p.src[open] != '[' {
		return p.errorf(open, `expected an argument list "[a, b]" after %q, found %s`, spelled, p.found(open))
	}
	openPos := utf8.RuneCountInString(p.src[:open]) + 1
	p.off++
	var values []string
	for {
		p.skipSpace()
		if p.off < len(p.src) && p.src[p.off] == ']' {
			if len(values) == 0 {
				return p.errorf(p.off, `expected a value in the list, found "]"; a list needs at least one value`)
			}
			return p.errorf(p.off, `expected a value after ",", found "]"`)
		}
		start := p.off
		v, err := p.value(true, "a value in the list")
		if err != nil {
			return err
		}
		if msg := l.checkListValue(v); msg != "" {
			return p.errorf(start, "%s", msg)
		}
		if len(values) == maxListValues {
			return p.errorf(start, "a list holds at most %d values", maxListValues)
		}
		values = append(values, v)
		p.skipSpace()
		switch {
		case p.off == len(p.src):
			return p.errorf(p.off, `expected "," or "]" to close the list at position %d, found end of expression`, openPos)
		case p.src[p.off] == ',':
			p.off++
		case p.src[p.off] == ']':
			p.off++
			l.setList(values)
			return nil
		default:
			return p.errorf(p.off, `expected "," or "]" in the list at position %d, found %s`, openPos, p.found(p.off))
		}
	}
}

// value reads one argument at p.off: a quoted string or a word. what
// describes the value for the error when there is none.
func (p *parser) value(inList bool, what string) (string, *Error) {
	p.skipSpace()
	start := p.off
	if start == len(p.src) {
		return "", p.errorf(start, "expected %s, found end of expression", what)
	}
	if q := p.src[start]; q == '\'' || q == '"' {
		n := strings.IndexByte(p.src[start+1:], q)
		if n < 0 {
			return "", p.errorf(start, "unterminated quoted value: expected a closing %c to match the one at position %d, found end of expression",
				q, utf8.RuneCountInString(p.src[:start])+1)
		}
		p.off = start + 1 + n + 1
		return p.src[start+1 : start+1+n], nil
	}
	p.off = scanWord(p.src, start, inList)
	if p.off == start {
		return "", p.errorf(start, "expected %s, found %s", what, p.found(start))
	}
	return p.src[start:p.off], nil
}
