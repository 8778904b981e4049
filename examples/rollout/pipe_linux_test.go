package main

import (
	"os"
	"syscall"
	"unsafe"
)

// pipeFull reports whether the pipe f reads from is full, so that its
// writer is blocked: it holds at least its capacity less a page.
func pipeFull(f *os.File) bool {
	const fionread, getPipeSize = 0x541B, 1032 // FIONREAD, F_GETPIPE_SZ
	conn, err := f.SyscallConn()
	if err != nil {
		return false
	}
	full := false
	conn.Control(func(fd uintptr) {
		var n int32
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, fionread, uintptr(unsafe.Pointer(&n))); e != 0 {
			return
		}
		size, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, getPipeSize, 0)
		full = e == 0 && int(n) >= int(size)-4096
	})
	return full
}
