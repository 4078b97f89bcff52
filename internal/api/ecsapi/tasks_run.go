package ecsapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/berth-org/berth/internal/awsjson"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/launch"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// errNoInstances answers RunTask in a cluster without a registered (ACTIVE
// or DRAINING) container instance, in ECS's words (quoted in
// aws/containers-roadmap#2532).
var errNoInstances = ecs.InvalidParameter("No Container Instances were found in your cluster.")

// RunTask starts count tasks of a task definition on the cluster's
// container instances, placed by the placement engine: the request's
// strategies and constraints with the task definition's (see
// internal/scheduler). Tasks that cannot be placed come back in failures,
// one entry per task; partial placement is normal.
//
// With a clientToken, the first request that places a task records the
// token with the tasks it started, in the same transaction. The same token
// with the same request returns those tasks again, described afresh; with
// a different request it is a ConflictException naming them. A request
// that placed nothing records nothing: retrying it cannot duplicate a task.
func (a *API) RunTask(ctx context.Context, in *wire.RunTaskRequest) (*wire.RunTaskResponse, error) {
	count, err := validateRunTask(in)
	if err != nil {
		return nil, err
	}
	l, err := a.prepareLaunch(ctx, in)
	if err != nil {
		return nil, err
	}
	token, digest := str(in.ClientToken), ""
	if token != "" {
		if digest, err = runTaskDigest(*in, l.Cluster); err != nil {
			return nil, err
		}
	}
	plan, err := a.placer.Plan(ctx, l.Cluster, l.Request(count), launch.NewID)
	if err != nil {
		return nil, err
	}
	var (
		placed []*ecs.Task
		prior  *store.TaskToken
	)
	// Grouped: concurrent RunTasks commit together, their holds on the
	// same instances adding up instead of conflicting (see
	// store.UpdateGrouped).
	_, err = a.store.UpdateGrouped(ctx, store.QueuePlacements, func(tx *store.Tx) error {
		placed, prior = nil, nil
		if err := activeClusterTx(tx, l.Cluster); err != nil {
			return err
		}
		if token != "" {
			tok, err := tx.GetTaskToken(l.Cluster, token)
			if err == nil {
				prior = tok
				return nil
			}
			if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		if plan.Registered == 0 {
			return errNoInstances
		}
		hosts, err := a.placer.Bind(ctx, tx, plan)
		if err != nil {
			return err
		}
		if placed, err = launch.Create(tx, a.arns, l, plan.TaskIDs, hostsOf(plan.Hosts, hosts), a.timestamp()); err != nil {
			return err
		}
		if token == "" || len(placed) == 0 {
			return nil
		}
		return recordToken(tx, l.Cluster, token, digest, placed, unplaced(plan.Failure, count-len(placed)), a.timestamp())
	})
	if err != nil || prior != nil {
		a.placer.Forget(plan)
	}
	if err != nil {
		return nil, err
	}
	if prior != nil {
		return a.replayRunTask(ctx, l.Cluster, prior, digest)
	}
	a.log.Info("ran tasks", "cluster", l.Cluster, "family", l.Def.Family(), "placed", len(placed), "unplaced", count-len(placed))
	return &wire.RunTaskResponse{Tasks: tasksToWire(placed, true), Failures: unplaced(plan.Failure, count-len(placed))}, nil
}

// hostsOf lists, for each task's host id, the record to place it on.
func hostsOf(ids []string, records map[string]*ecs.ContainerInstance) []*ecs.ContainerInstance {
	out := make([]*ecs.ContainerInstance, len(ids))
	for i, id := range ids {
		out[i] = records[id]
	}
	return out
}

// validateRunTask checks what only RunTask takes and returns the count of
// tasks to start.
func validateRunTask(in *wire.RunTaskRequest) (int, error) {
	count := 1
	if in.Count != nil {
		count = int(*in.Count)
	}
	if count < 1 || count > ecs.MaxRunTaskCount {
		return 0, ecs.InvalidParameter("count must be between 1 and %d.", ecs.MaxRunTaskCount)
	}
	if err := validateLaunchType(in.LaunchType, in.CapacityProviderStrategy); err != nil {
		return 0, err
	}
	return count, ecs.ValidateClientToken(str(in.ClientToken))
}

// validateLaunchType checks the launch type and capacity-provider strategy
// of RunTask and CreateService: berth places tasks on the cluster's
// container instances, which is ECS's EC2 launch type. FARGATE, EXTERNAL
// and MANAGED_INSTANCES are valid ECS requests that berth cannot serve, so
// they are UnsupportedFeatureException, as for a Region without them.
func validateLaunchType(lt wire.LaunchType, capacity []wire.CapacityProviderStrategyItem) error {
	switch lt {
	case "", wire.LaunchTypeEc2:
	case wire.LaunchTypeFargate, wire.LaunchTypeExternal, wire.LaunchTypeManagedInstances:
		return ecs.Unsupported("berth runs tasks on the cluster's container instances only: launchType %s is not supported. Use launchType EC2, or omit it.", lt)
	default:
		return validateEnum("launchType", lt, wire.LaunchType("").Values())
	}
	if len(capacity) > 0 {
		return ecs.Unsupported("berth does not support capacity providers; omit capacityProviderStrategy to place tasks on the cluster's container instances.")
	}
	return nil
}

// runTaskDigest identifies a RunTask request for its clientToken: a hash
// of the request as decoded, with the cluster as resolved (so "default"
// and an omitted cluster are the same request) and without the token.
func runTaskDigest(in wire.RunTaskRequest, cluster string) (string, error) {
	in.ClientToken, in.Cluster = nil, &cluster
	return requestDigest("RunTask", in)
}

// requestDigest is a hash of a request as decoded: what a clientToken
// record keeps to tell a retry of the same request from another one.
func requestDigest(action string, in any) (string, error) {
	raw, err := json.Marshal(in)
	if err != nil {
		return "", fmt.Errorf("encode %s request: %w", action, err)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:]), nil
}

