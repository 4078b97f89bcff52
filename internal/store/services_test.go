package store

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/berth-org/berth/internal/ecs"
)

// service is an ACTIVE service of cluster c with one PRIMARY deployment.
func service(c, name string) *ecs.Service {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	s := &ecs.Service{Name: name, Cluster: c, Status: ecs.ServiceActive, DesiredCount: 1, CreatedAt: now,
		SchedulingStrategy: ecs.SchedulingReplica, DeploymentConfiguration: ecs.DefaultDeploymentConfiguration(ecs.SchedulingReplica)}
	s.StartDeployment(ecs.NewDeployment("ecs-svc/1000000000000000001", "td:1", 1, "EC2", now))
	return s
}

func createService(t *testing.T, s *Store, svc *ecs.Service) error {
	t.Helper()
	_, err := s.Update(testCtx(t), func(tx *Tx) error { return tx.CreateService(svc) })
	return err
}

func names(svcs []*ecs.Service) []string {
	out := make([]string, len(svcs))
	for i, v := range svcs {
		out[i] = v.Name
	}
	return out
}

func TestCreateServiceRefusesAnActiveOrDrainingNameAndReplacesAnInactiveOne(t *testing.T) {
	s := newTestStore(t)
	cases := []struct {
		name   string
		status ecs.ServiceStatus
		want   error
	}{
		{"over an ACTIVE service", ecs.ServiceActive, ErrServiceExists},
		{"over a DRAINING service", ecs.ServiceDraining, ErrServiceExists},
		{"over an INACTIVE service", ecs.ServiceInactive, nil},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			old := service("prod", fmt.Sprintf("web-%d", i))
			old.Status = c.status
			if err := createService(t, s, old); err != nil {
				t.Fatal(err)
			}
			fresh := service("prod", old.Name)
			fresh.DesiredCount = 7
			if err := createService(t, s, fresh); !errors.Is(err, c.want) {
				t.Fatalf("CreateService = %v, want %v", err, c.want)
			}
			got, err := s.GetService(testCtx(t), "prod", old.Name)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int32{true: 1, false: 7}[c.want != nil]; got.DesiredCount != want {
				t.Fatalf("stored desiredCount = %d, want %d", got.DesiredCount, want)
			}
		})
	}
}

func TestListServicesPagesActiveServicesByName(t *testing.T) {
	s := newTestStore(t)
	for i, status := range []ecs.ServiceStatus{ecs.ServiceActive, ecs.ServiceDraining, ecs.ServiceActive, ecs.ServiceInactive, ecs.ServiceActive} {
		svc := service("prod", fmt.Sprintf("svc-%d", i))
		svc.Status = status
		if err := createService(t, s, svc); err != nil {
			t.Fatal(err)
		}
	}
	if err := createService(t, s, service("prod2", "svc-9")); err != nil { // a cluster whose name extends prod's
		t.Fatal(err)
	}
	var got []string
	after := ""
	for pages := 0; ; pages++ {
		page, err := s.ListServices(testCtx(t), "prod", after, 2, (*ecs.Service).Active)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, names(page.Items)...)
		if after = page.Next; after == "" {
			if pages != 1 {
				t.Fatalf("%d pages, want 2", pages+1)
			}
			break
		}
	}
	if want := []string{"svc-0", "svc-2", "svc-4"}; !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	all, rev, err := s.ServicesAt(testCtx(t), "")
	if err != nil || rev == 0 || len(all) != 6 {
		t.Fatalf("ServicesAt(all) = %v at %d, %v; want 6 services at a revision", names(all), rev, err)
	}
}

func TestUpdateServiceIsACompareAndSwap(t *testing.T) {
	s := newTestStore(t)
	if err := createService(t, s, service("prod", "web")); err != nil {
		t.Fatal(err)
	}
	const writers = 16
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.UpdateService(testCtx(t), "prod", "web", func(svc *ecs.Service) error {
				svc.SetDesiredCount(svc.DesiredCount+1, svc.CreatedAt)
				return nil
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.GetService(testCtx(t), "prod", "web")
	if err != nil {
		t.Fatal(err)
	}
	if got.DesiredCount != 1+writers || got.Primary().DesiredCount != 1+writers {
		t.Fatalf("desiredCount = %d (primary %d), want %d: an increment was lost", got.DesiredCount, got.Primary().DesiredCount, 1+writers)
	}

	before, _ := s.Revision(testCtx(t))
	if _, err := s.UpdateService(testCtx(t), "prod", "web", func(*ecs.Service) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if after, _ := s.Revision(testCtx(t)); after != before {
		t.Fatalf("an update that changed nothing wrote: revision %d → %d", before, after)
	}
	refusal := errors.New("refused")
	if _, err := s.UpdateService(testCtx(t), "prod", "web", func(*ecs.Service) error { return refusal }); !errors.Is(err, refusal) {
		t.Fatalf("UpdateService = %v, want the change's error", err)
	}
	if _, err := s.UpdateService(testCtx(t), "prod", "nope", func(*ecs.Service) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("UpdateService of a missing service = %v, want ErrNotFound", err)
	}
}

func TestWatchClusterServicesSeesChangesAfterAListing(t *testing.T) {
	s := newTestStore(t)
	ctx := testCtx(t)
	if err := createService(t, s, service("prod", "web")); err != nil {
		t.Fatal(err)
	}
	listed, rev, err := s.ServicesAt(ctx, "prod")
	if err != nil || len(listed) != 1 {
		t.Fatalf("ServicesAt = %v, %v", names(listed), err)
	}
	events, errc := s.WatchClusterServices(ctx, "prod", rev+1)
	if err := createService(t, s, service("other", "api")); err != nil { // another cluster: not seen
		t.Fatal(err)
	}
	if _, err := s.UpdateService(ctx, "prod", "web", func(svc *ecs.Service) error {
		svc.Status = ecs.ServiceDraining
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-events:
		if e.Type != EventPut || e.Value.Name != "web" || e.Value.Status != ecs.ServiceDraining {
			t.Fatalf("event %s %+v, want web DRAINING", e.Type, e.Value)
		}
	case err := <-errc:
		t.Fatal(err)
	case <-ctx.Done():
		t.Fatal("no event")
	}
}

func TestServiceTokensAreKeptPerCluster(t *testing.T) {
	s := newTestStore(t)
	tok := &ServiceToken{RequestDigest: "d1", ServiceName: "web"}
	if _, err := s.Update(testCtx(t), func(tx *Tx) error { return tx.PutServiceToken("prod", "tok", tok) }); err != nil {
		t.Fatal(err)
	}
	_, err := s.Update(testCtx(t), func(tx *Tx) error {
		got, err := tx.GetServiceToken("prod", "tok")
		if err != nil || got.ServiceName != "web" {
			return fmt.Errorf("prod's token = %+v, %v", got, err)
		}
		if _, err := tx.GetServiceToken("other", "tok"); !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("another cluster's token: %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
