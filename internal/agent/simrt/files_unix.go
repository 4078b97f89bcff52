//go:build unix

package simrt

import (
	"fmt"
	"syscall"
)

// ensureOpenFiles makes sure this process may open need files, raising
// its soft limit towards the hard one if it must. (Go already raises it
// to the hard limit at start on most systems; a parent may have lowered
// it again.)
func ensureOpenFiles(need uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("read the open-files limit: %w", err)
	}
	if lim.Cur >= need {
		return nil
	}
	raised := lim
	raised.Cur = min(need, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err == nil {
		lim = raised
	}
	if lim.Cur < need {
		return fmt.Errorf("%w: need %d, may open %d (hard limit %d; raise it with ulimit -Hn or LimitNOFILE)",
			errOpenFiles, need, lim.Cur, lim.Max)
	}
	return nil
}
