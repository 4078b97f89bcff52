package ecs

import (
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/berth-org/berth/internal/wire"
)

// TaskDefinition is one registered revision as stored.
type TaskDefinition struct {
	Def  wire.TaskDefinition `json:"definition"` // everything registered, echoed verbatim, plus computed fields
	Tags []Tag               `json:"tags,omitempty"`
}

// Family is the revision's family, or "" for a nil definition.
func (t *TaskDefinition) Family() string {
	if t == nil {
		return ""
	}
	return str(t.Def.Family)
}

// Revision is the revision number, or 0 when not set.
func (t *TaskDefinition) Revision() int {
	if t == nil || t.Def.Revision == nil {
		return 0
	}
	return int(*t.Def.Revision)
}

// Status is the revision's status, or "" when not set.
func (t *TaskDefinition) Status() wire.TaskDefinitionStatus {
	if t == nil {
		return ""
	}
	return t.Def.Status
}

// Task definition limits from the ECS model and service quotas.
const (
	// MaxContainersPerTaskDefinition: "At most 10 containers per task
	// definition" (service quota, enforced by RegisterTaskDefinition).
	MaxContainersPerTaskDefinition = 10
	// MaxTaskDefinitionPlacementConstraints: "You can specify a maximum of
	// 10 constraints for each task" (RegisterTaskDefinitionRequest).
	MaxTaskDefinitionPlacementConstraints = 10
	// EC2 and EXTERNAL task-level cpu bounds. The current model
	// (RegisterTaskDefinitionRequest.cpu) says "between 128 CPU units (0.125
	// vCPUs) and 196608 CPU units (192 vCPUs)"; the older 10240 figure in
	// API_Task.html predates larger instance types, and the model is the
	// final word.
	minEC2TaskCPU = 128
	maxEC2TaskCPU = 196608
)

// Health check defaults ECS fills into a registered healthCheck, from the
// HealthCheck member documentation ("The default value is 30 seconds", "The
// default value is 5", "The default value is 3"). startPeriod is "off" by
// default and is not filled.
const (
	defaultHealthCheckInterval = 30
	defaultHealthCheckTimeout  = 5
	defaultHealthCheckRetries  = 3
)

// NewTaskDefinition validates a RegisterTaskDefinition request and returns
// the definition to store, without the identity fields (taskDefinitionArn,
// revision, status, registeredAt, registeredBy), which the caller sets.
//
// Every member the request shares with TaskDefinition is echoed verbatim,
// except:
//   - cpu and memory are normalized to integer strings ("1 vCPU" → "1024",
//     "1GB" → "1024"), as ECS converts them at registration;
//   - defaults ECS reports back are filled in: essential (true), a port
//     mapping's protocol (tcp) and, in awsvpc and host mode, its hostPort
//     (the containerPort), and a health check's interval, timeout and
//     retries (30, 5, 3);
//   - compatibilities and requiresAttributes are derived.
//
// A networkMode the caller left out is not filled in: ECS leaves it absent
// (it means bridge on Linux and <default> on Windows).
func NewTaskDefinition(req *wire.RegisterTaskDefinitionRequest) (wire.TaskDefinition, error) {
	if req == nil {
		req = &wire.RegisterTaskDefinitionRequest{}
	}
	size, err := validateRegisterTaskDefinition(req)
	if err != nil {
		return wire.TaskDefinition{}, err
	}
	def := copyRegistered(req)
	def.Cpu = size.cpuString()
	def.Memory = size.memoryString()
	fillContainerDefaults(def.ContainerDefinitions, def.NetworkMode)
	def.Compatibilities = deriveCompatibilities(req, size)
	def.RequiresAttributes = deriveRequiresAttributes(&def)
	return def, nil
}

// TaskDefinitionTags converts a RegisterTaskDefinition request's tags to
// the stored form. NewTaskDefinition has validated them.
func TaskDefinitionTags(req *wire.RegisterTaskDefinitionRequest) []Tag {
	if req == nil || len(req.Tags) == 0 {
		return nil
	}
	out := make([]Tag, len(req.Tags))
	for i, t := range req.Tags {
		out[i] = Tag{Key: str(t.Key), Value: str(t.Value)}
	}
	return out
}

// registeredFields pairs each RegisterTaskDefinitionRequest field with the
// TaskDefinition field of the same name and type (everything but tags),
// worked out once from the generated types, so the copy keeps up with the
// model as it grows.
var registeredFields = func() [][2]int {
	req, def := reflect.TypeFor[wire.RegisterTaskDefinitionRequest](), reflect.TypeFor[wire.TaskDefinition]()
	var pairs [][2]int
	for i := range req.NumField() {
		f := req.Field(i)
		if g, ok := def.FieldByName(f.Name); ok && g.Type == f.Type {
			pairs = append(pairs, [2]int{i, g.Index[0]})
		}
	}
	return pairs
}()

