package agent

import (
	"context"
	"slices"
	"testing"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

// remoteAPIs are the docker-remote-api capabilities 1.17 through 1.<last>.
func remoteAPIs(last int) []string {
	var out []string
	for minor := 17; minor <= last; minor++ {
		out = append(out, dockerAPIPrefix+apiVersion{1, minor}.String())
	}
	return out
}

const (
	jsonFileLogs = "com.amazonaws.ecs.capability.logging-driver.json-file"
	healthCheck  = "ecs.capability.container-health-check"
	ordering     = "ecs.capability.container-ordering"
	privileged   = "com.amazonaws.ecs.capability.privileged-container"
)

func TestCapabilities(t *testing.T) {
	cases := []struct {
		name            string
		api             string
		allowPrivileged bool
		want            []string
	}{
		{"a modern engine", "1.44", false, append(remoteAPIs(44), jsonFileLogs, healthCheck, ordering)},
		{"with --allow-privileged", "1.44", true, append(remoteAPIs(44), jsonFileLogs, healthCheck, ordering, privileged)},
		{"the lowest version berth's Docker client negotiates", "1.40", false, append(remoteAPIs(40), jsonFileLogs, healthCheck, ordering)},
		{"API 1.24: health checks, as Docker added them there", "1.24", false, append(remoteAPIs(24), jsonFileLogs, healthCheck, ordering)},
		{"API 1.23: no health checks yet", "1.23", false, append(remoteAPIs(23), jsonFileLogs, ordering)},
		{"API 1.17: no log configuration yet", "1.17", false, append(remoteAPIs(17), ordering)},
		{"older than any capability", "1.12", false, []string{ordering}},
		{"an unknown version: nothing that needs one", "", true, []string{ordering, privileged}},
		{"not a 1.x version", "2.0", false, []string{ordering}},
		{"not a version", "1.4x", false, []string{ordering}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := capabilities(tc.api, tc.allowPrivileged); !slices.Equal(got, tc.want) {
				t.Errorf("capabilities(%q, %v)\n got %q\nwant %q", tc.api, tc.allowPrivileged, got, tc.want)
			}
		})
	}
}

