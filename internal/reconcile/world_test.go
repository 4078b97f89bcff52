package reconcile

import (
	"fmt"
	"slices"
	"time"

	"github.com/berth-org/berth/internal/ecs"
)

// world is a cluster as the service controller and the agents keep it:
// the stored service, its tasks, the instances and a clock. It applies
// decisions as the controller will (placement made simple: the ACTIVE,
// connected instance with the fewest of the service's tasks), and agents'
// reports as the scenario or the property test says.
type world struct {
	svc   ecs.Service
	tasks []*Task // in creation order
	insts []Instance
	now   time.Time
	// healthChecked says the service's task definition has a health check.
	healthChecked bool
	// lostAfter is the cluster's lostInstanceTimeout (0: disabled).
	lostAfter time.Duration
	nextTask  int
	nextDep   int
	// choose resolves a StopChoice; by default the first Count candidates.
	choose func(StopChoice) []string
	// added are the events the last step added, oldest first.
	added []ecs.ServiceEvent
}

// newWorld is a world with a new service of one PRIMARY deployment
// ecs-svc/1 of web:1, as CreateService makes it.
func newWorld(s ecs.Service, insts []Instance) *world {
	s.Deployments = []ecs.Deployment{{
		ID: "ecs-svc/1", Status: ecs.DeploymentPrimary, TaskDefinitionARN: "web:1", DesiredCount: s.DesiredCount,
		RolloutState: ecs.RolloutInProgress, RolloutStateReason: "ECS deployment ecs-svc/1 in progress.",
		CreatedAt: t0, UpdatedAt: t0,
	}}
	s.TaskDefinitionARN = "web:1"
	return &world{svc: s, insts: insts, now: t0, nextDep: 1,
		choose: func(c StopChoice) []string { return c.Candidates[:c.Count] }}
}

func (w *world) input() Input {
	in := Input{Service: w.svc, Instances: w.insts, Now: w.now, NewDeploymentID: fmt.Sprintf("ecs-svc/%d", w.nextDep+1),
		LostInstanceTimeout: w.lostAfter}
	for _, t := range w.tasks {
		in.Tasks = append(in.Tasks, *t)
	}
	return in
}

// step runs Step on the world and applies the decision.
func (w *world) step() Decision {
	d := Step(w.input())
	w.apply(d)
	return d
}

// apply does what the service controller does with a decision.
func (w *world) apply(d Decision) {
	w.svc = d.Service
	w.added = slices.Clone(d.Events)
	if d.UsedDeploymentID {
		w.nextDep++
	}
	var stopped []string
	stop := func(id, code, reason string) {
		if t := w.task(id); t != nil && t.DesiredStatus != ecs.TaskStopped {
			t.DesiredStatus, t.StopCode, t.StoppedReason = ecs.TaskStopped, code, reason
			stopped = append(stopped, id)
		}
	}
	for _, s := range d.Stop {
		stop(s.TaskID, s.Code, s.Reason)
	}
	for _, c := range d.StopSome {
		for _, id := range w.choose(c) {
			stop(id, c.Code, c.Reason)
		}
	}
	var started []string
	for _, s := range d.Start {
		for range s.Count {
			instance := s.InstanceID
			if instance == "" {
				instance = w.place()
			}
			if instance == "" {
				break
			}
			w.nextTask++
			t := &Task{
				ID: fmt.Sprintf("t%02d", w.nextTask), DeploymentID: s.DeploymentID, InstanceID: instance,
				LastStatus: ecs.TaskPending, DesiredStatus: ecs.TaskRunning, Health: ecs.HealthUnknown,
				HealthChecked: w.healthChecked, CreatedAt: w.now,
			}
			w.tasks = append(w.tasks, t)
			started = append(started, t.ID)
		}
	}
	w.record(started, StartedMessage)
	w.record(stopped, StoppedMessage)
}

func (w *world) record(ids []string, message func(string, []string) string) {
	if len(ids) > 0 {
		e := NewEvent(w.svc.ARN, w.now, message(w.svc.Name, ids))
		w.svc.AddEvent(e)
		w.added = append(w.added, e)
	}
}

// place picks the ACTIVE, connected instance with the fewest tasks of the
// service present, the first by id among equals; "" when there is none.
func (w *world) place() string {
	best, fewest := "", 0
	for _, i := range w.insts {
		if i.Status != ecs.InstanceActive || !i.Connected {
			continue
		}
		n := 0
		for _, t := range w.tasks {
			if t.InstanceID == i.ID && t.LastStatus != ecs.TaskStopped {
				n++
			}
		}
		if best == "" || n < fewest {
			best, fewest = i.ID, n
		}
	}
	return best
}

func (w *world) task(id string) *Task {
	for _, t := range w.tasks {
		if t.ID == id {
			return t
		}
	}
	return nil
}

func (w *world) instance(id string) *Instance {
	for i := range w.insts {
		if w.insts[i].ID == id {
			return &w.insts[i]
		}
	}
	return nil
}

// disconnect marks the instance's agent away from now on.
func (w *world) disconnect(i *Instance) {
	if i.Connected {
		i.Connected, i.DisconnectedAt = false, w.now
	}
}

// The agents' side.

func (w *world) run(t *Task) {
	if t.LastStatus.Before(ecs.TaskRunning) {
		t.LastStatus, t.StartedAt = ecs.TaskRunning, w.now
	}
}

func (w *world) setHealth(t *Task, health string) {
	if t.HealthChecked && t.LastStatus == ecs.TaskRunning {
		t.Health = health
	}
}

// exit stops a task on its own: an essential container exited, or (never
// RUNNING) the task failed to start.
func (w *world) exit(t *Task) {
	if t.LastStatus == ecs.TaskStopped {
		return
	}
	t.StopCode, t.StoppedReason = ecs.StopEssentialContainerExited, ecs.ReasonEssentialContainerExited
	if t.LastStatus.Before(ecs.TaskRunning) {
		t.StopCode, t.StoppedReason = ecs.StopTaskFailedToStart, "CannotPullContainerError: image not found"
	}
	t.LastStatus, t.StoppedAt, t.Health = ecs.TaskStopped, w.now, ecs.HealthUnknown
}

// finishStop is an agent completing a stop the control plane asked for.
func (w *world) finishStop(t *Task) {
	if t.DesiredStatus == ecs.TaskStopped && t.LastStatus != ecs.TaskStopped {
		t.LastStatus, t.StoppedAt = ecs.TaskStopped, w.now
	}
}

// The API's side.

// update starts a new deployment of taskDef, as UpdateService does: the
// PRIMARY becomes ACTIVE and keeps its desiredCount.
func (w *world) update(taskDef string) {
	w.nextDep++
	id := fmt.Sprintf("ecs-svc/%d", w.nextDep)
	for i := range w.svc.Deployments {
		if w.svc.Deployments[i].Status == ecs.DeploymentPrimary {
			w.svc.Deployments[i].Status = ecs.DeploymentActive
		}
	}
	w.svc.Deployments = append([]ecs.Deployment{{
		ID: id, Status: ecs.DeploymentPrimary, TaskDefinitionARN: taskDef, DesiredCount: w.svc.DesiredCount,
		RolloutState: ecs.RolloutInProgress, RolloutStateReason: "ECS deployment " + id + " in progress.",
		CreatedAt: w.now, UpdatedAt: w.now,
	}}, w.svc.Deployments...)
	w.svc.TaskDefinitionARN = taskDef
}
