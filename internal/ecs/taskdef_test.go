package ecs

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/berth-org/berth/internal/wire"
)

// validReq is a valid EC2 request (one container "app" with 256 MiB) with
// mods applied.
func validReq(mods ...func(r *wire.RegisterTaskDefinitionRequest)) *wire.RegisterTaskDefinitionRequest {
	r := &wire.RegisterTaskDefinitionRequest{
		Family:               new("web"),
		ContainerDefinitions: []wire.ContainerDefinition{ctr("app")},
	}
	for _, m := range mods {
		m(r)
	}
	return r
}

// fargateReq is a valid Fargate request: awsvpc, 256 CPU units, 512 MiB.
func fargateReq(mods ...func(r *wire.RegisterTaskDefinitionRequest)) *wire.RegisterTaskDefinitionRequest {
	base := func(r *wire.RegisterTaskDefinitionRequest) {
		r.RequiresCompatibilities = []wire.Compatibility{wire.CompatibilityFargate}
		r.NetworkMode = wire.NetworkModeAwsvpc
		r.Cpu, r.Memory = new("256"), new("512")
		r.ContainerDefinitions[0].Memory = nil
	}
	return validReq(append([]func(*wire.RegisterTaskDefinitionRequest){base}, mods...)...)
}

// ctr is a container with a name, an image and 128 MiB.
func ctr(name string) wire.ContainerDefinition {
	return wire.ContainerDefinition{Name: new(name), Image: new("nginx:1.27"), Memory: new(int32(128))}
}

// app edits the first container.
func app(f func(c *wire.ContainerDefinition)) func(*wire.RegisterTaskDefinitionRequest) {
	return func(r *wire.RegisterTaskDefinitionRequest) { f(&r.ContainerDefinitions[0]) }
}

// with appends containers.
func with(cs ...wire.ContainerDefinition) func(*wire.RegisterTaskDefinitionRequest) {
	return func(r *wire.RegisterTaskDefinitionRequest) {
		r.ContainerDefinitions = append(r.ContainerDefinitions, cs...)
	}
}

func mode(m wire.NetworkMode) func(*wire.RegisterTaskDefinitionRequest) {
	return func(r *wire.RegisterTaskDefinitionRequest) { r.NetworkMode = m }
}

func size(cpu, memory string) func(*wire.RegisterTaskDefinitionRequest) {
	return func(r *wire.RegisterTaskDefinitionRequest) {
		r.Cpu, r.Memory = nil, nil
		if cpu != "" {
			r.Cpu = new(cpu)
		}
		if memory != "" {
			r.Memory = new(memory)
		}
	}
}

func port(container, host int32) wire.PortMapping {
	p := wire.PortMapping{ContainerPort: new(container)}
	if host >= 0 {
		p.HostPort = new(host)
	}
	return p
}

func i32(n int32) *int32 { return new(n) }

const fakeSHA = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

type errCase struct {
	name string
	req  *wire.RegisterTaskDefinitionRequest
	code Code
	msg  string
}

func runErrCases(t *testing.T, cases []errCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewTaskDefinition(tc.req)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want %s: %s", err, tc.code, tc.msg)
			}
			if e.Code != tc.code || e.Message != tc.msg {
				t.Errorf("got  %s: %s\nwant %s: %s", e.Code, e.Message, tc.code, tc.msg)
			}
		})
	}
}

func TestNewTaskDefinitionTaskLevelErrors(t *testing.T) {
	tooManyTags := make([]wire.Tag, 51)
	for i := range tooManyTags {
		tooManyTags[i] = wire.Tag{Key: new(fmt.Sprint("k", i)), Value: new("v")}
	}
	eleven := make([]wire.ContainerDefinition, 11)
	for i := range eleven {
		eleven[i] = ctr(fmt.Sprint("c", i))
	}
	pcs := make([]wire.TaskDefinitionPlacementConstraint, 11)
	for i := range pcs {
		pcs[i] = wire.TaskDefinitionPlacementConstraint{Type: wire.TaskDefinitionPlacementConstraintTypeMemberOf, Expression: new("attribute:x == y")}
	}
	runErrCases(t, []errCase{
		{"nil request", nil, CodeClient, "Family can not be blank."},
		{"V1 family missing", validReq(func(r *wire.RegisterTaskDefinitionRequest) { r.Family = nil }), CodeClient, "Family can not be blank."},
		{"V1 family empty", validReq(func(r *wire.RegisterTaskDefinitionRequest) { r.Family = new("") }), CodeClient, "Family can not be blank."},
		{"V1 family a@b", validReq(func(r *wire.RegisterTaskDefinitionRequest) { r.Family = new("a@b") }), CodeClient, "Family contains invalid characters."},
		{"family with colon", validReq(func(r *wire.RegisterTaskDefinitionRequest) { r.Family = new("web:1") }), CodeClient, "Family contains invalid characters."},
		{"V1 family 256 chars", validReq(func(r *wire.RegisterTaskDefinitionRequest) { r.Family = new(strings.Repeat("f", 256)) }), CodeClient, "Family name must be between 1 and 255 characters."},
		{"51 tags", validReq(func(r *wire.RegisterTaskDefinitionRequest) { r.Tags = tooManyTags }), CodeInvalidParameter, "A resource can have at most 50 tags; this request has 51."},
		{"tag without key", validReq(func(r *wire.RegisterTaskDefinitionRequest) { r.Tags = []wire.Tag{{Value: new("v")}} }), CodeInvalidParameter, "Tag keys must be between 1 and 128 characters long."},
		{"reserved tag key", validReq(func(r *wire.RegisterTaskDefinitionRequest) { r.Tags = []wire.Tag{{Key: new("aws:x")}} }), CodeInvalidParameter, `Tag keys beginning with 'aws:' are reserved for system use: "aws:x".`},
		{"unknown compatibility", validReq(func(r *wire.RegisterTaskDefinitionRequest) {
			r.RequiresCompatibilities = []wire.Compatibility{"LAMBDA"}
		}), CodeInvalidParameter, "Invalid value 'LAMBDA' for requiresCompatibilities. Valid values: EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES."},
		{"empty compatibility", validReq(func(r *wire.RegisterTaskDefinitionRequest) { r.RequiresCompatibilities = []wire.Compatibility{""} }), CodeInvalidParameter, "Invalid value '(empty)' for requiresCompatibilities. Valid values: EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES."},
		{"unknown network mode", validReq(mode("nat")), CodeInvalidParameter, "Invalid value 'nat' for networkMode. Valid values: bridge, host, awsvpc, none."},
		{"unknown pidMode", validReq(func(r *wire.RegisterTaskDefinitionRequest) { r.PidMode = "shared" }), CodeInvalidParameter, "Invalid value 'shared' for pidMode. Valid values: host, task."},
		{"unknown ipcMode", validReq(func(r *wire.RegisterTaskDefinitionRequest) { r.IpcMode = "shareable" }), CodeInvalidParameter, "Invalid value 'shareable' for ipcMode. Valid values: host, task, none."},
		{"unknown cpu architecture", validReq(func(r *wire.RegisterTaskDefinitionRequest) {
			r.RuntimePlatform = &wire.RuntimePlatform{CpuArchitecture: "RISCV"}
		}), CodeInvalidParameter, "Invalid value 'RISCV' for runtimePlatform.cpuArchitecture. Valid values: X86_64, ARM64."},
		{"unknown proxy type", validReq(func(r *wire.RegisterTaskDefinitionRequest) {
			r.ProxyConfiguration = &wire.ProxyConfiguration{ContainerName: new("app"), Type: "ISTIO"}
		}), CodeInvalidParameter, "Invalid value 'ISTIO' for proxyConfiguration.type. Valid values: APPMESH."},
		{"cpu not a number", validReq(size("lots", "")), CodeInvalidParameter, "Invalid 'cpu' setting for task."},
		{"cpu empty string", validReq(size("", ""), func(r *wire.RegisterTaskDefinitionRequest) { r.Cpu = new("") }), CodeInvalidParameter, "Invalid 'cpu' setting for task."},
		{"cpu fractional units", validReq(size("1024.5", "")), CodeInvalidParameter, "Invalid 'cpu' setting for task."},
		{"cpu vCPU not whole units", validReq(size("0.1 vCPU", "")), CodeInvalidParameter, "Invalid 'cpu' setting for task."},
		{"cpu zero", validReq(size("0", "")), CodeInvalidParameter, "Invalid 'cpu' setting for task."},
		{"cpu negative", validReq(size("-256", "")), CodeInvalidParameter, "Invalid 'cpu' setting for task."},
		{"memory in TB", validReq(size("", "1 TB")), CodeInvalidParameter, "Invalid 'memory' setting for task."},
		{"memory zero", validReq(size("", "0")), CodeInvalidParameter, "Invalid 'memory' setting for task."},
		{"memory overflows int32", validReq(size("", "3000000 GB")), CodeInvalidParameter, "Invalid 'memory' setting for task."},
		{"EC2 cpu below 128", validReq(size("64", "")), CodeClient, "Invalid 'cpu' setting for task."},
		{"EC2 cpu above 196608", validReq(size("196609", "")), CodeClient, "Invalid 'cpu' setting for task."},
		{"V4 no containers", validReq(func(r *wire.RegisterTaskDefinitionRequest) { r.ContainerDefinitions = nil }), CodeClient, "Container list cannot be empty."},
		{"V4 11 containers", validReq(func(r *wire.RegisterTaskDefinitionRequest) { r.ContainerDefinitions = eleven }), CodeClient, "Too many containers."},
		{"no essential container", validReq(app(func(c *wire.ContainerDefinition) { c.Essential = new(false) })), CodeClient, "Task definition doesn't have any essential container."},
		{"11 placement constraints", validReq(func(r *wire.RegisterTaskDefinitionRequest) { r.PlacementConstraints = pcs }), CodeInvalidParameter, "Too many placement constraints: a task definition can have at most 10."},
		{"placement constraint type", validReq(func(r *wire.RegisterTaskDefinitionRequest) {
			r.PlacementConstraints = []wire.TaskDefinitionPlacementConstraint{{Type: "distinctInstance"}}
		}), CodeInvalidParameter, "Invalid value 'distinctInstance' for placementConstraints.type. Valid values: memberOf."},
		{"placement constraint without expression", validReq(func(r *wire.RegisterTaskDefinitionRequest) {
			r.PlacementConstraints = []wire.TaskDefinitionPlacementConstraint{{Type: wire.TaskDefinitionPlacementConstraintTypeMemberOf}}
		}), CodeClient, "A placement constraint of type memberOf must have an expression."},
		{"ephemeral storage 20", validReq(func(r *wire.RegisterTaskDefinitionRequest) {
			r.EphemeralStorage = &wire.EphemeralStorage{SizeInGiB: i32(20)}
		}), CodeClient, "Invalid 'ephemeralStorage.sizeInGiB' setting for task. The value must be between 21 and 200 GiB."},
		{"ephemeral storage 201", validReq(func(r *wire.RegisterTaskDefinitionRequest) {
			r.EphemeralStorage = &wire.EphemeralStorage{SizeInGiB: i32(201)}
		}), CodeClient, "Invalid 'ephemeralStorage.sizeInGiB' setting for task. The value must be between 21 and 200 GiB."},
		{"ephemeral storage without size", validReq(func(r *wire.RegisterTaskDefinitionRequest) { r.EphemeralStorage = &wire.EphemeralStorage{} }), CodeClient, "Invalid 'ephemeralStorage.sizeInGiB' setting for task. The value must be between 21 and 200 GiB."},
		{"proxy names unknown container", validReq(func(r *wire.RegisterTaskDefinitionRequest) {
			r.ProxyConfiguration = &wire.ProxyConfiguration{ContainerName: new("envoy")}
		}), CodeClient, "proxyConfiguration.containerName 'envoy' does not name a container in the task definition."},
		{"external with awsvpc", validReq(mode(wire.NetworkModeAwsvpc), func(r *wire.RegisterTaskDefinitionRequest) {
			r.RequiresCompatibilities = []wire.Compatibility{wire.CompatibilityExternal}
		}), CodeClient, "Tasks using the External launch type do not support network mode 'awsvpc'."},
	})
}

