package query

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// subject is what a comparison reads of an instance.
type subject uint8

const (
	subjAgentConnected subject = iota
	subjAgentVersion
	subjAttribute
	subjEC2InstanceID
	subjRegisteredAt
	subjRunningTasksCount
	subjTaskGroup
)

const attributePrefix = "attribute:"

// op is an operator in its positive form; a negative operator is its
// positive op with opSpec.neg set, which is how the package guarantees that
// every negative operator is exactly the negation of its positive one.
type op uint8

const (
	opEq op = iota
	opGt
	opGe
	opLt
	opLe
	opIn
	opMatches
	opExists
)

// ordering reports whether o orders values rather than testing equality,
// membership or a pattern.
func (o op) ordering() bool { return o == opGt || o == opGe || o == opLt || o == opLe }

type opSpec struct {
	op  op
	neg bool
}

// operators maps every spelling ECS documents to its operator.
var operators = map[string]opSpec{
	"==": {opEq, false}, "equals": {opEq, false},
	"!=": {opEq, true}, "not_equals": {opEq, true},
	">": {opGt, false}, "greater_than": {opGt, false},
	">=": {opGe, false}, "greater_than_equal": {opGe, false},
	"<": {opLt, false}, "less_than": {opLt, false},
	"<=": {opLe, false}, "less_than_equal": {opLe, false},
	"in": {opIn, false}, "!in": {opIn, true}, "not_in": {opIn, true},
	"=~": {opMatches, false}, "matches": {opMatches, false},
	"!~": {opMatches, true}, "not_matches": {opMatches, true},
	"exists": {opExists, false}, "!exists": {opExists, true}, "not_exists": {opExists, true},
}

// symbolOperators are the operators spelled with symbols, longest first
// among those sharing a prefix, so that ">=" is not read as ">" and "=".
var symbolOperators = []string{"!exists", "!in", "==", "!=", ">=", "<=", "=~", "!~", ">", "<"}

// opSet is a set of operators, one bit per op.
type opSet uint16

func opsOf(ops ...op) opSet {
	var s opSet
	for _, o := range ops {
		s |= 1 << o
	}
	return s
}

func (s opSet) has(o op) bool { return s&(1<<o) != 0 }

// String lists the set's operators as symbols with their negations, for
// "use one of ..." in error messages.
func (s opSet) String() string {
	names := []struct {
		o    op
		text string
	}{
		{opEq, "==, !="}, {opGt, ">"}, {opGe, ">="}, {opLt, "<"}, {opLe, "<="},
		{opIn, "in, !in"}, {opMatches, "=~, !~"}, {opExists, "exists, !exists"},
	}
	var parts []string
	for _, n := range names {
		if s.has(n.o) {
			parts = append(parts, n.text)
		}
	}
	return strings.Join(parts, ", ")
}

type subjectInfo struct {
	name string
	ops  opSet
	// dynamic: the value changes while the instance runs (the agent
	// connects and disconnects, tasks start and stop), so Match's answer
	// cannot be cached per instance record.
	dynamic bool
}

var (
	equality = opsOf(opEq, opIn, opMatches)
	ordered  = opsOf(opEq, opGt, opGe, opLt, opLe)

	subjects = [...]subjectInfo{
		subjAgentConnected:    {"agentConnected", equality, true},
		subjAgentVersion:      {"agentVersion", ordered, false},
		subjAttribute:         {"attribute:<name>", equality | ordered | opsOf(opExists), false},
		subjEC2InstanceID:     {"ec2InstanceId", equality, false},
		subjRegisteredAt:      {"registeredAt", ordered, false},
		subjRunningTasksCount: {"runningTasksCount", ordered, true},
		subjTaskGroup:         {"task:group", equality | opsOf(opExists), true},
	}

	subjectsByName = map[string]subject{
		"agentConnected":    subjAgentConnected,
		"agentVersion":      subjAgentVersion,
		"ec2InstanceId":     subjEC2InstanceID,
		"registeredAt":      subjRegisteredAt,
		"runningTasksCount": subjRunningTasksCount,
		"task:group":        subjTaskGroup,
	}
)

// bind converts the argument v of the operator spelled for l's subject and
// stores it in l, or returns why v does not fit.
func (l *leaf) bind(v, spelled string) string {
	if l.op == opMatches {
		re, msg := compilePattern(v)
		l.re = re
		return msg
	}
	switch l.subj {
	case subjAgentConnected:
		b, ok := parseBool(v)
		if !ok {
			return "agentConnected is true or false, found " + quote(v)
		}
		l.str = b
	case subjAgentVersion:
		if v == "" {
			return fmt.Sprintf("expected an agent version such as 1.14.5 after %q, found %s", spelled, quote(v))
		}
		l.ver = parseVersion(v)
	case subjRegisteredAt:
		t, ok := parseDate(v)
		if !ok {
			return fmt.Sprintf("expected a date such as 2018-06-18, 2018-06-18T22:28:28, 2018-06-18T22:28:28Z or 2018-06-18T22:28:28+00:00 after %q, found %s", spelled, quote(v))
		}
		l.n = t.Unix()
	case subjRunningTasksCount:
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Sprintf("expected a whole number after %q, found %s", spelled, quote(v))
		}
		l.n = int64(n)
	case subjAttribute:
		l.str = v
		l.num, l.isNum = parseNumber(v)
	default:
		l.str = v
	}
	return ""
}

// checkListValue returns why v cannot be a value in an "in" list of l's
// subject, or "".
func (l *leaf) checkListValue(v string) string {
	if _, ok := parseBool(v); l.subj == subjAgentConnected && !ok {
		return "agentConnected is true or false, found " + quote(v)
	}
	return ""
}

// setList stores the values of an "in" list in l.
func (l *leaf) setList(values []string) {
	if l.subj == subjAgentConnected {
		for i, v := range values {
			values[i], _ = parseBool(v)
		}
	}
	// task:group asks the instance about each value, so it keeps the list;
	// for the others a long list becomes a set.
	if len(values) <= maxScan || l.subj == subjTaskGroup {
		l.list = values
		return
	}
	l.set = make(map[string]struct{}, len(values))
	for _, v := range values {
		l.set[v] = struct{}{}
	}
}

// maxScan is the longest "in" list searched by comparing each value: a few
// string comparisons cost less than hashing the instance's value.
const maxScan = 8

// parseBool accepts true and false in any case (TRUE, False) and returns
// the lower-case spelling agentConnected is compared as.
func parseBool(v string) (string, bool) {
	switch {
	case strings.EqualFold(v, "true"):
		return "true", true
	case strings.EqualFold(v, "false"):
		return "false", true
	}
	return "", false
}

// dateLayouts are the formats ECS documents for registeredAt. time.RFC3339
// covers both 2018-06-18T22:28:28Z and 2018-06-18T22:28:28+00:00; the other
// two have no zone and so are UTC.
var dateLayouts = []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"}

func parseDate(v string) (time.Time, bool) {
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
