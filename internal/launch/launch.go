package launch

import (
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/berth-org/berth/internal/arn"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/scheduler"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// Spec is what every task of one launch is made of.
type Spec struct {
	Cluster    string
	Def        *ecs.TaskDefinition
	Overrides  *wire.TaskOverride
	Containers []wire.ContainerDefinition // the definition's, overrides applied
	Needs      ecs.Requirements           // what each task holds on its instance
	Group      string
	// Constraints are the request's (or service's) and the task
	// definition's; Strategies the request's, or the caller's default.
	Constraints scheduler.Constraints
	Strategies  []scheduler.Strategy
	StartedBy   string
	Tags        []ecs.Tag
	EnableExec  bool
}

// Request is the scheduler's request for count tasks of s. The task
// definition's requiresAttributes (derived at registration from the fields
// it uses) feed the ATTRIBUTE filter: an instance whose agent does not
// advertise a capability the task needs is refused, as on ECS.
func (s *Spec) Request(count int) scheduler.Request {
	return scheduler.Request{
		Count:              count,
		Needs:              s.Needs,
		Group:              s.Group,
		Constraints:        s.Constraints,
		RequiredAttributes: s.Def.Def.RequiresAttributes,
		Strategies:         s.Strategies,
	}
}

// NewID is a new task or container id: 32 hex digits, as ECS's.
func NewID() string { return strings.ReplaceAll(uuid.NewString(), "-", "") }

// Create creates task ids[i] of s on hosts[i] within tx, and writes each
// host once with what its tasks hold (the caller has already held them on
// the records, through the placer's Bind or the instance's Hold).
func Create(tx *store.Tx, arns arn.Builder, s *Spec, ids []string, hosts []*ecs.ContainerInstance, now time.Time) ([]*ecs.Task, error) {
	tasks := make([]*ecs.Task, 0, len(hosts))
	written := map[*ecs.ContainerInstance]bool{}
	for i, h := range hosts {
		t := NewTask(arns, s, h, ids[i], now)
		if err := tx.CreateTask(t); err != nil {
			return nil, err
		}
		tasks = append(tasks, t)
		if !written[h] {
			written[h] = true
			if err := tx.PutInstanceUsage(h); err != nil {
				return nil, err
			}
		}
	}
	return tasks, nil
}

// NewTask builds task id of s placed on inst, as first stored: desired
// RUNNING, last known PENDING with every container PENDING, holding
// s.Needs.
func NewTask(arns arn.Builder, s *Spec, inst *ecs.ContainerInstance, id string, now time.Time) *ecs.Task {
	containers := make([]ecs.Container, len(s.Containers))
	for i, c := range s.Containers {
		containers[i] = ecs.Container{
			Name:              str(c.Name),
			ARN:               arns.Container(s.Cluster, id, NewID()),
			Image:             str(c.Image),
			LastStatus:        ecs.ContainerPending,
			CPU:               intString(c.Cpu),
			Memory:            intString(c.Memory),
			MemoryReservation: intString(c.MemoryReservation),
			Essential:         c.Essential == nil || *c.Essential,
		}
	}
	cpu, memory := str(s.Def.Def.Cpu), str(s.Def.Def.Memory)
	if ov := s.Overrides; ov != nil {
		cpu, memory = firstSet(ov.Cpu, cpu), firstSet(ov.Memory, memory)
	}
	return &ecs.Task{
		ID:                   id,
		ARN:                  arns.Task(s.Cluster, id),
		Cluster:              s.Cluster,
		ClusterARN:           arns.Cluster(s.Cluster),
		TaskDefinitionARN:    str(s.Def.Def.TaskDefinitionArn),
		Family:               s.Def.Family(),
		ContainerInstanceID:  inst.ID,
		ContainerInstanceARN: inst.ARN,
		AvailabilityZone:     attributeValue(inst.Attributes, "ecs.availability-zone"),
		Group:                s.Group,
		StartedBy:            s.StartedBy,
		CPU:                  cpu,
		Memory:               memory,
		Overrides:            s.Overrides,
		EnableExecuteCommand: s.EnableExec,
		Tags:                 s.Tags,
		CreatedAt:            now,
		Version:              1,
		Held:                 s.Needs,
		DesiredStatus:        ecs.TaskRunning,
		Known:                ecs.Known{LastStatus: ecs.TaskPending, Containers: containers},
	}
}

// firstSet is *override when set, else fallback.
func firstSet(override *string, fallback string) string {
	if override != nil && *override != "" {
		return *override
	}
	return fallback
}

func attributeValue(attrs []wire.Attribute, name string) string {
	for _, at := range attrs {
		if str(at.Name) == name {
			return str(at.Value)
		}
	}
	return ""
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func intString(v *int32) string {
	if v == nil {
		return ""
	}
	return strconv.Itoa(int(*v))
}
