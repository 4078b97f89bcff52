package launch

import (
	"slices"
	"testing"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/scheduler"
	"github.com/berth-org/berth/internal/wire"
)

func TestForService(t *testing.T) {
	td := &ecs.TaskDefinition{
		Def: wire.TaskDefinition{Family: ptr("web"), ContainerDefinitions: []wire.ContainerDefinition{
			{Name: ptr("app"), Image: ptr("nginx"), Cpu: ptr(int32(256)), Memory: ptr(int32(512))},
		}},
		Tags: []ecs.Tag{{Key: "team", Value: "from-definition"}},
	}
	dep := &ecs.Deployment{ID: "ecs-svc/1234567890123456789"}
	service := func(edit func(*ecs.Service)) *ecs.Service {
		s := &ecs.Service{Name: "web", Cluster: "prod", SchedulingStrategy: ecs.SchedulingReplica,
			Tags: []ecs.Tag{{Key: "team", Value: "from-service"}}}
		edit(s)
		return s
	}
	cases := []struct {
		name           string
		svc            *ecs.Service
		wantStrategies []scheduler.Strategy
		wantTags       []ecs.Tag
	}{
		{
			name:           "a REPLICA service without strategies spreads across zones, then instances",
			svc:            service(func(*ecs.Service) {}),
			wantStrategies: scheduler.DefaultServiceStrategies,
		},
		{
			name: "its own strategies when it has them",
			svc: service(func(s *ecs.Service) {
				s.PlacementStrategy = []wire.PlacementStrategy{{Type: wire.PlacementStrategyTypeBinpack, Field: ptr("memory")}}
			}),
			wantStrategies: []scheduler.Strategy{{Type: scheduler.Binpack, Field: scheduler.FieldMemory}},
		},
		{
			name: "a DAEMON service has none: each task names its instance",
			svc:  service(func(s *ecs.Service) { s.SchedulingStrategy = ecs.SchedulingDaemon }),
		},
		{
			name:           "propagateTags SERVICE",
			svc:            service(func(s *ecs.Service) { s.PropagateTags = "SERVICE" }),
			wantStrategies: scheduler.DefaultServiceStrategies,
			wantTags:       []ecs.Tag{{Key: "team", Value: "from-service"}},
		},
		{
			name:           "propagateTags TASK_DEFINITION with managed tags",
			svc:            service(func(s *ecs.Service) { s.PropagateTags = "TASK_DEFINITION"; s.EnableECSManagedTags = true }),
			wantStrategies: scheduler.DefaultServiceStrategies,
			wantTags: []ecs.Tag{{Key: "team", Value: "from-definition"},
				{Key: ManagedClusterTag, Value: "prod"}, {Key: ManagedServiceTag, Value: "web"}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			spec, err := ForService(c.svc, dep, td)
			if err != nil {
				t.Fatal(err)
			}
			if spec.Group != "service:web" || spec.StartedBy != dep.ID || spec.Cluster != "prod" {
				t.Errorf("group, startedBy, cluster = %q, %q, %q", spec.Group, spec.StartedBy, spec.Cluster)
			}
			if spec.Needs.CPU != 256 || spec.Needs.Memory != 512 {
				t.Errorf("needs = %+v, want cpu 256 memory 512", spec.Needs)
			}
			if !slices.Equal(spec.Strategies, c.wantStrategies) {
				t.Errorf("strategies = %v, want %v", spec.Strategies, c.wantStrategies)
			}
			if !slices.Equal(spec.Tags, c.wantTags) {
				t.Errorf("tags = %v, want %v", spec.Tags, c.wantTags)
			}
		})
	}
}
