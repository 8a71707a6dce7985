//go:build tools

// Keeps the weed command's packages in this module's go.sum.
package tools

import _ "github.com/seaweedfs/seaweedfs/weed"
