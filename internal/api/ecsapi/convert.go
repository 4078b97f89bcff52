package ecsapi

import (
	"slices"
	"strings"
	"time"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

func ptr[T any](v T) *T { return &v }

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func i32(n int) *int32 { v := int32(n); return &v }

// optString is s for a response, or absent when empty.
func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// optTime is t for a response, or absent when zero.
func optTime(t time.Time) *wire.Time {
	if t.IsZero() {
		return nil
	}
	return wire.NewTime(t)
}

// required checks that a required string member is present and not empty.
func required(member string, v *string) error {
	if v == nil || *v == "" {
		return ecs.InvalidParameter("%s is required.", member)
	}
	return nil
}

func tagsFromWire(in []wire.Tag) []ecs.Tag {
	if in == nil {
		return nil
	}
	out := make([]ecs.Tag, len(in))
	for i, t := range in {
		out[i] = ecs.Tag{Key: str(t.Key), Value: str(t.Value)}
	}
	return out
}

// tagsToWire converts tags for a response. ECS answers "tags": [] rather than
// omitting the member when a resource has none, but omitempty drops empty
// slices, so an empty list comes out absent; clients treat both alike.
func tagsToWire(in []ecs.Tag) []wire.Tag {
	out := make([]wire.Tag, len(in))
	for i, t := range in {
		out[i] = wire.Tag{Key: ptr(t.Key), Value: ptr(t.Value)}
	}
	return out
}

// validateTagRequest checks tags given to a create or TagResource call.
func validateTagRequest(tags []wire.Tag) ([]ecs.Tag, error) {
	if len(tags) > ecs.MaxTags {
		return nil, ecs.InvalidParameter("A resource can have at most %d tags; the request has %d.", ecs.MaxTags, len(tags))
	}
	for _, t := range tags {
		if t.Key == nil {
			return nil, ecs.InvalidParameter("Tag keys must be between 1 and %d characters long.", ecs.MaxTagKeyLength)
		}
	}
	out := tagsFromWire(tags)
	return out, ecs.ValidateTags(out)
}

// validateEnum checks that v is one of the model's values for its enum.
func validateEnum[E ~string](member string, v E, values []E) error {
	if !slices.Contains(values, v) {
		names := make([]string, len(values))
		for i, x := range values {
			names[i] = string(x)
		}
		return ecs.InvalidParameter("Invalid value %q for %s. Valid values: %s.", v, member, strings.Join(names, ", "))
	}
	return nil
}

func missing(arn string) wire.Failure {
	return wire.Failure{Arn: ptr(arn), Reason: ptr("MISSING")}
}
