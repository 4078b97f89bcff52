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

// ClusterSettingLostInstanceTimeout is berth's own cluster setting, beyond
// ECS: how long a container instance's agent may stay disconnected before
// the instance is lost and its service tasks are replaced elsewhere
// (docs/services.md, "When an instance is lost"). Its value is
// LostInstanceTimeoutDisabled (the default, and what a cluster without the
// setting means: ECS's behaviour, which never moves a task off an instance
// whose agent is away) or a whole number of seconds from
// MinLostInstanceTimeout to MaxLostInstanceTimeout.
const ClusterSettingLostInstanceTimeout wire.ClusterSettingName = "lostInstanceTimeout"

// The lostInstanceTimeout setting's values. The floor keeps a routine
// agent reconnect (ECS agents reconnect several times an hour) or a
// heartbeat timeout (20 s by default) well clear of it when set sensibly,
// and 10 s is the least a test can use; the ceiling is a day.
const (
	LostInstanceTimeoutDisabled = "disabled"
	MinLostInstanceTimeout      = 10 * time.Second
	MaxLostInstanceTimeout      = 24 * time.Hour
)

// ValidateClusterSettings checks a settings list for CreateCluster,
// UpdateCluster and UpdateClusterSettings. ECS defines containerInsights;
// berth adds lostInstanceTimeout.
func ValidateClusterSettings(settings []wire.ClusterSetting) error {
	for _, s := range settings {
		switch s.Name {
		case wire.ClusterSettingNameContainerInsights:
			if s.Value == nil || !containerInsightsValues[*s.Value] {
				return InvalidParameter("Cluster setting containerInsights must be enabled, disabled or enhanced.")
			}
		case ClusterSettingLostInstanceTimeout:
			if _, err := parseLostInstanceTimeout(str(s.Value)); err != nil {
				return err
			}
		default:
			return InvalidParameter("Cluster setting name %q is not valid. Valid names: containerInsights, lostInstanceTimeout.", s.Name)
		}
	}
	return nil
}

// parseLostInstanceTimeout reads a lostInstanceTimeout value: 0 for
// disabled.
func parseLostInstanceTimeout(v string) (time.Duration, error) {
	if v == LostInstanceTimeoutDisabled {
		return 0, nil
	}
	n, ok := 0, v != "" && len(v) <= 5
	for _, c := range v {
		if c < '0' || c > '9' {
			ok = false
			break
		}
		n = n*10 + int(c-'0')
	}
	d := time.Duration(n) * time.Second
	if !ok || d < MinLostInstanceTimeout || d > MaxLostInstanceTimeout {
		return 0, InvalidParameter("Cluster setting lostInstanceTimeout must be disabled or a whole number of seconds from %d to %d; got %q.",
			int(MinLostInstanceTimeout.Seconds()), int(MaxLostInstanceTimeout.Seconds()), v)
	}
	return d, nil
}

// LostInstanceTimeout is the cluster's lostInstanceTimeout: 0 when it is
// disabled or not set (or, stored before validation said otherwise,
// unreadable).
func (c *Cluster) LostInstanceTimeout() time.Duration {
	for _, s := range c.Settings {
		if s.Name == ClusterSettingLostInstanceTimeout {
			d, err := parseLostInstanceTimeout(str(s.Value))
			if err != nil {
				return 0
			}
			return d
		}
	}
	return 0
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
