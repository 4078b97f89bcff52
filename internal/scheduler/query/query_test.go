package query

import (
	"strings"
	"sync"
	"testing"
)

type matchCase struct {
	name string
	expr string
	inst *fake // nil: inst()
	want bool
}

func runMatch(t *testing.T, tests []matchCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.expr)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.expr, err)
			}
			in := tt.inst
			if in == nil {
				in = inst()
			}
			if got := e.Match(in); got != tt.want {
				t.Errorf("Match(%q) = %v, want %v", tt.expr, got, tt.want)
			}
		})
	}
}

// docExamples are the expressions of ECS's cluster query language page,
// each with an instance it selects.
var docExamples = []matchCase{
	{"instance type", "attribute:ecs.instance-type == t2.small", nil, true},
	{"zone in list", "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]", nil, true},
	{"regex and not zone", "attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d",
		inst().withAttr("ecs.instance-type", "g2.2xlarge"), true},
	{"service group", "task:group == service:production", nil, true},
	{"not database", "not(task:group == database)", nil, true},
	{"one running task", "runningTasksCount == 1", inst().withRunning(1), true},
	{"older agent", "agentVersion < 1.14.5", inst().withAgent("1.14.4"), true},
	{"registered before", "registeredAt < 2018-02-13", inst().withRegistered("2018-02-12T23:59:59Z"), true},
	{"instance ids", "ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", nil, true},
	{"grouped or then and",
		"(attribute:ecs.instance-type == t2.small or attribute:ecs.instance-type == t2.medium) and attribute:ecs.availability-zone == us-east-1a",
		nil, true},
	{"type regex", "attribute:ecs.instance-type =~ t2.*", nil, true},
	{"type list", "attribute:ecs.instance-type in [t2.small, t2.medium]", nil, true},
	{"disconnected agents", "agentConnected == false", inst().disconnected(), true},
	{"zone not in", "attribute:ecs.availability-zone not_in [us-east-1d]", nil, true},
}

func TestDocExamples(t *testing.T) { runMatch(t, docExamples) }

func TestAgentConnected(t *testing.T) {
	off := inst().disconnected()
	runMatch(t, []matchCase{
		{"== true", "agentConnected == true", nil, true},
		{"== true, disconnected", "agentConnected == true", off, false},
		{"equals false", "agentConnected equals false", off, true},
		{"!= false", "agentConnected != false", nil, true},
		{"not_equals true", "agentConnected not_equals true", nil, false},
		{"in [true]", "agentConnected in [true]", nil, true},
		{"in [false]", "agentConnected in [false]", nil, false},
		{"in both", "agentConnected in [false, true]", off, true},
		{"!in [true]", "agentConnected !in [true]", nil, false},
		{"not_in [true]", "agentConnected not_in [true]", off, true},
		{"=~ t.*", "agentConnected =~ t.*", nil, true},
		{"matches f.*", "agentConnected matches f.*", nil, false},
		{"!~ t.*", "agentConnected !~ t.*", nil, false},
		{"not_matches t.*", "agentConnected not_matches t.*", off, true},
		{"TRUE in any case", "agentConnected == TRUE", nil, true},
		{"quoted", "agentConnected == 'false'", off, true},
	})
}

func TestAgentVersion(t *testing.T) {
	runMatch(t, []matchCase{
		{"== same", "agentVersion == 1.14.5", nil, true},
		{"equals other", "agentVersion equals 1.14.6", nil, false},
		{"!= same", "agentVersion != 1.14.5", nil, false},
		{"not_equals other", "agentVersion not_equals 1.14.4", nil, true},
		{"> lower", "agentVersion > 1.14.4", nil, true},
		{"greater_than numerically higher", "agentVersion greater_than 1.14.10", nil, false},
		{">= same", "agentVersion >= 1.14.5", nil, true},
		{"greater_than_equal higher", "agentVersion greater_than_equal 1.14.6", nil, false},
		{"< numerically higher", "agentVersion < 1.14.10", nil, true},
		{"less_than same", "agentVersion less_than 1.14.5", nil, false},
		{"<= same", "agentVersion <= 1.14.5", nil, true},
		{"less_than_equal 1.9 is older than 1.14", "agentVersion less_than_equal 1.9", nil, false},
		{"major dominates", "agentVersion < 2", nil, true},
		{"missing component is 0", "agentVersion == 1.14.5.0", nil, true},
		{"shorter equals zero-padded", "agentVersion == 1.14", inst().withAgent("1.14.0"), true},
		{"leading zeros", "agentVersion == 1.014.05", nil, true},
		{"huge component", "agentVersion < 1.14.99999999999999999999999", nil, true},
		{"non-numeric component as string", "agentVersion > 1.a.9", inst().withAgent("1.b.0"), true},
		{"digits before letters", "agentVersion < 1.14.rc", nil, true},
	})
}

