// Package dockerrt implements agent.Runtime on a Docker Engine, through the
// official client github.com/moby/moby/client. It is tested against
// Engine 20.10 (API 1.41); New negotiates the API version down to the
// engine's.
//
// Contract:
//
//   - Create translates an ECS container definition with containerSpec, a
//     pure function but for the dynamic host ports it reserves. What the
//     engine cannot honour (secrets, repositoryCredentials, log drivers
//     other than json-file, EFS volumes, ...) fails with an error wrapping
//     agent.ErrCreate that names it; nothing is silently dropped except
//     fields that only inform the agent or the control plane (essential,
//     dependsOn, startTimeout, ...). Privileged mode without
//     AllowPrivileged wraps agent.ErrPrivileged.
//   - Engine errors from EnsureImage, Create and Start wrap agent.ErrPull,
//     ErrCreate and ErrStart, which the agent reports as the container's
//     failure, except when the engine is unreachable or the caller's
//     context ended: those are returned unwrapped so the agent retries.
//     Missing containers are recognised by the client's typed errors
//     (errdefs), never by message.
//   - Every engine call is bounded by one of the named timeouts in
//     dockerrt.go, except Events, which streams until its context ends.
//   - A task's Docker volumes (scope task, or no configuration) are named
//     berth-<task id>-<volume> and labelled com.berth.task-id=<task id>,
//     for RemoveTaskVolumes; shared volumes keep their own name and are
//     never removed by berth.
//   - Dynamic host ports come from the ECS ephemeral range 49153-65535,
//     published on ContainerConfig.HostIP; see hostPorts for how they are
//     chosen and the race with other processes that remains.
//   - Nothing is ever pulled that the engine already has (prefer-cached):
//     berth's hosts may reach no registry.
package dockerrt
