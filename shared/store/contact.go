package store

import (
	"maps"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/invitation"
)

// Contact state attribute names. Per-survey values live in top-level attributes named
// `last_<survey>` and `fp_<survey>` (survey ids are [a-z0-9-]), so the first invitation can set
// them without a map having to exist first.
const (
	attrUnsubscribedAt = "unsubscribedAt"
	attrLastInvite     = "lastInviteAt"
	prefixLastSurvey   = "last_"
	prefixFingerprint  = "fp_"
	// attrClaimEvent is the invitation (event key) whose claim set the quiet-period attributes:
	// a delivery retried after a crash recognises its own claim (Store.Invite).
	attrClaimEvent = "claimEvent"
)

// ContactState is what the fatigue rules need to know about a contact: when they were last
// invited (to anything, and per survey), the last invited touchpoint per survey, and whether they
// unsubscribed. Item PK=CONTACT#<id>, SK=STATE.
type ContactState struct {
	ContactID      string
	UnsubscribedAt *time.Time
	LastInviteAt   string            // FormatTime, "" if never
	LastBySurvey   map[string]string // survey -> FormatTime of its last invitation
	Fingerprints   map[string]string // survey -> fingerprint of its last invited touchpoint
	ClaimEvent     string            // the event key whose invitation claimed LastInviteAt
}

// Unsubscribed reports whether the contact opted out of all surveys.
func (c *ContactState) Unsubscribed() bool { return c.UnsubscribedAt != nil }

// Rules is the contact's state as the rules read it; unreadable times count as never.
func (c *ContactState) Rules() invitation.Contact {
	r := invitation.Contact{UnsubscribedAt: c.UnsubscribedAt, Fingerprints: maps.Clone(c.Fingerprints), LastBySurvey: make(map[string]time.Time, len(c.LastBySurvey))}
	if t, err := time.Parse(TimeKey, c.LastInviteAt); err == nil {
		r.LastInviteAt = t
	}
	for s, at := range c.LastBySurvey {
		if t, err := time.Parse(TimeKey, at); err == nil {
			r.LastBySurvey[s] = t
		}
	}
	return r
}

// decodeContactState reads the contact item; a missing item is a contact never seen.
func decodeContactState(contactID string, item map[string]types.AttributeValue) (*ContactState, error) {
	c := &ContactState{ContactID: contactID, LastBySurvey: map[string]string{}, Fingerprints: map[string]string{}}
	if item == nil {
		return c, nil
	}
	var raw map[string]any
	if err := attributevalue.UnmarshalMap(item, &raw); err != nil {
		return nil, err
	}
	for k, v := range raw {
		s, _ := v.(string)
		switch {
		case k == attrUnsubscribedAt:
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				c.UnsubscribedAt = &t
			}
		case k == attrLastInvite:
			c.LastInviteAt = s
		case k == attrClaimEvent:
			c.ClaimEvent = s
		case strings.HasPrefix(k, prefixLastSurvey):
			c.LastBySurvey[strings.TrimPrefix(k, prefixLastSurvey)] = s
		case strings.HasPrefix(k, prefixFingerprint):
			c.Fingerprints[strings.TrimPrefix(k, prefixFingerprint)] = s
		}
	}
	return c, nil
}