func TestAttribute(t *testing.T) {
	long := "attribute:ecs.instance-type in [a1, a2, a3, a4, a5, a6, a7, a8, a9, t2.small]"
	runMatch(t, []matchCase{
		{"== same", "attribute:ecs.instance-type == t2.small", nil, true},
		{"equals other", "attribute:ecs.instance-type equals t2.micro", nil, false},
		{"!= same", "attribute:ecs.instance-type != t2.small", nil, false},
		{"not_equals other", "attribute:ecs.instance-type not_equals t2.micro", nil, true},
		{"== is a string comparison", "attribute:cores == 8.0", nil, false},
		{"in", "attribute:ecs.instance-type in [t2.micro, t2.small]", nil, true},
		{"in, not there", "attribute:ecs.instance-type in [t2.micro]", nil, false},
		{"!in", "attribute:ecs.instance-type !in [t2.small]", nil, false},
		{"not_in", "attribute:ecs.instance-type not_in [t2.micro, m5.large]", nil, true},
		{"long list as set", long, nil, true},
		{"long list as set, not there", long, inst().withAttr("ecs.instance-type", "a10"), false},
		{"=~ prefix", "attribute:ecs.instance-type =~ t2.*", nil, true},
		{"=~ is a whole match", "attribute:ecs.instance-type =~ 2.m", inst().withAttr("ecs.instance-type", "t2.micro"), false},
		{"matches escaped dot", `attribute:ecs.instance-type matches 't2\.small'`, nil, true},
		{"=~ group and class", "attribute:ecs.instance-type =~ (t2|m5)[.]small", nil, true},
		{"=~ flags cannot unanchor", "attribute:ecs.instance-type =~ (?m)small", nil, false},
		{"!~", "attribute:ecs.instance-type !~ g2.*", nil, true},
		{"not_matches", "attribute:ecs.instance-type not_matches t2.*", nil, false},
		{"exists", "attribute:ecs.instance-type exists", nil, true},
		{"!exists", "attribute:ecs.instance-type !exists", nil, false},
		{"not_exists", "attribute:ecs.instance-type not_exists", nil, false},
		{"exists with empty value", "attribute:empty exists", inst().withAttr("empty", ""), true},
		{"== empty quoted", "attribute:empty == ''", inst().withAttr("empty", ""), true},
		{"custom name characters", `attribute:my_org/team\name-1.x == blue`, inst().withAttr(`my_org/team\name-1.x`, "blue"), true},
		{"name is case-sensitive", "attribute:Stack == prod", nil, false},
	})
}

func TestAttributeOrdering(t *testing.T) {
	runMatch(t, []matchCase{
		{"numeric: 8 > 10 is false", "attribute:cores > 10", nil, false},
		{"numeric: 8 < 10", "attribute:cores < 10", nil, true},
		{">= same", "attribute:cores >= 8", nil, true},
		{"<= fraction", "attribute:cores <= 7.5", nil, false},
		{"greater_than", "attribute:cores greater_than 7", nil, true},
		{"greater_than_equal 8.0", "attribute:cores greater_than_equal 8.0", nil, true},
		{"less_than", "attribute:cores less_than 8", nil, false},
		{"less_than_equal", "attribute:cores less_than_equal 8", nil, true},
		{"negative", "attribute:cores > -1", nil, true},
		{"exponent", "attribute:cores < 1e2", nil, true},
		{"both lexicographic", "attribute:ecs.instance-type > t2.medium", nil, true},
		{"lexicographic less", "attribute:ecs.instance-type < t3.nano", nil, true},
		{"text value, numeric argument", "attribute:ecs.instance-type < 10", nil, false},
		{"numeric value, text argument", "attribute:cores > abc", nil, false},
		{"version-like is text", "attribute:v < 1.9.0", inst().withAttr("v", "1.10.0"), true},
		{"hex is text", "attribute:n > 0x10", inst().withAttr("n", "9"), true},
	})
}

