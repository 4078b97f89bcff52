package ecs

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

const testPrefix = "arn:aws:ecs:us-east-1:000000000000:"

// storedTaskFixture is a placed task of one container, as launch builds it.
func storedTaskFixture(edit ...func(*Task)) Task {
	t := Task{
		ID: "0123456789abcdef0123456789abcdef", Cluster: "default",
		ARN:                  testPrefix + "task/default/0123456789abcdef0123456789abcdef",
		ClusterARN:           testPrefix + "cluster/default",
		ContainerInstanceID:  "fedcba9876543210fedcba9876543210",
		ContainerInstanceARN: testPrefix + "container-instance/default/fedcba9876543210fedcba9876543210",
		TaskDefinitionARN:    testPrefix + "task-definition/web:3",
		Family:               "web", Group: "family:web", DesiredStatus: TaskRunning,
		Known: Known{Seq: 2, LastStatus: TaskRunning, Containers: []Container{{
			Name: "app", Image: "nginx:1.27", LastStatus: ContainerRunning, Essential: true,
			ARN: testPrefix + "container/default/0123456789abcdef0123456789abcdef/aaaabbbbccccddddaaaabbbbccccdddd",
		}}},
	}
	for _, e := range edit {
		e(&t)
	}
	return t
}

func TestStoredTaskNamesItsARNsOnce(t *testing.T) {
	tests := []struct {
		name string
		task Task
		// kept are the ARNs the JSON must still hold whole.
		kept []string
	}{
		{"placed task: every ARN from the prefix", storedTaskFixture(), nil},
		{"a container ARN of another pattern stays whole", storedTaskFixture(func(t *Task) {
			t.Known.Containers[0].ARN = "arn:aws:ecs:eu-west-1:111111111111:container/other/x/y"
		}), []string{"arn:aws:ecs:eu-west-1:111111111111:container/other/x/y"}},
		{"an instance ARN of another pattern stays whole", storedTaskFixture(func(t *Task) {
			t.ContainerInstanceARN = testPrefix + "container-instance/elsewhere"
		}), []string{testPrefix + "container-instance/elsewhere"}},
		{"a task ARN of another pattern keeps them all", storedTaskFixture(func(t *Task) {
			t.ARN = testPrefix + "task/legacy-id"
		}), []string{testPrefix + "task/legacy-id", testPrefix + "cluster/default"}},
		{"no containers reported yet", storedTaskFixture(func(t *Task) { t.Known.Containers = nil }), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := json.Marshal(tc.task)
			if err != nil {
				t.Fatal(err)
			}
			for _, arn := range tc.kept {
				if !strings.Contains(string(raw), `"`+arn+`"`) {
					t.Errorf("%s lost %s", raw, arn)
				}
			}
			if len(tc.kept) == 0 && strings.Count(string(raw), "arn:") != 2 { // the prefix and the task definition
				t.Errorf("%s names more than the prefix and the task definition", raw)
			}
			var back Task
			if err := json.Unmarshal(raw, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tc.task) {
				t.Errorf("decoded\n%+v\nwant\n%+v", back, tc.task)
			}
		})
	}
}

// A record written whole, before ARNs were named once, decodes as it was.
func TestStoredTaskDecodesWholeRecords(t *testing.T) {
	want := storedTaskFixture()
	raw, err := json.Marshal(taskFields(want))
	if err != nil {
		t.Fatal(err)
	}
	var got Task
	if err := json.Unmarshal(raw, &got); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("decoded %+v, %v; want %+v", got, err, want)
	}
}

// The encoding must not touch the caller's task: the containers it
// shortens are a copy.
func TestStoredTaskEncodingLeavesTheTaskAlone(t *testing.T) {
	task := storedTaskFixture()
	want := task.Known.Containers[0].ARN
	if _, err := json.Marshal(task); err != nil {
		t.Fatal(err)
	}
	if got := task.Known.Containers[0].ARN; got != want {
		t.Errorf("container ARN after encoding = %q, want %q", got, want)
	}
}