func TestNewTaskDefinitionContainerIdentityErrors(t *testing.T) {
	runErrCases(t, []errCase{
		{"V2 name missing", validReq(app(func(c *wire.ContainerDefinition) { c.Name = nil })), CodeClient, "Container.name should not be null or empty."},
		{"V2 name empty", validReq(app(func(c *wire.ContainerDefinition) { c.Name = new("") })), CodeClient, "Container.name should not be null or empty."},
		{"V2 name invalid", validReq(app(func(c *wire.ContainerDefinition) { c.Name = new("my app") })), CodeClient, "Container.name contains invalid characters."},
		{"name 256 chars", validReq(app(func(c *wire.ContainerDefinition) { c.Name = new(strings.Repeat("n", 256)) })), CodeClient, "Container.name must be at most 255 characters."},
		{"duplicate names", validReq(with(ctr("app"))), CodeClient, "Duplicate container name 'app'. Container names must be unique within a task definition."},
		{"V3 image missing", validReq(app(func(c *wire.ContainerDefinition) { c.Image = nil })), CodeClient, "Container.image should not be null or empty."},
		{"V3 image empty", validReq(app(func(c *wire.ContainerDefinition) { c.Image = new("") })), CodeClient, "Container.image should not be null or empty."},
		{"image unexpanded variable", validReq(app(func(c *wire.ContainerDefinition) { c.Image = new("$IMAGE_NAME") })), CodeClient, "Container.image contains invalid characters."},
		{"image trailing space", validReq(app(func(c *wire.ContainerDefinition) { c.Image = new("nginx:1.27 ") })), CodeClient, "Container.image contains invalid characters."},
		{"image control character", validReq(app(func(c *wire.ContainerDefinition) { c.Image = new("nginx\x00") })), CodeClient, "Container.image contains invalid characters."},
		{"image short digest", validReq(app(func(c *wire.ContainerDefinition) { c.Image = new("nginx@sha256:abc") })), CodeClient, "Container.image contains invalid characters."},
		{"image md5 digest", validReq(app(func(c *wire.ContainerDefinition) { c.Image = new("nginx@md5:" + fakeSHA) })), CodeClient, "Container.image contains invalid characters."},
		{"image only digest", validReq(app(func(c *wire.ContainerDefinition) { c.Image = new("@sha256:" + fakeSHA) })), CodeClient, "Container.image contains invalid characters."},
		{"image 256 chars", validReq(app(func(c *wire.ContainerDefinition) { c.Image = new(strings.Repeat("i", 256)) })), CodeClient, "Container.image must be at most 255 characters (before any @digest)."},
	})
}

