package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Roles of API tokens: producers post touchpoints; viewers, agents and admins use /ops.
const (
	RoleProducer = "producer"
	RoleViewer   = "viewer"
	RoleAgent    = "agent"
	RoleAdmin    = "admin"
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
}

func hashToken(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

// CreateAPIToken stores a new random token for role and returns it; it is shown once.
func (s *Store) CreateAPIToken(ctx context.Context, role, name string) (string, error) {
	switch role {
	case RoleProducer, RoleViewer, RoleAgent, RoleAdmin:
	default:
		return "", fmt.Errorf("unknown role %q", role)
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	raw := "cx_" + hex.EncodeToString(buf)
	h := hashToken(raw)
	item, err := attributevalue.MarshalMap(APIToken{PK: apiTokenPK(h), SK: skAPIToken, Kind: KindAPIToken,
		Role: role, Name: name, CreatedAt: FormatTime(s.Now())})
	if err != nil {
		return "", err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item}); err != nil {
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

// key builds a primary key attribute map.
func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: pk},
		"SK": &types.AttributeValueMemberS{Value: sk},
	}
}
