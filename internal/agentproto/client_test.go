package agentproto

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/jsondecode"
	"github.com/berth-org/berth/internal/wire"
)

// definition builds a task definition of one container.
func definition(family, image string) wire.TaskDefinition {
	name, essential, memory := "app", true, int32(256)
	return wire.TaskDefinition{
		Family: &family,
		ContainerDefinitions: []wire.ContainerDefinition{{
			Name: &name, Image: &image, Essential: &essential, Memory: &memory,
			Environment:  []wire.KeyValuePair{{Name: ptr("MODE"), Value: ptr("serve")}},
			PortMappings: []wire.PortMapping{{ContainerPort: ptr(int32(8080))}},
		}},
	}
}

func ptr[T any](v T) *T { return &v }

func message(typ MessageType, rev int64, tasks ...Task) Message {
	return Message{Type: typ, Revision: rev, Tasks: tasks}
}

func task(id string, def wire.TaskDefinition) Task {
	return Task{Task: ecs.Task{ID: id, Cluster: "default", DesiredStatus: ecs.TaskRunning}, Definition: def}
}

// sessionOver is a Session reading lines from r.
func sessionOver(r io.Reader) *Session {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxMessage)
	return &Session{body: io.NopCloser(r), scanner: sc, idle: time.AfterFunc(time.Hour, func() {})}
}

func lines(t testing.TB, msgs ...Message) string {
	t.Helper()
	var b strings.Builder
	for _, m := range msgs {
		raw, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s\n", raw)
	}
	return b.String()
}

// Next returns each message as sent, skipping pings, and decodes each
// distinct definition once per session.
func TestSessionNextDecodesEachDefinitionOnce(t *testing.T) {
	web, batch := definition("web", "nginx:1"), definition("batch", "busybox:1")
	sent := []Message{
		message(MessageSnapshot, 7, task("a", web), task("b", web), task("c", batch)),
		message(MessagePing, 0),
		message(MessageTasks, 9, task("d", web)),
	}
	noDefinition := `{"type":"tasks","revision":10,"tasks":[{"task":{"id":"e"}}]}` + "\n"
	s := sessionOver(strings.NewReader(lines(t, sent...) + noDefinition))
	for _, want := range []Message{sent[0], sent[2], message(MessageTasks, 10, Task{Task: ecs.Task{ID: "e"}})} {
		got, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("message %d (-sent +received):\n%s", want.Revision, diff)
		}
	}
	if _, err := s.Next(); err != io.EOF {
		t.Errorf("after the last message: %v, want io.EOF", err)
	}
	if len(s.defs) != 2 {
		t.Errorf("session decoded %d definitions, want 2 (web and batch)", len(s.defs))
	}
}

// A message that is not JSON, or whose definition is not a definition,
// fails Next with the reason.
func TestSessionNextRefusesMalformedMessages(t *testing.T) {
	cases := map[string]string{
		"not JSON":            "{\"type\":\n",
		"definition an array": `{"type":"tasks","tasks":[{"task":{"id":"a"},"definition":[1]}]}` + "\n",
	}
	for name, line := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := sessionOver(strings.NewReader(line)).Next(); err == nil {
				t.Fatal("Next accepted a malformed message")
			}
		})
	}
}

// BenchmarkSessionDecode decodes a message of ten tasks of one definition,
// as a session does (its definitions decoded once) and whole, as Next did
// before.
func BenchmarkSessionDecode(b *testing.B) {
	def := definition("web", "nginx:1")
	var tasks []Task
	for i := range 10 {
		tasks = append(tasks, task(fmt.Sprintf("%032d", i), def))
	}
	line := []byte(strings.TrimSuffix(lines(b, message(MessageTasks, 1, tasks...)), "\n"))
	b.Run("session", func(b *testing.B) {
		s := sessionOver(strings.NewReader(""))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.decode(line); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("whole", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m Message
			if err := jsondecode.Unmarshal(line, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}
