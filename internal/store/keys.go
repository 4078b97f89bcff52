package store

import (
	"fmt"
	"strconv"
	"strings"
)

const root = "/berth/v1/"

const (
	clustersPrefix        = root + "clusters/"
	familiesPrefix        = root + "taskdef-families/"
	taskDefsPrefix        = root + "taskdefs/"
	accountSettingsPrefix = root + "account-settings/"
)

func clusterKey(name string) string            { return clustersPrefix + name }
func familyKey(family string) string           { return familiesPrefix + family }
func taskDefFamilyPrefix(family string) string { return taskDefsPrefix + family + "#" }
func taskDefKey(family string, revision int) string {
	return fmt.Sprintf("%s%010d", taskDefFamilyPrefix(family), revision)
}
func accountSettingPrefix(principal string) string    { return accountSettingsPrefix + principal + "#" }
func accountSettingKey(principal, name string) string { return accountSettingPrefix(principal) + name }

// parseTaskDefKey returns the family and revision of a taskdefs/ key.
func parseTaskDefKey(key string) (family string, revision int, ok bool) {
	rest, found := strings.CutPrefix(key, taskDefsPrefix)
	if !found {
		return "", 0, false
	}
	i := strings.LastIndexByte(rest, '#')
	if i < 0 {
		return "", 0, false
	}
	rev, err := strconv.Atoi(rest[i+1:])
	return rest[:i], rev, err == nil
}
