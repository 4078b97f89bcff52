package ecs

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/berth-org/berth/internal/wire"
)

// RegisterTaskDefinition validation.
//
// Content errors are ClientExceptions, as AWS raises them; an enum value
// outside the model's set, an unparsable cpu/memory string and a request
// member over its documented count are InvalidParameterExceptions. Where
// the AWS text is known (captured from AWS responses quoted in public
// issues, AWS docs or moto's AWS-matching tests) it is used verbatim; the
// other texts are berth's own and marked "berth wording".

// Messages AWS returns, verbatim.
const (
	msgFamilyBlank        = "Family can not be blank."
	msgFamilyInvalid      = "Family contains invalid characters."
	msgNoContainers       = "Container list cannot be empty."
	msgTooManyContainers  = "Too many containers."
	msgNameMissing        = "Container.name should not be null or empty."
	msgNameInvalid        = "Container.name contains invalid characters."
	msgImageMissing       = "Container.image should not be null or empty."
	msgImageInvalid       = "Container.image contains invalid characters."
	msgNoEssential        = "Task definition doesn't have any essential container."
	msgInvalidTaskCPU     = "Invalid 'cpu' setting for task."
	msgInvalidTaskMemory  = "Invalid 'memory' setting for task."
	msgFargateCPU         = "Fargate requires that 'cpu' be defined at the task level."
	msgFargateMemory      = "Fargate requires that 'memory' be defined at the task level."
	msgFargatePidMode     = "Tasks using the Fargate launch type do not support pidMode 'host'. The supported value for pidMode is 'task'."
	msgContainerCPUSum    = "The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'."
	msgDependsOnEssential = "A dependency container with SUCCESS or COMPLETE condition cannot be an essential container"
	msgDependsOnHealthy   = "A dependency container with HEALTHY condition must have health check configured"
	// msgFargateNetworkMode keeps AWS's curly quotes: copies of the message
	// pasted into code and docs carry them (and come out as "?awsvpc?" where
	// the page lost its encoding).
	msgFargateNetworkMode = "Fargate only supports network mode \u2018awsvpc\u2019."
	// msgFamilyLength is berth wording: AWS's text is not known.
	msgFamilyLength = "Family name must be between 1 and 255 characters."
)

// tdValidator carries what the checks of one request share.
type tdValidator struct {
	req     *wire.RegisterTaskDefinitionRequest
	size    taskSize
	mode    wire.NetworkMode
	fargate bool
	byName  map[string]*wire.ContainerDefinition
	volumes map[string]bool
}

// validateRegisterTaskDefinition checks a request and returns its parsed
// task size. Checks run in a fixed order so one request always gets the
// same error: request members, the family, enums, the task size, the
// container list, then launch-type rules, volumes, each container, the
// task-wide sums and the dependency graph.
func validateRegisterTaskDefinition(req *wire.RegisterTaskDefinitionRequest) (taskSize, error) {
	v := &tdValidator{
		req:     req,
		mode:    req.NetworkMode,
		fargate: slices.Contains(req.RequiresCompatibilities, wire.CompatibilityFargate),
	}
	steps := []func() error{
		v.checkTags,
		v.checkFamily,
		v.checkTaskEnums,
		v.checkTaskSize,
		v.checkContainerList,
		v.checkLaunchTypes,
		v.checkVolumes,
		v.checkContainers,
		v.checkPortConflicts,
		v.checkResourceSums,
		v.checkDependencies,
		v.checkPlacementConstraints,
		v.checkTaskExtras,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return taskSize{}, err
		}
	}
	return v.size, nil
}

func (v *tdValidator) checkTags() error {
	if n := len(v.req.Tags); n > MaxTags {
		// berth wording.
		return InvalidParameter("A resource can have at most %d tags; this request has %d.", MaxTags, n)
	}
	return ValidateTags(TaskDefinitionTags(v.req))
}

