package ecs

import (
	"slices"
	"strconv"
	"strings"

	"github.com/berth-org/berth/internal/wire"
)

// Per-container RegisterTaskDefinition checks. Messages follow AWS's
// "Invalid setting for container '<name>'. ..." form (containerError);
// texts not marked as AWS's are berth wording.

// checkContainers runs the per-container checks, container by container.
func (v *tdValidator) checkContainers() error {
	checks := []func(*wire.ContainerDefinition) error{
		v.checkContainerMemory,
		checkContainerCPUAndTimeouts,
		v.checkPortMappings,
		checkHealthCheck,
		checkEnvironment,
		checkLogConfiguration,
		checkUlimits,
		v.checkResourceRequirements,
		v.checkVolumeRefs,
		v.checkNetworkModeFields,
	}
	for i := range v.req.ContainerDefinitions {
		for _, check := range checks {
			if err := check(&v.req.ContainerDefinitions[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// minContainerMemoryMiB: "The Docker 20.10.0 or later daemon reserves a
// minimum of 6 MiB of memory for a container. So, don't specify less than 6
// MiB of memory for your containers." (ContainerDefinition.memory). Docker
// refuses to create such a container, so berth refuses to register it.
const minContainerMemoryMiB = 6

// checkContainerMemory applies the container memory rules. Without a
// task-level memory each container needs memory or memoryReservation (AWS
// text); FARGATE requires task memory, so this only bites EC2, EXTERNAL and
// MANAGED_INSTANCES definitions. memory must be at least memoryReservation
// (the tail "'memory' must be greater than or equal to 'memoryReservation'"
// is AWS's as reported; the prefix is AWS's form) and neither may exceed
// the task memory (AWS text for memory; memoryReservation by analogy).
func (v *tdValidator) checkContainerMemory(c *wire.ContainerDefinition) error {
	name := str(c.Name)
	if c.Memory == nil && c.MemoryReservation == nil && v.size.memory == 0 {
		return containerError(name, "At least one of 'memory' or 'memoryReservation' must be specified.")
	}
	limits := []struct {
		member string
		value  *int32
	}{{"memory", c.Memory}, {"memoryReservation", c.MemoryReservation}}
	for _, l := range limits {
		if l.value != nil && *l.value < minContainerMemoryMiB {
			// berth wording.
			return ClientError("Invalid '%s' setting for container '%s'. The minimum memory for a container is %d MiB.", l.member, name, minContainerMemoryMiB)
		}
	}
	if c.Memory != nil && c.MemoryReservation != nil && *c.Memory < *c.MemoryReservation {
		return containerError(name, "'memory' must be greater than or equal to 'memoryReservation'.")
	}
	for _, l := range limits {
		if v.size.memory != 0 && l.value != nil && int64(*l.value) > v.size.memory {
			return ClientError("The '%s' setting for container '%s' is greater than for the task.", l.member, name)
		}
	}
	return nil
}

func checkContainerCPUAndTimeouts(c *wire.ContainerDefinition) error {
	name := str(c.Name)
	values := []struct {
		member string
		value  *int32
	}{{"cpu", c.Cpu}, {"startTimeout", c.StartTimeout}, {"stopTimeout", c.StopTimeout}}
	for _, m := range values {
		if tdInt(m.value) < 0 {
			return containerError(name, "'%s' must not be negative.", m.member)
		}
	}
	return nil
}

const maxPort = 65535

// checkPortMappings checks each mapping's ports and enums and the network
// mode rules: none allows no mappings; awsvpc and host need hostPort blank
// or equal to containerPort (AWS text: "When networkMode=awsvpc, the host
// ports and container ports in port mappings must match.").
func (v *tdValidator) checkPortMappings(c *wire.ContainerDefinition) error {
	name := str(c.Name)
	if len(c.PortMappings) > 0 && v.mode == wire.NetworkModeNone {
		return ClientError("Port mappings are not supported when networkMode=none.")
	}
	for _, p := range c.PortMappings {
		if err := checkEnum("portMappings.protocol", p.Protocol, wire.TransportProtocol("").Values()); err != nil {
			return err
		}
		if err := checkEnum("portMappings.appProtocol", p.AppProtocol, wire.ApplicationProtocol("").Values()); err != nil {
			return err
		}
		if p.ContainerPortRange != nil {
			if err := v.checkPortRange(name, p); err != nil {
				return err
			}
			continue
		}
		if err := v.checkPortMapping(name, p); err != nil {
			return err
		}
	}
	return nil
}

func (v *tdValidator) checkPortMapping(name string, p wire.PortMapping) error {
	if p.ContainerPort == nil {
		return containerError(name, "A port mapping must specify 'containerPort' or 'containerPortRange'.")
	}
	cp := *p.ContainerPort
	if cp < 1 || cp > maxPort {
		return containerError(name, "'containerPort' must be between 1 and %d.", maxPort)
	}
	if p.HostPort == nil {
		return nil
	}
	hp := *p.HostPort
	if hp < 0 || hp > maxPort {
		return containerError(name, "'hostPort' must be between 0 and %d.", maxPort)
	}
	// hostPort 0 counts as blank, as in bridge mode.
	if (v.mode == wire.NetworkModeAwsvpc || v.mode == wire.NetworkModeHost) && hp != 0 && hp != cp {
		return ClientError("When networkMode=%s, the host ports and container ports in port mappings must match.", v.mode)
	}
	return nil
}

// checkPortRange applies PortMapping.containerPortRange's rules: bridge or
// awsvpc mode only, no containerPort or hostPort alongside, and "first-last"
// with 1 <= first < last <= 65535.
func (v *tdValidator) checkPortRange(name string, p wire.PortMapping) error {
	if p.ContainerPort != nil || p.HostPort != nil {
		return containerError(name, "A port mapping with 'containerPortRange' must not set 'containerPort' or 'hostPort'.")
	}
	if v.mode != "" && v.mode != wire.NetworkModeBridge && v.mode != wire.NetworkModeAwsvpc {
		return containerError(name, "'containerPortRange' requires the bridge or awsvpc network mode.")
	}
	lo, hi, ok := strings.Cut(*p.ContainerPortRange, "-")
	first, err1 := strconv.Atoi(lo)
	last, err2 := strconv.Atoi(hi)
	if !ok || err1 != nil || err2 != nil || first < 1 || last > maxPort || first >= last {
		return containerError(name, "'containerPortRange' must be \"first-last\", with 1 <= first < last <= %d.", maxPort)
	}
	return nil
}

// healthCheckBounds are HealthCheck's documented ranges.
var healthCheckBounds = []struct {
	member   string
	get      func(*wire.HealthCheck) *int32
	min, max int32
	unit     string
}{
	{"interval", func(h *wire.HealthCheck) *int32 { return h.Interval }, 5, 300, " seconds"},
	{"timeout", func(h *wire.HealthCheck) *int32 { return h.Timeout }, 2, 60, " seconds"},
	{"retries", func(h *wire.HealthCheck) *int32 { return h.Retries }, 1, 10, ""},
	{"startPeriod", func(h *wire.HealthCheck) *int32 { return h.StartPeriod }, 0, 300, " seconds"},
}

// checkHealthCheck: the command must be CMD or CMD-SHELL followed by the
// command, or NONE alone; the numbers must be in their documented ranges.
func checkHealthCheck(c *wire.ContainerDefinition) error {
	h := c.HealthCheck
	if h == nil {
		return nil
	}
	name := str(c.Name)
	switch {
	case len(h.Command) == 0:
		return containerError(name, "'healthCheck.command' must be specified.")
	case h.Command[0] == "NONE":
		if len(h.Command) != 1 {
			return containerError(name, "'healthCheck.command' NONE takes no arguments.")
		}
	case h.Command[0] == "CMD" || h.Command[0] == "CMD-SHELL":
		if len(h.Command) < 2 {
			return containerError(name, "'healthCheck.command' %s must be followed by the command to run.", h.Command[0])
		}
	default:
		return containerError(name, "'healthCheck.command' must start with CMD or CMD-SHELL.")
	}
	for _, b := range healthCheckBounds {
		if n := b.get(h); n != nil && (*n < b.min || *n > b.max) {
			return containerError(name, "'healthCheck.%s' must be between %d and %d%s.", b.member, b.min, b.max, b.unit)
		}
	}
	return nil
}

// maxEnvironmentFiles: "You can specify up to ten environment files."
const maxEnvironmentFiles = 10

func checkEnvironment(c *wire.ContainerDefinition) error {
	name := str(c.Name)
	for _, e := range c.Environment {
		if str(e.Name) == "" {
			return containerError(name, "Environment variable names must not be empty.")
		}
	}
	if len(c.EnvironmentFiles) > maxEnvironmentFiles {
		return containerError(name, "A container can have at most %d environment files.", maxEnvironmentFiles)
	}
	for _, f := range c.EnvironmentFiles {
		if err := checkRequiredEnum("environmentFiles.type", f.Type, wire.EnvironmentFileType("").Values()); err != nil {
			return err
		}
		if str(f.Value) == "" {
			return containerError(name, "'environmentFiles.value' must be specified.")
		}
	}
	return checkSecrets(name, "secrets", c.Secrets)
}

// checkSecrets: a secret's name and valueFrom are required.
func checkSecrets(name, member string, secrets []wire.Secret) error {
	for _, s := range secrets {
		if str(s.Name) == "" {
			return containerError(name, "'%s.name' must be specified.", member)
		}
		if str(s.ValueFrom) == "" {
			return containerError(name, "'%s.valueFrom' must be specified.", member)
		}
	}
	return nil
}

// awslogsRequiredOptions are the awslogs options marked "Required: Yes",
// in the order AWS lists them when both are missing ("Log driver awslogs
// requires options: awslogs-region, awslogs-group", AWS text as reported).
var awslogsRequiredOptions = []string{"awslogs-region", "awslogs-group"}

func checkLogConfiguration(c *wire.ContainerDefinition) error {
	lc := c.LogConfiguration
	if lc == nil {
		return nil
	}
	name := str(c.Name)
	if lc.LogDriver == "" {
		return containerError(name, "'logConfiguration.logDriver' must be specified.")
	}
	if err := checkEnum("logConfiguration.logDriver", lc.LogDriver, wire.LogDriver("").Values()); err != nil {
		return err
	}
	if lc.LogDriver == wire.LogDriverAwslogs {
		var missing []string
		for _, o := range awslogsRequiredOptions {
			if lc.Options[o] == "" {
				missing = append(missing, o)
			}
		}
		if len(missing) > 0 {
			return ClientError("Log driver awslogs requires options: %s", strings.Join(missing, ", "))
		}
	}
	return checkSecrets(name, "logConfiguration.secretOptions", lc.SecretOptions)
}

func checkUlimits(c *wire.ContainerDefinition) error {
	name := str(c.Name)
	for _, u := range c.Ulimits {
		if err := checkRequiredEnum("ulimits.name", u.Name, wire.UlimitName("").Values()); err != nil {
			return err
		}
		if u.SoftLimit == nil || u.HardLimit == nil {
			return containerError(name, "Ulimit '%s' must specify 'softLimit' and 'hardLimit'.", u.Name)
		}
		if *u.SoftLimit > *u.HardLimit {
			return containerError(name, "Ulimit '%s' has a 'softLimit' greater than its 'hardLimit'.", u.Name)
		}
	}
	return nil
}

// checkResourceRequirements: a GPU value is a GPU count; an
// InferenceAccelerator value names a deviceName of the task's
// inferenceAccelerators.
func (v *tdValidator) checkResourceRequirements(c *wire.ContainerDefinition) error {
	name := str(c.Name)
	for _, r := range c.ResourceRequirements {
		if err := checkRequiredEnum("resourceRequirements.type", r.Type, wire.ResourceType("").Values()); err != nil {
			return err
		}
		value := str(r.Value)
		if value == "" {
			return containerError(name, "'resourceRequirements.value' must be specified.")
		}
		switch r.Type {
		case wire.ResourceTypeGpu:
			if n, err := strconv.Atoi(value); err != nil || n < 1 {
				return containerError(name, "The GPU resource requirement must be a positive whole number of GPUs.")
			}
		case wire.ResourceTypeInferenceAccelerator:
			known := slices.ContainsFunc(v.req.InferenceAccelerators, func(a wire.InferenceAccelerator) bool { return str(a.DeviceName) == value })
			if !known {
				return containerError(name, "InferenceAccelerator '%s' is not a deviceName in the task's inferenceAccelerators.", value)
			}
		}
	}
	return nil
}

// checkVolumeRefs: mountPoints name the task's volumes; volumesFrom names
// another container of the task.
func (v *tdValidator) checkVolumeRefs(c *wire.ContainerDefinition) error {
	name := str(c.Name)
	for _, mp := range c.MountPoints {
		src := str(mp.SourceVolume)
		switch {
		case src == "":
			return containerError(name, "'mountPoints.sourceVolume' must be specified.")
		case !v.volumes[src]:
			return containerError(name, "mountPoints names volume '%s', which is not in the task definition.", src)
		case str(mp.ContainerPath) == "":
			return containerError(name, "'mountPoints.containerPath' must be specified.")
		}
	}
	for _, vf := range c.VolumesFrom {
		src := str(vf.SourceContainer)
		switch {
		case src == "":
			return containerError(name, "'volumesFrom.sourceContainer' must be specified.")
		case src == name:
			return containerError(name, "A container cannot mount volumes from itself.")
		case v.byName[src] == nil:
			return containerError(name, "volumesFrom names container '%s', which is not in the task definition.", src)
		}
	}
	return nil
}

// checkNetworkModeFields: links work only in bridge mode ("This parameter
// is only supported if the network mode of a task definition is bridge";
// AWS's text for awsvpc is "Links are not supported when
// networkMode=awsvpc", reported without a trailing period, which berth adds
// like every other message) and must name another container; hostname and
// extraHosts are not supported in awsvpc mode.
func (v *tdValidator) checkNetworkModeFields(c *wire.ContainerDefinition) error {
	name := str(c.Name)
	if len(c.Links) > 0 && v.mode != "" && v.mode != wire.NetworkModeBridge {
		return ClientError("Links are not supported when networkMode=%s.", v.mode)
	}
	for _, l := range c.Links {
		target, _, _ := strings.Cut(l, ":")
		if target == name || v.byName[target] == nil {
			return containerError(name, "Link '%s' does not name another container in the task definition.", l)
		}
	}
	if v.mode != wire.NetworkModeAwsvpc {
		return nil
	}
	if str(c.Hostname) != "" {
		return ClientError("Hostname is not supported when networkMode=awsvpc.")
	}
	if len(c.ExtraHosts) > 0 {
		return ClientError("Extra hosts are not supported when networkMode=awsvpc.")
	}
	return nil
}
