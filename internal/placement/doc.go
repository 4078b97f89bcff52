// Package placement connects the pure scheduler to etcd: a Cache keeps one
// scheduler.Snapshot per cluster current from watches (list once, then
// apply changes, relisting when a watch fails), and a Placer decides
// placements on it and binds them into a caller's transaction.
//
// The contract that keeps instances from being oversubscribed, across any
// number of concurrent requests and server replicas:
//
//   - Decisions are serialized on the snapshot, and each is assumed at
//     once (its holds subtracted, its tasks counted in their groups), so
//     the next decision sees it before etcd does.
//   - The commit reads every instance it places on through the
//     transaction and writes its accounting back with the tasks' holds
//     (store.InstanceUsage, a key apart from the record): etcd compares
//     the mod revisions of both, so of two commits that read the same
//     accounting only the first lands, and a change to the instance
//     itself (which rewrites both keys) fails the commit too.
//   - A record the snapshot has not accounted for (written by someone
//     else since) is a conflict: the transaction waits for the watch to
//     deliver it and re-plans only the tasks placed on that instance.
//   - An assumption ends when the instance accounting of its commit
//     arrives (Committed, Snapshot.PutRemaining), or when its transaction
//     fails (Forget).
package placement
