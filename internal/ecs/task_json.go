package ecs

import (
	"encoding/json"
	"strings"

	"github.com/berth-org/berth/internal/jsondecode"
)

// A task is stored (in etcd, in an agent's state file) and sent to its
// agent as JSON that names its ARNs once. Each of them is the same prefix
// ("arn:aws:ecs:<region>:<account>:") and a path made of ids the record
// holds anyway:
//
//	arn                   <prefix>task/<cluster>/<id>
//	clusterArn            <prefix>cluster/<cluster>
//	containerInstanceArn  <prefix>container-instance/<cluster>/<containerInstanceId>
//	containers[].arn      <prefix>container/<cluster>/<id>/<container id>
//
// so the JSON keeps "arnPrefix" and each container's own id, and decoding
// puts the ARNs back together. A 1.1 KB task record of one container
// loses about 330 bytes, written twice per task (created, RUNNING): a
// quarter of what etcd stored per task in bench-placement. An ARN that
// does not follow its pattern, and every ARN of a record written before,
// is kept whole.

// taskFields is Task without its JSON methods.
type taskFields Task

type storedTask struct {
	taskFields
	ARNPrefix string `json:"arnPrefix,omitempty"`
}

// MarshalJSON encodes t naming its ARNs once (see above).
func (t Task) MarshalJSON() ([]byte, error) {
	s := storedTask{taskFields: taskFields(t)}
	if prefix, ok := t.arnPrefix(); ok {
		s.ARNPrefix, s.ARN, s.ClusterARN = prefix, "", ""
		if t.ContainerInstanceARN == prefix+"container-instance/"+t.Cluster+"/"+t.ContainerInstanceID {
			s.ContainerInstanceARN = ""
		}
		s.Known.Containers = shortContainerARNs(t.Known.Containers, t.containerARNPrefix(prefix))
	}
	return json.Marshal(s)
}

// UnmarshalJSON decodes a task stored by MarshalJSON, or whole.
func (t *Task) UnmarshalJSON(b []byte) error {
	var s storedTask
	if err := jsondecode.Unmarshal(b, &s); err != nil {
		return err
	}
	*t = Task(s.taskFields)
	prefix := s.ARNPrefix
	if prefix == "" {
		return nil
	}
	if t.ARN == "" {
		t.ARN = prefix + "task/" + t.Cluster + "/" + t.ID
	}
	if t.ClusterARN == "" {
		t.ClusterARN = prefix + "cluster/" + t.Cluster
	}
	if t.ContainerInstanceARN == "" && t.ContainerInstanceID != "" {
		t.ContainerInstanceARN = prefix + "container-instance/" + t.Cluster + "/" + t.ContainerInstanceID
	}
	cp := t.containerARNPrefix(prefix)
	for i, c := range t.Known.Containers {
		if c.ARN != "" && !strings.HasPrefix(c.ARN, "arn:") {
			t.Known.Containers[i].ARN = cp + c.ARN
		}
	}
	return nil
}

// arnPrefix is the "arn:aws:ecs:<region>:<account>:" of t's ARNs, when
// its task and cluster ARNs follow their patterns.
func (t *Task) arnPrefix() (string, bool) {
	prefix, ok := strings.CutSuffix(t.ClusterARN, "cluster/"+t.Cluster)
	if !ok || !strings.HasPrefix(prefix, "arn:") || t.ARN != prefix+"task/"+t.Cluster+"/"+t.ID {
		return "", false
	}
	return prefix, true
}

func (t *Task) containerARNPrefix(prefix string) string {
	return prefix + "container/" + t.Cluster + "/" + t.ID + "/"
}

// shortContainerARNs is containers with each ARN that starts with prefix
// cut to the container's id; containers itself when none does.
func shortContainerARNs(containers []Container, prefix string) []Container {
	var out []Container
	for i, c := range containers {
		id, ok := strings.CutPrefix(c.ARN, prefix)
		if !ok || id == "" || strings.HasPrefix(id, "arn:") {
			continue
		}
		if out == nil {
			out = append([]Container(nil), containers...)
		}
		out[i].ARN = id
	}
	if out == nil {
		return containers
	}
	return out
}
