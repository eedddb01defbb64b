package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/ticket"
)

// addressEntry ties an address's hash to a contact that has tickets: ADDR#<sha256(address)> /
// CONTACT#<contactId>. It holds no address, only the hash (as opt-outs do); erasing the contact
// deletes it.
type addressEntry struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	Kind      string `dynamodbav:"kind"`
	ContactID string `dynamodbav:"contactId"`
}

// addressIndex is the transaction item that files a new ticket's contact under its address
// hash (none for a ticket without an address). Written with every new ticket, so an overwrite.
func (s *Store) addressIndex(t ticket.Ticket) []txItem {
	if t.Email == "" || t.ContactID == "" {
		return nil
	}
	put, err := s.txPut(txAddress, addressEntry{PK: addressPK(t.Email), SK: contactPK(t.ContactID), Kind: KindAddress, ContactID: t.ContactID}, noCondition)
	if err != nil {
		return nil // a struct of strings always encodes
	}
	return []txItem{put}
}

// dropAddressIndex deletes the contact's entry under the address (the erasure).
func (s *Store) dropAddressIndex(ctx context.Context, email, contactID string) error {
	if email == "" || contactID == "" {
		return nil
	}
	if _, err := s.deleteItem(ctx, key(addressPK(email), contactPK(contactID)), noCondition); err != nil {
		return fmt.Errorf("erase address index of %s: %w", contactID, err)
	}
	return nil
}

// ContactsWithAddress returns the contacts that have tickets sent to email (compared trimmed and
// case-folded, by its SHA-256): one query of one partition. Tickets opened before the index
// existed are not found this way.
func (s *Store) ContactsWithAddress(ctx context.Context, email string) ([]string, error) {
	e, err := expression.NewBuilder().WithKeyCondition(expression.Key("PK").Equal(expression.Value(addressPK(email)))).Build()
	if err != nil {
		return nil, err
	}
	list, err := queryAll[addressEntry](ctx, s.DB, &dynamodb.QueryInput{TableName: aws.String(s.Table),
		KeyConditionExpression: e.KeyCondition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	if err != nil {
		return nil, fmt.Errorf("contacts with an address: %w", err)
	}
	ids := make([]string, 0, len(list))
	for _, a := range list {
		ids = append(ids, a.ContactID)
	}
	return ids, nil
}

// ContactTickets returns the contact's tickets of every status, newest first, at most limit: one
// query of the contact's partition of GSI1, then the tickets by key.
func (s *Store) ContactTickets(ctx context.Context, contactID string, limit int32) ([]ticket.Ticket, error) {
	e, err := expression.NewBuilder().WithKeyCondition(expression.Key("GSI1PK").Equal(expression.Value(contactPK(contactID))).
		And(expression.Key("GSI1SK").BeginsWith("TICKET#"))).Build()
	if err != nil {
		return nil, err
	}
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(s.Table), IndexName: aws.String(IndexContact),
		KeyConditionExpression: e.KeyCondition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		ScanIndexForward: aws.Bool(false), Limit: aws.Int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("tickets of contact %s: %w", contactID, err)
	}
	keys := make([]map[string]types.AttributeValue, 0, len(out.Items))
	for _, it := range out.Items {
		keys = append(keys, map[string]types.AttributeValue{"PK": it["PK"], "SK": it["SK"]})
	}
	if len(keys) == 0 {
		return nil, nil
	}
	items, err := s.batchGet(ctx, keys, false)
	if err != nil {
		return nil, fmt.Errorf("tickets of contact %s: %w", contactID, err)
	}
	var recs []ticketRecord
	if err := attributevalue.UnmarshalListOfMaps(items, &recs); err != nil {
		return nil, err
	}
	ts := tickets(recs)
	// BatchGetItem returns items in no order: newest first again.
	slices.SortFunc(ts, func(a, b ticket.Ticket) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return ts, nil
}
