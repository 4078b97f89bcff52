package agentapi

import (
	"errors"
	"net/http"

	"github.com/berth-org/berth/internal/agentproto"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// handleRegister registers (or re-registers) the agent's instance and
// issues it a fresh token. A first registration must be SigV4-signed with
// the server's credentials; a re-registration may use the instance's
// current token instead, so a running agent never needs the server's keys
// again.
func (a *API) handleRegister(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	in, err := decodeBody[agentproto.RegisterRequest](body)
	if err == nil {
		err = a.authorizeRegister(r, body, in)
	}
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	out, err := a.ecs.RegisterContainerInstance(r.Context(), &wire.RegisterContainerInstanceRequest{
		Cluster:              &in.Cluster,
		ContainerInstanceArn: optional(in.ContainerInstanceARN),
		TotalResources:       in.TotalResources,
		Attributes:           in.Attributes,
		VersionInfo:          &in.VersionInfo,
	})
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	instARN := *out.ContainerInstance.ContainerInstanceArn
	cluster, id, _ := a.splitInstanceARN(instARN)
	token := newToken()
	_, err = a.store.Update(r.Context(), func(tx *store.Tx) error {
		inst, err := tx.GetInstance(cluster, id)
		if err != nil {
			return err
		}
		inst.AgentTokenHash = tokenHash(token)
		return tx.PutInstance(inst)
	})
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.log.Info("agent registered", "cluster", cluster, "instance", id)
	writeJSON(w, http.StatusOK, agentproto.RegisterResponse{ContainerInstanceARN: instARN, Token: token,
		HeartbeatIntervalMillis: agentproto.HeartbeatInterval(a.timeout).Milliseconds()})
}

// authorizeRegister accepts the server's SigV4 credentials, or the token
// of the very instance being re-registered.
func (a *API) authorizeRegister(r *http.Request, body []byte, in *agentproto.RegisterRequest) error {
	if _, ok := bearer(r); ok {
		if r.Header.Get(agentproto.HeaderInstance) != in.ContainerInstanceARN {
			return errUnauthorized
		}
		_, err := a.authenticate(r)
		return err
	}
	if _, err := a.verifier.Verify(r, body); err != nil {
		return &protoError{http.StatusUnauthorized, agentproto.CodeUnauthorized, err.Error()}
	}
	if in.ContainerInstanceARN == "" {
		return nil
	}
	// Re-registration with the server's keys: an agent whose token file was
	// lost. An inactive instance stays inactive (RegisterContainerInstance
	// says so).
	cluster, id, ok := a.splitInstanceARN(in.ContainerInstanceARN)
	if !ok {
		return badRequest("containerInstanceArn is not a container instance ARN of this server.")
	}
	if _, err := a.store.GetInstance(r.Context(), cluster, id); errors.Is(err, store.ErrNotFound) {
		return &protoError{http.StatusNotFound, agentproto.CodeNotFound, "Container instance " + id + " does not exist."}
	} else if err != nil {
		return err
	}
	return nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
