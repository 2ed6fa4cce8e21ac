module github.com/lockwise/flock/bench

go 1.25.0

require (
	github.com/gofrs/flock v0.13.1
	github.com/lockwise/flock v0.1.0
	golang.org/x/sys v0.47.0
)

