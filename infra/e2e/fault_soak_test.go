//go:build soak

package e2e_test

// The soak sizes (make soak): at least 2,000 touchpoints under 10% injected faults.
import "time"

const (
	// runBudget bounds one run of the loop.
	runBudget = 55 * time.Minute
	// soak waits real leases instead of moving due keys.
	soak                 = true
	duplicateTouchpoints = 500
	faultTouchpoints     = 2000
)
