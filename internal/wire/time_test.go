package wire

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestTimeMarshalJSON(t *testing.T) {
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"millis", time.UnixMilli(1709242525051), "1709242525.051"},
		{"whole seconds", time.Unix(1709242525, 0), "1709242525"},
		{"trailing zeros trimmed", time.UnixMilli(1709242525500), "1709242525.5"},
		{"leading zero millis", time.UnixMilli(1709242525007), "1709242525.007"},
		{"sub-millisecond truncated", time.Unix(1709242525, 51_999_999), "1709242525.051"},
		{"zone ignored", time.UnixMilli(1709242525051).In(time.FixedZone("x", 5*3600)), "1709242525.051"},
		{"epoch", time.Unix(0, 0), "0"},
		{"before epoch", time.UnixMilli(-1500), "-1.5"},
		{"just before epoch", time.UnixMilli(-1), "-0.001"},
		{"zero time", time.Time{}, "-62135596800"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(NewTime(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("Marshal(*Time) = %s, want %s", got, tt.want)
			}
			// A Time value (not a pointer) marshals the same way.
			got, err = json.Marshal(Time{tt.in})
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("Marshal(Time) = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestTimeUnmarshalJSON(t *testing.T) {
	ref := time.Date(2024, 2, 29, 21, 35, 25, 51_000_000, time.UTC) // 1709242525.051
	tests := []struct {
		name string
		in   string
		want time.Time
	}{
		{"fractional number", `1709242525.051`, ref},
		{"integer number", `1709242525`, ref.Truncate(time.Second)},
		{"exponent form", `1.709242525051E9`, ref},
		{"lower-case exponent", `1.709242525051e+9`, ref},
		{"nanoseconds kept", `1709242525.051000001`, ref.Add(1)},
		{"finer than ns truncated", `1709242525.0510000019`, ref.Add(1)},
		{"negative fraction floors", `-1.5`, time.Unix(-2, 500_000_000)},
		{"zero", `0`, time.Unix(0, 0)},
		{"numeric string", `"1709242525.051"`, ref},
		{"RFC 3339 Z", `"2024-02-29T21:35:25.051Z"`, ref},
		{"RFC 3339 no fraction", `"2024-02-29T21:35:25Z"`, ref.Truncate(time.Second)},
		{"RFC 3339 offset", `"2024-02-29T22:35:25.051+01:00"`, ref},
		{"ISO-8601 offset without colon", `"2024-02-29T22:35:25.051+0100"`, ref},
		{"ISO-8601 hour offset", `"2024-02-29T22:35:25.051+01"`, ref},
		{"ISO-8601 no zone is UTC", `"2024-02-29T21:35:25.051"`, ref},
		{"ISO-8601 basic", `"20240229T213525.051Z"`, ref},
		{"ISO-8601 date", `"2024-02-29"`, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"whitespace", " 1709242525.051 ", ref},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Time
			if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
				t.Fatalf("Unmarshal(%s): %v", tt.in, err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("Unmarshal(%s) = %v, want %v", tt.in, got.Time, tt.want)
			}
		})
	}
}

func TestTimeUnmarshalJSONErrors(t *testing.T) {
	for _, in := range []string{`true`, `{}`, `[]`, `""`, `"yesterday"`, `"2024-02-30T00:00:00Z"`, `1e400`} {
		var got Time
		if err := json.Unmarshal([]byte(in), &got); err == nil {
			t.Errorf("Unmarshal(%s) = %v, want an error", in, got.Time)
		} else if !strings.Contains(err.Error(), "wire.Time") {
			t.Errorf("Unmarshal(%s) error %q does not name wire.Time", in, err)
		}
	}
}

func TestTimeNull(t *testing.T) {
	var s struct {
		At *Time `json:"at,omitempty"`
	}
	if err := json.Unmarshal([]byte(`{"at":null}`), &s); err != nil {
		t.Fatal(err)
	}
	if s.At != nil {
		t.Errorf("null gave %v, want nil", s.At)
	}
	v := Time{time.Unix(5, 0)}
	if err := v.UnmarshalJSON([]byte("null")); err != nil || !v.Equal(time.Unix(5, 0)) {
		t.Errorf("UnmarshalJSON(null) changed the value to %v (err %v)", v.Time, err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{}` {
		t.Errorf("nil *Time marshalled as %s, want {}", b)
	}
}

func TestTimeRoundTrip(t *testing.T) {
	in := NewTime(time.UnixMilli(1709242525051))
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out *Time
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !out.Equal(in.Time) {
		t.Errorf("round trip: got %v, want %v", out.Time, in.Time)
	}
}

func TestTimeStd(t *testing.T) {
	var nilTime *Time
	if got := nilTime.Std(); !got.IsZero() {
		t.Errorf("nil.Std() = %v, want zero", got)
	}
	now := time.Now()
	if got := NewTime(now).Std(); !got.Equal(now) {
		t.Errorf("Std() = %v, want %v", got, now)
	}
}
