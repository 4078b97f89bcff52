package ecsapi

import (
	"context"
	"errors"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/scheduler"
	"github.com/berth-org/berth/internal/scheduler/query"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// DescribeContainerInstances describes up to 100 instances, INACTIVE ones
// included; unknown references come back in failures with reason MISSING.
func (a *API) DescribeContainerInstances(ctx context.Context, in *wire.DescribeContainerInstancesRequest) (*wire.DescribeContainerInstancesResponse, error) {
	switch n := len(in.ContainerInstances); {
	case n == 0:
		return nil, ecs.InvalidParameter("containerInstances is required.")
	case n > maxDescribeInstances:
		return nil, ecs.InvalidParameter("containerInstances can have at most %d items.", maxDescribeInstances)
	}
	withTags, withHealth := false, false
	for _, f := range in.Include {
		if err := validateEnum("include", f, wire.ContainerInstanceField("").Values()); err != nil {
			return nil, err
		}
		withTags = withTags || f == wire.ContainerInstanceFieldTags
		withHealth = withHealth || f == wire.ContainerInstanceFieldContainerInstanceHealth
	}
	cluster, err := a.activeClusterName(ctx, in.Cluster)
	if err != nil {
		return nil, err
	}
	out := &wire.DescribeContainerInstancesResponse{ContainerInstances: []wire.ContainerInstance{}, Failures: []wire.Failure{}}
	for _, ref := range in.ContainerInstances {
		i, err := a.findInstance(ctx, cluster, ref)
		switch {
		case errors.Is(err, errInstanceNotFound):
			out.Failures = append(out.Failures, missing(a.instanceRefARN(cluster, ref)))
		case err != nil:
			return nil, err
		default:
			w, err := a.instanceWire(ctx, i, withTags)
			if err != nil {
				return nil, err
			}
			if withHealth {
				// Instance health comes from the agent's runtime checks;
				// until an agent reports them there is no data.
				w.HealthStatus = &wire.ContainerInstanceHealthStatus{OverallStatus: wire.InstanceHealthCheckStateInsufficientData}
			}
			out.ContainerInstances = append(out.ContainerInstances, *w)
		}
	}
	return out, nil
}

func (a *API) findInstance(ctx context.Context, cluster, ref string) (*ecs.ContainerInstance, error) {
	id, ok := a.instanceID(cluster, ref)
	if !ok {
		return nil, errInstanceNotFound
	}
	i, err := a.store.GetInstance(ctx, cluster, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errInstanceNotFound
	}
	return i, err
}

// instanceRefARN is the ARN a failure names for an instance reference: the
// instance's full ARN when ref is a valid id or ARN, else ref as given.
func (a *API) instanceRefARN(cluster, ref string) string {
	if id, ok := a.instanceID(cluster, ref); ok {
		return a.arns.ContainerInstance(cluster, id)
	}
	return ref
}

// ListContainerInstances lists instance ARNs, by default every status but
// INACTIVE.
func (a *API) ListContainerInstances(ctx context.Context, in *wire.ListContainerInstancesRequest) (*wire.ListContainerInstancesResponse, error) {
	limit, err := pageSize(in.MaxResults, defaultMaxResults, maxMaxResults)
	if err != nil {
		return nil, err
	}
	if in.Status != "" {
		if err := validateEnum("status", in.Status, wire.ContainerInstanceStatus("").Values()); err != nil {
			return nil, err
		}
	}
	filter, err := parseFilter(in.Filter)
	if err != nil {
		return nil, err
	}
	cluster, err := a.activeClusterName(ctx, in.Cluster)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken, store.InstanceListPrefix(cluster))
	if err != nil {
		return nil, err
	}
	if filter != nil {
		if err := a.placer.Sync(ctx); err != nil {
			return nil, err
		}
	}
	var matchErr error
	page, err := a.store.ListInstances(ctx, cluster, after, limit, func(i *ecs.ContainerInstance) bool {
		if in.Status != "" && string(i.Status) != string(in.Status) || in.Status == "" && i.Status == ecs.InstanceInactive {
			return false
		}
		if filter == nil || matchErr != nil {
			return matchErr == nil
		}
		ok, err := a.placer.Matches(cluster, i.ID, filter)
		matchErr = err
		return ok
	})
	if err == nil {
		err = matchErr
	}
	if err != nil {
		return nil, err
	}
	out := &wire.ListContainerInstancesResponse{ContainerInstanceArns: []string{}, NextToken: encodeToken(page.Next)}
	for _, i := range page.Items {
		out.ContainerInstanceArns = append(out.ContainerInstanceArns, i.ARN)
	}
	return out, nil
}