func (v *tdValidator) checkFamily() error {
	family := str(v.req.Family)
	switch {
	case family == "":
		return ClientError(msgFamilyBlank)
	case !namePattern.MatchString(family):
		return ClientError(msgFamilyInvalid)
	case len(family) > MaxNameLength:
		return ClientError(msgFamilyLength)
	}
	return nil
}

// checkEnum rejects a value outside an enum's known values; "" (absent)
// passes. berth wording.
func checkEnum[T ~string](member string, value T, known []T) error {
	if value == "" || slices.Contains(known, value) {
		return nil
	}
	names := make([]string, len(known))
	for i, k := range known {
		names[i] = string(k)
	}
	return InvalidParameter("Invalid value '%s' for %s. Valid values: %s.", value, member, strings.Join(names, ", "))
}

// checkRequiredEnum is checkEnum for a member the model requires.
func checkRequiredEnum[T ~string](member string, value T, known []T) error {
	if value == "" {
		return checkEnum(member, T("(empty)"), known)
	}
	return checkEnum(member, value, known)
}

func (v *tdValidator) checkTaskEnums() error {
	r := v.req
	for _, c := range r.RequiresCompatibilities {
		if err := checkRequiredEnum("requiresCompatibilities", c, wire.Compatibility("").Values()); err != nil {
			return err
		}
	}
	errs := []error{
		checkEnum("networkMode", r.NetworkMode, wire.NetworkMode("").Values()),
		checkEnum("pidMode", r.PidMode, wire.PidMode("").Values()),
		checkEnum("ipcMode", r.IpcMode, wire.IpcMode("").Values()),
	}
	if p := r.RuntimePlatform; p != nil {
		errs = append(errs,
			checkEnum("runtimePlatform.cpuArchitecture", p.CpuArchitecture, wire.CPUArchitecture("").Values()),
			checkEnum("runtimePlatform.operatingSystemFamily", p.OperatingSystemFamily, wire.OSFamily("").Values()))
	}
	if p := r.ProxyConfiguration; p != nil {
		errs = append(errs, checkEnum("proxyConfiguration.type", p.Type, wire.ProxyConfigurationType("").Values()))
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// checkTaskSize parses cpu and memory. A string that is not a size at all
// (including "") is an InvalidParameterException, as AWS answers an empty
// cpu string ("InvalidParameterException ... Invalid 'cpu' setting for
// task.", oranmoshai/ecsServiceRestart#2); a size outside what the launch
// type supports is a ClientException with the same text (checked later).
func (v *tdValidator) checkTaskSize() error {
	if s := v.req.Cpu; s != nil {
		n, ok := parseTaskCPU(*s)
		if !ok {
			return InvalidParameter(msgInvalidTaskCPU)
		}
		v.size.cpu = n
	}
	if s := v.req.Memory; s != nil {
		n, ok := parseTaskMemory(*s)
		if !ok {
			return InvalidParameter(msgInvalidTaskMemory)
		}
		v.size.memory = n
	}
	return nil
}

// checkContainerList checks the number of containers and each one's
// identity: name, image, uniqueness; and that one of them is essential.
func (v *tdValidator) checkContainerList() error {
	cs := v.req.ContainerDefinitions
	switch {
	case len(cs) == 0:
		return ClientError(msgNoContainers)
	case len(cs) > MaxContainersPerTaskDefinition:
		return ClientError(msgTooManyContainers)
	}
	v.byName = make(map[string]*wire.ContainerDefinition, len(cs))
	essential := false
	for i := range cs {
		c := &cs[i]
		if err := checkContainerIdentity(c); err != nil {
			return err
		}
		name := str(c.Name)
		if _, dup := v.byName[name]; dup {
			// berth wording.
			return ClientError("Duplicate container name '%s'. Container names must be unique within a task definition.", name)
		}
		v.byName[name] = c
		essential = essential || isEssential(c)
	}
	if !essential {
		return ClientError(msgNoEssential)
	}
	return nil
}

func isEssential(c *wire.ContainerDefinition) bool { return c.Essential == nil || *c.Essential }

// maxImageLength bounds an image reference, or with a digest the part
// before the "@" (ContainerDefinition.image).
const maxImageLength = 255

func checkContainerIdentity(c *wire.ContainerDefinition) error {
	name := str(c.Name)
	switch {
	case name == "":
		return ClientError(msgNameMissing)
	case !namePattern.MatchString(name):
		return ClientError(msgNameInvalid)
	case len(name) > MaxNameLength:
		// berth wording.
		return ClientError("Container.name must be at most %d characters.", MaxNameLength)
	}
	image := str(c.Image)
	if image == "" {
		return ClientError(msgImageMissing)
	}
	ref, digest, hasDigest := strings.Cut(image, "@")
	if !validImageChars(ref) || (hasDigest && !validImageDigest(digest)) {
		return ClientError(msgImageInvalid)
	}
	if utf8.RuneCountInString(ref) > maxImageLength {
		// berth wording.
		return ClientError("Container.image must be at most %d characters (before any @digest).", maxImageLength)
	}
	return nil
}

// validImageChars applies ContainerDefinition.image's charset: "letters
// (uppercase and lowercase), numbers, hyphens, underscores, colons,
// periods, forward slashes, and number signs (#)". Whitespace, "$" and
// control characters are rejected, as AWS rejects a literal "$IMAGE_NAME"
// and a trailing space.
func validImageChars(s string) bool {
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_:./#", r)
		if !ok {
			return false
		}
	}
	return s != ""
}

// validImageDigest: "The only supported hash function is sha256, and the
// hash value after sha256: must be exactly 64 characters (only letters A-F,
// a-f, and numbers 0-9 are allowed)."
func validImageDigest(d string) bool {
	hex, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(hex) != 64 {
		return false
	}
	for _, r := range hex {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
			return false
		}
	}
	return true
}

