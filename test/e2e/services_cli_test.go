package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cliFor is the AWS CLI configured for a strict-mode server by environment
// alone: the test key, the server's endpoint, and no host configuration.
// (TestAWSCLI instead reads what 'berth dev' writes to DATA_DIR/env.)
func cliFor(t *testing.T, bin string, s *server) *awsCLI {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	nowhere := t.TempDir()
	return &awsCLI{bin: bin, env: append(env,
		"AWS_ENDPOINT_URL="+s.url(), "AWS_ACCESS_KEY_ID="+testAccessKey, "AWS_SECRET_ACCESS_KEY="+testSecretKey,
		"AWS_REGION="+testRegion, "AWS_DEFAULT_REGION="+testRegion,
		"AWS_CONFIG_FILE="+filepath.Join(nowhere, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(nowhere, "credentials"), "AWS_PAGER=",
	)}
}

// cliService is what the CLI prints of a service, as far as this test reads.
type cliService struct {
	Service struct {
		ServiceArn              string `json:"serviceArn"`
		Status                  string `json:"status"`
		DesiredCount            int    `json:"desiredCount"`
		DeploymentConfiguration struct {
			MaximumPercent           int `json:"maximumPercent"`
			DeploymentCircuitBreaker struct {
				Enable bool `json:"enable"`
			} `json:"deploymentCircuitBreaker"`
		} `json:"deploymentConfiguration"`
		Deployments []struct {
			Status string `json:"status"`
		} `json:"deployments"`
	} `json:"service"`
}

// TestServicesWithTheAWSCLI creates, updates and deletes a service with the
// real AWS CLI. Its botocore model may predate the circuit breaker's
// resetOnHealthyTask and thresholdConfiguration: it then leaves them out
// of what it prints, and must not be troubled by them.
func TestServicesWithTheAWSCLI(t *testing.T) {
	bin := requireAWSCLI(t)
	t.Parallel()
	cli := cliFor(t, bin, shared)
	cluster := instanceCluster(t)
	family := taskAPIFamily(t, client(t))

	var created cliService
	cli.ok(t, &created, "ecs", "create-service", "--cluster", cluster, "--service-name", "cli", "--task-definition", family, "--desired-count", "1")
	s := created.Service
	breaker := s.DeploymentConfiguration.DeploymentCircuitBreaker
	if s.ServiceArn != serviceARNOf(cluster, "cli") || s.Status != "ACTIVE" || len(s.Deployments) != 1 || s.Deployments[0].Status != "PRIMARY" ||
		s.DeploymentConfiguration.MaximumPercent != 200 || breaker.Enable {
		t.Fatalf("create-service printed %+v", s)
	}

	cli.ok(t, nil, "ecs", "update-service", "--cluster", cluster, "--service", "cli", "--desired-count", "0")
	var deleted cliService
	cli.ok(t, &deleted, "ecs", "delete-service", "--cluster", cluster, "--service", "cli")
	if deleted.Service.Status != "DRAINING" || deleted.Service.DesiredCount != 0 {
		t.Fatalf("delete-service printed %+v", deleted.Service)
	}

	res := cli.run(t, "ecs", "update-service", "--cluster", cluster, "--service", "cli", "--desired-count", "1")
	if res.exitCode != cliClientErrorExit || !strings.Contains(res.stderr, "(ServiceNotActiveException)") || !strings.Contains(res.stderr, "Service was not ACTIVE.") {
		t.Fatalf("update-service of a deleted service:\n%s", res)
	}
}