// errInstanceHasTasks refuses to deregister, without force, an instance
// whose tasks have not all stopped. The wording is moto's, which mirrors
// AWS's and is what scripts around DeregisterContainerInstance match.
var errInstanceHasTasks = ecs.InvalidParameter("Found running tasks on the instance.")

// DeregisterContainerInstance marks an instance INACTIVE: no task is placed
// on it again, and it stays describable.
//
// An instance with tasks that have not stopped (by their last known
// status) is refused unless force is set. With force, each of those tasks
// that is still meant to run is asked to stop, with stopCode UserInitiated
// and ECS's stoppedReason "Container instance deregistration forced by
// user" (developer guide, "Stopped tasks"); the tasks are then orphaned, as
// ECS puts it: their instance takes no further part, and they no longer
// keep the cluster from being deleted.
//
// The instance and up to stopBatch of its tasks change in one transaction.
// An instance with more tasks than that has the rest stopped in further
// transactions: no task can be placed on it in between, as it is INACTIVE.
// If the server stops midway, deregistering again with force stops the
// remainder.
func (a *API) DeregisterContainerInstance(ctx context.Context, in *wire.DeregisterContainerInstanceRequest) (*wire.DeregisterContainerInstanceResponse, error) {
	if err := required("containerInstance", in.ContainerInstance); err != nil {
		return nil, err
	}
	cluster, err := a.activeClusterName(ctx, in.Cluster)
	if err != nil {
		return nil, err
	}
	id, ok := a.instanceID(cluster, *in.ContainerInstance)
	if !ok {
		return nil, errInstanceNotFound
	}
	force := in.Force != nil && *in.Force
	var out *ecs.ContainerInstance
	var toStop []string
	_, err = a.store.Update(ctx, func(tx *store.Tx) error {
		i, err := tx.GetInstance(cluster, id)
		if errors.Is(err, store.ErrNotFound) {
			return errInstanceNotFound
		}
		if err != nil {
			return err
		}
		out, toStop = i, nil
		if i.Status == ecs.InstanceInactive && !force {
			return nil
		}
		// Listed after the instance was read: a placement that commits in
		// between changes the instance and fails this transaction, which
		// then runs again and lists the new task.
		tasks, _, err := a.store.ListInstanceTasks(ctx, cluster, id)
		if err != nil {
			return err
		}
		for _, t := range tasks {
			if ecs.TaskActive(t) {
				toStop = append(toStop, t.ID)
			}
		}
		if len(toStop) > 0 && !force {
			return errInstanceHasTasks
		}
		if i.Status != ecs.InstanceInactive {
			i.Status = ecs.InstanceInactive
			i.AgentConnected = false
			i.Version++
			if err := tx.PutInstance(i); err != nil {
				return err
			}
		}
		return a.requestStopsTx(tx, cluster, toStop[:min(len(toStop), stopBatch)], ecs.StopUserInitiated, ecs.ReasonInstanceDeregistrationForced)
	})
	if err != nil {
		return nil, err
	}
	if len(toStop) > stopBatch {
		if err := a.requestStops(ctx, cluster, toStop[stopBatch:], ecs.StopUserInitiated, ecs.ReasonInstanceDeregistrationForced); err != nil {
			return nil, err
		}
	}
	a.log.Info("deregistered container instance", "cluster", cluster, "instance", out.ID, "tasks_stopped", len(toStop))
	w, err := a.instanceWire(ctx, out, false)
	if err != nil {
		return nil, err
	}
	return &wire.DeregisterContainerInstanceResponse{ContainerInstance: w}, nil
}

