//go:build !soak

package e2e_test

// The short fault suite (make test): fewer touchpoints than the soak's 2,000, so that it fits in
// the test run; `make soak` runs the same tests with -tags soak and the full sizes.
import "time"

const (
	// runBudget bounds one run of the loop.
	runBudget = 10 * time.Minute
	// soak waits real leases instead of moving due keys.
	soak                 = false
	duplicateTouchpoints = 40
	faultTouchpoints     = 200
)
