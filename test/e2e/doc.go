// Package e2e drives a real berth binary (embedded etcd, loopback only)
// with real clients: aws-sdk-go-v2, raw HTTP and the AWS CLI.
//
// TestMain builds cmd/berth once and starts one shared server in strict
// auth mode; tests use unique resource names so they can run in parallel.
// Tests that kill or restart a server start their own.
package e2e
