package ecsapi

import (
	"errors"

	"github.com/berth-org/berth/internal/awsjson"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
)

// mapError is the one place domain and store errors become ECS errors.
// Anything it does not recognise is a ServerException whose detail is
// logged, not sent.
func mapError(err error) *awsjson.Error {
	var domain *ecs.Error
	switch {
	case errors.As(err, &domain):
		return &awsjson.Error{Type: string(domain.Code), Message: domain.Message}
	case errors.Is(err, store.ErrNoSpace):
		return &awsjson.Error{Type: awsjson.TypeServer, Message: "The data store is out of space; reads still work. Free space for berth's data directory (or raise the etcd quota) to accept writes again."}
	case errors.Is(err, store.ErrConflict):
		// Retryable by clients: the Go SDK and botocore retry 500s.
		return &awsjson.Error{Type: awsjson.TypeServer, Message: "Too many concurrent updates of the same resource; retry the request."}
	default:
		return nil
	}
}