func TestNewTaskDefinitionResourceErrors(t *testing.T) {
	runErrCases(t, []errCase{
		{"V5 EC2 no memory anywhere", validReq(app(func(c *wire.ContainerDefinition) { c.Memory = nil }), func(r *wire.RegisterTaskDefinitionRequest) {
			r.RequiresCompatibilities = []wire.Compatibility{wire.CompatibilityEc2}
		}), CodeClient, "Invalid setting for container 'app'. At least one of 'memory' or 'memoryReservation' must be specified."},
		{"no memory, no launch type", validReq(with(wire.ContainerDefinition{Name: new("side"), Image: new("busybox")})), CodeClient, "Invalid setting for container 'side'. At least one of 'memory' or 'memoryReservation' must be specified."},
		{"memory below reservation", validReq(app(func(c *wire.ContainerDefinition) { c.MemoryReservation = i32(512) })), CodeClient, "Invalid setting for container 'app'. 'memory' must be greater than or equal to 'memoryReservation'."},
		{"memory below 6 MiB", validReq(app(func(c *wire.ContainerDefinition) { c.Memory = i32(4) })), CodeClient, "Invalid 'memory' setting for container 'app'. The minimum memory for a container is 6 MiB."},
		{"memoryReservation below 6 MiB", validReq(app(func(c *wire.ContainerDefinition) { c.Memory, c.MemoryReservation = nil, i32(5) })), CodeClient, "Invalid 'memoryReservation' setting for container 'app'. The minimum memory for a container is 6 MiB."},
		{"container memory above task", validReq(size("", "512"), app(func(c *wire.ContainerDefinition) { c.Memory = i32(1024) })), CodeClient, "The 'memory' setting for container 'app' is greater than for the task."},
		{"container reservation above task", validReq(size("", "512"), app(func(c *wire.ContainerDefinition) { c.Memory, c.MemoryReservation = nil, i32(600) })), CodeClient, "The 'memoryReservation' setting for container 'app' is greater than for the task."},
		{"memory sum above task", validReq(size("", "512"), app(func(c *wire.ContainerDefinition) { c.Memory = i32(300) }), with(ctr("side")), func(r *wire.RegisterTaskDefinitionRequest) {
			r.ContainerDefinitions[1].Memory, r.ContainerDefinitions[1].MemoryReservation = i32(512), i32(256)
		}), CodeClient, "The sum of all container 'memory' values cannot be greater than the value of the task 'memory'."},
		{"cpu sum above task", validReq(size("256", ""), app(func(c *wire.ContainerDefinition) { c.Cpu = i32(200) }), with(ctr("side")), func(r *wire.RegisterTaskDefinitionRequest) {
			r.ContainerDefinitions[1].Cpu = i32(100)
		}), CodeClient, "The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'."},
		{"container cpu negative", validReq(app(func(c *wire.ContainerDefinition) { c.Cpu = i32(-1) })), CodeClient, "Invalid setting for container 'app'. 'cpu' must not be negative."},
		{"startTimeout negative", validReq(app(func(c *wire.ContainerDefinition) { c.StartTimeout = i32(-1) })), CodeClient, "Invalid setting for container 'app'. 'startTimeout' must not be negative."},
		{"stopTimeout negative", validReq(app(func(c *wire.ContainerDefinition) { c.StopTimeout = i32(-5) })), CodeClient, "Invalid setting for container 'app'. 'stopTimeout' must not be negative."},
		{"ulimit unknown name", validReq(app(func(c *wire.ContainerDefinition) {
			c.Ulimits = []wire.Ulimit{{Name: "files", SoftLimit: i32(1), HardLimit: i32(1)}}
		})), CodeInvalidParameter,
			"Invalid value 'files' for ulimits.name. Valid values: core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack."},
		{"ulimit without limits", validReq(app(func(c *wire.ContainerDefinition) {
			c.Ulimits = []wire.Ulimit{{Name: wire.UlimitNameNofile, SoftLimit: i32(1)}}
		})), CodeClient, "Invalid setting for container 'app'. Ulimit 'nofile' must specify 'softLimit' and 'hardLimit'."},
		{"ulimit soft above hard", validReq(app(func(c *wire.ContainerDefinition) {
			c.Ulimits = []wire.Ulimit{{Name: wire.UlimitNameNofile, SoftLimit: i32(2048), HardLimit: i32(1024)}}
		})), CodeClient, "Invalid setting for container 'app'. Ulimit 'nofile' has a 'softLimit' greater than its 'hardLimit'."},
		{"resource type unknown", validReq(app(func(c *wire.ContainerDefinition) {
			c.ResourceRequirements = []wire.ResourceRequirement{{Type: "TPU", Value: new("1")}}
		})), CodeInvalidParameter,
			"Invalid value 'TPU' for resourceRequirements.type. Valid values: GPU, InferenceAccelerator."},
		{"resource type missing", validReq(app(func(c *wire.ContainerDefinition) {
			c.ResourceRequirements = []wire.ResourceRequirement{{Value: new("1")}}
		})), CodeInvalidParameter,
			"Invalid value '(empty)' for resourceRequirements.type. Valid values: GPU, InferenceAccelerator."},
		{"resource value missing", validReq(app(func(c *wire.ContainerDefinition) {
			c.ResourceRequirements = []wire.ResourceRequirement{{Type: wire.ResourceTypeGpu}}
		})), CodeClient, "Invalid setting for container 'app'. 'resourceRequirements.value' must be specified."},
		{"GPU count zero", validReq(app(func(c *wire.ContainerDefinition) {
			c.ResourceRequirements = []wire.ResourceRequirement{{Type: wire.ResourceTypeGpu, Value: new("0")}}
		})), CodeClient, "Invalid setting for container 'app'. The GPU resource requirement must be a positive whole number of GPUs."},
		{"unknown accelerator", validReq(app(func(c *wire.ContainerDefinition) {
			c.ResourceRequirements = []wire.ResourceRequirement{{Type: wire.ResourceTypeInferenceAccelerator, Value: new("eia1")}}
		})), CodeClient, "Invalid setting for container 'app'. InferenceAccelerator 'eia1' is not a deviceName in the task's inferenceAccelerators."},
	})
}

func TestNewTaskDefinitionFargateErrors(t *testing.T) {
	runErrCases(t, []errCase{
		{"V6 cpu 256 memory 4096", fargateReq(size("256", "4096")), CodeClient, "Invalid 'cpu' setting for task."},
		{"cpu 1024 memory 1024", fargateReq(size("1024", "1GB")), CodeClient, "Invalid 'cpu' setting for task."},
		{"cpu 8192 memory off the 4 GB step", fargateReq(size("8 vCPU", "18GB")), CodeClient, "Invalid 'cpu' setting for task."},
		{"cpu 128 not a Fargate size", fargateReq(size("128", "512")), CodeClient, "Invalid 'cpu' setting for task."},
		{"bridge network mode", fargateReq(mode(wire.NetworkModeBridge)), CodeClient, "Fargate only supports network mode ‘awsvpc’."},
		{"network mode omitted", fargateReq(mode("")), CodeClient, "Fargate only supports network mode ‘awsvpc’."},
		{"no task cpu", fargateReq(size("", "512")), CodeClient, "Fargate requires that 'cpu' be defined at the task level."},
		{"no task memory", fargateReq(size("256", "")), CodeClient, "Fargate requires that 'memory' be defined at the task level."},
		{"V7 pidMode host", fargateReq(func(r *wire.RegisterTaskDefinitionRequest) { r.PidMode = wire.PidModeHost }), CodeClient,
			"Tasks using the Fargate launch type do not support pidMode 'host'. The supported value for pidMode is 'task'."},
		{"ipcMode", fargateReq(func(r *wire.RegisterTaskDefinitionRequest) { r.IpcMode = wire.IpcModeTask }), CodeClient, "Tasks using the Fargate launch type do not support ipcMode 'task'."},
		{"privileged", fargateReq(app(func(c *wire.ContainerDefinition) { c.Privileged = new(true) })), CodeClient,
			"Tasks using the Fargate launch type do not support privileged containers: container 'app' is privileged."},
		{"stopTimeout 121", fargateReq(app(func(c *wire.ContainerDefinition) { c.StopTimeout = i32(121) })), CodeClient,
			"Invalid setting for container 'app'. Tasks using the Fargate launch type support a 'stopTimeout' between 2 and 120 seconds."},
		{"startTimeout 1", fargateReq(app(func(c *wire.ContainerDefinition) { c.StartTimeout = i32(1) })), CodeClient,
			"Invalid setting for container 'app'. Tasks using the Fargate launch type support a 'startTimeout' between 2 and 120 seconds."},
		{"json-file log driver", fargateReq(app(func(c *wire.ContainerDefinition) {
			c.LogConfiguration = &wire.LogConfiguration{LogDriver: wire.LogDriverJsonFile}
		})), CodeClient,
			"Log driver json-file is not supported for tasks using the Fargate launch type. Supported log drivers: awslogs, splunk, awsfirelens."},
		{"awslogs without execution role", fargateReq(app(func(c *wire.ContainerDefinition) { c.LogConfiguration = awslogs() })), CodeClient,
			"Fargate requires task definition to have execution role ARN to support log driver awslogs."},
		{"ECR image without execution role", fargateReq(app(func(c *wire.ContainerDefinition) { c.Image = new("123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:1") })), CodeClient,
			"Fargate requires task definition to have execution role ARN to support ECR images."},
		{"host volume with sourcePath", fargateReq(func(r *wire.RegisterTaskDefinitionRequest) {
			r.Volumes = []wire.Volume{{Name: new("data"), Host: &wire.HostVolumeProperties{SourcePath: new("/srv")}}}
		}), CodeClient, "Tasks using the Fargate launch type do not support host volumes with a sourcePath: volume 'data'."},
		{"docker volume", fargateReq(func(r *wire.RegisterTaskDefinitionRequest) {
			r.Volumes = []wire.Volume{{Name: new("data"), DockerVolumeConfiguration: &wire.DockerVolumeConfiguration{}}}
		}), CodeClient, "Tasks using the Fargate launch type do not support dockerVolumeConfiguration: volume 'data'."},
	})
}

func awslogs() *wire.LogConfiguration {
	return &wire.LogConfiguration{LogDriver: wire.LogDriverAwslogs, Options: map[string]string{"awslogs-group": "/ecs/web", "awslogs-region": "eu-west-1"}}
}

