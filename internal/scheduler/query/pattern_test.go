package query

import (
	"regexp"
	"testing"
)

// TestPatternShortcut checks the string shortcut for literal patterns
// against the regexp engine on values chosen to trip it: newlines, case,
// invalid UTF-8.
func TestPatternShortcut(t *testing.T) {
	tests := []struct {
		re    string
		short bool // the shortcut applies
	}{
		{"t2.*", true},
		{".*large", true},
		{".*2.*", true},
		{"t2.small", false}, // "." is a wildcard here, not a literal
		{`t2\.small`, true},
		{`t2\..*`, true},
		{"(?s)t2.*", true},
		{"(?s).*x.*", true},
		{"(?s:.*)t2.*", true},
		{"a\n.*", true},
		{"\uFFFD.*", false},
		{"(?i)t2.*", false},
		{"t2.*x", false},
		{".*", false},
		{".*.*", false},
		{"(t2).*", false},
		{"t2.+", false},
	}
	values := []string{"", "t2", "t2.small", "m5.large", "large", ".large", "xt2", "xt2x",
		"t2\nx", "x\nt2", "a\nb", "a\n", "T2.small", "t2.\xff", "\xff", "\xfft2"}
	for _, tt := range tests {
		p, msg := compilePattern(tt.re)
		if msg != "" {
			t.Fatalf("compilePattern(%q): %s", tt.re, msg)
		}
		if p.short != tt.short {
			t.Errorf("compilePattern(%q).short = %v, want %v", tt.re, p.short, tt.short)
		}
		engine := regexp.MustCompile(`\A(?:` + tt.re + `)\z`)
		for _, v := range values {
			if got, want := p.match(v), engine.MatchString(v); got != want {
				t.Errorf("%q matching %q = %v, want %v", tt.re, v, got, want)
			}
		}
	}
}
