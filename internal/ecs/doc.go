// Package ecs is berth's domain model: the ECS resources as berth persists
// them, their statuses and the rules that validate them. It does no I/O.
//
// It imports only the generated wire package, whose shapes it reuses for the
// parts of a resource berth stores and echoes verbatim (a task definition's
// container definitions, a cluster's configuration). The ECS wire format is
// a contract that never changes incompatibly, so persisting those shapes is
// as stable as persisting our own; statuses are persisted by name.
//
// Errors are *Error values carrying the ECS error type the API must answer
// with; internal/api/ecsapi maps them to the wire in one place.
package ecs