func TestNewTaskDefinitionPortErrors(t *testing.T) {
	ports := func(ps ...wire.PortMapping) func(*wire.RegisterTaskDefinitionRequest) {
		return app(func(c *wire.ContainerDefinition) { c.PortMappings = ps })
	}
	side := func() wire.ContainerDefinition {
		c := ctr("side")
		c.PortMappings = []wire.PortMapping{port(80, -1)}
		return c
	}
	runErrCases(t, []errCase{
		{"awsvpc host port differs", validReq(mode(wire.NetworkModeAwsvpc), ports(port(80, 8080))), CodeClient, "When networkMode=awsvpc, the host ports and container ports in port mappings must match."},
		{"host mode host port differs", validReq(mode(wire.NetworkModeHost), ports(port(80, 8080))), CodeClient, "When networkMode=host, the host ports and container ports in port mappings must match."},
		{"none mode with port mappings", validReq(mode(wire.NetworkModeNone), ports(port(80, -1))), CodeClient, "Port mappings are not supported when networkMode=none."},
		{"container port 0", validReq(ports(port(0, -1))), CodeClient, "Invalid setting for container 'app'. 'containerPort' must be between 1 and 65535."},
		{"container port 65536", validReq(ports(port(65536, -1))), CodeClient, "Invalid setting for container 'app'. 'containerPort' must be between 1 and 65535."},
		{"no container port", validReq(ports(wire.PortMapping{HostPort: i32(80)})), CodeClient, "Invalid setting for container 'app'. A port mapping must specify 'containerPort' or 'containerPortRange'."},
		{"host port negative", validReq(ports(wire.PortMapping{ContainerPort: i32(80), HostPort: i32(-1)})), CodeClient, "Invalid setting for container 'app'. 'hostPort' must be between 0 and 65535."},
		{"host port 65536", validReq(ports(port(80, 65536))), CodeClient, "Invalid setting for container 'app'. 'hostPort' must be between 0 and 65535."},
		{"protocol sctp", validReq(ports(wire.PortMapping{ContainerPort: i32(80), Protocol: "sctp"})), CodeInvalidParameter, "Invalid value 'sctp' for portMappings.protocol. Valid values: tcp, udp."},
		{"app protocol", validReq(ports(wire.PortMapping{ContainerPort: i32(80), AppProtocol: "ftp"})), CodeInvalidParameter, "Invalid value 'ftp' for portMappings.appProtocol. Valid values: http, http2, grpc."},
		{"bridge duplicate host port", validReq(ports(port(80, 8080)), with(side()), func(r *wire.RegisterTaskDefinitionRequest) {
			r.ContainerDefinitions[1].PortMappings[0].HostPort = i32(8080)
		}),
			CodeClient, "Invalid setting for container 'side'. Host port 8080/tcp is used by more than one port mapping in the task definition."},
		{"awsvpc duplicate container port", validReq(mode(wire.NetworkModeAwsvpc), ports(port(80, -1)), with(side())),
			CodeClient, "Invalid setting for container 'side'. Host port 80/tcp is used by more than one port mapping in the task definition."},
		{"port range reversed", validReq(ports(wire.PortMapping{ContainerPortRange: new("9000-8000")})), CodeClient,
			`Invalid setting for container 'app'. 'containerPortRange' must be "first-last", with 1 <= first < last <= 65535.`},
		{"port range not a range", validReq(ports(wire.PortMapping{ContainerPortRange: new("8000")})), CodeClient,
			`Invalid setting for container 'app'. 'containerPortRange' must be "first-last", with 1 <= first < last <= 65535.`},
		{"port range with container port", validReq(ports(wire.PortMapping{ContainerPortRange: new("8000-8010"), ContainerPort: i32(8000)})), CodeClient,
			"Invalid setting for container 'app'. A port mapping with 'containerPortRange' must not set 'containerPort' or 'hostPort'."},
		{"port range in host mode", validReq(mode(wire.NetworkModeHost), ports(wire.PortMapping{ContainerPortRange: new("8000-8010")})), CodeClient,
			"Invalid setting for container 'app'. 'containerPortRange' requires the bridge or awsvpc network mode."},
		{"awsvpc links", validReq(mode(wire.NetworkModeAwsvpc), with(ctr("db")), app(func(c *wire.ContainerDefinition) { c.Links = []string{"db"} })), CodeClient, "Links are not supported when networkMode=awsvpc."},
		{"host mode links", validReq(mode(wire.NetworkModeHost), with(ctr("db")), app(func(c *wire.ContainerDefinition) { c.Links = []string{"db"} })), CodeClient, "Links are not supported when networkMode=host."},
		{"link to unknown container", validReq(app(func(c *wire.ContainerDefinition) { c.Links = []string{"db:database"} })), CodeClient, "Invalid setting for container 'app'. Link 'db:database' does not name another container in the task definition."},
		{"awsvpc hostname", validReq(mode(wire.NetworkModeAwsvpc), app(func(c *wire.ContainerDefinition) { c.Hostname = new("web") })), CodeClient, "Hostname is not supported when networkMode=awsvpc."},
		{"awsvpc extra hosts", validReq(mode(wire.NetworkModeAwsvpc), app(func(c *wire.ContainerDefinition) {
			c.ExtraHosts = []wire.HostEntry{{Hostname: new("db"), IpAddress: new("10.0.0.1")}}
		})), CodeClient, "Extra hosts are not supported when networkMode=awsvpc."},
	})
}

func TestNewTaskDefinitionHealthCheckErrors(t *testing.T) {
	hc := func(f func(h *wire.HealthCheck)) func(*wire.RegisterTaskDefinitionRequest) {
		return app(func(c *wire.ContainerDefinition) {
			c.HealthCheck = &wire.HealthCheck{Command: []string{"CMD-SHELL", "curl -f http://localhost/ || exit 1"}}
			f(c.HealthCheck)
		})
	}
	const p = "Invalid setting for container 'app'. "
	runErrCases(t, []errCase{
		{"V8 interval 4", validReq(hc(func(h *wire.HealthCheck) { h.Interval = i32(4) })), CodeClient, p + "'healthCheck.interval' must be between 5 and 300 seconds."},
		{"V8 interval 301", validReq(hc(func(h *wire.HealthCheck) { h.Interval = i32(301) })), CodeClient, p + "'healthCheck.interval' must be between 5 and 300 seconds."},
		{"V8 timeout 1", validReq(hc(func(h *wire.HealthCheck) { h.Timeout = i32(1) })), CodeClient, p + "'healthCheck.timeout' must be between 2 and 60 seconds."},
		{"V8 timeout 61", validReq(hc(func(h *wire.HealthCheck) { h.Timeout = i32(61) })), CodeClient, p + "'healthCheck.timeout' must be between 2 and 60 seconds."},
		{"V8 retries 0", validReq(hc(func(h *wire.HealthCheck) { h.Retries = i32(0) })), CodeClient, p + "'healthCheck.retries' must be between 1 and 10."},
		{"V8 retries 11", validReq(hc(func(h *wire.HealthCheck) { h.Retries = i32(11) })), CodeClient, p + "'healthCheck.retries' must be between 1 and 10."},
		{"V8 startPeriod 301", validReq(hc(func(h *wire.HealthCheck) { h.StartPeriod = i32(301) })), CodeClient, p + "'healthCheck.startPeriod' must be between 0 and 300 seconds."},
		{"startPeriod negative", validReq(hc(func(h *wire.HealthCheck) { h.StartPeriod = i32(-1) })), CodeClient, p + "'healthCheck.startPeriod' must be between 0 and 300 seconds."},
		{"command missing", validReq(hc(func(h *wire.HealthCheck) { h.Command = nil })), CodeClient, p + "'healthCheck.command' must be specified."},
		{"command without CMD", validReq(hc(func(h *wire.HealthCheck) { h.Command = []string{"curl", "-f", "localhost"} })), CodeClient, p + "'healthCheck.command' must start with CMD or CMD-SHELL."},
		{"CMD alone", validReq(hc(func(h *wire.HealthCheck) { h.Command = []string{"CMD"} })), CodeClient, p + "'healthCheck.command' CMD must be followed by the command to run."},
		{"NONE with arguments", validReq(hc(func(h *wire.HealthCheck) { h.Command = []string{"NONE", "x"} })), CodeClient, p + "'healthCheck.command' NONE takes no arguments."},
	})
}

