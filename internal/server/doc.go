// Package server assembles a berth control-plane process: the data store
// (embedded etcd or an external cluster), the API services and the HTTP
// listener. cmd/berth turns flags into a Config; Start does the rest.
//
// Start-up order, and why:
//  1. Bind the listener, so a busy port fails at once. Until the server is
//     ready, GET /healthz answers 503 and API calls answer ServerException.
//  2. Open the store (wait for embedded etcd to elect itself).
//  3. Make sure the "default" cluster exists.
//  4. Mark ready: /healthz answers 200.
package server
