package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// A Writer is a buffered writer that keeps the first error: once a write
// or a flush has failed, every Write fails at once with that error. A
// command writes its output to it without checking each write, and checks
// [Writer.Err] once it has flushed.
type Writer struct {
	w   *bufio.Writer
	err error
}

// NewWriter returns a Writer that writes to w through a buffer of size
// bytes (bufio's default size when size is not positive).
func NewWriter(w io.Writer, size int) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, size)}
}

// Write writes p to the buffer, or returns the error kept.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.w.Write(p)
	w.err = err
	return n, err
}

// Flush writes what the buffer holds, keeping the error if none was kept
// yet, and returns the error kept.
func (w *Writer) Flush() error {
	if err := w.w.Flush(); err != nil && w.err == nil {
		w.err = err
	}
	return w.err
}

// Fail keeps err as the Writer's error, unless it has one already: for an
// error in making the output, such as a value that cannot be encoded.
func (w *Writer) Fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// Err returns the first error kept, or nil.
func (w *Writer) Err() error { return w.err }

// JSON returns the JSON of v, indented by two spaces, every line after
// the first prefixed with prefix; or, when v cannot be encoded, null,
// keeping the error as the Writer's.
func (w *Writer) JSON(v any, prefix string) []byte {
	data, err := json.MarshalIndent(v, prefix, "  ")
	if err != nil {
		w.Fail(fmt.Errorf("writing JSON: %w", err))
		return []byte("null")
	}
	return data
}

// EndJSON ends a command's JSON output, one object: it writes the member
// "report", report, and the member "error", err's message, when err is
// not nil, and closes the object.
func (w *Writer) EndJSON(report any, err error) {
	fmt.Fprintf(w, "\n  \"report\": %s", w.JSON(report, "  "))
	if err != nil {
		fmt.Fprintf(w, ",\n  \"error\": %s", w.JSON(err.Error(), ""))
	}
	io.WriteString(w, "\n}\n")
}

// A JSONList writes a list, a member of a command's JSON output, one
// item at a time, so that the output is streamed however long the list.
type JSONList struct {
	w *Writer
	n int
}

// NewJSONList starts the member name of the JSON object that w is
// writing, a list, and returns it for its items.
func NewJSONList(w *Writer, name string) *JSONList {
	fmt.Fprintf(w, "\n  %s: [", w.JSON(name, ""))
	return &JSONList{w: w}
}

// Add writes v as the list's next item.
func (l *JSONList) Add(v any) {
	if l.n > 0 {
		io.WriteString(l.w, ",")
	}
	l.n++
	fmt.Fprintf(l.w, "\n    %s", l.w.JSON(v, "    "))
}

// Close ends the list, and the member, with a comma: a member follows
// ([Writer.EndJSON]).
func (l *JSONList) Close() {
	if l.n > 0 {
		io.WriteString(l.w, "\n  ")
	}
	io.WriteString(l.w, "],")
}