func TestParseAPIVersion(t *testing.T) {
	cases := []struct {
		in   string
		want apiVersion
		ok   bool
	}{
		{"1.44", apiVersion{1, 44}, true},
		{"1.9", apiVersion{1, 9}, true},
		{"1.044", apiVersion{}, false},
		{"1.", apiVersion{}, false},
		{"1", apiVersion{}, false},
		{"1.-3", apiVersion{}, false},
		{"2.1", apiVersion{}, false},
		{"v1.44", apiVersion{}, false},
	}
	for _, tc := range cases {
		got, err := parseAPIVersion(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("parseAPIVersion(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestAttributes(t *testing.T) {
	cfg := Config{InstanceType: "m5.large", Attributes: map[string]string{
		"team":          "web",
		"ecs.os-family": "LINUX_CUSTOM", // replaces the built-in
		ordering:        "",             // withdraws the capability
		healthCheck:     "yes",          // replaces it with a valued attribute
	}}
	got := map[string]*string{}
	var names []string
	for _, a := range attributes(cfg, "1.18") {
		got[*a.Name] = a.Value
		names = append(names, *a.Name)
	}
	if !slices.IsSorted(names) {
		t.Errorf("attributes are not sorted by name: %q", names)
	}
	value := func(name string) string {
		if v := got[name]; v != nil {
			return *v
		}
		return "<none>"
	}
	for name, want := range map[string]string{
		"ecs.os-type": "linux", "ecs.os-family": "LINUX_CUSTOM", "ecs.cpu-architecture": cpuArchitecture(),
		"ecs.instance-type": "m5.large", "team": "web", healthCheck: "yes",
	} {
		if value(name) != want {
			t.Errorf("attribute %s = %s, want %s", name, value(name), want)
		}
	}
	for _, name := range []string{dockerAPIPrefix + "1.17", dockerAPIPrefix + "1.18", jsonFileLogs} {
		if v, ok := got[name]; !ok || v != nil {
			t.Errorf("capability %s: present %v, value %v; want present with no value", name, ok, v)
		}
	}
	for _, name := range []string{"ecs.availability-zone", ordering, privileged, dockerAPIPrefix + "1.19"} {
		if _, ok := got[name]; ok {
			t.Errorf("attribute %s is there, want it absent", name)
		}
	}
}

// TestCapabilitiesCoverWhatBerthRuns derives requiresAttributes as
// RegisterTaskDefinition does and checks them against what an agent on
// the oldest engine berth's Docker client accepts (API 1.40) advertises:
// every field the agent implements must be placeable, and every field it
// refuses must not be.
func TestCapabilitiesCoverWhatBerthRuns(t *testing.T) {
	advertised := func(allowPrivileged bool) []string { return capabilities("1.40", allowPrivileged) }
	cases := []struct {
		name            string
		edit            func(*wire.RegisterTaskDefinitionRequest, *wire.ContainerDefinition)
		allowPrivileged bool
		placeable       bool
	}{
		{"health check with a start period", func(_ *wire.RegisterTaskDefinitionRequest, c *wire.ContainerDefinition) {
			c.HealthCheck = &wire.HealthCheck{Command: []string{"CMD-SHELL", "true"}, StartPeriod: new(int32(5))}
		}, false, true},
		{"json-file logs, labels, ulimits", func(_ *wire.RegisterTaskDefinitionRequest, c *wire.ContainerDefinition) {
			c.LogConfiguration = &wire.LogConfiguration{LogDriver: wire.LogDriverJsonFile}
			c.DockerLabels = map[string]string{"team": "web"}
			c.Ulimits = []wire.Ulimit{{Name: wire.UlimitNameNofile, SoftLimit: new(int32(1024)), HardLimit: new(int32(4096))}}
		}, false, true},
		{"memoryReservation and an init process", func(_ *wire.RegisterTaskDefinitionRequest, c *wire.ContainerDefinition) {
			c.MemoryReservation = new(int32(32))
			c.LinuxParameters = &wire.LinuxParameters{InitProcessEnabled: new(true)}
		}, false, true},
		{"startTimeout and stopTimeout", func(_ *wire.RegisterTaskDefinitionRequest, c *wire.ContainerDefinition) {
			c.StartTimeout, c.StopTimeout = new(int32(30)), new(int32(10))
		}, false, true},
		{"privileged with --allow-privileged", func(_ *wire.RegisterTaskDefinitionRequest, c *wire.ContainerDefinition) {
			c.Privileged = new(true)
		}, true, true},
		{"privileged without --allow-privileged", func(_ *wire.RegisterTaskDefinitionRequest, c *wire.ContainerDefinition) {
			c.Privileged = new(true)
		}, false, false},
		{"a log driver other than json-file", func(_ *wire.RegisterTaskDefinitionRequest, c *wire.ContainerDefinition) {
			c.LogConfiguration = &wire.LogConfiguration{LogDriver: wire.LogDriverSyslog}
		}, false, false},
		{"a task role", func(r *wire.RegisterTaskDefinitionRequest, _ *wire.ContainerDefinition) {
			r.TaskRoleArn = new("arn:aws:iam::123456789012:role/task")
		}, true, false},
		{"an ECR image", func(_ *wire.RegisterTaskDefinitionRequest, c *wire.ContainerDefinition) {
			c.Image = new("123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:1")
		}, true, false},
		{"secrets", func(_ *wire.RegisterTaskDefinitionRequest, c *wire.ContainerDefinition) {
			c.Secrets = []wire.Secret{{Name: new("TOKEN"), ValueFrom: new("arn:aws:ssm:eu-west-1:123456789012:parameter/token")}}
		}, true, false},
		{"an EFS volume", func(r *wire.RegisterTaskDefinitionRequest, _ *wire.ContainerDefinition) {
			r.Volumes = []wire.Volume{{Name: new("efs"), EfsVolumeConfiguration: &wire.EFSVolumeConfiguration{FileSystemId: new("fs-1")}}}
		}, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := wire.ContainerDefinition{Name: new("app"), Image: new("busybox"), Memory: new(int32(64))}
			req := &wire.RegisterTaskDefinitionRequest{Family: new("f")}
			tc.edit(req, &c)
			req.ContainerDefinitions = []wire.ContainerDefinition{c}
			def, err := ecs.NewTaskDefinition(req)
			if err != nil {
				t.Fatal(err)
			}
			if len(def.RequiresAttributes) == 0 {
				t.Fatal("the definition requires no attribute: the case tests nothing")
			}
			var missing []string
			for _, a := range def.RequiresAttributes {
				if !slices.Contains(advertised(tc.allowPrivileged), *a.Name) {
					missing = append(missing, *a.Name)
				}
			}
			if placeable := len(missing) == 0; placeable != tc.placeable {
				t.Errorf("placeable = %v, want %v; requires %d attributes, of which the agent lacks %q",
					placeable, tc.placeable, len(def.RequiresAttributes), missing)
			}
		})
	}
}

func TestReregistrationReplacesCapabilities(t *testing.T) {
	c := newCluster(t)
	rt, dir := newFakeRuntime(), t.TempDir()
	has := func(a *Agent, name string) bool {
		return slices.ContainsFunc(c.instance(a.InstanceARN()).Attributes, func(at wire.Attribute) bool { return *at.Name == name })
	}
	a, stop := c.startAgentWith(rt, dir, func(cfg *Config) { cfg.AllowPrivileged = true })
	if !has(a, privileged) || !has(a, dockerAPIPrefix+fakeAPIVersion) {
		t.Fatalf("first registration lacks %s or docker-remote-api.%s", privileged, fakeAPIVersion)
	}
	arn := a.InstanceARN()
	if _, err := c.ecs.PutAttributes(context.Background(), &wire.PutAttributesRequest{
		Attributes: []wire.Attribute{{Name: new("stack"), Value: new("prod"), TargetId: new(arn)}}}); err != nil {
		t.Fatal(err)
	}
	stop()

	// The same instance restarts without --allow-privileged, on an older
	// engine.
	rt.mu.Lock()
	rt.api = "1.41"
	rt.mu.Unlock()
	a, _ = c.startAgentWith(rt, dir, nil)
	switch {
	case a.InstanceARN() != arn:
		t.Fatalf("restarted agent is %s, want %s", a.InstanceARN(), arn)
	case has(a, privileged):
		t.Errorf("%s is still advertised after a restart without --allow-privileged", privileged)
	case has(a, dockerAPIPrefix+"1.42") || !has(a, dockerAPIPrefix+"1.41"):
		t.Errorf("docker-remote-api capabilities did not follow the engine to 1.41")
	case !has(a, healthCheck):
		t.Errorf("%s is gone after the restart", healthCheck)
	case !has(a, "stack"):
		t.Errorf("the custom attribute PutAttributes set is gone after the re-registration")
	}
}
