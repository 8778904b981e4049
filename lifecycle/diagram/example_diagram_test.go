package lifecycle_test

import (
	"fmt"
	"os"

	"github.com/mobiledm/dmclient/lifecycle"
)

// The installer chain in Graphviz DOT: render it with `dot -Tsvg`.
func ExampleWriteDiagram() {
	err := lifecycle.WriteDiagram(os.Stdout, lifecycle.InstallerChain, lifecycle.DOT, lifecycle.DiagramOptions{})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// digraph {
	// 	rankdir=LR;
	// 	node [shape=box, style=rounded, fontname="Helvetica"];
	// 	edge [fontname="Helvetica", fontsize=10];
	// 	s0 [label="staged"];
	// 	s1 [label="dminstaller"];
	// 	s2 [label="dmclientsetup"];
	// 	s3 [label="enrollment"];
	// 	s4 [label="done"];
	// 	s5 [label="denied"];
	// 	s0 -> s1 [label="run_installer\n[device trusts Mobile2Market, or platform exempt from signing]"];
	// 	s0 -> s5 [label="refuse\n[device does not trust Mobile2Market]"];
	// 	s1 -> s2 [label="trust\n[Authenticode certificate installed (unlocked device), or platform exempt]"];
	// 	s1 -> s5 [label="deny\n[privileges restricted: Access Denied (0x80070005)]"];
	// 	s2 -> s3 [label="enroll\n[CertEnrollAction=Enroll and a client remains]"];
	// 	s2 -> s4 [label="finish\n[no enrollment]"];
	// 	s3 -> s4 [label="finish\n[enrollment ran]"];
	// }
}

// The path one run took through the installer chain, highlighted in a
// Mermaid diagram with its start state marked.
func ExampleWriteDiagram_highlight() {
	denied := lifecycle.Outcome{
		From: lifecycle.Older, To: lifecycle.Older, Event: lifecycle.Upgrade,
		Steps:   []lifecycle.Step{lifecycle.Staged, lifecycle.Installer, lifecycle.Denied},
		Failure: lifecycle.FailureAccessDenied,
	}
	opts := lifecycle.DiagramOptions{Start: true, Highlight: &denied}
	if err := lifecycle.WriteDiagram(os.Stdout, lifecycle.InstallerChain, lifecycle.Mermaid, opts); err != nil {
		fmt.Println(err)
	}
	// Output:
	// stateDiagram-v2
	// 	direction LR
	// 	state "staged" as s0
	// 	state "dminstaller" as s1
	// 	state "dmclientsetup" as s2
	// 	state "enrollment" as s3
	// 	state "done" as s4
	// 	state "denied" as s5
	// 	[*] --> s0
	// 	s0 --> s1 : #9654;#32;run#95;installer<br>#91;device#32;trusts#32;Mobile2Market#44;#32;or#32;platform#32;exempt#32;from#32;signing#93;
	// 	s0 --> s5 : refuse<br>#91;device#32;does#32;not#32;trust#32;Mobile2Market#93;
	// 	s1 --> s2 : trust<br>#91;Authenticode#32;certificate#32;installed#32;#40;unlocked#32;device#41;#44;#32;or#32;platform#32;exempt#93;
	// 	s1 --> s5 : #9654;#32;deny<br>#91;privileges#32;restricted#58;#32;Access#32;Denied#32;#40;0x80070005#41;#93;
	// 	s2 --> s3 : enroll<br>#91;CertEnrollAction#61;Enroll#32;and#32;a#32;client#32;remains#93;
	// 	s2 --> s4 : finish<br>#91;no#32;enrollment#93;
	// 	s3 --> s4 : finish<br>#91;enrollment#32;ran#93;
	// 	classDef onpath fill:#fde68a,stroke:#b45309,stroke-width:3px
	// 	class s0,s1,s5 onpath
}

// A path the table does not have is an error, and nothing is written.
func ExampleWriteDiagram_error() {
	impossible := lifecycle.Outcome{From: lifecycle.Newer, To: lifecycle.Same, Event: lifecycle.Upgrade}
	err := lifecycle.WriteDiagram(os.Stdout, lifecycle.ClientMachine, lifecycle.DOT, lifecycle.DiagramOptions{Highlight: &impossible})
	fmt.Println(err)
	// Output:
	// lifecycle: diagram: transition "newer --upgrade--> same" not in the transition table
}

// light is a state or event of a tool's own table.
type light string

func (l light) String() string { return string(l) }

// Any declared table can be drawn, with labels that need escaping.
func ExampleWriteStateDiagram() {
	d := lifecycle.StateDiagram[light, light]{
		States: []light{"red", "green"},
		Transitions: []lifecycle.Transition[light, light]{
			{Event: "go", From: "red", To: "green", Guard: `button "walk" pressed`},
			{Event: "stop", From: "green", To: "red", Guard: "timer: 30s"},
		},
		Start: []light{"red"},
	}
	for _, f := range lifecycle.Formats() {
		if err := lifecycle.WriteStateDiagram(os.Stdout, f, d); err != nil {
			fmt.Println(err)
		}
	}
	// Output:
	// digraph {
	// 	rankdir=LR;
	// 	node [shape=box, style=rounded, fontname="Helvetica"];
	// 	edge [fontname="Helvetica", fontsize=10];
	// 	s0 [label="red"];
	// 	s1 [label="green"];
	// 	start0 [shape=point, width=0.15, label=""];
	// 	start0 -> s0;
	// 	s0 -> s1 [label="go\n[button \"walk\" pressed]"];
	// 	s1 -> s0 [label="stop\n[timer: 30s]"];
	// }
	// stateDiagram-v2
	// 	direction LR
	// 	state "red" as s0
	// 	state "green" as s1
	// 	[*] --> s0
	// 	s0 --> s1 : go<br>#91;button#32;#34;walk#34;#32;pressed#93;
	// 	s1 --> s0 : stop<br>#91;timer#58;#32;30s#93;
}

func ExampleParseFormat() {
	f, err := lifecycle.ParseFormat("Mermaid")
	fmt.Println(f, err)
	_, err = lifecycle.ParseFormat("svg")
	fmt.Println(err)
	// Output:
	// mermaid <nil>
	// lifecycle: unknown Format "svg"
}
