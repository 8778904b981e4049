package diagram_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mobiledm/dmclient/lifecycle/diagram"
)

// The real renderers: Graphviz (dot) and the Mermaid CLI (mmdc). Each test
// here skips when its renderer is missing, unless
// DMCLIENT_REQUIRE_RENDERERS=1 (as in CI), which makes it fail instead.
// They skip under the race detector: they test what the renderers draw,
// not this package's concurrency, and the plain run covers them.

// renderer returns the path of the program named by the environment
// variable env, or of name on PATH.
func renderer(t *testing.T, name, env string) string {
	t.Helper()
	if raceEnabled && !*update {
		t.Skip("the renderers are checked without the race detector")
	}
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s=%s: %v", env, p, err)
		}
		return p
	}
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	msg := fmt.Sprintf("%s not found (set %s or put it on PATH; .ci/run installs it)", name, env)
	if os.Getenv("DMCLIENT_REQUIRE_RENDERERS") == "1" {
		t.Fatalf("%s, and DMCLIENT_REQUIRE_RENDERERS=1 requires it", msg)
	}
	t.Skip(msg)
	return ""
}

// run runs prog with stdin and returns its standard output; anything on
// standard error (a warning) or a failure is an error.
func run(prog string, stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.Command(prog, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err == nil && errOut.Len() > 0 {
		err = fmt.Errorf("warnings")
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v\n%s%s", filepath.Base(prog), strings.Join(args, " "), err, out.Bytes(), errOut.Bytes())
	}
	return out.Bytes(), nil
}

// goldenFiles returns the golden files of format f.
func goldenFiles(t *testing.T, f diagram.Format) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*"+extension(f)))
	if err != nil || len(files) == 0 {
		t.Fatalf("no %s files in testdata: %v", extension(f), err)
	}
	return files
}

// labelLines returns every line a diagram's labels must show once drawn.
func labelLines(t *testing.T, f diagram.Format, src []byte) []string {
	t.Helper()
	p := parseDiagram(t, f, src)
	lines := slices.Clone(p.Nodes)
	for _, tr := range p.Trans {
		l := slices.Clone(tr.Lines)
		if tr.Loop {
			l[0] = "⟲ " + l[0]
		}
		lines = append(lines, l...)
	}
	return lines
}

// box is a rectangle of a drawing: x0 < x1, y0 < y1.
type box struct {
	owner          string // what drew it: a node or an edge
	what           string // the text, or "node"
	x0, y0, x1, y1 float64
}

// overlap reports whether a and b share more than a sliver: renderers
// place neighbours a pixel apart.
func overlap(a, b box) bool {
	const slack = 1.5
	return math.Min(a.x1, b.x1)-math.Max(a.x0, b.x0) > slack && math.Min(a.y1, b.y1)-math.Max(a.y0, b.y0) > slack
}

// overlaps returns the pairs of boxes of different owners that overlap.
func overlaps(boxes []box) []string {
	var bad []string
	for i, a := range boxes {
		for _, b := range boxes[i+1:] {
			if a.owner != b.owner && overlap(a, b) {
				bad = append(bad, fmt.Sprintf("%s %q overlaps %s %q", a.owner, a.what, b.owner, b.what))
			}
		}
	}
	return bad
}

// xdot is what dot -Tjson says of a drawing: every object and edge with
// its drawing operations.
type xdot struct {
	Objects []xdotItem `json:"objects"`
	Edges   []xdotItem `json:"edges"`
}

type xdotItem struct {
	Name  string   `json:"name"`
	Tail  int      `json:"tail"`
	Head  int      `json:"head"`
	Draw  []xdotOp `json:"_draw_"`
	LDraw []xdotOp `json:"_ldraw_"`
}

type xdotOp struct {
	Op     string      `json:"op"`
	Size   float64     `json:"size"`
	Pt     []float64   `json:"pt"`
	Align  string      `json:"align"`
	Width  float64     `json:"width"`
	Text   string      `json:"text"`
	Points [][]float64 `json:"points"`
	Rect   []float64   `json:"rect"`
}

