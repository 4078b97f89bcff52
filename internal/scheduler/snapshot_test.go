package scheduler

import (
	"slices"
	"testing"

	"github.com/berth-org/berth/internal/ecs"
)

// An assumption holds resources until the instance record of its commit
// arrives; a failed commit gives them back.
func TestSnapshotAssumptionLifecycle(t *testing.T) {
	needs := ecs.Requirements{CPU: 256, Memory: 512, Ports: []string{"80"}}
	steps := []struct {
		name    string
		do      func(s *Snapshot)
		wantMem int32
		wantWeb int
	}{
		{"record", func(s *Snapshot) { s.PutInstance(inst("a", mem(2048), func(i *Instance) { i.Revision = 10 })) }, 2048, 0},
		{"assumed", func(s *Snapshot) { s.Assume("t1", "a", "family:web", needs) }, 1536, 1},
		{"committed at 12, record still at 10", func(s *Snapshot) { s.Committed([]string{"t1"}, 12) }, 1536, 1},
		{"the task arrives first", func(s *Snapshot) {
			s.PutTask(Task{ID: "t1", InstanceID: "a", Group: "family:web"})
		}, 1536, 1},
		{"an older record does not end it", func(s *Snapshot) {
			s.PutInstance(inst("a", mem(2048), func(i *Instance) { i.Revision = 11 }))
		}, 1536, 1},
		{"the commit's accounting ends it", func(s *Snapshot) {
			s.PutRemaining("a", Remaining{CPU: 4096, Memory: 1536, Revision: 12})
		}, 1536, 1},
		{"another assumed", func(s *Snapshot) { s.Assume("t2", "a", "family:web", needs) }, 1024, 2},
		{"its commit failed", func(s *Snapshot) { s.Forget([]string{"t2"}) }, 1536, 1},
		{"the first task stops", func(s *Snapshot) {
			s.PutTask(Task{ID: "t1", InstanceID: "a", Group: "family:web", Stopped: true})
			s.PutInstance(inst("a", mem(2048), func(i *Instance) { i.Revision = 20 }))
		}, 2048, 0},
		{"accounting of an unknown instance is ignored", func(s *Snapshot) {
			s.PutRemaining("b", Remaining{Memory: 1, Revision: 21})
		}, 2048, 0},
	}
	s := NewSnapshot()
	for _, st := range steps {
		st.do(s)
		got, _ := s.Instance("a")
		if got.Memory != st.wantMem || s.GroupCount("a", "family:web") != st.wantWeb {
			t.Fatalf("after %q: memory %d, web tasks %d; want %d, %d", st.name, got.Memory, s.GroupCount("a", "family:web"), st.wantMem, st.wantWeb)
		}
	}
}

func TestSnapshotTaskCounts(t *testing.T) {
	web := func(id string, edit func(*Task)) Task {
		tk := Task{ID: id, InstanceID: "a", Group: "family:web"}
		edit(&tk)
		return tk
	}
	pending := func(*Task) {}
	running := func(tk *Task) { tk.Running = true }
	stopped := func(tk *Task) { tk.Stopped = true }
	steps := []struct {
		name                     string
		do                       func(s *Snapshot)
		wantRunning, wantPending int
	}{
		{"an assumed task is not counted yet", func(s *Snapshot) { s.Assume("t1", "a", "family:web", ecs.Requirements{}) }, 0, 0},
		{"stored, it is pending", func(s *Snapshot) { s.PutTask(web("t1", pending)) }, 0, 1},
		{"another pending", func(s *Snapshot) { s.PutTask(web("t2", pending)) }, 0, 2},
		{"the first runs", func(s *Snapshot) { s.PutTask(web("t1", running)) }, 1, 1},
		{"reported twice, counted once", func(s *Snapshot) { s.PutTask(web("t1", running)) }, 1, 1},
		{"a forgotten assumption changes nothing", func(s *Snapshot) {
			s.Assume("t3", "a", "family:web", ecs.Requirements{})
			s.Forget([]string{"t3"})
		}, 1, 1},
		{"the running one stops", func(s *Snapshot) { s.PutTask(web("t1", stopped)) }, 0, 1},
		{"the pending one is removed", func(s *Snapshot) { s.RemoveTask("t2") }, 0, 0},
	}
	s := NewSnapshot()
	s.PutInstance(inst("a"))
	for _, st := range steps {
		st.do(s)
		if r, p := s.TaskCounts(); r != st.wantRunning || p != st.wantPending {
			t.Fatalf("after %q: running %d, pending %d; want %d, %d", st.name, r, p, st.wantRunning, st.wantPending)
		}
	}
}

