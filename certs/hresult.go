package certs

import "github.com/mobiledm/dmclient/internal/quote"

// HRESULT is a Windows status code. Its text form, in String, MarshalText
// and so in JSON, is "0x" and eight upper-case hexadecimal digits, such as
// "0x80070005", the way Windows logs print it.
type HRESULT uint32

// EAccessDenied is E_ACCESSDENIED, the HRESULT of Win32 ERROR_ACCESS_DENIED
// (5) in FACILITY_WIN32 (7): 0x80070005, the code of every trust-step
// failure ([ErrAccessDenied]). The product page prints it as "0x8007005", a
// typo for 0x80070005.
const EAccessDenied HRESULT = 0x80070005

// String returns h as "0x" and eight upper-case hexadecimal digits, such as
// "0x80070005".
func (h HRESULT) String() string {
	var buf [len("0x80070005")]byte
	return string(h.appendHex(buf[:0]))
}

const hexDigits = "0123456789ABCDEF"

func (h HRESULT) appendHex(b []byte) []byte {
	b = append(b, '0', 'x')
	for shift := 28; shift >= 0; shift -= 4 {
		b = append(b, hexDigits[h>>uint(shift)&0xF])
	}
	return b
}

// MarshalText implements encoding.TextMarshaler with the [HRESULT.String]
// form, such as "0x80070005". Every HRESULT marshals.
func (h HRESULT) MarshalText() ([]byte, error) {
	return h.appendHex(make([]byte, 0, len("0x80070005"))), nil
}

// UnmarshalText implements encoding.TextUnmarshaler. It accepts "0x" (or
// "0X") and exactly eight hexadecimal digits in either case, so that it
// reads back what [HRESULT.MarshalText] writes and rejects the product
// page's seven-digit "0x8007005". Anything else is an error wrapping
// [ErrInvalidInput], and h is left unchanged.
func (h *HRESULT) UnmarshalText(text []byte) error {
	s := string(text)
	if len(s) != len("0x80070005") || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') {
		return hresultError(s)
	}
	var v uint32
	for _, c := range []byte(s[2:]) {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return hresultError(s)
		}
		v = v<<4 | uint32(d)
	}
	*h = HRESULT(v)
	return nil
}

func hresultError(s string) error {
	return &inputError{msg: "certs: invalid HRESULT " + quote.Short(s) + ` (want "0x" and eight hexadecimal digits, such as "0x80070005")`}
}
