package benchkit

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// StartServer runs 'berth server' in strict mode on a free loopback port,
// with its data under dataDir and the keys of the credentials file creds,
// and waits until GET /healthz answers 200. It returns the process and
// the server's URL.
func StartServer(ctx context.Context, bin, dataDir, creds string) (*Process, string, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, "", err
	}
	addr, err := FreeLoopbackAddr()
	if err != nil {
		return nil, "", err
	}
	p, err := StartProcess("server", nil, bin, "server",
		"--auth", "strict", "--credentials", creds,
		"--listen", addr, "--data-dir", dataDir)
	if err != nil {
		return nil, "", err
	}
	url := "http://" + addr
	if err := p.WaitHealthy(ctx, url); err != nil {
		p.Stop()
		return nil, "", err
	}
	return p, url, nil
}

// Agent is one 'berth agent' a benchmark runs. Several agents share one
// Docker Engine as long as each has its own DataDir (its identity and
// task state); they publish ports on 127.0.0.1.
type Agent struct {
	Name        string // the process's name in messages and log files
	Server      string // the server's URL
	Cluster     string
	DataDir     string
	Credentials string // the credentials file its first registration is signed with
	// CPUs and MemoryMiB are the capacity it offers.
	CPUs, MemoryMiB int
	// CleanupWait replaces the agent's 3-hour default (ECS's): how long a
	// stopped task's containers stay before the agent removes them.
	CleanupWait time.Duration
	Env         []string // added to its environment
}

// StartAgent runs a. It returns once the process has started; the caller
// waits for the instance to show agentConnected.
func StartAgent(bin string, a Agent) (*Process, error) {
	if err := os.MkdirAll(a.DataDir, 0o700); err != nil {
		return nil, err
	}
	return StartProcess(a.Name, a.Env, bin, "agent",
		"--server", a.Server, "--cluster", a.Cluster, "--data-dir", a.DataDir,
		"--credentials", a.Credentials, "--cpu", strconv.Itoa(a.CPUs), "--memory", strconv.Itoa(a.MemoryMiB),
		"--host-ip", "127.0.0.1", "--cleanup-wait", a.CleanupWait.String())
}

// SavedInstanceARN reads the instance ARN an agent saved in its data
// directory, or "" if it has not registered: for clean-up when the agent
// registered but the benchmark never learned its ARN.
func SavedInstanceARN(dataDir string) string {
	raw, err := os.ReadFile(filepath.Join(dataDir, "identity.json"))
	if err != nil {
		return ""
	}
	var id struct {
		ARN string `json:"containerInstanceArn"` // internal/agent/state.go identity
	}
	if json.Unmarshal(raw, &id) != nil {
		return ""
	}
	return id.ARN
}

// BerthBinary is the berth a benchmark measures: given, if not empty, or
// ./cmd/berth of the module around the working directory built into
// dir. source describes it for the report ("./cmd/berth built from DIR at
// REVISION"). name prefixes the progress message.
func BerthBinary(ctx context.Context, name, given, dir string) (bin, source string, err error) {
	if given != "" {
		return given, given, nil
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", "", err
	}
	source = "./cmd/berth built from " + root
	if rev := SourceRevision(ctx, root); rev != "" {
		source += " at " + rev
	}
	fmt.Fprintln(os.Stderr, name+": building berth ...")
	bin, err = BuildBerth(ctx, root, dir)
	return bin, source, err
}
