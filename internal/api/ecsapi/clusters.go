package ecsapi

import (
	"context"
	"errors"
	"slices"
	"strconv"

	"github.com/berth-org/berth/internal/arn"
	"github.com/berth-org/berth/internal/awsjson"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// maxDescribeClusters is DescribeClusters' limit on names per call.
const maxDescribeClusters = 100

func (a *API) registerClusters(svc *awsjson.Service) {
	svc.Handle("CreateCluster", awsjson.Handle(a.CreateCluster))
	svc.Handle("DescribeClusters", awsjson.Handle(a.DescribeClusters))
	svc.Handle("ListClusters", awsjson.Handle(a.ListClusters))
	svc.Handle("UpdateCluster", awsjson.Handle(a.UpdateCluster))
	svc.Handle("UpdateClusterSettings", awsjson.Handle(a.UpdateClusterSettings))
	svc.Handle("DeleteCluster", awsjson.Handle(a.DeleteCluster))
}

// clusterName resolves a cluster reference (name or ARN; absent means
// "default") to a name. A malformed reference names no cluster.
func (a *API) clusterName(ref *string) (string, error) {
	s := str(ref)
	switch {
	case s == "":
		return ecs.DefaultClusterName, nil
	case arn.IsARN(s):
		parsed, err := arn.Parse(s)
		if err != nil || !a.arns.Owns(parsed) || parsed.Type() != "cluster" || !ecs.ValidName(parsed.Path()) {
			return "", ecs.ErrClusterNotFound
		}
		return parsed.Path(), nil
	case !ecs.ValidName(s):
		return "", ecs.ErrClusterNotFound
	default:
		return s, nil
	}
}

func (a *API) ensureDefaultCluster(ctx context.Context) error {
	_, err := a.store.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.GetCluster(ecs.DefaultClusterName)
		if !errors.Is(err, store.ErrNotFound) {
			return err // exists (in any status), or a real error
		}
		c, err := a.newCluster(tx, ecs.DefaultClusterName, nil, nil)
		if err != nil {
			return err
		}
		return tx.PutCluster(c)
	})
	return err
}

