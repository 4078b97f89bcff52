package ecs

import (
	"strings"
	"testing"
)

func TestValidateStartedBy(t *testing.T) {
	const msg = "startedBy can have up to 128 letters (uppercase and lowercase), numbers, hyphens, forward slashes and underscores."
	tests := []struct {
		name, startedBy string
		valid           bool
	}{
		{"not given", "", true},
		{"letters, numbers, hyphens and underscores", "Job_42-a", true},
		{"a service deployment id", "ecs-svc/9223370564341623665", true},
		{"128 characters", strings.Repeat("a", 128), true},
		{"129 characters", strings.Repeat("a", 129), false},
		{"a space", "my job", false},
		{"a colon", "a:b", false},
		{"a non-ASCII letter", "tâche", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateStartedBy(tc.startedBy)
			if tc.valid {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantError(t, err, CodeInvalidParameter, msg)
		})
	}
}

func TestValidateClientTokenAndStopReason(t *testing.T) {
	tests := []struct {
		name string
		err  error
		msg  string // "" when valid
	}{
		{"a clientToken of 64 characters", ValidateClientToken(strings.Repeat("t", 64)), ""},
		{"a clientToken of 64 multi-byte characters", ValidateClientToken(strings.Repeat("é", 64)), ""},
		{"a clientToken of 65 characters", ValidateClientToken(strings.Repeat("t", 65)), "clientToken can have at most 64 characters."},
		{"a reason of 255 characters", ValidateStopReason(strings.Repeat("r", 255)), ""},
		{"a reason of 256 characters", ValidateStopReason(strings.Repeat("r", 256)), "reason can have at most 255 characters."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.msg == "" {
				if tc.err != nil {
					t.Fatal(tc.err)
				}
				return
			}
			wantError(t, tc.err, CodeInvalidParameter, tc.msg)
		})
	}
}

func TestCountTasks(t *testing.T) {
	var tasks []*Task
	for _, s := range []TaskStatus{TaskProvisioning, TaskPending, TaskActivating, TaskRunning, TaskRunning, TaskDeactivating, TaskStopping, TaskDeprovisioning, TaskStopped} {
		tasks = append(tasks, &Task{Known: Known{LastStatus: s}})
	}
	running, pending := CountTasks(tasks)
	if running != 2 || pending != 3 {
		t.Fatalf("running, pending = %d, %d; want 2, 3", running, pending)
	}
	active := 0
	for _, task := range tasks {
		if TaskActive(task) {
			active++
		}
	}
	if active != len(tasks)-1 {
		t.Fatalf("%d tasks active, want all but the STOPPED one (%d)", active, len(tasks)-1)
	}
}
