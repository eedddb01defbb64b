// Command oneread is the cold-start floor of a function that reads the table once: the AWS
// configuration from the environment and a DynamoDB client built as cxloop builds them, and one
// GetItem on the first invocation. No cxloop function that reads the table can start faster.
package main

import (
	"context"
	"encoding/json"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/config"
	"github.com/cxloop/cxloop/shared/store"
)

func main() {
	cfg, err := config.AWS()
	if err != nil {
		log.Fatal(err)
	}
	db, table := store.NewClient(cfg), os.Getenv("TABLE_NAME")
	key := map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "floor"}, "SK": &types.AttributeValueMemberS{Value: "floor"}}
	lambda.StartHandlerFunc(func(ctx context.Context, _ json.RawMessage) (string, error) {
		// The bench's table does not exist: the call is refused after a full round trip, as the
		// functions' first calls are.
		_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key})
		if err != nil {
			return "refused", nil
		}
		return "read", nil
	})
}
