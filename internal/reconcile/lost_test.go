package reconcile

import (
	"testing"
	"time"

	"github.com/berth-org/berth/internal/ecs"
)

// lostAfter is the clusters' lostInstanceTimeout in these tests.
const lostAfter = 300 * time.Second

const reasonLost300 = "Task stopped because its container instance was lost (agent disconnected for 300 s)."

// awayFor makes the instance's agent disconnected since d before t0.
func awayFor(d time.Duration) func(*Instance) {
	return func(i *Instance) { i.Connected, i.DisconnectedAt = false, t0.Add(-d) }
}

// back makes the instance's agent connected again.
func back(i *Instance) { i.Connected, i.DisconnectedAt = true, time.Time{} }

// withLost turns the policy on for in.
func withLost(in Input) Input {
	in.LostInstanceTimeout = lostAfter
	return in
}

func TestReplicaTasksOnALostInstanceAreReplaced(t *testing.T) {
	// web runs 3 healthy tasks, one on each of i-1 … i-3; i-3's agent is
	// away for as long as each case says.
	threeOn := func(i3 ...func(*Instance)) Input {
		return Input{
			Service:   svc(3, []ecs.Deployment{v1}),
			Tasks:     tasks("t", "ecs-svc/1", 3),
			Instances: []Instance{inst("i-1"), inst("i-2"), inst("i-3", i3...)},
		}
	}
	run(t, []stepCase{{
		name: "policy off (ECS): a task whose agent is away for good stays and counts",
		in:   threeOn(awayFor(24 * time.Hour)),
		want: []string{steadyMsg},
		deps: []string{"ecs-svc/1 PRIMARY COMPLETED desired=3 running=3 pending=0 failed=0"},
	}, {
		name: "before the timeout the task stays, and Step wakes when the instance will be lost",
		in:   withLost(threeOn(awayFor(lostAfter - time.Second))),
		want: []string{steadyMsg},
		wake: "+1s",
	}, {
		name: "exactly at the timeout the instance is lost: its task stops and is replaced",
		in:   withLost(threeOn(awayFor(lostAfter))),
		want: []string{"start 1 of ecs-svc/1 (web:1)", "stop t3: " + reasonLost300},
		deps: []string{"ecs-svc/1 PRIMARY COMPLETED desired=3 running=2 pending=0 failed=0"},
	}, {
		name: "long after it, likewise",
		in:   withLost(threeOn(awayFor(time.Hour))),
		want: []string{"start 1 of ecs-svc/1 (web:1)", "stop t3: " + reasonLost300},
	}, {
		name: "a DRAINING instance is lost like an ACTIVE one, its tasks stopped as lost",
		in:   withLost(threeOn(awayFor(time.Hour), draining)),
		want: []string{"start 1 of ecs-svc/1 (web:1)", "stop t3: " + reasonLost300},
	}, {
		name: "a deregistered (INACTIVE) instance is not lost: its tasks leave as from any instance gone",
		in:   withLost(threeOn(awayFor(time.Hour), func(i *Instance) { i.Status = ecs.InstanceInactive })),
		want: []string{"start 1 of ecs-svc/1 (web:1)"},
	}, {
		name: "an agent away without a known time is never lost",
		in:   withLost(threeOn(disconnected)),
		want: []string{steadyMsg},
		wake: "+6h0m0s",
	}, {
		name: "a lost task asked to stop already counts nowhere: the replacement runs, nothing more",
		in: withLost(Input{
			Service:   svc(3, []ecs.Deployment{v1}),
			Tasks:     cat(tasks("t", "ecs-svc/1", 2), []Task{tk("t3", "ecs-svc/1", on("i-3"), stopAsked), tk("t4", "ecs-svc/1", on("i-1"))}),
			Instances: []Instance{inst("i-1"), inst("i-2"), inst("i-3", awayFor(time.Hour))},
		}),
		want: []string{steadyMsg},
		deps: []string{"ecs-svc/1 PRIMARY COMPLETED desired=3 running=3 pending=0 failed=0"},
	}, {
		name: "when the instance comes back, its old copy counts against the ceiling until it stops, and nothing scales in",
		in: withLost(Input{
			Service:   svc(3, []ecs.Deployment{v1}, minMax(100, 100)),
			Tasks:     cat(tasks("t", "ecs-svc/1", 2), []Task{tk("t3", "ecs-svc/1", on("i-3"), stopAsked), tk("t4", "ecs-svc/1", on("i-1"))}),
			Instances: []Instance{inst("i-1"), inst("i-2"), inst("i-3", back)},
		}),
		want: nil,
		deps: []string{"ecs-svc/1 PRIMARY COMPLETED desired=3 running=4 pending=0 failed=0"},
	}, {
		name: "at maximumPercent 100 the lost task holds no place: its replacement starts at once",
		in:   withLost(Input{Service: svc(3, []ecs.Deployment{v1}, minMax(100, 100)), Tasks: tasks("t", "ecs-svc/1", 3), Instances: []Instance{inst("i-1"), inst("i-2"), inst("i-3", awayFor(time.Hour))}}),
		want: []string{"start 1 of ecs-svc/1 (web:1)", "stop t3: " + reasonLost300},
	}, {
		name: "a lost PENDING task stops too, and a lost task of an old deployment is replaced with its own revision as the floor needs",
		in: withLost(Input{
			Service: svc(2, []ecs.Deployment{v2, dep("ecs-svc/1", "web:1", old(2))}),
			Tasks: []Task{
				tk("n1", "ecs-svc/2", on("i-3"), pendingTask), tk("o1", "ecs-svc/1", on("i-3")), tk("o2", "ecs-svc/1", on("i-1")),
			},
			Instances: []Instance{inst("i-1"), inst("i-2"), inst("i-3", awayFor(time.Hour))},
		}),
		want: []string{"start 1 of ecs-svc/1 (web:1)", "start 2 of ecs-svc/2 (web:2)", "stop n1: " + reasonLost300, "stop o1: " + reasonLost300},
		deps: []string{
			"ecs-svc/2 PRIMARY IN_PROGRESS desired=2 running=0 pending=0 failed=0",
			"ecs-svc/1 ACTIVE COMPLETED desired=2 running=1 pending=0 failed=0",
		},
	}, {
		name: "a task the scheduler did not start (startedBy not a deployment) is left alone",
		in: withLost(Input{
			Service:   svc(2, []ecs.Deployment{v1}),
			Tasks:     []Task{tk("t1", "ecs-svc/1", on("i-1")), tk("t2", "ecs-svc/1", on("i-2")), tk("mine", "me", on("i-3"))},
			Instances: []Instance{inst("i-1"), inst("i-2"), inst("i-3", awayFor(time.Hour))},
		}),
		want: []string{steadyMsg},
	}})
}

