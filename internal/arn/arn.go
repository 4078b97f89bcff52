package arn

import (
	"errors"
	"strconv"
	"strings"
)

// ErrInvalid is returned for a string that is not an ARN.
var ErrInvalid = errors.New("invalid ARN")

// ARN is a parsed Amazon Resource Name.
type ARN struct {
	Partition string // "aws"
	Service   string // "ecs"
	Region    string
	Account   string
	Resource  string // "cluster/default", "task-definition/web:3", …
}

// Parse splits s into its six colon-separated fields. The resource part may
// itself contain colons (task-definition/web:3).
func Parse(s string) (ARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return ARN{}, ErrInvalid
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}, nil
}

// IsARN reports whether s looks like an ARN rather than a bare name or id.
func IsARN(s string) bool { return strings.HasPrefix(s, "arn:") }

func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// Type is the resource type: the part of Resource before the first '/'
// ("cluster", "task-definition", "task", …).
func (a ARN) Type() string {
	t, _, _ := strings.Cut(a.Resource, "/")
	return t
}

// Path is the part of Resource after the first '/'.
func (a ARN) Path() string {
	_, p, _ := strings.Cut(a.Resource, "/")
	return p
}

// Builder formats ECS ARNs for one region and account.
type Builder struct {
	Region  string
	Account string
}

func (b Builder) ecs(resource string) string {
	return ARN{Partition: "aws", Service: "ecs", Region: b.Region, Account: b.Account, Resource: resource}.String()
}

// Owns reports whether a is an ECS ARN of this builder's region and
// account: an ARN naming another region or account names nothing here.
func (b Builder) Owns(a ARN) bool {
	return a.Partition == "aws" && a.Service == "ecs" && a.Region == b.Region && a.Account == b.Account
}

// Cluster is the ARN of the named cluster.
func (b Builder) Cluster(name string) string { return b.ecs("cluster/" + name) }

// TaskDefinition is the ARN of one revision of a family.
func (b Builder) TaskDefinition(family string, revision int) string {
	return b.ecs("task-definition/" + family + ":" + strconv.Itoa(revision))
}

// Task is the ARN of a task in a cluster.
func (b Builder) Task(cluster, id string) string { return b.ecs("task/" + cluster + "/" + id) }

// ContainerInstance is the ARN of a container instance in a cluster.
func (b Builder) ContainerInstance(cluster, id string) string {
	return b.ecs("container-instance/" + cluster + "/" + id)
}

// Service is the ARN of a service in a cluster.
func (b Builder) Service(cluster, name string) string {
	return b.ecs("service/" + cluster + "/" + name)
}

// Container is the ARN of one container of a task.
func (b Builder) Container(cluster, taskID, id string) string {
	return b.ecs("container/" + cluster + "/" + taskID + "/" + id)
}

// RootPrincipal is the account's root user, the principal account settings
// apply to when a request names none.
func (b Builder) RootPrincipal() string { return "arn:aws:iam::" + b.Account + ":root" }