func TestNewTaskDefinitionDependencyErrors(t *testing.T) {
	initC := ctr("init")
	initC.Essential = new(false)
	dep := func(name string, cond wire.ContainerCondition) func(*wire.RegisterTaskDefinitionRequest) {
		return app(func(c *wire.ContainerDefinition) {
			c.DependsOn = append(c.DependsOn, wire.ContainerDependency{ContainerName: new(name), Condition: cond})
		})
	}
	cycle := func(r *wire.RegisterTaskDefinitionRequest) {
		r.ContainerDefinitions[1].DependsOn = []wire.ContainerDependency{{ContainerName: new("app"), Condition: wire.ContainerConditionStart}}
	}
	const p = "Invalid setting for container 'app'. "
	runErrCases(t, []errCase{
		{"V9 COMPLETE on essential", validReq(with(ctr("db")), dep("db", wire.ContainerConditionComplete)), CodeClient, "A dependency container with SUCCESS or COMPLETE condition cannot be an essential container"},
		{"V9 SUCCESS on essential", validReq(with(ctr("db")), dep("db", wire.ContainerConditionSuccess)), CodeClient, "A dependency container with SUCCESS or COMPLETE condition cannot be an essential container"},
		{"HEALTHY without health check", validReq(with(initC), dep("init", wire.ContainerConditionHealthy)), CodeClient, "A dependency container with HEALTHY condition must have health check configured"},
		{"HEALTHY on NONE health check", validReq(with(initC), dep("init", wire.ContainerConditionHealthy), func(r *wire.RegisterTaskDefinitionRequest) {
			r.ContainerDefinitions[1].HealthCheck = &wire.HealthCheck{Command: []string{"NONE"}}
		}), CodeClient, "A dependency container with HEALTHY condition must have health check configured"},
		{"unknown container", validReq(dep("db", wire.ContainerConditionStart)), CodeClient, p + "dependsOn names container 'db', which is not in the task definition."},
		{"self", validReq(dep("app", wire.ContainerConditionStart)), CodeClient, p + "A container cannot depend on itself."},
		{"condition unknown", validReq(with(initC), dep("init", "READY")), CodeInvalidParameter, "Invalid value 'READY' for dependsOn.condition. Valid values: START, COMPLETE, SUCCESS, HEALTHY."},
		{"condition missing", validReq(with(initC), dep("init", "")), CodeInvalidParameter, "Invalid value '(empty)' for dependsOn.condition. Valid values: START, COMPLETE, SUCCESS, HEALTHY."},
		{"container name missing", validReq(app(func(c *wire.ContainerDefinition) {
			c.DependsOn = []wire.ContainerDependency{{Condition: wire.ContainerConditionStart}}
		})), CodeClient, p + "'dependsOn.containerName' must be specified."},
		{"cycle", validReq(with(initC), dep("init", wire.ContainerConditionStart), cycle), CodeClient, "Container dependencies contain a cycle: app -> init -> app."},
	})
}

func TestNewTaskDefinitionVolumeAndEnvErrors(t *testing.T) {
	vols := func(vs ...wire.Volume) func(*wire.RegisterTaskDefinitionRequest) {
		return func(r *wire.RegisterTaskDefinitionRequest) { r.Volumes = vs }
	}
	data := wire.Volume{Name: new("data")}
	mount := func(mp wire.MountPoint) func(*wire.RegisterTaskDefinitionRequest) {
		return app(func(c *wire.ContainerDefinition) { c.MountPoints = []wire.MountPoint{mp} })
	}
	from := func(src string) func(*wire.RegisterTaskDefinitionRequest) {
		return app(func(c *wire.ContainerDefinition) { c.VolumesFrom = []wire.VolumeFrom{{SourceContainer: new(src)}} })
	}
	env := func(f func(c *wire.ContainerDefinition)) func(*wire.RegisterTaskDefinitionRequest) { return app(f) }
	atLaunch := wire.Volume{Name: new("a"), ConfiguredAtLaunch: new(true)}
	atLaunch2 := wire.Volume{Name: new("b"), ConfiguredAtLaunch: new(true)}
	const p = "Invalid setting for container 'app'. "
	runErrCases(t, []errCase{
		{"mount unknown volume", validReq(mount(wire.MountPoint{SourceVolume: new("logs"), ContainerPath: new("/logs")})), CodeClient, p + "mountPoints names volume 'logs', which is not in the task definition."},
		{"mount without source", validReq(vols(data), mount(wire.MountPoint{ContainerPath: new("/data")})), CodeClient, p + "'mountPoints.sourceVolume' must be specified."},
		{"mount without path", validReq(vols(data), mount(wire.MountPoint{SourceVolume: new("data")})), CodeClient, p + "'mountPoints.containerPath' must be specified."},
		{"volumesFrom unknown", validReq(from("db")), CodeClient, p + "volumesFrom names container 'db', which is not in the task definition."},
		{"volumesFrom self", validReq(from("app")), CodeClient, p + "A container cannot mount volumes from itself."},
		{"volumesFrom empty", validReq(from("")), CodeClient, p + "'volumesFrom.sourceContainer' must be specified."},
		{"volume name invalid", validReq(vols(wire.Volume{Name: new("my data")})), CodeClient, "Invalid volume name 'my data'. Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed."},
		{"volume name duplicate", validReq(vols(data, data)), CodeClient, "Duplicate volume name 'data'. Volume names must be unique within a task definition."},
		{"efs volume without name", validReq(vols(wire.Volume{EfsVolumeConfiguration: &wire.EFSVolumeConfiguration{FileSystemId: new("fs-1")}})), CodeClient, "Volume name must be specified for EFS, S3 Files and configured-at-launch volumes."},
		{"efs without file system", validReq(vols(wire.Volume{Name: new("efs"), EfsVolumeConfiguration: &wire.EFSVolumeConfiguration{}})), CodeClient, "Volume 'efs': efsVolumeConfiguration.fileSystemId must be specified."},
		{"two volumes at launch", validReq(vols(atLaunch, atLaunch2)), CodeClient, "A task definition can have at most one volume configured at launch."},
		{"docker volume scope", validReq(vols(wire.Volume{Name: new("d"), DockerVolumeConfiguration: &wire.DockerVolumeConfiguration{Scope: "global"}})), CodeInvalidParameter, "Invalid value 'global' for dockerVolumeConfiguration.scope. Valid values: task, shared."},
		{"env name empty", validReq(env(func(c *wire.ContainerDefinition) { c.Environment = []wire.KeyValuePair{{Value: new("x")}} })), CodeClient, p + "Environment variable names must not be empty."},
		{"secret name missing", validReq(env(func(c *wire.ContainerDefinition) { c.Secrets = []wire.Secret{{ValueFrom: new("/db/password")}} })), CodeClient, p + "'secrets.name' must be specified."},
		{"secret valueFrom missing", validReq(env(func(c *wire.ContainerDefinition) { c.Secrets = []wire.Secret{{Name: new("DB_PASSWORD")}} })), CodeClient, p + "'secrets.valueFrom' must be specified."},
		{"11 environment files", validReq(env(func(c *wire.ContainerDefinition) {
			c.EnvironmentFiles = slices.Repeat([]wire.EnvironmentFile{{Type: wire.EnvironmentFileTypeS3, Value: new("arn:aws:s3:::b/x.env")}}, 11)
		})), CodeClient, p + "A container can have at most 10 environment files."},
		{"environment file type", validReq(env(func(c *wire.ContainerDefinition) {
			c.EnvironmentFiles = []wire.EnvironmentFile{{Type: "http", Value: new("x")}}
		})), CodeInvalidParameter, "Invalid value 'http' for environmentFiles.type. Valid values: s3."},
		{"environment file value", validReq(env(func(c *wire.ContainerDefinition) {
			c.EnvironmentFiles = []wire.EnvironmentFile{{Type: wire.EnvironmentFileTypeS3}}
		})), CodeClient, p + "'environmentFiles.value' must be specified."},
		{"log driver missing", validReq(env(func(c *wire.ContainerDefinition) { c.LogConfiguration = &wire.LogConfiguration{} })), CodeClient, p + "'logConfiguration.logDriver' must be specified."},
		{"log driver unknown", validReq(env(func(c *wire.ContainerDefinition) { c.LogConfiguration = &wire.LogConfiguration{LogDriver: "loki"} })), CodeInvalidParameter,
			"Invalid value 'loki' for logConfiguration.logDriver. Valid values: json-file, syslog, journald, gelf, fluentd, awslogs, splunk, awsfirelens."},
		{"awslogs without options", validReq(env(func(c *wire.ContainerDefinition) {
			c.LogConfiguration = &wire.LogConfiguration{LogDriver: wire.LogDriverAwslogs}
		})), CodeClient, "Log driver awslogs requires options: awslogs-region, awslogs-group"},
		{"awslogs without group", validReq(env(func(c *wire.ContainerDefinition) {
			c.LogConfiguration = &wire.LogConfiguration{LogDriver: wire.LogDriverAwslogs, Options: map[string]string{"awslogs-region": "eu-west-1"}}
		})), CodeClient, "Log driver awslogs requires options: awslogs-group"},
		{"log secret without valueFrom", validReq(env(func(c *wire.ContainerDefinition) {
			c.LogConfiguration = &wire.LogConfiguration{LogDriver: wire.LogDriverSplunk, SecretOptions: []wire.Secret{{Name: new("splunk-token")}}}
		})), CodeClient, p + "'logConfiguration.secretOptions.valueFrom' must be specified."},
	})
}

