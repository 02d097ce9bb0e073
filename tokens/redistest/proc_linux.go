package redistest

import "syscall"

// sysProcAttr asks Linux to kill redis-server when the test binary dies
// without running its cleanups (a panic or a go test -timeout). The signal
// is tied to the OS thread that started the child; the Go runtime rarely
// retires threads, so this is a safety net, not a guarantee.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