func (a *API) newCluster(tx *store.Tx, name string, settings []wire.ClusterSetting, tags []ecs.Tag) (*ecs.Cluster, error) {
	if !slices.ContainsFunc(settings, func(s wire.ClusterSetting) bool { return s.Name == wire.ClusterSettingNameContainerInsights }) {
		// ECS records the containerInsights setting a cluster was created
		// with, from the account default when the request names none. The
		// account default is the root's setting (see settings.go), else
		// ECS's own default. berth's own lostInstanceTimeout is recorded
		// only when the request sets it: without it, it is disabled.
		value := ecs.DefaultAccountSettingValue(wire.SettingNameContainerInsights)
		s, err := tx.GetAccountSetting(a.arns.RootPrincipal(), string(wire.SettingNameContainerInsights))
		switch {
		case err == nil:
			value = s.Value
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
		settings = append([]wire.ClusterSetting{{Name: wire.ClusterSettingNameContainerInsights, Value: ptr(value)}}, settings...)
	}
	return &ecs.Cluster{Name: name, ARN: a.arns.Cluster(name), Status: ecs.ClusterActive, CreatedAt: a.timestamp(), Settings: settings, Tags: tags}, nil
}

// CreateCluster creates a cluster. Creating a name that is already ACTIVE
// returns the existing cluster unchanged; a deleted (INACTIVE) name is
// created afresh.
func (a *API) CreateCluster(ctx context.Context, in *wire.CreateClusterRequest) (*wire.CreateClusterResponse, error) {
	name := str(in.ClusterName)
	if name == "" {
		name = ecs.DefaultClusterName
	}
	if !ecs.ValidName(name) {
		return nil, ecs.InvalidParameter("Cluster name can have up to 255 characters: letters (uppercase and lowercase), numbers, underscores and hyphens.")
	}
	tags, err := validateTagRequest(in.Tags)
	if err != nil {
		return nil, err
	}
	if err := validateClusterUpdate(in.Settings, in.Configuration, in.ServiceConnectDefaults); err != nil {
		return nil, err
	}
	if len(in.CapacityProviders) > 0 || len(in.DefaultCapacityProviderStrategy) > 0 {
		return nil, &ecs.Error{Code: ecs.CodeUnsupportedFeature, Message: "berth does not support capacity providers; container instances join a cluster by running 'berth agent'."}
	}
	var out *ecs.Cluster
	_, err = a.store.Update(ctx, func(tx *store.Tx) error {
		existing, err := tx.GetCluster(name)
		if err == nil && existing.Status == ecs.ClusterActive {
			out = existing
			return nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if out, err = a.newCluster(tx, name, ecs.MergeClusterSettings(nil, in.Settings), tags); err != nil {
			return err
		}
		out.Configuration = in.Configuration
		return tx.PutCluster(out)
	})
	if err != nil {
		return nil, err
	}
	w, err := a.clusterToWire(ctx, out, allClusterFields)
	if err != nil {
		return nil, err
	}
	return &wire.CreateClusterResponse{Cluster: w}, nil
}

func validateClusterUpdate(settings []wire.ClusterSetting, cfg *wire.ClusterConfiguration, sc *wire.ClusterServiceConnectDefaultsRequest) error {
	if err := ecs.ValidateClusterSettings(settings); err != nil {
		return err
	}
	if err := ecs.ValidateClusterConfiguration(cfg); err != nil {
		return err
	}
	if sc != nil {
		return &ecs.Error{Code: ecs.CodeNamespaceNotFound, Message: "berth does not support Service Connect namespaces yet; serviceConnectDefaults cannot be set."}
	}
	return nil
}

// allClusterFields is what create, update and delete responses carry.
var allClusterFields = map[wire.ClusterField]bool{
	wire.ClusterFieldSettings: true, wire.ClusterFieldConfigurations: true, wire.ClusterFieldTags: true,
}

func (a *API) clusterToWire(ctx context.Context, c *ecs.Cluster, include map[wire.ClusterField]bool) (*wire.Cluster, error) {
	// Counts are derived from the resources they count, never stored here:
	// task counts from the placement engine's watch-fed snapshot, which
	// keeps them as tasks change; services are few enough per cluster (ECS
	// allows 5,000) to count by a scan.
	instances, err := a.registeredInstances(ctx, c.Name)
	if err != nil {
		return nil, err
	}
	running, pending, err := a.placer.TaskCounts(ctx, c.Name)
	if err != nil {
		return nil, err
	}
	services, err := a.countServices(ctx, c.Name)
	if err != nil {
		return nil, err
	}
	out := &wire.Cluster{
		ClusterArn:                        ptr(c.ARN),
		ClusterName:                       ptr(c.Name),
		Status:                            ptr(string(c.Status)),
		RegisteredContainerInstancesCount: i32(len(instances)),
		RunningTasksCount:                 i32(running),
		PendingTasksCount:                 i32(pending),
		ActiveServicesCount:               i32(services[ecs.ServiceActive]),
		CapacityProviders:                 []string{},
		DefaultCapacityProviderStrategy:   []wire.CapacityProviderStrategyItem{},
	}
	if include[wire.ClusterFieldSettings] {
		out.Settings = c.Settings
	}
	if include[wire.ClusterFieldConfigurations] {
		out.Configuration = c.Configuration
	}
	if include[wire.ClusterFieldTags] {
		out.Tags = tagsToWire(c.Tags)
	}
	if include[wire.ClusterFieldStatistics] {
		out.Statistics = clusterStatistics(services, running, pending)
	}
	if include[wire.ClusterFieldAttachments] {
		out.Attachments = []wire.Attachment{}
	}
	return out, nil
}

// clusterStatistics are DescribeClusters' STATISTICS, by launch type:
// every berth task and service is EC2.
func clusterStatistics(services map[ecs.ServiceStatus]int, running, pending int) []wire.KeyValuePair {
	stats := []struct {
		name  string
		value int
	}{
		{"runningEC2TasksCount", running}, {"runningFargateTasksCount", 0}, {"pendingEC2TasksCount", pending}, {"pendingFargateTasksCount", 0},
		{"activeEC2ServiceCount", services[ecs.ServiceActive]}, {"activeFargateServiceCount", 0},
		{"drainingEC2ServiceCount", services[ecs.ServiceDraining]}, {"drainingFargateServiceCount", 0},
	}
	out := make([]wire.KeyValuePair, len(stats))
	for i, st := range stats {
		out[i] = wire.KeyValuePair{Name: ptr(st.name), Value: ptr(strconv.Itoa(st.value))}
	}
	return out
}

// countServices counts a cluster's services by status.
func (a *API) countServices(ctx context.Context, cluster string) (map[ecs.ServiceStatus]int, error) {
	counts := map[ecs.ServiceStatus]int{}
	err := a.store.ForEachService(ctx, cluster, func(s *ecs.Service) bool {
		counts[s.Status]++
		return true
	})
	return counts, err
}

// DescribeClusters describes up to 100 clusters, ACTIVE or INACTIVE.
// Unknown names come back in failures with reason MISSING.
func (a *API) DescribeClusters(ctx context.Context, in *wire.DescribeClustersRequest) (*wire.DescribeClustersResponse, error) {
	if len(in.Clusters) > maxDescribeClusters {
		return nil, ecs.InvalidParameter("clusters can have at most %d items.", maxDescribeClusters)
	}
	include := map[wire.ClusterField]bool{}
	for _, f := range in.Include {
		if err := validateEnum("include", f, wire.ClusterField("").Values()); err != nil {
			return nil, err
		}
		include[f] = true
	}
	refs := in.Clusters
	if len(refs) == 0 {
		refs = []string{ecs.DefaultClusterName}
	}
	out := &wire.DescribeClustersResponse{Clusters: []wire.Cluster{}, Failures: []wire.Failure{}}
	for _, ref := range refs {
		name, err := a.clusterName(&ref)
		var c *ecs.Cluster
		if err == nil {
			c, err = a.store.GetCluster(ctx, name)
		}
		switch {
		case err == nil:
			w, err := a.clusterToWire(ctx, c, include)
			if err != nil {
				return nil, err
			}
			out.Clusters = append(out.Clusters, *w)
		case errors.Is(err, store.ErrNotFound) || errors.Is(err, ecs.ErrClusterNotFound):
			out.Failures = append(out.Failures, missing(a.clusterRefARN(ref)))
		default:
			return nil, err
		}
	}
	return out, nil
}

// clusterRefARN is the ARN a failure reports for a cluster reference.
func (a *API) clusterRefARN(ref string) string {
	if arn.IsARN(ref) {
		return ref
	}
	return a.arns.Cluster(ref)
}

// ListClusters lists ACTIVE clusters by name.
func (a *API) ListClusters(ctx context.Context, in *wire.ListClustersRequest) (*wire.ListClustersResponse, error) {
	limit, err := pageSize(in.MaxResults, defaultMaxResults, maxMaxResults)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken, store.ClusterPageKey(""))
	if err != nil {
		return nil, err
	}
	page, err := a.store.ListClusters(ctx, after, limit, func(c *ecs.Cluster) bool { return c.Status == ecs.ClusterActive })
	if err != nil {
		return nil, err
	}
	out := &wire.ListClustersResponse{ClusterArns: []string{}, NextToken: encodeToken(page.Next)}
	for _, c := range page.Items {
		out.ClusterArns = append(out.ClusterArns, c.ARN)
	}
	return out, nil
}

// UpdateCluster changes a cluster's settings and configuration.
func (a *API) UpdateCluster(ctx context.Context, in *wire.UpdateClusterRequest) (*wire.UpdateClusterResponse, error) {
	if err := required("cluster", in.Cluster); err != nil {
		return nil, err
	}
	if err := validateClusterUpdate(in.Settings, in.Configuration, in.ServiceConnectDefaults); err != nil {
		return nil, err
	}
	c, err := a.updateCluster(ctx, in.Cluster, func(c *ecs.Cluster) {
		c.Settings = ecs.MergeClusterSettings(c.Settings, in.Settings)
		if in.Configuration != nil {
			c.Configuration = in.Configuration
		}
	})
	if err != nil {
		return nil, err
	}
	w, err := a.clusterToWire(ctx, c, allClusterFields)
	if err != nil {
		return nil, err
	}
	return &wire.UpdateClusterResponse{Cluster: w}, nil
}

// UpdateClusterSettings changes a cluster's settings.
func (a *API) UpdateClusterSettings(ctx context.Context, in *wire.UpdateClusterSettingsRequest) (*wire.UpdateClusterSettingsResponse, error) {
	if err := required("cluster", in.Cluster); err != nil {
		return nil, err
	}
	if in.Settings == nil {
		return nil, ecs.InvalidParameter("settings is required.")
	}
	if err := ecs.ValidateClusterSettings(in.Settings); err != nil {
		return nil, err
	}
	c, err := a.updateCluster(ctx, in.Cluster, func(c *ecs.Cluster) {
		c.Settings = ecs.MergeClusterSettings(c.Settings, in.Settings)
	})
	if err != nil {
		return nil, err
	}
	w, err := a.clusterToWire(ctx, c, allClusterFields)
	if err != nil {
		return nil, err
	}
	return &wire.UpdateClusterSettingsResponse{Cluster: w}, nil
}

// updateCluster applies change to an ACTIVE cluster in one transaction.
func (a *API) updateCluster(ctx context.Context, ref *string, change func(*ecs.Cluster)) (*ecs.Cluster, error) {
	name, err := a.clusterName(ref)
	if err != nil {
		return nil, err
	}
	return a.updateClusterTx(ctx, name, func(_ *store.Tx, c *ecs.Cluster) error {
		change(c)
		return nil
	})
}

// updateClusterTx applies change, which may read more within tx or refuse,
// to an ACTIVE cluster in one transaction.
func (a *API) updateClusterTx(ctx context.Context, name string, change func(*store.Tx, *ecs.Cluster) error) (*ecs.Cluster, error) {
	var out *ecs.Cluster
	_, err := a.store.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.GetCluster(name)
		if errors.Is(err, store.ErrNotFound) || (err == nil && c.Status != ecs.ClusterActive) {
			return ecs.ErrClusterNotFound
		}
		if err != nil {
			return err
		}
		if err := change(tx, c); err != nil {
			return err
		}
		out = c
		return tx.PutCluster(c)
	})
	return out, err
}

