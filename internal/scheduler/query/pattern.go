package query

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// pattern is the argument of =~ and !~: a regular expression that must
// match a whole value, as Java's String.matches does in ECS.
//
// Most placement patterns are a literal with ".*" on one or both sides
// ("t2.*", "g2.*", ".*large"). Those are answered with string functions,
// which take about a tenth of the time of running the regexp engine; every
// other pattern, and any value the shortcut cannot decide, goes to re.
type pattern struct {
	re *regexp.Regexp // anchored at both ends

	short  bool   // the pattern has the shape [.*]lit[.*]
	lit    string // the literal
	before bool   // ".*" before lit
	after  bool   // ".*" after lit
	// anyNL: every ".*" of the shape also matches "\n" (flag s), so the
	// shortcut holds for values with newlines too.
	anyNL bool
}

func (p *pattern) match(v string) bool {
	if !p.short || !p.anyNL && strings.IndexByte(v, '\n') >= 0 {
		return p.re.MatchString(v)
	}
	switch {
	case p.before && p.after:
		return strings.Contains(v, p.lit)
	case p.after:
		return strings.HasPrefix(v, p.lit)
	case p.before:
		return strings.HasSuffix(v, p.lit)
	}
	return v == p.lit
}

// compilePattern compiles re to match whole values only, or returns a
// message naming re and what is wrong with it.
func compilePattern(re string) (*pattern, string) {
	if _, err := regexp.Compile(re); err != nil {
		// Compile re alone first so that the message speaks of the user's
		// text, not of the anchored form.
		msg := err.Error()
		var se *syntax.Error
		if errors.As(err, &se) {
			msg = se.Code.String()
			if se.Expr != re {
				msg += " in " + quote(se.Expr)
			}
		}
		return nil, fmt.Sprintf("invalid regular expression %s: %s (the syntax is RE2's: Java's lookaround and backreferences are not supported)", quote(re), msg)
	}
	// \A and \z anchor at the ends of the text whatever flags re sets.
	full, err := regexp.Compile(`\A(?:` + re + `)\z`)
	if err != nil {
		return nil, fmt.Sprintf("invalid regular expression %s: %v", quote(re), err)
	}
	p := &pattern{re: full}
	p.shape(re)
	return p, ""
}

// shape sets the shortcut fields when re is a literal with ".*" on either
// side or both, parsed the way regexp.Compile parses it.
func (p *pattern) shape(re string) {
	t, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return
	}
	subs := []*syntax.Regexp{t.Simplify()}
	if subs[0].Op == syntax.OpConcat {
		subs = subs[0].Sub
	}
	p.anyNL = true
	// wildcard reports whether r is ".*", noting whether it spans newlines.
	wildcard := func(r *syntax.Regexp) bool {
		if r.Op != syntax.OpStar || r.Sub[0].Op != syntax.OpAnyChar && r.Sub[0].Op != syntax.OpAnyCharNotNL {
			return false
		}
		p.anyNL = p.anyNL && r.Sub[0].Op == syntax.OpAnyChar
		return true
	}
	if len(subs) > 1 && wildcard(subs[0]) {
		p.before, subs = true, subs[1:]
	}
	if len(subs) > 1 && wildcard(subs[len(subs)-1]) {
		p.after, subs = true, subs[:len(subs)-1]
	}
	lit := subs[0]
	// A literal under (?i) matches other cases, and U+FFFD in a pattern
	// matches invalid UTF-8 in a value: both need the engine.
	if len(subs) != 1 || lit.Op != syntax.OpLiteral || lit.Flags&syntax.FoldCase != 0 {
		return
	}
	p.lit = string(lit.Rune)
	p.short = !strings.ContainsRune(p.lit, utf8.RuneError)
}