// updateInstance applies change to one instance in a transaction.
func (a *API) updateInstance(ctx context.Context, cluster, ref string, change func(*ecs.ContainerInstance) error) (*ecs.ContainerInstance, error) {
	id, ok := a.instanceID(cluster, ref)
	if !ok {
		return nil, errInstanceNotFound
	}
	var out *ecs.ContainerInstance
	_, err := a.store.Update(ctx, func(tx *store.Tx) error {
		i, err := tx.GetInstance(cluster, id)
		if errors.Is(err, store.ErrNotFound) {
			return errInstanceNotFound
		}
		if err != nil {
			return err
		}
		if err := change(i); err != nil {
			return err
		}
		out = i
		return tx.PutInstance(i)
	})
	return out, err
}

// UpdateContainerInstancesState moves up to 10 instances between ACTIVE
// and DRAINING. A DRAINING instance takes no new tasks.
func (a *API) UpdateContainerInstancesState(ctx context.Context, in *wire.UpdateContainerInstancesStateRequest) (*wire.UpdateContainerInstancesStateResponse, error) {
	switch n := len(in.ContainerInstances); {
	case n == 0:
		return nil, ecs.InvalidParameter("containerInstances is required.")
	case n > maxUpdateInstanceState:
		return nil, ecs.InvalidParameter("containerInstances can have at most %d items.", maxUpdateInstanceState)
	}
	target := ecs.InstanceStatus(in.Status)
	if target != ecs.InstanceActive && target != ecs.InstanceDraining {
		return nil, ecs.InvalidParameter("Container instances can only be updated to ACTIVE or DRAINING.")
	}
	cluster, err := a.activeClusterName(ctx, in.Cluster)
	if err != nil {
		return nil, err
	}
	out := &wire.UpdateContainerInstancesStateResponse{ContainerInstances: []wire.ContainerInstance{}, Failures: []wire.Failure{}}
	for _, ref := range in.ContainerInstances {
		i, err := a.updateInstance(ctx, cluster, ref, func(i *ecs.ContainerInstance) error {
			if i.Status == ecs.InstanceInactive {
				return errInstanceInactive
			}
			if i.Status != target {
				i.Status = target
				i.Version++
			}
			return nil
		})
		switch {
		case errors.Is(err, errInstanceNotFound):
			out.Failures = append(out.Failures, missing(a.instanceRefARN(cluster, ref)))
		case errors.Is(err, errInstanceInactive):
			out.Failures = append(out.Failures, wire.Failure{Arn: ptr(a.instanceRefARN(cluster, ref)), Reason: ptr("INACTIVE"), Detail: ptr("The container instance is deregistered.")})
		case err != nil:
			return nil, err
		default:
			w, err := a.instanceWire(ctx, i, false)
			if err != nil {
				return nil, err
			}
			out.ContainerInstances = append(out.ContainerInstances, *w)
		}
	}
	return out, nil
}

var errInstanceInactive = errors.New("container instance is INACTIVE")

// parseFilter parses ListContainerInstances' filter, a cluster query
// language expression; nil when there is none.
func parseFilter(filter *string) (*query.Expr, error) {
	if str(filter) == "" {
		return nil, nil
	}
	if len(*filter) > scheduler.MaxExpressionLength {
		return nil, ecs.InvalidParameter("filter is longer than %d characters.", scheduler.MaxExpressionLength)
	}
	e, err := query.Parse(*filter)
	if err != nil {
		return nil, ecs.InvalidParameter("Invalid filter expression %q: %s", *filter, err)
	}
	return e, nil
}
