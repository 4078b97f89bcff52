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

// maxDeleteTaskDefinitions is DeleteTaskDefinitions' limit per call.
const maxDeleteTaskDefinitions = 10

// errTaskDefinitionNotFound is ECS's answer to a definition that does not
// exist: a ClientException, not a dedicated not-found type.
var errTaskDefinitionNotFound = ecs.ClientError("Unable to describe task definition.")

func (a *API) registerTaskDefinitions(svc *awsjson.Service) {
	svc.Handle("RegisterTaskDefinition", awsjson.Handle(a.RegisterTaskDefinition))
	svc.Handle("DescribeTaskDefinition", awsjson.Handle(a.DescribeTaskDefinition))
	svc.Handle("ListTaskDefinitions", awsjson.Handle(a.ListTaskDefinitions))
	svc.Handle("ListTaskDefinitionFamilies", awsjson.Handle(a.ListTaskDefinitionFamilies))
	svc.Handle("DeregisterTaskDefinition", awsjson.Handle(a.DeregisterTaskDefinition))
	svc.Handle("DeleteTaskDefinitions", awsjson.Handle(a.DeleteTaskDefinitions))
}

// taskDefRef is a parsed task-definition reference: "family",
// "family:revision" or an ARN of either.
type taskDefRef struct {
	family   string
	revision int // 0 when the reference names no revision
}

// parseTaskDefRef parses a reference. ECS answers a malformed revision with
// "Invalid revision number. Number: <text>".
func (a *API) parseTaskDefRef(s string) (taskDefRef, error) {
	if arn.IsARN(s) {
		parsed, err := arn.Parse(s)
		if err != nil || parsed.Type() != "task-definition" {
			return taskDefRef{}, ecs.ClientError("Invalid task definition ARN: %s.", s)
		}
		if !a.arns.Owns(parsed) {
			return taskDefRef{}, errTaskDefinitionNotFound
		}
		s = parsed.Path()
	}
	family, rev, hasRev := strings.Cut(s, ":")
	if !ecs.ValidName(family) {
		return taskDefRef{}, ecs.ClientError("Family contains invalid characters.")
	}
	if !hasRev {
		return taskDefRef{family: family}, nil
	}
	n, err := strconv.Atoi(rev)
	if err != nil || n < 1 {
		return taskDefRef{}, ecs.ClientError("Invalid revision number. Number: %s", rev)
	}
	return taskDefRef{family: family, revision: n}, nil
}

// RegisterTaskDefinition validates a definition and stores it as the next
// revision of its family.
func (a *API) RegisterTaskDefinition(ctx context.Context, in *wire.RegisterTaskDefinitionRequest) (*wire.RegisterTaskDefinitionResponse, error) {
	def, err := ecs.NewTaskDefinition(in)
	if err != nil {
		return nil, err
	}
	tags, err := validateTagRequest(in.Tags)
	if err != nil {
		return nil, err
	}
	family := str(def.Family)
	unlock := a.families.Lock(family)
	defer unlock()
	td := &ecs.TaskDefinition{Def: def, Tags: tags}
	_, err = a.store.Update(ctx, func(tx *store.Tx) error {
		rev, err := tx.NextRevision(family)
		if err != nil {
			return err
		}
		td.Def.Revision = i32(rev)
		td.Def.TaskDefinitionArn = ptr(a.arns.TaskDefinition(family, rev))
		td.Def.Status = wire.TaskDefinitionStatusActive
		td.Def.RegisteredAt = wire.NewTime(a.timestamp())
		td.Def.RegisteredBy = ptr(a.arns.RootPrincipal())
		return tx.PutTaskDefinition(td)
	})
	if err != nil {
		return nil, err
	}
	a.log.Debug("registered task definition", "family", family, "revision", td.Revision())
	return &wire.RegisterTaskDefinitionResponse{TaskDefinition: &td.Def, Tags: tagsToWire(td.Tags)}, nil
}

// DescribeTaskDefinition describes a revision; a bare family means its
// latest ACTIVE revision.
func (a *API) DescribeTaskDefinition(ctx context.Context, in *wire.DescribeTaskDefinitionRequest) (*wire.DescribeTaskDefinitionResponse, error) {
	if err := required("taskDefinition", in.TaskDefinition); err != nil {
		return nil, err
	}
	withTags := false
	for _, f := range in.Include {
		if err := validateEnum("include", f, wire.TaskDefinitionField("").Values()); err != nil {
			return nil, err
		}
		withTags = withTags || f == wire.TaskDefinitionFieldTags
	}
	td, err := a.findTaskDefinition(ctx, *in.TaskDefinition)
	if err != nil {
		return nil, err
	}
	out := &wire.DescribeTaskDefinitionResponse{TaskDefinition: &td.Def}
	if withTags {
		out.Tags = tagsToWire(td.Tags)
	}
	return out, nil
}

