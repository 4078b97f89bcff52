package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/berth-org/berth/bench/internal/benchkit"
	"github.com/berth-org/berth/internal/sdkhttp"
)

const (
	// dialTimeout bounds one TCP connect on loopback.
	dialTimeout = 5 * time.Second
	// idleConnTimeout is how long an unused keep-alive connection is kept;
	// longer than any pause between calls in a scenario.
	idleConnTimeout = 90 * time.Second
	// maxIdleConnsPerClient: each SDK client has one worker, so at most one
	// request in flight and one connection to keep. Two leaves slack; the
	// dial counter in every scenario checks that connections are reused.
	maxIdleConnsPerClient = 2
)

// newECSClient returns an SDK client of its own, with its own HTTP transport,
// signing with the benchmark key, without retries (one call is one request),
// counting the connections it dials in dials.
//
// Every worker of a scenario gets one: "N concurrent SDK clients" are N
// independent clients, as N processes each using the SDK would be, each
// holding one keep-alive connection to the server.
func newECSClient(endpoint string, dials *atomic.Int64) *ecs.Client {
	return benchkit.NewECSClient(endpoint, benchRegion, benchKey, newHTTPClient(dials))
}

// newHTTPClient is the SDK's default transport settings, with keep-alive
// idle limits explicit and every dial counted. No proxy: the benchmark is
// loopback only.
func newHTTPClient(dials *atomic.Int64) *http.Client {
	d := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	// sdkhttp.Transport keeps keep-alive connections alive under the SDK
	// (see package sdkhttp); without it every call could pay a new dial.
	return &http.Client{Transport: sdkhttp.Transport{Base: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConns:        maxIdleConnsPerClient,
		MaxIdleConnsPerHost: maxIdleConnsPerClient,
		IdleConnTimeout:     idleConnTimeout,
	}}}
}

// benchTaskDefinition is a realistic small task definition: a web server
// with ports, environment, health check and logging, and a small sidecar.
// Its stored JSON is about 2 KB.
func benchTaskDefinition(family string) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(family),
		NetworkMode:             types.NetworkModeBridge,
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityEc2},
		Cpu:                     aws.String("512"),
		Memory:                  aws.String("1024"),
		ContainerDefinitions: []types.ContainerDefinition{
			{
				Name:      aws.String("web"),
				Image:     aws.String("registry.example.com/shop/web:1.42.0"),
				Essential: aws.Bool(true),
				Cpu:       384,
				Memory:    aws.Int32(768),
				PortMappings: []types.PortMapping{
					{ContainerPort: aws.Int32(8080), HostPort: aws.Int32(0), Protocol: types.TransportProtocolTcp},
				},
				Environment: []types.KeyValuePair{
					{Name: aws.String("APP_ENV"), Value: aws.String("production")},
					{Name: aws.String("LOG_LEVEL"), Value: aws.String("info")},
					{Name: aws.String("DATABASE_HOST"), Value: aws.String("db.internal.example.com")},
					{Name: aws.String("CACHE_URL"), Value: aws.String("redis://cache.internal.example.com:6379/0")},
				},
				HealthCheck: &types.HealthCheck{
					Command:  []string{"CMD-SHELL", "curl -fsS http://localhost:8080/healthz || exit 1"},
					Interval: aws.Int32(30), Timeout: aws.Int32(5), Retries: aws.Int32(3), StartPeriod: aws.Int32(10),
				},
				LogConfiguration: &types.LogConfiguration{
					LogDriver: types.LogDriverJsonFile,
					Options:   map[string]string{"max-size": "10m", "max-file": "3"},
				},
				DockerLabels: map[string]string{"team": "shop", "service": "web"},
			},
			{
				Name:      aws.String("log-shipper"),
				Image:     aws.String("registry.example.com/infra/log-shipper:2.3"),
				Essential: aws.Bool(false),
				Cpu:       64,
				Memory:    aws.Int32(64),
				Command:   []string{"--input", "/var/log/app", "--output", "tcp://logs.internal.example.com:5140"},
			},
		},
		Tags: []types.Tag{
			{Key: aws.String("team"), Value: aws.String("shop")},
			{Key: aws.String("env"), Value: aws.String("production")},
		},
	}
}

// register registers benchTaskDefinition(family) and checks the answer.
func register(ctx context.Context, c *ecs.Client, in *ecs.RegisterTaskDefinitionInput) (int32, error) {
	out, err := c.RegisterTaskDefinition(ctx, in)
	if err != nil {
		return 0, err
	}
	if out.TaskDefinition == nil || out.TaskDefinition.Revision < 1 {
		return 0, fmt.Errorf("RegisterTaskDefinition %s: no revision in the answer", aws.ToString(in.Family))
	}
	return out.TaskDefinition.Revision, nil
}

// describe describes ref ("family:revision") and checks the answer names it.
func describe(ctx context.Context, c *ecs.Client, ref string, family string, revision int32) error {
	out, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref)})
	if err != nil {
		return err
	}
	if td := out.TaskDefinition; td == nil || td.Revision != revision || aws.ToString(td.Family) != family {
		return fmt.Errorf("DescribeTaskDefinition %s: answer is for another definition", ref)
	}
	return nil
}

// capturingClient records the body of the last response it passes on.
type capturingClient struct {
	inner ecs.HTTPClient
	body  []byte
}

func (c *capturingClient) Do(r *http.Request) (*http.Response, error) {
	resp, err := c.inner.Do(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	c.body = body
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}