// copyRegistered copies every member the request shares with
// TaskDefinition. Defaulting later writes into containers, their port
// mappings and health checks, so those get copies of their own and the
// caller's request stays untouched; everything else is shared, unmodified.
func copyRegistered(req *wire.RegisterTaskDefinitionRequest) wire.TaskDefinition {
	var def wire.TaskDefinition
	src, dst := reflect.ValueOf(req).Elem(), reflect.ValueOf(&def).Elem()
	for _, p := range registeredFields {
		dst.Field(p[1]).Set(src.Field(p[0]))
	}
	def.ContainerDefinitions = slices.Clone(def.ContainerDefinitions)
	for i := range def.ContainerDefinitions {
		c := &def.ContainerDefinitions[i]
		c.PortMappings = slices.Clone(c.PortMappings)
		if c.HealthCheck != nil {
			h := *c.HealthCheck
			c.HealthCheck = &h
		}
	}
	return def
}

// fillContainerDefaults writes the defaults ECS reports back for members
// the caller left out. Evidence: DescribeTaskDefinition returns
// "essential": true for containers registered without it (the model's
// example output; moto does the same), "protocol": "tcp" on port mappings,
// hostPort equal to containerPort in awsvpc mode (PortMapping.hostPort: "the
// hostPort is set to the same value as the containerPort") and host mode,
// and interval=30/timeout=5/retries=3 on a health check registered without
// them (eagletmt/hako#56: "DescribeTaskDefinition returns interval=30 even if
// RegisterTaskDefinition is called without" it).
func fillContainerDefaults(containers []wire.ContainerDefinition, mode wire.NetworkMode) {
	for i := range containers {
		c := &containers[i]
		if c.Essential == nil {
			c.Essential = new(true)
		}
		for j := range c.PortMappings {
			p := &c.PortMappings[j]
			if p.Protocol == "" {
				p.Protocol = wire.TransportProtocolTcp
			}
			if p.HostPort == nil && p.ContainerPort != nil && (mode == wire.NetworkModeAwsvpc || mode == wire.NetworkModeHost) {
				p.HostPort = new(*p.ContainerPort)
			}
		}
		if h := c.HealthCheck; h != nil {
			if h.Interval == nil {
				h.Interval = new(int32(defaultHealthCheckInterval))
			}
			if h.Timeout == nil {
				h.Timeout = new(int32(defaultHealthCheckTimeout))
			}
			if h.Retries == nil {
				h.Retries = new(int32(defaultHealthCheckRetries))
			}
		}
	}
}

// taskSize is a task's parsed cpu units and memory MiB; 0 means not set.
type taskSize struct {
	cpu, memory int64
}

func (s taskSize) cpuString() *string    { return sizeString(s.cpu) }
func (s taskSize) memoryString() *string { return sizeString(s.memory) }

func sizeString(n int64) *string {
	if n == 0 {
		return nil
	}
	return new(strconv.FormatInt(n, 10))
}

// Task size forms: a number, optionally followed by a unit. Units are case
// insensitive and may be separated by spaces: "1024", "1 vCPU", "0.5vcpu";
// "2048", "2GB", "0.5 GB", "512 MiB".
var (
	taskCPUPattern    = regexp.MustCompile(`(?i)^\s*([0-9]*\.?[0-9]+)\s*(vcpus?)?\s*$`)
	taskMemoryPattern = regexp.MustCompile(`(?i)^\s*([0-9]*\.?[0-9]+)\s*(gib|gb|mib|mb)?\s*$`)
)

// parseTaskCPU converts a task cpu string to CPU units: an integer is
// units, a vCPU count is multiplied by 1024.
func parseTaskCPU(s string) (int64, bool) {
	m := taskCPUPattern.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	scale := 1.0
	if m[2] != "" {
		scale = 1024
	}
	return scaleSize(m[1], scale)
}

// parseTaskMemory converts a task memory string to MiB: an integer or a
// MiB/MB value is MiB, a GB/GiB value is multiplied by 1024.
func parseTaskMemory(s string) (int64, bool) {
	m := taskMemoryPattern.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	scale := 1.0
	if u := strings.ToLower(m[2]); u == "gb" || u == "gib" {
		scale = 1024
	}
	return scaleSize(m[1], scale)
}

// scaleSize multiplies a decimal number by scale and accepts the result
// only if it is a positive whole number that fits an int32, which is how
// ECS stores it. A plain number (scale 1) must itself be whole.
func scaleSize(num string, scale float64) (int64, bool) {
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, false
	}
	v := f * scale
	if v <= 0 || v > math.MaxInt32 || v != math.Trunc(v) {
		return 0, false
	}
	return int64(v), true
}

