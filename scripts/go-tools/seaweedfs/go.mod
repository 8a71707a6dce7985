// A module of the project's own that builds SeaweedFS's `weed` (the S3-compatible server the tests use):
// SeaweedFS carries a `replace` directive, so it cannot be `go install`ed by version.
module refinery.local/tools/seaweedfs

go 1.24

require github.com/seaweedfs/seaweedfs v0.0.0-20261109003541-7506e5f91cd6

replace github.com/tyler-smith/go-bip39 => github.com/cosmos/go-bip39 v1.0.0