// checkLaunchTypes applies the rules of the launch types the caller asked
// the definition to be validated against, and the EC2 cpu range.
func (v *tdValidator) checkLaunchTypes() error {
	if v.fargate {
		if err := fargateProblem(v.req, v.size); err != nil {
			return err
		}
	}
	if slices.Contains(v.req.RequiresCompatibilities, wire.CompatibilityExternal) && v.mode == wire.NetworkModeAwsvpc {
		// berth wording: ECS Anywhere supports bridge, host and none.
		return ClientError("Tasks using the External launch type do not support network mode 'awsvpc'.")
	}
	if c := v.size.cpu; c != 0 && (c < minEC2TaskCPU || c > maxEC2TaskCPU) {
		return ClientError(msgInvalidTaskCPU)
	}
	return nil
}

// fargateLogDrivers are the log drivers Fargate supports
// (LogConfiguration.logDriver).
var fargateLogDrivers = []wire.LogDriver{wire.LogDriverAwslogs, wire.LogDriverSplunk, wire.LogDriverAwsfirelens}

// fargateProblem returns why the definition cannot run on Fargate, or nil.
// It rejects registration when FARGATE is required and decides whether
// FARGATE is among the derived compatibilities. The Fargate size error is
// "Invalid 'cpu' setting for task." whichever of cpu or memory is off, as
// the task-cpu-memory-error troubleshooting page shows.
func fargateProblem(req *wire.RegisterTaskDefinitionRequest, size taskSize) *Error {
	switch {
	case req.NetworkMode != wire.NetworkModeAwsvpc:
		return ClientError(msgFargateNetworkMode)
	case size.cpu == 0:
		return ClientError(msgFargateCPU)
	case size.memory == 0:
		return ClientError(msgFargateMemory)
	case !validFargateSize(size.cpu, size.memory):
		return ClientError(msgInvalidTaskCPU)
	case req.PidMode == wire.PidModeHost:
		return ClientError(msgFargatePidMode)
	case req.IpcMode != "":
		// berth wording; ipcMode "is not supported for ... tasks run on Fargate".
		return ClientError("Tasks using the Fargate launch type do not support ipcMode '%s'.", req.IpcMode)
	}
	for i := range req.ContainerDefinitions {
		if err := fargateContainerProblem(req, &req.ContainerDefinitions[i]); err != nil {
			return err
		}
	}
	for _, vol := range req.Volumes {
		// berth wording; Volume and TaskDefinition.volumes: "The host and
		// sourcePath parameters aren't supported for tasks run on Fargate",
		// "Docker volumes aren't supported by tasks run on Fargate".
		if vol.Host != nil && str(vol.Host.SourcePath) != "" {
			return ClientError("Tasks using the Fargate launch type do not support host volumes with a sourcePath: volume '%s'.", str(vol.Name))
		}
		if vol.DockerVolumeConfiguration != nil {
			return ClientError("Tasks using the Fargate launch type do not support dockerVolumeConfiguration: volume '%s'.", str(vol.Name))
		}
	}
	return nil
}

