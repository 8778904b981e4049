package diagram_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/diagram"
)

// The client machine in Mermaid, for a README: paste it into a ```mermaid
// block.
func Example() {
	err := diagram.Write(os.Stdout, diagram.Client, diagram.Mermaid, diagram.Options{Start: true})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// stateDiagram-v2
	// 	direction LR
	// 	[*] --> none
	// 	older : older
	// 	older : ⟲ reconfigure<br>ClientInstallAction=None
	// 	same : same
	// 	same : ⟲ reconfigure<br>ClientInstallAction=None<br>or Install
	// 	same : ⟲ repair<br>repair requested<br>(client damaged)
	// 	newer : newer
	// 	newer : ⟲ reconfigure<br>ClientInstallAction=None
	// 	none --> same : install<br>ClientInstallAction=Install
	// 	older --> same : upgrade<br>ClientInstallAction=Install
	// 	older --> none : uninstall<br>ClientInstallAction=Uninstall
	// 	same --> none : uninstall<br>ClientInstallAction=Uninstall
	// 	newer --> none : uninstall<br>ClientInstallAction=Uninstall
	// 	older --> same : repair<br>repair requested<br>(client damaged)
	// 	newer --> same : repair<br>repair requested<br>(client damaged)
}

// The installer chain in Graphviz DOT: render it with `dot -Tsvg`.
func ExampleWrite() {
	if err := diagram.Write(os.Stdout, diagram.Chain, diagram.DOT, diagram.Options{}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// digraph chain {
	// 	rankdir=LR;
	// 	node [shape=box, style=rounded, fontname="Helvetica"];
	// 	edge [fontname="Helvetica", fontsize=10];
	// 	staged;
	// 	dminstaller;
	// 	dmclientsetup;
	// 	enrollment;
	// 	done;
	// 	denied;
	// 	staged -> dminstaller [label="run installer\ndevice trusts\nMobile2Market,\nor platform exempt\nfrom signing"];
	// 	staged -> denied [label="refuse\ndevice does not\ntrust Mobile2Market"];
	// 	dminstaller -> dmclientsetup [label="trust\nAuthenticode\ncertificate installed\n(unlocked device),\nor platform exempt"];
	// 	dminstaller -> denied [label="deny\nprivileges restricted:\nAccess Denied\n(0x80070005)"];
	// 	dmclientsetup -> enrollment [label="enroll\nclient remains,\nCertEnrollAction=Enroll,\nand no valid certificate\n(or renewal asked for)"];
	// 	dmclientsetup -> done [label="finish\nno enrollment"];
	// 	enrollment -> done [label="finish\nenrollment ran"];
	// }
}

// The path one run took through the installer chain: a locked device
// (privileges restricted) denies the installer.
func ExampleWrite_highlight() {
	var sc lifecycle.Scenario
	err := json.Unmarshal([]byte(`{
		"device": {"id": "wm6-locked", "platform": "WM6Pro", "client": "4.0.6221.1000",
			"security": "Restricted", "connection": "managed computer"},
		"deployment": {"method": "software distribution",
			"package": {"version": "4.0.6487.2000", "ini": "[Settings]\nClientInstallAction=Install\n"},
			"site": {"mode": "mixed", "clientAgent": true, "managementPoint": true,
				"distributionPoint": true, "inventoryExtended": true}}}`), &sc)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := lifecycle.Run(context.Background(), sc, lifecycle.Options{})
	fmt.Println(out.From, out.Event, out.To, out.Steps)
	fmt.Println(err)
	if err := diagram.Write(os.Stdout, diagram.Chain, diagram.Mermaid, diagram.Options{Highlight: &out}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// older upgrade older [staged dminstaller denied]
	// certs: DMInstaller_WM6Pro.exe could not install the Microsoft Authenticode certificate in the Privileged Execution Trust Authorities store: access denied (0x80070005)
	// stateDiagram-v2
	// 	direction LR
	// 	staged --> dminstaller : ▶ run installer<br>device trusts<br>Mobile2Market,<br>or platform exempt<br>from signing
	// 	staged --> denied : refuse<br>device does not<br>trust Mobile2Market
	// 	dminstaller --> dmclientsetup : trust<br>Authenticode<br>certificate installed<br>(unlocked device),<br>or platform exempt
	// 	dminstaller --> denied : ▶ deny<br>privileges restricted:<br>Access Denied<br>(0x80070005)
	// 	dmclientsetup --> enrollment : enroll<br>client remains,<br>CertEnrollAction=Enroll,<br>and no valid certificate<br>(or renewal asked for)
	// 	dmclientsetup --> done : finish<br>no enrollment
	// 	enrollment --> done : finish<br>enrollment ran
	// 	classDef onpath fill:#fde68a,stroke:#b45309,stroke-width:3px
	// 	class staged,dminstaller,denied onpath
}

// A fleet on the client machine: how many runs took each transition, and
// how many failed.
func ExampleCounts() {
	done := []lifecycle.Step{lifecycle.Staged, lifecycle.DMInstaller, lifecycle.DMClientSetup, lifecycle.Done}
	refused := []lifecycle.Step{lifecycle.Staged, lifecycle.Denied}
	var c diagram.Counts
	for _, o := range []lifecycle.Outcome{
		{From: lifecycle.None, To: lifecycle.Same, Event: lifecycle.Install, Steps: done},
		{From: lifecycle.None, To: lifecycle.Same, Event: lifecycle.Install, Steps: done},
		{From: lifecycle.None, To: lifecycle.None, Event: lifecycle.Install, Steps: refused},
		{From: lifecycle.Older, To: lifecycle.Same, Event: lifecycle.Upgrade, Steps: done},
		{From: lifecycle.Same, To: lifecycle.Same, Event: lifecycle.Reconfigure, Steps: done},
	} {
		c.Add(o)
	}
	if err := diagram.Write(os.Stdout, diagram.Client, diagram.Mermaid, diagram.Options{Counts: &c}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// stateDiagram-v2
	// 	direction LR
	// 	older : older
	// 	older : ⟲ reconfigure (0)<br>ClientInstallAction=None
	// 	same : same
	// 	same : ⟲ reconfigure (1)<br>ClientInstallAction=None<br>or Install
	// 	same : ⟲ repair (0)<br>repair requested<br>(client damaged)
	// 	newer : newer
	// 	newer : ⟲ reconfigure (0)<br>ClientInstallAction=None
	// 	none --> same : install (2, 1 failed)<br>ClientInstallAction=Install
	// 	older --> same : upgrade (1)<br>ClientInstallAction=Install
	// 	older --> none : uninstall (0)<br>ClientInstallAction=Uninstall
	// 	same --> none : uninstall (0)<br>ClientInstallAction=Uninstall
	// 	newer --> none : uninstall (0)<br>ClientInstallAction=Uninstall
	// 	older --> same : repair (0)<br>repair requested<br>(client damaged)
	// 	newer --> same : repair (0)<br>repair requested<br>(client damaged)
}

// A path the table does not have is an error, and nothing is written.
func ExampleWrite_error() {
	impossible := lifecycle.Outcome{From: lifecycle.Newer, To: lifecycle.Same, Event: lifecycle.Upgrade,
		Steps: []lifecycle.Step{lifecycle.Staged, lifecycle.DMInstaller, lifecycle.DMClientSetup, lifecycle.Done}}
	err := diagram.Write(os.Stdout, diagram.Client, diagram.DOT, diagram.Options{Highlight: &impossible})
	fmt.Println(err)
	// Output:
	// diagram: highlight: the client machine has no transition newer --upgrade--> same
}

// Machine and Format are flags with flag.TextVar; case does not matter.
func ExampleMachine_UnmarshalText() {
	fs := flag.NewFlagSet("diagram", flag.ContinueOnError)
	fs.SetOutput(os.Stdout)
	machine, format := diagram.Client, diagram.DOT
	fs.TextVar(&machine, "machine", diagram.Client, "client or chain")
	fs.TextVar(&format, "format", diagram.DOT, "dot or mermaid")
	err := fs.Parse([]string{"-machine", "Installer", "-format", "MERMAID"})
	fmt.Println(machine, format, err)
	err = machine.UnmarshalText([]byte("lifecycle"))
	fmt.Println(machine, err)
	// Output:
	// chain mermaid <nil>
	// chain diagram: unknown Machine "lifecycle" (accepted: client, chain)
}
