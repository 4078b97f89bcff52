package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Time is the wire form of an ECS "timestamp" shape.
//
// It embeds time.Time, so every time.Time method (Unix, Before, Format, ...)
// is available directly and the standard value is t.Time (or t.Std(), which
// is also safe on a nil *Time).
//
// On the wire AWS JSON 1.1 sends timestamps as a JSON number of seconds since
// the Unix epoch. MarshalJSON writes millisecond precision, truncating
// anything finer: 1709242525.051, or 1709242525 when the milliseconds are
// zero. UnmarshalJSON accepts a JSON number (integral, fractional or in
// exponent form such as 1.709242525051E9, kept to nanosecond precision), or a
// JSON string holding either such a number or an ISO-8601 / RFC 3339 date
// time; a string without a zone is taken as UTC. JSON null leaves the value
// unchanged (and a nil *Time field stays nil).
//
// Generated structs hold timestamps as *Time so that an absent member is nil
// and is omitted when marshalling. Note that a non-nil *Time holding the zero
// time.Time is NOT absent: it marshals as -62135596800.
type Time struct {
	time.Time
}

// NewTime returns a *Time holding t, for filling generated structs.
func NewTime(t time.Time) *Time {
	return &Time{Time: t}
}

// Std returns the standard time held by t, or the zero time.Time if t is nil.
func (t *Time) Std() time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}

// MarshalJSON writes t as a JSON number of epoch seconds with millisecond
// precision.
func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(formatEpochMillis(t.Time.UnixMilli())), nil
}

// formatEpochMillis formats ms milliseconds since the epoch as decimal
// seconds, with at most three fractional digits and no trailing zeros.
func formatEpochMillis(ms int64) string {
	neg := ms < 0
	u := uint64(ms)
	if neg {
		u = -u // two's complement magnitude; correct even for math.MinInt64
	}
	sec, frac := u/1000, u%1000
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteString(strconv.FormatUint(sec, 10))
	if frac != 0 {
		f := fmt.Sprintf("%03d", frac)
		b.WriteByte('.')
		b.WriteString(strings.TrimRight(f, "0"))
	}
	return b.String()
}

// UnmarshalJSON reads a JSON number of epoch seconds or a JSON string holding
// epoch seconds or an ISO-8601 / RFC 3339 date time.
func (t *Time) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return errors.New("wire.Time: empty JSON value")
	}
	if string(b) == "null" {
		return nil
	}
	var s string
	if b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("wire.Time: %w", err)
		}
	} else {
		s = string(b)
		if !isJSONNumber(s) {
			return fmt.Errorf("wire.Time: want a JSON number or string, got %.40s", s)
		}
	}
	v, err := parseTime(s)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

func isJSONNumber(s string) bool {
	// json.Valid plus a leading digit or minus sign rules out true, false,
	// objects and arrays.
	if s == "" || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) {
		return false
	}
	return json.Valid([]byte(s))
}

// isoLayouts are the ISO-8601 forms accepted besides epoch seconds, tried in
// order. Layouts without a zone are parsed as UTC.
var isoLayouts = []string{
	time.RFC3339Nano, // 2006-01-02T15:04:05.999999999Z07:00 (also no fraction)
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999Z07",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"20060102T150405.999999999Z0700",
	"20060102T150405.999999999Z07:00",
	"20060102T150405.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("wire.Time: empty timestamp")
	}
	if isJSONNumber(s) {
		return parseEpochSeconds(s)
	}
	for _, layout := range isoLayouts {
		if v, err := time.Parse(layout, s); err == nil {
			return v, nil
		}
	}
	return time.Time{}, fmt.Errorf("wire.Time: cannot parse %q as epoch seconds or ISO-8601", s)
}

var (
	bigBillion = big.NewInt(1_000_000_000)
	bigMinSec  = big.NewInt(-(1 << 62))
	bigMaxSec  = big.NewInt(1 << 62)
)

// parseEpochSeconds parses a decimal number of seconds (fraction and exponent
// allowed) exactly, truncating below the nanosecond.
func parseEpochSeconds(s string) (time.Time, error) {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return time.Time{}, fmt.Errorf("wire.Time: bad epoch seconds %q", s)
	}
	// sec = floor(r); nsec = floor((r - sec) * 1e9), so nsec is in [0, 1e9).
	ns := new(big.Int).Mul(r.Num(), bigBillion)
	ns.Div(ns, r.Denom()) // Euclidean division: floor for a positive divisor
	sec, nsec := new(big.Int).DivMod(ns, bigBillion, new(big.Int))
	if sec.Cmp(bigMinSec) < 0 || sec.Cmp(bigMaxSec) > 0 {
		return time.Time{}, fmt.Errorf("wire.Time: epoch seconds %q out of range", s)
	}
	return time.Unix(sec.Int64(), nsec.Int64()).UTC(), nil
}
