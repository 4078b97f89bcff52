// Package awsjson serves AWS JSON 1.1 APIs: the protocol every AWS-style API
// in berth speaks (ECS now; CloudWatch Logs, ECR, Application Auto Scaling and
// Cloud Map later).
//
// Contract, per request:
//
//   - Only POST / is served. The X-Amz-Target header names the operation as
//     "<TargetPrefix>.<Operation>"; the prefix selects a registered Service.
//     An unknown prefix or operation is UnknownOperationException.
//   - The body is read whole (capped at MaxBodyBytes) before anything else,
//     because SigV4 signs its hash. An empty body means {}.
//   - The request is authenticated (see Verifier) before it is decoded.
//   - The body is decoded into the operation's input type. Malformed JSON or a
//     member of the wrong JSON type is SerializationException naming the
//     member, and so is a body nesting objects and arrays deeper than
//     MaxJSONDepth.
//   - Every response carries x-amzn-RequestId. Every error is HTTP 400 (500
//     for ServerException only) with body {"__type":T,"message":M} and header
//     X-Amzn-ErrorType: T, because the Go SDK reads the header first and
//     botocore reads only __type.
//   - A panic in an operation becomes ServerException naming the request id;
//     the detail goes to the log only.
//
// Errors returned by operations are mapped to *Error by the Service's
// MapError function: the one place where domain errors become API errors.
package awsjson
