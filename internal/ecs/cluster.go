package ecs

import (
	"time"

	"github.com/berth-org/berth/internal/wire"
)

// ClusterStatus is a cluster's lifecycle status, persisted by name.
type ClusterStatus string

// Cluster statuses berth uses. ECS also defines PROVISIONING,
// DEPROVISIONING and FAILED for capacity-provider work berth does not do.
const (
	ClusterActive   ClusterStatus = "ACTIVE"
	ClusterInactive ClusterStatus = "INACTIVE"
)

// DefaultClusterName is the cluster every request without a cluster means.
const DefaultClusterName = "default"

// Cluster is a cluster as stored. Counts (instances, tasks, services) are
// not stored here: they are derived from those resources when described.
//
// Status is written by CreateCluster and DeleteCluster only.
type Cluster struct {
	Name      string        `json:"name"`
	ARN       string        `json:"arn"`
	Status    ClusterStatus `json:"status"`
	CreatedAt time.Time     `json:"createdAt"`
	DeletedAt time.Time     `json:"deletedAt,omitzero"`

	Settings                        []wire.ClusterSetting               `json:"settings,omitempty"`
	Configuration                   *wire.ClusterConfiguration          `json:"configuration,omitempty"`
	ServiceConnectDefaults          *wire.ClusterServiceConnectDefaults `json:"serviceConnectDefaults,omitempty"`
	CapacityProviders               []string                            `json:"capacityProviders,omitempty"`
	DefaultCapacityProviderStrategy []wire.CapacityProviderStrategyItem `json:"defaultCapacityProviderStrategy,omitempty"`
	Tags                            []Tag                               `json:"tags,omitempty"`
}

// ContainerInsights values ECS accepts for the containerInsights setting.
var containerInsightsValues = map[string]bool{"enabled": true, "disabled": true, "enhanced": true}

// ValidateClusterSettings checks a settings list for CreateCluster,
// UpdateCluster and UpdateClusterSettings. The only setting ECS defines is
// containerInsights.
func ValidateClusterSettings(settings []wire.ClusterSetting) error {
	for _, s := range settings {
		if s.Name != wire.ClusterSettingNameContainerInsights {
			return InvalidParameter("Cluster setting name %q is not valid. Valid names: containerInsights.", s.Name)
		}
		if s.Value == nil || !containerInsightsValues[*s.Value] {
			return InvalidParameter("Cluster setting containerInsights must be enabled, disabled or enhanced.")
		}
	}
	return nil
}

// MergeClusterSettings applies update over current by setting name.
func MergeClusterSettings(current, update []wire.ClusterSetting) []wire.ClusterSetting {
	out := append([]wire.ClusterSetting(nil), current...)
	for _, u := range update {
		replaced := false
		for i := range out {
			if out[i].Name == u.Name {
				out[i] = u
				replaced = true
			}
		}
		if !replaced {
			out = append(out, u)
		}
	}
	return out
}

// ValidateClusterConfiguration checks executeCommandConfiguration's logging
// value, the one enum in a cluster configuration.
func ValidateClusterConfiguration(c *wire.ClusterConfiguration) error {
	if c == nil || c.ExecuteCommandConfiguration == nil {
		return nil
	}
	switch c.ExecuteCommandConfiguration.Logging {
	case "", wire.ExecuteCommandLoggingNone, wire.ExecuteCommandLoggingDefault, wire.ExecuteCommandLoggingOverride:
		return nil
	default:
		return InvalidParameter("executeCommandConfiguration.logging must be NONE, DEFAULT or OVERRIDE.")
	}
}
