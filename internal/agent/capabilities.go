package agent

import (
	"fmt"
	"strconv"
	"strings"
)

// Capability attributes tell the control plane what this agent can run.
// RegisterTaskDefinition derives a definition's requiresAttributes from
// the fields it uses (internal/ecs, deriveRequiresAttributes), and the
// ATTRIBUTE placement filter places a task only on an instance that has
// every one of them. So the agent advertises exactly what berth
// implements: a capability it lacks would place tasks that then fail to
// start, and one it withholds refuses tasks it could run.
//
// The names are the ECS agent's (aws/amazon-ecs-agent,
// agent/app/agent_capability.go), so task definitions registered on ECS
// place the same way on berth. They are name-only attributes, as ECS's.

const (
	// capabilityPrefix is ECS's older prefix; attributePrefix its newer.
	capabilityPrefix = "com.amazonaws.ecs.capability."
	attributePrefix  = "ecs.capability."
	// dockerAPIPrefix names each Docker Engine API version the agent can
	// use, e.g. com.amazonaws.ecs.capability.docker-remote-api.1.18.
	dockerAPIPrefix = capabilityPrefix + "docker-remote-api."
)

// minDockerAPI is the oldest docker-remote-api capability advertised: the
// ECS agent's minimum, and the oldest a task definition can require
// (ECS's derivation starts at 1.18).
var minDockerAPI = apiVersion{1, 17}

// capabilityTable is every capability other than docker-remote-api.*
// that berth implements, with what it needs. Not advertised, because
// berth does not implement them (a task that needs one is refused with
// ATTRIBUTE rather than started and failed): task-iam-role and
// task-iam-role-network-host (no task credentials endpoint), ecr-auth and
// execution-role-ecr-pull (pulls carry no registry credentials),
// execution-role-awslogs and every log driver but json-file, secrets.*,
// private-registry-authentication.secretsmanager, env-files.s3, efs and
// efsAuth, firelens.*, task-eni (awsvpc), aws-appmesh, task-eia,
// container-restart-policy and network.container-port-range.
var capabilityTable = []struct {
	name string
	// minAPI is the Docker Engine API version the feature first appears
	// in, where the ECS agent gates it too; the zero value needs none.
	minAPI apiVersion
	// privileged capabilities are advertised only with --allow-privileged.
	privileged bool
}{
	// Every container logs to json-file: dockerrt sets it and refuses
	// any other logDriver, so no other driver is advertised, not even
	// those Docker has built in. Docker's LogConfig came with API 1.18
	// (the ECS agent's LoggingDriverMinimumVersion).
	{name: capabilityPrefix + "logging-driver.json-file", minAPI: apiVersion{1, 18}},
	// healthCheck becomes the container's Docker health check (dockerrt
	// healthConfig) and the runner reports its status; Docker's health
	// checks came with API 1.24.
	{name: attributePrefix + "container-health-check", minAPI: apiVersion{1, 24}},
	// dependsOn, startTimeout and stopTimeout are the agent's own
	// (decide.go orders starts and stops, apply.go the stop grace).
	{name: attributePrefix + "container-ordering"},
	// privileged: true runs only on an agent started with
	// --allow-privileged; without it the runtime refuses the container
	// (ErrPrivileged), so the instance must not attract such tasks.
	{name: capabilityPrefix + "privileged-container", privileged: true},
}

// capabilities lists the capability attributes of an agent whose engine
// speaks Docker Engine API version api (e.g. "1.44"), in table order
// after the docker-remote-api versions, oldest first. An api that is not
// a 1.x version gives no docker-remote-api capability, nor any that
// needs an API version.
//
// Worked example: api "1.24", allowPrivileged false → docker-remote-api
// 1.17 through 1.24 (8 names), logging-driver.json-file (needs 1.18),
// container-health-check (needs 1.24), container-ordering; not
// privileged-container.
func capabilities(api string, allowPrivileged bool) []string {
	v, err := parseAPIVersion(api)
	var out []string
	if err == nil {
		for minor := minDockerAPI.minor; minor <= v.minor; minor++ {
			out = append(out, dockerAPIPrefix+apiVersion{1, minor}.String())
		}
	}
	for _, c := range capabilityTable {
		switch {
		case c.privileged && !allowPrivileged:
		case c.minAPI != (apiVersion{}) && (err != nil || v.less(c.minAPI)):
		default:
			out = append(out, c.name)
		}
	}
	return out
}

// apiVersion is a Docker Engine API version, e.g. {1, 44} for "1.44".
type apiVersion struct{ major, minor int }

func (v apiVersion) String() string { return fmt.Sprintf("%d.%d", v.major, v.minor) }

func (v apiVersion) less(o apiVersion) bool {
	return v.major < o.major || (v.major == o.major && v.minor < o.minor)
}

// parseAPIVersion parses a Docker Engine API version. Every one there has
// been is 1.x; anything else is an error rather than a guess at what the
// agent could use.
func parseAPIVersion(s string) (apiVersion, error) {
	major, minor, ok := strings.Cut(s, ".")
	if ok && major == "1" {
		if n, err := strconv.Atoi(minor); err == nil && n >= 0 && strconv.Itoa(n) == minor {
			return apiVersion{1, n}, nil
		}
	}
	return apiVersion{}, fmt.Errorf("docker API version %q is not of the form 1.N", s)
}
