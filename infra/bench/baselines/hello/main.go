// Command hello is the cold-start yardstick: an aws-lambda-go function that does nothing at init.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.StartHandlerFunc(func(ctx context.Context, ev json.RawMessage) (string, error) {
		return "hello", nil
	})
}