func TestNewTaskDefinitionAccepts(t *testing.T) {
	ten := make([]wire.ContainerDefinition, 10)
	for i := range ten {
		ten[i] = ctr(fmt.Sprint("c", i))
	}
	fiftyTags := make([]wire.Tag, 50)
	for i := range fiftyTags {
		fiftyTags[i] = wire.Tag{Key: new(fmt.Sprint("k", i))}
	}
	initC := ctr("init")
	initC.Essential = new(false)
	db := ctr("db")
	db.HealthCheck = &wire.HealthCheck{Command: []string{"CMD", "pg_isready"}}
	cases := []struct {
		name string
		req  *wire.RegisterTaskDefinitionRequest
	}{
		{"family of 255 characters", validReq(func(r *wire.RegisterTaskDefinitionRequest) { r.Family = new(strings.Repeat("f", 255)) })},
		{"10 containers", validReq(func(r *wire.RegisterTaskDefinitionRequest) { r.ContainerDefinitions = ten })},
		{"50 tags", validReq(func(r *wire.RegisterTaskDefinitionRequest) { r.Tags = fiftyTags })},
		{"task memory instead of container memory", validReq(size("", "512"), app(func(c *wire.ContainerDefinition) { c.Memory = nil }))},
		{"memoryReservation only", validReq(app(func(c *wire.ContainerDefinition) { c.Memory, c.MemoryReservation = nil, i32(64) }))},
		{"memory equal to reservation", validReq(app(func(c *wire.ContainerDefinition) { c.MemoryReservation = i32(128) }))},
		{"image with registry, port, path and digest", validReq(app(func(c *wire.ContainerDefinition) {
			c.Image = new("registry.example.com:5000/team/web_app@sha256:" + fakeSHA)
		}))},
		{"image with # in tag", validReq(app(func(c *wire.ContainerDefinition) { c.Image = new("quay.io/org/img:v1#build") }))},
		{"health check NONE", validReq(app(func(c *wire.ContainerDefinition) { c.HealthCheck = &wire.HealthCheck{Command: []string{"NONE"}} }))},
		{"health check at the bounds", validReq(app(func(c *wire.ContainerDefinition) {
			c.HealthCheck = &wire.HealthCheck{Command: []string{"CMD", "true"}, Interval: i32(5), Timeout: i32(60), Retries: i32(10), StartPeriod: i32(0)}
		}))},
		{"COMPLETE on non-essential, HEALTHY on checked", validReq(with(initC, db), app(func(c *wire.ContainerDefinition) {
			c.DependsOn = []wire.ContainerDependency{{ContainerName: new("init"), Condition: wire.ContainerConditionComplete}, {ContainerName: new("db"), Condition: wire.ContainerConditionHealthy}}
		}))},
		{"awsvpc hostPort blank, equal or 0", validReq(mode(wire.NetworkModeAwsvpc), app(func(c *wire.ContainerDefinition) {
			c.PortMappings = []wire.PortMapping{port(80, -1), port(443, 443), port(8080, 0)}
		}))},
		{"bridge dynamic ports repeat", validReq(with(ctr("side")), func(r *wire.RegisterTaskDefinitionRequest) {
			r.ContainerDefinitions[0].PortMappings = []wire.PortMapping{port(80, 0)}
			r.ContainerDefinitions[1].PortMappings = []wire.PortMapping{port(80, -1)}
		})},
		{"same port tcp and udp", validReq(app(func(c *wire.ContainerDefinition) {
			c.PortMappings = []wire.PortMapping{port(53, 53), {ContainerPort: i32(53), HostPort: i32(53), Protocol: wire.TransportProtocolUdp}}
		}))},
		{"port range in awsvpc", validReq(mode(wire.NetworkModeAwsvpc), app(func(c *wire.ContainerDefinition) {
			c.PortMappings = []wire.PortMapping{{ContainerPortRange: new("8000-8010")}}
		}))},
		{"bridge links", validReq(with(ctr("db")), app(func(c *wire.ContainerDefinition) { c.Links = []string{"db:database"} }))},
		{"Fargate with awslogs and execution role", fargateReq(app(func(c *wire.ContainerDefinition) { c.LogConfiguration = awslogs() }), func(r *wire.RegisterTaskDefinitionRequest) {
			r.ExecutionRoleArn = new("arn:aws:iam::123456789012:role/exec")
		})},
		{"Fargate largest size", fargateReq(size("16 vCPU", "120GB"))},
		{"Fargate stopTimeout 120", fargateReq(app(func(c *wire.ContainerDefinition) { c.StopTimeout = i32(120) }))},
		{"EC2 stopTimeout above 120", validReq(app(func(c *wire.ContainerDefinition) { c.StopTimeout = i32(600) }))},
		{"EC2 cpu bounds", validReq(size("196608", ""))},
		{"placement constraint", validReq(func(r *wire.RegisterTaskDefinitionRequest) {
			r.PlacementConstraints = []wire.TaskDefinitionPlacementConstraint{{Type: wire.TaskDefinitionPlacementConstraintTypeMemberOf, Expression: new("attribute:ecs.os-type == linux")}}
		})},
		{"one volume at launch, unnamed bind volume", validReq(func(r *wire.RegisterTaskDefinitionRequest) {
			r.Volumes = []wire.Volume{{Name: new("ebs"), ConfiguredAtLaunch: new(true)}, {}}
		})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewTaskDefinition(tc.req); err != nil {
				t.Fatalf("NewTaskDefinition: %v", err)
			}
		})
	}
}

func TestNewTaskDefinitionTaskSizeForms(t *testing.T) {
	cases := []struct{ cpu, memory, wantCPU, wantMemory string }{
		{"1024", "2048", "1024", "2048"},
		{"1 vCPU", "1GB", "1024", "1024"},
		{"0.5 vcpu", "1 gb", "512", "1024"},
		{"2 VCPU", "0.5GB", "2048", "512"},
		{"1vcpu", "512 MiB", "1024", "512"},
		{".25 vCPU", "512", "256", "512"},
		{" 4 vCPUs ", "2 GiB", "4096", "2048"},
		{"0.125 vcpu", "512MB", "128", "512"},
	}
	for _, tc := range cases {
		t.Run(tc.cpu+"/"+tc.memory, func(t *testing.T) {
			def, err := NewTaskDefinition(validReq(size(tc.cpu, tc.memory), app(func(c *wire.ContainerDefinition) { c.Memory = i32(64) })))
			if err != nil {
				t.Fatalf("NewTaskDefinition: %v", err)
			}
			if got := str(def.Cpu); got != tc.wantCPU {
				t.Errorf("cpu = %q, want %q", got, tc.wantCPU)
			}
			if got := str(def.Memory); got != tc.wantMemory {
				t.Errorf("memory = %q, want %q", got, tc.wantMemory)
			}
		})
	}
	def, err := NewTaskDefinition(validReq())
	if err != nil || def.Cpu != nil || def.Memory != nil {
		t.Errorf("no size: cpu %v memory %v err %v, want both absent", def.Cpu, def.Memory, err)
	}
}

