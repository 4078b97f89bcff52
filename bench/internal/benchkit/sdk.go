package benchkit

import (
	"net/http"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/berth-org/berth/internal/sdkhttp"
)

// Key is the access key a benchmark's server accepts (in strict mode, the
// only one) and its clients sign with.
type Key struct{ ID, Secret string }

// WriteCredentials writes k as a berth credentials file ("ACCESS_KEY_ID
// SECRET") in dir and returns its path; agents read it too, for their
// first registration.
func (k Key) WriteCredentials(dir string) (string, error) {
	path := filepath.Join(dir, "credentials")
	return path, os.WriteFile(path, []byte(k.ID+" "+k.Secret+"\n"), 0o600)
}

// NewECSClient is an SDK client of its own, signing with k, without
// retries (one call is one request). hc nil means the SDK's default
// transport behind sdkhttp.Transport, as the end-to-end tests use it.
func NewECSClient(endpoint, region string, k Key, hc ecs.HTTPClient) *ecs.Client {
	if hc == nil {
		hc = &http.Client{Transport: sdkhttp.Transport{Base: awshttp.NewBuildableClient().GetTransport()}}
	}
	return ecs.New(ecs.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(k.ID, k.Secret, ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   hc,
	})
}
