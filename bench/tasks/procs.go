package main

import (
	"os"
	"strconv"

	"github.com/berth-org/berth/bench/internal/benchkit"
)

const (
	benchRegion = "us-east-1"
)

// benchKey is the only key the server accepts; the agent signs its first
// registration with it.
var benchKey = benchkit.Key{ID: "AKIDBENCHTASKS", Secret: "berth-bench-tasks-secret-key"}

// startAgent runs 'berth agent' against url with the capacity for the
// 50-task scenario. agentCleanupWait (see there) replaces the 3-hour
// default so that every measurement starts on an engine without the
// previous ones' stopped containers. env is added to its environment.
func startAgent(bin, url, dataDir, creds string, env []string) (*benchkit.Process, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	return benchkit.StartProcess("agent", env, bin, "agent",
		"--server", url, "--cluster", "default", "--data-dir", dataDir,
		"--credentials", creds, "--cpu", strconv.Itoa(agentCPUs), "--memory", strconv.Itoa(agentMemoryMiB),
		"--host-ip", "127.0.0.1", "--cleanup-wait", agentCleanupWait.String())
}