// Fargate's start and stop timeout range ("The valid values for Fargate
// are 2-120 seconds").
const (
	minFargateTimeout = 2
	maxFargateTimeout = 120
)

func fargateContainerProblem(req *wire.RegisterTaskDefinitionRequest, c *wire.ContainerDefinition) *Error {
	name := str(c.Name)
	if tdTrue(c.Privileged) {
		// berth wording; privileged "is not supported for ... tasks run on Fargate".
		return ClientError("Tasks using the Fargate launch type do not support privileged containers: container '%s' is privileged.", name)
	}
	timeouts := []struct {
		member string
		value  *int32
	}{{"startTimeout", c.StartTimeout}, {"stopTimeout", c.StopTimeout}}
	for _, t := range timeouts {
		if t.value != nil && (*t.value < minFargateTimeout || *t.value > maxFargateTimeout) {
			// berth wording.
			return containerError(name, "Tasks using the Fargate launch type support a '%s' between %d and %d seconds.", t.member, minFargateTimeout, maxFargateTimeout)
		}
	}
	hasExecRole := str(req.ExecutionRoleArn) != ""
	if lc := c.LogConfiguration; lc != nil {
		if lc.LogDriver != "" && !slices.Contains(fargateLogDrivers, lc.LogDriver) {
			// berth wording.
			return ClientError("Log driver %s is not supported for tasks using the Fargate launch type. Supported log drivers: awslogs, splunk, awsfirelens.", lc.LogDriver)
		}
		if lc.LogDriver == wire.LogDriverAwslogs && !hasExecRole {
			// berth wording, modelled on the ECR message below.
			return ClientError("Fargate requires task definition to have execution role ARN to support log driver awslogs.")
		}
	}
	if ecrImagePattern.MatchString(str(c.Image)) && !hasExecRole {
		// AWS text as quoted (without the period) in users' Terraform.
		return ClientError("Fargate requires task definition to have execution role ARN to support ECR images.")
	}
	return nil
}

// containerError is a ClientException about one container, in AWS's
// "Invalid setting for container '<name>'. ..." form.
func containerError(name, format string, args ...any) *Error {
	return ClientError("Invalid setting for container '%s'. %s", name, fmt.Sprintf(format, args...))
}

