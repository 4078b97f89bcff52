package dockerrt

import (
	"maps"
	"strings"

	"github.com/berth-org/berth/internal/agent"
	"github.com/berth-org/berth/internal/wire"
)

// labelTaskID marks the Docker volumes created for one task, so that
// RemoveTaskVolumes finds them. Shared volumes never carry it.
const labelTaskID = "com.berth.task-id"

// volumeSpec is a Docker volume a container mounts, which Create makes
// sure exists first.
type volumeSpec struct {
	Name       string
	Driver     string // "" is the engine's default, local
	DriverOpts map[string]string
	Labels     map[string]string
	// Shared volumes outlive tasks; an absent one is created only when
	// Autoprovision is set. Task-scoped volumes are always created.
	Shared        bool
	Autoprovision bool
}

// taskVolumeName is the engine name of task taskID's volume name, e.g.
// berth-0f3c9a-data: unique per task, so that two tasks of one definition
// never share it.
func taskVolumeName(taskID, name string) string {
	return "berth-" + taskID + "-" + name
}

// mounts is the mount part of a create request.
type mounts struct {
	binds       []string // "source:target[:ro]"
	volumesFrom []string // "container-id[:ro]"
	volumes     []volumeSpec
}

// mountSpec translates mountPoints and volumesFrom. A mount point's source
// volume is, by the task volume's configuration:
//
//   - host.sourcePath: a bind mount of that host path, which Docker creates
//     when absent, as ECS documents;
//   - dockerVolumeConfiguration, scope task (the default): the volume
//     berth-<task id>-<name>, labelled with the task id;
//   - dockerVolumeConfiguration, scope shared: the volume <name> itself;
//   - neither: a task-scoped local volume, ECS's "Docker-managed" volume.
//
// Example: task 0f3c9a, volume {name data}, mountPoint {sourceVolume data,
// containerPath /var/data, readOnly true} → bind
// "berth-0f3c9a-data:/var/data:ro" and volume berth-0f3c9a-data.
//
// Binds rather than Mounts because Binds create a missing host path, which
// ECS definitions rely on; volume names and paths cannot contain ':'.
func mountSpec(c agent.ContainerConfig) (mounts, error) {
	var m mounts
	byName := make(map[string]wire.Volume, len(c.Volumes))
	for _, v := range c.Volumes {
		byName[str(v.Name)] = v
	}
	seen := map[string]bool{}
	for _, mp := range c.Def.MountPoints {
		target := str(mp.ContainerPath)
		if !strings.HasPrefix(target, "/") {
			return m, createErr("mountPoints.containerPath %q is not an absolute path", target)
		}
		v, ok := byName[str(mp.SourceVolume)]
		if !ok {
			return m, createErr("mountPoints.sourceVolume %q is not a volume of the task", str(mp.SourceVolume))
		}
		source, vs, err := volumeSource(c, v)
		if err != nil {
			return m, err
		}
		if vs != nil && !seen[vs.Name] {
			seen[vs.Name] = true
			m.volumes = append(m.volumes, *vs)
		}
		m.binds = append(m.binds, source+":"+target+readOnlySuffix(mp.ReadOnly))
	}
	for _, vf := range c.Def.VolumesFrom {
		src := str(vf.SourceContainer)
		id := c.VolumesFrom[src]
		if id == "" {
			return m, createErr("volumesFrom.sourceContainer %q has no container yet", src)
		}
		m.volumesFrom = append(m.volumesFrom, id+readOnlySuffix(vf.ReadOnly))
	}
	return m, nil
}

// volumeSource is what a bind names for volume v (a host path or a volume
// name), and the Docker volume to ensure, if any.
func volumeSource(c agent.ContainerConfig, v wire.Volume) (string, *volumeSpec, error) {
	name := str(v.Name)
	switch {
	case v.EfsVolumeConfiguration != nil, v.FsxWindowsFileServerVolumeConfiguration != nil,
		v.S3filesVolumeConfiguration != nil:
		return "", nil, createErr("volume %q: EFS, FSx and S3 Files volumes are not supported by berth's Docker runtime", name)
	case flag(v.ConfiguredAtLaunch):
		return "", nil, createErr("volume %q: volumes configured at launch are not supported by berth's Docker runtime", name)
	case v.Host != nil && str(v.Host.SourcePath) != "":
		return str(v.Host.SourcePath), nil, nil
	case v.DockerVolumeConfiguration != nil:
		dvc := v.DockerVolumeConfiguration
		vs := &volumeSpec{Driver: str(dvc.Driver), DriverOpts: dvc.DriverOpts}
		switch dvc.Scope {
		case wire.ScopeShared:
			vs.Name, vs.Shared, vs.Autoprovision = name, true, flag(dvc.Autoprovision)
			vs.Labels = dvc.Labels
		case "", wire.ScopeTask:
			vs.Name, vs.Labels = taskVolumeName(c.TaskID, name), taskVolumeLabels(c, dvc.Labels)
		default:
			return "", nil, createErr("volume %q: unknown scope %q", name, dvc.Scope)
		}
		return vs.Name, vs, nil
	default:
		vs := &volumeSpec{Name: taskVolumeName(c.TaskID, name), Labels: taskVolumeLabels(c, nil)}
		return vs.Name, vs, nil
	}
}

// taskVolumeLabels are a task-scoped volume's labels: the definition's,
// then the task id and berth's labels that describe the task (not the
// container, since the task's containers share the volume).
func taskVolumeLabels(c agent.ContainerConfig, own map[string]string) map[string]string {
	out := maps.Clone(own)
	if out == nil {
		out = map[string]string{}
	}
	for _, k := range []string{agent.LabelInstanceARN, agent.LabelCluster, agent.LabelTaskARN} {
		if v, ok := c.Labels[k]; ok {
			out[k] = v
		}
	}
	out[labelTaskID] = c.TaskID
	return out
}

func readOnlySuffix(ro *bool) string {
	if flag(ro) {
		return ":ro"
	}
	return ""
}