func TestNewTaskDefinitionCompatibilities(t *testing.T) {
	req := func(rc ...wire.Compatibility) func(*wire.RegisterTaskDefinitionRequest) {
		return func(r *wire.RegisterTaskDefinitionRequest) { r.RequiresCompatibilities = rc }
	}
	awsvpcSized := func(r *wire.RegisterTaskDefinitionRequest) {
		r.NetworkMode, r.Cpu, r.Memory = wire.NetworkModeAwsvpc, new("256"), new("512")
	}
	const (
		ec2 = wire.CompatibilityEc2
		fg  = wire.CompatibilityFargate
		ext = wire.CompatibilityExternal
		mi  = wire.CompatibilityManagedInstances
	)
	cases := []struct {
		name string
		req  *wire.RegisterTaskDefinitionRequest
		want []wire.Compatibility
	}{
		{"default (bridge)", validReq(), []wire.Compatibility{ext, ec2}},
		{"bridge, EC2 required", validReq(mode(wire.NetworkModeBridge), req(ec2)), []wire.Compatibility{ext, ec2}},
		{"host, EXTERNAL required", validReq(mode(wire.NetworkModeHost), req(ext)), []wire.Compatibility{ext, ec2}},
		{"awsvpc without size", validReq(mode(wire.NetworkModeAwsvpc)), []wire.Compatibility{ec2}},
		{"awsvpc with Fargate size", validReq(awsvpcSized), []wire.Compatibility{ec2, fg}},
		{"Fargate required", fargateReq(), []wire.Compatibility{ec2, fg}},
		{"awsvpc, size off the Fargate table", validReq(awsvpcSized, size("512", "512")), []wire.Compatibility{ec2}},
		{"awsvpc, privileged", validReq(awsvpcSized, app(func(c *wire.ContainerDefinition) { c.Privileged = new(true) })), []wire.Compatibility{ec2}},
		{"awsvpc, pidMode host", validReq(awsvpcSized, func(r *wire.RegisterTaskDefinitionRequest) { r.PidMode = wire.PidModeHost }), []wire.Compatibility{ec2}},
		{"MANAGED_INSTANCES required", validReq(awsvpcSized, req(mi)), []wire.Compatibility{ec2, mi, fg}},
		{"FARGATE and MANAGED_INSTANCES required", validReq(awsvpcSized, req(fg, mi)), []wire.Compatibility{ec2, fg, mi}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			def, err := NewTaskDefinition(tc.req)
			if err != nil {
				t.Fatalf("NewTaskDefinition: %v", err)
			}
			if !slices.Equal(def.Compatibilities, tc.want) {
				t.Errorf("compatibilities = %v, want %v", def.Compatibilities, tc.want)
			}
		})
	}
}

func attributeNames(attrs []wire.Attribute) []string {
	var out []string
	for _, a := range attrs {
		out = append(out, str(a.Name))
	}
	return out
}

func TestNewTaskDefinitionRequiresAttributes(t *testing.T) {
	def, err := NewTaskDefinition(validReq())
	if err != nil || def.RequiresAttributes != nil {
		t.Fatalf("plain definition: attributes %v err %v, want none", attributeNames(def.RequiresAttributes), err)
	}
	side := ctr("side")
	side.Essential = new(false)
	side.DependsOn = []wire.ContainerDependency{{ContainerName: new("app"), Condition: wire.ContainerConditionHealthy}}
	side.FirelensConfiguration = &wire.FirelensConfiguration{Type: wire.FirelensConfigurationTypeFluentbit}
	side.Secrets = []wire.Secret{{Name: new("TOKEN"), ValueFrom: new("arn:aws:secretsmanager:eu-west-1:123456789012:secret:token")}}
	side.EnvironmentFiles = []wire.EnvironmentFile{{Type: wire.EnvironmentFileTypeS3, Value: new("arn:aws:s3:::bucket/app.env")}}
	side.RepositoryCredentials = &wire.RepositoryCredentials{CredentialsParameter: new("arn:aws:secretsmanager:eu-west-1:123456789012:secret:reg")}
	req := validReq(mode(wire.NetworkModeAwsvpc), with(side), func(r *wire.RegisterTaskDefinitionRequest) {
		r.TaskRoleArn = new("arn:aws:iam::123456789012:role/task")
		r.ExecutionRoleArn = new("arn:aws:iam::123456789012:role/exec")
		r.Volumes = []wire.Volume{{Name: new("efs"), EfsVolumeConfiguration: &wire.EFSVolumeConfiguration{FileSystemId: new("fs-1"), TransitEncryption: wire.EFSTransitEncryptionEnabled}}}
		r.ProxyConfiguration = &wire.ProxyConfiguration{ContainerName: new("side")}
	}, app(func(c *wire.ContainerDefinition) {
		c.Image = new("123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:1")
		c.MemoryReservation = i32(64)
		c.LogConfiguration = awslogs()
		c.LogConfiguration.SecretOptions = []wire.Secret{{Name: new("k"), ValueFrom: new("arn:aws:ssm:eu-west-1:123456789012:parameter/k")}}
		c.HealthCheck = &wire.HealthCheck{Command: []string{"CMD", "true"}, StartPeriod: i32(10)}
		c.DockerLabels = map[string]string{"team": "web"}
		c.LinuxParameters = &wire.LinuxParameters{InitProcessEnabled: new(true)}
		c.Privileged = new(true)
		c.StopTimeout = i32(30)
	}))
	def, err = NewTaskDefinition(req)
	if err != nil {
		t.Fatalf("NewTaskDefinition: %v", err)
	}
	want := []string{
		"com.amazonaws.ecs.capability.docker-remote-api.1.18",
		"com.amazonaws.ecs.capability.docker-remote-api.1.19",
		"com.amazonaws.ecs.capability.docker-remote-api.1.21",
		"com.amazonaws.ecs.capability.docker-remote-api.1.25",
		"com.amazonaws.ecs.capability.docker-remote-api.1.29",
		"com.amazonaws.ecs.capability.ecr-auth",
		"com.amazonaws.ecs.capability.logging-driver.awslogs",
		"com.amazonaws.ecs.capability.privileged-container",
		"com.amazonaws.ecs.capability.task-iam-role",
		"ecs.capability.aws-appmesh",
		"ecs.capability.container-health-check",
		"ecs.capability.container-ordering",
		"ecs.capability.efs",
		"ecs.capability.efsAuth",
		"ecs.capability.env-files.s3",
		"ecs.capability.execution-role-awslogs",
		"ecs.capability.execution-role-ecr-pull",
		"ecs.capability.firelens.fluentbit",
		"ecs.capability.private-registry-authentication.secretsmanager",
		"ecs.capability.secrets.asm.environment-variables",
		"ecs.capability.secrets.ssm.bootstrap.log-driver",
		"ecs.capability.task-eni",
	}
	if got := attributeNames(def.RequiresAttributes); !slices.Equal(got, want) {
		t.Errorf("requiresAttributes:\n got %q\nwant %q", got, want)
	}

	hostRole := validReq(mode(wire.NetworkModeHost), func(r *wire.RegisterTaskDefinitionRequest) { r.TaskRoleArn = new("task") },
		app(func(c *wire.ContainerDefinition) {
			c.Secrets = []wire.Secret{{Name: new("P"), ValueFrom: new("/app/password")}}
			c.LogConfiguration = &wire.LogConfiguration{LogDriver: wire.LogDriverSyslog}
		}))
	def, err = NewTaskDefinition(hostRole)
	if err != nil {
		t.Fatalf("NewTaskDefinition: %v", err)
	}
	want = []string{
		"com.amazonaws.ecs.capability.docker-remote-api.1.18",
		"com.amazonaws.ecs.capability.logging-driver.syslog",
		"com.amazonaws.ecs.capability.task-iam-role",
		"com.amazonaws.ecs.capability.task-iam-role-network-host",
		"ecs.capability.secrets.ssm.environment-variables",
	}
	if got := attributeNames(def.RequiresAttributes); !slices.Equal(got, want) {
		t.Errorf("requiresAttributes:\n got %q\nwant %q", got, want)
	}
}

