package ecsapi

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/berth-org/berth/internal/arn"
	"github.com/berth-org/berth/internal/awsjson"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/launch"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// Limits from the ECS model.
const (
	maxDescribeInstances   = 100
	maxUpdateInstanceState = 10
)

var errInstanceNotFound = ecs.InvalidParameter("Container instance not found.")

func (a *API) registerInstances(svc *awsjson.Service) {
	svc.Handle("RegisterContainerInstance", awsjson.Handle(a.RegisterContainerInstance))
	svc.Handle("DeregisterContainerInstance", awsjson.Handle(a.DeregisterContainerInstance))
	svc.Handle("DescribeContainerInstances", awsjson.Handle(a.DescribeContainerInstances))
	svc.Handle("ListContainerInstances", awsjson.Handle(a.ListContainerInstances))
	svc.Handle("UpdateContainerInstancesState", awsjson.Handle(a.UpdateContainerInstancesState))
	svc.Handle("PutAttributes", awsjson.Handle(a.PutAttributes))
	svc.Handle("DeleteAttributes", awsjson.Handle(a.DeleteAttributes))
	svc.Handle("ListAttributes", awsjson.Handle(a.ListAttributes))
}

// activeClusterName resolves a cluster reference to the name of an ACTIVE
// cluster.
func (a *API) activeClusterName(ctx context.Context, ref *string) (string, error) {
	name, err := a.clusterName(ref)
	if err != nil {
		return "", err
	}
	c, err := a.store.GetCluster(ctx, name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.Status != ecs.ClusterActive) {
		return "", ecs.ErrClusterNotFound
	}
	return name, err
}

// instanceID resolves a container-instance reference (id or ARN) within a
// cluster. ok is false when it cannot name an instance of that cluster.
func (a *API) instanceID(cluster, ref string) (id string, ok bool) {
	return a.clusterResourceID(cluster, ref, "container-instance")
}

// clusterResourceID resolves a reference to a resource that lives in a
// cluster (a task or a container instance: an id, or an ARN of the form
// <type>/<cluster>/<id>). ok is false when ref cannot name a resource of
// that type in that cluster.
func (a *API) clusterResourceID(cluster, ref, typ string) (id string, ok bool) {
	if !arn.IsARN(ref) {
		return ref, validID(ref)
	}
	parsed, err := arn.Parse(ref)
	if err != nil || !a.arns.Owns(parsed) || parsed.Type() != typ {
		return "", false
	}
	c, id, found := strings.Cut(parsed.Path(), "/")
	return id, found && c == cluster && validID(id)
}

// validID accepts ECS's forms of task and container-instance ids: 32 hex
// digits, or a UUID.
func validID(id string) bool {
	if len(id) != 32 && len(id) != 36 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c == '-') {
			return false
		}
	}
	return true
}

// identityDocument is the part of an EC2 instance identity document berth
// reads. Its signature is not verified: berth runs on no EC2.
type identityDocument struct {
	InstanceID       string `json:"instanceId"`
	AvailabilityZone string `json:"availabilityZone"`
	InstanceType     string `json:"instanceType"`
}

// RegisterContainerInstance registers a machine into a cluster, or
// re-registers one that names its containerInstanceArn (an agent
// restarting): the same instance keeps its ARN, status (a DRAINING instance
// stays DRAINING), custom attributes and tags, and what its placed tasks
// hold. A deregistered (INACTIVE) instance cannot re-register.
func (a *API) RegisterContainerInstance(ctx context.Context, in *wire.RegisterContainerInstanceRequest) (*wire.RegisterContainerInstanceResponse, error) {
	cluster, err := a.activeClusterName(ctx, in.Cluster)
	if err != nil {
		return nil, err
	}
	fresh, err := a.newInstance(cluster, in)
	if err != nil {
		return nil, err
	}
	var out *ecs.ContainerInstance
	_, err = a.store.Update(ctx, func(tx *store.Tx) error {
		if err := activeClusterTx(tx, cluster); err != nil {
			return err
		}
		if err := tx.BumpMembership(cluster); err != nil {
			return err
		}
		cur, err := tx.GetInstance(cluster, fresh.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			out = fresh
		case err != nil:
			return err
		case cur.Status == ecs.InstanceInactive:
			// Deregistration is final on ECS: an agent restored from its
			// checkpoint gets this error until its state is cleared.
			return ecs.ClientError("Container instance %s is inactive.", cur.ID)
		default:
			out = reregister(cur, fresh)
		}
		return tx.PutInstance(out)
	})
	if err != nil {
		return nil, err
	}
	a.log.Info("registered container instance", "cluster", cluster, "instance", out.ID)
	w, err := a.instanceWire(ctx, out, true)
	if err != nil {
		return nil, err
	}
	return &wire.RegisterContainerInstanceResponse{ContainerInstance: w}, nil
}

