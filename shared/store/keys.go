package store

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
)

// Shards is the number of shards of the scorer's change feed and of a survey's daily cap: a burst
// of answers or touchpoints spreads over this many partition keys (docs/CONTRACTS.md 7).
const Shards = 16

// DueShards is the number of shards of the due index, whose keys-only entries an invitation writes
// about four times: the touchpoint's put, the mark's move (a delete and a put), the answer's or the
// reminder's removal. 1,000 touchpoints, 200 answers and 200 sends a second are 250 + 50 + 150 = 450
// writes a second a key, under a partition's 1,000, and a dispatch tick reads all 4 keys at once.
// A send rate near 800 a second would need more shards (and the due keys moved to them).
const DueShards = 4

// TimeKey is the fixed-width UTC layout used in sort keys, so times sort as strings.
const TimeKey = "2006-01-02T15:04:05.000Z"

// DayKey is the layout of a day bucket.
const DayKey = "2006-01-02"

// Index names (template.yaml Table.GlobalSecondaryIndexes).
const (
	IndexContact = "GSI1"
	IndexQueue   = "GSI2"
	IndexFeed    = "GSI3"
	IndexDue     = "GSI4"
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// EventKey derives the invitation id from a producer's eventId: stable, fixed length, opaque.
func EventKey(eventID string) string {
	sum := sha256.Sum256([]byte(eventID))
	return strings.ToLower(b32.EncodeToString(sum[:]))[:26]
}

// Shard picks the shard of an event key.
func Shard(key string) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % Shards)
}

// DueShard picks the due-index shard of an event key.
func DueShard(key string) int { return Shard(key) % DueShards }

// FormatTime renders t for a sort key.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeKey) }

// Key builders, one per record type (docs/ARCHITECTURE.md has the table).
func eventPK(key string) string                  { return "EVENT#" + key }
func contactPK(contactID string) string          { return "CONTACT#" + contactID }
func suppressPK(email string) string             { return "SUPPRESS#" + AddressHash(email) }
func capPK(survey, day string, n int) string     { return fmt.Sprintf("CAP#%s#%s#%02d", survey, day, n) }
func histPK(survey string) string                { return "HIST#" + survey }
func histSK(day string) string                   { return "DAY#" + day }
func scorePK(survey string) string               { return "SCORE#" + survey }
func breachPK(survey, rule string) string        { return "BREACH#" + survey + "#" + rule }
func ticketPK(id string) string                  { return "TICKET#" + id }
func notifySK(kind string) string                { return "NOTIFY#" + kind }
func openTicketPK(survey, contact string) string { return "OPEN#" + survey + "#" + contact }
func apiTokenPK(hashHex string) string           { return "APITOKEN#" + hashHex }
func tokenNamePK(nameKey string) string          { return "APITOKENNAME#" + nameKey }
func auditPK(person string) string               { return "AUDIT#" + person }
func addressPK(email string) string              { return "ADDR#" + AddressHash(email) }
func duePK(n int) string                         { return fmt.Sprintf("DUE#%02d", n) }
func feedPK(survey string, n int) string         { return fmt.Sprintf("FEED#%s#%02d", survey, n) }
func ticketQueuePK(status string) string         { return "TICKETS#" + status }

// Fixed sort keys.
const (
	skEvent     = "EVENT"
	skState     = "STATE"
	skSuppress  = "SUPPRESS"
	skCap       = "CAP"
	skWatermark = "WATERMARK"
	skCooldown  = "COOLDOWN"
	skTicket    = "TICKET"
	skOpen      = "OPEN"
	skAPIToken  = "APITOKEN"
	skTokenName = "APITOKENNAME"
)

// Record kinds, stored in each item's "kind" attribute (the stream filters match on it).
const (
	KindDecision   = "decision"
	KindInvitation = "invitation"
	KindContact    = "contact"
	KindSuppress   = "suppression"
	KindCap        = "cap"
	KindHistogram  = "histogram"
	KindWatermark  = "watermark"
	KindSnapshot   = "snapshot"
	KindBreach     = "breach"
	KindCooldown   = "cooldown"
	KindTicket     = "ticket"
	KindOpenTicket = "openticket"
	KindAPIToken   = "apitoken"
	KindTokenName  = "apitokenname"
	KindAudit      = "audit"
	KindAddress    = "address"
)

// offDueIndex adds to u the removal of the invitation's due key (GSI4): nothing more is due.
func offDueIndex(u expression.UpdateBuilder) expression.UpdateBuilder {
	return u.Remove(expression.Name("GSI4PK")).Remove(expression.Name("GSI4SK"))
}
