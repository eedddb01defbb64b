package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// key builds a primary key attribute map.
func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: pk},
		"SK": &types.AttributeValueMemberS{Value: sk},
	}
}

// absent is the condition of a write that creates its item, once.
func absent() expression.ConditionBuilder {
	return expression.AttributeNotExists(expression.Name("PK"))
}

// present is the condition of a write that changes an item only if it exists.
func present() expression.ConditionBuilder { return expression.AttributeExists(expression.Name("PK")) }

// noCondition is an unset condition: the write always applies.
var noCondition expression.ConditionBuilder

// putItem writes record (a struct with dynamodbav tags, keys included) when cond holds (noCondition:
// always). It reports false, with no error, when the condition failed.
func (s *Store) putItem(ctx context.Context, record any, cond expression.ConditionBuilder) (bool, error) {
	return s.putItemOr(ctx, record, cond, nil)
}

// putItemOr is putItem that, when the condition fails, decodes the item as it stands into old (a
// record struct; nil: not wanted), for a caller that must tell its own retried write from another's.
func (s *Store) putItemOr(ctx context.Context, record any, cond expression.ConditionBuilder, old any) (bool, error) {
	item, err := attributevalue.MarshalMap(record)
	if err != nil {
		return false, err
	}
	in := &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal}
	if cond.IsSet() {
		e, err := expression.NewBuilder().WithCondition(cond).Build()
		if err != nil {
			return false, err
		}
		in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues = e.Condition(), e.Names(), e.Values()
		if old != nil {
			in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
		}
	}
	_, err = s.DB.PutItem(ctx, in)
	return conditionHeldOr(err, old)
}

// updateItem applies upd to the item at k when cond holds (noCondition: always). It reports false,
// with no error, when the condition failed.
func (s *Store) updateItem(ctx context.Context, k map[string]types.AttributeValue, upd expression.UpdateBuilder, cond expression.ConditionBuilder) (bool, error) {
	return s.updateItemOr(ctx, k, upd, cond, nil)
}

// updateItemOr is updateItem that, when the condition fails, decodes the item as it stands into
// old (a record struct; nil: not wanted), for a caller that must tell its own retried write from
// another's.
func (s *Store) updateItemOr(ctx context.Context, k map[string]types.AttributeValue, upd expression.UpdateBuilder, cond expression.ConditionBuilder, old any) (bool, error) {
	b := expression.NewBuilder().WithUpdate(upd)
	if cond.IsSet() {
		b = b.WithCondition(cond)
	}
	e, err := b.Build()
	if err != nil {
		return false, err
	}
	in := &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: k,
		UpdateExpression: e.Update(), ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal}
	if old != nil && cond.IsSet() {
		in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	}
	_, err = s.DB.UpdateItem(ctx, in)
	return conditionHeldOr(err, old)
}

// conditionHeld turns a write's error into whether its condition held: a failed condition is
// false with no error.
func conditionHeld(err error) (bool, error) {
	return conditionHeldOr(err, nil)
}

// conditionHeldOr is conditionHeld that decodes the item a failed condition returned into old
// (when old is not nil and the item came back).
func conditionHeldOr(err error, old any) (bool, error) {
	if isConditionFailed(err) {
		var ccf *types.ConditionalCheckFailedException
		if old != nil && errors.As(err, &ccf) && ccf.Item != nil {
			if derr := attributevalue.UnmarshalMap(ccf.Item, old); derr != nil {
				return false, fmt.Errorf("decode the item that failed the condition: %w", derr)
			}
		}
		return false, nil
	}
	return err == nil, err
}

// getItem reads the item at k into out (a record struct). It reports false when there is no item.
func (s *Store) getItem(ctx context.Context, k map[string]types.AttributeValue, consistent bool, out any) (bool, error) {
	res, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: k,
		ConsistentRead: aws.Bool(consistent), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil || res.Item == nil {
		return false, err
	}
	return true, attributevalue.UnmarshalMap(res.Item, out)
}

// txPut is the transaction item name that puts record when cond holds (noCondition: always).
func (s *Store) txPut(name string, record any, cond expression.ConditionBuilder) (txItem, error) {
	item, err := attributevalue.MarshalMap(record)
	if err != nil {
		return txItem{}, err
	}
	p := &types.Put{TableName: aws.String(s.Table), Item: item}
	if cond.IsSet() {
		e, err := expression.NewBuilder().WithCondition(cond).Build()
		if err != nil {
			return txItem{}, err
		}
		p.ConditionExpression, p.ExpressionAttributeNames, p.ExpressionAttributeValues = e.Condition(), e.Names(), e.Values()
	}
	return txItem{name, types.TransactWriteItem{Put: p}}, nil
}

// txUpdate is the transaction item name that applies upd to the item at k when cond holds
// (noCondition: always).
func (s *Store) txUpdate(name string, k map[string]types.AttributeValue, upd expression.UpdateBuilder, cond expression.ConditionBuilder) (txItem, error) {
	b := expression.NewBuilder().WithUpdate(upd)
	if cond.IsSet() {
		b = b.WithCondition(cond)
	}
	e, err := b.Build()
	if err != nil {
		return txItem{}, err
	}
	return txItem{name, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: k,
		UpdateExpression: e.Update(), ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}}}, nil
}

// txCheck is the transaction item name that only checks cond on the item at k.
func (s *Store) txCheck(name string, k map[string]types.AttributeValue, cond expression.ConditionBuilder) (txItem, error) {
	e, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return txItem{}, err
	}
	return txItem{name, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.Table), Key: k,
		ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}}}, nil
}

// txDelete is the transaction item name that deletes the item at k when cond holds.
func (s *Store) txDelete(name string, k map[string]types.AttributeValue, cond expression.ConditionBuilder) (txItem, error) {
	e, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return txItem{}, err
	}
	return txItem{name, types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Table), Key: k,
		ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}}}, nil
}

// unwrap maps records to the domain values they hold; none is nil, as a decoded empty list is.
func unwrap[R, T any](recs []R, of func(R) T) []T {
	if len(recs) == 0 {
		return nil
	}
	out := make([]T, len(recs))
	for i, r := range recs {
		out[i] = of(r)
	}
	return out
}

// deleteItem deletes the item at k when cond holds (noCondition: always). It reports false, with
// no error, when the condition failed.
func (s *Store) deleteItem(ctx context.Context, k map[string]types.AttributeValue, cond expression.ConditionBuilder) (bool, error) {
	in := &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: k}
	if cond.IsSet() {
		e, err := expression.NewBuilder().WithCondition(cond).Build()
		if err != nil {
			return false, err
		}
		in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues = e.Condition(), e.Names(), e.Values()
	}
	_, err := s.DB.DeleteItem(ctx, in)
	return conditionHeld(err)
}
