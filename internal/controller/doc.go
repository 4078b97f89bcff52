// Package controller holds the control plane's background loops. Each loop
// applies a pure decision (which tasks have expired, ...) to the store in
// transactions that re-check the decision, so several server replicas
// running the same loop at once converge without coordination.
//
// The service controller steps a service when a change concerns it or a
// time it asked for comes, and besides at least every resyncEvery: a
// backstop, so that a change it missed delays a service by seconds rather
// than stalling it until something else happens. A resync step that
// finds work logs a warning, because it means a change went unseen.
package controller
