package dockerrt

import (
	"fmt"
	"maps"
	"net/netip"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/berth-org/berth/internal/agent"
	"github.com/berth-org/berth/internal/wire"
)

const (
	// minCPUShares is what a container with cpu 0, 1 or absent gets. Docker
	// would turn 0 into 1024 shares (a whole core's weight) and Linux
	// refuses 1, so the ECS agent uses 2, the kernel's minimum; berth does
	// the same. Any other cpu value is used as is: 1024 ECS CPU units =
	// 1024 shares = one core's weight under contention.
	minCPUShares = 2
	// mib converts the definition's MiB to the engine's bytes.
	mib = 1024 * 1024
	// defaultSwappiness is ECS's swappiness when maxSwap is set and
	// swappiness is not.
	defaultSwappiness = 60
	// jsonFile is the only log driver berth's runtime supports: the agent
	// reads nothing from it, and every engine has it.
	jsonFile = "json-file"
)

// ECS's health check defaults, which differ from Docker's (Docker's
// timeout is 30 s, ECS's 5 s), so they are always sent explicitly.
const (
	defaultHealthInterval = 30 * time.Second
	defaultHealthTimeout  = 5 * time.Second
	defaultHealthRetries  = 3
)

// createSpec is everything Create sends to the engine for one container.
// Networking needs no NetworkingConfig: bridge, host and none are the
// engine's built-in networks, chosen by HostConfig.NetworkMode.
type createSpec struct {
	Config *container.Config
	Host   *container.HostConfig
	// Volumes are the Docker volumes that must exist before the container
	// is created, in mount order.
	Volumes []volumeSpec
	// Dynamic are the host ports allocated for this container, released
	// if its creation fails. containerSpec sets it even when it fails.
	Dynamic []portKey
}

// containerSpec translates an ECS container definition into the engine's
// create request. It performs no engine I/O; its only effect is through
// ports, which reserves the dynamic host ports it hands out.
//
// Fields the engine cannot honour make it fail with an error wrapping
// agent.ErrCreate that names them, rather than being dropped; fields that
// only inform the agent or the control plane (essential, dependsOn,
// startTimeout, versionConsistency, portMappings' name and appProtocol)
// are not its business and are ignored.
func containerSpec(c agent.ContainerConfig, ports portAllocator) (createSpec, error) {
	d := c.Def
	if err := checkSupported(d); err != nil {
		return createSpec{}, err
	}
	if flag(d.Privileged) && !c.AllowPrivileged {
		return createSpec{}, fmt.Errorf("%w: container %s", agent.ErrPrivileged, c.Name)
	}
	if str(d.Image) == "" {
		return createSpec{}, createErr("container %s has no image", c.Name)
	}
	hc, err := healthConfig(d.HealthCheck)
	if err != nil {
		return createSpec{}, err
	}
	host, err := hostConfig(c)
	if err != nil {
		return createSpec{}, err
	}
	mounts, err := mountSpec(c)
	if err != nil {
		return createSpec{}, err
	}
	host.Binds, host.VolumesFrom = mounts.binds, mounts.volumesFrom
	cfg := &container.Config{
		Image:           str(d.Image),
		Cmd:             d.Command,
		Entrypoint:      d.EntryPoint,
		Env:             environment(d.Environment),
		WorkingDir:      str(d.WorkingDirectory),
		User:            str(d.User),
		Hostname:        str(d.Hostname),
		Labels:          labels(c),
		Healthcheck:     hc,
		OpenStdin:       flag(d.Interactive),
		Tty:             flag(d.PseudoTerminal),
		NetworkDisabled: flag(d.DisableNetworking),
	}
	if d.StopTimeout != nil {
		cfg.StopTimeout = new(int(*d.StopTimeout))
	}
	// Ports come last: allocating one is the only effect. If a later
	// mapping fails, Dynamic still lists what was allocated, to be freed.
	p, err := portSpec(c, ports)
	if err != nil {
		return createSpec{Dynamic: p.dynamic}, err
	}
	cfg.ExposedPorts, host.PortBindings = p.exposed, p.bindings
	return createSpec{Config: cfg, Host: host, Volumes: mounts.volumes, Dynamic: p.dynamic}, nil
}

