module github.com/mobiledm/dmclient/examples/compare

go 1.24

require github.com/mobiledm/dmclient v0.0.0

require (
	github.com/stretchr/testify v1.12.1 // indirect
	gopkg.in/ini.v1 v1.67.3
)

replace github.com/mobiledm/dmclient => ../..