// checkVolumes checks volume names (the container-name charset, unique)
// and the one-volume-configured-at-launch rule. A name is required where
// the model says so and otherwise optional.
func (v *tdValidator) checkVolumes() error {
	v.volumes = make(map[string]bool, len(v.req.Volumes))
	atLaunch := 0
	for _, vol := range v.req.Volumes {
		if tdTrue(vol.ConfiguredAtLaunch) {
			atLaunch++
		}
		name := str(vol.Name)
		needsName := vol.EfsVolumeConfiguration != nil || vol.S3filesVolumeConfiguration != nil || tdTrue(vol.ConfiguredAtLaunch)
		switch {
		case name == "" && needsName:
			// berth wording for all volume errors.
			return ClientError("Volume name must be specified for EFS, S3 Files and configured-at-launch volumes.")
		case name == "":
			continue
		case !ValidName(name):
			return ClientError("Invalid volume name '%s'. Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.", name)
		case v.volumes[name]:
			return ClientError("Duplicate volume name '%s'. Volume names must be unique within a task definition.", name)
		}
		v.volumes[name] = true
		if efs := vol.EfsVolumeConfiguration; efs != nil && str(efs.FileSystemId) == "" {
			return ClientError("Volume '%s': efsVolumeConfiguration.fileSystemId must be specified.", name)
		}
		if d := vol.DockerVolumeConfiguration; d != nil {
			if err := checkEnum("dockerVolumeConfiguration.scope", d.Scope, wire.Scope("").Values()); err != nil {
				return err
			}
		}
	}
	if atLaunch > 1 {
		return ClientError("A task definition can have at most one volume configured at launch.")
	}
	return nil
}

// checkPortConflicts rejects two port mappings in the task that bind the
// same host port and protocol. In awsvpc and host mode a mapping binds
// its container port when no host port is given; in bridge mode hostPort
// 0 or absent is dynamic and never conflicts.
func (v *tdValidator) checkPortConflicts() error {
	type binding struct {
		port     int32
		protocol wire.TransportProtocol
	}
	seen := map[binding]bool{}
	static := v.mode == wire.NetworkModeAwsvpc || v.mode == wire.NetworkModeHost
	for _, c := range v.req.ContainerDefinitions {
		for _, p := range c.PortMappings {
			port := tdInt(p.HostPort)
			if port == 0 && static {
				port = tdInt(p.ContainerPort)
			}
			if port == 0 {
				continue
			}
			b := binding{port, p.Protocol}
			if b.protocol == "" {
				b.protocol = wire.TransportProtocolTcp
			}
			if seen[b] {
				// berth wording.
				return containerError(str(c.Name), "Host port %d/%s is used by more than one port mapping in the task definition.", b.port, b.protocol)
			}
			seen[b] = true
		}
	}
	return nil
}

// checkResourceSums compares the containers' reservations with the task
// size: the cpu sum (AWS text) and the memory reserved, which is each
// container's memoryReservation, else its memory ("If you specify
// memoryReservation, then that value is subtracted ... Otherwise, the value
// of memory is used").
func (v *tdValidator) checkResourceSums() error {
	var cpu, memory int64
	for _, c := range v.req.ContainerDefinitions {
		cpu += int64(tdInt(c.Cpu))
		if c.MemoryReservation != nil {
			memory += int64(*c.MemoryReservation)
		} else {
			memory += int64(tdInt(c.Memory))
		}
	}
	if v.size.cpu != 0 && cpu > v.size.cpu {
		return ClientError(msgContainerCPUSum)
	}
	if v.size.memory != 0 && memory > v.size.memory {
		// berth wording, after the cpu message.
		return ClientError("The sum of all container 'memory' values cannot be greater than the value of the task 'memory'.")
	}
	return nil
}

// checkDependencies checks each dependsOn entry, then the graph for cycles.
func (v *tdValidator) checkDependencies() error {
	for _, c := range v.req.ContainerDefinitions {
		for _, d := range c.DependsOn {
			if err := v.checkDependency(str(c.Name), d); err != nil {
				return err
			}
		}
	}
	return v.checkDependencyCycles()
}

