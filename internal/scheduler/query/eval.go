package query

import (
	"errors"
	"strconv"
	"strings"
)

// node is a parsed (sub)expression.
type node interface {
	match(i Instance) bool
}

// allOf is "a and b and ...", flattened so that a long chain is one loop
// rather than a deep tree.
type allOf []node

func (xs allOf) match(i Instance) bool {
	for _, x := range xs {
		if !x.match(i) {
			return false
		}
	}
	return true
}

// anyOf is "a or b or ...".
type anyOf []node

func (xs anyOf) match(i Instance) bool {
	for _, x := range xs {
		if x.match(i) {
			return true
		}
	}
	return false
}

type negation struct{ x node }

func (n negation) match(i Instance) bool { return !n.x.match(i) }

// leaf is one comparison "subject operator argument". Parse fills in the
// argument in the form its test needs, so that match only reads the
// instance and compares.
type leaf struct {
	subj subject
	attr string // the attribute name, for subjAttribute
	op   op     // the positive operator
	neg  bool   // the operator is the negation of op

	str   string              // opEq, attribute ordering: the argument (agentConnected: "true" or "false")
	ver   version             // agentVersion: the argument
	num   float64             // attribute ordering: the argument as a number, when isNum
	isNum bool                // the argument is a decimal number
	n     int64               // registeredAt in Unix seconds; runningTasksCount
	list  []string            // opIn with at most maxScan values, or on task:group
	set   map[string]struct{} // opIn with more values
	re    *pattern            // opMatches
}

// match applies the negation rule: a negative operator's answer is exactly
// the opposite of its positive one's, whatever the subject.
func (l *leaf) match(i Instance) bool { return l.test(i) != l.neg }

// test evaluates the positive operator.
func (l *leaf) test(i Instance) bool {
	switch l.subj {
	case subjAgentConnected:
		v := "false"
		if i.AgentConnected() {
			v = "true"
		}
		return l.testString(v)
	case subjAgentVersion:
		return l.order(compareVersion(i.AgentVersion(), l.ver))
	case subjAttribute:
		v, ok := i.Attribute(l.attr)
		switch {
		case !ok:
			return false // a missing attribute fails every positive test
		case l.op.ordering():
			return l.order(l.compareAttribute(v))
		}
		return l.testString(v)
	case subjEC2InstanceID:
		return l.testString(i.EC2InstanceID())
	case subjRegisteredAt:
		return l.order(compareInt(i.RegisteredAt().Unix(), l.n))
	case subjRunningTasksCount:
		return l.order(compareInt(int64(i.RunningTasksCount()), l.n))
	case subjTaskGroup:
		return l.testGroups(i)
	}
	return false
}

// order turns a comparison of the instance's value with the argument
// (-1, 0, +1) into the answer of an ordering operator or ==.
func (l *leaf) order(c int) bool {
	switch l.op {
	case opEq:
		return c == 0
	case opGt:
		return c > 0
	case opGe:
		return c >= 0
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	}
	return false
}

// testString evaluates ==, in, =~ and exists on a value the instance has.
func (l *leaf) testString(v string) bool {
	switch l.op {
	case opEq:
		return v == l.str
	case opIn:
		return l.contains(v)
	case opMatches:
		return l.re.match(v)
	case opExists:
		return true
	}
	return false
}

func (l *leaf) contains(v string) bool {
	if l.set != nil {
		_, ok := l.set[v]
		return ok
	}
	for _, w := range l.list {
		if v == w {
			return true
		}
	}
	return false
}

// testGroups evaluates an operator on task:group: true when some task
// group on the instance passes the test.
func (l *leaf) testGroups(i Instance) bool {
	switch l.op {
	case opEq:
		return i.HasTaskGroup(l.str)
	case opIn:
		for _, g := range l.list {
			if i.HasTaskGroup(g) {
				return true
			}
		}
	case opMatches:
		for _, g := range i.TaskGroups() {
			if l.re.match(g) {
				return true
			}
		}
	case opExists:
		return len(i.TaskGroups()) > 0
	}
	return false
}

// compareAttribute compares an attribute's value with the argument:
// numerically when both are decimal numbers, byte-wise otherwise.
//
// Example: with the argument "10", "8" is less (8 < 10) but "t2" is
// greater ("t" > "1"); with the argument "t2.medium", "t2.small" is greater.
func (l *leaf) compareAttribute(v string) int {
	if l.isNum {
		if f, ok := parseNumber(v); ok {
			switch {
			case f < l.num:
				return -1
			case f > l.num:
				return 1
			}
			return 0
		}
	}
	return strings.Compare(v, l.str)
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// parseNumber parses a decimal number: an optional sign, digits with an
// optional fraction, and an optional exponent. It refuses what
// strconv.ParseFloat would also take (hex, "inf", "NaN", underscores),
// which are not numbers to someone writing "attribute:cores > 4", and it
// checks the syntax first because a failed ParseFloat allocates its error.
func parseNumber(s string) (float64, bool) {
	if !isDecimal(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	// A value out of float64's range comes back as ±Inf (or 0), which
	// still orders correctly.
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return f, true
}

func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && isDigit(s[i]); i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && isDigit(s[i]); i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == exp {
			return false
		}
	}
	return i == len(s)
}

// version is an agent version split at its dots, so that Match splits only
// the instance's version.
type version []versionPart

// versionPart is one component of a version.
type versionPart struct {
	raw     string
	digits  string // raw without leading zeros, when num
	numeric bool   // raw is all digits
}

func newVersionPart(raw string) versionPart {
	if allDigits(raw) {
		return versionPart{raw, strings.TrimLeft(raw, "0"), true}
	}
	return versionPart{raw: raw}
}

// zeroPart stands for a missing component.
var zeroPart = newVersionPart("0")

func parseVersion(v string) version {
	var parts version
	for v != "" {
		var head string
		head, v, _ = strings.Cut(v, ".")
		parts = append(parts, newVersionPart(head))
	}
	return parts
}

// compareVersion compares the dotted version a with b component by
// component: numerically when both components are all digits, as strings
// otherwise; a missing component counts as "0".
//
// Example: 1.14.5 < 1.14.10 (5 < 10); 1.14 == 1.14.0; 1.9.a > 1.9.9
// ("a" > "9" as strings).
func compareVersion(a string, b version) int {
	for k := 0; a != "" || k < len(b); k++ {
		x := zeroPart
		if a != "" {
			var head string
			head, a, _ = strings.Cut(a, ".")
			x = newVersionPart(head)
		}
		y := zeroPart
		if k < len(b) {
			y = b[k]
		}
		if c := x.compare(y); c != 0 {
			return c
		}
	}
	return 0
}

// compare compares two components. Digit strings compare by value without
// converting them, so no length overflows: without leading zeros, the
// longer is the larger, and at equal lengths the digits decide.
func (x versionPart) compare(y versionPart) int {
	if !x.numeric || !y.numeric {
		return strings.Compare(x.raw, y.raw)
	}
	if c := compareInt(int64(len(x.digits)), int64(len(y.digits))); c != 0 {
		return c
	}
	return strings.Compare(x.digits, y.digits)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
