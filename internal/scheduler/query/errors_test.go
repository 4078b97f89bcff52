package query

import (
	"errors"
	"strings"
	"testing"
)

// rejectCase is an expression Parse refuses, with where and why.
type rejectCase struct {
	name string
	expr string
	pos  int
	msg  string // a fragment of Error.Msg
}

func runReject(t *testing.T, tests []rejectCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.expr)
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want an error", tt.expr, e)
			}
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("Parse(%q) error %T %v, want *Error", tt.expr, err, err)
			}
			if perr.Pos != tt.pos || !strings.Contains(perr.Msg, tt.msg) {
				t.Errorf("Parse(%q) = %v\nwant position %d and a message containing %s", tt.expr, err, tt.pos, tt.msg)
			}
		})
	}
}

func TestRejectLimits(t *testing.T) {
	tooLong := "attribute:x == " + strings.Repeat("a", maxLength)
	tooDeep := strings.Repeat("(", maxDepth+1) + "attribute:x exists" + strings.Repeat(")", maxDepth+1)
	tooManyNots := strings.Repeat("not ", maxDepth+1) + "attribute:x exists"
	tooManyValues := "attribute:x in [" + strings.Repeat("a,", maxListValues) + "a]"
	runReject(t, []rejectCase{
		{"empty", "", 1, "the expression is empty"},
		{"only white space", " \t\n", 1, "the expression is empty"},
		{"too long", tooLong, maxLength + 1, "the limit is 2000"},
		{"too deep parentheses", tooDeep, maxDepth + 1, "nests deeper than 64"},
		{"too deep not", tooManyNots, 4*maxDepth + 1, "nests deeper than 64"},
		{"too many list values", tooManyValues, 17 + 2*maxListValues, "at most 512 values"},
	})
}

func TestRejectSubject(t *testing.T) {
	longName := "attribute:" + strings.Repeat("a", maxAttributeName+1) + " exists"
	runReject(t, []rejectCase{
		{"unknown subject", "foo == bar", 1, `unknown subject "foo"; expected agentConnected`},
		{"subject case", "AgentConnected == true", 1, `subjects are case-sensitive: "agentConnected"`},
		{"missing subject", "== a", 1, `expected a subject (agentConnected`},
		{"keyword case", "NOT attribute:x exists", 1, "lower case"},
		{"leading and", "and attribute:x exists", 1, `unknown subject "and"`},
		{"empty attribute name", "attribute: == a", 11, `expected an attribute name after "attribute:", found white space`},
		{"attribute name character", "attribute:a$b exists", 12, `found '$' in "a$b"`},
		{"attribute name too long", longName, 11, "at most 128 characters"},
	})
}

func TestRejectOperator(t *testing.T) {
	runReject(t, []rejectCase{
		{"unknown operator", "attribute:x equal y", 13, `expected an operator after "attribute:x" (==, !=`},
		{"unknown operator names the token", "attribute:x equal y", 13, `found "equal"`},
		{"operator case", "attribute:x EQUALS y", 13, `operators are case-sensitive: "equals"`},
		{"single =", "attribute:x = y", 13, `did you mean "=="?`},
		{"!in glued to a word", "attribute:x !inx [a]", 13, `found "!inx"`},
		{"missing operator", "attribute:x", 12, "found end of expression"},
		{"=~ on runningTasksCount", "runningTasksCount =~ 1", 19,
			`operator "=~" is not allowed for runningTasksCount; use one of ==, !=, >, >=, <, <=`},
		{"in on agentVersion", "agentVersion in [1.0]", 14, `operator "in" is not allowed for agentVersion`},
		{"exists on registeredAt", "registeredAt exists", 14, `operator "exists" is not allowed for registeredAt`},
		{"> on ec2InstanceId", "ec2InstanceId > i-1", 15, "use one of ==, !=, in, !in, =~, !~"},
		{">= on task:group", "task:group >= a", 12, "use one of ==, !=, in, !in, =~, !~, exists, !exists"},
		{"!exists on agentConnected", "agentConnected !exists", 16, `operator "!exists" is not allowed for agentConnected`},
		{"greater_than on agentConnected", "agentConnected greater_than true", 16, `"greater_than" is not allowed`},
	})
}

func TestRejectArgument(t *testing.T) {
	runReject(t, []rejectCase{
		{"missing argument", "attribute:x ==", 15, `expected an argument after "==", found end of expression`},
		{"missing argument before )", "(attribute:x == )", 17, `expected an argument after "==", found ")"`},
		{"argument to exists", "attribute:x exists y", 20, `"exists" takes no argument, found "y"`},
		{"list to !exists", "task:group !exists [a]", 20, `"!exists" takes no argument, found "["`},
		{"unterminated single quote", "ec2InstanceId == 'i-abc", 18, "unterminated quoted value: expected a closing ' to match the one at position 18"},
		{"unterminated double quote in list", `attribute:x in ["a, b]`, 17, `expected a closing "`},
		{"list for ==", "attribute:x == [a, b]", 16, `"==" takes one value, not a list: found "[" (use "in"`},
		{"agentConnected not boolean", "agentConnected == yes", 19, `agentConnected is true or false, found "yes"`},
		{"agentConnected list value", "agentConnected in [true, maybe]", 26, `found "maybe"`},
		{"empty version", "agentVersion < ''", 16, "expected an agent version such as 1.14.5"},
	})
}

