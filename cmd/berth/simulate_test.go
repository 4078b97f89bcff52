package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/berth-org/berth/internal/awsjson"
	"github.com/berth-org/berth/internal/sdkhttp"
	"github.com/berth-org/berth/internal/server"
)

const (
	// simTestTimeout bounds every wait on the in-process server and fleet:
	// three simulated instances register and connect in milliseconds.
	simTestTimeout = 15 * time.Second
	// simPollInterval paces polling the server through its ECS API.
	simPollInterval = 10 * time.Millisecond
)

// startTestServer runs a berth server in the test's process, accepting any
// well-signed request, until the test ends.
func startTestServer(t *testing.T) *server.Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.Start(ctx, server.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), Region: "us-east-1",
		AccountID: defaultAccount, Auth: awsjson.AuthAnyKey, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("server close: %v", err)
		}
		cancel()
	})
	return srv
}

func ecsClient(url string) *ecs.Client {
	return ecs.New(ecs.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:  &http.Client{Transport: sdkhttp.Transport{Base: awshttp.NewBuildableClient().GetTransport()}},
	})
}

// connectedZones lists the zones of the cluster's connected instances.
func connectedZones(ctx context.Context, client *ecs.Client) ([]string, error) {
	list, err := client.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{})
	if err != nil || len(list.ContainerInstanceArns) == 0 {
		return nil, err
	}
	out, err := client.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{ContainerInstances: list.ContainerInstanceArns})
	if err != nil {
		return nil, err
	}
	var zones []string
	for _, inst := range out.ContainerInstances {
		for _, a := range inst.Attributes {
			if inst.AgentConnected && aws.ToString(a.Name) == "ecs.availability-zone" {
				zones = append(zones, aws.ToString(a.Value))
			}
		}
	}
	slices.Sort(zones)
	return zones, nil
}

func TestAgentSimulateRegistersInstancesInThreeZones(t *testing.T) {
	srv := startTestServer(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var log bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"agent", "--simulate", "3", "--server", srv.URL(), "--cluster", "default"}, io.Discard, &log)
	}()

	client := ecsClient(srv.URL())
	want := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	var zones []string
	for deadline := time.Now().Add(simTestTimeout); !slices.Equal(zones, want); time.Sleep(simPollInterval) {
		if time.Now().After(deadline) {
			t.Fatalf("connected instances are in zones %v, want %v", zones, want)
		}
		var err error
		if zones, err = connectedZones(ctx, client); err != nil {
			t.Fatal(err)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("berth agent --simulate: %v", err)
		}
	case <-time.After(simTestTimeout):
		t.Fatal("berth agent --simulate did not stop")
	}
	if !strings.Contains(log.String(), `msg="simulated instances registered" cluster=default n=3`) {
		t.Errorf("log lacks the registration summary:\n%s", log.String())
	}
}

func TestAgentSimulateRejectsNonsense(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	cases := []struct {
		name string
		args []string
		flag string // the flag the error names
	}{
		{"negative count", []string{"--simulate", "-1"}, "--simulate"},
		{"too many", []string{"--simulate", "100001"}, "--simulate"},
		{"negative delay", []string{"--simulate", "3", "--simulate-start-delay", "-1s"}, "--simulate-start-delay"},
		{"empty zone", []string{"--simulate", "3", "--simulate-zones", "a,,b"}, "--simulate-zones"},
		{"negative memory", []string{"--simulate", "3", "--memory", "-5"}, "--memory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// No server listens on the default address's port 1: a fleet
			// that got as far as registering would fail differently.
			args := append([]string{"agent", "--server", "http://127.0.0.1:1"}, tc.args...)
			err := run(context.Background(), args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.flag) {
				t.Errorf("error %v, want one naming %s", err, tc.flag)
			}
		})
	}
	t.Run("no credentials", func(t *testing.T) {
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		err := run(context.Background(), []string{"agent", "--server", "http://127.0.0.1:1", "--simulate", "3"}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "--credentials") {
			t.Errorf("error %v, want one asking for --credentials", err)
		}
	})
}
