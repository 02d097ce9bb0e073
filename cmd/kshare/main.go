// Command kshare shares one Kibana dashboard or visualization with people
// outside Kibana through a link. See README.md for a quick start.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes: 1 for a failed operation, 2 for bad usage or configuration.
const (
	exitFailed = 1
	exitUsage  = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// First signal cancels ctx (graceful drain); a second one forces exit.
		<-ctx.Done()
		stop()
	}()
	err := newRoot(os.Stdout, os.Stderr).ExecuteContext(ctx)
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "kshare:", err)
	var ue usageError
	if errors.As(err, &ue) {
		os.Exit(exitUsage)
	}
	os.Exit(exitFailed)
}

// usageError marks errors caused by the command line or the configuration.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }
