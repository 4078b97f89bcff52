package store

import "fmt"

const root = "/berth/v1/"

const (
	clustersPrefix        = root + "clusters/"
	familiesPrefix        = root + "taskdef-families/"
	taskDefsPrefix        = root + "taskdefs/"
	accountSettingsPrefix = root + "account-settings/"
	instancesPrefix       = root + "instances/"
	// instanceUsagePrefix holds each instance's accounting apart from its
	// record (see InstanceUsage).
	instanceUsagePrefix = root + "instance-usage/"
	tasksPrefix         = root + "tasks/"
	// instanceTasksIndexPrefix holds one empty key per task under its
	// container instance, so an agent's tasks are listed without scanning
	// the cluster's.
	instanceTasksIndexPrefix = root + "instance-tasks/"
	taskTokensPrefix         = root + "task-tokens/"
	servicesPrefix           = root + "services/"
	serviceTokensPrefix      = root + "service-tokens/"
)

func clusterKey(name string) string            { return clustersPrefix + name }
func familyKey(family string) string           { return familiesPrefix + family }
func taskDefFamilyPrefix(family string) string { return taskDefsPrefix + family + "#" }
func taskDefKey(family string, revision int) string {
	return fmt.Sprintf("%s%010d", taskDefFamilyPrefix(family), revision)
}
func accountSettingPrefix(principal string) string    { return accountSettingsPrefix + principal + "#" }
func accountSettingKey(principal, name string) string { return accountSettingPrefix(principal) + name }

func clusterInstancesPrefix(cluster string) string { return instancesPrefix + cluster + "/" }
func instanceKey(cluster, id string) string        { return clusterInstancesPrefix(cluster) + id }
func instanceUsageKey(cluster, id string) string   { return instanceUsagePrefix + cluster + "/" + id }

func clusterTasksPrefix(cluster string) string { return tasksPrefix + cluster + "/" }
func taskKey(cluster, id string) string        { return clusterTasksPrefix(cluster) + id }
func instanceTasksPrefix(cluster, instanceID string) string {
	return instanceTasksIndexPrefix + cluster + "/" + instanceID + "/"
}
func instanceTaskKey(cluster, instanceID, taskID string) string {
	return instanceTasksPrefix(cluster, instanceID) + taskID
}
func taskTokenKey(cluster, token string) string { return taskTokensPrefix + cluster + "/" + token }

func clusterServicesPrefix(cluster string) string { return servicesPrefix + cluster + "/" }
func serviceKey(cluster, name string) string      { return clusterServicesPrefix(cluster) + name }
func serviceTokenKey(cluster, token string) string {
	return serviceTokensPrefix + cluster + "/" + token
}
