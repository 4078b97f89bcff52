package store

import (
	"context"
	"errors"
	"fmt"
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

// An instance's accounting lives under a key of its own: placement and
// release write only that key, readers see it merged into the record, and
// a record written before the split keeps its inline accounting.
func TestInstanceAccountingLivesApart(t *testing.T) {
	s := newTestStore(t)
	ctx := testCtx(t)
	cpuName, intType := ecs.ResourceCPU, "INTEGER"
	withCPU := func(v int32) []wire.Resource {
		return []wire.Resource{{Name: &cpuName, Type: &intType, IntegerValue: &v}}
	}
	cpuOf := func(i *ecs.ContainerInstance) int32 { return *i.Remaining[0].IntegerValue }
	inst := &ecs.ContainerInstance{ID: "i1", Cluster: "c", Status: ecs.InstanceActive, AgentConnected: true,
		Version: 1, Registered: withCPU(1024), Remaining: withCPU(1024)}
	if _, err := s.Update(ctx, func(tx *Tx) error { return tx.PutInstance(inst) }); err != nil {
		t.Fatal(err)
	}
	modRev := func(key string) int64 {
		t.Helper()
		resp, err := s.Client().Get(ctx, key)
		if err != nil || len(resp.Kvs) == 0 {
			t.Fatalf("get %s: %v (found %d)", key, err, len(resp.Kvs))
		}
		return resp.Kvs[0].ModRevision
	}
	recordRev := modRev(instanceKey("c", "i1"))

	var readRev int64
	holdRev, err := s.Update(ctx, func(tx *Tx) error {
		i, rev, err := tx.GetInstanceRev("c", "i1")
		if err != nil {
			return err
		}
		readRev = rev
		i.Hold(ecs.Requirements{CPU: 256})
		return tx.PutInstanceUsage(i)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := modRev(instanceKey("c", "i1")); got != recordRev {
		t.Errorf("the record was rewritten by a hold (mod revision %d → %d)", recordRev, got)
	}
	if got := modRev(instanceUsageKey("c", "i1")); got != holdRev || readRev != recordRev {
		t.Errorf("usage mod revision %d after the hold at %d; read at %d, want the registration's %d", got, holdRev, readRev, recordRev)
	}
	got, err := s.GetInstance(ctx, "c", "i1")
	if err != nil || got.Version != 2 || cpuOf(got) != 768 || !got.AgentConnected {
		t.Fatalf("GetInstance after the hold = %+v, %v; want version 2, 768 CPU remaining, the record's fields", got, err)
	}
	if _, err := s.Update(ctx, func(tx *Tx) error {
		i, err := tx.GetInstance("c", "i1")
		if err == nil && (i.Version != 2 || cpuOf(i) != 768) {
			t.Errorf("tx.GetInstance after the hold: version %d, CPU %d; want 2, 768", i.Version, cpuOf(i))
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}

	old := `{"id":"i2","cluster":"c","status":"ACTIVE","version":7,"remaining":[{"name":"CPU","type":"INTEGER","integerValue":512}]}`
	resp, err := s.Client().Put(ctx, instanceKey("c", "i2"), old)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetInstance(ctx, "c", "i2"); err != nil || got.Version != 7 || cpuOf(got) != 512 {
		t.Errorf("a record without accounting apart = %+v, %v; want its own version 7 and 512 CPU", got, err)
	}
	if _, err := s.Update(ctx, func(tx *Tx) error {
		_, rev, err := tx.GetInstanceRev("c", "i2")
		if err == nil && rev != resp.Header.Revision {
			t.Errorf("GetInstanceRev of a record without accounting apart: rev %d, want the record's %d", rev, resp.Header.Revision)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkListInstancesPage lists a page of 100 of 2,000 instances of
// about 1.5 KB each, as ListContainerInstances does: the bytes it
// allocates are mostly what it read from etcd.
func BenchmarkListInstancesPage(b *testing.B) {
	s := newTestStore(b)
	ctx := context.Background()
	const instances, perTx = 2000, 100
	for start := 0; start < instances; start += perTx {
		if _, err := s.Update(ctx, func(tx *Tx) error {
			for i := start; i < start+perTx; i++ {
				if err := tx.PutInstance(benchInstance(i)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	after := instanceKey("c", fmt.Sprintf("i%05d", instances/2))
	b.ReportAllocs()
	for b.Loop() {
		page, err := s.ListInstances(ctx, "c", after, 100, nil)
		if err != nil || len(page.Items) != 100 || page.Next == "" {
			b.Fatalf("page of %d, next %q: %v", len(page.Items), page.Next, err)
		}
	}
}

// benchInstance is an ACTIVE instance with the attributes an agent
// registers (about 1.5 KB stored).
func benchInstance(n int) *ecs.ContainerInstance {
	i := &ecs.ContainerInstance{ID: fmt.Sprintf("i%05d", n), Cluster: "c", Status: ecs.InstanceActive, AgentConnected: true, Version: 1}
	for a := range 30 {
		name, value := fmt.Sprintf("com.amazonaws.ecs.capability.attribute-%02d", a), "value"
		i.Attributes = ecs.SetAttribute(i.Attributes, wire.Attribute{Name: &name, Value: &value})
	}
	return i
}
