// Package store is typed access to berth's state in etcd.
//
// Reads outside a transaction are linearizable (on the embedded etcd,
// served from its single member's applied state: Store.WithLocalReads)
// and return shared values, decoded once per etcd mod revision and
// cached: callers copy before modifying one (the API layer only encodes
// them). Writes go through Update: an optimistic transaction that records the
// mod revision of every key it reads and commits its buffered writes in one
// etcd Txn only if none of those keys changed; otherwise it runs again on
// fresh reads (bounded by maxTxAttempts). Counters such as task-definition
// revisions are therefore race-free under any number of concurrent writers,
// on one server or many sharing an etcd cluster.
//
// Many small concurrent writes (RunTask calls, agents' state reports) go
// through UpdateGrouped instead: the calls of one Queue are committed
// together, one group at a time, in one etcd Txn, with the same checks.
// Each Queue has its own leader, so a RunTask never waits behind a group
// of reports.
//
// Values are JSON; enums are persisted by name. Hot paths decode with
// jsondecode (encoding/json's rules, faster).
//
// Key layout (all under /berth/v1/):
//
//	clusters/<name>                              ecs.Cluster
//	taskdef-families/<family>                    family record: last revision ever issued, count of ACTIVE revisions
//	taskdefs/<family>#<revision, 10 digits>      ecs.TaskDefinition
//	instances/<cluster>/<instance id>            ecs.ContainerInstance
//	instance-usage/<cluster>/<instance id>       InstanceUsage: the instance's Version and Remaining, which win over the record's
//	cluster-membership/<cluster>                 registration and service-creation counter, guards DeleteCluster
//	tasks/<cluster>/<task id>                    ecs.Task
//	instance-tasks/<cluster>/<instance id>/<id>  empty: the index of an instance's tasks
//	task-tokens/<cluster>/<clientToken>          RunTask's clientToken record
//	services/<cluster>/<service name>            ecs.Service (INACTIVE ones stay until a CreateService replaces them)
//	service-tokens/<cluster>/<clientToken>       CreateService's clientToken record
//	account-settings/<principal ARN>#<name>      ecs.AccountSetting (the root principal's settings are the account default)
//	agent-sessions/<cluster>/<instance id>       AgentSession, bound to the session's lease
//	control-plane/downtime                       Downtime: the control plane's last alive mark and total downtime
//
// The '#' separator sorts below every character of a family name
// ([A-Za-z0-9_-]), so a scan of taskdefs/ yields families in lexicographic
// order and, within a family, revisions in numeric order: exactly the order
// ListTaskDefinitions promises. Zero-padded revisions keep numeric order.
package store