// validFargateSize reports whether cpu units and memory MiB are one of the
// Fargate task sizes (RegisterTaskDefinitionRequest.memory; the
// task-cpu-memory-error troubleshooting page has the same table).
func validFargateSize(cpu, memory int64) bool {
	const gb = 1024
	inSteps := func(lo, hi, step int64) bool { return memory >= lo && memory <= hi && memory%step == 0 }
	switch cpu {
	case 256:
		return memory == 512 || memory == gb || memory == 2*gb
	case 512:
		return inSteps(gb, 4*gb, gb)
	case 1024:
		return inSteps(2*gb, 8*gb, gb)
	case 2048:
		return inSteps(4*gb, 16*gb, gb)
	case 4096:
		return inSteps(8*gb, 30*gb, gb)
	case 8192:
		return inSteps(16*gb, 60*gb, 4*gb)
	case 16384:
		return inSteps(32*gb, 120*gb, 8*gb)
	}
	return false
}

// deriveCompatibilities lists the launch types the definition works with.
//
// Order follows what ECS reports: a non-awsvpc definition starts with
// ["EXTERNAL", "EC2"] (LocalStack and real DescribeTaskDefinition output
// for a bridge definition); an awsvpc one starts with ["EC2"], since ECS
// Anywhere (EXTERNAL) does not support awsvpc. The launch types the caller
// asked to be validated against follow in request order, then FARGATE if
// the definition also validates for Fargate. That reproduces the observed
// ["EC2", "FARGATE"] for an awsvpc definition with a Fargate size, and
// ["EC2", "MANAGED_INSTANCES", "FARGATE"] versus ["EC2", "FARGATE",
// "MANAGED_INSTANCES"] for requiresCompatibilities [MANAGED_INSTANCES] and
// [FARGATE, MANAGED_INSTANCES].
func deriveCompatibilities(req *wire.RegisterTaskDefinitionRequest, size taskSize) []wire.Compatibility {
	out := []wire.Compatibility{wire.CompatibilityExternal, wire.CompatibilityEc2}
	if req.NetworkMode == wire.NetworkModeAwsvpc {
		out = []wire.Compatibility{wire.CompatibilityEc2}
	}
	add := func(c wire.Compatibility) {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	for _, c := range req.RequiresCompatibilities {
		add(c)
	}
	if fargateProblem(req, size) == nil {
		add(wire.CompatibilityFargate)
	}
	return out
}

// ECR image references: <account>.dkr.ecr.<region>.amazonaws.com[.cn]/...
var ecrImagePattern = regexp.MustCompile(`^[0-9]{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/`)

// deriveRequiresAttributes lists the container instance attributes the
// definition needs, sorted by name. This is a subset of what ECS derives;
// the names, and the pairings marked in real DescribeTaskDefinition output
// quoted in public repositories (awslogs, execution roles, ECR, task role,
// health checks, memoryReservation, awsvpc), were checked against it:
//
//   - awsvpc → ecs.capability.task-eni
//   - logConfiguration, dockerLabels, ulimits → docker-remote-api.1.18 (the
//     ContainerDefinition docs: "requires version 1.18 of the Docker Remote
//     API"); a log driver → com.amazonaws.ecs.capability.logging-driver.<d>;
//     awslogs also → docker-remote-api.1.19, and with an execution role →
//     ecs.capability.execution-role-awslogs
//   - memoryReservation → docker-remote-api.1.21
//   - initProcessEnabled → docker-remote-api.1.25 (Docker's Init)
//   - healthCheck → ecs.capability.container-health-check; its
//     startPeriod → docker-remote-api.1.29 (Docker's StartPeriod)
//   - taskRoleArn → com.amazonaws.ecs.capability.task-iam-role, and with
//     host networking also task-iam-role-network-host
//   - an ECR image → com.amazonaws.ecs.capability.ecr-auth, and with an
//     execution role ecs.capability.execution-role-ecr-pull
//   - privileged → com.amazonaws.ecs.capability.privileged-container
//   - dependsOn, startTimeout, stopTimeout → ecs.capability.container-ordering
//   - secrets → ecs.capability.secrets.{asm,ssm}.environment-variables, by
//     the valueFrom ARN's service; log secretOptions →
//     ecs.capability.secrets.{asm,ssm}.bootstrap.log-driver
//   - repositoryCredentials →
//     ecs.capability.private-registry-authentication.secretsmanager
//   - environmentFiles → ecs.capability.env-files.s3
//   - firelensConfiguration → ecs.capability.firelens.<type>
//   - proxyConfiguration → ecs.capability.aws-appmesh
//   - inferenceAccelerators → ecs.capability.task-eia
//   - EFS volumes → ecs.capability.efs, plus ecs.capability.efsAuth with
//     IAM authorization, an access point or transit encryption
func deriveRequiresAttributes(def *wire.TaskDefinition) []wire.Attribute {
	set := map[string]bool{}
	add := func(names ...string) {
		for _, n := range names {
			set[n] = true
		}
	}
	addTaskAttributes(def, add)
	for i := range def.ContainerDefinitions {
		addContainerAttributes(def, &def.ContainerDefinitions[i], add)
	}
	if len(set) == 0 {
		return nil
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]wire.Attribute, len(names))
	for i, n := range names {
		out[i] = wire.Attribute{Name: new(n)}
	}
	return out
}

