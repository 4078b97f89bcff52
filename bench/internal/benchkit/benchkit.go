// Package benchkit is what berth's benchmark commands share: building the
// berth binary, naming the source it was built from, loopback addresses,
// collecting a child's output, and reading CPU time from /proc.
package benchkit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const (
	// BuildTimeout bounds 'go build ./cmd/berth': a cold build with an
	// empty cache takes a few minutes on a small machine.
	BuildTimeout = 5 * time.Minute
	// gitTimeout bounds the git queries naming the source revision.
	gitTimeout = 10 * time.Second
	// clockTicksPerSecond is the unit of utime and stime in /proc/PID/stat
	// (USER_HZ). It is 100 on every Linux architecture Go supports; reading
	// it properly needs sysconf, which needs cgo.
	clockTicksPerSecond = 100
)

// ModuleRoot is the directory of the go.mod above the working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the berth module (no go.mod found above the working directory)")
		}
		dir = parent
	}
}

// BuildBerth builds ./cmd/berth of the module in moduleDir into dir.
func BuildBerth(ctx context.Context, moduleDir, dir string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, BuildTimeout)
	defer cancel()
	bin := filepath.Join(dir, "berth")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/berth")
	cmd.Dir = moduleDir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/berth: %w", err)
	}
	return bin, nil
}

// SourceRevision names the commit the module in dir is at, with
// "+modified" when the tracked files berth is built from (cmd, internal,
// go.mod, go.sum) differ from it, or "" when git cannot tell (no git, not a
// clone).
func SourceRevision(ctx context.Context, dir string) string {
	ctx, cancel := context.WithTimeout(ctx, gitTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return ""
	}
	rev := strings.TrimSpace(string(out))
	if err := exec.CommandContext(ctx, "git", "-C", dir, "diff", "--quiet", "HEAD", "--", "cmd", "internal", "go.mod", "go.sum").Run(); err != nil {
		rev += "+modified"
	}
	return rev
}

// FreeLoopbackAddr returns a loopback address with a port that was free a
// moment ago.
func FreeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// MachineCPU is the busy time of all CPUs since boot: user, nice, system,
// irq and softirq from the first line of /proc/stat (guest time is part of
// user; idle, iowait and steal are not busy).
func MachineCPU() (time.Duration, error) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7} { // user nice system irq softirq
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicksPerSecond, nil
}

// ProcCPU is another process's user + system CPU time, from /proc.
func ProcCPU(pid int) (time.Duration, error) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may contain spaces;
	// the fields after the last ')' start at field 3 (state).
	s := string(raw)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	f := strings.Fields(s[i+1:])
	const utimeIdx, stimeIdx = 14 - 3, 15 - 3
	if len(f) <= stimeIdx {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	ut, err1 := strconv.ParseInt(f[utimeIdx], 10, 64)
	st, err2 := strconv.ParseInt(f[stimeIdx], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: malformed times", pid)
	}
	return time.Duration(ut+st) * time.Second / clockTicksPerSecond, nil
}