func TestMissingAttribute(t *testing.T) {
	// The instance has no "gpu" attribute: every positive test fails and
	// every negative one holds.
	runMatch(t, []matchCase{
		{"exists", "attribute:gpu exists", nil, false},
		{"!exists", "attribute:gpu !exists", nil, true},
		{"==", "attribute:gpu == a", nil, false},
		{"!=", "attribute:gpu != a", nil, true},
		{">", "attribute:gpu > 1", nil, false},
		{"<", "attribute:gpu < 1", nil, false},
		{">=", "attribute:gpu >= 1", nil, false},
		{"<=", "attribute:gpu <= 1", nil, false},
		{"in", "attribute:gpu in [a]", nil, false},
		{"not_in", "attribute:gpu not_in [a]", nil, true},
		{"=~ anything", "attribute:gpu =~ .*", nil, false},
		{"!~ anything", "attribute:gpu !~ .*", nil, true},
	})
}

func TestEC2InstanceID(t *testing.T) {
	runMatch(t, []matchCase{
		{"==", "ec2InstanceId == i-abcd1234", nil, true},
		{"equals other", "ec2InstanceId equals i-0000", nil, false},
		{"!=", "ec2InstanceId != i-abcd1234", nil, false},
		{"not_equals", "ec2InstanceId not_equals i-0000", nil, true},
		{"in quoted", "ec2InstanceId in ['i-abcd1234', \"i-wxyx7890\"]", nil, true},
		{"in, not there", "ec2InstanceId in [i-wxyx7890]", nil, false},
		{"!in", "ec2InstanceId !in [i-abcd1234]", nil, false},
		{"not_in", "ec2InstanceId not_in [i-wxyx7890]", nil, true},
		{"=~", "ec2InstanceId =~ i-[0-9a-f]+", nil, true},
		{"matches", "ec2InstanceId matches i-0.*", nil, false},
		{"!~", "ec2InstanceId !~ i-a.*", nil, false},
		{"not_matches", "ec2InstanceId not_matches i-0.*", nil, true},
		{"empty id", "ec2InstanceId == ''", inst().withEC2(""), true},
	})
}

func TestRegisteredAt(t *testing.T) {
	// inst() registered at 2018-06-18T22:28:28Z.
	frac := inst().withRegistered("2018-06-18T22:28:28.9Z")
	runMatch(t, []matchCase{
		{"== offset form", "registeredAt == 2018-06-18T22:28:28+00:00", nil, true},
		{"== Z form", "registeredAt == 2018-06-18T22:28:28Z", nil, true},
		{"== no zone is UTC", "registeredAt == 2018-06-18T22:28:28", nil, true},
		{"== other offset", "registeredAt == 2018-06-19T00:28:28+02:00", nil, true},
		{"== date is midnight", "registeredAt == 2018-06-18", nil, false},
		{"== date at midnight", "registeredAt == 2018-06-18", inst().withRegistered("2018-06-18T00:00:00Z"), true},
		{"equals other", "registeredAt equals 2018-06-18T22:28:29Z", nil, false},
		{"!=", "registeredAt != 2018-06-18T22:28:28Z", nil, false},
		{"not_equals", "registeredAt not_equals 2018-06-18", nil, true},
		{"> midnight", "registeredAt > 2018-06-18", nil, true},
		{"greater_than next day", "registeredAt greater_than 2018-06-19", nil, false},
		{">= same second", "registeredAt >= 2018-06-18T22:28:28Z", nil, true},
		{"greater_than_equal next second", "registeredAt greater_than_equal 2018-06-18T22:28:29", nil, false},
		{"< next day", "registeredAt < 2018-06-19", nil, true},
		{"less_than midnight", "registeredAt less_than 2018-06-18", nil, false},
		{"<= same second", "registeredAt <= 2018-06-18T22:28:28+00:00", nil, true},
		{"less_than_equal second before", "registeredAt less_than_equal 2018-06-18T22:28:27Z", nil, false},
		{"doc: before 2018-02-13", "registeredAt < 2018-02-13", nil, false},
		{"second precision ==", "registeredAt == 2018-06-18T22:28:28Z", frac, true},
		{"second precision >", "registeredAt > 2018-06-18T22:28:28Z", frac, false},
	})
}