func TestReplicaLostWhileDeletedAndDaemon(t *testing.T) {
	deleted := withLost(Input{
		Service:   svc(0, []ecs.Deployment{v1}, status(ecs.ServiceDraining)),
		Tasks:     cat(tasks("t", "ecs-svc/1", 2), []Task{tk("t3", "ecs-svc/1", on("i-3"), stopAsked)}),
		Instances: []Instance{inst("i-1"), inst("i-2"), inst("i-3", awayFor(time.Hour))},
	})
	run(t, []stepCase{{
		name: "a deleted service does not wait for its lost tasks to stop",
		in:   deleted,
		want: []string{"stop t1: " + scaling1, "stop t2: " + scaling1},
	}, {
		name: "DAEMON: the lost instance's task stops and is not replaced elsewhere; desiredCount drops",
		in:   withLost(Input{Service: daemonV1(), Tasks: oneEach, Instances: []Instance{inst("i-1"), inst("i-2"), inst("i-3", awayFor(lostAfter))}}),
		want: []string{"stop t3: " + reasonLost300},
		deps: []string{"ecs-svc/1 PRIMARY COMPLETED desired=2 running=2 pending=0 failed=0"},
	}, {
		name: "DAEMON: before the timeout the task stays and the instance still counts",
		in:   withLost(Input{Service: daemonV1(), Tasks: oneEach, Instances: []Instance{inst("i-1"), inst("i-2"), inst("i-3", awayFor(time.Minute))}}),
		want: []string{steadyMsg},
		deps: []string{"ecs-svc/1 PRIMARY COMPLETED desired=3 running=3 pending=0 failed=0"},
		wake: "+4m0s",
	}, {
		name: "DAEMON on a lost DRAINING instance: the task stops without waiting for the REPLICA tasks there",
		in: withLost(Input{Service: daemonV1(), Tasks: oneEach, Instances: []Instance{
			inst("i-1"), inst("i-2"), inst("i-3", draining, replicaTasks(2), awayFor(time.Hour)),
		}}),
		want: []string{"stop t3: " + reasonLost300},
	}, {
		name: "DAEMON: when the instance comes back, it gets its task once the old one has stopped",
		in: withLost(Input{Service: daemonV1(), Tasks: []Task{
			tk("t1", "ecs-svc/1", on("i-1")), tk("t2", "ecs-svc/1", on("i-2")), tk("t3", "ecs-svc/1", on("i-3"), stopAsked),
		}, Instances: instances(3)}),
		want: nil,
	}})
}
