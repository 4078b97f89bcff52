package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/berth-org/berth/internal/awsjson"
	"github.com/berth-org/berth/internal/server"
)

// Development credentials written to DATA_DIR/env. 'berth dev' accepts any
// well-signed key, so these are only a convenience, not a secret.
const (
	devAccessKeyID     = "AKIDBERTHDEV"
	devSecretAccessKey = "berth-dev-secret"
)

func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("berth dev", flag.ContinueOnError)
	fset.SetOutput(stderr)
	var common commonFlags
	common.register(fset)
	agents := fset.Int("agents", 1, "local agents to run in this process, each its own container instance in its own availability zone, sharing the local Docker Engine")
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
	cfg.Auth = awsjson.AuthAnyKey
	cfg.Log.Warn("berth dev accepts any well-signed request whatever its key (--auth any-key): for a trusted machine only")
	return serve(ctx, cfg, func(srv *server.Server) error {
		env := devEnv(srv.URL(), cfg.Region)
		path := filepath.Join(cfg.DataDir, "env")
		if err := writeFileAtomic(path, []byte(env)); err != nil {
			return err
		}
		errc, err := devAgents(ctx, *agents, srv.URL(), cfg.Region, cfg.DataDir, cfg.Log)
		if err != nil {
			return err
		}
		go func() {
			for range *agents {
				if err := <-errc; err != nil {
					cfg.Log.Error("agent stopped", "err", err)
				}
			}
		}()
		fmt.Fprintf(stdout, "berth is running at %s with %d local agent(s). In another shell:\n\n  source %s\n  aws ecs list-container-instances\n\nor export these:\n\n%s\n", srv.URL(), *agents, path, env)
		return nil
	})
}

// devEnv is the shell lines that point the AWS CLI and SDKs at berth.
func devEnv(url, region string) string {
	return fmt.Sprintf("export AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\nexport AWS_REGION=%s\nexport AWS_DEFAULT_REGION=%s\nexport AWS_ENDPOINT_URL=%s\n",
		devAccessKeyID, devSecretAccessKey, region, region, url)
}

// writeFileAtomic writes data to path through a temporary file and a
// rename, so a script that sources path never reads half a file.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	return nil
}