func TestSnapshotAccounts(t *testing.T) {
	s := NewSnapshot()
	s.PutInstance(inst("a", func(i *Instance) { i.Revision = 10 }))
	s.Assume("t1", "a", "g", ecs.Requirements{Memory: 1})
	s.Committed([]string{"t1"}, 15)
	tests := []struct {
		rev  int64
		want bool
	}{
		{9, true}, {10, true}, {15, true}, {14, false}, {16, false},
	}
	for _, tc := range tests {
		if got := s.Accounts("a", tc.rev); got != tc.want {
			t.Errorf("Accounts(a, %d) = %v, want %v", tc.rev, got, tc.want)
		}
	}
	if s.Accounts("nope", 1) {
		t.Error("an unknown instance is accounted for")
	}
}

// Spread indexes follow attribute changes: an instance moved to another
// zone carries its tasks along.
func TestSpreadIndexFollowsAttributeChanges(t *testing.T) {
	s := cluster(threeZones(), map[string]int{"a1/family:web": 2})
	Place(s, req(1, strategies(spreadZone))) // builds the index
	s.PutInstance(inst("a1", zone("us-east-1b"), mem(4096)))
	res := Place(s, req(2, strategies(spreadZone)))
	if !slices.Equal(res.Hosts, []string{"a1", "c1"}) && !slices.Equal(res.Hosts, []string{"a2", "c1"}) {
		t.Fatalf("hosts %v: zone a is empty now, then c", res.Hosts)
	}
}

func TestSelectStop(t *testing.T) {
	tasks := func(s *Snapshot, g string) []string {
		var out []string
		for id, ref := range s.tasks {
			if ref.group == g {
				out = append(out, id)
			}
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		name   string
		insts  []Instance
		tasks  map[string]int
		k      int
		strats []Strategy
		want   map[string]int // instance → tasks stopped there
	}{
		{
			name:   "service default: the zone with the most, then the instance with the most",
			insts:  threeZones(),
			tasks:  map[string]int{"a1/service:web": 2, "a2/service:web": 1, "b1/service:web": 1, "c1/service:web": 1},
			k:      2,
			strats: DefaultServiceStrategies,
			want:   map[string]int{"a1": 2},
		},
		{
			name:   "binpack memory: where the most memory is left",
			insts:  []Instance{inst("a", mem(100)), inst("b", mem(3000))},
			tasks:  map[string]int{"a/service:web": 2, "b/service:web": 2},
			k:      1,
			strats: []Strategy{binpackMem},
			want:   map[string]int{"b": 1},
		},
		{
			name:   "spread by zone keeps the zones balanced",
			insts:  threeZones(),
			tasks:  map[string]int{"a1/service:web": 1, "b1/service:web": 3, "c1/service:web": 2},
			k:      3,
			strats: []Strategy{spreadZone},
			want:   map[string]int{"b1": 2, "c1": 1},
		},
		{
			name:   "other groups are never chosen",
			insts:  []Instance{inst("a")},
			tasks:  map[string]int{"a/service:web": 1, "a/service:db": 3},
			k:      5,
			strats: []Strategy{randomly},
			want:   map[string]int{"a": 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := cluster(tc.insts, tc.tasks)
			all := append(tasks(s, "service:web"), tasks(s, "service:db")...)
			got := map[string]int{}
			for _, id := range SelectStop(s, "service:web", all, tc.k, tc.strats, nil) {
				got[s.tasks[id].node.ID]++
			}
			if len(got) != len(tc.want) {
				t.Fatalf("stopped on %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Fatalf("stopped on %v, want %v", got, tc.want)
				}
			}
			if s.GroupCount("a1", "service:web")+s.GroupCount("a", "service:web") == 0 && len(tc.tasks) > 0 {
				t.Fatal("SelectStop changed the snapshot's counts")
			}
		})
	}
}