func recordToken(tx *store.Tx, cluster, token, digest string, placed []*ecs.Task, refused []wire.Failure, now time.Time) error {
	rec := &store.TaskToken{RequestDigest: digest, CreatedAt: now}
	for _, t := range placed {
		rec.TaskARNs = append(rec.TaskARNs, t.ARN)
	}
	if len(refused) > 0 {
		raw, err := json.Marshal(refused)
		if err != nil {
			return fmt.Errorf("encode RunTask failures: %w", err)
		}
		rec.Failures = raw
	}
	return tx.PutTaskToken(cluster, token, rec)
}

// replayRunTask answers a RunTask whose clientToken was used before: the
// tasks it started, described afresh, or a ConflictException when the
// token came with a different request.
func (a *API) replayRunTask(ctx context.Context, cluster string, prior *store.TaskToken, digest string) (*wire.RunTaskResponse, error) {
	if prior.RequestDigest != digest {
		// ConflictException carries resourceIds, a member ecs.Error has no
		// room for; the protocol layer sends an *awsjson.Error as it is.
		return nil, &awsjson.Error{
			Type:    string(ecs.CodeConflict),
			Message: "The provided clientToken is already in use with a different RunTask request.",
			Extra:   map[string]any{"resourceIds": prior.TaskARNs},
		}
	}
	ids := make([]string, len(prior.TaskARNs))
	for i, taskARN := range prior.TaskARNs {
		ids[i] = taskARN[strings.LastIndexByte(taskARN, '/')+1:]
	}
	tasks, err := a.describeTaskIDs(ctx, cluster, ids, true)
	if err != nil {
		return nil, err
	}
	refused := []wire.Failure{}
	if len(prior.Failures) > 0 {
		if err := json.Unmarshal(prior.Failures, &refused); err != nil {
			return nil, fmt.Errorf("decode RunTask failures of a clientToken: %w", err)
		}
	}
	return &wire.RunTaskResponse{Tasks: tasks, Failures: refused}, nil
}
