package agent

import (
	"io/fs"
	"maps"
	"sync"
)

// StateStore is where an agent keeps who it is and what it knows of its
// tasks. The default is the data dir (write, fsync, rename per change),
// so that an agent killed with -9 and restarted carries on exactly where
// it was; NewMemoryState keeps everything in memory, for simulated
// instances (berth agent --simulate), which have no containers to
// re-adopt.
//
// Its methods are the agent's own: only this package implements it.
type StateStore interface {
	// loadIdentity returns the saved identity; with none it returns an
	// error wrapping fs.ErrNotExist.
	loadIdentity() (*identity, error)
	saveIdentity(id *identity) error
	// saveTask records a task's state; the runner calls it on every
	// change, before the change is reported.
	saveTask(id string, st *taskState) error
	// removeTask forgets a task; forgetting an unknown task is not an
	// error.
	removeTask(id string) error
	// loadTasks returns every saved task state, by task id.
	loadTasks() (map[string]*taskState, error)
}

var (
	_ StateStore = disk{}
	_ StateStore = (*memoryState)(nil)
)

// NewMemoryState returns a StateStore that lives only as long as the
// process: an agent using it registers a new container instance each time
// the process starts. It serves one agent at a time.
func NewMemoryState() StateStore {
	return &memoryState{tasks: map[string]*taskState{}}
}

// memoryState keeps each task's state by reference, so saving costs
// nothing: a simulated instance commits every state change of every task,
// and 100,000 tasks must not cost 100,000 copies.
//
// This is sound because a task's runner is its state's only writer and
// Run waits for every runner before it returns: an agent started later on
// the same store loads what the previous one's runners last wrote. That
// is what they last saved, except that the server's latest view of the
// task (Payload) may be newer, which a new session's snapshot replaces
// anyway.
type memoryState struct {
	mu    sync.Mutex
	id    *identity
	tasks map[string]*taskState
}

func (m *memoryState) loadIdentity() (*identity, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.id == nil {
		return nil, fs.ErrNotExist
	}
	id := *m.id
	return &id, nil
}

func (m *memoryState) saveIdentity(id *identity) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	saved := *id
	m.id = &saved
	return nil
}

func (m *memoryState) saveTask(id string, st *taskState) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tasks[id] = st
	return nil
}

func (m *memoryState) removeTask(id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.tasks, id)
	return nil
}

func (m *memoryState) loadTasks() (map[string]*taskState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.tasks), nil
}
