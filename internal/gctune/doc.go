// Package gctune sets the control plane's garbage-collector target so
// that the heap may grow by a fixed number of bytes past what the last
// collection found live, within Go's GOGC percentages MinPercent and
// MaxPercent, instead of by a fixed share of it.
//
// With a fixed share the collector's headroom grows with the state the
// server holds: at GOGC=400 a server holding 200 MiB of live state (etcd's
// index and raft log, the placement snapshots, 100,000 tasks) could grow
// to 1 GiB, 80 MiB of garbage for every 10,000 tasks. A fixed headroom
// keeps collections as rare as GOGC=400 gives a small heap, whatever the
// state, and memory grows with the live state alone.
//
// Percent decides; Run applies it until its context ends. The process
// keeps GOGC's own rule when the GOGC environment variable is set.
package gctune
