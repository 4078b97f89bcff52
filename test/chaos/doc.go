// Package chaos is berth's fault suite: scenarios from the reliability
// table (docs/reliability.md) that start real servers, agents and Docker
// containers, inject a fault (kill -9 of the server or an agent, a cut
// agent connection, a full disk, a Docker Engine restart) and assert exact
// outcomes: no acknowledged write lost, no task started or stopped that
// should not have been, recovery within a stated time.
//
// The tests are behind the build tag "chaos", so that 'go test ./...'
// leaves them out: 'make chaos' runs the whole table, and 'make chaos-ci'
// (part of 'make test') runs each scenario in its bounded -short form.
// They run one at a time: several of them measure recovery times, and one
// restarts a Docker Engine.
package chaos
