package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/berth-org/berth/internal/agentproto"
	"github.com/berth-org/berth/internal/awsjson"
	"github.com/berth-org/berth/internal/controller"
	"github.com/berth-org/berth/internal/server"
)

// Defaults a newcomer never has to type.
const (
	defaultListen  = "127.0.0.1:4040"
	defaultRegion  = "us-east-1"
	defaultAccount = "000000000000"
)

// commonFlags are the flags shared by 'berth server' and 'berth dev'.
type commonFlags struct {
	listen, dataDir, region, account, logLevel string
	debugListen                                string
	heartbeatTimeout, taskRetention            time.Duration
	controllers                                bool
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.listen, "listen", defaultListen, "API listen address")
	fs.StringVar(&c.dataDir, "data-dir", defaultDataDir(), "data directory (embedded etcd, generated credentials)")
	fs.StringVar(&c.region, "region", defaultRegion, "region in resource ARNs")
	fs.StringVar(&c.account, "account-id", defaultAccount, "12-digit account id in resource ARNs")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.DurationVar(&c.heartbeatTimeout, "agent-heartbeat-timeout", agentproto.DefaultHeartbeatTimeout, "how long an agent may miss heartbeats before its instance shows agentConnected false")
	fs.DurationVar(&c.taskRetention, "task-retention", controller.DefaultTaskRetention, "how long stopped tasks stay describable before they are purged")
	fs.BoolVar(&c.controllers, "controllers", true, "run the controllers (service scheduler, stopped-task purge) when this server is elected leader; false serves the API and agents only")
	fs.StringVar(&c.debugListen, "debug-listen", "", "serve Go profiles (/debug/pprof/) on this address, unauthenticated: use a loopback address (default: off)")
}

func (c *commonFlags) config(stderr io.Writer) (server.Config, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return server.Config{}, fmt.Errorf("--log-level: %w", err)
	}
	if len(c.account) != 12 || strings.Trim(c.account, "0123456789") != "" {
		return server.Config{}, fmt.Errorf("--account-id must be 12 digits, got %q", c.account)
	}
	if c.region == "" {
		return server.Config{}, errors.New("--region must not be empty")
	}
	// etcd leases count whole seconds; below 2 s an agent's session could
	// lapse between two heartbeats on a busy machine.
	if c.heartbeatTimeout < 2*time.Second {
		return server.Config{}, fmt.Errorf("--agent-heartbeat-timeout must be at least 2s, got %s", c.heartbeatTimeout)
	}
	return server.Config{
		Listen:    c.listen,
		DataDir:   c.dataDir,
		Region:    c.region,
		AccountID: c.account,
		Log:       slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),

		AgentHeartbeatTimeout: c.heartbeatTimeout,
		TaskRetention:         c.taskRetention,
		NoControllers:         !c.controllers,
	}, nil
}

// defaultDataDir is $XDG_DATA_HOME/berth, or ~/.local/share/berth.
func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "berth")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "berth")
	}
	return "berth-data"
}

func runServer(ctx context.Context, args []string, stderr io.Writer) error {
	fset := flag.NewFlagSet("berth server", flag.ContinueOnError)
	fset.SetOutput(stderr)
	var common commonFlags
	common.register(fset)
	etcd := fset.String("etcd-endpoints", "", "comma-separated URLs of an external etcd cluster (default: embedded etcd in --data-dir)")
	credFile := fset.String("credentials", "", "file of access keys accepted in strict mode (default: DATA_DIR/credentials, generated on first start)")
	auth := fset.String("auth", string(awsjson.AuthStrict), "request authentication: strict (known keys only) or any-key (any well-signed request; local use only)")
	if err := fset.Parse(args); err != nil {
		return err
	}
	cfg, err := common.config(stderr)
	if err != nil {
		return err
	}
	if common.debugListen != "" {
		if err := serveDebug(ctx, common.debugListen, cfg.Log); err != nil {
			return err
		}
	}
	if *etcd != "" {
		cfg.EtcdEndpoints = strings.Split(*etcd, ",")
	}
	if cfg.Auth, err = parseAuth(*auth); err != nil {
		return err
	}
	if cfg.Auth == awsjson.AuthStrict {
		if cfg.Credentials, err = loadOrCreateCredentials(*credFile, cfg.DataDir, cfg.Log); err != nil {
			return err
		}
	} else {
		cfg.Log.Warn("--auth any-key accepts every well-signed request whatever its key: use it on a trusted machine only")
	}
	return serve(ctx, cfg, nil)
}

func parseAuth(s string) (awsjson.AuthMode, error) {
	switch m := awsjson.AuthMode(s); m {
	case awsjson.AuthStrict, awsjson.AuthAnyKey:
		return m, nil
	default:
		return "", fmt.Errorf("--auth must be strict or any-key, got %q", s)
	}
}

// loadOrCreateCredentials reads the accepted keys from path. With no path,
// it uses DATA_DIR/credentials, creating it with one random key on first
// start so that a strict server is never open by accident.
func loadOrCreateCredentials(path, dataDir string, log *slog.Logger) (awsjson.StaticCredentials, error) {
	if path != "" {
		return awsjson.LoadCredentialsFile(path)
	}
	path = filepath.Join(dataDir, "credentials")
	creds, err := awsjson.LoadCredentialsFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return creds, err
	}
	id, secret := "AKIA"+strings.ToUpper(randomHex(8)), randomHex(20)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	content := "# Access keys this berth server accepts: ACCESS_KEY_ID SECRET_ACCESS_KEY, one per line.\n" + id + " " + secret + "\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	log.Info("generated an access key; clients sign with it", "file", path, "access_key_id", id)
	return awsjson.StaticCredentials{id: secret}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b)
}

// serve runs the server until ctx ends or the store fails. ready, if set,
// runs once the server answers.
func serve(ctx context.Context, cfg server.Config, ready func(*server.Server) error) error {
	srv, err := server.Start(ctx, cfg)
	if err != nil {
		return err
	}
	if ready != nil {
		if err := ready(srv); err != nil {
			return errors.Join(err, srv.Close())
		}
	}
	select {
	case <-ctx.Done():
		cfg.Log.Info("shutting down")
	case err = <-srv.Err():
		cfg.Log.Error("store failed", "err", err)
	case <-srv.Done():
		err = errors.New("listener stopped")
	}
	return errors.Join(err, srv.Close())
}
