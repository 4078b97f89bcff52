package query

import (
	"strconv"
	"strings"
)

// isSpace reports whether c is ASCII white space, the only white space the
// language separates tokens with.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// isWordChar reports whether c can be part of an operator name such as
// greater_than_equal.
func isWordChar(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' }

// isAttributeNameChar reports whether c may appear in an attribute name, as
// ECS's PutAttributes allows.
func isAttributeNameChar(c byte) bool {
	return isLetter(c) || isDigit(c) || strings.IndexByte(`_./\-`, c) >= 0
}

// endsSubject reports whether c ends a subject: white space, or a character
// that starts an operator or belongs to the punctuation around comparisons,
// so that "runningTasksCount>1" and "(task:group==db)" need no spaces.
func endsSubject(c byte) bool {
	return isSpace(c) || strings.IndexByte(`()[],'"=!<>~&|`, c) >= 0
}

func (p *parser) skipSpace() {
	for p.off < len(p.src) && isSpace(p.src[p.off]) {
		p.off++
	}
}

// keyword skips white space and consumes the keyword word or its symbol
// sym when one is next, reporting whether it did. A word keyword must end
// there: "and(" and "not!" are keywords, "android" is not.
func (p *parser) keyword(word, sym string) bool {
	p.skipSpace()
	rest := p.src[p.off:]
	if strings.HasPrefix(rest, sym) {
		p.off += len(sym)
		return true
	}
	if strings.HasPrefix(rest, word) {
		after := rest[len(word):]
		if after == "" || isSpace(after[0]) || after[0] == '(' || after[0] == '!' {
			p.off += len(word)
			return true
		}
	}
	return false
}

// scanWord returns the end of the unquoted word starting at s[i]: the first
// white space, the first ")" that closes no "(" opened inside the word, or,
// in a list, the first "," or "]" outside such parentheses.
func scanWord(s string, i int, inList bool) int {
	depth := 0
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case isSpace(c):
			return i
		case c == '(':
			depth++
		case c == ')':
			if depth == 0 {
				return i
			}
			depth--
		case inList && depth == 0 && (c == ',' || c == ']'):
			return i
		}
	}
	return i
}

// maxTokenChars bounds how much of the input an error message quotes.
const maxTokenChars = 40

// token returns the token at off for an error message: one punctuation
// character, or the run of characters up to white space or punctuation.
func (p *parser) token(off int) string {
	rest := p.src[off:]
	if rest != "" && strings.IndexByte("()[],", rest[0]) >= 0 {
		return rest[:1]
	}
	for i := 0; i < len(rest); i++ {
		if isSpace(rest[i]) || strings.IndexByte("()[],", rest[i]) >= 0 {
			return rest[:i]
		}
	}
	return rest
}

// found describes the token at off for "found ..." in an error message.
func (p *parser) found(off int) string {
	switch {
	case off >= len(p.src):
		return "end of expression"
	case isSpace(p.src[off]):
		return "white space"
	}
	return quote(p.token(off))
}

// quote quotes text from the expression for an error message, shortened
// to maxTokenChars characters so that a message stays readable.
func quote(s string) string {
	chars := 0
	for i := range s { // i steps over whole characters
		if chars == maxTokenChars {
			return strconv.Quote(s[:i] + "…")
		}
		chars++
	}
	return strconv.Quote(s)
}
