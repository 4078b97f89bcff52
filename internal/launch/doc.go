// Package launch turns a validated launch — a task definition with its
// overrides, what each task holds, its group and placement rules — into
// tasks: the records RunTask, StartTask and the service controller create
// in their transactions. It validates nothing (callers do) and decides no
// placement (the placement package does); it builds each task as first
// stored and writes it with its instance's new accounting.
package launch