// dotBoxes returns the boxes of a Graphviz drawing: each node's shape and
// each text line Graphviz drew, with the width it measured. It also
// returns sample points of every edge's curve.
func dotBoxes(t *testing.T, js []byte) (boxes []box, curves map[string][][2]float64) {
	t.Helper()
	var d xdot
	if err := json.Unmarshal(js, &d); err != nil {
		t.Fatal(err)
	}
	curves = map[string][][2]float64{}
	texts := func(owner string, ops []xdotOp) {
		size := 14.0
		for _, op := range ops {
			switch op.Op {
			case "F":
				size = op.Size
			case "T":
				x0 := op.Pt[0]
				switch op.Align {
				case "c":
					x0 -= op.Width / 2
				case "r":
					x0 -= op.Width
				}
				// The baseline is at Pt[1], y upwards: a line's ink is
				// about 0.75 of the size above it and 0.25 below.
				boxes = append(boxes, box{owner, op.Text, x0, op.Pt[1] - 0.25*size, x0 + op.Width, op.Pt[1] + 0.75*size})
			}
		}
	}
	for _, o := range d.Objects {
		owner := "node " + o.Name
		texts(owner, o.LDraw)
		for _, op := range o.Draw {
			if len(op.Rect) == 4 { // an ellipse: centre and radii
				boxes = append(boxes, box{owner, "node", op.Rect[0] - op.Rect[2], op.Rect[1] - op.Rect[3], op.Rect[0] + op.Rect[2], op.Rect[1] + op.Rect[3]})
			}
			if len(op.Points) > 0 {
				b := box{owner: owner, what: "node", x0: math.Inf(1), y0: math.Inf(1), x1: math.Inf(-1), y1: math.Inf(-1)}
				for _, p := range op.Points {
					b.x0, b.x1 = math.Min(b.x0, p[0]), math.Max(b.x1, p[0])
					b.y0, b.y1 = math.Min(b.y0, p[1]), math.Max(b.y1, p[1])
				}
				boxes = append(boxes, b)
			}
		}
	}
	for i, e := range d.Edges {
		owner := fmt.Sprintf("edge %d %s -> %s", i, d.Objects[e.Tail].Name, d.Objects[e.Head].Name)
		texts(owner, e.LDraw)
		for _, op := range e.Draw {
			if op.Op == "b" || op.Op == "B" {
				curves[owner] = append(curves[owner], bezier(op.Points)...)
			}
		}
	}
	return boxes, curves
}

// bezier returns points along a piecewise cubic Bézier curve.
func bezier(ps [][]float64) [][2]float64 {
	var out [][2]float64
	for i := 0; i+3 < len(ps); i += 3 {
		for s := 0; s <= 20; s++ {
			u := float64(s) / 20
			a, b, c, d := (1-u)*(1-u)*(1-u), 3*u*(1-u)*(1-u), 3*u*u*(1-u), u*u*u
			out = append(out, [2]float64{
				a*ps[i][0] + b*ps[i+1][0] + c*ps[i+2][0] + d*ps[i+3][0],
				a*ps[i][1] + b*ps[i+1][1] + c*ps[i+2][1] + d*ps[i+3][1],
			})
		}
	}
	return out
}

// checkDOTDrawing checks a Graphviz drawing: every label line drawn as it
// is, no text over another owner's text or node, and no edge through any
// text.
func checkDOTDrawing(t *testing.T, name string, js []byte, lines []string) {
	t.Helper()
	boxes, curves := dotBoxes(t, js)
	var texts []string
	var textBoxes []box
	for _, b := range boxes {
		if b.what != "node" {
			texts = append(texts, b.what)
			textBoxes = append(textBoxes, b)
		}
	}
	for _, l := range lines {
		if !slices.Contains(texts, l) {
			t.Errorf("%s: Graphviz drew no text %q", name, l)
		}
	}
	for _, o := range overlaps(boxes) {
		t.Errorf("%s: %s", name, o)
	}
	for owner, pts := range curves {
		for _, b := range textBoxes {
			for _, p := range pts {
				if p[0] > b.x0+1 && p[0] < b.x1-1 && p[1] > b.y0+1 && p[1] < b.y1-1 {
					t.Errorf("%s: %s crosses %s's text %q", name, owner, b.owner, b.what)
					break
				}
			}
		}
	}
}

// TestRenderDOT renders every DOT golden file with Graphviz: no warning,
// every label line drawn as it is (nothing wrapped or dropped), and no
// label over another label, another node or an edge.
func TestRenderDOT(t *testing.T) {
	dot := renderer(t, "dot", "DMCLIENT_DOT")
	for _, file := range goldenFiles(t, diagram.DOT) {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		js, err := run(dot, src, "-Tjson")
		if err != nil {
			t.Error(err)
			continue
		}
		checkDOTDrawing(t, file, js, labelLines(t, diagram.DOT, src))
	}
}

var (
	mmdItemRE  = regexp.MustCompile(`<g class="(edgeLabel|node [^"]*)"[^>]*? transform="translate\(([-\d.]+), ([-\d.]+)\)"`)
	mmdLabelRE = regexp.MustCompile(`^<g class="label"[^>]*? transform="translate\(([-\d.]+), ([-\d.]+)\)"><foreignObject width="([\d.]+)" height="([\d.]+)"`)
	tagRE      = regexp.MustCompile(`<[^>]*>`)
	mmdRectRE  = regexp.MustCompile(`^(?:<g>)?<rect [^>]*?x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" height="([\d.]+)"`)
)

