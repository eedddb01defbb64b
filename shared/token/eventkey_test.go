package token

import (
	"crypto/sha256"
	"encoding/base32"
	"strconv"
	"strings"
	"testing"
	"time"
)

// eventKey derives ids the way store.EventKey does (lower-case base32 of SHA-256, 26 characters);
// the token package must not import the store, so the test repeats the three lines.
func eventKey(eventID string) string {
	sum := sha256.Sum256([]byte(eventID))
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:]))[:26]
}

func TestEveryInvitationIDSurvivesTheRoundTrip(t *testing.T) {
	t.Parallel()
	s := mustSigner(t, testKey)
	for i := range 20000 {
		id := eventKey("event-" + strconv.Itoa(i))
		if !ValidID(id) {
			t.Fatalf("%q is not a token id", id)
		}
		if got, err := s.Verify(Survey, s.Sign(Survey, id, now.Add(time.Second)), now); err != nil || got != id {
			t.Fatalf("id %q came back as %q, %v", id, got, err)
		}
	}
}
