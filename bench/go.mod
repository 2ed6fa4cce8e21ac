module github.com/lockwise/flock/bench

go 1.25.0

require (
	github.com/gofrs/flock v0.13.1
	github.com/lockwise/flock v0.0.0-00010101000000-000000000000
	golang.org/x/sys v0.47.0
)

replace github.com/lockwise/flock => ../
