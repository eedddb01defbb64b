package rig

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/ticket"
)

// Email is one message the SES stand-in accepted.
type Email struct {
	MessageID   string `json:"messageId"`
	Destination struct {
		To []string `json:"to"`
	} `json:"destination"`
	Subject string `json:"subject"`
	Body    struct {
		HTML string `json:"html"`
		Text string `json:"text"`
	} `json:"body"`
}

// To is the first recipient.
func (e Email) To() string {
	if len(e.Destination.To) == 0 {
		return ""
	}
	return e.Destination.To[0]
}

var surveyLink = regexp.MustCompile(`/s/([A-Za-z0-9_-]{20,})`)

// SurveyToken is the token of the first survey link in the email, or "".
func (e Email) SurveyToken() string {
	m := surveyLink.FindStringSubmatch(e.Body.Text + e.Body.HTML)
	if m == nil {
		return ""
	}
	return m[1]
}

// Emails returns what the SES stand-in (upstream of the proxy) holds for recipients whose
// address ends with suffix.
func (r *Rig) Emails(ctx context.Context, suffix string) ([]Email, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(r.sesURL, "/")+"/store", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read the SES stand-in's store: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		Emails []Email `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("decode the SES store: %w", err)
	}
	var out []Email
	for _, e := range body.Emails {
		if strings.HasSuffix(e.To(), suffix) {
			out = append(out, e)
		}
	}
	return out, nil
}

// Items scans the rig's table (without faults) and returns every item.
func (r *Rig) Items(ctx context.Context) ([]map[string]types.AttributeValue, error) {
	var out []map[string]types.AttributeValue
	p := dynamodb.NewScanPaginator(r.Store.DB, &dynamodb.ScanInput{TableName: aws.String(r.Table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
	}
	return out, nil
}

// Invitations returns every invitation item.
func (r *Rig) Invitations(ctx context.Context) ([]store.Invitation, error) {
	items, err := r.Items(ctx)
	if err != nil {
		return nil, err
	}
	var out []store.Invitation
	for _, it := range items {
		if k, ok := it["kind"].(*types.AttributeValueMemberS); ok && k.Value == store.KindInvitation {
			var inv store.Invitation
			if err := attributevalue.UnmarshalMap(it, &inv); err != nil {
				return nil, err
			}
			out = append(out, inv)
		}
	}
	return out, nil
}

// Tickets returns every ticket item.
func (r *Rig) Tickets(ctx context.Context) ([]ticket.Ticket, error) {
	items, err := r.Items(ctx)
	if err != nil {
		return nil, err
	}
	var out []ticket.Ticket
	for _, it := range items {
		if k, ok := it["kind"].(*types.AttributeValueMemberS); ok && k.Value == store.KindTicket {
			var t ticket.Ticket
			if err := attributevalue.UnmarshalMap(it, &t); err != nil {
				return nil, err
			}
			out = append(out, t)
		}
	}
	return out, nil
}

// ElapseWaits stands in for the passage of time the local run cannot wait for: every invitation
// that is pending or claimed with its due key in the future (a send refused by SES waits 1 to 30
// minutes) gets its due key moved to now, and every claim whose lease (2 minutes, leaseUntil)
// still runs gets it ended now, each with a conditional write on what it had, exactly as if that
// much time had passed. Reminders (due days later) are left alone. It returns how many it moved.
func (r *Rig) ElapseWaits(ctx context.Context) (int, error) {
	return r.elapse(ctx, func(inv store.Invitation, now time.Time) (upd expression.UpdateBuilder, cond expression.ConditionBuilder, ok bool) {
		claimed := inv.Status == invitation.StatusSending || inv.Status == invitation.StatusReminding
		if inv.Status != invitation.StatusPending && !claimed {
			return upd, cond, false
		}
		if due := store.FormatTime(now); inv.GSI4PK != "" && inv.GSI4SK > due {
			upd, cond, ok = upd.Set(expression.Name("GSI4SK"), expression.Value(due)), expression.Name("GSI4SK").Equal(expression.Value(inv.GSI4SK)), true
		}
		if claimed && inv.LeaseUntil != nil && inv.LeaseUntil.After(now) {
			held := expression.Name("claimId").Equal(expression.Value(inv.ClaimID)).And(expression.Name("status").Equal(expression.Value(inv.Status)))
			if ok {
				held = cond.And(held)
			}
			upd, cond, ok = upd.Set(expression.Name("leaseUntil"), expression.Value(now)), held, true
		}
		return upd, cond, ok
	})
}

// ElapseResendWindows moves the due key of every unsure invitation still waiting for its Send
// event to now, as if UNSURE_RESEND_AFTER_MINUTES had passed, and reports how many it moved.
func (r *Rig) ElapseResendWindows(ctx context.Context) (int, error) {
	return r.elapse(ctx, func(inv store.Invitation, now time.Time) (expression.UpdateBuilder, expression.ConditionBuilder, bool) {
		due := store.FormatTime(now)
		return expression.Set(expression.Name("GSI4SK"), expression.Value(due)),
			expression.Name("GSI4SK").Equal(expression.Value(inv.GSI4SK)).And(expression.Name("status").Equal(expression.Value(invitation.StatusUnsure))),
			inv.Status == invitation.StatusUnsure && inv.GSI4PK != "" && inv.GSI4SK > due
	})
}

// elapse writes, to every invitation for which change returns ok, its update under its condition
// (what the invitation had when it was read), as of now minus a second; an invitation that moved
// on meanwhile is left as it is. It returns how many it changed.
func (r *Rig) elapse(ctx context.Context, change func(inv store.Invitation, now time.Time) (expression.UpdateBuilder, expression.ConditionBuilder, bool)) (int, error) {
	invs, err := r.Invitations(ctx)
	if err != nil {
		return 0, err
	}
	now := time.Now().UTC().Add(-time.Second)
	moved := 0
	for _, inv := range invs {
		upd, cond, ok := change(inv, now)
		if !ok {
			continue
		}
		e, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
		if err != nil {
			return moved, err
		}
		_, err = r.Store.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(r.Table), Key: map[string]types.AttributeValue{
				"PK": &types.AttributeValueMemberS{Value: inv.PK}, "SK": &types.AttributeValueMemberS{Value: inv.SK}},
			UpdateExpression: e.Update(), ConditionExpression: e.Condition(),
			ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		})
		var ccf *types.ConditionalCheckFailedException
		if err != nil && !errors.As(err, &ccf) {
			return moved, err
		}
		if err == nil {
			moved++
		}
	}
	return moved, nil
}
