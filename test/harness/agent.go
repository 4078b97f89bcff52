package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

const (
	// ConvergeTimeout bounds every wait for tasks and agents to reach a
	// state: Docker starts a busybox container in well under a second, so
	// tens of seconds mean something is wrong.
	ConvergeTimeout = 45 * time.Second
	// PollInterval paces polling a process the test does not control.
	PollInterval = 25 * time.Millisecond
	// callTimeout bounds one API call the harness makes itself.
	callTimeout = 10 * time.Second
)

// Agent is a 'berth agent' under test. It keeps its data directory, and so
// its identity and its tasks' state, across restarts.
type Agent struct {
	Bin     string
	DataDir string
	Args    []string
	// ARN is the container instance the agent registered as.
	ARN string
	*Proc
}

// NewAgent describes an agent joined to cluster on the server at url,
// offering 2 cores and 2 GiB and publishing ports on 127.0.0.1 unless args
// say otherwise. Start runs it.
func NewAgent(bin string, srv *Server, cluster, dataDir string, args ...string) *Agent {
	return &Agent{Bin: bin, DataDir: dataDir, Args: append([]string{
		"agent", "--server", srv.URL(), "--cluster", cluster, "--data-dir", dataDir,
		"--credentials", CredentialsFile(srv.DataDir), "--cpu", "2", "--memory", "2048",
		"--host-ip", "127.0.0.1"}, args...)}
}

// Start runs the agent and waits until it has saved its identity.
func (a *Agent) Start() error {
	p, err := Spawn(a.Bin, a.Args...)
	if err != nil {
		return err
	}
	a.Proc = p
	return Await(ConvergeTimeout, "the agent registers", func() (bool, error) {
		if !a.Running() {
			return false, fmt.Errorf("agent exited during start-up:\n%s", a.Log)
		}
		arn, err := a.identity()
		a.ARN = arn
		return err == nil && arn != "", nil
	})
}

func (a *Agent) identity() (string, error) {
	raw, err := os.ReadFile(filepath.Join(a.DataDir, "identity.json"))
	if err != nil {
		return "", err
	}
	var id struct {
		ARN string `json:"containerInstanceArn"`
	}
	err = json.Unmarshal(raw, &id)
	return id.ARN, err
}

// Cluster is the name of the agent's cluster, from its instance ARN.
func (a *Agent) Cluster() string { return strings.Split(a.ARN, "/")[1] }

// Connected asks the server whether the agent's instance shows
// agentConnected.
func (a *Agent) Connected(c *ecs.Client) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	out, err := c.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{
		Cluster: aws.String(a.Cluster()), ContainerInstances: []string{a.ARN}})
	if err != nil {
		return false, err
	}
	if len(out.ContainerInstances) != 1 {
		return false, fmt.Errorf("instance %s not found: %v", a.ARN, out.Failures)
	}
	return out.ContainerInstances[0].AgentConnected, nil
}

// AwaitConnected waits until the instance's agentConnected is want.
func (a *Agent) AwaitConnected(c *ecs.Client, want bool) error {
	return Await(ConvergeTimeout, fmt.Sprintf("agentConnected is %v", want), func() (bool, error) {
		got, err := a.Connected(c)
		return err == nil && got == want, nil
	})
}

// Await polls cond every PollInterval until it holds, it fails, or
// timeout passes.
func Await(timeout time.Duration, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting until %s", timeout, what)
		}
		time.Sleep(PollInterval)
	}
}