// findTaskDefinition resolves a reference to a stored revision.
func (a *API) findTaskDefinition(ctx context.Context, ref string) (*ecs.TaskDefinition, error) {
	r, err := a.parseTaskDefRef(ref)
	if err != nil {
		return nil, err
	}
	var td *ecs.TaskDefinition
	if r.revision == 0 {
		td, err = a.store.LatestActiveTaskDefinition(ctx, r.family)
	} else {
		td, err = a.store.GetTaskDefinition(ctx, r.family, r.revision)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, errTaskDefinitionNotFound
	}
	return td, err
}

// ListTaskDefinitions lists revision ARNs by family then revision.
func (a *API) ListTaskDefinitions(ctx context.Context, in *wire.ListTaskDefinitionsRequest) (*wire.ListTaskDefinitionsResponse, error) {
	limit, err := pageSize(in.MaxResults, defaultMaxResults, maxMaxResults)
	if err != nil {
		return nil, err
	}
	family := str(in.FamilyPrefix)
	if family != "" && !ecs.ValidName(family) {
		return nil, ecs.InvalidParameter(`family must match ^[a-zA-Z0-9\-_]+$`)
	}
	status := wire.TaskDefinitionStatusActive
	if in.Status != "" {
		if err := validateEnum("status", in.Status, wire.TaskDefinitionStatus("").Values()); err != nil {
			return nil, err
		}
		status = in.Status
	}
	desc := false
	if in.Sort != "" {
		if err := validateEnum("sort", in.Sort, wire.SortOrder("").Values()); err != nil {
			return nil, err
		}
		desc = in.Sort == wire.SortOrderDesc
	}
	after, err := decodeToken(in.NextToken, store.TaskDefinitionListPrefix(family))
	if err != nil {
		return nil, err
	}
	page, err := a.store.ListTaskDefinitions(ctx, family, desc, after, limit, func(td *ecs.TaskDefinition) bool { return td.Status() == status })
	if err != nil {
		return nil, err
	}
	out := &wire.ListTaskDefinitionsResponse{TaskDefinitionArns: []string{}, NextToken: encodeToken(page.Next)}
	for _, td := range page.Items {
		out.TaskDefinitionArns = append(out.TaskDefinitionArns, str(td.Def.TaskDefinitionArn))
	}
	return out, nil
}

// ListTaskDefinitionFamilies lists family names. ACTIVE families have an
// ACTIVE revision; INACTIVE ones have none; the default lists both.
func (a *API) ListTaskDefinitionFamilies(ctx context.Context, in *wire.ListTaskDefinitionFamiliesRequest) (*wire.ListTaskDefinitionFamiliesResponse, error) {
	limit, err := pageSize(in.MaxResults, defaultMaxResults, maxMaxResults)
	if err != nil {
		return nil, err
	}
	prefix := str(in.FamilyPrefix)
	if prefix != "" && !ecs.ValidName(prefix) {
		return nil, ecs.InvalidParameter(`familyPrefix must match ^[a-zA-Z0-9\-_]+$`)
	}
	status := store.FamiliesAll
	switch in.Status {
	case "", wire.TaskDefinitionFamilyStatusAll:
	case wire.TaskDefinitionFamilyStatusActive:
		status = store.FamiliesActive
	case wire.TaskDefinitionFamilyStatusInactive:
		status = store.FamiliesInactive
	default:
		return nil, validateEnum("status", in.Status, wire.TaskDefinitionFamilyStatus("").Values())
	}
	after, err := decodeToken(in.NextToken, prefix)
	if err != nil {
		return nil, err
	}
	names, next, err := a.store.ListFamilies(ctx, prefix, status, after, limit)
	if err != nil {
		return nil, err
	}
	if names == nil {
		names = []string{}
	}
	return &wire.ListTaskDefinitionFamiliesResponse{Families: names, NextToken: encodeToken(next)}, nil
}

