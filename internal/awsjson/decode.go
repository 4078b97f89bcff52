package awsjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"reflect"
)

// MaxJSONDepth bounds how deeply a request body may nest objects and
// arrays. The deepest ECS request shape nests 9 levels (UpdateService;
// TestMaxJSONDepthCoversWireShapes measures every request shape), so 64
// leaves ample room for model growth while refusing pathological bodies:
// without a bound encoding/json accepts 10,000 levels, and a 1 MiB body of
// "[" would make the decoder, and anything that re-decodes a document
// member, walk them all.
const MaxJSONDepth = 64

// Handle adapts a typed operation to an Operation: it decodes the body into
// a new In (an empty body means {}), calls fn, and returns its output. An
// operation with no modeled output may return a nil *Out; the response is
// then {}.
func Handle[In, Out any](fn func(ctx context.Context, in *In) (*Out, error)) Operation {
	return func(ctx context.Context, body []byte) (any, error) {
		in := new(In)
		if err := Decode(body, in); err != nil {
			return nil, err
		}
		out, err := fn(ctx, in)
		if err != nil {
			return nil, err
		}
		if out == nil {
			return struct{}{}, nil
		}
		return out, nil
	}
}

// Decode unmarshals an AWS JSON request body into v. Unknown members are
// ignored, as AWS's own decoders do. Malformed JSON and members of the wrong
// JSON type are SerializationException, naming the member.
func Decode(body []byte, v any) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		body = []byte("{}")
	}
	if body[0] != '{' {
		return Errorf(TypeSerialization, "The request body must be a JSON object.")
	}
	if jsonDepthExceeds(body, MaxJSONDepth) {
		return Errorf(TypeSerialization, "The request body nests JSON objects and arrays more than %d levels deep.", MaxJSONDepth)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return serializationError(err)
	}
	if dec.More() {
		return Errorf(TypeSerialization, "Unexpected data after the JSON object.")
	}
	return nil
}

// jsonDepthExceeds reports whether body opens more than limit objects and
// arrays at once. It scans bytes only, skipping string contents, and does
// not validate: the decoder that runs next reports malformed JSON.
func jsonDepthExceeds(body []byte, limit int) bool {
	depth := 0
	inString, escaped := false, false
	for _, c := range body {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > limit {
				return true
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return false
}

func serializationError(err error) *Error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	var apiErr *Error
	switch {
	case errors.As(err, &apiErr):
		// A wire type's own decoder (the epoch-seconds time) said what is wrong.
		return apiErr
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return Errorf(TypeSerialization, "Expected %s, got a JSON %s.", typeErr.Type, typeErr.Value)
		}
		return Errorf(TypeSerialization, "Member '%s' must be %s, got a JSON %s.", field, describeType(typeErr.Type), typeErr.Value)
	case errors.As(err, &syntaxErr):
		return Errorf(TypeSerialization, "Malformed JSON at byte %d: %s.", syntaxErr.Offset, syntaxErr.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Errorf(TypeSerialization, "Malformed JSON: unexpected end of input.")
	default:
		return Errorf(TypeSerialization, "Malformed request: %s.", err.Error())
	}
}

// describeType names a Go type the way an API user thinks of it.
func describeType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "a list"
	case reflect.Map:
		return "a map"
	case reflect.Struct:
		if t.Name() == "Time" {
			return "a timestamp (epoch seconds)"
		}
		return "an object"
	default:
		return "of type " + t.String()
	}
}