const (
	capPrefix    = "com.amazonaws.ecs.capability."
	dockerAPI    = capPrefix + "docker-remote-api."
	newCapPrefix = "ecs.capability."
)

func addTaskAttributes(def *wire.TaskDefinition, add func(...string)) {
	if def.NetworkMode == wire.NetworkModeAwsvpc {
		add(newCapPrefix + "task-eni")
	}
	if str(def.TaskRoleArn) != "" {
		add(capPrefix + "task-iam-role")
		if def.NetworkMode == wire.NetworkModeHost {
			add(capPrefix + "task-iam-role-network-host")
		}
	}
	if def.ProxyConfiguration != nil {
		add(newCapPrefix + "aws-appmesh")
	}
	if len(def.InferenceAccelerators) > 0 {
		add(newCapPrefix + "task-eia")
	}
	for _, v := range def.Volumes {
		efs := v.EfsVolumeConfiguration
		if efs == nil {
			continue
		}
		add(newCapPrefix + "efs")
		auth := efs.AuthorizationConfig
		if efs.TransitEncryption == wire.EFSTransitEncryptionEnabled ||
			(auth != nil && (auth.Iam == wire.EFSAuthorizationConfigIAMEnabled || str(auth.AccessPointId) != "")) {
			add(newCapPrefix + "efsAuth")
		}
	}
}

func addContainerAttributes(def *wire.TaskDefinition, c *wire.ContainerDefinition, add func(...string)) {
	hasExecRole := str(def.ExecutionRoleArn) != ""
	if lc := c.LogConfiguration; lc != nil {
		add(dockerAPI+"1.18", capPrefix+"logging-driver."+string(lc.LogDriver))
		if lc.LogDriver == wire.LogDriverAwslogs {
			add(dockerAPI + "1.19")
			if hasExecRole {
				add(newCapPrefix + "execution-role-awslogs")
			}
		}
		for _, s := range lc.SecretOptions {
			add(newCapPrefix + "secrets." + secretStore(s.ValueFrom) + ".bootstrap.log-driver")
		}
	}
	if len(c.DockerLabels) > 0 || len(c.Ulimits) > 0 {
		add(dockerAPI + "1.18")
	}
	if c.MemoryReservation != nil {
		add(dockerAPI + "1.21")
	}
	if lp := c.LinuxParameters; lp != nil && lp.InitProcessEnabled != nil && *lp.InitProcessEnabled {
		add(dockerAPI + "1.25")
	}
	if h := c.HealthCheck; h != nil {
		add(newCapPrefix + "container-health-check")
		if h.StartPeriod != nil {
			add(dockerAPI + "1.29")
		}
	}
	if ecrImagePattern.MatchString(str(c.Image)) {
		add(capPrefix + "ecr-auth")
		if hasExecRole {
			add(newCapPrefix + "execution-role-ecr-pull")
		}
	}
	if c.Privileged != nil && *c.Privileged {
		add(capPrefix + "privileged-container")
	}
	if len(c.DependsOn) > 0 || c.StartTimeout != nil || c.StopTimeout != nil {
		add(newCapPrefix + "container-ordering")
	}
	for _, s := range c.Secrets {
		add(newCapPrefix + "secrets." + secretStore(s.ValueFrom) + ".environment-variables")
	}
	if c.RepositoryCredentials != nil {
		add(newCapPrefix + "private-registry-authentication.secretsmanager")
	}
	if len(c.EnvironmentFiles) > 0 {
		add(newCapPrefix + "env-files.s3")
	}
	if fc := c.FirelensConfiguration; fc != nil && fc.Type != "" {
		add(newCapPrefix + "firelens." + string(fc.Type))
	}
}

// secretStore names the service a secret's valueFrom reads from: "asm" for
// a Secrets Manager ARN, otherwise "ssm" (a Parameter Store ARN or name).
func secretStore(valueFrom *string) string {
	if strings.Contains(str(valueFrom), ":secretsmanager:") {
		return "asm"
	}
	return "ssm"
}
