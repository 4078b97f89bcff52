package store

import (
	"errors"
	"testing"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

// InstanceIdentity's fields must decode from a stored ecs.ContainerInstance:
// a renamed JSON field in either would fail every agent's authentication.
func TestInstanceIdentityDecodesFromStoredInstances(t *testing.T) {
	s := newTestStore(t)
	ctx := testCtx(t)
	name, value := "ecs.availability-zone", "us-east-1a"
	inst := &ecs.ContainerInstance{ID: "i1", Cluster: "c", ARN: "arn:aws:ecs:us-east-1:000000000000:container-instance/c/i1",
		Status: ecs.InstanceDraining, AgentTokenHash: "5e88489", Attributes: []wire.Attribute{{Name: &name, Value: &value}}}
	if _, err := s.Update(ctx, func(tx *Tx) error { return tx.PutInstance(inst) }); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetInstanceIdentity(ctx, "c", "i1")
	if err != nil {
		t.Fatal(err)
	}
	want := InstanceIdentity{ID: "i1", Cluster: "c", Status: ecs.InstanceDraining, AgentTokenHash: "5e88489"}
	if *got != want {
		t.Errorf("identity = %+v, want %+v", *got, want)
	}
	if _, err := s.GetInstanceIdentity(ctx, "c", "i2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("identity of a missing instance: err %v, want ErrNotFound", err)
	}
}
