// Package harness runs berth's own processes for tests that treat them as
// black boxes: the end-to-end suite (test/e2e) and the fault suite
// (test/chaos). It builds the berth binary once, starts servers and agents
// on loopback ports with their data in directories the test owns, and
// kills, stops and restarts them as a fault would.
//
// Everything here is bounded: a start that does not become healthy, or a
// stop that does not finish, returns an error after a named timeout rather
// than hanging the test binary.
package harness
