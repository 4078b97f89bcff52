package ecsapi

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/berth-org/berth/internal/arn"
	"github.com/berth-org/berth/internal/awsjson"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

func (a *API) registerTags(svc *awsjson.Service) {
	svc.Handle("TagResource", awsjson.Handle(a.TagResource))
	svc.Handle("UntagResource", awsjson.Handle(a.UntagResource))
	svc.Handle("ListTagsForResource", awsjson.Handle(a.ListTagsForResource))
}

var errInvalidARN = ecs.InvalidParameter("The ARN provided is invalid.")

// taggable is the tag access of one resource, found by ARN.
type taggable struct {
	get func(tx *store.Tx) ([]ecs.Tag, error)
	put func(tx *store.Tx, tags []ecs.Tag) error
}

// resolveTaggable finds the resource an ARN names. Clusters, task
// definitions, container instances, tasks and services can be tagged.
func (a *API) resolveTaggable(resourceARN *string) (taggable, error) {
	if err := required("resourceArn", resourceARN); err != nil {
		return taggable{}, err
	}
	parsed, err := arn.Parse(*resourceARN)
	if err != nil || parsed.Service != "ecs" {
		return taggable{}, errInvalidARN
	}
	if !a.arns.Owns(parsed) {
		// Another region's or account's resource: nothing berth holds.
		return taggable{}, errResourceNotFound
	}
	switch parsed.Type() {
	case "cluster":
		return a.clusterTags(parsed.Path()), nil
	case "task-definition":
		family, rev, ok := strings.Cut(parsed.Path(), ":")
		n, err := strconv.Atoi(rev)
		if !ok || err != nil || n < 1 {
			return taggable{}, errInvalidARN
		}
		return a.taskDefinitionTags(family, n), nil
	case "container-instance", "task":
		cluster, id, ok := strings.Cut(parsed.Path(), "/")
		if !ok || !validID(id) {
			return taggable{}, errInvalidARN
		}
		if parsed.Type() == "task" {
			return a.taskTags(cluster, id), nil
		}
		return a.instanceTags(cluster, id), nil
	case "service":
		// service/<cluster>/<name>, or the legacy service/<name> of the
		// default cluster.
		cluster, name, long := strings.Cut(parsed.Path(), "/")
		if !long {
			cluster, name = ecs.DefaultClusterName, cluster
		}
		if !ecs.ValidName(cluster) || !ecs.ValidName(name) {
			return taggable{}, errInvalidARN
		}
		return a.serviceTags(cluster, name), nil
	case "capacity-provider", "task-set":
		return taggable{}, errResourceNotFound
	default:
		return taggable{}, errInvalidARN
	}
}

// errResourceNotFound answers a tag action on an ARN that names nothing.
var errResourceNotFound = &ecs.Error{Code: ecs.CodeResourceNotFound, Message: "The specified resource could not be found."}

// taggableOf builds the tag access of one stored resource from how to load
// it in a transaction, where its tags live, and how to store it back.
func taggableOf[T any](load func(*store.Tx) (*T, error), tags func(*T) *[]ecs.Tag, save func(*store.Tx, *T) error) taggable {
	return taggable{
		get: func(tx *store.Tx) ([]ecs.Tag, error) {
			v, err := load(tx)
			if err != nil {
				return nil, err
			}
			return *tags(v), nil
		},
		put: func(tx *store.Tx, t []ecs.Tag) error {
			v, err := load(tx)
			if err != nil {
				return err
			}
			*tags(v) = t
			return save(tx, v)
		},
	}
}

// notFoundAs replaces store.ErrNotFound with the API's own not-found error.
func notFoundAs(err, notFound error) error {
	if errors.Is(err, store.ErrNotFound) {
		return notFound
	}
	return err
}

func (a *API) clusterTags(name string) taggable {
	load := func(tx *store.Tx) (*ecs.Cluster, error) {
		c, err := tx.GetCluster(name)
		if err == nil && c.Status != ecs.ClusterActive {
			return nil, ecs.ErrClusterNotFound
		}
		return c, notFoundAs(err, ecs.ErrClusterNotFound)
	}
	return taggableOf(load, func(c *ecs.Cluster) *[]ecs.Tag { return &c.Tags }, (*store.Tx).PutCluster)
}

