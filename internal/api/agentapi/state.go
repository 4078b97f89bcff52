package agentapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/berth-org/berth/internal/agentproto"
	"github.com/berth-org/berth/internal/arn"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
)

// maxReportTasks bounds one state report; the agent batches below it.
const maxReportTasks = 500

func (a *API) handleState(w http.ResponseWriter, r *http.Request) {
	inst, err := a.authenticate(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	body, err := readBody(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	rep, err := decodeBody[agentproto.StateReport](body)
	if err == nil && len(rep.Tasks) > maxReportTasks {
		err = badRequest("A state report carries at most 500 tasks.")
	}
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	ack, err := a.applyReport(r.Context(), inst, rep)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ack)
}

// applyReport applies an agent's task states in one transaction. Tasks
// that are not this instance's are reported Unknown and never touched, so
// an agent can report only its own tasks. A task's first report of STOPPED
// returns what it held to the instance.
func (a *API) applyReport(ctx context.Context, inst *ecs.ContainerInstance, rep *agentproto.StateReport) (agentproto.StateAck, error) {
	var ack agentproto.StateAck
	// Grouped: thousands of agents report at once, and one transaction
	// for many reports costs one raft entry and one fsync.
	_, err := a.store.UpdateGrouped(ctx, store.QueueReports, func(tx *store.Tx) error {
		ack = agentproto.StateAck{}
		if err := tx.PrefetchTasks(inst.Cluster, a.reportedIDs(inst, rep)); err != nil {
			return err
		}
		var owner *ecs.ContainerInstance
		for _, st := range rep.Tasks {
			t, err := a.ownTask(tx, inst, st.TaskARN)
			if err != nil {
				return err
			}
			if t == nil {
				ack.Unknown = append(ack.Unknown, st.TaskARN)
				continue
			}
			if !t.ApplyKnown(st.Known) {
				continue
			}
			ack.Applied++
			a.stoppedByAgent(t)
			if t.Known.LastStatus == ecs.TaskStopped && !t.Released {
				if owner == nil {
					if owner, _, err = tx.GetInstanceRev(inst.Cluster, inst.ID); err != nil {
						return err
					}
				}
				owner.Release(t.Held)
				t.Released = true
			}
			if err := tx.PutTask(t); err != nil {
				return err
			}
		}
		if owner != nil {
			return tx.PutInstanceUsage(owner)
		}
		return nil
	})
	return ack, err
}

// reportedIDs are the ids of the tasks of inst's cluster that rep names.
func (a *API) reportedIDs(inst *ecs.ContainerInstance, rep *agentproto.StateReport) []string {
	ids := make([]string, 0, len(rep.Tasks))
	for _, st := range rep.Tasks {
		if id, ok := a.taskID(inst, st.TaskARN); ok {
			ids = append(ids, id)
		}
	}
	return ids
}

// taskID is the id of the task ref names, if it is one of this server's
// tasks in inst's cluster.
func (a *API) taskID(inst *ecs.ContainerInstance, ref string) (string, bool) {
	parsed, err := arn.Parse(ref)
	if err != nil || !a.arns.Owns(parsed) || parsed.Type() != "task" {
		return "", false
	}
	cluster, id, ok := strings.Cut(parsed.Path(), "/")
	return id, ok && cluster == inst.Cluster
}

// ownTask reads the task ref names if it is placed on inst; nil if not.
func (a *API) ownTask(tx *store.Tx, inst *ecs.ContainerInstance, ref string) (*ecs.Task, error) {
	id, ok := a.taskID(inst, ref)
	if !ok {
		return nil, nil
	}
	t, err := tx.GetTask(inst.Cluster, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.ContainerInstanceID != inst.ID) {
		return nil, nil
	}
	return t, err
}

// stoppedByAgent records, as ECS does, that a task the agent is stopping
// on its own account (an essential container exited, a start failed) is
// desired STOPPED from then on: DescribeTasks shows desiredStatus STOPPED
// and ListTasks lists it under STOPPED. The agent's stopCode and reason
// stand (Task.StopCodeAndReason).
func (a *API) stoppedByAgent(t *ecs.Task) {
	k := t.Known
	if t.DesiredStatus == ecs.TaskStopped || (k.StopCode == "" && k.LastStatus.Before(ecs.TaskStopping)) {
		return
	}
	t.DesiredStatus = ecs.TaskStopped
	t.StoppingAt = a.now()
}