// checkSupported refuses the definition's features that Docker cannot
// honour without help berth does not have (a secrets store, registry
// credentials, S3, GPUs, log routers).
func checkSupported(d *wire.ContainerDefinition) error {
	var missing []string
	add := func(present bool, what string) {
		if present {
			missing = append(missing, what)
		}
	}
	add(len(d.Secrets) > 0, "secrets")
	add(d.RepositoryCredentials != nil, "repositoryCredentials")
	add(len(d.EnvironmentFiles) > 0, "environmentFiles")
	add(len(d.CredentialSpecs) > 0, "credentialSpecs")
	add(d.FirelensConfiguration != nil, "firelensConfiguration")
	add(len(d.ResourceRequirements) > 0, "resourceRequirements (GPU, InferenceAccelerator)")
	add(d.RestartPolicy != nil && flag(d.RestartPolicy.Enabled), "restartPolicy")
	if lc := d.LogConfiguration; lc != nil {
		add(lc.LogDriver != jsonFile, fmt.Sprintf("logConfiguration.logDriver %q (only %s)", lc.LogDriver, jsonFile))
		add(len(lc.SecretOptions) > 0, "logConfiguration.secretOptions")
	}
	for _, pm := range d.PortMappings {
		add(pm.ContainerPortRange != nil, "portMappings.containerPortRange")
	}
	if len(missing) == 0 {
		return nil
	}
	return createErr("not supported by berth's Docker runtime: %s", strings.Join(missing, ", "))
}

// hostConfig is the HostConfig without mounts and port bindings.
func hostConfig(c agent.ContainerConfig) (*container.HostConfig, error) {
	d := c.Def
	mode, err := networkMode(c.NetworkMode)
	if err != nil {
		return nil, err
	}
	res, err := resources(d)
	if err != nil {
		return nil, err
	}
	dns, err := parseAddrs("dnsServers", d.DnsServers)
	if err != nil {
		return nil, err
	}
	hosts, err := extraHosts(d.ExtraHosts)
	if err != nil {
		return nil, err
	}
	links, err := linkSpec(c, mode)
	if err != nil {
		return nil, err
	}
	host := &container.HostConfig{
		NetworkMode:    mode,
		LogConfig:      container.LogConfig{Type: jsonFile},
		Privileged:     flag(d.Privileged),
		ReadonlyRootfs: flag(d.ReadonlyRootFilesystem),
		DNS:            dns,
		DNSSearch:      d.DnsSearchDomains,
		ExtraHosts:     hosts,
		Links:          links,
		SecurityOpt:    d.DockerSecurityOptions,
		Sysctls:        sysctls(d.SystemControls),
		Resources:      res,
	}
	if lc := d.LogConfiguration; lc != nil {
		host.LogConfig.Config = lc.Options
	}
	if err := applyLinuxParameters(host, d); err != nil {
		return nil, err
	}
	return host, nil
}

// resources are the cgroup settings: cpu shares, memory limits, ulimits.
func resources(d *wire.ContainerDefinition) (container.Resources, error) {
	r := container.Resources{CPUShares: minCPUShares}
	if cpu := i32(d.Cpu); cpu > 1 {
		r.CPUShares = int64(cpu)
	}
	r.Memory = int64(i32(d.Memory)) * mib
	r.MemoryReservation = int64(i32(d.MemoryReservation)) * mib
	for _, u := range d.Ulimits {
		if u.Name == "" || u.SoftLimit == nil || u.HardLimit == nil {
			return r, createErr("ulimit %q needs name, softLimit and hardLimit", u.Name)
		}
		r.Ulimits = append(r.Ulimits, &container.Ulimit{
			Name: string(u.Name), Soft: int64(*u.SoftLimit), Hard: int64(*u.HardLimit),
		})
	}
	return r, nil
}

// applyLinuxParameters sets linuxParameters: init, capabilities, devices,
// /dev/shm size, tmpfs mounts, swap.
//
// Swap worked example: memory=512, maxSwap=256 → MemorySwap = (512+256)
// MiB, the engine's memory+swap total; maxSwap=0 → MemorySwap = 512 MiB,
// no swap. Docker needs a hard memory limit for either.
func applyLinuxParameters(host *container.HostConfig, d *wire.ContainerDefinition) error {
	lp := d.LinuxParameters
	if lp == nil {
		return nil
	}
	if flag(lp.InitProcessEnabled) {
		host.Init = new(true)
	}
	if caps := lp.Capabilities; caps != nil {
		host.CapAdd, host.CapDrop = caps.Add, caps.Drop
	}
	for _, dev := range lp.Devices {
		m, err := deviceMapping(dev)
		if err != nil {
			return err
		}
		host.Devices = append(host.Devices, m)
	}
	host.ShmSize = int64(i32(lp.SharedMemorySize)) * mib
	for _, t := range lp.Tmpfs {
		if !strings.HasPrefix(str(t.ContainerPath), "/") || i32(t.Size) <= 0 {
			return createErr("tmpfs needs an absolute containerPath and a size, got %q size %d", str(t.ContainerPath), i32(t.Size))
		}
		if host.Tmpfs == nil {
			host.Tmpfs = map[string]string{}
		}
		opts := append([]string{fmt.Sprintf("size=%dm", i32(t.Size))}, t.MountOptions...)
		host.Tmpfs[str(t.ContainerPath)] = strings.Join(opts, ",")
	}
	if lp.MaxSwap != nil {
		if host.Memory == 0 {
			return createErr("linuxParameters.maxSwap needs a hard memory limit (memory)")
		}
		host.MemorySwap = host.Memory + int64(*lp.MaxSwap)*mib
		host.MemorySwappiness = new(int64(defaultSwappiness))
		if lp.Swappiness != nil {
			host.MemorySwappiness = new(int64(*lp.Swappiness))
		}
	}
	return nil
}