func TestRunningTasksCount(t *testing.T) {
	// inst() runs 3 tasks.
	runMatch(t, []matchCase{
		{"==", "runningTasksCount == 3", nil, true},
		{"equals", "runningTasksCount equals 1", nil, false},
		{"!=", "runningTasksCount != 3", nil, false},
		{"not_equals", "runningTasksCount not_equals 0", nil, true},
		{">", "runningTasksCount > 2", nil, true},
		{"greater_than", "runningTasksCount greater_than 3", nil, false},
		{">=", "runningTasksCount >= 3", nil, true},
		{"greater_than_equal", "runningTasksCount greater_than_equal 4", nil, false},
		{"<", "runningTasksCount < 3", nil, false},
		{"less_than", "runningTasksCount less_than 4", nil, true},
		{"<=", "runningTasksCount <= 3", nil, true},
		{"less_than_equal", "runningTasksCount less_than_equal 2", nil, false},
		{"empty instance", "runningTasksCount == 0", inst().withRunning(0).withGroups(), true},
		{"signed", "runningTasksCount > -1", nil, true},
	})
}

func TestTaskGroup(t *testing.T) {
	// inst() runs tasks of service:production and family:web.
	db := inst().withGroups("database", "family:web")
	empty := inst().withRunning(0).withGroups()
	runMatch(t, []matchCase{
		{"== a group it runs", "task:group == service:production", nil, true},
		{"== a group it does not run", "task:group == database", nil, false},
		{"equals", "task:group equals family:web", nil, true},
		{"anti-affinity: != holds without the group", "task:group != database", nil, true},
		{"anti-affinity: != fails with it among others", "task:group != database", db, false},
		{"not_equals", "task:group not_equals family:web", nil, false},
		{"!= on an empty instance", "task:group != database", empty, true},
		{"not(==) is !=", "not(task:group == database)", db, false},
		{"in: some group listed", "task:group in [database, family:web]", nil, true},
		{"in: none listed", "task:group in [database, cache]", nil, false},
		{"!in: none listed", "task:group !in [database, cache]", nil, true},
		{"not_in: one listed", "task:group not_in [database]", db, false},
		{"=~ some group", "task:group =~ service:.*", nil, true},
		{"matches no group", "task:group matches data.*", nil, false},
		{"!~ no group matches", "task:group !~ data.*", nil, true},
		{"not_matches, one matches", "task:group not_matches family:.*", nil, false},
		{"exists", "task:group exists", nil, true},
		{"exists on an empty instance", "task:group exists", empty, false},
		{"!exists on an empty instance", "task:group !exists", empty, true},
		{"not_exists", "task:group not_exists", nil, false},
		{"=~ on an empty instance", "task:group =~ .*", empty, false},
	})
}

func TestCompound(t *testing.T) {
	// Building blocks, on inst(): T1, T2 hold; F1, F2 do not.
	const (
		T1 = "attribute:stack == prod"
		T2 = "runningTasksCount > 1"
		F1 = "attribute:stack == dev"
		F2 = "agentConnected == false"
	)
	deep := strings.Repeat("(", maxDepth) + T1 + strings.Repeat(")", maxDepth)
	runMatch(t, []matchCase{
		{"and", T1 + " and " + T2, nil, true},
		{"and, one false", T1 + " and " + F1, nil, false},
		{"&&", T1 + " && " + T2, nil, true},
		{"or", F1 + " or " + T1, nil, true},
		{"or, both false", F1 + " or " + F2, nil, false},
		{"||", F1 + " || " + T2, nil, true},
		{"and binds tighter than or", T1 + " or " + F1 + " and " + F2, nil, true},
		{"and binds tighter than or, left", F1 + " and " + F2 + " or " + T1, nil, true},
		{"parentheses override", "(" + T1 + " or " + F1 + ") and " + F2, nil, false},
		{"not binds tighter than and", "not " + F1 + " and " + F2, nil, false},
		{"not of a group", "not (" + F1 + " and " + F2 + ")", nil, true},
		{"! prefix", "! " + F1, nil, true},
		{"! without space", "!" + F1, nil, true},
		{"not()", "not(" + T1 + ")", nil, false},
		{"double not", "not not " + T1, nil, true},
		{"!!", "!!" + T1, nil, true},
		{"not then and chain", "not " + F1 + " and not " + F2 + " and " + T2, nil, true},
		{"long or chain", F1 + " or " + F2 + " or " + F1 + " or " + T2, nil, true},
		{"nested parentheses", "((" + T1 + "))", nil, true},
		{"64 levels", deep, nil, true},
		{"no spaces", "(runningTasksCount>1)and(agentVersion>=1.14)", nil, true},
		{"no spaces, exists", "(attribute:stack exists)&&!(task:group==database)", nil, true},
		{"regex group then closing paren", "(attribute:ecs.instance-type =~ (t2|m5).*)", nil, true},
		{"regex group and more", "(attribute:ecs.instance-type =~ (m5|c5).* or " + T1 + ")", nil, true},
		{"tabs and newlines", "attribute:stack\t==\tprod\nand\r\n" + T2, nil, true},
	})
}

