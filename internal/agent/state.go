package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/berth-org/berth/internal/agentproto"
	"github.com/berth-org/berth/internal/ecs"
)

// identity is who the agent is, persisted so that a restart re-registers
// the same container instance.
type identity struct {
	Server      string `json:"server"`
	Cluster     string `json:"cluster"`
	InstanceARN string `json:"containerInstanceArn"`
	Token       string `json:"token"`
}

// taskState is everything the agent knows about one task, persisted in
// the data dir on every change, before the change is reported. After a
// kill -9 the agent reloads it, finds the containers by their labels, and
// carries on from exactly where it was: nothing restarted, no status
// reported twice or backwards.
type taskState struct {
	Payload    agentproto.Task      `json:"payload"`
	Known      ecs.Known            `json:"known"`
	RuntimeIDs map[string]string    `json:"runtimeIds"` // container name → runtime id
	StartedAt  map[string]time.Time `json:"startedAt"`  // container name → when the agent started it
	CleanupAt  time.Time            `json:"cleanupAt,omitzero"`
	Removed    bool                 `json:"removed,omitempty"`
	// Orphaned: the server no longer has this task (purged, or the
	// instance was re-created); stop it and forget it without waiting.
	Orphaned bool `json:"orphaned,omitempty"`
}

// disk is the agent's data directory.
type disk struct{ dir string }

func (d disk) identityPath() string             { return filepath.Join(d.dir, "identity.json") }
func (d disk) tasksDir() string                 { return filepath.Join(d.dir, "tasks") }
func (d disk) taskPath(id string) string        { return filepath.Join(d.tasksDir(), id+".json") }
func (d disk) loadIdentity() (*identity, error) { return readJSON[identity](d.identityPath()) }
func (d disk) saveIdentity(id *identity) error  { return writeJSON(d.identityPath(), id) }
func (d disk) saveTask(id string, st *taskState) error {
	return writeJSON(d.taskPath(id), st)
}
func (d disk) removeTask(id string) error {
	err := os.Remove(d.taskPath(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// loadTasks reads every persisted task state, by task id.
func (d disk) loadTasks() (map[string]*taskState, error) {
	entries, err := os.ReadDir(d.tasksDir())
	if errors.Is(err, os.ErrNotExist) {
		return map[string]*taskState{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string]*taskState{}
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue // a temporary file left by a crash mid-write
		}
		st, err := readJSON[taskState](filepath.Join(d.tasksDir(), e.Name()))
		if err != nil {
			return nil, err
		}
		out[id] = st
	}
	return out, nil
}

func readJSON[T any](path string) (*T, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	return v, nil
}

// writeJSON replaces path atomically (write a temporary file, sync,
// rename), so a crash leaves either the old or the new state, never half.
func writeJSON(path string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(raw)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