func TestRejectList(t *testing.T) {
	runReject(t, []rejectCase{
		{"in without list", "attribute:ecs.availability-zone in us-east-1a", 36,
			`expected an argument list "[a, b]" after "in", found "us-east-1a"`},
		{"in at end", "attribute:x in", 15, `after "in", found end of expression`},
		{"unclosed list", "attribute:x in [a, b", 21, `expected "," or "]" to close the list at position 16, found end of expression`},
		{"empty list", "attribute:x in []", 17, "a list needs at least one value"},
		{"blank list", "attribute:x not_in [ ]", 22, "a list needs at least one value"},
		{"trailing comma", "attribute:x in [a,]", 19, `expected a value after ",", found "]"`},
		{"double comma", "attribute:x in [a,,b]", 19, `expected a value in the list, found ","`},
		{"missing comma", "attribute:x in [a b]", 19, `expected "," or "]" in the list at position 16, found "b"`},
	})
}

func TestRejectParentheses(t *testing.T) {
	runReject(t, []rejectCase{
		{"unclosed (", "(attribute:x exists", 20, `expected ")" to close the "(" at position 1, found end of expression`},
		{"unclosed inner (", "((attribute:x exists)", 22, `"(" at position 1`},
		{"extra )", "attribute:x exists)", 19, `found ")" with no "(" open before it`},
		{"extra ) after group", "(attribute:x exists))", 21, `with no "(" open`},
		{"empty ()", "()", 2, `expected a subject (agentConnected`},
		{"( then garbage", "(attribute:x exists y)", 21, `"exists" takes no argument`},
	})
}

func TestRejectAfterComparison(t *testing.T) {
	runReject(t, []rejectCase{
		{"trailing garbage", "attribute:x == a b", 18, `expected "and", "or", ")" or the end of the expression, found "b"`},
		{"upper-case AND", "attribute:x == a AND attribute:y exists", 18, `found "AND" (and, or and not are lower case)`},
		{"upper-case OR after exists", "attribute:x exists OR attribute:y exists", 20, `"exists" takes no argument, found "OR" (and, or`},
		{"dangling and", "attribute:x exists and", 23, "expected a comparison such as"},
		{"dangling ||", "attribute:x exists ||", 22, "found end of expression"},
		{"lone not", "not", 4, "expected a comparison"},
		{"lone !", "!", 2, "expected a comparison"},
		{"position counts characters", "attribute:x == é b", 18, `found "b"`},
	})
}

func TestRejectDateAndNumber(t *testing.T) {
	runReject(t, []rejectCase{
		{"date word", "registeredAt < yesterday", 16, `expected a date such as 2018-06-18, 2018-06-18T22:28:28, 2018-06-18T22:28:28Z or 2018-06-18T22:28:28+00:00 after "<", found "yesterday"`},
		{"date month 13", "registeredAt > 2018-13-01", 16, `found "2018-13-01"`},
		{"date hour 25", "registeredAt > 2018-06-18T25:00:00Z", 16, "expected a date"},
		{"date without seconds", "registeredAt > 2018-06-18T22:28", 16, "expected a date"},
		{"number word", "runningTasksCount > many", 21, `expected a whole number after ">", found "many"`},
		{"number fraction", "runningTasksCount == 1.5", 22, `found "1.5"`},
		{"number overflow", "runningTasksCount < 99999999999999999999", 21, "expected a whole number"},
	})
}

func TestRejectRegexp(t *testing.T) {
	runReject(t, []rejectCase{
		{"regex unclosed group", "attribute:x =~ (a", 16, `invalid regular expression "(a": missing closing ) (the syntax is RE2's`},
		{"regex repetition", "ec2InstanceId =~ a**", 18, `invalid regular expression "a**": invalid nested repetition operator in "**"`},
		{"regex lookbehind", "attribute:x !~ (?<=a)b", 16, `invalid regular expression "(?<=a)b"`},
		{"regex backreference", `task:group matches (a)\1`, 20, `invalid regular expression "(a)\\1"`},
	})
}

func TestErrorString(t *testing.T) {
	_, err := Parse("attribute:ecs.availability-zone in us-east-1a")
	want := `position 36: expected an argument list "[a, b]" after "in", found "us-east-1a"`
	if err == nil || err.Error() != want {
		t.Errorf("Parse error = %v, want %s", err, want)
	}
}

// TestErrorQuotesLongTokensShortened: a message quotes at most 40
// characters of the input.
func TestErrorQuotesLongTokensShortened(t *testing.T) {
	_, err := Parse("attribute:x == a " + strings.Repeat("é", 100))
	want := `position 18: expected "and", "or", ")" or the end of the expression, found "` + strings.Repeat("é", maxTokenChars) + `…"`
	if err == nil || err.Error() != want {
		t.Errorf("Parse error = %v\nwant %s", err, want)
	}
	_, err = Parse(strings.Repeat("x", 100) + " == a")
	want = `position 1: unknown subject "` + strings.Repeat("x", maxTokenChars) + `…"; expected agentConnected`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Parse error = %v\nwant a message starting %s", err, want)
	}
}