// DeregisterTaskDefinition marks a revision INACTIVE. Deregistering an
// INACTIVE revision again returns it unchanged.
func (a *API) DeregisterTaskDefinition(ctx context.Context, in *wire.DeregisterTaskDefinitionRequest) (*wire.DeregisterTaskDefinitionResponse, error) {
	if err := required("taskDefinition", in.TaskDefinition); err != nil {
		return nil, err
	}
	r, err := a.parseTaskDefRef(*in.TaskDefinition)
	if err != nil {
		return nil, err
	}
	if r.revision == 0 {
		return nil, ecs.ClientError("Revision is missing.")
	}
	var out *ecs.TaskDefinition
	_, err = a.store.Update(ctx, func(tx *store.Tx) error {
		td, err := tx.GetTaskDefinition(r.family, r.revision)
		if errors.Is(err, store.ErrNotFound) {
			return errTaskDefinitionNotFound
		}
		if err != nil {
			return err
		}
		out = td
		switch td.Status() {
		case wire.TaskDefinitionStatusActive:
			td.Def.Status = wire.TaskDefinitionStatusInactive
			td.Def.DeregisteredAt = wire.NewTime(a.timestamp())
			if err := tx.CountDeregistered(r.family); err != nil {
				return err
			}
			return tx.PutTaskDefinition(td)
		case wire.TaskDefinitionStatusInactive:
			return nil
		default:
			return ecs.ClientError("The task definition %s:%d is being deleted.", r.family, r.revision)
		}
	})
	if err != nil {
		return nil, err
	}
	return &wire.DeregisterTaskDefinitionResponse{TaskDefinition: &out.Def}, nil
}

// DeleteTaskDefinitions moves up to 10 INACTIVE revisions to
// DELETE_IN_PROGRESS. Each reference succeeds or fails on its own; the
// family's revision counter is untouched, so a deleted revision number is
// never issued again.
func (a *API) DeleteTaskDefinitions(ctx context.Context, in *wire.DeleteTaskDefinitionsRequest) (*wire.DeleteTaskDefinitionsResponse, error) {
	switch n := len(in.TaskDefinitions); {
	case n == 0:
		return nil, ecs.InvalidParameter("taskDefinitions is required.")
	case n > maxDeleteTaskDefinitions:
		return nil, ecs.InvalidParameter("taskDefinitions can have at most %d items.", maxDeleteTaskDefinitions)
	}
	out := &wire.DeleteTaskDefinitionsResponse{TaskDefinitions: []wire.TaskDefinition{}, Failures: []wire.Failure{}}
	for _, ref := range in.TaskDefinitions {
		td, reason, err := a.deleteTaskDefinition(ctx, ref)
		switch {
		case err != nil:
			return nil, err
		case reason != "":
			out.Failures = append(out.Failures, wire.Failure{Arn: ptr(a.taskDefRefARN(ref)), Reason: ptr(reason)})
		default:
			out.TaskDefinitions = append(out.TaskDefinitions, td.Def)
		}
	}
	return out, nil
}

// deleteTaskDefinition deletes one revision, or says in reason why not.
func (a *API) deleteTaskDefinition(ctx context.Context, ref string) (td *ecs.TaskDefinition, reason string, err error) {
	r, err := a.parseTaskDefRef(ref)
	if err != nil {
		var e *ecs.Error
		errors.As(err, &e)
		return nil, e.Message, nil
	}
	if r.revision == 0 {
		return nil, "Revision is missing.", nil
	}
	_, err = a.store.Update(ctx, func(tx *store.Tx) error {
		reason = ""
		cur, err := tx.GetTaskDefinition(r.family, r.revision)
		switch {
		case errors.Is(err, store.ErrNotFound):
			reason = "The specified task definition does not exist."
			return nil
		case err != nil:
			return err
		case cur.Status() == wire.TaskDefinitionStatusActive:
			reason = "The specified task definition is still in ACTIVE status. Please deregister the target and try again."
			return nil
		case cur.Status() == wire.TaskDefinitionStatusDeleteInProgress:
			td = cur
			return nil
		}
		cur.Def.Status = wire.TaskDefinitionStatusDeleteInProgress
		cur.Def.DeleteRequestedAt = wire.NewTime(a.timestamp())
		td = cur
		return tx.PutTaskDefinition(cur)
	})
	return td, reason, err
}

// taskDefRefARN is the ARN a failure names for a reference: the reference
// itself when it is an ARN, else the revision's ARN. A reference without a
// usable revision ("web", "web:foo") is echoed in the ARN as given rather
// than turned into a revision 0 that cannot exist.
func (a *API) taskDefRefARN(ref string) string {
	if arn.IsARN(ref) {
		return ref
	}
	family, rev, _ := strings.Cut(ref, ":")
	if n, err := strconv.Atoi(rev); err == nil && n >= 1 {
		return a.arns.TaskDefinition(family, n)
	}
	return arn.ARN{Partition: "aws", Service: "ecs", Region: a.arns.Region, Account: a.arns.Account, Resource: "task-definition/" + ref}.String()
}
