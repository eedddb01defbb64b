// Package access says who may do what: the roles of API tokens and console sessions, and how they
// rank. Producers post touchpoints; viewers read the console and the /ops API; agents also work
// tickets; admins also export and erase contacts. It imports no AWS package.
package access

import "slices"

// The roles.
const (
	Producer = "producer"
	Viewer   = "viewer"
	Agent    = "agent"
	Admin    = "admin"
)

// Roles lists every role, a producer first, then the console's from least to most.
var Roles = []string{Producer, Viewer, Agent, Admin}

// rank orders the roles that may use /ops; a producer ranks nowhere there.
var rank = map[string]int{Viewer: 1, Agent: 2, Admin: 3}

// Rank orders the roles that may use /ops: viewer 1, agent 2, admin 3; 0 for a producer or an
// unknown role.
func Rank(role string) int { return rank[role] }

// Allows reports whether role may do what needs the role need on /ops: a viewer reads, an agent
// also updates tickets, an admin also exports and erases contacts. A producer, or an unknown role,
// is allowed nothing there, and nothing is allowed for a need that is not a console role.
func Allows(role, need string) bool {
	return rank[role] > 0 && rank[need] > 0 && rank[role] >= rank[need]
}

// Valid reports whether role is one of Roles.
func Valid(role string) bool { return slices.Contains(Roles, role) }
