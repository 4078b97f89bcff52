package harness

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// TestImage is built locally by scripts/ensure-docker.sh; no registry is
// reachable from the test machines.
const TestImage = "berth-test/busybox:latest"

// InstanceLabel is the label the agent puts on every container it makes,
// naming its container instance.
const InstanceLabel = "com.berth.instance-arn"

// Docker runs the docker CLI and returns its trimmed output.
func Docker(args ...string) (string, error) {
	out, err := exec.Command("docker", args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// ContainerState is what docker inspect says about a container.
type ContainerState struct {
	Pid          int
	RestartCount int
	StartedAt    time.Time
	Running      bool
}

// Inspect reads a container's state.
func Inspect(id string) (ContainerState, error) {
	out, err := Docker("inspect", "--format", "{{.State.Pid}} {{.RestartCount}} {{.State.StartedAt}} {{.State.Running}}", id)
	if err != nil {
		return ContainerState{}, fmt.Errorf("docker inspect %s: %w: %s", id, err, out)
	}
	f := strings.Fields(out)
	if len(f) != 4 {
		return ContainerState{}, fmt.Errorf("docker inspect %s: unexpected %q", id, out)
	}
	pid, _ := strconv.Atoi(f[0])
	restarts, _ := strconv.Atoi(f[1])
	started, _ := time.Parse(time.RFC3339Nano, f[2])
	return ContainerState{Pid: pid, RestartCount: restarts, StartedAt: started, Running: f[3] == "true"}, nil
}

// RemoveContainers removes every container labelled for an instance.
func RemoveContainers(instanceARN string) {
	if instanceARN == "" {
		return
	}
	ids, err := Docker("ps", "-aq", "--filter", "label="+InstanceLabel+"="+instanceARN)
	if err != nil || ids == "" {
		return
	}
	_, _ = Docker(append([]string{"rm", "-f", "-v"}, strings.Fields(ids)...)...)
}