func (a *API) taskDefinitionTags(family string, revision int) taggable {
	load := func(tx *store.Tx) (*ecs.TaskDefinition, error) {
		td, err := tx.GetTaskDefinition(family, revision)
		return td, notFoundAs(err, &ecs.Error{Code: ecs.CodeResourceNotFound, Message: "The specified task definition does not exist."})
	}
	return taggableOf(load, func(td *ecs.TaskDefinition) *[]ecs.Tag { return &td.Tags }, (*store.Tx).PutTaskDefinition)
}

func (a *API) instanceTags(cluster, id string) taggable {
	load := func(tx *store.Tx) (*ecs.ContainerInstance, error) {
		i, err := tx.GetInstance(cluster, id)
		return i, notFoundAs(err, errResourceNotFound)
	}
	return taggableOf(load, func(i *ecs.ContainerInstance) *[]ecs.Tag { return &i.Tags }, (*store.Tx).PutInstance)
}

func (a *API) taskTags(cluster, id string) taggable {
	load := func(tx *store.Tx) (*ecs.Task, error) {
		t, err := tx.GetTask(cluster, id)
		return t, notFoundAs(err, errResourceNotFound)
	}
	return taggableOf(load, func(t *ecs.Task) *[]ecs.Tag { return &t.Tags }, (*store.Tx).PutTask)
}

func (a *API) serviceTags(cluster, name string) taggable {
	load := func(tx *store.Tx) (*ecs.Service, error) {
		svc, err := tx.GetService(cluster, name)
		return svc, notFoundAs(err, errResourceNotFound)
	}
	return taggableOf(load, func(svc *ecs.Service) *[]ecs.Tag { return &svc.Tags }, (*store.Tx).PutService)
}

// TagResource adds or overwrites tags on a resource.
func (a *API) TagResource(ctx context.Context, in *wire.TagResourceRequest) (*wire.TagResourceResponse, error) {
	res, err := a.resolveTaggable(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if in.Tags == nil {
		return nil, ecs.InvalidParameter("tags is required.")
	}
	add, err := validateTagRequest(in.Tags)
	if err != nil {
		return nil, err
	}
	_, err = a.store.Update(ctx, func(tx *store.Tx) error {
		cur, err := res.get(tx)
		if err != nil {
			return err
		}
		merged, err := ecs.MergeTags(cur, add)
		if err != nil {
			return err
		}
		return res.put(tx, merged)
	})
	if err != nil {
		return nil, err
	}
	return &wire.TagResourceResponse{}, nil
}

// UntagResource removes tags by key; keys the resource lacks are ignored.
func (a *API) UntagResource(ctx context.Context, in *wire.UntagResourceRequest) (*wire.UntagResourceResponse, error) {
	res, err := a.resolveTaggable(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if in.TagKeys == nil {
		return nil, ecs.InvalidParameter("tagKeys is required.")
	}
	_, err = a.store.Update(ctx, func(tx *store.Tx) error {
		cur, err := res.get(tx)
		if err != nil {
			return err
		}
		return res.put(tx, ecs.RemoveTags(cur, in.TagKeys))
	})
	if err != nil {
		return nil, err
	}
	return &wire.UntagResourceResponse{}, nil
}

// ListTagsForResource returns a resource's tags.
func (a *API) ListTagsForResource(ctx context.Context, in *wire.ListTagsForResourceRequest) (*wire.ListTagsForResourceResponse, error) {
	res, err := a.resolveTaggable(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	var tags []ecs.Tag
	// A read-only transaction: nothing is written, so nothing is committed.
	_, err = a.store.Update(ctx, func(tx *store.Tx) error {
		tags, err = res.get(tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &wire.ListTagsForResourceResponse{Tags: tagsToWire(tags)}, nil
}
