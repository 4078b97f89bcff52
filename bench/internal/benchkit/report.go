package benchkit

import (
	"fmt"
	"strings"
	"time"
)

// Pairs collects a benchmark's RESULT line, key=value pairs in order.
type Pairs []string

// Add appends key=value, the value formatted with format and args.
func (p *Pairs) Add(key, format string, args ...any) {
	*p = append(*p, key+"="+fmt.Sprintf(format, args...))
}

// Line is the RESULT line: "RESULT k1=v1 k2=v2 ...".
func (p Pairs) Line() string { return "RESULT " + strings.Join(p, " ") }

// Failures counts one kind of failed measurement and keeps the first.
type Failures struct {
	N     int
	First error
}

// Add counts err, if not nil.
func (f *Failures) Add(err error) {
	if err == nil {
		return
	}
	if f.N == 0 {
		f.First = err
	}
	f.N++
}

// Secs formats a duration in seconds with two decimals; 0 or less (failed
// or not run) is "NA".
func Secs(d time.Duration) string {
	if d <= 0 {
		return "NA"
	}
	return fmt.Sprintf("%.2f", d.Seconds())
}

// Ratio is a/b with two decimals, or "NA" if either is missing.
func Ratio(a, b time.Duration) string {
	if a <= 0 || b <= 0 {
		return "NA"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

// MetWord is a goal's verdict for people: MET, NOT MET, or UNKNOWN when
// there was no data to judge by.
func MetWord(met, known bool) string {
	switch {
	case !known:
		return "UNKNOWN (no data)"
	case met:
		return "MET"
	}
	return "NOT MET"
}

// GoalValue is a goal's verdict for the RESULT line: true, false or NA.
func GoalValue(met, known bool) string {
	if !known {
		return "NA"
	}
	return fmt.Sprint(met)
}
