package ecsapi

import (
	"context"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// maxDescribeTasks is DescribeTasks' limit of tasks per call.
const maxDescribeTasks = 100

// DescribeTasks describes up to 100 tasks, stopped ones included; unknown
// references come back in failures with reason MISSING.
func (a *API) DescribeTasks(ctx context.Context, in *wire.DescribeTasksRequest) (*wire.DescribeTasksResponse, error) {
	switch n := len(in.Tasks); {
	case n == 0:
		return nil, ecs.InvalidParameter("Tasks cannot be empty.")
	case n > maxDescribeTasks:
		return nil, ecs.InvalidParameter("tasks can have at most %d items.", maxDescribeTasks)
	}
	withTags := false
	for _, f := range in.Include {
		if err := validateEnum("include", f, wire.TaskField("").Values()); err != nil {
			return nil, err
		}
		withTags = withTags || f == wire.TaskFieldTags
	}
	cluster, err := a.activeClusterName(ctx, in.Cluster)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, ref := range in.Tasks {
		if id, ok := a.taskID(cluster, ref); ok {
			ids = append(ids, id)
		}
	}
	found, err := a.store.GetTasks(ctx, cluster, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*ecs.Task, len(found))
	for _, t := range found {
		byID[t.ID] = t
	}
	out := &wire.DescribeTasksResponse{Tasks: []wire.Task{}, Failures: []wire.Failure{}}
	for _, ref := range in.Tasks {
		id, _ := a.taskID(cluster, ref)
		if t := byID[id]; t != nil {
			out.Tasks = append(out.Tasks, *taskToWire(t, withTags))
		} else {
			out.Failures = append(out.Failures, missing(a.taskRefARN(cluster, ref)))
		}
	}
	if err := a.markDisconnected(ctx, cluster, out.Tasks); err != nil {
		return nil, err
	}
	return out, nil
}

// ListTasks lists task ARNs by task id, filtered. The filters combine:
// containerInstance (read through the instance's task index, not a scan of
// the cluster's tasks), family, startedBy, desiredStatus (RUNNING unless
// given; no task ever has PENDING), launchType (every berth task is EC2)
// and serviceName (the service's task group, service:<name>).
func (a *API) ListTasks(ctx context.Context, in *wire.ListTasksRequest) (*wire.ListTasksResponse, error) {
	limit, err := pageSize(in.MaxResults, defaultMaxResults, maxMaxResults)
	if err != nil {
		return nil, err
	}
	desired := wire.DesiredStatusRunning
	if in.DesiredStatus != "" {
		if err := validateEnum("desiredStatus", in.DesiredStatus, wire.DesiredStatus("").Values()); err != nil {
			return nil, err
		}
		desired = in.DesiredStatus
	}
	if in.LaunchType != "" {
		if err := validateEnum("launchType", in.LaunchType, wire.LaunchType("").Values()); err != nil {
			return nil, err
		}
	}
	family := str(in.Family)
	if family != "" && !ecs.ValidName(family) {
		return nil, ecs.InvalidParameter(`family must match ^[a-zA-Z0-9\-_]+$`)
	}
	if str(in.DaemonName) != "" {
		return nil, ecs.Unsupported("berth does not support daemons yet.")
	}
	cluster, err := a.activeClusterName(ctx, in.Cluster)
	if err != nil {
		return nil, err
	}
	group, err := a.serviceGroup(ctx, cluster, str(in.ServiceName))
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken, store.TaskListPrefix(cluster))
	if err != nil {
		return nil, err
	}
	startedBy := str(in.StartedBy)
	keep := func(t *ecs.Task) bool {
		return string(t.DesiredStatus) == string(desired) &&
			(in.LaunchType == "" || in.LaunchType == wire.LaunchTypeEc2) &&
			(family == "" || t.Family == family) &&
			(startedBy == "" || t.StartedBy == startedBy) &&
			(group == "" || t.Group == group)
	}
	var page store.Page[ecs.Task]
	if ref := str(in.ContainerInstance); ref != "" {
		id, ok := a.instanceID(cluster, ref)
		if !ok {
			return nil, ecs.InvalidParameter("containerInstance %q is not the id or ARN of a container instance in cluster %s.", ref, cluster)
		}
		page, err = a.instanceTaskPage(ctx, cluster, id, after, limit, keep)
	} else {
		page, err = a.store.ListTasks(ctx, cluster, after, limit, keep)
	}
	if err != nil {
		return nil, err
	}
	out := &wire.ListTasksResponse{TaskArns: []string{}, NextToken: encodeToken(page.Next)}
	for _, t := range page.Items {
		out.TaskArns = append(out.TaskArns, t.ARN)
	}
	return out, nil
}

// instanceTaskPage is one page of the tasks on an instance, by id, read
// through the instance's task index. Its resume keys are those of the
// cluster's task listing, so one token format serves both.
func (a *API) instanceTaskPage(ctx context.Context, cluster, instanceID, after string, limit int, keep func(*ecs.Task) bool) (store.Page[ecs.Task], error) {
	tasks, _, err := a.store.ListInstanceTasks(ctx, cluster, instanceID)
	if err != nil {
		return store.Page[ecs.Task]{}, err
	}
	var page store.Page[ecs.Task]
	for _, t := range tasks {
		key := store.TaskPageKey(cluster, t.ID)
		if key <= after || !keep(t) {
			continue
		}
		if len(page.Items) == limit {
			page.Next = store.TaskPageKey(cluster, page.Items[limit-1].ID)
			break
		}
		page.Items = append(page.Items, t)
	}
	return page, nil
}

// serviceGroup is the task group of the service ref names in cluster, for
// ListTasks' serviceName filter; "" when ref is "". A service that does not
// exist is ServiceNotFoundException.
func (a *API) serviceGroup(ctx context.Context, cluster, ref string) (string, error) {
	if ref == "" {
		return "", nil
	}
	name, ok := a.serviceName(cluster, ref)
	if !ok {
		return "", ecs.ErrServiceNotFound
	}
	if _, err := a.store.GetService(ctx, cluster, name); err != nil {
		return "", notFoundAs(err, ecs.ErrServiceNotFound)
	}
	return ecs.ServiceGroup(name), nil
}
