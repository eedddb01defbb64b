package ticket

import (
	"encoding/json"
	"fmt"
)

// TeamAddresses is where each team is mailed (TEAM_ADDRESSES, a JSON object of team to
// address), with Default (OPS_NOTIFY_ADDRESS) for every team it does not name.
type TeamAddresses struct {
	Teams   map[string]string
	Default string
}

// ParseTeamAddresses reads TEAM_ADDRESSES (empty: every team uses def).
func ParseTeamAddresses(raw, def string) (TeamAddresses, error) {
	a := TeamAddresses{Teams: map[string]string{}, Default: def}
	if raw == "" {
		return a, nil
	}
	if err := json.Unmarshal([]byte(raw), &a.Teams); err != nil {
		return a, fmt.Errorf("TEAM_ADDRESSES must be a JSON object of team to address: %w", err)
	}
	return a, nil
}

// For is team's address.
func (a TeamAddresses) For(team string) string {
	if addr := a.Teams[team]; addr != "" {
		return addr
	}
	return a.Default
}