// Refusals to delete a cluster that is not empty, worded as ECS words them.
var (
	errClusterHasInstances = &ecs.Error{Code: ecs.CodeClusterContainsInstances, Message: "The Cluster cannot be deleted while Container Instances are active or draining."}
	errClusterHasTasks     = &ecs.Error{Code: ecs.CodeClusterContainsTasks, Message: "The Cluster cannot be deleted while Tasks are active."}
	errClusterHasServices  = &ecs.Error{Code: ecs.CodeClusterContainsServices, Message: "The Cluster cannot be deleted while Services are active."}
)

// DeleteCluster marks a cluster INACTIVE. It stays describable; the name
// can be created again. A cluster is refused while it has ACTIVE or
// DRAINING services, then while it has tasks that have not stopped, then
// while it has ACTIVE or DRAINING container instances.
//
// Only tasks on registered instances count: a task on a deregistered
// (INACTIVE) instance was orphaned by a forced deregistration, which asked
// it to stop; no agent will report it again, and ECS no longer accounts
// for such tasks.
//
// The checks are race-free, though they read services, tasks and
// instances outside the transaction:
//   - a registration or a CreateService that commits while they run bumps
//     the membership guard this transaction reads, so the deletion runs
//     again and sees it (a service never becomes ACTIVE again otherwise);
//   - a placement reads the cluster in its own transaction, so one that
//     comes after this deletion commits finds the cluster INACTIVE;
//   - a placement that commits first needs an ACTIVE instance. If it
//     commits before the instances below are listed, its instance is either
//     still registered, hence listed, with its tasks listed after it; or
//     deregistered since, which only force allows, orphaning the task. If
//     it commits after, its instance was ACTIVE or DRAINING when listed
//     (an INACTIVE instance never becomes ACTIVE again), which refuses the
//     deletion.
func (a *API) DeleteCluster(ctx context.Context, in *wire.DeleteClusterRequest) (*wire.DeleteClusterResponse, error) {
	if err := required("cluster", in.Cluster); err != nil {
		return nil, err
	}
	name, err := a.clusterName(in.Cluster)
	if err != nil {
		return nil, err
	}
	c, err := a.updateClusterTx(ctx, name, func(tx *store.Tx, c *ecs.Cluster) error {
		if err := tx.GuardMembership(name); err != nil {
			return err
		}
		services, err := a.countServices(ctx, name)
		if err != nil {
			return err
		}
		if services[ecs.ServiceActive]+services[ecs.ServiceDraining] > 0 {
			return errClusterHasServices
		}
		instances, err := a.registeredInstances(ctx, name)
		if err != nil {
			return err
		}
		for _, i := range instances {
			tasks, _, err := a.store.ListInstanceTasks(ctx, name, i.ID)
			if err != nil {
				return err
			}
			if slices.ContainsFunc(tasks, ecs.TaskActive) {
				return errClusterHasTasks
			}
		}
		if len(instances) > 0 {
			return errClusterHasInstances
		}
		c.Status = ecs.ClusterInactive
		c.DeletedAt = a.timestamp()
		return nil
	})
	if err != nil {
		return nil, err
	}
	w, err := a.clusterToWire(ctx, c, allClusterFields)
	if err != nil {
		return nil, err
	}
	return &wire.DeleteClusterResponse{Cluster: w}, nil
}

// registeredInstances lists a cluster's ACTIVE and DRAINING instances.
func (a *API) registeredInstances(ctx context.Context, cluster string) ([]*ecs.ContainerInstance, error) {
	page, err := a.store.ListInstances(ctx, cluster, "", allInstances, func(i *ecs.ContainerInstance) bool {
		return i.Status != ecs.InstanceInactive
	})
	return page.Items, err
}
