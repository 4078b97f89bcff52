package reconcile

import (
	"testing"
	"time"

	"github.com/berth-org/berth/internal/ecs"
)

func TestSteadyStateIsSaidOnceThenEverySixHours(t *testing.T) {
	steadyEvent := func(ago time.Duration) ecs.ServiceEvent {
		return NewEvent("arn", t0.Add(-ago), "(service web) has reached a steady state.")
	}
	otherEvent := NewEvent("arn", t0.Add(-time.Minute), "(service web) has started 1 tasks: (task t4).")
	steady := func(opts ...func(*ecs.Service)) Input {
		return Input{Service: svc(4, []ecs.Deployment{v1}, opts...), Tasks: tasks("t", "ecs-svc/1", 4)}
	}
	run(t, []stepCase{{
		name: "on the way into steady state",
		in:   steady(withEvents(otherEvent)),
		want: []string{steadyMsg},
		wake: "+6h0m0s",
	}, {
		name: "not again an hour later",
		in:   steady(withEvents(steadyEvent(time.Hour))),
		want: nil,
		wake: "+5h0m0s",
	}, {
		name: "again after six hours",
		in:   steady(withEvents(steadyEvent(6 * time.Hour))),
		want: []string{steadyMsg},
	}, {
		name: "not while anything is under way",
		in:   Input{Service: svc(4, []ecs.Deployment{v1}), Tasks: tasks("t", "ecs-svc/1", 3)},
		want: []string{"start 1 of ecs-svc/1 (web:1)"},
	}})
}

func TestMessagesForTheController(t *testing.T) {
	same(t, "started", "(service web) has started 2 tasks: (task a1) (task b2).", StartedMessage("web", []string{"a1", "b2"}))
	same(t, "stopped", "(service web) has stopped 1 running tasks: (task a1).", StoppedMessage("web", []string{"a1"}))
}

func TestEventIDsAreAFunctionOfTheEvent(t *testing.T) {
	a := NewEvent("arn:svc", t0, "m")
	same(t, "same event, same id", a.ID, NewEvent("arn:svc", t0, "m").ID)
	for _, b := range []ecs.ServiceEvent{
		NewEvent("arn:other", t0, "m"), NewEvent("arn:svc", t0.Add(time.Nanosecond), "m"), NewEvent("arn:svc", t0, "n"),
	} {
		if b.ID == a.ID {
			t.Errorf("%+v has the id of %+v", b, a)
		}
	}
}

// A decision changes nothing it was given, and a restart stepping the
// same stored state again decides the same thing.
func TestStepIsPure(t *testing.T) {
	in := Input{
		Service: svc(4, []ecs.Deployment{v2, dep("ecs-svc/1", "web:1", old(4), settledTasks("o1"))},
			breakerOn(true), stable("ecs-svc/1", "web:1"), withEvents(NewEvent("arn", t0, "x"))),
		Tasks:           cat(tasks("o", "ecs-svc/1", 4), []Task{failedToStart("n1", "ecs-svc/2")}),
		Instances:       instances(3),
		Now:             t0,
		NewDeploymentID: "ecs-svc/3",
	}
	before := clone(in)
	first := Step(in)
	same(t, "input after Step", before, in)
	same(t, "a second decision from the same input", first, Step(in))
}

// clone is a deep copy of in, for comparing after.
func clone(in Input) Input {
	c := in
	c.Service = *cloneService(&in.Service)
	c.Service.Events = append([]ecs.ServiceEvent(nil), in.Service.Events...)
	c.Tasks = append([]Task(nil), in.Tasks...)
	c.Instances = append([]Instance(nil), in.Instances...)
	return c
}

func TestTaskOfTakesTheControlPlanesStopCodeFirst(t *testing.T) {
	stored := &ecs.Task{
		ID: "t1", StartedBy: "ecs-svc/1", ContainerInstanceID: "i-1", CreatedAt: t0,
		DesiredStatus: ecs.TaskStopped, StopCode: ecs.StopServiceSchedulerInitiated, StoppedReason: "Scaling activity initiated by (deployment ecs-svc/1)",
		Known: ecs.Known{
			LastStatus: ecs.TaskStopped, HealthStatus: ecs.HealthHealthy, StartedAt: t0.Add(time.Second), StoppedAt: t0.Add(time.Minute),
			StopCode: ecs.StopEssentialContainerExited, StoppedReason: ecs.ReasonEssentialContainerExited,
		},
	}
	want := Task{
		ID: "t1", DeploymentID: "ecs-svc/1", InstanceID: "i-1",
		LastStatus: ecs.TaskStopped, DesiredStatus: ecs.TaskStopped, Health: ecs.HealthHealthy, HealthChecked: true,
		CreatedAt: t0, StartedAt: t0.Add(time.Second), StoppedAt: t0.Add(time.Minute),
		StopCode: ecs.StopServiceSchedulerInitiated, StoppedReason: "Scaling activity initiated by (deployment ecs-svc/1)",
	}
	same(t, "view", want, TaskOf(stored, true))
	stored.StopCode, stored.StoppedReason = "", ""
	same(t, "stop code without a StopTask", ecs.StopEssentialContainerExited, TaskOf(stored, true).StopCode)
}
