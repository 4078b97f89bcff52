package ecs

import (
	"errors"
	"fmt"
)

// Code is an ECS error type, as sent in __type.
type Code string

// The ECS error types berth raises.
const (
	CodeClient                    Code = "ClientException"
	CodeInvalidParameter          Code = "InvalidParameterException"
	CodeClusterNotFound           Code = "ClusterNotFoundException"
	CodeServiceNotFound           Code = "ServiceNotFoundException"
	CodeServiceNotActive          Code = "ServiceNotActiveException"
	CodeResourceNotFound          Code = "ResourceNotFoundException"
	CodeLimitExceeded             Code = "LimitExceededException"
	CodeUnsupportedFeature        Code = "UnsupportedFeatureException"
	CodeNamespaceNotFound         Code = "NamespaceNotFoundException"
	CodeClusterContainsInstances  Code = "ClusterContainsContainerInstancesException"
	CodeClusterContainsServices   Code = "ClusterContainsServicesException"
	CodeClusterContainsTasks      Code = "ClusterContainsTasksException"
	CodeConflict                  Code = "ConflictException"
	CodeAccessDenied              Code = "AccessDeniedException"
	CodeUpdateInProgress          Code = "UpdateInProgressException"
	CodeClusterContainsCapacities Code = "ClusterContainsCapacityProviderException"
	CodeTargetNotFound            Code = "TargetNotFoundException"
	CodeAttributeLimitExceeded    Code = "AttributeLimitExceededException"
)

// Error is a rejection the API reports to the caller as Code with Message.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Is makes errors.Is match on the code alone, so callers can test
// errors.Is(err, ecs.ErrClusterNotFound) whatever the message.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code == e.Code && (t.Message == "" || t.Message == e.Message)
}

func newErr(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ClientError is a ClientException: ECS's answer to invalid identifiers and
// invalid task definitions.
func ClientError(format string, args ...any) *Error { return newErr(CodeClient, format, args...) }

// InvalidParameter is an InvalidParameterException: ECS's generic answer
// to a parameter out of its range or format.
func InvalidParameter(format string, args ...any) *Error {
	return newErr(CodeInvalidParameter, format, args...)
}

// Errors with fixed messages, as AWS words them.
var (
	ErrClusterNotFound = &Error{Code: CodeClusterNotFound, Message: "Cluster not found."}
	ErrServiceNotFound = &Error{Code: CodeServiceNotFound, Message: "Service not found."}
	// ErrServiceNotActive answers a change to a DRAINING or INACTIVE
	// service (as seen from UpdateService on a deleted service).
	ErrServiceNotActive = &Error{Code: CodeServiceNotActive, Message: "Service was not ACTIVE."}
)

// Unsupported is an UnsupportedFeatureException: a valid ECS request for
// something berth does not do yet.
func Unsupported(format string, args ...any) *Error {
	return newErr(CodeUnsupportedFeature, format, args...)
}
