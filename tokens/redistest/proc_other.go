//go:build !linux

package redistest

import "syscall"

// sysProcAttr has no parent-death signal outside Linux; t.Cleanup alone
// stops the server.
func sysProcAttr() *syscall.SysProcAttr { return nil }