// newInstance validates a registration and builds the instance it
// describes, as if it were new.
func (a *API) newInstance(cluster string, in *wire.RegisterContainerInstanceRequest) (*ecs.ContainerInstance, error) {
	if err := ecs.ValidateTotalResources(in.TotalResources); err != nil {
		return nil, err
	}
	resources := make([]wire.Resource, len(in.TotalResources))
	for i, r := range in.TotalResources {
		if n := str(r.Name); (n == ecs.ResourceCPU || n == ecs.ResourceMemory) && r.IntegerValue == nil {
			r.IntegerValue = i32(0) // omitted because 0 (see ValidateTotalResources)
		}
		resources[i] = r
	}
	tags, err := validateTagRequest(in.Tags)
	if err != nil {
		return nil, err
	}
	var attrs []wire.Attribute
	for _, at := range in.Attributes {
		if err := ecs.ValidateAttribute(at); err != nil {
			return nil, err
		}
		attrs = ecs.SetAttribute(attrs, at)
	}
	id := launch.NewID()
	if ref := str(in.ContainerInstanceArn); ref != "" {
		var ok bool
		if id, ok = a.instanceID(cluster, ref); !ok || !arn.IsARN(ref) {
			return nil, ecs.InvalidParameter("containerInstanceArn %q is not the ARN of a container instance in cluster %s.", ref, cluster)
		}
	}
	ec2ID := "i-" + id[:17]
	if doc := str(in.InstanceIdentityDocument); doc != "" {
		var d identityDocument
		if err := json.Unmarshal([]byte(doc), &d); err != nil {
			return nil, ecs.InvalidParameter("instanceIdentityDocument is not a JSON instance identity document.")
		}
		if d.InstanceID != "" {
			ec2ID = d.InstanceID
		}
		attrs = defaultAttribute(attrs, "ecs.availability-zone", d.AvailabilityZone)
		attrs = defaultAttribute(attrs, "ecs.instance-type", d.InstanceType)
	}
	return &ecs.ContainerInstance{
		ID: id, ARN: a.arns.ContainerInstance(cluster, id), Cluster: cluster, EC2InstanceID: ec2ID,
		Status: ecs.InstanceActive, Version: 1, RegisteredAt: a.timestamp(),
		Registered: resources, Remaining: resources,
		Attributes: attrs, VersionInfo: in.VersionInfo, Tags: tags,
	}, nil
}

func defaultAttribute(attrs []wire.Attribute, name, value string) []wire.Attribute {
	if value == "" {
		return attrs
	}
	for _, a := range attrs {
		if str(a.Name) == name {
			return attrs
		}
	}
	return append(attrs, wire.Attribute{Name: ptr(name), Value: ptr(value)})
}

// reregister applies a new registration to an existing ACTIVE or DRAINING
// instance; its status is the operator's to change, not the agent's.
//
// Attributes: the agent's built-in ones (ecs.* and com.amazonaws.ecs.*,
// among them its capability attributes) are replaced by the new set, so a
// capability the restarted agent no longer advertises (an engine
// downgrade, --allow-privileged dropped) is gone and the ATTRIBUTE filter
// stops placing tasks that need it; one it gained is placeable at once.
// Custom attributes are kept at their current value, whether PutAttributes
// set them or the first registration did: PutAttributes is the later word
// (ECS_INSTANCE_ATTRIBUTES likewise apply at the first registration only),
// and a custom attribute the agent reports anew is added.
func reregister(cur, fresh *ecs.ContainerInstance) *ecs.ContainerInstance {
	out := *cur
	out.Version++
	out.EC2InstanceID = fresh.EC2InstanceID
	out.VersionInfo = fresh.VersionInfo
	out.Remaining = ecs.RebaseResources(cur.Registered, cur.Remaining, fresh.Registered)
	out.Registered = fresh.Registered
	attrs := fresh.Attributes
	for _, at := range cur.Attributes {
		if !ecs.BuiltinAttribute(str(at.Name)) {
			attrs = ecs.SetAttribute(attrs, at)
		}
	}
	out.Attributes = attrs
	if len(fresh.Tags) > 0 {
		out.Tags = fresh.Tags
	}
	return &out
}

// instanceWire converts an instance for a response, counting its tasks
// through the instance's task index (never a scan of the cluster's tasks).
func (a *API) instanceWire(ctx context.Context, i *ecs.ContainerInstance, withTags bool) (*wire.ContainerInstance, error) {
	tasks, _, err := a.store.ListInstanceTasks(ctx, i.Cluster, i.ID)
	if err != nil {
		return nil, err
	}
	running, pending := ecs.CountTasks(tasks)
	return instanceToWire(i, running, pending, withTags), nil
}

// instanceToWire converts an instance that has running and pending tasks.
func instanceToWire(i *ecs.ContainerInstance, running, pending int, withTags bool) *wire.ContainerInstance {
	out := &wire.ContainerInstance{
		ContainerInstanceArn: ptr(i.ARN),
		Ec2InstanceId:        ptr(i.EC2InstanceID),
		Status:               ptr(string(i.Status)),
		Version:              ptr(i.Version),
		RegisteredAt:         wire.NewTime(i.RegisteredAt),
		RegisteredResources:  i.Registered,
		RemainingResources:   i.Remaining,
		Attributes:           make([]wire.Attribute, 0, len(i.Attributes)),
		VersionInfo:          i.VersionInfo,
		AgentConnected:       ptr(i.AgentConnected),
		RunningTasksCount:    i32(running),
		PendingTasksCount:    i32(pending),
		Attachments:          []wire.Attachment{},
	}
	if i.StatusReason != "" {
		out.StatusReason = ptr(i.StatusReason)
	}
	for _, at := range i.Attributes {
		out.Attributes = append(out.Attributes, wire.Attribute{Name: at.Name, Value: at.Value})
	}
	if withTags {
		out.Tags = tagsToWire(i.Tags)
	}
	return out
}
