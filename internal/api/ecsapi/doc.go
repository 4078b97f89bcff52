// Package ecsapi serves the Amazon ECS API: it decodes wire requests,
// validates them, applies them to the store and encodes wire responses.
//
// One file per resource group (clusters.go, taskdefs.go, tags.go,
// settings.go). Every one of the model's 77 operations is registered: the
// ones berth does not implement yet answer UnsupportedFeatureException,
// a modeled ECS error, so clients get a typed, explained refusal rather
// than an unknown-operation error.
//
// errors.go is the one place errors become ECS error types.
//
// Conventions every action follows:
//   - An omitted cluster means "default"; a cluster is named by name or ARN.
//   - Validation happens before any write; a rejected request changes
//     nothing.
//   - A 200 means the change is committed to etcd.
//   - List actions take maxResults (1–100 unless the model says otherwise)
//     and an opaque nextToken; the last page carries no token.
package ecsapi
