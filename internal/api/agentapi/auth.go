package agentapi

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"github.com/berth-org/berth/internal/agentproto"
	"github.com/berth-org/berth/internal/arn"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
)

// tokenBytes is the agent token's entropy: 256 bits, unguessable.
const tokenBytes = 32

func newToken() string {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

var errUnauthorized = &protoError{http.StatusUnauthorized, agentproto.CodeUnauthorized, "The agent token is missing or does not match the container instance."}

// bearer is the token in an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) (string, bool) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return token, ok && token != ""
}

// splitInstanceARN returns the cluster and id an instance ARN names.
func (a *API) splitInstanceARN(ref string) (cluster, id string, ok bool) {
	parsed, err := arn.Parse(ref)
	if err != nil || !a.arns.Owns(parsed) || parsed.Type() != "container-instance" {
		return "", "", false
	}
	cluster, id, ok = strings.Cut(parsed.Path(), "/")
	return cluster, id, ok && cluster != "" && id != ""
}

// authenticate returns the instance whose token the request carries: its
// ID, Cluster and Status, not the rest of its record, which a handler that
// needs it reads in its own transaction. An instance that was
// deregistered answers CodeInactive, so its agent stops.
func (a *API) authenticate(r *http.Request) (*ecs.ContainerInstance, error) {
	token, ok := bearer(r)
	if !ok {
		return nil, errUnauthorized
	}
	cluster, id, ok := a.splitInstanceARN(r.Header.Get(agentproto.HeaderInstance))
	if !ok {
		return nil, errUnauthorized
	}
	inst, err := a.store.GetInstanceIdentity(r.Context(), cluster, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errUnauthorized
	}
	if err != nil {
		return nil, err
	}
	want := inst.AgentTokenHash
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(tokenHash(token))) != 1 {
		return nil, errUnauthorized
	}
	if inst.Status == ecs.InstanceInactive {
		return nil, &protoError{http.StatusGone, agentproto.CodeInactive, "Container instance " + inst.ID + " is inactive."}
	}
	return &ecs.ContainerInstance{ID: inst.ID, Cluster: inst.Cluster, Status: inst.Status}, nil
}
