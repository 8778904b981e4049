module github.com/mobiledm/dmclient

go 1.24

require (
	github.com/google/go-cmp v0.7.0
	github.com/looplab/fsm v1.0.3
	pgregory.net/rapid v1.3.0
)
