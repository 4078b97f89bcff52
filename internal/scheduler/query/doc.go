// Package query is ECS's cluster query language: the expressions of memberOf
// placement constraints, such as
//
//	attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone != us-east-1d
//
// Parse turns an expression into an Expr; Expr.Match tells whether a
// container instance satisfies it. Parse does all the work that can be done
// once (dates, versions and numbers parsed, regular expressions compiled,
// long lists turned into sets), so that Match is a walk over a small tree
// that does no I/O, does not allocate on its own account and never panics.
// An Expr is immutable and safe for concurrent use.
//
// A malformed expression is a *Error carrying the 1-based character position
// of the offending token and a message that says what was expected and what
// was found, worded for the ECS user who wrote the expression. The caller
// maps it to InvalidParameterException.
//
// # Grammar
//
//	expression = or .
//	or         = and { ( "or" | "||" ) and } .            left-associative
//	and        = unary { ( "and" | "&&" ) unary } .       left-associative
//	unary      = ( "not" | "!" ) unary | "(" or ")" | comparison .
//	comparison = subject ( existsOp | valueOp value | listOp list ) .
//	subject    = "agentConnected" | "agentVersion" | "attribute:" name
//	           | "ec2InstanceId" | "registeredAt" | "runningTasksCount"
//	           | "task:group" .
//	name       = 1 to 128 of: letter digit "_" "." "/" "\" "-" .
//	existsOp   = "exists" | "!exists" | "not_exists" .
//	valueOp    = "==" | "equals" | "!=" | "not_equals"
//	           | ">" | "greater_than" | ">=" | "greater_than_equal"
//	           | "<" | "less_than" | "<=" | "less_than_equal"
//	           | "=~" | "matches" | "!~" | "not_matches" .
//	listOp     = "in" | "!in" | "not_in" .
//	list       = "[" value { "," value } "]" .               at most 512 values
//	value      = word | "'" { not "'" } "'" | `"` { not `"` } `"` .
//
// So not binds tighter than and, which binds tighter than or: "not a and b
// or c" is "((not a) and b) or c". Keywords and operators are case-sensitive
// and spelled as ECS documents them: and, or and not are lower case.
//
// White space separates tokens and is otherwise ignored. It is needed only
// to end an unquoted value: a word is a run of characters other than white
// space (in a list, "," and "]" also end it), so "a == b&&c" compares a with
// "b&&c", while "(runningTasksCount<2)and(agentVersion>=1.20)" parses as two
// comparisons. A ")" ends a word unless it closes a "(" opened inside the
// word, so regular expressions keep their groups while a word can still end
// a parenthesized comparison: in "(attribute:t =~ (t2|m5).*)" the argument
// is "(t2|m5).*" and the last ")" closes the group. Quote a value that
// contains white space or an unbalanced ")"; quotes have no escapes, and a
// value cannot contain the quote character it is enclosed in.
//
// An expression is at most 2000 characters, as in ECS, and nests at most 64
// levels of "(" and "not", so that no input can exhaust the parser's stack.
//
// # Subjects and operators
//
//	subject            operators
//	agentConnected     == != in !in =~ !~                   (true or false, any case)
//	agentVersion       == != > >= < <=
//	attribute:name     all
//	ec2InstanceId      == != in !in =~ !~
//	registeredAt       == != > >= < <=
//	runningTasksCount  == != > >= < <=                      (whole numbers)
//	task:group         == != in !in =~ !~ exists !exists
//
// Any other pairing, such as "runningTasksCount =~ 1", is a parse error.
//
//   - agentVersion compares dotted versions component by component:
//     numerically when both components are digits (1.14.5 < 1.14.10), as
//     strings otherwise. A missing component counts as 0, so 1.14 == 1.14.0.
//   - attribute ordering (> >= < <=) is numeric when both the attribute's
//     value and the argument are decimal numbers (compared as float64, exact
//     up to 2^53), and byte-wise lexicographic otherwise: with cores=8,
//     "attribute:cores < 10" holds, while "t2.small" > "t2.medium". ==, in and
//     =~ always compare strings exactly.
//   - registeredAt takes 2018-06-18T22:28:28+00:00 (any offset),
//     2018-06-18T22:28:28Z, 2018-06-18T22:28:28 (UTC) or 2018-06-18 (UTC
//     midnight), and compares instants at one-second precision, the finest
//     those formats express: "registeredAt < 2018-02-13" means registered
//     before 2018-02-13T00:00:00Z.
//   - =~ and !~ take a regular expression that must match the whole value,
//     as Java's String.matches does in ECS: "t2.*" matches t2.micro, "2.m"
//     does not. The syntax is Go's RE2, which covers what placement
//     expressions use; backreferences and lookaround, which Java has and RE2
//     does not, are parse errors.
//   - task:group is the set of groups of the tasks on the instance
//     (service:web, family:web, or a custom group), and every operator on it
//     asks whether some task's group satisfies the test: "task:group ==
//     database" holds when the instance runs at least one task of group
//     database, "in [a, b]" when it runs a task of a or of b, "=~ re" when
//     some group matches re, "exists" when it runs any task.
//   - An attribute the instance does not have fails every positive test,
//     exists included.
//
// # Negation
//
// Berth defines every negative operator as exactly the negation of its
// positive one, for every subject:
//
//	x != v       ≡ not (x == v)
//	x !in [...]  ≡ not (x in [...])
//	x !~ re      ≡ not (x =~ re)
//	x !exists    ≡ not (x exists)
//
// Two consequences follow. A missing attribute satisfies every negative
// test: "attribute:stack != prod" holds on an instance without a stack
// attribute. And on task:group the negative operators are universal:
// "task:group != database" holds when the instance runs no task of group
// database (whatever else it runs), which is the anti-affinity rule a
// memberOf constraint is written for; it is the same as
// "not(task:group == database)".
package query