func TestValues(t *testing.T) {
	spaced := inst().withAttr("label", "a b")
	runMatch(t, []matchCase{
		{"double-quoted with space", `attribute:label == "a b"`, spaced, true},
		{"single-quoted with space", `attribute:label == 'a b'`, spaced, true},
		{"other quote inside", `attribute:label == "it's"`, inst().withAttr("label", "it's"), true},
		{"quoted keyword", `attribute:label == 'and'`, inst().withAttr("label", "and"), true},
		{"quoted paren", `attribute:label == ')'`, inst().withAttr("label", ")"), true},
		{"word with colon", "task:group == service:production", nil, true},
		{"word keeps &&", "attribute:label == a&&b", inst().withAttr("label", "a&&b"), true},
		{"list without spaces", "attribute:stack in [dev,prod]", nil, true},
		{"list with spaces", "attribute:stack in [ dev , prod ]", nil, true},
		{"list mixing quotes", `attribute:label in ['x', "a b", y]`, spaced, true},
		{"list of one", "attribute:stack in [prod]", nil, true},
		{"list value with parens", "attribute:label in [f(x), g]", inst().withAttr("label", "f(x)"), true},
		{"=~ class with brackets", "attribute:stack =~ [a-z]+", nil, true},
		{"unicode value", "attribute:label == é", inst().withAttr("label", "é"), true},
	})
}

// TestNegationRule checks that each negative operator is exactly not of its
// positive one, on instances that make the positive one true and false.
func TestNegationRule(t *testing.T) {
	pairs := [][2]string{
		{"attribute:stack == prod", "attribute:stack != prod"},
		{"attribute:stack == prod", "attribute:stack not_equals prod"},
		{"attribute:stack in [prod]", "attribute:stack !in [prod]"},
		{"attribute:stack in [prod]", "attribute:stack not_in [prod]"},
		{"attribute:stack =~ p.*", "attribute:stack !~ p.*"},
		{"attribute:stack =~ p.*", "attribute:stack not_matches p.*"},
		{"attribute:stack exists", "attribute:stack !exists"},
		{"attribute:stack exists", "attribute:stack not_exists"},
		{"task:group == database", "task:group != database"},
		{"task:group in [database]", "task:group not_in [database]"},
		{"task:group =~ data.*", "task:group !~ data.*"},
		{"task:group exists", "task:group !exists"},
		{"agentConnected == true", "agentConnected != true"},
		{"ec2InstanceId in [i-abcd1234]", "ec2InstanceId !in [i-abcd1234]"},
		{"agentVersion == 1.14.5", "agentVersion != 1.14.5"},
		{"registeredAt == 2018-06-18T22:28:28Z", "registeredAt != 2018-06-18T22:28:28Z"},
		{"runningTasksCount == 3", "runningTasksCount != 3"},
	}
	instances := map[string]*fake{
		"default":    inst(),
		"other":      inst().withAttr("stack", "dev").withGroups("database").disconnected().withEC2("i-0").withAgent("1.0").withRunning(1),
		"no stack":   inst().withoutAttr("stack"),
		"no groups":  inst().withGroups(),
		"registered": inst().withRegistered("2020-01-01T00:00:00Z"),
	}
	for _, pair := range pairs {
		pos, neg := mustParse(t, pair[0]), mustParse(t, pair[1])
		for name, in := range instances {
			if pos.Match(in) == neg.Match(in) {
				t.Errorf("%s: %q and %q both %v", name, pair[0], pair[1], pos.Match(in))
			}
		}
	}
}

