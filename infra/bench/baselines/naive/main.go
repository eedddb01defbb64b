// Command naive is the cold-start baseline of the common pattern: config.LoadDefaultConfig at
// init, then a DynamoDB and an SES v2 client. cxloop's functions must start faster than this.
package main

import (
	"context"
	"encoding/json"
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
)

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	ses := sesv2.NewFromConfig(cfg)
	lambda.StartHandlerFunc(func(ctx context.Context, ev json.RawMessage) (string, error) {
		_, _ = db, ses
		return "naive", nil
	})
}
