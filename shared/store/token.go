package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cxloop/cxloop/shared/access"
)

// tokenRecord is an API token's item, APITOKEN#<sha256 hex> / APITOKEN. Only the SHA-256 of the
// token is stored: the table never holds a usable token, and a 256-bit random token cannot be
// recovered from its hash.
type tokenRecord struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	Kind string `dynamodbav:"kind"`
	access.Token
	// GSI2 lists the tokens (`cxloop token list`) without scanning the table.
	GSI2PK string `dynamodbav:"GSI2PK,omitempty"`
	GSI2SK string `dynamodbav:"GSI2SK,omitempty"`
}

func (r tokenRecord) token() *access.Token {
	t := r.Token
	t.Hash = strings.TrimPrefix(r.PK, apiTokenPK(""))
	return &t
}

// apiTokensPK is the GSI2 partition holding every token, sorted by creation time.
const apiTokensPK = "APITOKENS"

func hashToken(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

// tokenName is the item that holds a name for one token: written with the token in one
// transaction, on the condition that no item holds the name yet.
type tokenName struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	Kind      string `dynamodbav:"kind"`
	TokenHash string `dynamodbav:"tokenHash"`
}

// The items of the token's transaction.
const (
	txToken     = "token"
	txTokenName = "token name"
)

// CreateAPIToken stores a new random token for role under a name no other token has, and
// returns it; it is shown once.
func (s *Store) CreateAPIToken(ctx context.Context, role, name string) (string, error) {
	if !access.Valid(role) {
		return "", fmt.Errorf("unknown role %q: one of %s", role, strings.Join(access.Roles, ", "))
	}
	name, err := access.TokenName(name)
	if err != nil {
		return "", err
	}
	// Tokens made before names were held by name items: compare with them too.
	list, err := s.ListAPITokens(ctx)
	if err != nil {
		return "", err
	}
	for _, t := range list {
		if access.NameKey(t.Name) == access.NameKey(name) {
			return "", fmt.Errorf("%w: %q", access.ErrNameTaken, t.Name)
		}
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	raw := "cx_" + hex.EncodeToString(buf)
	h := hashToken(raw)
	tok, err := s.txPut(txToken, tokenRecord{PK: apiTokenPK(h), SK: skAPIToken, Kind: KindAPIToken,
		Token:  access.Token{Role: role, Name: name, CreatedAt: FormatTime(s.Now())},
		GSI2PK: apiTokensPK, GSI2SK: FormatTime(s.Now()) + "#" + h}, absent())
	if err != nil {
		return "", err
	}
	lock, err := s.txPut(txTokenName, tokenName{PK: tokenNamePK(access.NameKey(name)), SK: skTokenName, Kind: KindTokenName, TokenHash: h}, absent())
	if err != nil {
		return "", err
	}
	failed, err := s.transact(ctx, tok, lock)
	if failed.refused(txTokenName, txToken) {
		return "", fmt.Errorf("%w: %q", access.ErrNameTaken, name)
	}
	if err != nil {
		return "", fmt.Errorf("store api token: %w", err)
	}
	return raw, nil
}

// LookupAPIToken returns the token's record, or ErrNotFound for an unknown token.
func (s *Store) LookupAPIToken(ctx context.Context, raw string) (*access.Token, error) {
	if raw == "" {
		return nil, ErrNotFound
	}
	var r tokenRecord
	found, err := s.getItem(ctx, key(apiTokenPK(hashToken(raw)), skAPIToken), false, &r)
	if err != nil {
		return nil, fmt.Errorf("look up api token: %w", err)
	}
	if !found {
		return nil, ErrNotFound
	}
	return r.token(), nil
}

// ListAPITokens returns every token's record (never the token), oldest first.
func (s *Store) ListAPITokens(ctx context.Context) ([]access.Token, error) {
	e, err := expression.NewBuilder().WithKeyCondition(expression.Key("GSI2PK").Equal(expression.Value(apiTokensPK))).Build()
	if err != nil {
		return nil, err
	}
	recs, err := queryAll[tokenRecord](ctx, s.DB, &dynamodb.QueryInput{TableName: aws.String(s.Table), IndexName: aws.String(IndexQueue),
		KeyConditionExpression: e.KeyCondition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	return unwrap(recs, func(r tokenRecord) access.Token { return *r.token() }), nil
}

// ErrAmbiguous is a token hash prefix that matches more than one token.
var ErrAmbiguous = errors.New("more than one token matches")

// RevokeAPIToken deletes the one token whose hash starts with prefix (at least 8 hex characters,
// as `cxloop token list` shows them) and returns its record. The token stops working at once.
func (s *Store) RevokeAPIToken(ctx context.Context, prefix string) (*access.Token, error) {
	prefix = strings.ToLower(prefix)
	if len(prefix) < 8 {
		return nil, fmt.Errorf("give at least 8 characters of the token's hash")
	}
	list, err := s.ListAPITokens(ctx)
	if err != nil {
		return nil, err
	}
	var match *access.Token
	for i := range list {
		if strings.HasPrefix(list[i].Hash, prefix) {
			if match != nil {
				return nil, ErrAmbiguous
			}
			match = &list[i]
		}
	}
	if match == nil {
		return nil, ErrNotFound
	}
	if _, err := s.deleteItem(ctx, key(apiTokenPK(match.Hash), skAPIToken), noCondition); err != nil {
		return nil, fmt.Errorf("revoke api token: %w", err)
	}
	// The name is free again, unless its item belongs to another token (one made before names
	// were unique).
	if _, err := s.deleteItem(ctx, key(tokenNamePK(access.NameKey(match.Name)), skTokenName),
		expression.Name("tokenHash").Equal(expression.Value(match.Hash))); err != nil {
		return nil, fmt.Errorf("free token name: %w", err)
	}
	return match, nil
}