// TestOperatorsBySubject parses every subject with every operator spelling:
// exactly the documented pairs parse.
func TestOperatorsBySubject(t *testing.T) {
	subjects := map[string]struct {
		arg     string
		allowed []string
	}{
		"agentConnected":    {"true", []string{"==", "!=", "in", "!in", "=~", "!~"}},
		"agentVersion":      {"1.14.5", []string{"==", "!=", ">", ">=", "<", "<="}},
		"attribute:x":       {"1", []string{"==", "!=", ">", ">=", "<", "<=", "in", "!in", "=~", "!~", "exists", "!exists"}},
		"ec2InstanceId":     {"i-1", []string{"==", "!=", "in", "!in", "=~", "!~"}},
		"registeredAt":      {"2018-06-18", []string{"==", "!=", ">", ">=", "<", "<="}},
		"runningTasksCount": {"1", []string{"==", "!=", ">", ">=", "<", "<="}},
		"task:group":        {"database", []string{"==", "!=", "in", "!in", "=~", "!~", "exists", "!exists"}},
	}
	canonical := map[opSpec]string{}
	for _, s := range append([]string{"in", "exists"}, symbolOperators...) {
		canonical[operators[s]] = s
	}
	for subj, c := range subjects {
		for spelled, o := range operators {
			expr := subj + " " + spelled
			switch o.op {
			case opIn:
				expr += " [" + c.arg + "]"
			case opExists:
			default:
				expr += " " + c.arg
			}
			_, err := Parse(expr)
			want := strings.Contains(","+strings.Join(c.allowed, ",")+",", ","+canonical[o]+",")
			if got := err == nil; got != want {
				t.Errorf("Parse(%q): error %v, want success %v", expr, err, want)
			}
		}
	}
}

func TestExprAccessors(t *testing.T) {
	tests := []struct {
		expr       string
		usesGroups bool
		static     bool
	}{
		{"attribute:ecs.instance-type == t2.small", false, true},
		{"  ec2InstanceId in [i-1]  and registeredAt > 2018-01-01 and agentVersion < 2 ", false, true},
		{"not(task:group == database)", true, false},
		{"attribute:a exists or task:group exists", true, false},
		{"agentConnected == true", false, false},
		{"runningTasksCount < 5", false, false},
	}
	for _, tt := range tests {
		e := mustParse(t, tt.expr)
		if got := e.String(); got != tt.expr {
			t.Errorf("String() = %q, want %q", got, tt.expr)
		}
		if got := e.UsesTaskGroups(); got != tt.usesGroups {
			t.Errorf("%q: UsesTaskGroups() = %v, want %v", tt.expr, got, tt.usesGroups)
		}
		if got := e.Static(); got != tt.static {
			t.Errorf("%q: Static() = %v, want %v", tt.expr, got, tt.static)
		}
	}
}

// TestMatchDoesNotAllocate: the scheduler calls Match millions of times.
func TestMatchDoesNotAllocate(t *testing.T) {
	e := mustParse(t, benchExpr)
	in := inst()
	if !e.Match(in) {
		t.Fatalf("%q does not match inst()", benchExpr)
	}
	if n := testing.AllocsPerRun(1000, func() { e.Match(in) }); n != 0 {
		t.Errorf("Match allocates %v times per call, want 0", n)
	}
}

func TestMatchConcurrently(t *testing.T) {
	e := mustParse(t, benchExpr)
	instances := []*fake{inst(), inst().withAttr("ecs.instance-type", "m5.large"), inst().withGroups("database")}
	want := make([]bool, len(instances))
	for i, in := range instances {
		want[i] = e.Match(in)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for k := range 1000 {
				i := (g + k) % len(instances)
				if got := e.Match(instances[i]); got != want[i] {
					t.Errorf("instance %d: Match = %v, want %v", i, got, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}

func mustParse(t testing.TB, expr string) *Expr {
	t.Helper()
	e, err := Parse(expr)
	if err != nil {
		t.Fatalf("Parse(%q): %v", expr, err)
	}
	return e
}

// benchExpr is a typical memberOf expression: instance family, zones,
// anti-affinity and a load cap.
const benchExpr = "attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone in [us-east-1a, us-east-1b, us-east-1c]" +
	" and not(task:group == database) and runningTasksCount < 10 and agentVersion >= 1.14"

func BenchmarkMatch(b *testing.B) {
	e := mustParse(b, benchExpr)
	// Alternate between an instance that passes every test and one that
	// fails the last, so both short-circuit paths are measured.
	ins := []*fake{inst(), inst().withAgent("1.9.0")}
	b.ReportAllocs()
	for k := 0; b.Loop(); k++ {
		e.Match(ins[k&1])
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchExpr); err != nil {
			b.Fatal(err)
		}
	}
}