func TestNewTaskDefinitionDefaults(t *testing.T) {
	side := ctr("side")
	side.Essential = new(false)
	side.PortMappings = []wire.PortMapping{{ContainerPort: i32(53), Protocol: wire.TransportProtocolUdp}}
	req := validReq(mode(wire.NetworkModeAwsvpc), with(side), app(func(c *wire.ContainerDefinition) {
		c.HealthCheck = &wire.HealthCheck{Command: []string{"CMD", "true"}, Timeout: i32(10)}
		c.PortMappings = []wire.PortMapping{port(80, -1)}
	}))
	def, err := NewTaskDefinition(req)
	if err != nil {
		t.Fatalf("NewTaskDefinition: %v", err)
	}
	a, s := def.ContainerDefinitions[0], def.ContainerDefinitions[1]
	if a.Essential == nil || !*a.Essential || s.Essential == nil || *s.Essential {
		t.Errorf("essential = %v, %v; want true (default), false (given)", a.Essential, s.Essential)
	}
	h := a.HealthCheck
	if tdInt(h.Interval) != 30 || tdInt(h.Timeout) != 10 || tdInt(h.Retries) != 3 || h.StartPeriod != nil {
		t.Errorf("healthCheck = %+v, want interval 30, timeout 10 (given), retries 3, no startPeriod", *h)
	}
	if p := a.PortMappings[0]; p.Protocol != wire.TransportProtocolTcp || tdInt(p.HostPort) != 80 {
		t.Errorf("awsvpc port mapping = %+v, want tcp with hostPort 80", p)
	}
	if p := s.PortMappings[0]; p.Protocol != wire.TransportProtocolUdp || tdInt(p.HostPort) != 53 {
		t.Errorf("awsvpc udp port mapping = %+v, want udp with hostPort 53", p)
	}
	if def.NetworkMode != wire.NetworkModeAwsvpc {
		t.Errorf("networkMode = %q", def.NetworkMode)
	}
	// The caller's request is not written to.
	if c := req.ContainerDefinitions[0]; c.Essential != nil || c.HealthCheck.Interval != nil || c.PortMappings[0].HostPort != nil || c.PortMappings[0].Protocol != "" {
		t.Errorf("request was modified: %+v", c)
	}

	// In bridge mode hostPort stays blank (dynamic), and a networkMode the
	// caller left out is not filled in.
	def, err = NewTaskDefinition(validReq(app(func(c *wire.ContainerDefinition) { c.PortMappings = []wire.PortMapping{port(80, -1)} })))
	if err != nil {
		t.Fatalf("NewTaskDefinition: %v", err)
	}
	if p := def.ContainerDefinitions[0].PortMappings[0]; p.HostPort != nil || p.Protocol != wire.TransportProtocolTcp {
		t.Errorf("bridge port mapping = %+v, want tcp without hostPort", p)
	}
	if def.NetworkMode != "" {
		t.Errorf("networkMode = %q, want absent", def.NetworkMode)
	}
}

// fullRequest sets every member of RegisterTaskDefinitionRequest.
func fullRequest() *wire.RegisterTaskDefinitionRequest {
	c := ctr("app")
	c.Cpu = i32(256)
	c.Environment = []wire.KeyValuePair{{Name: new("MODE"), Value: new("prod")}}
	c.MountPoints = []wire.MountPoint{{SourceVolume: new("efs"), ContainerPath: new("/data"), ReadOnly: new(true)}}
	c.Command = []string{"serve", "--port", "80"}
	c.ReadonlyRootFilesystem = new(false)
	c.ResourceRequirements = []wire.ResourceRequirement{{Type: wire.ResourceTypeInferenceAccelerator, Value: new("eia1")}}
	return &wire.RegisterTaskDefinitionRequest{
		Family:                  new("full"),
		TaskRoleArn:             new("arn:aws:iam::123456789012:role/task"),
		ExecutionRoleArn:        new("arn:aws:iam::123456789012:role/exec"),
		NetworkMode:             wire.NetworkModeHost,
		ContainerDefinitions:    []wire.ContainerDefinition{c},
		Volumes:                 []wire.Volume{{Name: new("efs"), EfsVolumeConfiguration: &wire.EFSVolumeConfiguration{FileSystemId: new("fs-1"), RootDirectory: new("/")}}},
		PlacementConstraints:    []wire.TaskDefinitionPlacementConstraint{{Type: wire.TaskDefinitionPlacementConstraintTypeMemberOf, Expression: new("attribute:ecs.os-type == linux")}},
		RequiresCompatibilities: []wire.Compatibility{wire.CompatibilityEc2},
		Cpu:                     new("1 vCPU"),
		Memory:                  new("2GB"),
		Tags:                    []wire.Tag{{Key: new("team"), Value: new("web")}},
		PidMode:                 wire.PidModeTask,
		IpcMode:                 wire.IpcModeTask,
		ProxyConfiguration:      &wire.ProxyConfiguration{ContainerName: new("app"), Type: wire.ProxyConfigurationTypeAppmesh, Properties: []wire.KeyValuePair{{Name: new("AppPorts"), Value: new("80")}}},
		InferenceAccelerators:   []wire.InferenceAccelerator{{DeviceName: new("eia1"), DeviceType: new("eia2.medium")}},
		EphemeralStorage:        &wire.EphemeralStorage{SizeInGiB: i32(30)},
		RuntimePlatform:         &wire.RuntimePlatform{CpuArchitecture: wire.CPUArchitectureX8664, OperatingSystemFamily: wire.OSFamilyLinux},
		EnableFaultInjection:    new(true),
	}
}

// TestNewTaskDefinitionEchoesEveryMember walks RegisterTaskDefinitionRequest
// by reflection, so a member added to the model fails here until
// fullRequest sets it, and then checks the definition carries every member
// the request shares with TaskDefinition.
func TestNewTaskDefinitionEchoesEveryMember(t *testing.T) {
	req := fullRequest()
	def, err := NewTaskDefinition(req)
	if err != nil {
		t.Fatalf("NewTaskDefinition: %v", err)
	}
	// Members NewTaskDefinition normalizes or defaults, with what it makes of them.
	normalized := map[string]any{"Cpu": new("1024"), "Memory": new("2048")}
	rv, dv := reflect.ValueOf(req).Elem(), reflect.ValueOf(def)
	shared := 0
	for i := range rv.NumField() {
		f := rv.Type().Field(i)
		if rv.Field(i).IsZero() {
			t.Errorf("fullRequest does not set %s; set it so this test covers it", f.Name)
			continue
		}
		df := dv.FieldByName(f.Name)
		if !df.IsValid() {
			if f.Name != "Tags" {
				t.Errorf("request member %s has no TaskDefinition counterpart; decide how it is stored", f.Name)
			}
			continue
		}
		shared++
		want := rv.Field(i).Interface()
		if n, ok := normalized[f.Name]; ok {
			want = n
		}
		if f.Name == "ContainerDefinitions" {
			want = withDefaults(req.ContainerDefinitions)
		}
		if !reflect.DeepEqual(df.Interface(), want) {
			t.Errorf("%s = %#v, want %#v", f.Name, df.Interface(), want)
		}
	}
	if shared < 17 {
		t.Errorf("only %d shared members checked", shared)
	}
	for _, name := range []string{"TaskDefinitionArn", "Revision", "Status", "RegisteredAt", "RegisteredBy", "DeregisteredAt", "DeleteRequestedAt"} {
		if !dv.FieldByName(name).IsZero() {
			t.Errorf("identity member %s is set; the caller sets it", name)
		}
	}
	if got := TaskDefinitionTags(req); !reflect.DeepEqual(got, []Tag{{Key: "team", Value: "web"}}) {
		t.Errorf("TaskDefinitionTags = %v", got)
	}
}

// withDefaults is fullRequest's containers as NewTaskDefinition stores them.
func withDefaults(cs []wire.ContainerDefinition) []wire.ContainerDefinition {
	out := slices.Clone(cs)
	out[0].Essential = new(true)
	return out
}

func TestTaskDefinitionAccessors(t *testing.T) {
	var nilTD *TaskDefinition
	if nilTD.Family() != "" || nilTD.Revision() != 0 || nilTD.Status() != "" {
		t.Error("nil TaskDefinition accessors should return zero values")
	}
	td := &TaskDefinition{Def: wire.TaskDefinition{Family: new("web"), Revision: i32(7), Status: wire.TaskDefinitionStatusActive}}
	if td.Family() != "web" || td.Revision() != 7 || td.Status() != wire.TaskDefinitionStatusActive {
		t.Errorf("accessors = %q %d %q", td.Family(), td.Revision(), td.Status())
	}
	if (&TaskDefinition{}).Revision() != 0 {
		t.Error("Revision without a revision should be 0")
	}
	if TaskDefinitionTags(nil) != nil || TaskDefinitionTags(validReq()) != nil {
		t.Error("TaskDefinitionTags without tags should be nil")
	}
}
