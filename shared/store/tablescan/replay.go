package tablescan

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/whatif"
)

// replayItem is the union of the attributes a replay reads from the kinds it reads.
type replayItem struct {
	PK              string     `dynamodbav:"PK"`
	Kind            string     `dynamodbav:"kind"`
	ID              string     `dynamodbav:"id"`
	EventID         string     `dynamodbav:"eventId"`
	Touchpoint      string     `dynamodbav:"touchpoint"`
	ContactID       string     `dynamodbav:"contactId"`
	Email           string     `dynamodbav:"email"`
	Locale          string     `dynamodbav:"locale"`
	Outcome         string     `dynamodbav:"outcome"`
	Detail          string     `dynamodbav:"detail"`
	Survey          string     `dynamodbav:"survey"`
	OccurredAt      time.Time  `dynamodbav:"occurredAt"`
	DecidedAt       time.Time  `dynamodbav:"decidedAt"`
	SentAt          *time.Time `dynamodbav:"sentAt"`
	ReminderSentAt  *time.Time `dynamodbav:"reminderSentAt"`
	FirstAnsweredAt *time.Time `dynamodbav:"firstAnsweredAt"`
	ErasedAt        *time.Time `dynamodbav:"erasedAt"`
	UnsubscribedAt  string     `dynamodbav:"unsubscribedAt"`
	ErasedKey       string     `dynamodbav:"erasedKey"`
	OptedOutAt      *time.Time `dynamodbav:"optedOutAt"`
	SuppressedAt    *time.Time `dynamodbav:"suppressedAt"`
	InvitationID    string     `dynamodbav:"invitationId"`
}

// LoadReplay reads what a what-if replay needs with a parallel Scan of the whole table
// (segments at once, each paginated, eventually consistent): the decisions and invitations, the
// contacts' unsubscribes and erasures, the opt-outs, the suppressions and the tickets opened from
// answers. Decisions of erased contacts keep only what a daily cap needs (whatif.Record.Erased). Addresses are kept only as
// their hash. skipRetention is how long skip decisions are kept (for the coverage).
func LoadReplay(ctx context.Context, s *store.Store, segments int, skipRetention time.Duration) (*whatif.Dataset, Cost, error) {
	if segments < 1 {
		segments = 1
	}
	kinds := []string{store.KindDecision, store.KindInvitation, store.KindContact, store.KindOptOut, store.KindSuppress, store.KindTicket}
	var cond expression.ConditionBuilder
	for i, k := range kinds {
		c := expression.Name("kind").Equal(expression.Value(k))
		if i == 0 {
			cond = c
		} else {
			cond = cond.Or(c)
		}
	}
	proj := expression.NamesList(expression.Name("PK"), expression.Name("kind"), expression.Name("id"), expression.Name("eventId"),
		expression.Name("touchpoint"), expression.Name("contactId"), expression.Name("email"), expression.Name("locale"),
		expression.Name("outcome"), expression.Name("detail"), expression.Name("survey"), expression.Name("occurredAt"),
		expression.Name("decidedAt"), expression.Name("sentAt"), expression.Name("reminderSentAt"), expression.Name("firstAnsweredAt"),
		expression.Name("erasedAt"), expression.Name("unsubscribedAt"), expression.Name("erasedKey"), expression.Name("optedOutAt"),
		expression.Name("suppressedAt"), expression.Name("invitationId"))
	ex, err := expression.NewBuilder().WithFilter(cond).WithProjection(proj).Build()
	if err != nil {
		return nil, Cost{}, err
	}

	parts := make([][]replayItem, segments)
	total, err := scanAll(ctx, s, ex, segments, func(seg int, items []replayItem) { parts[seg] = append(parts[seg], items...) })
	if err != nil {
		return nil, Cost{}, err
	}
	d := datasetOf(parts)
	d.ReadAt, d.SkipRetention = s.Now(), skipRetention
	return d, total, nil
}

// datasetOf turns scanned items into a replay's dataset.
func datasetOf(parts [][]replayItem) *whatif.Dataset {
	d := &whatif.Dataset{Unsubscribed: map[string]time.Time{}, OptedOut: map[string]time.Time{}, Suppressed: map[string]time.Time{}}
	erasedKey := map[string]string{}
	tickets := map[string]int{}
	var decisions []*replayItem
	for _, items := range parts {
		for i := range items {
			it := &items[i]
			d.Items++
			switch it.Kind {
			case store.KindDecision, store.KindInvitation:
				decisions = append(decisions, it)
			case store.KindContact:
				id := strings.TrimPrefix(it.PK, "CONTACT#")
				if t, err := time.Parse(time.RFC3339Nano, it.UnsubscribedAt); err == nil {
					d.Unsubscribed[id] = t
				}
				if it.ErasedKey != "" {
					erasedKey[id] = it.ErasedKey
				}
			case store.KindOptOut:
				if it.OptedOutAt != nil {
					d.OptedOut[strings.TrimPrefix(it.PK, "OPTOUT#")] = *it.OptedOutAt
				}
			case store.KindSuppress:
				if it.SuppressedAt != nil {
					d.Suppressed[suppressedHash(strings.TrimPrefix(it.PK, "SUPPRESS#"))] = *it.SuppressedAt
				}
			case store.KindTicket:
				if it.InvitationID != "" {
					tickets[it.InvitationID]++
				}
			}
		}
	}
	d.Records = make([]whatif.Record, 0, len(decisions))
	for _, it := range decisions {
		if it.ErasedAt != nil || (it.ContactID != "" && erasedKey[it.ContactID] >= store.FormatTime(it.DecidedAt)) {
			// Only what a daily cap needs, nothing of the person.
			d.Erased++
			d.Records = append(d.Records, whatif.Record{Key: it.ID, Shard: store.Shard(it.ID), Touchpoint: it.Touchpoint,
				DecidedAt: it.DecidedAt, Survey: it.Survey, Outcome: it.Outcome, Erased: true})
			continue
		}
		r := whatif.Record{
			Key: it.ID, Shard: store.Shard(it.ID), EventID: it.EventID, Touchpoint: it.Touchpoint, ContactID: it.ContactID,
			Locale: it.Locale, OccurredAt: it.OccurredAt, DecidedAt: it.DecidedAt, Survey: it.Survey, Outcome: it.Outcome,
			Detail: it.Detail, Answered: it.FirstAnsweredAt != nil, Tickets: tickets[it.ID],
		}
		if it.Email != "" {
			r.Address = store.AddressHash(it.Email)
		}
		if it.SentAt != nil {
			r.Emails++
		}
		if it.ReminderSentAt != nil {
			r.Emails++
		}
		d.Records = append(d.Records, r)
	}
	return d
}

// suppressedHash is a suppression key's address hash; keys written before hashing hold the
// lower-cased address itself.
func suppressedHash(k string) string {
	if strings.Contains(k, "@") {
		return store.AddressHash(k)
	}
	return k
}
