package ini

import (
	"unicode"
	"unicode/utf8"
)

// isBlank reports whether c is a blank: ASCII white space other than the
// line feed that ends a line. Modelling choice: blanks are space, tab, CR,
// VT and FF, as in the Wine reimplementation of the profile functions; a CR
// that is not part of a CRLF line ending is therefore trimmed like a space.
func isBlank(c byte) bool {
	return c == ' ' || '\t' <= c && c <= '\r' && c != '\n'
}

// trim returns the span [i, j) of text with blanks removed from both ends.
func trim(text []byte, i, j int) (int, int) {
	for i < j && isBlank(text[i]) {
		i++
	}
	for j > i && isBlank(text[j-1]) {
		j--
	}
	return i, j
}

// hasOuterBlank reports whether s starts or ends with a blank.
func hasOuterBlank(s string) bool {
	return s != "" && (isBlank(s[0]) || isBlank(s[len(s)-1]))
}

// foldRune returns the representative of r's simple case-folding orbit: the
// smallest rune that folds to the same letter, so that two runes are equal
// under case folding exactly when their representatives are equal.
func foldRune(r rune) rune {
	min := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < min {
			min = f
		}
	}
	return min
}

// equalFold reports whether the names a and b are equal the way Windows
// compares section and key names: ignoring case. Modelling choice: case is
// ignored by Unicode simple case folding (Windows uses its own locale-neutral
// table); bytes that are not valid UTF-8 (ANSI files) must match exactly,
// apart from ASCII letters.
func equalFold[S ~string | ~[]byte](a S, b string) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ca, cb := a[i], b[j]
		if ca < utf8.RuneSelf && cb < utf8.RuneSelf {
			if ca != cb && lowerASCII(ca) != lowerASCII(cb) {
				return false
			}
			i++
			j++
			continue
		}
		var buf [utf8.UTFMax]byte
		ra, na := utf8.DecodeRune(buf[:copy(buf[:], a[i:])])
		rb, nb := utf8.DecodeRuneInString(b[j:])
		if (ra == utf8.RuneError && na == 1) || (rb == utf8.RuneError && nb == 1) {
			if na != nb || ca != cb {
				return false
			}
		} else if ra != rb && foldRune(ra) != foldRune(rb) {
			return false
		}
		i += na
		j += nb
	}
	return i == len(a) && j == len(b)
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// foldKey returns a string that is equal for two names exactly when
// [equalFold] reports them equal; it keys maps of names.
func foldKey(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			b = append(b, lowerASCII(c))
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, c)
		} else {
			f := foldRune(r)
			if f < utf8.RuneSelf {
				f = rune(lowerASCII(byte(f)))
			}
			b = utf8.AppendRune(b, f)
		}
		i += n
	}
	return string(b)
}
