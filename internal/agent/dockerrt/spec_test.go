package dockerrt

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/berth-org/berth/internal/agent"
	"github.com/berth-org/berth/internal/wire"
)

// specOpts compare create specs: ports and addresses by value, nil and
// empty alike.
var specOpts = cmp.Options{
	cmp.Comparer(func(a, b network.Port) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.AllowUnexported(portKey{}),
	cmpopts.EquateEmpty(),
}

// fakePorts hands out 49153, 49154, … in order, or fails with err.
type fakePorts struct {
	next uint16
	err  error
}

func (f *fakePorts) Allocate(_, _, _ string) (uint16, error) {
	if f.err != nil {
		return 0, f.err
	}
	if f.next == 0 {
		f.next = ephemeralFirst
	}
	f.next++
	return f.next - 1, nil
}

// berthLabels are the labels cfg's container carries.
var berthLabels = map[string]string{
	agent.LabelInstanceARN:   "arn:aws:ecs:us-east-1:000000000000:container-instance/c1/i1",
	agent.LabelCluster:       "c1",
	agent.LabelTaskARN:       "arn:aws:ecs:us-east-1:000000000000:task/c1/t1",
	agent.LabelContainerName: "app",
}

// cfg is container "app" of task t1, image busybox, bridge mode,
// published on 127.0.0.1, with mods applied.
func cfg(mods ...func(c *agent.ContainerConfig)) agent.ContainerConfig {
	c := agent.ContainerConfig{
		Name:   "berth-t1-app",
		TaskID: "t1",
		Labels: berthLabels,
		Def:    &wire.ContainerDefinition{Name: new("app"), Image: new("busybox")},
		HostIP: "127.0.0.1",
	}
	for _, m := range mods {
		m(&c)
	}
	return c
}

// def edits cfg's container definition.
func def(f func(d *wire.ContainerDefinition)) func(c *agent.ContainerConfig) {
	return func(c *agent.ContainerConfig) { f(c.Def) }
}

// want is what cfg() translates to, with mods applied.
func want(mods ...func(s *createSpec)) createSpec {
	s := createSpec{
		Config: &container.Config{
			Image:       "busybox",
			Labels:      berthLabels,
			Healthcheck: &container.HealthConfig{Test: []string{"NONE"}},
		},
		Host: &container.HostConfig{
			NetworkMode: "bridge",
			LogConfig:   container.LogConfig{Type: "json-file"},
			Resources:   container.Resources{CPUShares: 2},
		},
	}
	for _, m := range mods {
		m(&s)
	}
	return s
}

func port(n uint16, proto network.IPProtocol) network.Port {
	p, _ := network.PortFrom(n, proto)
	return p
}

func mapping(container, host int32, proto wire.TransportProtocol) wire.PortMapping {
	pm := wire.PortMapping{ContainerPort: new(container), Protocol: proto}
	if host >= 0 {
		pm.HostPort = new(host)
	}
	return pm
}

var localhost = netip.MustParseAddr("127.0.0.1")

func published(host string) []network.PortBinding {
	return []network.PortBinding{{HostIP: localhost, HostPort: host}}
}

func volume(name string, f func(v *wire.Volume)) func(c *agent.ContainerConfig) {
	return func(c *agent.ContainerConfig) {
		v := wire.Volume{Name: new(name)}
		if f != nil {
			f(&v)
		}
		c.Volumes = append(c.Volumes, v)
	}
}

func mountPoint(volume, path string, readOnly bool) func(c *agent.ContainerConfig) {
	return def(func(d *wire.ContainerDefinition) {
		d.MountPoints = append(d.MountPoints, wire.MountPoint{SourceVolume: new(volume), ContainerPath: new(path), ReadOnly: new(readOnly)})
	})
}

// taskLabels are the labels of task t1's volumes, plus extra.
func taskLabels(extra map[string]string) map[string]string {
	out := map[string]string{
		agent.LabelInstanceARN: berthLabels[agent.LabelInstanceARN],
		agent.LabelCluster:     "c1",
		agent.LabelTaskARN:     berthLabels[agent.LabelTaskARN],
		labelTaskID:            "t1",
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

type specCase struct {
	name    string
	cfg     agent.ContainerConfig
	ports   *fakePorts // nil: a fresh one
	want    createSpec
	wantErr error  // errors.Is
	errHas  string // and the message says this
}

func TestContainerSpec(t *testing.T) {
	cases := slices.Concat(resourceCases(), portCases(), networkCases(), volumeCases(), healthCases(), optionCases(), refusedCases())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ports := tc.ports
			if ports == nil {
				ports = &fakePorts{}
			}
			got, err := containerSpec(tc.cfg, ports)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(errString(err), tc.errHas) {
					t.Fatalf("error = %v, want one wrapping %v and saying %q", err, tc.wantErr, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, specOpts); diff != "" {
				t.Errorf("spec (-want +got):\n%s", diff)
			}
		})
	}
}

func TestContainerSpecListsPortsAllocatedBeforeAFailure(t *testing.T) {
	spec, err := containerSpec(cfg(portMappings(mapping(80, -1, ""), mapping(53, -1, "sctp"))), &fakePorts{})
	if !errors.Is(err, agent.ErrCreate) {
		t.Fatalf("error = %v, want ErrCreate", err)
	}
	if diff := cmp.Diff([]portKey{{"tcp", 49153}}, spec.Dynamic, specOpts); diff != "" {
		t.Errorf("Dynamic, to be freed (-want +got):\n%s", diff)
	}
}

func resourceCases() []specCase {
	return []specCase{
		{name: "image only: bridge, minimum cpu shares, image health check off, json-file", cfg: cfg(), want: want()},
		{
			name: "cpu units are cpu shares",
			cfg:  cfg(def(func(d *wire.ContainerDefinition) { d.Cpu = new(int32(512)) })),
			want: want(func(s *createSpec) { s.Host.CPUShares = 512 }),
		},
		{
			name: "cpu 1 is raised to the kernel's minimum of 2 shares",
			cfg:  cfg(def(func(d *wire.ContainerDefinition) { d.Cpu = new(int32(1)) })),
			want: want(),
		},
		{
			name: "memory is the hard limit, memoryReservation the soft one, in MiB",
			cfg: cfg(def(func(d *wire.ContainerDefinition) {
				d.Memory, d.MemoryReservation = new(int32(256)), new(int32(128))
			})),
			want: want(func(s *createSpec) { s.Host.Memory, s.Host.MemoryReservation = 256<<20, 128<<20 }),
		},
		{
			name: "ulimits",
			cfg: cfg(def(func(d *wire.ContainerDefinition) {
				d.Ulimits = []wire.Ulimit{{Name: wire.UlimitNameNofile, SoftLimit: new(int32(1024)), HardLimit: new(int32(4096))}}
			})),
			want: want(func(s *createSpec) {
				s.Host.Ulimits = []*container.Ulimit{{Name: "nofile", Soft: 1024, Hard: 4096}}
			}),
		},
		{
			name: "maxSwap adds to the hard limit; swappiness defaults to 60",
			cfg: cfg(def(func(d *wire.ContainerDefinition) {
				d.Memory = new(int32(512))
				d.LinuxParameters = &wire.LinuxParameters{MaxSwap: new(int32(256))}
			})),
			want: want(func(s *createSpec) {
				s.Host.Memory, s.Host.MemorySwap, s.Host.MemorySwappiness = 512<<20, 768<<20, new(int64(60))
			}),
		},
		{
			name: "maxSwap 0 means no swap, with the given swappiness",
			cfg: cfg(def(func(d *wire.ContainerDefinition) {
				d.Memory = new(int32(512))
				d.LinuxParameters = &wire.LinuxParameters{MaxSwap: new(int32(0)), Swappiness: new(int32(10))}
			})),
			want: want(func(s *createSpec) {
				s.Host.Memory, s.Host.MemorySwap, s.Host.MemorySwappiness = 512<<20, 512<<20, new(int64(10))
			}),
		},
		{
			name: "command, entryPoint, environment, workingDirectory, user, stopTimeout",
			cfg: cfg(def(func(d *wire.ContainerDefinition) {
				d.EntryPoint, d.Command = []string{"sh", "-c"}, []string{"echo $A"}
				d.Environment = []wire.KeyValuePair{{Name: new("A"), Value: new("1")}, {Name: new("B"), Value: new("")}}
				d.WorkingDirectory, d.User, d.StopTimeout = new("/srv"), new("1000:1000"), new(int32(5))
			})),
			want: want(func(s *createSpec) {
				s.Config.Entrypoint, s.Config.Cmd = []string{"sh", "-c"}, []string{"echo $A"}
				s.Config.Env = []string{"A=1", "B="}
				s.Config.WorkingDir, s.Config.User, s.Config.StopTimeout = "/srv", "1000:1000", new(5)
			}),
		},
	}
}

// portMappings sets the container's portMappings.
func portMappings(mappings ...wire.PortMapping) func(c *agent.ContainerConfig) {
	return def(func(d *wire.ContainerDefinition) { d.PortMappings = mappings })
}

// mode sets the task's network mode.
func mode(m wire.NetworkMode) func(c *agent.ContainerConfig) {
	return func(c *agent.ContainerConfig) { c.NetworkMode = m }
}

func portCases() []specCase {
	return []specCase{
		{
			name: "a fixed host port is published on HostIP",
			cfg:  cfg(portMappings(mapping(80, 8080, ""))),
			want: want(func(s *createSpec) {
				s.Config.ExposedPorts = network.PortSet{port(80, network.TCP): {}}
				s.Host.PortBindings = network.PortMap{port(80, network.TCP): published("8080")}
			}),
		},
		{
			name: "hostPort 0 or absent draws dynamic ports, tcp and udp",
			cfg:  cfg(portMappings(mapping(80, 0, wire.TransportProtocolTcp), mapping(53, -1, wire.TransportProtocolUdp))),
			want: want(func(s *createSpec) {
				s.Config.ExposedPorts = network.PortSet{port(80, network.TCP): {}, port(53, network.UDP): {}}
				s.Host.PortBindings = network.PortMap{
					port(80, network.TCP): published("49153"),
					port(53, network.UDP): published("49154"),
				}
				s.Dynamic = []portKey{{"tcp", 49153}, {"udp", 49154}}
			}),
		},
		{
			name: "host mode exposes the ports and publishes nothing",
			cfg:  cfg(mode(wire.NetworkModeHost), portMappings(mapping(80, 80, ""), mapping(81, -1, ""))),
			want: want(func(s *createSpec) {
				s.Host.NetworkMode = "host"
				s.Config.ExposedPorts = network.PortSet{port(80, network.TCP): {}, port(81, network.TCP): {}}
			}),
		},
		{
			name:    "host mode refuses a hostPort other than containerPort",
			cfg:     cfg(mode(wire.NetworkModeHost), portMappings(mapping(80, 8080, ""))),
			wantErr: agent.ErrCreate, errHas: "must equal containerPort",
		},
		{
			name:    "none mode refuses port mappings",
			cfg:     cfg(mode(wire.NetworkModeNone), portMappings(mapping(80, -1, ""))),
			wantErr: agent.ErrCreate, errHas: "bridge or host",
		},
		{
			name:    "sctp is refused",
			cfg:     cfg(portMappings(mapping(80, -1, "sctp"))),
			wantErr: agent.ErrCreate, errHas: "sctp",
		},
		{
			name:    "no free dynamic port",
			cfg:     cfg(portMappings(mapping(80, -1, ""))),
			ports:   &fakePorts{err: errNoFreePort},
			wantErr: agent.ErrCreate, errHas: "dynamic host port for 80/tcp",
		},
	}
}

func networkCases() []specCase {
	return []specCase{
		{
			name: "network mode none",
			cfg:  cfg(mode(wire.NetworkModeNone)),
			want: want(func(s *createSpec) { s.Host.NetworkMode = "none" }),
		},
		{
			name: "links name the task's containers",
			cfg:  cfg(def(func(d *wire.ContainerDefinition) { d.Links = []string{"db", "cache:redis"} })),
			want: want(func(s *createSpec) { s.Host.Links = []string{"berth-t1-db:db", "berth-t1-cache:redis"} }),
		},
		{
			name: "hostname, extraHosts, dnsServers, dnsSearchDomains",
			cfg: cfg(def(func(d *wire.ContainerDefinition) {
				d.Hostname = new("web")
				d.ExtraHosts = []wire.HostEntry{{Hostname: new("db"), IpAddress: new("10.0.0.5")}}
				d.DnsServers, d.DnsSearchDomains = []string{"10.0.0.2"}, []string{"corp.example"}
			})),
			want: want(func(s *createSpec) {
				s.Config.Hostname = "web"
				s.Host.ExtraHosts = []string{"db:10.0.0.5"}
				s.Host.DNS, s.Host.DNSSearch = []netip.Addr{netip.MustParseAddr("10.0.0.2")}, []string{"corp.example"}
			}),
		},
		{
			name:    "awsvpc never reaches the runtime",
			cfg:     cfg(mode(wire.NetworkModeAwsvpc)),
			wantErr: agent.ErrCreate, errHas: "awsvpc",
		},
		{
			name:    "an invalid dns server is refused",
			cfg:     cfg(def(func(d *wire.ContainerDefinition) { d.DnsServers = []string{"dns.example"} })),
			wantErr: agent.ErrCreate, errHas: "dnsServers",
		},
	}
}

func volumeCases() []specCase {
	return []specCase{
		{
			name: "a host volume is a bind mount, read-only when asked",
			cfg: cfg(volume("logs", func(v *wire.Volume) { v.Host = &wire.HostVolumeProperties{SourcePath: new("/var/log/app")} }),
				mountPoint("logs", "/logs", true)),
			want: want(func(s *createSpec) { s.Host.Binds = []string{"/var/log/app:/logs:ro"} }),
		},
		{
			name: "a task-scoped docker volume is named for the task and labelled with it",
			cfg: cfg(volume("data", func(v *wire.Volume) {
				v.DockerVolumeConfiguration = &wire.DockerVolumeConfiguration{
					Scope: wire.ScopeTask, Driver: new("local"), DriverOpts: map[string]string{"type": "tmpfs"},
					Labels: map[string]string{"team": "a"},
				}
			}), mountPoint("data", "/data", false), mountPoint("data", "/again", true)),
			want: want(func(s *createSpec) {
				s.Host.Binds = []string{"berth-t1-data:/data", "berth-t1-data:/again:ro"}
				s.Volumes = []volumeSpec{{
					Name: "berth-t1-data", Driver: "local", DriverOpts: map[string]string{"type": "tmpfs"},
					Labels: taskLabels(map[string]string{"team": "a"}),
				}}
			}),
		},
		{
			name: "a volume with no configuration is a task-scoped docker volume",
			cfg:  cfg(volume("scratch", nil), mountPoint("scratch", "/scratch", false)),
			want: want(func(s *createSpec) {
				s.Host.Binds = []string{"berth-t1-scratch:/scratch"}
				s.Volumes = []volumeSpec{{Name: "berth-t1-scratch", Labels: taskLabels(nil)}}
			}),
		},
		{
			name: "a shared volume keeps its own name and is not task-labelled",
			cfg: cfg(volume("cache", func(v *wire.Volume) {
				v.DockerVolumeConfiguration = &wire.DockerVolumeConfiguration{Scope: wire.ScopeShared, Autoprovision: new(true)}
			}), mountPoint("cache", "/cache", false)),
			want: want(func(s *createSpec) {
				s.Host.Binds = []string{"cache:/cache"}
				s.Volumes = []volumeSpec{{Name: "cache", Shared: true, Autoprovision: true}}
			}),
		},
		{
			name: "volumesFrom mounts by runtime id, read-only when asked",
			cfg: cfg(def(func(d *wire.ContainerDefinition) {
				d.VolumesFrom = []wire.VolumeFrom{{SourceContainer: new("data"), ReadOnly: new(true)}, {SourceContainer: new("cfg")}}
			}), func(c *agent.ContainerConfig) { c.VolumesFrom = map[string]string{"data": "id-data", "cfg": "id-cfg"} }),
			want: want(func(s *createSpec) { s.Host.VolumesFrom = []string{"id-data:ro", "id-cfg"} }),
		},
		{
			name:    "an unknown source volume is refused",
			cfg:     cfg(mountPoint("nope", "/x", false)),
			wantErr: agent.ErrCreate, errHas: `"nope"`,
		},
		{
			name: "an EFS volume is refused",
			cfg: cfg(volume("efs", func(v *wire.Volume) { v.EfsVolumeConfiguration = &wire.EFSVolumeConfiguration{} }),
				mountPoint("efs", "/efs", false)),
			wantErr: agent.ErrCreate, errHas: "EFS",
		},
		{
			name:    "a relative containerPath is refused",
			cfg:     cfg(volume("v", nil), mountPoint("v", "data", false)),
			wantErr: agent.ErrCreate, errHas: "absolute",
		},
		{
			name: "volumesFrom a container not created yet is refused",
			cfg: cfg(def(func(d *wire.ContainerDefinition) {
				d.VolumesFrom = []wire.VolumeFrom{{SourceContainer: new("data")}}
			})),
			wantErr: agent.ErrCreate, errHas: `"data"`,
		},
	}
}

func healthCases() []specCase {
	return []specCase{
		{
			name: "a health check gets ECS's defaults: 30 s interval, 5 s timeout, 3 retries",
			cfg: cfg(def(func(d *wire.ContainerDefinition) {
				d.HealthCheck = &wire.HealthCheck{Command: []string{"CMD-SHELL", "wget -q -O- localhost"}}
			})),
			want: want(func(s *createSpec) {
				s.Config.Healthcheck = &container.HealthConfig{
					Test: []string{"CMD-SHELL", "wget -q -O- localhost"}, Interval: 30 * time.Second, Timeout: 5 * time.Second, Retries: 3,
				}
			}),
		},
		{
			name: "a health check's interval, timeout, startPeriod are seconds",
			cfg: cfg(def(func(d *wire.ContainerDefinition) {
				d.HealthCheck = &wire.HealthCheck{Command: []string{"CMD", "true"},
					Interval: new(int32(10)), Timeout: new(int32(2)), StartPeriod: new(int32(60)), Retries: new(int32(5))}
			})),
			want: want(func(s *createSpec) {
				s.Config.Healthcheck = &container.HealthConfig{
					Test: []string{"CMD", "true"}, Interval: 10 * time.Second, Timeout: 2 * time.Second,
					StartPeriod: time.Minute, Retries: 5,
				}
			}),
		},
	}
}

func optionCases() []specCase {
	return []specCase{
		{
			name: "dockerLabels are merged and berth's labels win",
			cfg: cfg(def(func(d *wire.ContainerDefinition) {
				d.DockerLabels = map[string]string{"team": "a", agent.LabelTaskARN: "forged"}
			})),
			want: want(func(s *createSpec) {
				s.Config.Labels = map[string]string{"team": "a"}
				for k, v := range berthLabels {
					s.Config.Labels[k] = v
				}
			}),
		},
		{
			name: "readonlyRootFilesystem, initProcessEnabled, interactive, pseudoTerminal, disableNetworking",
			cfg: cfg(def(func(d *wire.ContainerDefinition) {
				d.ReadonlyRootFilesystem, d.Interactive, d.PseudoTerminal, d.DisableNetworking = new(true), new(true), new(true), new(true)
				d.LinuxParameters = &wire.LinuxParameters{InitProcessEnabled: new(true)}
			})),
			want: want(func(s *createSpec) {
				s.Host.ReadonlyRootfs, s.Host.Init = true, new(true)
				s.Config.OpenStdin, s.Config.Tty, s.Config.NetworkDisabled = true, true, true
			}),
		},
		{
			name: "capabilities, devices, shared memory, tmpfs, sysctls, security options",
			cfg: cfg(def(func(d *wire.ContainerDefinition) {
				d.LinuxParameters = &wire.LinuxParameters{
					Capabilities:     &wire.KernelCapabilities{Add: []string{"NET_ADMIN"}, Drop: []string{"MKNOD"}},
					Devices:          []wire.Device{{HostPath: new("/dev/fuse"), Permissions: []wire.DeviceCgroupPermission{"read", "write"}}},
					SharedMemorySize: new(int32(64)),
					Tmpfs:            []wire.Tmpfs{{ContainerPath: new("/run"), Size: new(int32(16)), MountOptions: []string{"noexec"}}},
				}
				d.SystemControls = []wire.SystemControl{{Namespace: new("net.core.somaxconn"), Value: new("1024")}}
				d.DockerSecurityOptions = []string{"no-new-privileges"}
			})),
			want: want(func(s *createSpec) {
				s.Host.CapAdd, s.Host.CapDrop = []string{"NET_ADMIN"}, []string{"MKNOD"}
				s.Host.Devices = []container.DeviceMapping{{PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rw"}}
				s.Host.ShmSize = 64 << 20
				s.Host.Tmpfs = map[string]string{"/run": "size=16m,noexec"}
				s.Host.Sysctls = map[string]string{"net.core.somaxconn": "1024"}
				s.Host.SecurityOpt = []string{"no-new-privileges"}
			}),
		},
		{
			name: "privileged when the agent allows it",
			cfg: cfg(def(func(d *wire.ContainerDefinition) { d.Privileged = new(true) }),
				func(c *agent.ContainerConfig) { c.AllowPrivileged = true }),
			want: want(func(s *createSpec) { s.Host.Privileged = true }),
		},
		{
			name: "json-file options pass through",
			cfg: cfg(def(func(d *wire.ContainerDefinition) {
				d.LogConfiguration = &wire.LogConfiguration{LogDriver: wire.LogDriverJsonFile, Options: map[string]string{"max-size": "10m"}}
			})),
			want: want(func(s *createSpec) { s.Host.LogConfig.Config = map[string]string{"max-size": "10m"} }),
		},
	}
}

func refusedCases() []specCase {
	return []specCase{
		{
			name:    "privileged is refused unless the agent allows it",
			cfg:     cfg(def(func(d *wire.ContainerDefinition) { d.Privileged = new(true) })),
			wantErr: agent.ErrPrivileged,
		},
		{
			name: "log drivers other than json-file are refused",
			cfg: cfg(def(func(d *wire.ContainerDefinition) {
				d.LogConfiguration = &wire.LogConfiguration{LogDriver: wire.LogDriverAwslogs}
			})),
			wantErr: agent.ErrCreate, errHas: `logDriver "awslogs"`,
		},
		{
			name: "secrets and repositoryCredentials are refused, both named",
			cfg: cfg(def(func(d *wire.ContainerDefinition) {
				d.Secrets = []wire.Secret{{Name: new("DB_PASSWORD")}}
				d.RepositoryCredentials = &wire.RepositoryCredentials{}
			})),
			wantErr: agent.ErrCreate, errHas: "secrets, repositoryCredentials",
		},
		{
			name: "an enabled restart policy is refused",
			cfg: cfg(def(func(d *wire.ContainerDefinition) {
				d.RestartPolicy = &wire.ContainerRestartPolicy{Enabled: new(true)}
			})),
			wantErr: agent.ErrCreate, errHas: "restartPolicy",
		},
		{
			name: "a health check not starting with CMD or CMD-SHELL is refused",
			cfg: cfg(def(func(d *wire.ContainerDefinition) {
				d.HealthCheck = &wire.HealthCheck{Command: []string{"curl", "localhost"}}
			})),
			wantErr: agent.ErrCreate, errHas: "CMD-SHELL",
		},
		{
			name: "maxSwap without a hard memory limit is refused",
			cfg: cfg(def(func(d *wire.ContainerDefinition) {
				d.LinuxParameters = &wire.LinuxParameters{MaxSwap: new(int32(64))}
			})),
			wantErr: agent.ErrCreate, errHas: "maxSwap",
		},
		{
			name:    "a container without an image is refused",
			cfg:     cfg(def(func(d *wire.ContainerDefinition) { d.Image = nil })),
			wantErr: agent.ErrCreate, errHas: "no image",
		},
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
