package ini

import (
	"hash/maphash"
	"unicode"
	"unicode/utf8"
)

// isBlank reports whether c is a blank: ASCII white space other than the
// line feed that ends a line. Modelling choice: blanks are space, tab, CR,
// VT and FF, as in the Wine reimplementation of the profile functions; a CR
// that is not part of a CRLF line ending is therefore trimmed like a space.
func isBlank(c byte) bool { return blanks[c] }

// blanks marks the bytes isBlank reports; it is never modified.
var blanks = [256]bool{' ': true, '\t': true, '\v': true, '\f': true, '\r': true}

// trim returns the span [i, j) of text with blanks removed from both ends.
func trim(text string, i, j int) (int, int) {
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
func equalFold(a, b string) bool {
	if a == "" || b == "" {
		return a == b
	}
	// Names that differ mostly differ at the end ("Setting01", "Setting02"):
	// two ASCII letters that end them fold alike only if they are the same
	// letter (an ASCII byte is a whole rune, and no two ASCII letters fold
	// together).
	if ea, eb := a[len(a)-1], b[len(b)-1]; ea < utf8.RuneSelf && eb < utf8.RuneSelf && lowerASCII(ea) != lowerASCII(eb) {
		return false
	}
	if a == b {
		return true // the usual case, a name written as before: no folding needed
	}
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
		ra, na := utf8.DecodeRuneInString(a[i:])
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

// appendFold appends to b a form of s that is equal for two names exactly
// when [equalFold] reports them equal.
func appendFold(b []byte, s string) []byte {
	// ASCII, most names, is copied at once and lowered in place; the rest,
	// from the first byte that is not ASCII on, rune by rune.
	start := len(b)
	b = append(b, s...)
	i := 0
	for ; i < len(s); i++ {
		c := b[start+i]
		if c >= utf8.RuneSelf {
			break
		}
		if 'A' <= c && c <= 'Z' {
			b[start+i] = c + 'a' - 'A'
		}
	}
	if i == len(s) {
		return b
	}
	b = b[:start+i]
	for i < len(s) {
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
	return b
}

// foldKey returns appendFold of s as a string, to key maps of names.
func foldKey(s string) string { return string(appendFold(nil, s)) }

// slot is an entry of a nameSet: the name of line index line-1 (line 0
// marks an empty slot) within a scope.
type slot struct {
	h     uint32
	scope int32
	line  int32
}

// nameSet finds the first line of a name within a scope (a section, or -1
// for the section names themselves), comparing names as [equalFold] does.
// A set of up to len(few) names compares them one by one; a larger one
// keeps them in a hash table, in constant expected time. Its hash is seeded
// afresh for every set, so a hostile file cannot make its names collide.
// Make one with newNameSet.
type nameSet struct {
	f     *File
	seed  maphash.Seed
	slots []slot // the hash table, once there are more names than few holds
	buf   []slot // zeroed room for the table
	hint  int    // how many names to make room for in the table
	n     int
	few   [16]struct{ scope, line int32 }
}

// newNameSet returns an empty set of the names of f's lines, with room in
// its hash table, if it needs one, for about hint names. buf, zeroed, is
// the table when it is large enough.
func newNameSet(f *File, hint int, buf []slot) nameSet {
	return nameSet{f: f, hint: hint, buf: buf}
}

// hash returns the hash of name within scope.
func (s *nameSet) hash(scope int32, name string) uint32 {
	var buf [64]byte
	h := maphash.Bytes(s.seed, appendFold(buf[:0], name))
	h += uint64(uint32(scope)) * 0x9E3779B97F4A7C15
	return uint32(h ^ h>>32)
}

// add records name, the name of line index k, within scope and returns the
// index of the first line that recorded an equal name in that scope: k
// when the name is new.
func (s *nameSet) add(scope int32, k int, name string) int {
	if s.slots == nil {
		if s.hint <= len(s.few) || s.n > 0 {
			if first := s.findFew(scope, name); first >= 0 {
				return first
			}
			if s.n < len(s.few) {
				s.few[s.n] = struct{ scope, line int32 }{scope, int32(k)}
				s.n++
				return k
			}
		}
		s.table()
	}
	h := s.hash(scope, name)
	if first := s.findHash(scope, name, h); first >= 0 {
		return first
	}
	s.insert(scope, k, h)
	return k
}

// table makes the hash table, of room for hint names (from s.buf when it
// is large enough), and moves the names compared one by one into it.
func (s *nameSet) table() {
	size := 32
	for size < 2*s.hint {
		size *= 2
	}
	if size <= len(s.buf) {
		s.slots = s.buf[:size]
	} else {
		s.slots = make([]slot, size)
	}
	s.seed = maphash.MakeSeed()
	few := s.few[:s.n]
	s.n = 0
	for _, e := range few {
		s.insert(e.scope, int(e.line), s.hash(e.scope, s.f.nameOf(int(e.line))))
	}
}

// find returns the index of the first line that recorded a name equal to
// name in scope, or -1.
func (s *nameSet) find(scope int32, name string) int {
	if s.slots == nil {
		return s.findFew(scope, name)
	}
	return s.findHash(scope, name, s.hash(scope, name))
}

// findFew looks for name among the names compared one by one.
func (s *nameSet) findFew(scope int32, name string) int {
	for _, e := range s.few[:s.n] {
		if e.scope == scope && equalFold(s.f.nameOf(int(e.line)), name) {
			return int(e.line)
		}
	}
	return -1
}

// findHash looks for name, whose hash is h, in the hash table.
func (s *nameSet) findHash(scope int32, name string, h uint32) int {
	mask := len(s.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		sl := &s.slots[i]
		if sl.line == 0 {
			return -1
		}
		if sl.h == h && sl.scope == scope && equalFold(s.f.nameOf(int(sl.line)-1), name) {
			return int(sl.line) - 1
		}
	}
}

// insert puts the name of line k, new in scope, into the hash table.
func (s *nameSet) insert(scope int32, k int, h uint32) {
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	mask := len(s.slots) - 1
	i := int(h) & mask
	for s.slots[i].line != 0 {
		i = (i + 1) & mask
	}
	s.slots[i] = slot{h: h, scope: scope, line: int32(k) + 1}
	s.n++
}

// grow doubles the slots.
func (s *nameSet) grow() {
	old := s.slots
	s.slots = make([]slot, 2*len(old))
	mask := len(s.slots) - 1
	for _, sl := range old {
		if sl.line == 0 {
			continue
		}
		i := int(sl.h) & mask
		for s.slots[i].line != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = sl
	}
}
