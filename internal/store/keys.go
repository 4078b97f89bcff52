package store

import "fmt"

const root = "/berth/v1/"

const (
	clustersPrefix        = root + "clusters/"
	familiesPrefix        = root + "taskdef-families/"
	taskDefsPrefix        = root + "taskdefs/"
	accountSettingsPrefix = root + "account-settings/"
	instancesPrefix       = root + "instances/"
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
