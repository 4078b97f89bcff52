package query

import (
	"errors"
	"testing"
)

// maxFuzzLen bounds the inputs FuzzParse tries: long enough for 64 levels
// of nesting and lists of hundreds of values.
const maxFuzzLen = 1024

// FuzzParse: Parse never panics; every error is a *Error positioned within
// the input (or one past its end); and an expression that parses can be
// matched against instances without panicking and keeps its text.
func FuzzParse(f *testing.F) {
	for _, c := range docExamples {
		f.Add(c.expr)
	}
	for _, s := range []string{
		"",
		"not(task:group == database) and (runningTasksCount < 2 || agentConnected == false)",
		"(attribute:ecs.instance-type =~ (t2|m5).*)",
		"attribute:x in ['a', \"b\", c] && !attribute:y exists",
		"registeredAt >= 2018-06-18T22:28:28+00:00 or registeredAt < 2018-06-18T22:28:28",
		"agentVersion greater_than_equal 1.14.5 and ec2InstanceId not_matches i-0.*",
		"((((attribute:a exists))))",
		"attribute:x == 'unterminated",
		"attribute:x in [a,",
		"task:group !in [service:web, family:web]",
	} {
		f.Add(s)
	}
	instances := []Instance{
		inst(),
		inst().withoutAttr("ecs.instance-type").withGroups().disconnected().withAgent("").withEC2(""),
		inst().withAttr("cores", "1e400").withAgent("1..x.99999999999999999999").withGroups("database"),
	}
	f.Fuzz(func(t *testing.T, expr string) {
		// Longer inputs are left out because the fuzzer minimizes every new
		// input in time quadratic in its length: a run kept finding
		// 2000-character inputs and spent most of its time minimizing them.
		// Parse's length limit is tested by TestReject.
		if len(expr) > maxFuzzLen {
			return
		}
		e, err := Parse(expr)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("Parse(%q) error %T, want *Error", expr, err)
			}
			if perr.Pos < 1 || perr.Pos > len(expr)+1 {
				t.Fatalf("Parse(%q) error position %d outside [1, %d]", expr, perr.Pos, len(expr)+1)
			}
			if perr.Msg == "" {
				t.Fatalf("Parse(%q) error has no message", expr)
			}
			return
		}
		if got := e.String(); got != expr {
			t.Fatalf("String() = %q, want %q", got, expr)
		}
		for _, in := range instances {
			e.Match(in)
		}
	})
}
