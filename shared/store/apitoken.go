package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/cxloop/cxloop/shared/access"
)

// APIToken is a bearer token's record. Only the SHA-256 of the token is stored: the table never
// holds a usable token, and a 256-bit random token cannot be recovered from its hash.
type APIToken struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	Kind      string `dynamodbav:"kind"`
	Role      string `dynamodbav:"role"`
	Name      string `dynamodbav:"name"`
	CreatedAt string `dynamodbav:"createdAt"`
	// GSI2 lists the tokens (`cxloop token list`) without scanning the table.
	GSI2PK string `dynamodbav:"GSI2PK,omitempty"`
	GSI2SK string `dynamodbav:"GSI2SK,omitempty"`
}

// apiTokensPK is the GSI2 partition holding every token, sorted by creation time.
const apiTokensPK = "APITOKENS"

// Hash is the token's stored identity: the hex SHA-256 in its key. A listing shows its first
// characters; revoking takes them.
func (t *APIToken) Hash() string { return strings.TrimPrefix(t.PK, "APITOKEN#") }

func hashToken(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

// ErrNameTaken is a token name that another token already has: names are unique, since
// "Assign to me", the "mine" filter and the audit trail go by the name.
var ErrNameTaken = errors.New("another token already has that name")

// maxTokenName is the longest token name, in characters.
const maxTokenName = 64

// NameKey is how token names are compared: trimmed, inner spaces collapsed, case folded, so
// "Ana  Lopez" and "ana lopez" are one name.
func NameKey(name string) string { return strings.ToLower(strings.Join(strings.Fields(name), " ")) }

// checkTokenName refuses an empty, overlong or unprintable name.
func checkTokenName(name string) error {
	switch {
	case NameKey(name) == "":
		return errors.New("a token needs a name: the person or the system that uses it")
	case !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxTokenName:
		return fmt.Errorf("a token name is at most %d characters of UTF-8", maxTokenName)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return errors.New("a token name has no control characters")
	}
	return nil
}

// tokenName is the item that holds a name for one token: written with the token in one
// transaction, on the condition that no item holds the name yet.
type tokenName struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	Kind      string `dynamodbav:"kind"`
	TokenHash string `dynamodbav:"tokenHash"`
}

// CreateAPIToken stores a new random token for role under a name no other token has, and
// returns it; it is shown once.
func (s *Store) CreateAPIToken(ctx context.Context, role, name string) (string, error) {
	if !access.Valid(role) {
		return "", fmt.Errorf("unknown role %q: one of %s", role, strings.Join(access.Roles, ", "))
	}
	name = strings.Join(strings.Fields(name), " ")
	if err := checkTokenName(name); err != nil {
		return "", err
	}
	// Tokens made before names were held by name items: compare with them too.
	list, err := s.ListAPITokens(ctx)
	if err != nil {
		return "", err
	}
	for _, t := range list {
		if NameKey(t.Name) == NameKey(name) {
			return "", fmt.Errorf("%w: %q", ErrNameTaken, t.Name)
		}
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	raw := "cx_" + hex.EncodeToString(buf)
	h := hashToken(raw)
	item, err := attributevalue.MarshalMap(APIToken{PK: apiTokenPK(h), SK: skAPIToken, Kind: KindAPIToken,
		Role: role, Name: name, CreatedAt: FormatTime(s.Now()), GSI2PK: apiTokensPK, GSI2SK: FormatTime(s.Now()) + "#" + h})
	if err != nil {
		return "", err
	}
	lock, err := attributevalue.MarshalMap(tokenName{PK: tokenNamePK(NameKey(name)), SK: skTokenName, Kind: KindTokenName, TokenHash: h})
	if err != nil {
		return "", err
	}
	absent := aws.String("attribute_not_exists(PK)")
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.Table), Item: item, ConditionExpression: absent}},
		{Put: &types.Put{TableName: aws.String(s.Table), Item: lock, ConditionExpression: absent}},
	}})
	if isConditionFailed(err) {
		return "", fmt.Errorf("%w: %q", ErrNameTaken, name)
	}
	if err != nil {
		return "", fmt.Errorf("store api token: %w", err)
	}
	return raw, nil
}

// LookupAPIToken returns the token's record, or ErrNotFound for an unknown token.
func (s *Store) LookupAPIToken(ctx context.Context, raw string) (*APIToken, error) {
	if raw == "" {
		return nil, ErrNotFound
	}
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table),
		Key:       key(apiTokenPK(hashToken(raw)), skAPIToken),
	})
	if err != nil {
		return nil, fmt.Errorf("look up api token: %w", err)
	}
	if out.Item == nil {
		return nil, ErrNotFound
	}
	var t APIToken
	if err := attributevalue.UnmarshalMap(out.Item, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// ListAPITokens returns every token's record (never the token), oldest first.
func (s *Store) ListAPITokens(ctx context.Context) ([]APIToken, error) {
	e, err := expression.NewBuilder().WithKeyCondition(expression.Key("GSI2PK").Equal(expression.Value(apiTokensPK))).Build()
	if err != nil {
		return nil, err
	}
	list, err := queryAll[APIToken](ctx, s.DB, &dynamodb.QueryInput{TableName: aws.String(s.Table), IndexName: aws.String(IndexQueue),
		KeyConditionExpression: e.KeyCondition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	return list, nil
}

// ErrAmbiguous is a token hash prefix that matches more than one token.
var ErrAmbiguous = errors.New("more than one token matches")

// RevokeAPIToken deletes the one token whose hash starts with prefix (at least 8 hex characters,
// as `cxloop token list` shows them) and returns its record. The token stops working at once.
func (s *Store) RevokeAPIToken(ctx context.Context, prefix string) (*APIToken, error) {
	prefix = strings.ToLower(prefix)
	if len(prefix) < 8 {
		return nil, fmt.Errorf("give at least 8 characters of the token's hash")
	}
	list, err := s.ListAPITokens(ctx)
	if err != nil {
		return nil, err
	}
	var match *APIToken
	for i := range list {
		if strings.HasPrefix(list[i].Hash(), prefix) {
			if match != nil {
				return nil, ErrAmbiguous
			}
			match = &list[i]
		}
	}
	if match == nil {
		return nil, ErrNotFound
	}
	if _, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: key(match.PK, match.SK)}); err != nil {
		return nil, fmt.Errorf("revoke api token: %w", err)
	}
	// The name is free again, unless its item belongs to another token (one made before names
	// were unique).
	cond, err := expression.NewBuilder().WithCondition(expression.Name("tokenHash").Equal(expression.Value(match.Hash()))).Build()
	if err != nil {
		return nil, err
	}
	_, err = s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: key(tokenNamePK(NameKey(match.Name)), skTokenName),
		ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names(), ExpressionAttributeValues: cond.Values()})
	if err != nil && !isConditionFailed(err) {
		return nil, fmt.Errorf("free token name: %w", err)
	}
	return match, nil
}