// mermaidBoxes returns the boxes of a Mermaid drawing: each edge label's
// and each state's.
func mermaidBoxes(t *testing.T, svg []byte) []box {
	t.Helper()
	s := string(svg)
	num := func(v string) float64 {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	var boxes []box
	for i, m := range mmdItemRE.FindAllStringSubmatchIndex(s, -1) {
		class, x, y := s[m[2]:m[3]], num(s[m[4]:m[5]]), num(s[m[6]:m[7]])
		rest := s[m[1]+1:]
		owner := fmt.Sprintf("%s %d", strings.Fields(class)[0], i)
		if end := strings.Index(rest, "</foreignObject>"); end >= 0 {
			owner += " " + strconv.Quote(strings.Join(strings.Fields(tagRE.ReplaceAllString(rest[:end], " ")), " "))
		}
		if class == "edgeLabel" {
			l := mmdLabelRE.FindStringSubmatch(rest)
			if l == nil {
				t.Fatalf("edge label without a box: %.200s", rest)
			}
			dx, dy, w, h := num(l[1]), num(l[2]), num(l[3]), num(l[4])
			if w > 0 && h > 0 {
				boxes = append(boxes, box{owner, "edge label", x + dx, y + dy, x + dx + w, y + dy + h})
			}
			continue
		}
		if r := mmdRectRE.FindStringSubmatch(rest); r != nil {
			rx, ry, w, h := num(r[1]), num(r[2]), num(r[3]), num(r[4])
			boxes = append(boxes, box{owner, "state", x + rx, y + ry, x + rx + w, y + ry + h})
		}
	}
	return boxes
}

// svgTexts returns the text of an SVG document's elements, line by line:
// Mermaid writes a label's lines as text separated by <br>.
func svgTexts(t *testing.T, svg []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	dec.Strict = false
	dec.AutoClose = xml.HTMLAutoClose
	dec.Entity = xml.HTMLEntity
	var texts []string
	inStyle := false
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			inStyle = tok.Name.Local == "style"
		case xml.EndElement:
			inStyle = false
		case xml.CharData:
			if s := strings.Join(strings.Fields(string(tok)), " "); s != "" && !inStyle {
				texts = append(texts, s)
			}
		}
	}
	return texts
}

// TestRenderMermaid renders every Mermaid golden file with the Mermaid
// CLI, all in one run (a Markdown file of one block each, which costs one
// browser instead of one per diagram): every label line drawn as it is
// (Mermaid wrapped none, and a block Mermaid cannot read draws none), and
// no label over another label or a state. DMCLIENT_MMDC names mmdc, and
// DMCLIENT_PUPPETEER_CONFIG a puppeteer configuration file for it
// (.ci/run sets both).
func TestRenderMermaid(t *testing.T) {
	mmdc := renderer(t, "mmdc", "DMCLIENT_MMDC")
	dir := t.TempDir()
	files := goldenFiles(t, diagram.Mermaid)
	var md bytes.Buffer
	sources := make([][]byte, len(files))
	for i, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		sources[i] = src
		fmt.Fprintf(&md, "```mermaid\n%s```\n\n", src)
	}
	in := filepath.Join(dir, "all.md")
	if err := os.WriteFile(in, md.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-q", "-i", in, "-o", filepath.Join(dir, "out.md")}
	if cfg := os.Getenv("DMCLIENT_PUPPETEER_CONFIG"); cfg != "" {
		args = append(args, "-p", cfg)
	}
	if _, err := run(mmdc, nil, args...); err != nil {
		t.Fatal(err)
	}
	for i, file := range files {
		// mmdc names the drawing of the n-th block out-n.svg.
		svg, err := os.ReadFile(filepath.Join(dir, "out-"+strconv.Itoa(i+1)+".svg"))
		if err != nil {
			t.Errorf("mmdc drew no SVG of %s: %v", file, err)
			continue
		}
		texts := svgTexts(t, svg)
		for _, l := range labelLines(t, diagram.Mermaid, sources[i]) {
			if !slices.Contains(texts, l) {
				t.Errorf("%s: Mermaid drew no text %q (wrapped, or the block is not Mermaid?)", file, l)
			}
		}
		for _, o := range overlaps(mermaidBoxes(t, svg)) {
			t.Errorf("%s: %s", file, o)
		}
	}
}

// TestPicture checks the pictures: testdata/client.svg, the README's
// picture, is Graphviz's drawing of the current client diagram with its
// start state (testdata/client-start.dot), and testdata/fleet-client.svg
// is its drawing of the sample fleet's client diagram
// (testdata/fleet-client.dot): every label line is a text of it. With
// -update and Graphviz they are drawn anew.
func TestPicture(t *testing.T) {
	fleet, err := os.ReadFile(filepath.Join("testdata", "fleet-client.dot"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		name string
		src  []byte
	}{
		{"client.svg", write(t, diagram.Client, diagram.DOT, diagram.Options{Start: true})},
		{"fleet-client.svg", fleet},
	} {
		path := filepath.Join("testdata", p.name)
		if *update {
			svg, err := run(renderer(t, "dot", "DMCLIENT_DOT"), p.src, "-Tsvg")
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, svg, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		svg, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		texts := svgTexts(t, svg)
		for _, l := range labelLines(t, diagram.DOT, p.src) {
			if !slices.Contains(texts, l) {
				t.Errorf("%s lacks the text %q: run go test ./lifecycle/diagram -run TestPicture -update", path, l)
			}
		}
	}
}
