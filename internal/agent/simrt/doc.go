// Package simrt simulates container instances, for capacity planning,
// for trying placement rules, and for scale work on the control plane
// (berth agent --simulate N). Each simulated instance is a real
// agent.Agent speaking the real agent protocol to a real server:
// registration, session stream, state reports, heartbeats. Only the
// container engine is simulated.
//
// Contract of Runtime, the simulated engine (one per instance):
//
//   - Nothing is started: no process, no image, no network, no disk.
//     EnsureImage never pulls; Create, Stop, Remove and Inspect return at
//     once; ids are unique in the process (64 hex digits, like Docker's).
//   - A container is running no sooner than StartDelay after its Create:
//     Start returns when it is (bounded by its context), then emits the
//     "start" event, as Docker's start returns once the process runs. The
//     delay counts from Create so that a task of several containers (all
//     created before any starts) is RUNNING one StartDelay after it began.
//     A container with a health check reports healthy while it runs.
//   - Containers run until stopped: Stop makes a running container exit
//     with code 0 at once (whatever the grace period) and emits "die".
//     Task definitions that wait for a container to exit (dependsOn
//     COMPLETE or SUCCESS) therefore never start their dependents.
//   - portMappings are validated and bound as dockerrt binds them: in
//     bridge mode a hostPort is reported as asked and hostPort 0 gets the
//     next free port of the ECS ephemeral range 49153-65535, per instance;
//     in host mode hostPort is containerPort, on 0.0.0.0. A host port is
//     held from Create until the container exits or is removed; asking for
//     a held one fails Create (agent.ErrCreate), as Docker fails a second
//     bind.
//   - Events and List see only the containers labelled for the instance
//     asked about. An event subscriber that falls eventBuffer events
//     behind has its stream ended with an error (the agent re-inspects
//     and subscribes again); an event is never blocked on.
//
// Fleet runs N agents on such runtimes in one process, cheaply enough for
// 5,000 instances and 100,000 tasks on two cores: the agents share two
// HTTP clients (one connection per session stream, a bounded pool for
// everything else), keep their state in memory (agent.NewMemoryState: a
// simulated instance lives only as long as the process, and a restarted
// fleet registers new instances), and register at most
// registerConcurrency at a time.
package simrt
