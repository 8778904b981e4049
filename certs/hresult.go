package certs

import "strconv"

// HRESULT is a Windows status code.
type HRESULT uint32

// EAccessDenied is E_ACCESSDENIED, the HRESULT of Win32 ERROR_ACCESS_DENIED
// (5) in FACILITY_WIN32. The product page prints it as "0x8007005", a typo
// for 0x80070005, which this package uses.
const EAccessDenied HRESULT = 0x80070005

// String returns h as "0x" and eight upper-case hexadecimal digits, the way
// Windows logs print it, such as "0x80070005".
func (h HRESULT) String() string {
	var buf [10]byte
	b := append(buf[:0], "0x"...)
	s := strconv.FormatUint(uint64(h), 16)
	for i := len(s); i < 8; i++ {
		b = append(b, '0')
	}
	for _, c := range []byte(s) {
		if 'a' <= c && c <= 'f' {
			c -= 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}

// Failed reports whether h is a failure code (its severity bit is set).
func (h HRESULT) Failed() bool { return h&0x80000000 != 0 }

// Facility returns the facility field of h (7 is FACILITY_WIN32).
func (h HRESULT) Facility() uint16 { return uint16(h>>16) & 0x1FFF }

// Code returns the code field of h (for a FACILITY_WIN32 code, the Win32
// error number).
func (h HRESULT) Code() uint16 { return uint16(h) }
