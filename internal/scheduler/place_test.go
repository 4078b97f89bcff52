package scheduler

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/berth-org/berth/internal/ecs"
)

// threeZones is six instances, two per zone: a1 a2 b1 b2 c1 c2, with a
// little less memory on the second of each zone.
func threeZones() []Instance {
	var out []Instance
	for _, z := range []string{"a", "b", "c"} {
		out = append(out,
			inst(z+"1", zone("us-east-1"+z), mem(4096)),
			inst(z+"2", zone("us-east-1"+z), mem(2048)))
	}
	return out
}

func TestPlaceStrategies(t *testing.T) {
	tests := []struct {
		name  string
		insts []Instance
		tasks map[string]int
		req   *Request
		want  []string // hosts in order
	}{
		{
			name:  "binpack memory takes the instance with the least memory that still fits",
			insts: []Instance{inst("a", mem(1024)), inst("b", mem(600)), inst("c", mem(256))},
			req:   req(1, needs(0, 300), strategies(binpackMem)),
			want:  []string{"b"},
		},
		{
			name:  "binpack memory fills an instance before opening the next",
			insts: []Instance{inst("a", mem(1024)), inst("b", mem(600))},
			req:   req(3, needs(0, 300), strategies(binpackMem)),
			want:  []string{"b", "b", "a"},
		},
		{
			name:  "binpack cpu",
			insts: []Instance{inst("a", cpu(2048)), inst("b", cpu(512))},
			req:   req(2, needs(256, 0), strategies(binpackCPU)),
			want:  []string{"b", "b"},
		},
		{
			name:  "spread across zones: one per zone before a second in any",
			insts: threeZones(),
			req:   req(4, strategies(spreadZone)),
			want:  []string{"a1", "b1", "c1", "a1"},
		},
		{
			name:  "spread across zones then across the instances in each (the documentation's az-instance example)",
			insts: threeZones(),
			req:   req(6, strategies(spreadZone, spreadHost)),
			want:  []string{"a1", "b1", "c1", "a2", "b2", "c2"},
		},
		{
			name:  "spread across zones then binpack memory in each (the documentation's az-memory example)",
			insts: threeZones(),
			req:   req(3, strategies(spreadZone, binpackMem)),
			want:  []string{"a2", "b2", "c2"},
		},
		{
			name:  "spread across instances then binpack memory (the documentation's instance-memory example)",
			insts: []Instance{inst("a", mem(4096)), inst("b", mem(1024)), inst("c", mem(2048))},
			req:   req(4, strategies(spreadHost, binpackMem)),
			want:  []string{"b", "c", "a", "b"},
		},
		{
			name:  "spread counts the group's tasks already running",
			insts: threeZones(),
			tasks: map[string]int{"a1/family:web": 1, "b2/family:web": 1},
			req:   req(2, strategies(spreadZone)),
			want:  []string{"c1", "a1"},
		},
		{
			name:  "spread ignores other groups' tasks",
			insts: threeZones(),
			tasks: map[string]int{"a1/family:other": 5},
			req:   req(1, strategies(spreadZone, spreadHost)),
			want:  []string{"a1"},
		},
		{
			name:  "spread is best effort: a full zone is passed over",
			insts: []Instance{inst("a1", zone("a"), mem(100)), inst("b1", zone("b")), inst("c1", zone("c"))},
			req:   req(3, strategies(spreadZone)),
			want:  []string{"b1", "c1", "b1"},
		},
		{
			name:  "no strategy and no Rand: the first feasible instance",
			insts: []Instance{inst("a", mem(100)), inst("b"), inst("c")},
			req:   req(2),
			want:  []string{"b", "b"},
		},
		{
			name:  "random after spread picks only among the least loaded zone",
			insts: threeZones(),
			tasks: map[string]int{"a1/family:web": 1, "b1/family:web": 1},
			req:   req(1, strategies(spreadZone, randomly), seeded(7)),
			want:  []string{"c"}, // c1 or c2: checked by prefix
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := cluster(tc.insts, tc.tasks)
			res := Place(s, tc.req)
			if res.Failure != nil {
				t.Fatalf("failure %+v", res.Failure)
			}
			got := res.Hosts
			if len(tc.want) == 1 && len(tc.want[0]) == 1 { // a zone prefix
				if len(got) != 1 || !strings.HasPrefix(got[0], tc.want[0]) {
					t.Fatalf("hosts %v, want one in zone %s", got, tc.want[0])
				}
				return
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("hosts %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPlaceFilters(t *testing.T) {
	tests := []struct {
		name       string
		insts      []Instance
		tasks      map[string]int
		req        func(t *testing.T) *Request
		wantHosts  []string
		wantReason string // the failure's reason; "" when all placed
		wantCounts map[string]int
	}{
		{
			name:      "named instances are the only candidates, in the order named",
			insts:     []Instance{inst("a"), inst("b"), inst("c")},
			req:       func(*testing.T) *Request { return req(2, onInstances("c", "a")) },
			wantHosts: []string{"c", "c"},
		},
		{
			name:       "a named instance that cannot take the task is explained alone",
			insts:      []Instance{inst("a", cpu(100)), inst("b")},
			req:        func(*testing.T) *Request { return req(1, onInstances("a")) },
			wantReason: ReasonCPU,
			wantCounts: map[string]int{ReasonCPU: 1},
		},
		{
			name:       "a disconnected agent takes no task",
			insts:      []Instance{inst("a", disconnected)},
			req:        func(*testing.T) *Request { return req(1) },
			wantReason: ReasonAgent,
			wantCounts: map[string]int{ReasonAgent: 1},
		},
		{
			name:      "a DRAINING instance takes no task",
			insts:     []Instance{inst("a", status(ecs.InstanceDraining)), inst("b")},
			req:       func(*testing.T) *Request { return req(1) },
			wantHosts: []string{"b"},
		},
		{
			name:       "CPU",
			insts:      []Instance{inst("a", cpu(100))},
			req:        func(*testing.T) *Request { return req(1) },
			wantReason: ReasonCPU,
			wantCounts: map[string]int{ReasonCPU: 1},
		},
		{
			name:       "memory runs out after two tasks",
			insts:      []Instance{inst("a", mem(1024))},
			req:        func(*testing.T) *Request { return req(3) },
			wantHosts:  []string{"a", "a"},
			wantReason: ReasonMemory,
			wantCounts: map[string]int{ReasonMemory: 1},
		},
		{
			name:       "a host port in use",
			insts:      []Instance{inst("a", ports("22", "8080")), inst("b", ports("22"))},
			req:        func(*testing.T) *Request { return req(2, needPorts("8080")) },
			wantHosts:  []string{"b"},
			wantReason: ReasonPorts,
			wantCounts: map[string]int{ReasonPorts: 2},
		},
		{
			name:       "a UDP port in use",
			insts:      []Instance{inst("a", udp("53"))},
			req:        func(*testing.T) *Request { return req(1, needUDP("53")) },
			wantReason: ReasonPortsUDP,
			wantCounts: map[string]int{ReasonPortsUDP: 1},
		},
		{
			name:      "a required attribute missing",
			insts:     []Instance{inst("a"), inst("b", attr("ecs.capability.gpu", ""))},
			req:       func(*testing.T) *Request { return req(2, requires("ecs.capability.gpu")) },
			wantHosts: []string{"b", "b"},
		},
		{
			name:      "memberOf on instance type",
			insts:     []Instance{inst("a"), inst("b", attr("ecs.instance-type", "t2.small"))},
			req:       func(t *testing.T) *Request { return req(1, memberOf(t, "attribute:ecs.instance-type =~ t2.*")) },
			wantHosts: []string{"b"},
		},
		{
			name:  "memberOf on a custom attribute, unmet",
			insts: []Instance{inst("a", attr("tier", "web")), inst("b")},
			req: func(t *testing.T) *Request {
				return req(1, memberOf(t, "attribute:tier == db"))
			},
			wantReason: ReasonMemberOf,
			wantCounts: map[string]int{ReasonMemberOf: 2},
		},
		{
			name:      "task affinity: only where a database task runs",
			insts:     []Instance{inst("a"), inst("b")},
			tasks:     map[string]int{"b/database": 1},
			req:       func(t *testing.T) *Request { return req(2, memberOf(t, "task:group == database")) },
			wantHosts: []string{"b", "b"},
		},
		{
			name:      "task anti-affinity: never where a database task runs",
			insts:     []Instance{inst("a"), inst("b")},
			tasks:     map[string]int{"a/database": 1},
			req:       func(t *testing.T) *Request { return req(1, memberOf(t, "not(task:group == database)")) },
			wantHosts: []string{"b"},
		},
		{
			name:       "distinctInstance with more tasks than instances",
			insts:      []Instance{inst("a"), inst("b"), inst("c")},
			req:        func(*testing.T) *Request { return req(5, distinct) },
			wantHosts:  []string{"a", "b", "c"},
			wantReason: ReasonDistinctInstance,
			wantCounts: map[string]int{ReasonDistinctInstance: 3},
		},
		{
			name:       "distinctInstance counts the group's running tasks",
			insts:      []Instance{inst("a"), inst("b")},
			tasks:      map[string]int{"a/family:web": 1},
			req:        func(*testing.T) *Request { return req(2, distinct) },
			wantHosts:  []string{"b"},
			wantReason: ReasonDistinctInstance,
			wantCounts: map[string]int{ReasonDistinctInstance: 2},
		},
		{
			name:  "the closest instance is the eligible one that is full",
			insts: []Instance{inst("a", disconnected), inst("b", mem(10)), inst("c", attr("tier", "batch"))},
			req: func(t *testing.T) *Request {
				return req(1, memberOf(t, "attribute:tier != batch"))
			},
			wantReason: ReasonMemory,
			wantCounts: map[string]int{ReasonAgent: 1, ReasonMemory: 1, ReasonMemberOf: 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := Place(cluster(tc.insts, tc.tasks), tc.req(t))
			if !slices.Equal(res.Hosts, tc.wantHosts) {
				t.Errorf("hosts %v, want %v", res.Hosts, tc.wantHosts)
			}
			if tc.wantReason == "" {
				if res.Failure != nil {
					t.Fatalf("failure %+v, want none", res.Failure)
				}
				return
			}
			if res.Failure == nil {
				t.Fatalf("no failure, want %s", tc.wantReason)
			}
			if res.Failure.Reason != tc.wantReason {
				t.Errorf("reason %q, want %q", res.Failure.Reason, tc.wantReason)
			}
			got := map[string]int{}
			for _, rc := range res.Failure.Refused {
				got[rc.Reason] = rc.Instances
			}
			if !maps.Equal(got, tc.wantCounts) {
				t.Errorf("refusals %v, want %v", got, tc.wantCounts)
			}
		})
	}
}

func TestPlaceLeavesTheSnapshotUnchanged(t *testing.T) {
	s := cluster(threeZones(), map[string]int{"a1/family:web": 2})
	before, _ := s.Instance("b2")
	Place(s, req(5, strategies(spreadZone, binpackMem)))
	after, _ := s.Instance("b2")
	if before.Memory != after.Memory || s.GroupCount("b2", "family:web") != 0 || s.GroupCount("a1", "family:web") != 2 {
		t.Fatalf("b2 memory %d → %d, groups b2=%d a1=%d", before.Memory, after.Memory, s.GroupCount("b2", "family:web"), s.GroupCount("a1", "family:web"))
	}
}

func TestFailureDetailCountsPerReason(t *testing.T) {
	s := cluster([]Instance{inst("a", disconnected), inst("b", mem(10)), inst("c", mem(10))}, nil)
	res := Place(s, req(1))
	want := "No container instance met all of the task's requirements (3 considered): AGENT on 1, RESOURCE:MEMORY on 2. The closest is arn:aws:ecs:us-east-1:000000000000:container-instance/c/b, refused by RESOURCE:MEMORY."
	if got := res.Failure.Detail(); got != want {
		t.Fatalf("detail\n got %q\nwant %q", got, want)
	}
}

func TestCheck(t *testing.T) {
	s := cluster([]Instance{inst("a", mem(10)), inst("b")}, nil)
	for id, want := range map[string]string{"a": ReasonMemory, "b": "", "zz": ecs.ReasonMissing} {
		if got := s.Check(id, req(1)); got != want {
			t.Errorf("Check(%s) = %q, want %q", id, got, want)
		}
	}
}

// BenchmarkPlace is one RunTask of 10 on 5,000 instances in three zones,
// bench-placement's request: spread across zones, then binpack memory,
// under a memberOf constraint that a tenth of the instances fail. "cold" evicts the CPU caches
// before each call, as the server's other work (watches, commits, the
// collector) does between two RunTasks: a warm benchmark hid that the
// scan chased a pointer per instance.
func BenchmarkPlace(b *testing.B) {
	var insts []Instance
	for i := range 5000 {
		tier := map[bool]string{false: "web", true: "batch"}[i%10 == 9]
		insts = append(insts, inst(itoa(i), zone("us-east-1"+string(rune('a'+i%3))), mem(65536),
			attr("ecs.instance-type", "m5.4xlarge"), attr("tier", tier)))
	}
	s := cluster(insts, nil)
	r := req(10, strategies(spreadZone, binpackMem), seeded(1),
		memberOf(b, "attribute:ecs.instance-type =~ m5.* and attribute:tier != batch"))
	for _, cold := range []bool{false, true} {
		b.Run(map[bool]string{false: "warm", true: "cold"}[cold], func(b *testing.B) {
			evict := make([]byte, 32<<20) // past any last-level cache here
			b.ReportAllocs()
			for b.Loop() {
				if cold {
					b.StopTimer()
					for i := 0; i < len(evict); i += 64 {
						evict[i]++
					}
					b.StartTimer()
				}
				if res := Place(s, r); len(res.Hosts) != 10 {
					b.Fatalf("placed %d, want 10", len(res.Hosts))
				}
			}
		})
	}
}

func TestQualifiesIgnoresStatusAgentAndCapacity(t *testing.T) {
	s := NewSnapshot()
	s.PutInstance(inst("web", disconnected, cpu(0), attr("tier", "web")))
	s.PutInstance(inst("batch", attr("tier", "batch")))
	r := req(1, memberOf(t, "attribute:tier == web"))
	if !s.Qualifies("web", r) || s.Qualifies("batch", r) || s.Qualifies("gone", r) {
		t.Errorf("Qualifies web, batch, gone = %v, %v, %v; want true, false, false", s.Qualifies("web", r), s.Qualifies("batch", r), s.Qualifies("gone", r))
	}
}