func deviceMapping(dev wire.Device) (container.DeviceMapping, error) {
	hostPath := str(dev.HostPath)
	if hostPath == "" {
		return container.DeviceMapping{}, createErr("device needs a hostPath")
	}
	m := container.DeviceMapping{PathOnHost: hostPath, PathInContainer: hostPath, CgroupPermissions: "rwm"}
	if p := str(dev.ContainerPath); p != "" {
		m.PathInContainer = p
	}
	if len(dev.Permissions) > 0 {
		var perms strings.Builder
		for _, p := range dev.Permissions {
			switch p {
			case wire.DeviceCgroupPermissionRead:
				perms.WriteByte('r')
			case wire.DeviceCgroupPermissionWrite:
				perms.WriteByte('w')
			case wire.DeviceCgroupPermissionMknod:
				perms.WriteByte('m')
			default:
				return container.DeviceMapping{}, createErr("device %s: unknown permission %q", hostPath, p)
			}
		}
		m.CgroupPermissions = perms.String()
	}
	return m, nil
}

// healthConfig translates ECS's health check. Without one, the image's
// own HEALTHCHECK is disabled: ECS ignores image health checks, and a
// container must not turn unhealthy from a check its definition never
// asked for.
func healthConfig(h *wire.HealthCheck) (*container.HealthConfig, error) {
	if h == nil {
		return &container.HealthConfig{Test: []string{"NONE"}}, nil
	}
	if len(h.Command) < 2 || (h.Command[0] != "CMD" && h.Command[0] != "CMD-SHELL") {
		return nil, createErr("healthCheck.command must start with CMD or CMD-SHELL and name a command, got %q", h.Command)
	}
	seconds := func(p *int32, def time.Duration) time.Duration {
		if p == nil || *p <= 0 {
			return def
		}
		return time.Duration(*p) * time.Second
	}
	hc := &container.HealthConfig{
		Test:        h.Command,
		Interval:    seconds(h.Interval, defaultHealthInterval),
		Timeout:     seconds(h.Timeout, defaultHealthTimeout),
		StartPeriod: seconds(h.StartPeriod, 0),
		Retries:     defaultHealthRetries,
	}
	if h.Retries != nil && *h.Retries > 0 {
		hc.Retries = int(*h.Retries)
	}
	return hc, nil
}

// labels are the definition's dockerLabels with berth's on top: a
// definition cannot pose as another instance's or task's container.
func labels(c agent.ContainerConfig) map[string]string {
	out := make(map[string]string, len(c.Def.DockerLabels)+len(c.Labels))
	maps.Copy(out, c.Def.DockerLabels)
	maps.Copy(out, c.Labels)
	return out
}

func environment(env []wire.KeyValuePair) []string {
	var out []string
	for _, kv := range env {
		out = append(out, str(kv.Name)+"="+str(kv.Value))
	}
	return out
}

func extraHosts(hosts []wire.HostEntry) ([]string, error) {
	var out []string
	for _, h := range hosts {
		if str(h.Hostname) == "" || str(h.IpAddress) == "" {
			return nil, createErr("extraHosts entry needs hostname and ipAddress")
		}
		out = append(out, str(h.Hostname)+":"+str(h.IpAddress))
	}
	return out, nil
}

func sysctls(scs []wire.SystemControl) map[string]string {
	if len(scs) == 0 {
		return nil
	}
	out := make(map[string]string, len(scs))
	for _, sc := range scs {
		out[str(sc.Namespace)] = str(sc.Value)
	}
	return out
}

func parseAddrs(field string, ss []string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, s := range ss {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, createErr("%s: %v", field, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// createErr is an error for a definition the runtime cannot create.
func createErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", agent.ErrCreate, fmt.Sprintf(format, args...))
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func i32(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

func flag(p *bool) bool { return p != nil && *p }
