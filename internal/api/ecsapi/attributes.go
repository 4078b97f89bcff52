package ecsapi

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// validateAttributeCall checks the attributes of a PutAttributes or
// DeleteAttributes call: 1–10, each aimed at a container instance.
func validateAttributeCall(attrs []wire.Attribute, withValues bool) error {
	switch n := len(attrs); {
	case n == 0:
		return ecs.InvalidParameter("attributes is required.")
	case n > ecs.MaxAttributesPerCall:
		return ecs.InvalidParameter("attributes can have at most %d items.", ecs.MaxAttributesPerCall)
	}
	for _, at := range attrs {
		if at.TargetType != "" && at.TargetType != wire.TargetTypeContainerInstance {
			return ecs.InvalidParameter("Invalid targetType %q; attributes can be set on container-instance targets.", at.TargetType)
		}
		if str(at.TargetId) == "" {
			return ecs.InvalidParameter("targetId is required for attribute %q.", str(at.Name))
		}
		if !withValues {
			at.Value = nil
		}
		if err := ecs.ValidateAttribute(at); err != nil {
			return err
		}
		if ecs.BuiltinAttribute(str(at.Name)) {
			return ecs.InvalidParameter("Attribute %q is reserved: names starting with ecs. or com.amazonaws.ecs. are set by the agent.", str(at.Name))
		}
	}
	return nil
}

// changeAttributes applies change to each attribute's target instance, all
// in one transaction: a call that fails changes nothing. An unknown or
// deregistered target is TargetNotFoundException. Each instance changed
// gets one version bump.
func (a *API) changeAttributes(ctx context.Context, cluster string, attrs []wire.Attribute, change func(*ecs.ContainerInstance, wire.Attribute) error) error {
	_, err := a.store.Update(ctx, func(tx *store.Tx) error {
		changed := map[string]*ecs.ContainerInstance{}
		var order []string
		for _, at := range attrs {
			notFound := &ecs.Error{Code: ecs.CodeTargetNotFound, Message: "Could not find " + str(at.TargetId) + "."}
			id, ok := a.instanceID(cluster, str(at.TargetId))
			if !ok {
				return notFound
			}
			i := changed[id]
			if i == nil {
				var err error
				i, err = tx.GetInstance(cluster, id)
				if errors.Is(err, store.ErrNotFound) || (err == nil && i.Status == ecs.InstanceInactive) {
					return notFound
				}
				if err != nil {
					return err
				}
				i.Version++
				changed[id] = i
				order = append(order, id)
			}
			if err := change(i, at); err != nil {
				return err
			}
		}
		for _, id := range order {
			if err := tx.PutInstance(changed[id]); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// PutAttributes creates or replaces custom attributes on container
// instances, at most 10 custom attributes per instance.
func (a *API) PutAttributes(ctx context.Context, in *wire.PutAttributesRequest) (*wire.PutAttributesResponse, error) {
	if err := validateAttributeCall(in.Attributes, true); err != nil {
		return nil, err
	}
	cluster, err := a.activeClusterName(ctx, in.Cluster)
	if err != nil {
		return nil, err
	}
	err = a.changeAttributes(ctx, cluster, in.Attributes, func(i *ecs.ContainerInstance, at wire.Attribute) error {
		next := ecs.SetAttribute(i.Attributes, at)
		if ecs.CustomAttributeCount(next) > ecs.MaxCustomAttributes {
			return &ecs.Error{Code: ecs.CodeAttributeLimitExceeded, Message: "You can have at most 10 custom attributes per resource."}
		}
		i.Attributes = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &wire.PutAttributesResponse{Attributes: in.Attributes}, nil
}

// DeleteAttributes removes custom attributes from container instances;
// names an instance lacks are ignored.
func (a *API) DeleteAttributes(ctx context.Context, in *wire.DeleteAttributesRequest) (*wire.DeleteAttributesResponse, error) {
	if err := validateAttributeCall(in.Attributes, false); err != nil {
		return nil, err
	}
	cluster, err := a.activeClusterName(ctx, in.Cluster)
	if err != nil {
		return nil, err
	}
	err = a.changeAttributes(ctx, cluster, in.Attributes, func(i *ecs.ContainerInstance, at wire.Attribute) error {
		i.Attributes = ecs.RemoveAttribute(i.Attributes, str(at.Name))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &wire.DeleteAttributesResponse{Attributes: in.Attributes}, nil
}

// ListAttributes lists the attributes of a cluster's container instances,
// one entry per attribute per instance, ordered by instance then name.
// The page token resumes after an instance key and attribute name.
func (a *API) ListAttributes(ctx context.Context, in *wire.ListAttributesRequest) (*wire.ListAttributesResponse, error) {
	limit, err := pageSize(in.MaxResults, defaultMaxResults, maxMaxResults)
	if err != nil {
		return nil, err
	}
	if in.TargetType != wire.TargetTypeContainerInstance {
		return nil, ecs.InvalidParameter("targetType must be container-instance.")
	}
	if in.AttributeValue != nil && str(in.AttributeName) == "" {
		return nil, ecs.InvalidParameter("attributeValue can only be given together with attributeName.")
	}
	cluster, err := a.activeClusterName(ctx, in.Cluster)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken, store.InstanceListPrefix(cluster))
	if err != nil {
		return nil, err
	}
	afterInstance, afterName, _ := strings.Cut(after, "\x00")
	page, err := a.store.ListInstances(ctx, cluster, "", allInstances, func(i *ecs.ContainerInstance) bool {
		return i.Status != ecs.InstanceInactive
	})
	if err != nil {
		return nil, err
	}
	out := &wire.ListAttributesResponse{Attributes: []wire.Attribute{}}
	for _, i := range page.Items {
		key := store.InstanceListPrefix(cluster) + i.ID
		if key < afterInstance {
			continue
		}
		for _, at := range sortedAttributes(i.Attributes) {
			name := str(at.Name)
			switch {
			case key == afterInstance && name <= afterName:
				continue // listed on an earlier page
			case in.AttributeName != nil && name != *in.AttributeName:
				continue
			case in.AttributeValue != nil && str(at.Value) != *in.AttributeValue:
				continue
			case len(out.Attributes) == limit:
				out.NextToken = encodeToken(resumeKey(cluster, out.Attributes[limit-1]))
				return out, nil
			}
			out.Attributes = append(out.Attributes, wire.Attribute{Name: at.Name, Value: at.Value, TargetType: wire.TargetTypeContainerInstance, TargetId: ptr(i.ARN)})
		}
	}
	return out, nil
}

// allInstances bounds one listing of a cluster's instances; berth's
// design target is 5,000 per cluster.
const allInstances = 1 << 20

// resumeKey is the page token position after a listed attribute: its
// instance's store key and its name.
func resumeKey(cluster string, at wire.Attribute) string {
	target := str(at.TargetId)
	return store.InstanceListPrefix(cluster) + target[strings.LastIndexByte(target, '/')+1:] + "\x00" + str(at.Name)
}

func sortedAttributes(attrs []wire.Attribute) []wire.Attribute {
	out := slices.Clone(attrs)
	slices.SortFunc(out, func(x, y wire.Attribute) int { return strings.Compare(str(x.Name), str(y.Name)) })
	return out
}
