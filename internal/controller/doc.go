// Package controller holds the control plane's background loops. Each loop
// applies a pure decision (which tasks have expired, ...) to the store in
// transactions that re-check the decision, so several server replicas
// running the same loop at once converge without coordination.
package controller
