package version_test

import (
	"fmt"
	"slices"

	"github.com/mobiledm/dmclient/version"
)

func ExampleParse() {
	v, err := version.Parse("4.00.6487.2000") // ConfigMgr 2007 SP2, as ConfigMgr writes it
	if err != nil {
		panic(err)
	}
	fmt.Println(v, v.Major(), v.Build(), v.Revision())

	_, err = version.Parse("4.0-beta")
	fmt.Println(err)
	// Output:
	// 4.0.6487.2000 4 6487 2000
	// version: parsing "4.0-beta": unexpected character '-' at offset 3
}

func ExampleVersion_Compare() {
	installed := version.MustParse("4.00.6221.1000") // SP1 on the device
	deployed := version.MustParse("4.00.6487.2000")  // SP2 in the package
	fmt.Println(installed.Compare(deployed), deployed.Compare(installed), deployed.Compare(deployed))

	var none version.Version // no client installed
	fmt.Println(none.IsValid(), none.Compare(installed))
	// Output:
	// -1 1 0
	// false -1
}

func ExampleVersion_Compare_sort() {
	vs := []version.Version{
		version.MustParse("4.00.6487.2157"),
		version.MustParse("4.00.5931.0000"),
		version.MustParse("4.00.6487.2000"),
		version.MustParse("4.00.6221.1000"),
	}
	slices.SortFunc(vs, version.Version.Compare)
	fmt.Println(vs)
	// Output:
	// [4.0.5931.0 4.0.6221.1000 4.0.6487.2000 4.0.6487.2157]
}

func ExampleVersion_MarshalText() {
	b, _ := version.New(4, 0, 6487, 2157).MarshalText()
	fmt.Printf("%s\n", b)
	var v version.Version
	_ = v.UnmarshalText([]byte("4.00.6221.1000"))
	fmt.Println(v)
	// Output:
	// 4.0.6487.2157
	// 4.0.6221.1000
}
