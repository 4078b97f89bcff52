package awsjson

import (
	"fmt"
	"net/http"
)

// Error is an AWS JSON 1.1 error response. Type is the bare shape name
// ("ClusterNotFoundException"), sent as both __type and X-Amzn-ErrorType.
type Error struct {
	Type    string
	Message string
	// Status is the HTTP status; zero means 400, or 500 for ServerException.
	Status int
	// Extra holds further body members some errors model, such as
	// ConflictException's resourceIds.
	Extra map[string]any
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

// HTTPStatus is the status the error is sent with.
func (e *Error) HTTPStatus() int {
	switch {
	case e.Status != 0:
		return e.Status
	case e.Type == TypeServer:
		return http.StatusInternalServerError
	default:
		return http.StatusBadRequest
	}
}

// Errorf returns an *Error of type typ with a formatted message.
func Errorf(typ, format string, args ...any) *Error {
	return &Error{Type: typ, Message: fmt.Sprintf(format, args...)}
}

// Error types raised by the protocol layer itself, before an operation runs.
// Operation-specific types live with the API that models them.
const (
	TypeServer                 = "ServerException"
	TypeSerialization          = "SerializationException"
	TypeUnknownOperation       = "UnknownOperationException"
	TypeMissingAuthToken       = "MissingAuthenticationTokenException"
	TypeIncompleteSignature    = "IncompleteSignatureException"
	TypeInvalidSignature       = "InvalidSignatureException"
	TypeUnrecognizedClient     = "UnrecognizedClientException"
	TypeRequestEntityTooLarge  = "RequestEntityTooLargeException"
	TypeMethodNotAllowed       = "MethodNotAllowedException"
	TypeInvalidParameterValue  = "InvalidParameterValueException"
	TypeUnsupportedContentType = "UnsupportedMediaTypeException"
)