func (v *tdValidator) checkDependency(name string, d wire.ContainerDependency) error {
	target := str(d.ContainerName)
	if target == "" {
		// berth wording for the reference errors.
		return containerError(name, "'dependsOn.containerName' must be specified.")
	}
	if err := checkRequiredEnum("dependsOn.condition", d.Condition, wire.ContainerCondition("").Values()); err != nil {
		return err
	}
	if target == name {
		return containerError(name, "A container cannot depend on itself.")
	}
	t, ok := v.byName[target]
	if !ok {
		return containerError(name, "dependsOn names container '%s', which is not in the task definition.", target)
	}
	switch d.Condition {
	case wire.ContainerConditionComplete, wire.ContainerConditionSuccess:
		if isEssential(t) {
			return ClientError(msgDependsOnEssential)
		}
	case wire.ContainerConditionHealthy:
		if !hasHealthCheck(t) {
			return ClientError(msgDependsOnHealthy)
		}
	}
	return nil
}

// hasHealthCheck: a health check whose command is ["NONE"] disables the
// image's check and so cannot report HEALTHY.
func hasHealthCheck(c *wire.ContainerDefinition) bool {
	h := c.HealthCheck
	return h != nil && len(h.Command) > 0 && h.Command[0] != "NONE"
}

// checkDependencyCycles finds a dependsOn cycle by depth-first search, in
// container order, and names it ("a -> b -> a"). berth wording.
func (v *tdValidator) checkDependencyCycles() error {
	const (
		unvisited = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(name string) []string
	visit = func(name string) []string {
		switch state[name] {
		case onPath:
			i := slices.Index(path, name)
			return append(slices.Clone(path[i:]), name)
		case done:
			return nil
		}
		state[name] = onPath
		path = append(path, name)
		for _, d := range v.byName[name].DependsOn {
			if cycle := visit(str(d.ContainerName)); cycle != nil {
				return cycle
			}
		}
		path = path[:len(path)-1]
		state[name] = done
		return nil
	}
	for _, c := range v.req.ContainerDefinitions {
		if cycle := visit(str(c.Name)); cycle != nil {
			return ClientError("Container dependencies contain a cycle: %s.", strings.Join(cycle, " -> "))
		}
	}
	return nil
}

func (v *tdValidator) checkPlacementConstraints() error {
	pcs := v.req.PlacementConstraints
	if len(pcs) > MaxTaskDefinitionPlacementConstraints {
		// berth wording.
		return InvalidParameter("Too many placement constraints: a task definition can have at most %d.", MaxTaskDefinitionPlacementConstraints)
	}
	for _, pc := range pcs {
		if err := checkRequiredEnum("placementConstraints.type", pc.Type, wire.TaskDefinitionPlacementConstraintType("").Values()); err != nil {
			return err
		}
		if strings.TrimSpace(str(pc.Expression)) == "" {
			// berth wording.
			return ClientError("A placement constraint of type memberOf must have an expression.")
		}
	}
	return nil
}

// Ephemeral storage bounds (EphemeralStorage.sizeInGiB).
const (
	minEphemeralStorageGiB = 21
	maxEphemeralStorageGiB = 200
)

// checkTaskExtras checks ephemeralStorage and proxyConfiguration.
func (v *tdValidator) checkTaskExtras() error {
	if es := v.req.EphemeralStorage; es != nil {
		if n := tdInt(es.SizeInGiB); n < minEphemeralStorageGiB || n > maxEphemeralStorageGiB {
			// berth wording.
			return ClientError("Invalid 'ephemeralStorage.sizeInGiB' setting for task. The value must be between %d and %d GiB.", minEphemeralStorageGiB, maxEphemeralStorageGiB)
		}
	}
	if p := v.req.ProxyConfiguration; p != nil {
		name := str(p.ContainerName)
		if _, ok := v.byName[name]; !ok {
			// berth wording.
			return ClientError("proxyConfiguration.containerName '%s' does not name a container in the task definition.", name)
		}
	}
	return nil
}

func tdTrue(p *bool) bool { return p != nil && *p }

func tdInt(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}
